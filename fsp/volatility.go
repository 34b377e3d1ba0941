package fsp

import "math"

// Volatility and price transforms: TRANGE, ATR, NATR, MIDPRICE, MIDPOINT,
// typical, average and weighted-close prices, BOP. Loops keep TA-Lib's
// operation order; each stream repeats its batch loop one bar at a time.
// Products that are added to or subtracted from something are wrapped in
// float64(...) so that arm64 does not fuse them into an FMA (see ma.go).

// startBars is start for several aligned inputs: the inputs must have equal
// lengths, and the indicator starts at the first bar where none is NaN (the
// latest first valid index among them). dst must be as long as the first.
func startBars(dst []float64, ins [][]float64, n, minN, lookback int) (s int, ok bool) {
	size := len(ins[0])
	checkDst(dst, size)
	for _, x := range ins[1:] {
		if len(x) != size {
			fillNaN(dst, size)
			return 0, false
		}
	}
	for _, x := range ins {
		s = max(s, firstValid(x))
	}
	if n < minN || size-s <= lookback {
		fillNaN(dst, size)
		return s, false
	}
	fillNaN(dst, s+lookback)
	return s, true
}

// anyNaN reports whether any argument is NaN (a bar not there yet at the
// start of a stream).
func anyNaN(v ...float64) bool {
	for _, x := range v {
		if x != x {
			return true
		}
	}
	return false
}

// trueRange is TA-Lib's TRUE_RANGE: the largest of H−L, |C₋₁−H| and |C₋₁−L|.
// |d| > tr is tested as d > tr, then −d > tr: the same value bit for bit
// without math.Abs, which amd64 does in the integer registers.
func trueRange(h, l, prevClose float64) float64 {
	tr := h - l
	d := prevClose - h
	if d > tr {
		tr = d
	}
	if -d > tr {
		tr = -d
	}
	d = prevClose - l
	if d > tr {
		tr = d
	}
	if -d > tr {
		tr = -d
	}
	return tr
}

// trueRangeUpright is trueRange of a bar whose H − L is ≥ 0 (not NaN):
// max(H, C₋₁) − min(L, C₋₁), the same rounded subtraction as TA-Lib's
// largest candidate in two well-predicted branches instead of four, with a
// NaN C₋₁ passed over as TA-Lib does. TRANGE and DMI use it; other bars
// (inverted, or with H − L NaN) go to trueRange.
func trueRangeUpright(h, l, prevClose float64) float64 {
	if prevClose > h {
		h = prevClose
	}
	if prevClose < l {
		l = prevClose
	}
	return h - l
}

// LookbackTRANGE is the number of leading NaNs of TRANGE: 1.
func LookbackTRANGE() int { return 1 }

// TRANGE is TA-Lib's true range, max(H, C₋₁) − min(L, C₋₁); bar 0 has no
// previous close and is NaN.
func TRANGE(high, low, close []float64) []float64 {
	return TRANGETo(make([]float64, len(high)), high, low, close)
}

// TRANGETo is TRANGE written into dst, which must be as long as high; it returns dst.
func TRANGETo(dst, high, low, close []float64) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close}, 1, 1, 1)
	if !ok {
		return dst
	}
	c := close[s:]
	h, l, o := high[s:len(close)], low[s:len(close)], dst[s:len(close)] // one length: no bounds checks
	prev := c[0]
	for i := 1; i < len(c); i++ {
		if hi, lo := h[i], l[i]; hi-lo >= 0 {
			o[i] = trueRangeUpright(hi, lo, prev)
		} else {
			o[i] = trueRange(hi, lo, prev)
		}
		prev = c[i]
	}
	return dst
}

// TRANGEStream is the streaming twin of TRANGE.
type TRANGEStream struct {
	prevClose, lastClose float64
	cnt                  int
}

// NewTRANGEStream returns a true-range stream.
func NewTRANGEStream() *TRANGEStream { return &TRANGEStream{} }

// Update consumes a new bar.
func (s *TRANGEStream) Update(high, low, close float64) float64 {
	if s.cnt < 2 {
		return s.warm(high, low, close)
	}
	prev := s.lastClose
	s.prevClose, s.lastClose = prev, close
	if high-low >= 0 {
		return trueRangeUpright(high, low, prev)
	}
	return trueRange(high, low, prev)
}

// warm consumes the first two bars; cnt stops at 2.
func (s *TRANGEStream) warm(high, low, close float64) float64 {
	if s.cnt == 0 && anyNaN(high, low, close) {
		return math.NaN()
	}
	s.prevClose, s.lastClose = s.lastClose, close
	if s.cnt++; s.cnt < 2 {
		return math.NaN()
	}
	return trueRange(high, low, s.prevClose)
}

// Revise replaces the newest bar's input.
func (s *TRANGEStream) Revise(high, low, close float64) float64 {
	if s.cnt == 0 {
		return s.Update(high, low, close)
	}
	s.lastClose = close
	if s.cnt < 2 {
		return math.NaN()
	}
	return trueRange(high, low, s.prevClose)
}

// LookbackATR is the number of leading NaNs of ATR(n): n (1 for n = 1).
func LookbackATR(n int) int { return max(n, 1) }

// ATR is Wilder's average true range over n ≥ 1 bars as TA-Lib computes it:
// the first value, at bar n, is the mean of TR[1..n]; then
// ATR = (ATR₋₁·(n−1) + TR)/n. ATR(1) is the true range.
func ATR(high, low, close []float64, n int) []float64 {
	return atr(make([]float64, len(high)), high, low, close, n, false)
}

// ATRTo is ATR written into dst, which must be as long as high; it returns
// dst.
func ATRTo(dst, high, low, close []float64, n int) []float64 {
	return atr(dst, high, low, close, n, false)
}

// LookbackNATR is the number of leading NaNs of NATR(n): n.
func LookbackNATR(n int) int { return max(n, 1) }

// NATR is the normalized ATR, 100·ATR/close (0 where the close is within
// 1e-14 of zero), n ≥ 1.
func NATR(high, low, close []float64, n int) []float64 {
	return atr(make([]float64, len(high)), high, low, close, n, true)
}

// NATRTo is NATR written into dst, which must be as long as high; it returns
// dst.
func NATRTo(dst, high, low, close []float64, n int) []float64 {
	return atr(dst, high, low, close, n, true)
}

func atr(out, high, low, close []float64, n int, norm bool) []float64 {
	s, ok := startBars(out, [][]float64{high, low, close}, n, 1, max(n, 1))
	if !ok {
		return out
	}
	h, l, c, o := high[s:], low[s:], close[s:], out[s:]
	if n == 1 {
		for i := 1; i < len(c); i++ {
			o[i] = natrOut(trueRange(h[i], l[i], c[i-1]), c[i], norm)
		}
		return out
	}
	sum := 0.0
	for i := 1; i <= n; i++ {
		sum += trueRange(h[i], l[i], c[i-1])
	}
	fn, fn1 := float64(n), float64(n-1)
	v := sum / fn
	o[n] = natrOut(v, c[n], norm)
	for i := n + 1; i < len(c); i++ {
		v = float64(v * fn1)
		v += trueRange(h[i], l[i], c[i-1])
		v /= fn
		o[i] = natrOut(v, c[i], norm)
	}
	return out
}

func natrOut(atr, close float64, norm bool) float64 {
	if !norm {
		return atr
	}
	if isZero(close) {
		return 0
	}
	return (atr / close) * 100
}

// ATRStream is the streaming twin of ATR (and of NATR from NewNATRStream).
type ATRStream struct {
	n        int
	norm     bool
	st, base atrState
}

type atrState struct {
	cnt       int
	prevClose float64
	v         float64 // the running TR sum until bar n, then the ATR
}

// NewATRStream returns an ATR(n) stream, n ≥ 1 (smaller n gives NaN).
func NewATRStream(n int) *ATRStream { return &ATRStream{n: n} }

// NewNATRStream returns an NATR(n) stream, n ≥ 1.
func NewNATRStream(n int) *ATRStream { return &ATRStream{n: n, norm: true} }

// Update consumes a new bar.
func (s *ATRStream) Update(high, low, close float64) float64 {
	s.base = s.st
	return s.step(high, low, close)
}

// Revise replaces the newest bar's input.
func (s *ATRStream) Revise(high, low, close float64) float64 {
	if s.st.cnt == 0 {
		return s.Update(high, low, close)
	}
	s.st = s.base
	return s.step(high, low, close)
}

func (s *ATRStream) step(high, low, close float64) float64 {
	st := &s.st
	if s.n < 1 || (st.cnt == 0 && anyNaN(high, low, close)) {
		return math.NaN()
	}
	i := st.cnt
	st.cnt++
	prev := st.prevClose
	st.prevClose = close
	if i == 0 {
		return math.NaN()
	}
	tr := trueRange(high, low, prev)
	switch {
	case s.n == 1:
		return natrOut(tr, close, s.norm)
	case i < s.n:
		st.v += tr
		return math.NaN()
	case i == s.n:
		st.v += tr
		st.v /= float64(s.n)
	default:
		st.v = float64(st.v * float64(s.n-1))
		st.v += tr
		st.v /= float64(s.n)
	}
	return natrOut(st.v, close, s.norm)
}

// stepHigh follows the latest index idx and the value v of the highest
// value in a sliding window of x the way TA-Lib does: a new bar at least as
// high takes over, and the window is rescanned only when the high falls out
// of it. Ties go to the latest bar (AROON depends on that). It moves the
// window to [t, i] (start with idx = −1). It is a function of values, not a
// method, so once inlined the state stays in registers. stepLow is its
// mirror.
func stepHigh(x []float64, t, i, idx int, v float64) (int, float64) {
	if idx < t {
		return rescanHigh(x, t, i)
	}
	if w := x[i]; w >= v {
		return i, w
	}
	return idx, v
}

func rescanHigh(x []float64, t, i int) (idx int, v float64) {
	x = x[t : i+1]
	idx, v = 0, x[0]
	for j, w := range x {
		if w >= v {
			idx, v = j, w
		}
	}
	return t + idx, v
}

func stepLow(x []float64, t, i, idx int, v float64) (int, float64) {
	if idx < t {
		return rescanLow(x, t, i)
	}
	if w := x[i]; w <= v {
		return i, w
	}
	return idx, v
}

func rescanLow(x []float64, t, i int) (idx int, v float64) {
	x = x[t : i+1]
	idx, v = 0, x[0]
	for j, w := range x {
		if w <= v {
			idx, v = j, w
		}
	}
	return t + idx, v
}

// keyBits maps the bits u of a float64 that is not NaN to an int64 of the
// same order (−0 below +0), so window extremes can be taken with integer max
// and min, which compile to CMOV: the comparisons of a random walk's
// extremes are coin flips that a branch predictor loses about one time in
// six.
func keyBits(u uint64) int64 {
	k := int64(u)
	return k ^ int64(uint64(k>>63)>>1)
}

// unkey inverts keyBits.
func unkey(k int64) float64 { return math.Float64frombits(uint64(k ^ int64(uint64(k>>63)>>1))) }

// Outputs of windowExtremes.
const (
	extMid   = iota // (HH + LL)/2: MIDPRICE
	extWillR        // Williams' %R of the close
)

// windowExtremes writes, for each i ≥ n−1, an output of the highest high HH
// and lowest low LL of bars i−n+1..i into o[i]. It is van Herk and
// Gil-Werman's algorithm on keys: within blocks of n bars a running prefix
// extreme, and a suffix extreme of the block before, so a window is one
// prefix and one suffix whatever n is, in three integer max/min per series
// and bar and no data-dependent branch.
//
// Keys order NaN and −0 unlike stepHigh's comparisons, so it reports
// whether h and l held neither (nor a +0, which shares the cheap test); when
// not, o is garbage and the caller computes it with stepHigh and stepLow.
func windowExtremes(o, h, l, c []float64, n, out int) (plain bool) {
	m := len(h)
	// suf holds the suffix extremes of the previous block, with a neutral
	// element at n for the window that is exactly the current block.
	sufH, sufL := make([]int64, n+1), make([]int64, n+1)
	kh, kl := make([]int64, n), make([]int64, n)
	sufH[n], sufL[n] = math.MinInt64, math.MaxInt64
	// chk is the largest (bits<<1)−1 seen: at least zeroOrNaN when any
	// value was ±0 or NaN (the shift drops the sign, and 0−1 wraps).
	const zeroOrNaN = 0xffe0000000000000
	var chk uint64
	for b := 0; b < m; b += n {
		e := min(b+n, m)
		// Every slice of the block as long as hb: no bounds checks below.
		hb := h[b:e]
		w := len(hb)
		lb, ob, khb, klb := l[b:e][:w], o[b:e][:w], kh[:w], kl[:w]
		sh1, sl1 := sufH[1:][:w], sufL[1:][:w]
		var cb []float64
		if out == extWillR {
			cb = c[b:e][:w]
		}
		ph, pl := int64(math.MinInt64), int64(math.MaxInt64)
		for r, v := range hb {
			u1, u2 := math.Float64bits(v), math.Float64bits(lb[r])
			chk = max(chk, u1<<1-1, u2<<1-1)
			k1, k2 := keyBits(u1), keyBits(u2)
			khb[r], klb[r] = k1, k2
			ph, pl = max(ph, k1), min(pl, k2)
			if b+r < n-1 {
				continue
			}
			hh, ll := unkey(max(ph, sh1[r])), unkey(min(pl, sl1[r]))
			if out == extMid {
				ob[r] = (hh + ll) / 2
			} else {
				ob[r] = willR(hh, ll, cb[r])
			}
		}
		sh, sl := int64(math.MinInt64), int64(math.MaxInt64)
		sH, sL := sufH[:w], sufL[:w]
		for r := w - 1; r >= 0; r-- {
			sh, sl = max(sh, khb[r]), min(sl, klb[r])
			sH[r], sL[r] = sh, sl
		}
	}
	return chk < zeroOrNaN
}

// ringExtreme is stepHigh and stepLow for streams: it keeps the last w values in a
// ring and can revise the newest one. Updates are O(1) except when the
// extreme leaves the window or a revision lowers it, which rescans w values.
type ringExtreme struct {
	buf  []float64
	slot int // buf slot of the newest bar
	idx  int // absolute bar index of the extreme
	val  float64
	high bool
}

func newRingExtreme(w int, high bool) ringExtreme {
	return ringExtreme{buf: make([]float64, max(w, 1)), slot: -1, idx: -1, high: high}
}

func (r *ringExtreme) better(v float64) bool {
	if r.high {
		return v >= r.val
	}
	return v <= r.val
}

// set stores bar i's value (the next bar, or a revision of bar i when
// revise) and returns the extreme over bars i−w+1..i.
func (r *ringExtreme) set(i int, v float64, revise bool) float64 {
	w := len(r.buf)
	if !revise {
		if r.slot++; r.slot == w {
			r.slot = 0
		}
	}
	r.buf[r.slot] = v
	switch {
	case r.idx <= i-w || (revise && r.idx == i):
		r.rescan(i)
	case r.better(v):
		r.idx, r.val = i, v
	}
	return r.val
}

func (r *ringExtreme) rescan(i int) {
	w := len(r.buf)
	from := max(i-w+1, 0)
	k := r.slot - (i - from)
	if k < 0 {
		k += w
	}
	r.idx, r.val = from, r.buf[k]
	for j := from + 1; j <= i; j++ {
		if k++; k == w {
			k = 0
		}
		if v := r.buf[k]; r.better(v) {
			r.idx, r.val = j, v
		}
	}
}

// LookbackMIDPRICE is the number of leading NaNs of MIDPRICE(n): n−1.
func LookbackMIDPRICE(n int) int { return n - 1 }

// MIDPRICE is (highest high + lowest low)/2 over the last n ≥ 2 bars.
func MIDPRICE(high, low []float64, n int) []float64 {
	return MIDPRICETo(make([]float64, len(high)), high, low, n)
}

// MIDPRICETo is MIDPRICE written into dst, which must be as long as high; it returns dst.
func MIDPRICETo(dst, high, low []float64, n int) []float64 {
	s, ok := startBars(dst, [][]float64{high, low}, n, 2, n-1)
	if !ok {
		return dst
	}
	h, l, o := high[s:], low[s:], dst[s:]
	if windowExtremes(o, h, l, nil, n, extMid) {
		return dst
	}
	hIdx, lIdx := -1, -1
	var hv, lv float64
	for i := n - 1; i < len(h); i++ {
		hIdx, hv = stepHigh(h, i-n+1, i, hIdx, hv)
		lIdx, lv = stepLow(l, i-n+1, i, lIdx, lv)
		o[i] = (hv + lv) / 2
	}
	return dst
}

// MIDPRICEStream is the streaming twin of MIDPRICE.
type MIDPRICEStream struct {
	n      int
	cnt    int
	hi, lo ringExtreme
}

// NewMIDPRICEStream returns a MIDPRICE(n) stream, n ≥ 2.
func NewMIDPRICEStream(n int) *MIDPRICEStream {
	return &MIDPRICEStream{n: n, hi: newRingExtreme(n, true), lo: newRingExtreme(n, false)}
}

// Update consumes a new bar.
func (s *MIDPRICEStream) Update(high, low float64) float64 {
	if s.n < 2 || (s.cnt == 0 && anyNaN(high, low)) {
		return math.NaN()
	}
	s.cnt++
	return s.step(high, low, false)
}

// Revise replaces the newest bar's input.
func (s *MIDPRICEStream) Revise(high, low float64) float64 {
	if s.cnt == 0 {
		return s.Update(high, low)
	}
	return s.step(high, low, true)
}

func (s *MIDPRICEStream) step(high, low float64, revise bool) float64 {
	i := s.cnt - 1
	h, l := s.hi.set(i, high, revise), s.lo.set(i, low, revise)
	if i < s.n-1 {
		return math.NaN()
	}
	return (h + l) / 2
}

// LookbackMIDPOINT is the number of leading NaNs of MIDPOINT(n): n−1.
func LookbackMIDPOINT(n int) int { return n - 1 }

// MIDPOINT is (highest + lowest)/2 of x over the last n ≥ 2 values.
func MIDPOINT(x []float64, n int) []float64 { return MIDPRICE(x, x, n) }

// MIDPOINTTo is MIDPOINT written into dst, which must be as long as x; it
// returns dst.
func MIDPOINTTo(dst, x []float64, n int) []float64 { return MIDPRICETo(dst, x, x, n) }

// NewMIDPOINTStream returns the streaming twin of MIDPOINT(n): feed the
// value as both high and low.
func NewMIDPOINTStream(n int) *MIDPRICEStream { return NewMIDPRICEStream(n) }

// TYPPRICE is the typical price, (H+L+C)/3.
func TYPPRICE(high, low, close []float64) []float64 {
	return TYPPRICETo(make([]float64, len(high)), high, low, close)
}

// TYPPRICETo is TYPPRICE written into dst, which must be as long as high; it returns dst.
func TYPPRICETo(dst, high, low, close []float64) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close}, 1, 1, 0)
	if !ok {
		return dst
	}
	for i := s; i < len(dst); i++ {
		dst[i] = (high[i] + low[i] + close[i]) / 3
	}
	return dst
}

// AVGPRICE is the average price, (O+H+L+C)/4.
func AVGPRICE(open, high, low, close []float64) []float64 {
	return AVGPRICETo(make([]float64, len(open)), open, high, low, close)
}

// AVGPRICETo is AVGPRICE written into dst, which must be as long as open; it returns dst.
func AVGPRICETo(dst, open, high, low, close []float64) []float64 {
	s, ok := startBars(dst, [][]float64{open, high, low, close}, 1, 1, 0)
	if !ok {
		return dst
	}
	for i := s; i < len(dst); i++ {
		dst[i] = (high[i] + low[i] + close[i] + open[i]) / 4
	}
	return dst
}

// WCLPRICE is the weighted close price, (H+L+2C)/4.
func WCLPRICE(high, low, close []float64) []float64 {
	return WCLPRICETo(make([]float64, len(high)), high, low, close)
}

// WCLPRICETo is WCLPRICE written into dst, which must be as long as high; it returns dst.
func WCLPRICETo(dst, high, low, close []float64) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close}, 1, 1, 0)
	if !ok {
		return dst
	}
	for i := s; i < len(dst); i++ {
		dst[i] = (high[i] + low[i] + close[i]*2) / 4
	}
	return dst
}

// BOP is the balance of power, (C−O)/(H−L), 0 when H−L < 1e-14.
func BOP(open, high, low, close []float64) []float64 {
	return BOPTo(make([]float64, len(open)), open, high, low, close)
}

// BOPTo is BOP written into dst, which must be as long as open; it returns dst.
func BOPTo(dst, open, high, low, close []float64) []float64 {
	s, ok := startBars(dst, [][]float64{open, high, low, close}, 1, 1, 0)
	if !ok {
		return dst
	}
	o := open[s:]
	h, l, c, d := high[s:len(open)], low[s:len(open)], close[s:len(open)], dst[s:len(open)]
	for i, op := range o {
		d[i] = bop(op, h[i], l[i], c[i])
	}
	return dst
}

func bop(open, high, low, close float64) float64 {
	r := high - low
	if r < epsilon {
		return 0
	}
	return (close - open) / r
}

// PriceStream computes one of the per-bar price transforms (typical,
// average, weighted close, BOP) a bar at a time. It keeps no state, so
// Revise is Update; it exists so every indicator has a stream.
type PriceStream struct {
	f func(open, high, low, close float64) float64
}

// NewTYPPRICEStream streams TYPPRICE (open is ignored).
func NewTYPPRICEStream() *PriceStream {
	return &PriceStream{func(_, h, l, c float64) float64 { return (h + l + c) / 3 }}
}

// NewAVGPRICEStream streams AVGPRICE.
func NewAVGPRICEStream() *PriceStream {
	return &PriceStream{func(o, h, l, c float64) float64 { return (h + l + c + o) / 4 }}
}

// NewWCLPRICEStream streams WCLPRICE (open is ignored).
func NewWCLPRICEStream() *PriceStream {
	return &PriceStream{func(_, h, l, c float64) float64 { return (h + l + c*2) / 4 }}
}

// NewBOPStream streams BOP.
func NewBOPStream() *PriceStream { return &PriceStream{bop} }

// Update consumes a new bar.
func (s *PriceStream) Update(open, high, low, close float64) float64 {
	return s.f(open, high, low, close)
}

// Revise replaces the newest bar's input.
func (s *PriceStream) Revise(open, high, low, close float64) float64 {
	return s.f(open, high, low, close)
}

// barStream adapts a stream over several bar fields to Stream.
type barStream struct{ u, r func(in, out []float64) }

func (s barStream) Update(in, out []float64) { s.u(in, out) }
func (s barStream) Revise(in, out []float64) { s.r(in, out) }

// stream2in, stream3in and stream4in adapt one-output streams of 2, 3 and 4
// bar fields.
func stream2in(u, r func(a, b float64) float64) Stream {
	return barStream{
		func(in, out []float64) { out[0] = u(in[0], in[1]) },
		func(in, out []float64) { out[0] = r(in[0], in[1]) },
	}
}

func stream3in(u, r func(a, b, c float64) float64) Stream {
	return barStream{
		func(in, out []float64) { out[0] = u(in[0], in[1], in[2]) },
		func(in, out []float64) { out[0] = r(in[0], in[1], in[2]) },
	}
}

func stream4in(u, r func(a, b, c, d float64) float64) Stream {
	return barStream{
		func(in, out []float64) { out[0] = u(in[0], in[1], in[2], in[3]) },
		func(in, out []float64) { out[0] = r(in[0], in[1], in[2], in[3]) },
	}
}

// one wraps a single batch output.
func one(x []float64) [][]float64 { return [][]float64{x} }

var (
	hlcInputs  = []string{"high", "low", "close"}
	ohlcInputs = []string{"open", "high", "low", "close"}
	hlcvInputs = []string{"high", "low", "close", "volume"}
)

func init() {
	i := func(p []float64, k int) int { return int(p[k]) }
	n := func(def, min float64) []Param { return []Param{PeriodParam("n", def, min)} }
	Register(&Def{
		Name: "trange", Doc: "true range", Inputs: hlcInputs, Outputs: []string{"trange"},
		Lookback: func([]float64) int { return LookbackTRANGE() },
		Batch:    func(in [][]float64, _ []float64) [][]float64 { return one(TRANGE(in[0], in[1], in[2])) },
		Stream: func([]float64) Stream {
			s := NewTRANGEStream()
			return stream3in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "atr", Doc: "Wilder's average true range", Inputs: hlcInputs, Params: n(14, 1), Outputs: []string{"atr"},
		Lookback: func(p []float64) int { return LookbackATR(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(ATR(in[0], in[1], in[2], i(p, 0))) },
		Stream: func(p []float64) Stream {
			s := NewATRStream(i(p, 0))
			return stream3in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "natr", Doc: "ATR in percent of the close", Inputs: hlcInputs, Params: n(14, 1), Outputs: []string{"natr"},
		Lookback: func(p []float64) int { return LookbackNATR(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(NATR(in[0], in[1], in[2], i(p, 0))) },
		Stream: func(p []float64) Stream {
			s := NewNATRStream(i(p, 0))
			return stream3in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "midprice", Doc: "(highest high + lowest low)/2", Inputs: []string{"high", "low"}, Params: n(14, 2),
		Outputs:  []string{"midprice"},
		Lookback: func(p []float64) int { return LookbackMIDPRICE(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(MIDPRICE(in[0], in[1], i(p, 0))) },
		Stream: func(p []float64) Stream {
			s := NewMIDPRICEStream(i(p, 0))
			return stream2in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "midpoint", Doc: "(highest + lowest)/2 of one series", Inputs: []string{"close"}, Params: n(14, 2),
		Outputs:  []string{"midpoint"},
		Lookback: func(p []float64) int { return LookbackMIDPOINT(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(MIDPOINT(in[0], i(p, 0))) },
		Stream: func(p []float64) Stream {
			s := NewMIDPOINTStream(i(p, 0))
			return stream1{func(x float64) float64 { return s.Update(x, x) }, func(x float64) float64 { return s.Revise(x, x) }}
		},
	})
	price := func(name, doc string, inputs []string, batch func(in [][]float64) []float64, mk func() *PriceStream) {
		Register(&Def{
			Name: name, Doc: doc, Inputs: inputs, Outputs: []string{name},
			Lookback: func([]float64) int { return 0 },
			Batch:    func(in [][]float64, _ []float64) [][]float64 { return one(batch(in)) },
			Stream: func([]float64) Stream {
				s := mk()
				if len(inputs) == 3 { // high, low, close: no open
					return barStream{
						func(in, out []float64) { out[0] = s.Update(0, in[0], in[1], in[2]) },
						func(in, out []float64) { out[0] = s.Revise(0, in[0], in[1], in[2]) },
					}
				}
				return stream4in(s.Update, s.Revise)
			},
		})
	}
	price("typprice", "typical price (H+L+C)/3", hlcInputs,
		func(in [][]float64) []float64 { return TYPPRICE(in[0], in[1], in[2]) }, NewTYPPRICEStream)
	price("avgprice", "average price (O+H+L+C)/4", ohlcInputs,
		func(in [][]float64) []float64 { return AVGPRICE(in[0], in[1], in[2], in[3]) }, NewAVGPRICEStream)
	price("wclprice", "weighted close price (H+L+2C)/4", hlcInputs,
		func(in [][]float64) []float64 { return WCLPRICE(in[0], in[1], in[2]) }, NewWCLPRICEStream)
	price("bop", "balance of power (C-O)/(H-L)", ohlcInputs,
		func(in [][]float64) []float64 { return BOP(in[0], in[1], in[2], in[3]) }, NewBOPStream)
}
