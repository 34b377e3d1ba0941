package fsp

import "math"

// Momentum oscillators: RSI, CMO, MACD, APO, PPO, ROC, MOM, STOCHRSI.

// wilder is the state of TA-Lib's Wilder-smoothed average gain and loss,
// shared by RSI and CMO.
type wilder struct {
	cnt              int
	prev, gain, loss float64
}

// step consumes x and reports whether gain and loss are ready (from the
// n-th change on).
func (w *wilder) step(x float64, n int) bool {
	i := w.cnt
	w.cnt++
	if i == 0 {
		w.prev = x
		return false
	}
	d := x - w.prev
	w.prev = x
	if i > n {
		w.loss = float64(w.loss * float64(n-1))
		w.gain = float64(w.gain * float64(n-1))
	}
	w.loss -= min(d, 0)
	w.gain += max(d, 0)
	if i < n {
		return false
	}
	w.loss /= float64(n)
	w.gain /= float64(n)
	return true
}

func (w *wilder) rsi() float64 {
	if t := w.gain + w.loss; !isZero(t) {
		return 100.0 * (w.gain / t)
	}
	return 0
}

func (w *wilder) cmo() float64 {
	if t := w.gain + w.loss; !isZero(t) {
		return 100.0 * ((w.gain - w.loss) / t)
	}
	return 0
}

// LookbackRSI is the number of leading NaNs of RSI(x, n): n.
func LookbackRSI(n int) int { return n }

// RSI is Wilder's relative strength index, n ≥ 2: the averages of the first n
// changes seed it, then avg = (avg·(n−1) + change)/n; 0 on a flat stretch
// (gain + loss within 1e-14), as TA-Lib prints.
func RSI(x []float64, n int) []float64 { return wilderBatch(make([]float64, len(x)), x, n, false) }

// RSITo is RSI written into dst, which must be as long as x; it returns dst.
func RSITo(dst, x []float64, n int) []float64 { return wilderBatch(dst, x, n, false) }

// LookbackCMO is the number of leading NaNs of CMO(x, n): n.
func LookbackCMO(n int) int { return n }

// CMO is Chande's momentum oscillator as TA-Lib computes it: 100·(G−L)/(G+L)
// over Wilder-smoothed gains and losses (so CMO = 2·RSI − 100), 0 when flat,
// n ≥ 2.
func CMO(x []float64, n int) []float64 { return wilderBatch(make([]float64, len(x)), x, n, true) }

// CMOTo is CMO written into dst, which must be as long as x; it returns dst.
func CMOTo(dst, x []float64, n int) []float64 { return wilderBatch(dst, x, n, true) }

// wilderBatch is wilder.step unrolled into one loop.
func wilderBatch(dst, x []float64, n int, cmo bool) []float64 {
	s, ok := start(dst, x, n, 2, n)
	if !ok {
		return dst
	}
	x, o := x[s:], dst[s:]
	w := wilder{cnt: 1, prev: x[0]}
	for _, v := range x[1:n] {
		d := v - w.prev
		w.prev = v
		w.loss -= min(d, 0)
		w.gain += max(d, 0)
	}
	fn, fn1 := float64(n), float64(n-1)
	prev, gain, loss := w.prev, w.gain, w.loss
	for i := n; i < len(x); i++ {
		v := x[i]
		d := v - prev
		prev = v
		if i > n {
			loss = float64(loss * fn1)
			gain = float64(gain * fn1)
		}
		loss -= min(d, 0) // branch-free: a random walk defeats the predictor
		gain += max(d, 0)
		loss /= fn
		gain /= fn
		t := gain + loss
		switch {
		case isZero(t):
			o[i] = 0
		case cmo:
			o[i] = 100.0 * ((gain - loss) / t)
		default:
			o[i] = 100.0 * (gain / t)
		}
	}
	return dst
}

// RSIStream is the streaming twin of RSI (and of CMO from NewCMOStream).
type RSIStream struct {
	n        int
	cmo      bool
	st, base wilder
	any      bool
}

// NewRSIStream returns an RSI(n) stream.
func NewRSIStream(n int) *RSIStream { return &RSIStream{n: n} }

// NewCMOStream returns a CMO(n) stream.
func NewCMOStream(n int) *RSIStream { return &RSIStream{n: n, cmo: true} }

// Update consumes a new bar.
func (s *RSIStream) Update(x float64) float64 {
	s.base, s.any = s.st, true
	return s.step(x)
}

// Revise replaces the newest bar's input.
func (s *RSIStream) Revise(x float64) float64 {
	if !s.any {
		return s.Update(x)
	}
	s.st = s.base
	return s.step(x)
}

func (s *RSIStream) step(x float64) float64 {
	if s.n < 2 || (s.st.cnt == 0 && x != x) || !s.st.step(x, s.n) {
		return math.NaN()
	}
	if s.cmo {
		return s.st.cmo()
	}
	return s.st.rsi()
}

// macdPeriods orders fast ≤ slow as TA-Lib does.
func macdPeriods(fast, slow int) (int, int) {
	if slow < fast {
		return slow, fast
	}
	return fast, slow
}

// LookbackMACD is the number of leading NaNs of every MACD output:
// (slow−1) + (signal−1), with fast and slow swapped if fast > slow.
func LookbackMACD(fast, slow, signal int) int {
	_, slow = macdPeriods(fast, slow)
	return slow - 1 + signal - 1
}

// MACD is TA-Lib's moving average convergence/divergence, periods ≥ 1. Both
// EMAs start at bar slow−1, each seeded with the mean of its last n inputs
// there (so the fast EMA is not the standalone EMA(fast)); the signal is an
// SMA-seeded EMA of the MACD line; hist = macd − signal. All three outputs
// begin at LookbackMACD.
func MACD(x []float64, fast, slow, signal int) (macd, sig, hist []float64) {
	n := len(x)
	return MACDTo(make([]float64, n), make([]float64, n), make([]float64, n), x, fast, slow, signal)
}

// MACDTo is MACD written into macd, sig and hist, which must be as long as x;
// it returns them.
func MACDTo(macd, sig, hist, x []float64, fast, slow, signal int) ([]float64, []float64, []float64) {
	checkDst(sig, len(x))
	checkDst(hist, len(x))
	fast, slow = macdPeriods(fast, slow)
	lb := slow - 1 + signal - 1
	s, ok := start(macd, x, min(fast, signal), 1, lb)
	if !ok {
		return macd, fillNaN(sig, len(x)), fillNaN(hist, len(x))
	}
	fillNaN(sig, s+lb)
	fillNaN(hist, s+lb)
	x = x[s:]
	m := len(x)
	// hist holds the fast EMA and then the MACD line from slow−1 on, macd
	// the slow EMA, until each gets its own values.
	line, slowE := hist[s:], macd[s:]
	emaInto(line[slow-fast:], x[slow-fast:], fast, 2/float64(fast+1))
	emaInto(slowE, x, slow, 2/float64(slow+1))
	for i := slow - 1; i < m; i++ {
		line[i] -= slowE[i]
	}
	emaInto(sig[s+slow-1:], line[slow-1:], signal, 2/float64(signal+1))
	copy(slowE[lb:], line[lb:])
	nan := math.NaN()
	for i := slow - 1; i < lb; i++ {
		slowE[i], line[i] = nan, nan
	}
	for i := lb; i < m; i++ {
		line[i] = slowE[i] - sig[s+i]
	}
	return macd, sig, hist
}

// MACDStream is the streaming twin of MACD.
type MACDStream struct {
	fast, slow, signal int
	fastE, slowE, sigE *EMAStream
	st, base           macdState
	any                bool
}

type macdState struct{ cnt int }

// NewMACDStream returns a MACD(fast, slow, signal) stream.
func NewMACDStream(fast, slow, signal int) *MACDStream {
	fast, slow = macdPeriods(fast, slow)
	return &MACDStream{fast: fast, slow: slow, signal: signal,
		fastE: NewEMAStream(fast), slowE: NewEMAStream(slow), sigE: NewEMAStream(signal)}
}

// Update consumes a new bar and returns macd, signal and hist.
func (s *MACDStream) Update(x float64) (macd, signal, hist float64) {
	s.base, s.any = s.st, true
	return s.step(x, false)
}

// Revise replaces the newest bar's input.
func (s *MACDStream) Revise(x float64) (macd, signal, hist float64) {
	if !s.any {
		return s.Update(x)
	}
	s.st = s.base
	return s.step(x, true)
}

func (s *MACDStream) step(x float64, rev bool) (float64, float64, float64) {
	nan := math.NaN()
	if s.fast < 1 || s.signal < 1 {
		return nan, nan, nan
	}
	// Every sub-stream sees every bar (NaN while it has not started), so a
	// revision always rolls back exactly what the first attempt changed.
	fx := x
	if s.st.cnt == 0 && x != x {
		fx = nan
	} else {
		if s.st.cnt < s.slow-s.fast {
			fx = nan
		}
		s.st.cnt++
	}
	upd := func(e *EMAStream, v float64) float64 {
		if rev {
			return e.Revise(v)
		}
		return e.Update(v)
	}
	se := upd(s.slowE, x)
	line := upd(s.fastE, fx) - se
	sig := upd(s.sigE, line)
	if sig != sig {
		return nan, nan, nan
	}
	return line, sig, line - sig
}

// LookbackAPO is the number of leading NaNs of APO and PPO: max(fast, slow)−1.
func LookbackAPO(fast, slow int) int { return max(fast, slow) - 1 }

// APO is the absolute price oscillator EMA(fast) − EMA(slow) of two
// standalone SMA-seeded EMAs (TA-Lib's APO with MAType 1), periods ≥ 1.
func APO(x []float64, fast, slow int) []float64 {
	return po(make([]float64, len(x)), x, fast, slow, false)
}

// APOTo is APO written into dst, which must be as long as x; it returns dst.
// It allocates the fast EMA.
func APOTo(dst, x []float64, fast, slow int) []float64 { return po(dst, x, fast, slow, false) }

// PPO is the percentage price oscillator 100·(EMA(fast) − EMA(slow))/EMA(slow)
// (TA-Lib's PPO with MAType 1), 0 where the slow EMA is within 1e-14 of 0.
func PPO(x []float64, fast, slow int) []float64 {
	return po(make([]float64, len(x)), x, fast, slow, true)
}

// PPOTo is PPO written into dst, which must be as long as x; it returns dst.
// It allocates the fast EMA.
func PPOTo(dst, x []float64, fast, slow int) []float64 { return po(dst, x, fast, slow, true) }

func po(dst, x []float64, fast, slow int, pct bool) []float64 {
	checkDst(dst, len(x))
	fast, slow = macdPeriods(fast, slow)
	if fast < 1 {
		return fillNaN(dst, len(dst))
	}
	f, out := EMA(x, fast), EMATo(dst, x, slow)
	for i, sv := range out {
		out[i] = poValue(f[i], sv, pct)
	}
	return out
}

func poValue(f, s float64, pct bool) float64 {
	if !pct {
		return f - s
	}
	if s != s {
		return s
	}
	if isZero(s) {
		return 0
	}
	return ((f - s) / s) * 100.0
}

// POStream is the streaming twin of APO and PPO.
type POStream struct {
	f, s *EMAStream
	pct  bool
}

// NewAPOStream returns an APO(fast, slow) stream.
func NewAPOStream(fast, slow int) *POStream {
	fast, slow = macdPeriods(fast, slow)
	return &POStream{f: NewEMAStream(fast), s: NewEMAStream(slow)}
}

// NewPPOStream returns a PPO(fast, slow) stream.
func NewPPOStream(fast, slow int) *POStream {
	p := NewAPOStream(fast, slow)
	p.pct = true
	return p
}

// Update consumes a new bar.
func (p *POStream) Update(x float64) float64 {
	return poValue(p.f.Update(x), p.s.Update(x), p.pct)
}

// Revise replaces the newest bar's input.
func (p *POStream) Revise(x float64) float64 {
	return poValue(p.f.Revise(x), p.s.Revise(x), p.pct)
}

// LookbackMOM is the number of leading NaNs of MOM and ROC: n.
func LookbackMOM(n int) int { return n }

// MOM is the momentum x[i] − x[i−n], n ≥ 1.
func MOM(x []float64, n int) []float64 { return lagBatch(make([]float64, len(x)), x, n, false) }

// MOMTo is MOM written into dst, which must be as long as x; it returns dst.
func MOMTo(dst, x []float64, n int) []float64 { return lagBatch(dst, x, n, false) }

// ROC is the rate of change 100·(x[i]/x[i−n] − 1), 0 where x[i−n] = 0, n ≥ 1.
func ROC(x []float64, n int) []float64 { return lagBatch(make([]float64, len(x)), x, n, true) }

// ROCTo is ROC written into dst, which must be as long as x; it returns dst.
func ROCTo(dst, x []float64, n int) []float64 { return lagBatch(dst, x, n, true) }

func lagBatch(dst, x []float64, n int, roc bool) []float64 {
	s, ok := start(dst, x, n, 1, n)
	if !ok {
		return dst
	}
	x, o := x[s:], dst[s:]
	if roc {
		for i := n; i < len(x); i++ {
			o[i] = rocValue(x[i], x[i-n])
		}
		return dst
	}
	for i := n; i < len(x); i++ {
		o[i] = x[i] - x[i-n]
	}
	return dst
}

func rocValue(x, prev float64) float64 {
	if prev != 0 {
		return ((x / prev) - 1.0) * 100.0
	}
	return 0
}

// LagStream is the streaming twin of MOM and ROC.
type LagStream struct {
	n        int
	roc      bool
	buf      []float64 // the last n+1 inputs
	st, base lagState
	any      bool
}

type lagState struct{ cnt, pos int }

// NewMOMStream returns a MOM(n) stream.
func NewMOMStream(n int) *LagStream { return &LagStream{n: n, buf: make([]float64, max(n+1, 1))} }

// NewROCStream returns a ROC(n) stream.
func NewROCStream(n int) *LagStream {
	s := NewMOMStream(n)
	s.roc = true
	return s
}

// Update consumes a new bar.
func (s *LagStream) Update(x float64) float64 {
	s.base, s.any = s.st, true
	return s.step(x)
}

// Revise replaces the newest bar's input.
func (s *LagStream) Revise(x float64) float64 {
	if !s.any {
		return s.Update(x)
	}
	s.st = s.base
	return s.step(x)
}

func (s *LagStream) step(x float64) float64 {
	st := &s.st
	if s.n < 1 || (st.cnt == 0 && x != x) {
		return math.NaN()
	}
	st.cnt++
	s.buf[st.pos] = x
	if st.pos++; st.pos == len(s.buf) {
		st.pos = 0
	}
	if st.cnt <= s.n {
		return math.NaN()
	}
	prev := s.buf[st.pos]
	if s.roc {
		return rocValue(x, prev)
	}
	return x - prev
}

// minMax keeps the lowest and highest of the last k values in O(1) amortized
// per value with two monotone deques of indices; the newest value can be
// taken back (pop) in O(1) by restoring both deques' ends.
type minMax struct {
	k    int
	mask int       // ring sizes are powers of two above k
	vals []float64 // ring of the last values by index
	lo   mono
	hi   mono
	n    int // values pushed
}

// mono is a monotone deque of value indices.
type mono struct {
	idx              []int
	head, tail       int // absolute positions; live entries are [head, tail)
	saveH, saveT     int
	saveSlot, saveAt int
}

func newMinMax(k int) *minMax {
	c := 1
	for c <= k {
		c <<= 1
	}
	return &minMax{k: k, mask: c - 1, vals: make([]float64, c),
		lo: mono{idx: make([]int, c)}, hi: mono{idx: make([]int, c)}}
}

func (q *mono) push(m *minMax, i int, x float64, high bool) float64 {
	q.saveH, q.saveT = q.head, q.tail
	for q.head < q.tail && q.idx[q.head&m.mask] <= i-m.k {
		q.head++
	}
	for q.head < q.tail {
		old := m.vals[q.idx[(q.tail-1)&m.mask]&m.mask]
		if high && old > x || !high && old < x {
			break
		}
		q.tail--
	}
	q.saveAt = q.tail & m.mask
	q.saveSlot = q.idx[q.saveAt]
	q.idx[q.saveAt] = i
	q.tail++
	return m.vals[q.idx[q.head&m.mask]&m.mask]
}

func (q *mono) undo() {
	q.idx[q.saveAt] = q.saveSlot
	q.head, q.tail = q.saveH, q.saveT
}

// push adds a value and returns the window's lowest and highest.
func (m *minMax) push(x float64) (lo, hi float64) {
	i := m.n
	m.n++
	m.vals[i&m.mask] = x
	return m.lo.push(m, i, x, false), m.hi.push(m, i, x, true)
}

// pop removes the newest value; only one pop may follow a push.
func (m *minMax) pop() {
	m.lo.undo()
	m.hi.undo()
	m.n--
}

// LookbackSTOCHRSI is the number of leading NaNs of both STOCHRSI outputs:
// n + (k−1) + (d−1).
func LookbackSTOCHRSI(n, k, d int) int { return n + k - 1 + d - 1 }

// STOCHRSI is the fast stochastic of RSI(n): K = 100·(RSI − min)/(max − min)
// over the last k RSI values (0 when they are all equal), D = SMA(d) of K.
// Both outputs begin at LookbackSTOCHRSI, as TA-Lib gives them one start.
// n ≥ 2, k ≥ 1, d ≥ 1.
func STOCHRSI(x []float64, n, k, d int) (fastK, fastD []float64) {
	if n < 2 || k < 1 || d < 1 {
		return newOut(len(x), len(x)), newOut(len(x), len(x))
	}
	r := RSI(x, n)
	s := firstValid(r)
	fastK = make([]float64, len(r))
	for i := range fastK[:min(s+k-1, len(r))] {
		fastK[i] = math.NaN()
	}
	// The extremes are tracked by index and rescanned only when one leaves
	// the window (TA-Lib's way); the values equal the stream's deques.
	loI, hiI := -1, -1
	lo, hi := 0.0, 0.0
	for i := s + k - 1; i < len(r); i++ {
		v, trail := r[i], i-k+1
		if loI < trail {
			loI, lo = trail, r[trail]
			for j := trail + 1; j <= i; j++ {
				if r[j] < lo {
					loI, lo = j, r[j]
				}
			}
		} else if v <= lo {
			loI, lo = i, v
		}
		if hiI < trail {
			hiI, hi = trail, r[trail]
			for j := trail + 1; j <= i; j++ {
				if r[j] > hi {
					hiI, hi = j, r[j]
				}
			}
		} else if v >= hi {
			hiI, hi = i, v
		}
		fastK[i] = stochValue(v, lo, hi)
	}
	fastD = SMA(fastK, d)
	end := min(len(x), firstValid(x)+LookbackSTOCHRSI(n, k, d))
	for i := s; i < end; i++ {
		fastK[i] = math.NaN()
	}
	return fastK, fastD
}

func stochValue(x, lo, hi float64) float64 {
	if diff := (hi - lo) / 100.0; diff != 0 {
		return (x - lo) / diff
	}
	return 0
}

// STOCHRSIStream is the streaming twin of STOCHRSI.
type STOCHRSIStream struct {
	k, lb    int
	rsi      *RSIStream
	win      *minMax
	d        *SMAStream
	st, base struct{ cnt, valid int }
	any      bool
}

// NewSTOCHRSIStream returns a STOCHRSI(n, k, d) stream.
func NewSTOCHRSIStream(n, k, d int) *STOCHRSIStream {
	if n < 2 || k < 1 || d < 1 {
		n, k, d = 0, 1, 0
	}
	return &STOCHRSIStream{k: k, lb: LookbackSTOCHRSI(n, k, d), rsi: NewRSIStream(n), win: newMinMax(k), d: NewSMAStream(d)}
}

// Update consumes a new bar and returns K and D.
func (s *STOCHRSIStream) Update(x float64) (k, d float64) {
	s.base, s.any = s.st, true
	return s.step(s.rsi.Update(x), x, false)
}

// Revise replaces the newest bar's input.
func (s *STOCHRSIStream) Revise(x float64) (k, d float64) {
	if !s.any {
		return s.Update(x)
	}
	s.st = s.base
	return s.step(s.rsi.Revise(x), x, true)
}

func (s *STOCHRSIStream) step(r, x float64, rev bool) (float64, float64) {
	nan := math.NaN()
	if rev && s.win.n > s.base.valid {
		s.win.pop() // the first attempt at this bar pushed its RSI
	}
	st := &s.st
	if !(st.cnt == 0 && x != x) {
		st.cnt++
	}
	kv := nan
	if r == r {
		st.valid++
		lo, hi := s.win.push(r)
		if st.valid >= s.k {
			kv = stochValue(r, lo, hi)
		}
	}
	var dv float64
	if rev {
		dv = s.d.Revise(kv)
	} else {
		dv = s.d.Update(kv)
	}
	if st.cnt <= s.lb {
		return nan, nan
	}
	return kv, dv
}
