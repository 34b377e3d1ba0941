package fsp

import "math"

// Oscillators: slow stochastic, Williams %R, CCI, MFI, ADX with ±DI, AROON,
// AROONOSC, ULTOSC and the parabolic SAR, in TA-Lib's operation order; each
// stream repeats its batch loop one bar at a time.
// Products that are added to or subtracted from something are wrapped in
// float64(...) so that arm64 does not fuse them into an FMA (see ma.go).

// LookbackSTOCH is the number of leading NaNs of both STOCH outputs:
// (fastK−1) + (slowK−1) + (slowD−1).
func LookbackSTOCH(fastK, slowK, slowD int) int { return fastK - 1 + slowK - 1 + slowD - 1 }

// STOCH is the slow stochastic with simple moving averages, TA-Lib's
// STOCH(fastK, slowK, SMA, slowD, SMA): fast %K = (C−LL)/((HH−LL)/100) over
// the last fastK bars (0 when HH = LL), slow %K = SMA(fast %K, slowK),
// slow %D = SMA(slow %K, slowD). Like TA-Lib, both outputs start at the same
// bar although slow %K exists slowD−1 bars earlier. Periods are ≥ 1.
func STOCH(high, low, close []float64, fastK, slowK, slowD int) (k, d []float64) {
	return STOCHTo(make([]float64, len(high)), make([]float64, len(high)), high, low, close, fastK, slowK, slowD)
}

// STOCHTo is STOCH written into k and d, which must be as long as high; it
// returns them.
func STOCHTo(k, d, high, low, close []float64, fastK, slowK, slowD int) ([]float64, []float64) {
	checkDst(k, len(high))
	look := LookbackSTOCH(fastK, slowK, slowD)
	// d holds fast %K until slow %K is computed from it.
	s, ok := startBars(d, [][]float64{high, low, close}, min(fastK, slowK, slowD), 1, look)
	if !ok {
		return fillNaN(k, len(k)), d
	}
	h, l, c, o := high[s:], low[s:], close[s:], d[s:]
	fillNaN(o, fastK-1)
	hIdx, lIdx := -1, -1
	var hv, lv float64
	for i := fastK - 1; i < len(c); i++ {
		hIdx, hv = stepHigh(h, i-fastK+1, i, hIdx, hv)
		lIdx, lv = stepLow(l, i-fastK+1, i, lIdx, lv)
		o[i] = stochK(hv, lv, c[i])
	}
	SMATo(k, d, slowK)
	SMATo(d, k, slowD)
	fillNaN(k, s+look)
	return k, d
}

func stochK(highest, lowest, close float64) float64 {
	if diff := (highest - lowest) / 100; diff != 0 {
		return (close - lowest) / diff
	}
	return 0
}

// STOCHStream is the streaming twin of STOCH.
type STOCHStream struct {
	fastK, look int
	cnt         int
	hi, lo      ringExtreme
	k, d        *SMAStream
}

// NewSTOCHStream returns a STOCH(fastK, slowK, slowD) stream, periods ≥ 1.
func NewSTOCHStream(fastK, slowK, slowD int) *STOCHStream {
	return &STOCHStream{
		fastK: fastK, look: LookbackSTOCH(fastK, slowK, slowD),
		hi: newRingExtreme(fastK, true), lo: newRingExtreme(fastK, false),
		k: NewSMAStream(slowK), d: NewSMAStream(slowD),
	}
}

// Update consumes a new bar and returns slow %K and slow %D.
func (s *STOCHStream) Update(high, low, close float64) (k, d float64) {
	if s.fastK < 1 || (s.cnt == 0 && anyNaN(high, low, close)) {
		return math.NaN(), math.NaN()
	}
	s.cnt++
	return s.step(high, low, close, false)
}

// Revise replaces the newest bar's input.
func (s *STOCHStream) Revise(high, low, close float64) (k, d float64) {
	if s.cnt == 0 {
		return s.Update(high, low, close)
	}
	return s.step(high, low, close, true)
}

func (s *STOCHStream) step(high, low, close float64, revise bool) (k, d float64) {
	i := s.cnt - 1
	hh, ll := s.hi.set(i, high, revise), s.lo.set(i, low, revise)
	fk := math.NaN()
	if i >= s.fastK-1 {
		fk = stochK(hh, ll, close)
	}
	if revise {
		k = s.k.Revise(fk)
		d = s.d.Revise(k)
	} else {
		k = s.k.Update(fk)
		d = s.d.Update(k)
	}
	if i < s.look {
		return math.NaN(), math.NaN()
	}
	return k, d
}

// LookbackWILLR is the number of leading NaNs of WILLR(n): n−1.
func LookbackWILLR(n int) int { return n - 1 }

// WILLR is Williams' %R over the last n ≥ 2 bars, (HH−C)/((HH−LL)/−100),
// 0 when HH = LL.
func WILLR(high, low, close []float64, n int) []float64 {
	return WILLRTo(make([]float64, len(high)), high, low, close, n)
}

// WILLRTo is WILLR written into dst, which must be as long as high; it returns dst.
func WILLRTo(dst, high, low, close []float64, n int) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close}, n, 2, n-1)
	if !ok {
		return dst
	}
	h, l, c, o := high[s:], low[s:], close[s:], dst[s:]
	if windowExtremes(o, h, l, c, n, extWillR) {
		return dst
	}
	hIdx, lIdx := -1, -1
	var hv, lv float64
	for i := n - 1; i < len(c); i++ {
		hIdx, hv = stepHigh(h, i-n+1, i, hIdx, hv)
		lIdx, lv = stepLow(l, i-n+1, i, lIdx, lv)
		o[i] = willR(hv, lv, c[i])
	}
	return dst
}

func willR(highest, lowest, close float64) float64 {
	if diff := (highest - lowest) / -100; diff != 0 {
		return (highest - close) / diff
	}
	return 0
}

// WILLRStream is the streaming twin of WILLR.
type WILLRStream struct {
	n, cnt int
	hi, lo ringExtreme
}

// NewWILLRStream returns a WILLR(n) stream, n ≥ 2.
func NewWILLRStream(n int) *WILLRStream {
	return &WILLRStream{n: n, hi: newRingExtreme(n, true), lo: newRingExtreme(n, false)}
}

// Update consumes a new bar.
func (s *WILLRStream) Update(high, low, close float64) float64 {
	if s.n < 2 || (s.cnt == 0 && anyNaN(high, low, close)) {
		return math.NaN()
	}
	s.cnt++
	return s.step(high, low, close, false)
}

// Revise replaces the newest bar's input.
func (s *WILLRStream) Revise(high, low, close float64) float64 {
	if s.cnt == 0 {
		return s.Update(high, low, close)
	}
	return s.step(high, low, close, true)
}

func (s *WILLRStream) step(high, low, close float64, revise bool) float64 {
	i := s.cnt - 1
	hh, ll := s.hi.set(i, high, revise), s.lo.set(i, low, revise)
	if i < s.n-1 {
		return math.NaN()
	}
	return willR(hh, ll, close)
}

// LookbackCCI is the number of leading NaNs of CCI(n): n−1.
func LookbackCCI(n int) int { return n - 1 }

// CCI is the commodity channel index over n ≥ 2 bars: with TP = (H+L+C)/3,
// (TP − mean TP)/(0.015·mean|TP − mean TP|), 0 when either factor is 0. The
// mean deviation needs every TP of the window, so each bar costs O(n); the
// sums run over TA-Lib's ring buffer in its slot order.
func CCI(high, low, close []float64, n int) []float64 {
	return CCITo(make([]float64, len(high)), high, low, close, n)
}

// CCITo is CCI written into dst, which must be as long as high; it returns dst.
func CCITo(dst, high, low, close []float64, n int) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close}, n, 2, n-1)
	if !ok {
		return dst
	}
	c := close[s:]
	h, l, o := high[s:len(close)], low[s:len(close)], dst[s:len(close)]
	ring := make([]float64, n)
	i := 0
	for ; i < n-1; i++ {
		ring[i] = (h[i] + l[i] + c[i]) / 3
	}
	// Two bars at a time: their sums are independent chains of additions,
	// so interleaving them keeps the adder busy while each keeps TA-Lib's
	// order.
	slot := n - 1
	for ; i+1 < len(c); i += 2 {
		tpA := (h[i] + l[i] + c[i]) / 3
		ring[slot] = tpA
		if slot++; slot == n {
			slot = 0
		}
		tpB := (h[i+1] + l[i+1] + c[i+1]) / 3
		old := ring[slot]
		ring[slot] = tpB
		o[i], o[i+1] = cciPair(ring, slot, old, tpA, tpB)
		if slot++; slot == n {
			slot = 0
		}
	}
	if i < len(c) {
		tp := (h[i] + l[i] + c[i]) / 3
		ring[slot] = tp
		o[i] = cci(ring, tp)
	}
	return dst
}

// cciPair is cci of two consecutive bars: ring holds the second bar's
// window, in which slot s replaced old, the first bar's value there.
func cciPair(ring []float64, s int, old, lastA, lastB float64) (float64, float64) {
	fn := float64(len(ring))
	var a, b float64
	for _, v := range ring[:s] {
		a += v
		b += v
	}
	a += old
	b += ring[s]
	for _, v := range ring[s+1:] {
		a += v
		b += v
	}
	a /= fn
	b /= fn
	var da, db float64
	for _, v := range ring[:s] {
		da += math.Abs(v - a)
		db += math.Abs(v - b)
	}
	da += math.Abs(old - a)
	db += math.Abs(ring[s] - b)
	for _, v := range ring[s+1:] {
		da += math.Abs(v - a)
		db += math.Abs(v - b)
	}
	return cciValue(lastA, a, da, fn), cciValue(lastB, b, db, fn)
}

// cci is the CCI of the window in ring whose newest value is last; the sums
// run in slot order, as TA-Lib's.
func cci(ring []float64, last float64) float64 {
	fn := float64(len(ring))
	avg := 0.0
	for _, v := range ring {
		avg += v
	}
	avg /= fn
	dev := 0.0
	for _, v := range ring {
		dev += math.Abs(v - avg)
	}
	return cciValue(last, avg, dev, fn)
}

func cciValue(last, avg, dev, fn float64) float64 {
	if d := last - avg; d != 0 && dev != 0 {
		return d / (0.015 * (dev / fn))
	}
	return 0
}

// CCIStream is the streaming twin of CCI; each bar costs O(n).
type CCIStream struct {
	n, cnt int
	slot   int // ring slot of the newest bar
	ring   []float64
}

// NewCCIStream returns a CCI(n) stream, n ≥ 2.
func NewCCIStream(n int) *CCIStream { return &CCIStream{n: n, ring: make([]float64, max(n, 1))} }

// Update consumes a new bar.
func (s *CCIStream) Update(high, low, close float64) float64 {
	if s.n < 2 || (s.cnt == 0 && anyNaN(high, low, close)) {
		return math.NaN()
	}
	if s.cnt++; s.cnt > 1 {
		if s.slot++; s.slot == s.n {
			s.slot = 0
		}
	}
	return s.step(high, low, close)
}

// Revise replaces the newest bar's input.
func (s *CCIStream) Revise(high, low, close float64) float64 {
	if s.cnt == 0 {
		return s.Update(high, low, close)
	}
	return s.step(high, low, close)
}

func (s *CCIStream) step(high, low, close float64) float64 {
	i := s.cnt - 1
	tp := (high + low + close) / 3
	s.ring[s.slot] = tp
	if i < s.n-1 {
		return math.NaN()
	}
	return cci(s.ring, tp)
}

// LookbackMFI is the number of leading NaNs of MFI(n): n.
func LookbackMFI(n int) int { return n }

// MFI is the money flow index over the last n ≥ 2 changes of the typical
// price: 100·pos/(pos+neg) of TP·V, where an unchanged TP counts for
// neither, and 0 when pos+neg < 1 (TA-Lib's guard, so tiny volumes print 0).
func MFI(high, low, close, volume []float64, n int) []float64 {
	return MFITo(make([]float64, len(high)), high, low, close, volume, n)
}

// MFITo is MFI written into dst, which must be as long as high; it returns dst.
func MFITo(dst, high, low, close, volume []float64, n int) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close, volume}, n, 2, n)
	if !ok {
		return dst
	}
	c := close[s:]
	h, l, v, o := high[s:len(close)], low[s:len(close)], volume[s:len(close)], dst[s:len(close)]
	pos, neg := make([]float64, n), make([]float64, n)
	var posSum, negSum float64
	prev := (h[0] + l[0] + c[0]) / 3
	slot := 0
	for i := 1; i < len(c); i++ {
		if i > n {
			posSum -= pos[slot]
			negSum -= neg[slot]
		}
		tp := (h[i] + l[i] + c[i]) / 3
		diff := tp - prev
		prev = tp
		pm, nm := mfSplit(float64(tp*v[i]), diff)
		pos[slot], neg[slot] = pm, nm
		posSum += pm
		negSum += nm
		if slot++; slot == n {
			slot = 0
		}
		if i >= n {
			o[i] = mfi(posSum, negSum)
		}
	}
	return dst
}

// mfSplit returns the money flow mf as (positive, negative) flow by the
// sign of the typical price's change diff, +0 for the other side and both
// on no change, without branches: the sign of a random walk's step is a
// coin flip the branch predictor loses half the time (TA-Lib's branches
// cost MFI two thirds of its time). The flows are added to sums that are
// never −0, where adding +0 is TA-Lib's skipped addition bit for bit.
func mfSplit(mf, diff float64) (pos, neg float64) {
	b := math.Float64bits(mf)
	return math.Float64frombits(b & -b2u(diff > 0)), math.Float64frombits(b & -b2u(diff < 0))
}

func mfi(posSum, negSum float64) float64 {
	t := posSum + negSum
	if t < 1 {
		return 0
	}
	return 100 * (posSum / t)
}

// MFIStream is the streaming twin of MFI.
type MFIStream struct {
	n        int
	pos, neg []float64 // ring of n+1 flows, so the bar leaving survives a revision
	st, base mfiState
}

type mfiState struct {
	cnt, slot      int // slot: the ring slot of bar cnt
	prev           float64
	posSum, negSum float64
}

// NewMFIStream returns an MFI(n) stream, n ≥ 2.
func NewMFIStream(n int) *MFIStream {
	return &MFIStream{n: n, pos: make([]float64, max(n+1, 1)), neg: make([]float64, max(n+1, 1))}
}

// Update consumes a new bar.
func (s *MFIStream) Update(high, low, close, volume float64) float64 {
	s.base = s.st
	return s.step(high, low, close, volume)
}

// Revise replaces the newest bar's input.
func (s *MFIStream) Revise(high, low, close, volume float64) float64 {
	if s.st.cnt == 0 {
		return s.Update(high, low, close, volume)
	}
	s.st = s.base
	return s.step(high, low, close, volume)
}

func (s *MFIStream) step(high, low, close, volume float64) float64 {
	st := &s.st
	if s.n < 2 || (st.cnt == 0 && anyNaN(high, low, close, volume)) {
		return math.NaN()
	}
	i := st.cnt
	st.cnt++
	// The ring holds n+1 bars, so the slot after this bar's is bar i−n's.
	slot, old := st.slot, st.slot+1
	if old == len(s.pos) {
		old = 0
	}
	st.slot = old
	tp := (high + low + close) / 3
	if i == 0 {
		st.prev = tp
		return math.NaN()
	}
	if i > s.n {
		st.posSum -= s.pos[old]
		st.negSum -= s.neg[old]
	}
	diff := tp - st.prev
	st.prev = tp
	pm, nm := mfSplit(float64(tp*volume), diff)
	s.pos[slot], s.neg[slot] = pm, nm
	st.posSum += pm
	st.negSum += nm
	if i < s.n {
		return math.NaN()
	}
	return mfi(st.posSum, st.negSum)
}

// LookbackADX is the number of leading NaNs of ADX(n): 2n−1.
func LookbackADX(n int) int { return 2*n - 1 }

// LookbackDI is the number of leading NaNs of PLUS_DI(n) and MINUS_DI(n): n.
func LookbackDI(n int) int { return n }

// ADX is Wilder's average directional index over n ≥ 2 bars, TA-Lib's ADX.
func ADX(high, low, close []float64, n int) []float64 {
	return ADXTo(make([]float64, len(high)), high, low, close, n)
}

// ADXTo is ADX written into dst, which must be as long as high; it returns
// dst.
func ADXTo(dst, high, low, close []float64, n int) []float64 {
	adx, _, _ := dmi(dst, nil, nil, high, low, close, n)
	return adx
}

// PLUS_DI is Wilder's +DI over n ≥ 2 bars (0 while the smoothed TR is within
// 1e-14 of zero).
func PLUS_DI(high, low, close []float64, n int) []float64 {
	return PLUS_DITo(make([]float64, len(high)), high, low, close, n)
}

// PLUS_DITo is PLUS_DI written into dst, which must be as long as high; it
// returns dst.
func PLUS_DITo(dst, high, low, close []float64, n int) []float64 {
	_, p, _ := dmi(nil, dst, nil, high, low, close, n)
	return p
}

// MINUS_DI is Wilder's −DI over n ≥ 2 bars.
func MINUS_DI(high, low, close []float64, n int) []float64 {
	return MINUS_DITo(make([]float64, len(high)), high, low, close, n)
}

// MINUS_DITo is MINUS_DI written into dst, which must be as long as high; it
// returns dst.
func MINUS_DITo(dst, high, low, close []float64, n int) []float64 {
	_, _, m := dmi(nil, nil, dst, high, low, close, n)
	return m
}

// DMI returns ADX, +DI and −DI over n ≥ 2 bars from one pass, each equal to
// the function of that name from bar 2n−1 on. Like TA-Lib's multi-output
// functions, all three start at ADX's first bar (±DI alone start at bar n).
func DMI(high, low, close []float64, n int) (adx, plusDI, minusDI []float64) {
	m := len(high)
	return dmi(make([]float64, m), make([]float64, m), make([]float64, m), high, low, close, n)
}

// DMITo is DMI written into adx, plusDI and minusDI, which must be as long
// as high; it returns them.
func DMITo(adx, plusDI, minusDI, high, low, close []float64, n int) ([]float64, []float64, []float64) {
	return dmi(adx, plusDI, minusDI, high, low, close, n)
}

// dmState is the state of Wilder's directional movement after a bar.
type dmState struct {
	cnt                      int
	prevHigh, prevLow, prevC float64
	plusDM, minusDM, tr      float64
	sumDX, adx               float64
}

// step advances the directional movement by one bar and returns ±DI (NaN
// before bar n) and ADX (NaN before bar 2n−1), in TA-Lib's operation order.
func (st *dmState) step(n int, high, low, close float64) (adx, pdi, mdi float64) {
	i := st.cnt
	st.cnt++
	adx, pdi, mdi = math.NaN(), math.NaN(), math.NaN()
	if i == 0 {
		st.prevHigh, st.prevLow, st.prevC = high, low, close
		return
	}
	diffP := high - st.prevHigh
	diffM := st.prevLow - low
	st.prevHigh, st.prevLow = high, low
	fn := float64(n)
	if i >= n {
		st.minusDM -= st.minusDM / fn
		st.plusDM -= st.plusDM / fn
	}
	if diffM > 0 && diffP < diffM {
		st.minusDM += diffM
	} else if diffP > 0 && diffP > diffM {
		st.plusDM += diffP
	}
	tr := trueRange(high, low, st.prevC)
	if i >= n {
		st.tr = st.tr - st.tr/fn + tr
	} else {
		st.tr += tr
	}
	st.prevC = close
	if i < n {
		return
	}
	pdi, mdi = 0, 0
	dx, okDX := 0.0, false
	if !isZero(st.tr) {
		mdi = float64(100 * (st.minusDM / st.tr))
		pdi = float64(100 * (st.plusDM / st.tr))
		if sum := mdi + pdi; !isZero(sum) {
			dx, okDX = 100*(math.Abs(mdi-pdi)/sum), true
		}
	}
	switch {
	case i < 2*n-1:
		if okDX {
			st.sumDX += dx
		}
		return
	case i == 2*n-1:
		if okDX {
			st.sumDX += dx
		}
		st.adx = st.sumDX / fn
	default:
		if okDX {
			st.adx = (float64(st.adx*(fn-1)) + dx) / fn
		}
	}
	return st.adx, pdi, mdi
}

// dmi computes the outputs given a destination (nil ones are not wanted).
// They start at ADX's first bar when ADX is wanted, else at the DIs' (bar n).
func dmi(adx, pdi, mdi, high, low, close []float64, n int) ([]float64, []float64, []float64) {
	look := LookbackDI(n)
	if adx != nil {
		look = LookbackADX(n)
	}
	var s int
	ok := true
	for _, out := range [3][]float64{adx, pdi, mdi} {
		if out != nil {
			s, ok = startBars(out, [][]float64{high, low, close}, n, 2, look)
		}
	}
	if !ok {
		return adx, pdi, mdi
	}
	// dmState.step's operations with the state in locals (the stream tests
	// hold the two to the same bits), skipping the divisions of a ±DM no
	// wanted output needs: PLUS_DI alone does TA-Lib's three per bar.
	c := close[s:]
	h, l := high[s:len(close)], low[s:len(close)]
	needP, needM := adx != nil || pdi != nil, adx != nil || mdi != nil
	fn, fn1 := float64(n), float64(n-1)
	var plusDM, minusDM, tr, sumDX, adxV float64
	prevH, prevL, prevC := h[0], l[0], c[0]
	for i := 1; i < n && i < len(c); i++ {
		hi, lo := h[i], l[i]
		diffP, diffM := hi-prevH, prevL-lo
		prevH, prevL = hi, lo
		minusDM += dmAdd(diffM, diffM > 0, diffP < diffM)
		plusDM += dmAdd(diffP, diffP > 0, diffP > diffM)
		tr += trueRange(hi, lo, prevC)
		prevC = c[i]
	}
	for i := n; i < len(c); i++ {
		hi, lo := h[i], l[i]
		diffP, diffM := hi-prevH, prevL-lo
		prevH, prevL = hi, lo
		if needM {
			minusDM -= minusDM / fn
		}
		if needP {
			plusDM -= plusDM / fn
		}
		minusDM += dmAdd(diffM, diffM > 0, diffP < diffM)
		plusDM += dmAdd(diffP, diffP > 0, diffP > diffM)
		var trv float64
		if hi-lo >= 0 {
			trv = trueRangeUpright(hi, lo, prevC) // trueRange's value, cheaper
		} else {
			trv = trueRange(hi, lo, prevC)
		}
		tr = tr - tr/fn + trv
		prevC = c[i]
		pdiV, mdiV := 0.0, 0.0
		if !isZero(tr) {
			if needM {
				mdiV = float64(100 * (minusDM / tr))
			}
			if needP {
				pdiV = float64(100 * (plusDM / tr))
			}
		}
		if adx != nil {
			dx, okDX := 0.0, false
			if sum := mdiV + pdiV; !isZero(tr) && !isZero(sum) {
				dx, okDX = 100*(math.Abs(mdiV-pdiV)/sum), true
			}
			switch {
			case i < 2*n-1:
				if okDX {
					sumDX += dx
				}
				continue
			case i == 2*n-1:
				if okDX {
					sumDX += dx
				}
				adxV = sumDX / fn
			case okDX:
				adxV = (float64(adxV*fn1) + dx) / fn
			}
			adx[s+i] = adxV
		}
		if pdi != nil {
			pdi[s+i] = pdiV
		}
		if mdi != nil {
			mdi[s+i] = mdiV
		}
	}
	return adx, pdi, mdi
}

// dmAdd is v where a and b hold and +0 elsewhere, without a branch: which
// of ±DM moves is a coin flip on a random walk, and adding +0 to a ±DM
// (never −0) leaves it bit for bit as TA-Lib's skipped addition does.
func dmAdd(v float64, a, b bool) float64 {
	return math.Float64frombits(math.Float64bits(v) & -(b2u(a) & b2u(b)))
}

// b2u is 1 for true; the compiler makes it a SETcc, not a branch.
func b2u(b bool) uint64 {
	var u uint64
	if b {
		u = 1
	}
	return u
}

// DMIStream is the streaming twin of ADX, PLUS_DI and MINUS_DI at once: its
// ±DI start at bar n like PLUS_DI's (DMI's batch hides them until ADX starts).
type DMIStream struct {
	n        int
	st, base dmState
}

// NewDMIStream returns a DMI(n) stream, n ≥ 2.
func NewDMIStream(n int) *DMIStream { return &DMIStream{n: n} }

// Update consumes a new bar and returns ADX, +DI and −DI.
func (s *DMIStream) Update(high, low, close float64) (adx, plusDI, minusDI float64) {
	if s.n < 2 || (s.st.cnt == 0 && anyNaN(high, low, close)) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s.base = s.st
	return s.st.step(s.n, high, low, close)
}

// Revise replaces the newest bar's input.
func (s *DMIStream) Revise(high, low, close float64) (adx, plusDI, minusDI float64) {
	if s.st.cnt == 0 {
		return s.Update(high, low, close)
	}
	s.st = s.base
	return s.st.step(s.n, high, low, close)
}

// LookbackAROON is the number of leading NaNs of AROON(n) and AROONOSC(n): n.
func LookbackAROON(n int) int { return n }

// AROON returns TA-Lib's AROON over n ≥ 2: (100/n)·(n − bars since the
// highest high, resp. lowest low) over the n+1 bars i−n..i, ties going to
// the latest bar. TA-Lib's output order is down, then up.
func AROON(high, low []float64, n int) (down, up []float64) {
	return AROONTo(make([]float64, len(high)), make([]float64, len(high)), high, low, n)
}

// AROONTo is AROON written into down and up, which must be as long as high;
// it returns them.
func AROONTo(down, up, high, low []float64, n int) ([]float64, []float64) {
	checkDst(down, len(high))
	s, ok := startBars(up, [][]float64{high, low}, n, 2, n)
	if !ok {
		return fillNaN(down, len(down)), up
	}
	fillNaN(down, s+n)
	h, l := high[s:], low[s:len(high)]
	u, d := up[s:len(high)], down[s:len(high)]
	if windowArgExtremes(u, d, h, l, n) {
		return down, up
	}
	hIdx, lIdx := -1, -1
	var hv, lv float64
	factor := 100 / float64(n)
	for i := n; i < len(h); i++ {
		hIdx, hv = stepHigh(h, i-n, i, hIdx, hv)
		lIdx, lv = stepLow(l, i-n, i, lIdx, lv)
		u[i] = factor * float64(n-(i-hIdx))
		d[i] = factor * float64(n-(i-lIdx))
	}
	return down, up
}

// AROONOSC is TA-Lib's AROONOSC, up − down computed as
// (100/n)·(index of the high − index of the low).
func AROONOSC(high, low []float64, n int) []float64 {
	return AROONOSCTo(make([]float64, len(high)), high, low, n)
}

// AROONOSCTo is AROONOSC written into dst, which must be as long as high; it returns dst.
func AROONOSCTo(dst, high, low []float64, n int) []float64 {
	s, ok := startBars(dst, [][]float64{high, low}, n, 2, n)
	if !ok {
		return dst
	}
	h, l := high[s:], low[s:len(high)]
	o := dst[s:len(high)]
	if windowArgExtremes(o, nil, h, l, n) {
		return dst
	}
	hIdx, lIdx := -1, -1
	var hv, lv float64
	factor := 100 / float64(n)
	for i := n; i < len(h); i++ {
		hIdx, hv = stepHigh(h, i-n, i, hIdx, hv)
		lIdx, lv = stepLow(l, i-n, i, lIdx, lv)
		o[i] = factor * float64(hIdx-lIdx)
	}
	return dst
}

// windowArgExtremes is windowExtremes for AROON: over the n+1 bars
// i−n..i it follows the latest index of the highest high and of the lowest
// low, as (key, index) pairs compared lexicographically, and writes AROON up
// and down (or, with down nil, AROONOSC into up) from bar n on. Where the
// window reaches back into the previous block its suffix wins only when
// strictly better, which keeps ties at the latest bar. Like windowExtremes
// it reports false, leaving garbage, when h or l holds a NaN or a zero.
func windowArgExtremes(up, down, h, l []float64, n int) (plain bool) {
	w := n + 1 // bars in a window, and the block length
	m := len(h)
	l, up = l[:m], up[:m]
	if down != nil {
		down = down[:m]
	}
	factor := 100 / float64(n)
	sufH, sufL := make([]int64, w+1), make([]int64, w+1)
	sufHI, sufLI := make([]int, w+1), make([]int, w+1)
	kh, kl := make([]int64, w), make([]int64, w)
	sufH[w], sufL[w] = math.MinInt64, math.MaxInt64
	const zeroOrNaN = 0xffe0000000000000
	var chk uint64
	for b := 0; b < m; b += w {
		e := min(b+w, m)
		hb := h[b:e]
		cnt := len(hb)
		lb, khb, klb := l[b:e][:cnt], kh[:cnt], kl[:cnt]
		sh1, sl1, shi1, sli1 := sufH[1:][:cnt], sufL[1:][:cnt], sufHI[1:][:cnt], sufLI[1:][:cnt]
		ph, pl := int64(math.MinInt64), int64(math.MaxInt64)
		var phi, pli int
		for r, v := range hb {
			u1, u2 := math.Float64bits(v), math.Float64bits(lb[r])
			chk = max(chk, u1<<1-1, u2<<1-1)
			k1, k2 := keyBits(u1), keyBits(u2)
			khb[r], klb[r] = k1, k2
			j := b + r
			c1, c2 := k1 >= ph, k2 <= pl
			ph, phi = sel64(c1, k1, ph), selInt(c1, j, phi)
			pl, pli = sel64(c2, k2, pl), selInt(c2, j, pli)
			if j < n {
				continue
			}
			hi := selInt(ph >= sh1[r], phi, shi1[r])
			li := selInt(pl <= sl1[r], pli, sli1[r])
			if down == nil {
				up[j] = factor * float64(hi-li)
			} else {
				up[j] = factor * float64(n-(j-hi))
				down[j] = factor * float64(n-(j-li))
			}
		}
		sh, sl := int64(math.MinInt64), int64(math.MaxInt64)
		var shi, sli int
		sH, sL, sHI, sLI := sufH[:cnt], sufL[:cnt], sufHI[:cnt], sufLI[:cnt]
		for r := cnt - 1; r >= 0; r-- {
			k1, k2 := khb[r], klb[r]
			c1, c2 := k1 > sh, k2 < sl
			sh, shi = sel64(c1, k1, sh), selInt(c1, b+r, shi)
			sl, sli = sel64(c2, k2, sl), selInt(c2, b+r, sli)
			sH[r], sL[r], sHI[r], sLI[r] = sh, sl, shi, sli
		}
	}
	return chk < zeroOrNaN
}

// sel64 and selInt are a when c holds, else b; each compiles to a CMOV.
func sel64(c bool, a, b int64) int64 {
	if c {
		return a
	}
	return b
}

func selInt(c bool, a, b int) int {
	if c {
		return a
	}
	return b
}

// AROONStream is the streaming twin of AROON and AROONOSC.
type AROONStream struct {
	n, cnt int
	hi, lo ringExtreme
}

// NewAROONStream returns an AROON(n) stream, n ≥ 2.
func NewAROONStream(n int) *AROONStream {
	return &AROONStream{n: n, hi: newRingExtreme(n+1, true), lo: newRingExtreme(n+1, false)}
}

// Update consumes a new bar and returns AROON down, up and the oscillator.
func (s *AROONStream) Update(high, low float64) (down, up, osc float64) {
	if s.n < 2 || (s.cnt == 0 && anyNaN(high, low)) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s.cnt++
	return s.step(high, low, false)
}

// Revise replaces the newest bar's input.
func (s *AROONStream) Revise(high, low float64) (down, up, osc float64) {
	if s.cnt == 0 {
		return s.Update(high, low)
	}
	return s.step(high, low, true)
}

func (s *AROONStream) step(high, low float64, revise bool) (down, up, osc float64) {
	i := s.cnt - 1
	s.hi.set(i, high, revise)
	s.lo.set(i, low, revise)
	if i < s.n {
		return math.NaN(), math.NaN(), math.NaN()
	}
	factor := 100 / float64(s.n)
	return factor * float64(s.n-(i-s.lo.idx)), factor * float64(s.n-(i-s.hi.idx)), factor * float64(s.hi.idx-s.lo.idx)
}

// ultPeriods sorts the three ULTOSC periods shortest first, as TA-Lib does
// before weighting them 4, 2, 1.
func ultPeriods(p1, p2, p3 int) [3]int {
	p := [3]int{p1, p2, p3}
	if p[0] > p[1] {
		p[0], p[1] = p[1], p[0]
	}
	if p[1] > p[2] {
		p[1], p[2] = p[2], p[1]
	}
	if p[0] > p[1] {
		p[0], p[1] = p[1], p[0]
	}
	return p
}

// LookbackULTOSC is the number of leading NaNs of ULTOSC: the longest period.
func LookbackULTOSC(p1, p2, p3 int) int { return max(p1, p2, p3) }

// ultTerms is TA-Lib's CALC_TERMS: buying pressure C − min(L, C₋₁) and the
// true range.
func ultTerms(high, low, close, prevClose float64) (bp, tr float64) {
	trueLow := low
	if prevClose < trueLow {
		trueLow = prevClose
	}
	return close - trueLow, trueRange(high, low, prevClose)
}

// ultOut combines the three window ratios, skipping a window whose TR sum is
// within 1e-14 of zero. It takes values, not arrays, so the sums of the
// batch loop stay in registers.
func ultOut(a0, a1, a2, b0, b1, b2 float64) float64 {
	out := 0.0
	if !isZero(b0) {
		out += float64(4 * (a0 / b0))
	}
	if !isZero(b1) {
		out += float64(2 * (a1 / b1))
	}
	if !isZero(b2) {
		out += a2 / b2
	}
	return 100 * (out / 7)
}

// ULTOSC is the ultimate oscillator of TA-Lib's ULTOSC(p1, p2, p3), periods
// ≥ 1: 100·(4·A₁ + 2·A₂ + A₃)/7 with A = Σ buying pressure / Σ true range
// over each period, the shortest weighted 4.
func ULTOSC(high, low, close []float64, p1, p2, p3 int) []float64 {
	return ULTOSCTo(make([]float64, len(high)), high, low, close, p1, p2, p3)
}

// ULTOSCTo is ULTOSC written into dst, which must be as long as high; it returns dst.
func ULTOSCTo(dst, high, low, close []float64, p1, p2, p3 int) []float64 {
	look := LookbackULTOSC(p1, p2, p3)
	s, ok := startBars(dst, [][]float64{high, low, close}, min(p1, p2, p3), 1, look)
	if !ok {
		return dst
	}
	p := ultPeriods(p1, p2, p3)
	h, l, c, o := high[s:], low[s:], close[s:], dst[s:]
	// Each bar's terms are computed once into rings and subtracted from
	// there when they leave a window: the same values TA-Lib recomputes.
	rbp, rtr := make([]float64, look), make([]float64, look)
	var a, b [3]float64
	for i := 1; i < look; i++ {
		bp, tr := ultTerms(h[i], l[i], c[i], c[i-1])
		rbp[i], rtr[i] = bp, tr
		for j, pj := range p {
			if i >= look-pj+1 {
				a[j] += bp
				b[j] += tr
			}
		}
	}
	// The window sums and trailing slots in scalars, so they stay in
	// registers.
	newest := 0 // look % look
	t0, t1, t2 := (look-p[0]+1)%look, (look-p[1]+1)%look, (look-p[2]+1)%look
	a0, a1, a2, b0, b1, b2 := a[0], a[1], a[2], b[0], b[1], b[2]
	prev := c[look-1]
	h, l, o = h[:len(c)], l[:len(c)], o[:len(c)]
	for i := look; i < len(c); i++ {
		ci := c[i]
		bp, tr := ultTerms(h[i], l[i], ci, prev)
		prev = ci
		rbp[newest], rtr[newest] = bp, tr
		if newest++; newest == look {
			newest = 0
		}
		a0 += bp
		a1 += bp
		a2 += bp
		b0 += tr
		b1 += tr
		b2 += tr
		o[i] = ultOut(a0, a1, a2, b0, b1, b2)
		a0 -= rbp[t0]
		b0 -= rtr[t0]
		if t0++; t0 == look {
			t0 = 0
		}
		a1 -= rbp[t1]
		b1 -= rtr[t1]
		if t1++; t1 == look {
			t1 = 0
		}
		a2 -= rbp[t2]
		b2 -= rtr[t2]
		if t2++; t2 == look {
			t2 = 0
		}
	}
	return dst
}

// ULTOSCStream is the streaming twin of ULTOSC.
type ULTOSCStream struct {
	p        [3]int
	look     int
	bp, tr   []float64 // rings of the last look terms
	st, base ultState
}

type ultState struct {
	cnt, slot int // slot: the ring slot of bar cnt
	prevClose float64
	a, b      [3]float64
}

// NewULTOSCStream returns an ULTOSC(p1, p2, p3) stream, periods ≥ 1.
func NewULTOSCStream(p1, p2, p3 int) *ULTOSCStream {
	look := LookbackULTOSC(p1, p2, p3)
	return &ULTOSCStream{p: ultPeriods(p1, p2, p3), look: look,
		bp: make([]float64, max(look, 1)), tr: make([]float64, max(look, 1))}
}

// Update consumes a new bar.
func (s *ULTOSCStream) Update(high, low, close float64) float64 {
	s.base = s.st
	return s.step(high, low, close)
}

// Revise replaces the newest bar's input.
func (s *ULTOSCStream) Revise(high, low, close float64) float64 {
	if s.st.cnt == 0 {
		return s.Update(high, low, close)
	}
	s.st = s.base
	return s.step(high, low, close)
}

func (s *ULTOSCStream) step(high, low, close float64) float64 {
	st := &s.st
	if s.p[0] < 1 || (st.cnt == 0 && anyNaN(high, low, close)) {
		return math.NaN()
	}
	i := st.cnt
	st.cnt++
	w := len(s.bp)
	slot := st.slot
	if st.slot++; st.slot == w {
		st.slot = 0
	}
	prev := st.prevClose
	st.prevClose = close
	if i == 0 {
		return math.NaN()
	}
	bp, tr := ultTerms(high, low, close, prev)
	s.bp[slot], s.tr[slot] = bp, tr
	if i < s.look {
		for j, pj := range s.p {
			if i >= s.look-pj+1 {
				st.a[j] += bp
				st.b[j] += tr
			}
		}
		return math.NaN()
	}
	for j := range st.a {
		st.a[j] += bp
		st.b[j] += tr
	}
	out := ultOut(st.a[0], st.a[1], st.a[2], st.b[0], st.b[1], st.b[2])
	for j, pj := range s.p {
		t := slot - pj + 1 // (i − pj + 1) mod w, as pj ≤ w
		if t < 0 {
			t += w
		}
		st.a[j] -= s.bp[t]
		st.b[j] -= s.tr[t]
	}
	return out
}

// sarAtLeast raises sar to a and b, sarAtMost lowers it to them, and capAF
// caps the acceleration: TA-Lib's plain comparisons.
func sarAtLeast(sar, a, b float64) float64 {
	if sar < a {
		sar = a
	}
	if sar < b {
		sar = b
	}
	return sar
}

func sarAtMost(sar, a, b float64) float64 {
	if sar > a {
		sar = a
	}
	if sar > b {
		sar = b
	}
	return sar
}

func capAF(af, maxAF float64) float64 {
	if af > maxAF {
		return maxAF
	}
	return af
}

// LookbackSAR is the number of leading NaNs of SAR: 1.
func LookbackSAR() int { return 1 }

// sarState is the parabolic SAR after a bar.
type sarState struct {
	cnt               int
	long              bool
	sar, ep, af       float64
	newHigh, newLow   float64
	firstHigh, firstL float64
}

// step advances the SAR by one bar in TA-Lib's order and returns the SAR
// printed for that bar (NaN at bar 0).
func (st *sarState) step(accel, maxAF, high, low float64) float64 {
	i := st.cnt
	st.cnt++
	if i == 0 {
		st.firstHigh, st.firstL = high, low
		return math.NaN()
	}
	if i == 1 {
		// TA-Lib starts short when bar 1's −DM is positive.
		diffP, diffM := high-st.firstHigh, st.firstL-low
		st.long = !(diffM > 0 && diffP < diffM)
		st.af = accel
		if st.long {
			st.ep, st.sar = high, st.firstL
		} else {
			st.ep, st.sar = low, st.firstHigh
		}
		st.newHigh, st.newLow = high, low
	}
	prevLow, prevHigh := st.newLow, st.newHigh
	st.newLow, st.newHigh = low, high
	var out float64
	if st.long {
		if low <= st.sar {
			st.long = false
			st.sar = sarAtLeast(st.ep, prevHigh, high)
			out = st.sar
			st.af = accel
			st.ep = low
			st.sar = st.sar + float64(st.af*(st.ep-st.sar))
			st.sar = sarAtLeast(st.sar, prevHigh, high)
		} else {
			out = st.sar
			if high > st.ep {
				st.ep = high
				st.af = capAF(st.af+accel, maxAF)
			}
			st.sar = st.sar + float64(st.af*(st.ep-st.sar))
			st.sar = sarAtMost(st.sar, prevLow, low)
		}
	} else {
		if high >= st.sar {
			st.long = true
			st.sar = sarAtMost(st.ep, prevLow, low)
			out = st.sar
			st.af = accel
			st.ep = high
			st.sar = st.sar + float64(st.af*(st.ep-st.sar))
			st.sar = sarAtMost(st.sar, prevLow, low)
		} else {
			out = st.sar
			if low < st.ep {
				st.ep = low
				st.af = capAF(st.af+accel, maxAF)
			}
			st.sar = st.sar + float64(st.af*(st.ep-st.sar))
			st.sar = sarAtLeast(st.sar, prevHigh, high)
		}
	}
	return out
}

// sarParams applies TA-Lib's rule that the acceleration never exceeds the
// maximum; ok is false for negative values.
func sarParams(accel, maxAF float64) (float64, float64, bool) {
	if !(accel >= 0 && maxAF >= 0) {
		return 0, 0, false
	}
	return min(accel, maxAF), maxAF, true
}

// SAR is Wilder's parabolic stop-and-reverse as TA-Lib computes it, with
// acceleration step accel and cap maxAF (0.02 and 0.2 usually): the start
// is short when bar 1's low fell by more than its high rose, else long.
func SAR(high, low []float64, accel, maxAF float64) []float64 {
	return SARTo(make([]float64, len(high)), high, low, accel, maxAF)
}

// SARTo is SAR written into dst, which must be as long as high; it returns
// dst.
func SARTo(dst, high, low []float64, accel, maxAF float64) []float64 {
	out := dst
	accel, maxAF, good := sarParams(accel, maxAF)
	s, ok := startBars(out, [][]float64{high, low}, 1, 1, 1)
	if !ok || !good {
		return fillNaN(out, len(out))
	}
	// sarState.step with the state in locals (the stream tests hold the two
	// to the same bits).
	var st sarState
	h, l, o := high[s:], low[s:], out[s:]
	st.step(accel, maxAF, h[0], l[0])
	o[1] = st.step(accel, maxAF, h[1], l[1])
	long, sar, ep, af, newHigh, newLow := st.long, st.sar, st.ep, st.af, st.newHigh, st.newLow
	for i := 2; i < len(h); i++ {
		high, low := h[i], l[i]
		prevLow, prevHigh := newLow, newHigh
		newLow, newHigh = low, high
		if long {
			if low <= sar {
				long = false
				sar = sarAtLeast(ep, prevHigh, high)
				o[i] = sar
				af = accel
				ep = low
				sar = sar + float64(af*(ep-sar))
				sar = sarAtLeast(sar, prevHigh, high)
			} else {
				o[i] = sar
				if high > ep {
					ep = high
					af = capAF(af+accel, maxAF)
				}
				sar = sar + float64(af*(ep-sar))
				sar = sarAtMost(sar, prevLow, low)
			}
		} else {
			if high >= sar {
				long = true
				sar = sarAtMost(ep, prevLow, low)
				o[i] = sar
				af = accel
				ep = high
				sar = sar + float64(af*(ep-sar))
				sar = sarAtMost(sar, prevLow, low)
			} else {
				o[i] = sar
				if low < ep {
					ep = low
					af = capAF(af+accel, maxAF)
				}
				sar = sar + float64(af*(ep-sar))
				sar = sarAtLeast(sar, prevHigh, high)
			}
		}
	}
	return out
}

// SARStream is the streaming twin of SAR.
type SARStream struct {
	accel, maxAF float64
	ok           bool
	st, base     sarState
}

// NewSARStream returns a SAR(accel, maxAF) stream.
func NewSARStream(accel, maxAF float64) *SARStream {
	a, m, ok := sarParams(accel, maxAF)
	return &SARStream{accel: a, maxAF: m, ok: ok}
}

// Update consumes a new bar.
func (s *SARStream) Update(high, low float64) float64 {
	if !s.ok || (s.st.cnt == 0 && anyNaN(high, low)) {
		return math.NaN()
	}
	s.base = s.st
	return s.st.step(s.accel, s.maxAF, high, low)
}

// Revise replaces the newest bar's input.
func (s *SARStream) Revise(high, low float64) float64 {
	if s.st.cnt == 0 {
		return s.Update(high, low)
	}
	s.st = s.base
	return s.st.step(s.accel, s.maxAF, high, low)
}

func init() {
	i := func(p []float64, k int) int { return int(p[k]) }
	n := func(def, min float64) []Param { return []Param{PeriodParam("n", def, min)} }
	Register(&Def{
		Name: "stoch", Doc: "slow stochastic (SMA smoothing)", Inputs: hlcInputs,
		Params:   []Param{PeriodParam("fastk", 14, 1), PeriodParam("slowk", 3, 1), PeriodParam("slowd", 3, 1)},
		Outputs:  []string{"stoch_k", "stoch_d"},
		Lookback: func(p []float64) int { return LookbackSTOCH(i(p, 0), i(p, 1), i(p, 2)) },
		Batch: func(in [][]float64, p []float64) [][]float64 {
			k, d := STOCH(in[0], in[1], in[2], i(p, 0), i(p, 1), i(p, 2))
			return [][]float64{k, d}
		},
		Stream: func(p []float64) Stream {
			s := NewSTOCHStream(i(p, 0), i(p, 1), i(p, 2))
			return barStream{
				func(in, out []float64) { out[0], out[1] = s.Update(in[0], in[1], in[2]) },
				func(in, out []float64) { out[0], out[1] = s.Revise(in[0], in[1], in[2]) },
			}
		},
	})
	Register(&Def{
		Name: "willr", Doc: "Williams' %R", Inputs: hlcInputs, Params: n(14, 2), Outputs: []string{"willr"},
		Lookback: func(p []float64) int { return LookbackWILLR(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(WILLR(in[0], in[1], in[2], i(p, 0))) },
		Stream: func(p []float64) Stream {
			s := NewWILLRStream(i(p, 0))
			return stream3in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "cci", Doc: "commodity channel index", Inputs: hlcInputs, Params: n(14, 2), Outputs: []string{"cci"},
		Lookback: func(p []float64) int { return LookbackCCI(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(CCI(in[0], in[1], in[2], i(p, 0))) },
		Stream: func(p []float64) Stream {
			s := NewCCIStream(i(p, 0))
			return stream3in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "mfi", Doc: "money flow index", Inputs: hlcvInputs, Params: n(14, 2), Outputs: []string{"mfi"},
		Lookback: func(p []float64) int { return LookbackMFI(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(MFI(in[0], in[1], in[2], in[3], i(p, 0))) },
		Stream: func(p []float64) Stream {
			s := NewMFIStream(i(p, 0))
			return stream4in(s.Update, s.Revise)
		},
	})
	dmiStream := func(p []float64, which int) Stream {
		s := NewDMIStream(i(p, 0))
		var v [3]float64
		pick := func(out []float64) { out[0] = v[which] }
		return barStream{
			func(in, out []float64) { v[0], v[1], v[2] = s.Update(in[0], in[1], in[2]); pick(out) },
			func(in, out []float64) { v[0], v[1], v[2] = s.Revise(in[0], in[1], in[2]); pick(out) },
		}
	}
	Register(&Def{
		Name: "adx", Doc: "Wilder's average directional index", Inputs: hlcInputs, Params: n(14, 2), Outputs: []string{"adx"},
		Lookback: func(p []float64) int { return LookbackADX(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(ADX(in[0], in[1], in[2], i(p, 0))) },
		Stream:   func(p []float64) Stream { return dmiStream(p, 0) },
	})
	Register(&Def{
		Name: "plus_di", Doc: "Wilder's +DI", Inputs: hlcInputs, Params: n(14, 2), Outputs: []string{"plus_di"},
		Lookback: func(p []float64) int { return LookbackDI(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(PLUS_DI(in[0], in[1], in[2], i(p, 0))) },
		Stream:   func(p []float64) Stream { return dmiStream(p, 1) },
	})
	Register(&Def{
		Name: "minus_di", Doc: "Wilder's -DI", Inputs: hlcInputs, Params: n(14, 2), Outputs: []string{"minus_di"},
		Lookback: func(p []float64) int { return LookbackDI(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(MINUS_DI(in[0], in[1], in[2], i(p, 0))) },
		Stream:   func(p []float64) Stream { return dmiStream(p, 2) },
	})
	Register(&Def{
		Name: "aroon", Doc: "Aroon down and up", Inputs: []string{"high", "low"}, Params: n(14, 2),
		Outputs:  []string{"aroon_down", "aroon_up"},
		Lookback: func(p []float64) int { return LookbackAROON(i(p, 0)) },
		Batch: func(in [][]float64, p []float64) [][]float64 {
			d, u := AROON(in[0], in[1], i(p, 0))
			return [][]float64{d, u}
		},
		Stream: func(p []float64) Stream {
			s := NewAROONStream(i(p, 0))
			return barStream{
				func(in, out []float64) { out[0], out[1], _ = s.Update(in[0], in[1]) },
				func(in, out []float64) { out[0], out[1], _ = s.Revise(in[0], in[1]) },
			}
		},
	})
	Register(&Def{
		Name: "aroonosc", Doc: "Aroon oscillator (up - down)", Inputs: []string{"high", "low"}, Params: n(14, 2),
		Outputs:  []string{"aroonosc"},
		Lookback: func(p []float64) int { return LookbackAROON(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(AROONOSC(in[0], in[1], i(p, 0))) },
		Stream: func(p []float64) Stream {
			s := NewAROONStream(i(p, 0))
			return barStream{
				func(in, out []float64) { _, _, out[0] = s.Update(in[0], in[1]) },
				func(in, out []float64) { _, _, out[0] = s.Revise(in[0], in[1]) },
			}
		},
	})
	Register(&Def{
		Name: "ultosc", Doc: "ultimate oscillator", Inputs: hlcInputs,
		Params:   []Param{PeriodParam("p1", 7, 1), PeriodParam("p2", 14, 1), PeriodParam("p3", 28, 1)},
		Outputs:  []string{"ultosc"},
		Lookback: func(p []float64) int { return LookbackULTOSC(i(p, 0), i(p, 1), i(p, 2)) },
		Batch: func(in [][]float64, p []float64) [][]float64 {
			return one(ULTOSC(in[0], in[1], in[2], i(p, 0), i(p, 1), i(p, 2)))
		},
		Stream: func(p []float64) Stream {
			s := NewULTOSCStream(i(p, 0), i(p, 1), i(p, 2))
			return stream3in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "sar", Doc: "parabolic stop and reverse", Inputs: []string{"high", "low"},
		Params:   []Param{{Name: "accel", Default: 0.02, Min: 0, Max: 1}, {Name: "max", Default: 0.2, Min: 0, Max: 1}},
		Outputs:  []string{"sar"},
		Lookback: func([]float64) int { return LookbackSAR() },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(SAR(in[0], in[1], p[0], p[1])) },
		Stream: func(p []float64) Stream {
			s := NewSARStream(p[0], p[1])
			return stream2in(s.Update, s.Revise)
		},
	})
}
