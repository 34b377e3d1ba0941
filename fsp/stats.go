package fsp

import "math"

// Statistics over a window: STDDEV, BBANDS, LINEARREG, LINEARREG_SLOPE.

// varWin is TA-Lib's one-pass window variance: running Σx and Σx², the mean
// and mean of squares taken before the oldest value leaves.
type varWin struct {
	cnt, pos int
	t1, t2   float64
}

// step adds x (buf holds the last n inputs) and returns the mean and the
// population variance once n values are in.
func (w *varWin) step(x float64, buf []float64) (mean, variance float64, ok bool) {
	n := len(buf)
	w.cnt++
	buf[w.pos] = x
	if w.pos++; w.pos == n {
		w.pos = 0
	}
	w.t1 += x
	w.t2 += float64(x * x)
	if w.cnt < n {
		return 0, 0, false
	}
	m1 := w.t1 / float64(n)
	m2 := w.t2 / float64(n)
	old := buf[w.pos]
	w.t1 -= old
	w.t2 -= float64(old * old)
	return m1, m2 - float64(m1*m1), true
}

// sigma is TA-Lib's σ: 0 when the variance is below 1e-14.
func sigma(variance float64) float64 {
	if variance < epsilon {
		return 0
	}
	return math.Sqrt(variance)
}

// LookbackSTDDEV is the number of leading NaNs of STDDEV(x, n, k): n-1.
func LookbackSTDDEV(n int) int { return n - 1 }

// STDDEV is k times the population standard deviation of the last n values,
// n ≥ 2, from TA-Lib's running sums (0 when the variance is below 1e-14).
func STDDEV(x []float64, n int, k float64) []float64 {
	return STDDEVTo(make([]float64, len(x)), x, n, k)
}

// STDDEVTo is STDDEV written into dst, which must be as long as x; it returns dst.
func STDDEVTo(dst, x []float64, n int, k float64) []float64 {
	s, ok := start(dst, x, n, 2, n-1)
	if !ok {
		return dst
	}
	o := dst[s:]
	varBatch(x[s:], n, nil, o)
	for i := n - 1; i < len(o); i++ {
		o[i] = sigma(o[i]) * k
	}
	return dst
}

// varBatch is varWin.step over a whole slice: it writes each bar's mean and
// variance from bar n-1 on into mean and vars (mean may be nil).
func varBatch(x []float64, n int, mean, vars []float64) {
	t1, t2 := 0.0, 0.0
	for _, v := range x[:n-1] {
		t1 += v
		t2 += float64(v * v)
	}
	fn := float64(n)
	for i := n - 1; i < len(x); i++ {
		v := x[i]
		t1 += v
		t2 += float64(v * v)
		m1 := t1 / fn
		m2 := t2 / fn
		old := x[i-n+1]
		t1 -= old
		t2 -= float64(old * old)
		if mean != nil {
			mean[i] = m1
		}
		vars[i] = m2 - float64(m1*m1)
	}
}

// LookbackBBANDS is the number of leading NaNs of every BBANDS output: n-1.
func LookbackBBANDS(n int) int { return n - 1 }

// BBANDS are Bollinger bands over an SMA(n) middle: middle ± up·σ and
// middle − down·σ, σ the population standard deviation from TA-Lib's one-pass
// variance (within ~1e-6 absolute of a two-pass σ at BTC prices), n ≥ 2.
func BBANDS(x []float64, n int, up, down float64) (upper, middle, lower []float64) {
	m := len(x)
	return BBANDSTo(make([]float64, m), make([]float64, m), make([]float64, m), x, n, up, down)
}

// BBANDSTo is BBANDS written into upper, middle and lower, which must be as
// long as x; it returns them.
func BBANDSTo(upper, middle, lower, x []float64, n int, up, down float64) ([]float64, []float64, []float64) {
	checkDst(upper, len(x))
	checkDst(lower, len(x))
	s, ok := start(middle, x, n, 2, n-1)
	if !ok {
		return fillNaN(upper, len(x)), middle, fillNaN(lower, len(x))
	}
	fillNaN(upper, s+n-1)
	fillNaN(lower, s+n-1)
	u, m, l := upper[s:], middle[s:], lower[s:]
	varBatch(x[s:], n, m, u)
	for i := n - 1; i < len(u); i++ {
		u[i], _, l[i] = bands(m[i], u[i], up, down)
	}
	return upper, middle, lower
}

func bands(m, variance, up, down float64) (float64, float64, float64) {
	sd := sigma(variance)
	return m + float64(up*sd), m, m - float64(down*sd)
}

// VarStream is the streaming twin of STDDEV (Update) and BBANDS (Bands).
type VarStream struct {
	buf      []float64
	k, dn    float64
	st, base varWin
	any      bool
}

// NewSTDDEVStream returns a STDDEV(n, k) stream.
func NewSTDDEVStream(n int, k float64) *VarStream {
	return &VarStream{buf: make([]float64, max(n, 0)), k: k}
}

// NewBBANDSStream returns a BBANDS(n, up, down) stream; read it with Bands
// and ReviseBands.
func NewBBANDSStream(n int, up, down float64) *VarStream {
	return &VarStream{buf: make([]float64, max(n, 0)), k: up, dn: down}
}

func (s *VarStream) step(x float64) (m, v float64, ok bool) {
	if len(s.buf) < 2 || (s.st.cnt == 0 && x != x) {
		return 0, 0, false
	}
	return s.st.step(x, s.buf)
}

func (s *VarStream) rollback() bool {
	if !s.any {
		s.any = true
		return false
	}
	s.st = s.base
	return true
}

// Update consumes a new bar and returns STDDEV.
func (s *VarStream) Update(x float64) float64 {
	s.base, s.any = s.st, true
	if _, v, ok := s.step(x); ok {
		return sigma(v) * s.k
	}
	return math.NaN()
}

// Revise replaces the newest bar's input and returns STDDEV.
func (s *VarStream) Revise(x float64) float64 {
	if !s.rollback() {
		s.base = s.st
	}
	if _, v, ok := s.step(x); ok {
		return sigma(v) * s.k
	}
	return math.NaN()
}

// Bands consumes a new bar and returns the upper, middle and lower band.
func (s *VarStream) Bands(x float64) (upper, middle, lower float64) {
	s.base, s.any = s.st, true
	return s.bands(x)
}

// ReviseBands replaces the newest bar's input and returns the bands.
func (s *VarStream) ReviseBands(x float64) (upper, middle, lower float64) {
	if !s.rollback() {
		s.base = s.st
	}
	return s.bands(x)
}

func (s *VarStream) bands(x float64) (float64, float64, float64) {
	if m, v, ok := s.step(x); ok {
		return bands(m, v, s.k, s.dn)
	}
	nan := math.NaN()
	return nan, nan, nan
}

// linreg is the least-squares line over the last n values with x = bars ago
// (TA-Lib's formulation). The sums are kept incrementally and recomputed from
// the window, in TA-Lib's order, every n bars so rounding cannot drift.
type linreg struct {
	cnt, pos    int
	sumY, sumXY float64
}

// step adds v (buf holds the last n+1 inputs) and returns the slope per bar
// and the line's value at the newest bar.
func (l *linreg) step(v float64, buf []float64) (slope, value float64, ok bool) {
	n := len(buf) - 1
	c := len(buf)
	t := l.cnt
	l.cnt++
	buf[l.pos] = v
	newest := l.pos
	if l.pos++; l.pos == c {
		l.pos = 0
	}
	if t < n-1 {
		return 0, 0, false
	}
	if (t-(n-1))%n == 0 {
		l.sumY, l.sumXY = 0, 0
		for i := n - 1; i >= 0; i-- {
			y := buf[(newest-i+c)%c]
			l.sumY += y
			l.sumXY += float64(float64(i) * y)
		}
	} else {
		d := buf[l.pos] // the value n bars ago, leaving the window
		l.sumXY = l.sumXY + l.sumY - float64(float64(n)*d)
		l.sumY = l.sumY - d + v
	}
	fn := float64(n)
	sumX := fn * (fn - 1) * 0.5
	sumXSqr := float64(n * (n - 1) * (2*n - 1) / 6)
	div := float64(sumX*sumX) - float64(fn*sumXSqr)
	m := (float64(fn*l.sumXY) - float64(sumX*l.sumY)) / div
	b := (l.sumY - float64(m*sumX)) / fn
	return m, b + float64(m*(fn-1)), true
}

// LookbackLINEARREG is the number of leading NaNs of LINEARREG and
// LINEARREG_SLOPE: n-1.
func LookbackLINEARREG(n int) int { return n - 1 }

// LINEARREG is the value at the newest bar of the least-squares line through
// the last n values, n ≥ 2.
func LINEARREG(x []float64, n int) []float64 {
	return linregBatch(make([]float64, len(x)), x, n, false)
}

// LINEARREGTo is LINEARREG written into dst, which must be as long as x; it
// returns dst.
func LINEARREGTo(dst, x []float64, n int) []float64 { return linregBatch(dst, x, n, false) }

// LINEARREG_SLOPE is the slope per bar of that line, n ≥ 2.
func LINEARREG_SLOPE(x []float64, n int) []float64 {
	return linregBatch(make([]float64, len(x)), x, n, true)
}

// LINEARREG_SLOPETo is LINEARREG_SLOPE written into dst, which must be as
// long as x; it returns dst.
func LINEARREG_SLOPETo(dst, x []float64, n int) []float64 { return linregBatch(dst, x, n, true) }

// linregBatch is linreg.step over a whole slice.
func linregBatch(dst, x []float64, n int, slope bool) []float64 {
	s, ok := start(dst, x, n, 2, n-1)
	if !ok {
		return dst
	}
	x, o := x[s:], dst[s:]
	fn := float64(n)
	sumX := fn * (fn - 1) * 0.5
	sumXSqr := float64(n * (n - 1) * (2*n - 1) / 6)
	div := float64(sumX*sumX) - float64(fn*sumXSqr)
	var sumY, sumXY float64
	next := n - 1 // the next bar whose sums are recomputed
	for t := n - 1; t < len(x); t++ {
		if t == next {
			sumY, sumXY = 0, 0
			for i := n - 1; i >= 0; i-- {
				y := x[t-i]
				sumY += y
				sumXY += float64(float64(i) * y)
			}
			next += n
		} else {
			d := x[t-n]
			sumXY = sumXY + sumY - float64(fn*d)
			sumY = sumY - d + x[t]
		}
		m := (float64(fn*sumXY) - float64(sumX*sumY)) / div
		if slope {
			o[t] = m
		} else {
			b := (sumY - float64(m*sumX)) / fn
			o[t] = b + float64(m*(fn-1))
		}
	}
	return dst
}

// LinRegStream is the streaming twin of LINEARREG and LINEARREG_SLOPE.
type LinRegStream struct {
	slope    bool
	buf      []float64
	st, base linreg
	any      bool
}

// NewLINEARREGStream returns a LINEARREG(n) stream.
func NewLINEARREGStream(n int) *LinRegStream {
	return &LinRegStream{buf: make([]float64, max(n+1, 1))}
}

// NewLINEARREGSlopeStream returns a LINEARREG_SLOPE(n) stream.
func NewLINEARREGSlopeStream(n int) *LinRegStream {
	s := NewLINEARREGStream(n)
	s.slope = true
	return s
}

// Update consumes a new bar.
func (s *LinRegStream) Update(x float64) float64 {
	s.base, s.any = s.st, true
	return s.step(x)
}

// Revise replaces the newest bar's input.
func (s *LinRegStream) Revise(x float64) float64 {
	if !s.any {
		return s.Update(x)
	}
	s.st = s.base
	return s.step(x)
}

func (s *LinRegStream) step(x float64) float64 {
	if len(s.buf) < 3 || (s.st.cnt == 0 && x != x) {
		return math.NaN()
	}
	m, v, ok := s.st.step(x, s.buf)
	switch {
	case !ok:
		return math.NaN()
	case s.slope:
		return m
	}
	return v
}
