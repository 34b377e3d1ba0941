package fsp

import (
	"fmt"
	"math"
)

// Moving averages: SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, T3. Every loop
// keeps TA-Lib's running sums and operation order, so the values are
// TA-Lib's; each stream repeats the batch loop's operations one bar at a time.
// Products added to something are wrapped in float64(...): an explicit
// conversion rounds, so no platform fuses them into an FMA (arm64 would) and
// the numbers are the same everywhere.

// firstValid is the index of the first non-NaN value, len(x) if none.
func firstValid(x []float64) int {
	for i, v := range x {
		if v == v {
			return i
		}
	}
	return len(x)
}

// checkDst panics unless a destination is as long as the input: like
// gonum's length checks, a wrong length is a mistake in the calling code,
// not bad data.
func checkDst(dst []float64, n int) {
	if len(dst) != n {
		panic(fmt.Sprintf("fsp: destination has length %d, input %d", len(dst), n))
	}
}

// fillNaN sets the first k values of dst (all when k ≥ len(dst)) to NaN
// and returns dst; the rest is left for the caller to fill.
func fillNaN(dst []float64, k int) []float64 {
	nan := math.NaN()
	for i := range dst[:min(k, len(dst))] {
		dst[i] = nan
	}
	return dst
}

// newOut returns an output of length n whose first k values are NaN.
func newOut(n, k int) []float64 { return fillNaN(make([]float64, n), k) }

// start checks dst against x and returns the first valid input index s, with
// dst NaN before s+lookback, or ok = false (dst all NaN) when n is out of
// range or fewer than lookback+1 values follow s.
func start(dst, x []float64, n, minN, lookback int) (s int, ok bool) {
	checkDst(dst, len(x))
	s = firstValid(x)
	if n < minN || len(x)-s <= lookback {
		fillNaN(dst, len(x))
		return s, false
	}
	fillNaN(dst, s+lookback)
	return s, true
}

// LookbackSMA is the number of leading NaNs of SMA(x, n): n-1.
func LookbackSMA(n int) int { return n - 1 }

// SMA is the simple moving average of the last n values, n ≥ 1.
func SMA(x []float64, n int) []float64 {
	return SMATo(make([]float64, len(x)), x, n)
}

// SMATo is SMA written into dst, which must be as long as x; it returns dst.
func SMATo(dst, x []float64, n int) []float64 {
	s, ok := start(dst, x, n, 1, n-1)
	if !ok {
		return dst
	}
	x, o := x[s:], dst[s:]
	total := 0.0
	for _, v := range x[:n-1] {
		total += v
	}
	fn := float64(n)
	for i := n - 1; i < len(x); i++ {
		t := total + x[i]
		total = t - x[i-n+1]
		o[i] = t / fn
	}
	return dst
}

// SMAStream is the streaming twin of SMA.
type SMAStream struct {
	n        int // math.MaxInt for a bad n: every output is then NaN
	fn       float64
	buf      []float64 // the last n inputs, zeros before the first n
	st, base smaState  // base is the state before the newest bar, for Revise
}

type smaState struct {
	cnt, pos int
	total    float64
}

// NewSMAStream returns an SMA(n) stream, n ≥ 1 (smaller n gives NaN).
func NewSMAStream(n int) *SMAStream {
	s := &SMAStream{n: n, fn: float64(n), buf: make([]float64, max(n, 1))}
	if n < 1 {
		s.n = math.MaxInt
	}
	return s
}

// Update consumes a new bar. Warm-up takes the steady path too: the slot
// leaving the window holds a zero until n bars are in, and t − 0 is t, so
// the running sum is the batch's Σ bit for bit with no branch to a
// separate warm-up function.
func (s *SMAStream) Update(x float64) float64 {
	s.base = s.st
	st := &s.st
	if st.cnt == 0 && x != x {
		return math.NaN()
	}
	st.cnt++
	p := st.pos
	s.buf[p] = x
	if p++; p == len(s.buf) {
		p = 0
	}
	st.pos = p
	t := st.total + x
	st.total = t - s.buf[p]
	if st.cnt < s.n {
		return math.NaN()
	}
	return t / s.fn
}

// Revise replaces the newest bar's input.
func (s *SMAStream) Revise(x float64) float64 {
	s.st = s.base
	return s.Update(x)
}

// LookbackEMA is the number of leading NaNs of EMA(x, n): n-1.
func LookbackEMA(n int) int { return n - 1 }

// EMA is the exponential moving average with k = 2/(n+1), seeded with the SMA
// of the first n values (TA-Lib's default), n ≥ 1.
func EMA(x []float64, n int) []float64 {
	return EMATo(make([]float64, len(x)), x, n)
}

// EMATo is EMA written into dst, which must be as long as x; it returns dst.
func EMATo(dst, x []float64, n int) []float64 {
	s, ok := start(dst, x, n, 1, n-1)
	if !ok {
		return dst
	}
	emaInto(dst[s:], x[s:], n, 2/float64(n+1))
	return dst
}

// emaInto writes the SMA-seeded EMA of x into o[n-1:].
func emaInto(o, x []float64, n int, k float64) {
	sum := 0.0
	for _, v := range x[:n] {
		sum += v
	}
	prev := sum / float64(n)
	o = o[:len(x)]
	o[n-1] = prev
	for i := n; i < len(x); i++ {
		prev = float64((x[i]-prev)*k) + prev
		o[i] = prev
	}
}

// EMAStream is the streaming twin of EMA.
type EMAStream struct {
	n        int
	k        float64
	st, base emaState
	any      bool
}

type emaState struct {
	cnt       int
	sum, prev float64
}

// NewEMAStream returns an EMA(n) stream, n ≥ 1.
func NewEMAStream(n int) *EMAStream { return &EMAStream{n: n, k: 2 / float64(n+1)} }

// Update consumes a new bar.
func (s *EMAStream) Update(x float64) float64 {
	s.base, s.any = s.st, true
	st := &s.st
	if st.cnt < s.n || s.n < 1 {
		return s.warm(x)
	}
	st.prev = float64((x-st.prev)*s.k) + st.prev
	return st.prev
}

// Revise replaces the newest bar's input.
func (s *EMAStream) Revise(x float64) float64 {
	if s.any {
		s.st = s.base
	}
	return s.Update(x)
}

// warm consumes the bars up to the seed, the SMA of the first n.
func (s *EMAStream) warm(x float64) float64 {
	st := &s.st
	if s.n < 1 || (st.cnt == 0 && x != x) {
		return math.NaN()
	}
	st.cnt++
	st.sum += x
	if st.cnt < s.n {
		return math.NaN()
	}
	st.prev = st.sum / float64(s.n)
	return st.prev
}

// LookbackWMA is the number of leading NaNs of WMA(x, n): n-1.
func LookbackWMA(n int) int { return n - 1 }

// WMA is the linearly weighted moving average (weights 1..n, newest heaviest),
// n ≥ 1.
func WMA(x []float64, n int) []float64 {
	return WMATo(make([]float64, len(x)), x, n)
}

// WMATo is WMA written into dst, which must be as long as x; it returns dst.
func WMATo(dst, x []float64, n int) []float64 {
	s, ok := start(dst, x, n, 1, n-1)
	if !ok {
		return dst
	}
	x, o := x[s:], dst[s:]
	if n == 1 {
		copy(o, x)
		return dst
	}
	div := float64(n * (n + 1) / 2)
	fn := float64(n)
	sum, sub := 0.0, 0.0
	for i, v := range x[:n-1] {
		sub += v
		sum += float64(v * float64(i+1))
	}
	trail := 0.0
	for i := n - 1; i < len(x); i++ {
		v := x[i]
		sub += v
		sub -= trail
		sum += float64(v * fn)
		trail = x[i-n+1]
		o[i] = sum / div
		sum -= sub
	}
	return dst
}

// WMAStream is the streaming twin of WMA.
type WMAStream struct {
	n        int
	buf      []float64
	st, base wmaState
	any      bool
}

type wmaState struct {
	cnt, pos        int
	sum, sub, trail float64
}

// NewWMAStream returns a WMA(n) stream, n ≥ 1.
func NewWMAStream(n int) *WMAStream { return &WMAStream{n: n, buf: make([]float64, max(n, 1))} }

// Update consumes a new bar.
func (s *WMAStream) Update(x float64) float64 {
	s.base, s.any = s.st, true
	return s.step(x)
}

// Revise replaces the newest bar's input.
func (s *WMAStream) Revise(x float64) float64 {
	if !s.any {
		return s.Update(x)
	}
	s.st = s.base
	return s.step(x)
}

func (s *WMAStream) step(x float64) float64 {
	st := &s.st
	if s.n < 1 || (st.cnt == 0 && x != x) {
		return math.NaN()
	}
	if s.n == 1 {
		return x
	}
	st.cnt++
	s.buf[st.pos] = x
	if st.pos++; st.pos == s.n {
		st.pos = 0
	}
	if st.cnt < s.n {
		st.sub += x
		st.sum += float64(x * float64(st.cnt))
		return math.NaN()
	}
	st.sub += x
	st.sub -= st.trail
	st.sum += float64(x * float64(s.n))
	st.trail = s.buf[st.pos]
	out := st.sum / float64(s.n*(s.n+1)/2)
	st.sum -= st.sub
	return out
}

// LookbackDEMA is the number of leading NaNs of DEMA(x, n): 2(n-1).
func LookbackDEMA(n int) int { return 2 * (n - 1) }

// DEMA is the double EMA 2·E1 − E2 with E2 = EMA(E1), each EMA SMA-seeded on
// the first n values of its own input, n ≥ 1.
func DEMA(x []float64, n int) []float64 {
	return DEMATo(make([]float64, len(x)), x, n)
}

// DEMATo is DEMA written into dst, which must be as long as x; it returns
// dst. It allocates the first EMA.
func DEMATo(dst, x []float64, n int) []float64 {
	e1 := EMA(x, n)
	e2 := EMATo(dst, e1, n)
	for i, v := range e2 {
		e2[i] = 2*e1[i] - v
	}
	return e2
}

// DEMAStream is the streaming twin of DEMA.
type DEMAStream struct{ e1, e2 *EMAStream }

// NewDEMAStream returns a DEMA(n) stream.
func NewDEMAStream(n int) *DEMAStream {
	return &DEMAStream{NewEMAStream(n), NewEMAStream(n)}
}

// Update consumes a new bar.
func (s *DEMAStream) Update(x float64) float64 {
	a := s.e1.Update(x)
	return 2*a - s.e2.Update(a)
}

// Revise replaces the newest bar's input.
func (s *DEMAStream) Revise(x float64) float64 {
	a := s.e1.Revise(x)
	return 2*a - s.e2.Revise(a)
}

// LookbackTEMA is the number of leading NaNs of TEMA(x, n): 3(n-1).
func LookbackTEMA(n int) int { return 3 * (n - 1) }

// TEMA is the triple EMA 3·E1 − 3·E2 + E3 with chained SMA-seeded EMAs, n ≥ 1.
func TEMA(x []float64, n int) []float64 {
	return TEMATo(make([]float64, len(x)), x, n)
}

// TEMATo is TEMA written into dst, which must be as long as x; it returns
// dst. It allocates the first two EMAs.
func TEMATo(dst, x []float64, n int) []float64 {
	e1 := EMA(x, n)
	e2 := EMA(e1, n)
	e3 := EMATo(dst, e2, n)
	for i, v := range e3 {
		e3[i] = (float64(3*e1[i]) - float64(3*e2[i])) + v
	}
	return e3
}

// TEMAStream is the streaming twin of TEMA.
type TEMAStream struct{ e1, e2, e3 *EMAStream }

// NewTEMAStream returns a TEMA(n) stream.
func NewTEMAStream(n int) *TEMAStream {
	return &TEMAStream{NewEMAStream(n), NewEMAStream(n), NewEMAStream(n)}
}

// Update consumes a new bar.
func (s *TEMAStream) Update(x float64) float64 {
	a := s.e1.Update(x)
	b := s.e2.Update(a)
	return (float64(3*a) - float64(3*b)) + s.e3.Update(b)
}

// Revise replaces the newest bar's input.
func (s *TEMAStream) Revise(x float64) float64 {
	a := s.e1.Revise(x)
	b := s.e2.Revise(a)
	return (float64(3*a) - float64(3*b)) + s.e3.Revise(b)
}

// trimaSplit gives the two SMA lengths whose composition is TRIMA(n).
func trimaSplit(n int) (int, int) {
	if n%2 == 0 {
		return n/2 + 1, n / 2
	}
	return (n + 1) / 2, (n + 1) / 2
}

// LookbackTRIMA is the number of leading NaNs of TRIMA(x, n): n-1.
func LookbackTRIMA(n int) int { return n - 1 }

// TRIMA is the triangular moving average (weights 1,2,..,2,1), computed as
// an SMA of an SMA; within 1e-14 relative of TA-Lib's running sums, n ≥ 1.
func TRIMA(x []float64, n int) []float64 {
	return TRIMATo(make([]float64, len(x)), x, n)
}

// TRIMATo is TRIMA written into dst, which must be as long as x; it returns
// dst. It allocates the inner SMA.
func TRIMATo(dst, x []float64, n int) []float64 {
	checkDst(dst, len(x))
	if n < 1 {
		return fillNaN(dst, len(dst))
	}
	a, b := trimaSplit(n)
	return SMATo(dst, SMA(x, a), b)
}

// TRIMAStream is the streaming twin of TRIMA.
type TRIMAStream struct{ a, b *SMAStream }

// NewTRIMAStream returns a TRIMA(n) stream.
func NewTRIMAStream(n int) *TRIMAStream {
	if n < 1 {
		return &TRIMAStream{NewSMAStream(0), NewSMAStream(0)}
	}
	a, b := trimaSplit(n)
	return &TRIMAStream{NewSMAStream(a), NewSMAStream(b)}
}

// Update consumes a new bar.
func (s *TRIMAStream) Update(x float64) float64 { return s.b.Update(s.a.Update(x)) }

// Revise replaces the newest bar's input.
func (s *TRIMAStream) Revise(x float64) float64 { return s.b.Revise(s.a.Revise(x)) }

// TA-Lib's KAMA smoothing constants are fixed at EMA(2) and EMA(30) whatever
// the period.
const (
	kamaSlow = 2.0 / (30.0 + 1.0)
	kamaDiff = 2.0/(2.0+1.0) - kamaSlow
	epsilon  = 1e-14 // TA-Lib's TA_EPSILON for its zero tests
)

func isZero(v float64) bool { return -epsilon < v && v < epsilon }

// kamaSC is the squared smoothing constant for the efficiency ratio of a move
// roc over a path of length sum.
func kamaSC(roc, sum float64) float64 {
	er := 1.0
	if !(sum <= roc || isZero(sum)) {
		er = math.Abs(roc / sum)
	}
	er = float64(er*kamaDiff) + kamaSlow
	return er * er
}

// LookbackKAMA is the number of leading NaNs of KAMA(x, n): n.
func LookbackKAMA(n int) int { return n }

// KAMA is Kaufman's adaptive moving average over an efficiency window of n
// bars, seeded with the value before the first output, n ≥ 1.
func KAMA(x []float64, n int) []float64 {
	return KAMATo(make([]float64, len(x)), x, n)
}

// KAMATo is KAMA written into dst, which must be as long as x; it returns dst.
func KAMATo(dst, x []float64, n int) []float64 {
	s, ok := start(dst, x, n, 1, n)
	if !ok {
		return dst
	}
	x, o := x[s:], dst[s:]
	sum := 0.0
	for i := 0; i < n; i++ {
		sum += math.Abs(x[i] - x[i+1])
	}
	prev := x[n-1]
	trail := x[0]
	prev = float64((x[n]-prev)*kamaSC(x[n]-x[0], sum)) + prev
	o[n] = prev
	for i := n + 1; i < len(x); i++ {
		v, t := x[i], x[i-n]
		sum -= math.Abs(trail - t)
		sum += math.Abs(v - x[i-1])
		trail = t
		prev = float64((v-prev)*kamaSC(v-t, sum)) + prev
		o[i] = prev
	}
	return dst
}

// KAMAStream is the streaming twin of KAMA.
type KAMAStream struct {
	n        int
	buf      []float64 // the last n+1 inputs
	st, base kamaState
	any      bool
}

type kamaState struct {
	cnt, pos               int
	sum, kama, last, trail float64
}

// NewKAMAStream returns a KAMA(n) stream.
func NewKAMAStream(n int) *KAMAStream { return &KAMAStream{n: n, buf: make([]float64, max(n+1, 1))} }

// Update consumes a new bar.
func (s *KAMAStream) Update(x float64) float64 {
	s.base, s.any = s.st, true
	return s.step(x)
}

// Revise replaces the newest bar's input.
func (s *KAMAStream) Revise(x float64) float64 {
	if !s.any {
		return s.Update(x)
	}
	s.st = s.base
	return s.step(x)
}

func (s *KAMAStream) step(x float64) float64 {
	st := &s.st
	if s.n < 1 || (st.cnt == 0 && x != x) {
		return math.NaN()
	}
	i := st.cnt // this bar's index since the first valid one
	st.cnt++
	s.buf[st.pos] = x
	if st.pos++; st.pos == len(s.buf) {
		st.pos = 0
	}
	last := st.last
	st.last = x
	switch {
	case i == 0:
		return math.NaN()
	case i < s.n:
		st.sum += math.Abs(last - x)
		return math.NaN()
	case i == s.n:
		st.sum += math.Abs(last - x)
		t := s.buf[st.pos]
		st.trail = t
		st.kama = float64((x-last)*kamaSC(x-t, st.sum)) + last
		return st.kama
	}
	t := s.buf[st.pos]
	st.sum -= math.Abs(st.trail - t)
	st.sum += math.Abs(x - last)
	st.trail = t
	st.kama = float64((x-st.kama)*kamaSC(x-t, st.sum)) + st.kama
	return st.kama
}

// t3Stage is one of T3's six EMAs: k·x + (1−k)·prev, seeded with the mean of
// its first n inputs.
type t3Stage struct {
	cnt    int
	sum, e float64
}

func (g *t3Stage) step(v float64, n int, k, omk float64) float64 {
	if g.cnt == 0 && v != v {
		return v
	}
	g.cnt++
	switch {
	case g.cnt == 1:
		g.sum = v
	case g.cnt <= n:
		g.sum += v
	default:
		g.e = float64(k*v) + float64(omk*g.e)
		return g.e
	}
	if g.cnt < n {
		return math.NaN()
	}
	g.e = g.sum / float64(n)
	return g.e
}

type t3State struct{ g [6]t3Stage }

// t3Coef are T3's weights of e6, e5, e4, e3 for volume factor v.
func t3Coef(v float64) (c1, c2, c3, c4 float64) {
	v2 := float64(v * v)
	c1 = -float64(v2 * v)
	c2 = 3.0 * (v2 - c1)
	c3 = float64(-6.0*v2) - float64(3.0*(v-c1))
	c4 = 1.0 + float64(3.0*v) - c1 + float64(3.0*v2)
	return
}

func (st *t3State) step(x float64, n int, k, omk, c1, c2, c3, c4 float64) float64 {
	e1 := st.g[0].step(x, n, k, omk)
	e2 := st.g[1].step(e1, n, k, omk)
	e3 := st.g[2].step(e2, n, k, omk)
	e4 := st.g[3].step(e3, n, k, omk)
	e5 := st.g[4].step(e4, n, k, omk)
	e6 := st.g[5].step(e5, n, k, omk)
	return float64(c1*e6) + float64(c2*e5) + float64(c3*e4) + float64(c4*e3)
}

// LookbackT3 is the number of leading NaNs of T3(x, n, v): 6(n-1).
func LookbackT3(n int) int { return 6 * (n - 1) }

// T3 is Tillson's T3: six chained EMA(n)s combined with volume factor v
// (TA-Lib's default 0.7), n ≥ 1, 0 ≤ v ≤ 1.
func T3(x []float64, n int, v float64) []float64 {
	return T3To(make([]float64, len(x)), x, n, v)
}

// T3To is T3 written into dst, which must be as long as x; it returns dst.
func T3To(dst, x []float64, n int, v float64) []float64 {
	s, ok := start(dst, x, n, 1, 6*(n-1))
	if !ok || !(v >= 0 && v <= 1) {
		return fillNaN(dst, len(dst))
	}
	k := 2.0 / (float64(n) + 1.0)
	omk := 1.0 - k
	c1, c2, c3, c4 := t3Coef(v)
	var st t3State
	for i, xv := range x[s:] {
		r := st.step(xv, n, k, omk, c1, c2, c3, c4)
		if i >= 6*(n-1) {
			dst[s+i] = r
		}
	}
	return dst
}

// T3Stream is the streaming twin of T3.
type T3Stream struct {
	n                         int
	k, omk, c1, c2, c3, c4, v float64
	st, base                  t3State
	any                       bool
}

// NewT3Stream returns a T3(n, v) stream.
func NewT3Stream(n int, v float64) *T3Stream {
	k := 2.0 / (float64(n) + 1.0)
	c1, c2, c3, c4 := t3Coef(v)
	return &T3Stream{n: n, k: k, omk: 1.0 - k, c1: c1, c2: c2, c3: c3, c4: c4, v: v}
}

// Update consumes a new bar.
func (s *T3Stream) Update(x float64) float64 {
	s.base, s.any = s.st, true
	return s.step(x)
}

// Revise replaces the newest bar's input.
func (s *T3Stream) Revise(x float64) float64 {
	if !s.any {
		return s.Update(x)
	}
	s.st = s.base
	return s.step(x)
}

func (s *T3Stream) step(x float64) float64 {
	if s.n < 1 || !(s.v >= 0 && s.v <= 1) {
		return math.NaN()
	}
	return s.st.step(x, s.n, s.k, s.omk, s.c1, s.c2, s.c3, s.c4)
}
