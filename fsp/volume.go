package fsp

import "math"

// Volume indicators: OBV, Chaikin A/D and its oscillator (TA-Lib's), and
// beyond TA-Lib: VWAP (cumulative, reset every UTC day or any fixed span, or
// at given session starts), weighted averages, log returns, dollar volume
// and bar flow rates (piker's flow_rates with its defects fixed).
// Products that are added to or subtracted from something are wrapped in
// float64(...) so that arm64 does not fuse them into an FMA (see ma.go).

// LookbackOBV is the number of leading NaNs of OBV: 0.
func LookbackOBV() int { return 0 }

// OBV is on-balance volume as TA-Lib computes it: it starts at the first
// bar's volume, then adds the volume of a bar closing higher and subtracts
// that of a bar closing lower.
func OBV(close, volume []float64) []float64 {
	return OBVTo(make([]float64, len(close)), close, volume)
}

// OBVTo is OBV written into dst, which must be as long as close; it returns dst.
func OBVTo(dst, close, volume []float64) []float64 {
	s, ok := startBars(dst, [][]float64{close, volume}, 1, 1, 0)
	if !ok {
		return dst
	}
	c := close[s:]
	v, o := volume[s:len(close)], dst[s:len(close)]
	obv, prev := v[0], c[0]
	for i, x := range c {
		obv += obvFlow(x, prev, v[i])
		o[i] = obv
		prev = x
	}
	return dst
}

// obvFlow is +volume for a close above prev, −volume below and +0 when
// equal, without branches (up or down is a coin flip on a random walk).
// x + (−v) is x − v bit for bit, and adding +0 is TA-Lib's skipped step
// except on an OBV of −0, which only a volume of −0 could start.
func obvFlow(close, prev, volume float64) float64 {
	b := math.Float64bits(volume)
	return math.Float64frombits(b&-b2u(close > prev) | (b^1<<63)&-b2u(close < prev))
}

// OBVStream is the streaming twin of OBV.
type OBVStream struct {
	st, base obvState
}

type obvState struct {
	cnt       int
	obv, prev float64
}

// NewOBVStream returns an OBV stream.
func NewOBVStream() *OBVStream { return &OBVStream{} }

// Update consumes a new bar.
func (s *OBVStream) Update(close, volume float64) float64 {
	if s.st.cnt == 0 && anyNaN(close, volume) {
		return math.NaN()
	}
	s.base = s.st
	return s.step(close, volume)
}

// Revise replaces the newest bar's input.
func (s *OBVStream) Revise(close, volume float64) float64 {
	if s.st.cnt == 0 {
		return s.Update(close, volume)
	}
	s.st = s.base
	return s.step(close, volume)
}

func (s *OBVStream) step(close, volume float64) float64 {
	st := &s.st
	if st.cnt == 0 {
		st.obv, st.prev = volume, close
	}
	st.cnt++
	st.obv += obvFlow(close, st.prev, volume)
	st.prev = close
	return st.obv
}

// adStep is TA-Lib's CALCULATE_AD: the bar's money flow volume, nothing for
// a bar with H = L.
func adStep(ad, high, low, close, volume float64) float64 {
	if r := high - low; r > 0 {
		ad += float64((((close - low) - (high - close)) / r) * volume)
	}
	return ad
}

// LookbackAD is the number of leading NaNs of AD: 0.
func LookbackAD() int { return 0 }

// AD is the Chaikin accumulation/distribution line, the running sum of
// ((C−L) − (H−C))/(H−L)·V.
func AD(high, low, close, volume []float64) []float64 {
	return ADTo(make([]float64, len(high)), high, low, close, volume)
}

// ADTo is AD written into dst, which must be as long as high; it returns dst.
func ADTo(dst, high, low, close, volume []float64) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close, volume}, 1, 1, 0)
	if !ok {
		return dst
	}
	h := high[s:]
	l, c, v, o := low[s:len(high)], close[s:len(high)], volume[s:len(high)], dst[s:len(high)]
	ad := 0.0
	for i, hi := range h {
		ad = adStep(ad, hi, l[i], c[i], v[i])
		o[i] = ad
	}
	return dst
}

// ADStream is the streaming twin of AD.
type ADStream struct {
	cnt      int
	ad, base float64
}

// NewADStream returns an AD stream.
func NewADStream() *ADStream { return &ADStream{} }

// Update consumes a new bar.
func (s *ADStream) Update(high, low, close, volume float64) float64 {
	if s.cnt == 0 && anyNaN(high, low, close, volume) {
		return math.NaN()
	}
	s.cnt++
	s.base = s.ad
	s.ad = adStep(s.base, high, low, close, volume)
	return s.ad
}

// Revise replaces the newest bar's input.
func (s *ADStream) Revise(high, low, close, volume float64) float64 {
	if s.cnt == 0 {
		return s.Update(high, low, close, volume)
	}
	s.ad = adStep(s.base, high, low, close, volume)
	return s.ad
}

// LookbackADOSC is the number of leading NaNs of ADOSC: max(fast, slow)−1.
func LookbackADOSC(fast, slow int) int { return max(fast, slow) - 1 }

// ADOSC is the Chaikin oscillator, EMA_fast(AD) − EMA_slow(AD), periods ≥ 2.
// As in TA-Lib both EMAs start from the first AD value (not an SMA seed) and
// step as k·x + (1−k)·prev.
func ADOSC(high, low, close, volume []float64, fast, slow int) []float64 {
	return ADOSCTo(make([]float64, len(high)), high, low, close, volume, fast, slow)
}

// ADOSCTo is ADOSC written into dst, which must be as long as high; it returns dst.
func ADOSCTo(dst, high, low, close, volume []float64, fast, slow int) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close, volume}, min(fast, slow), 2, LookbackADOSC(fast, slow))
	if !ok {
		return dst
	}
	// adoscState.step with the state in locals (the stream tests hold the
	// two to the same bits).
	look := LookbackADOSC(fast, slow)
	k := adoscKs(fast, slow)
	h := high[s:]
	l, c, v, o := low[s:len(high)], close[s:len(high)], volume[s:len(high)], dst[s:len(high)]
	ad := adStep(0, h[0], l[0], c[0], v[0])
	fe, se := ad, ad
	k0, k1, k2, k3 := k[0], k[1], k[2], k[3]
	for i := 1; i < len(h); i++ {
		ad = adStep(ad, h[i], l[i], c[i], v[i])
		fe = float64(k0*ad) + float64(k1*fe)
		se = float64(k2*ad) + float64(k3*se)
		if i >= look {
			o[i] = fe - se
		}
	}
	return dst
}

type adoscState struct {
	cnt        int
	ad, fe, se float64
}

// adoscKs holds fast k, 1−fast k, slow k, 1−slow k.
func adoscKs(fast, slow int) [4]float64 {
	fk, sk := 2/float64(fast+1), 2/float64(slow+1)
	return [4]float64{fk, 1 - fk, sk, 1 - sk}
}

func (st *adoscState) step(k *[4]float64, high, low, close, volume float64) float64 {
	st.ad = adStep(st.ad, high, low, close, volume)
	if st.cnt == 0 {
		st.fe, st.se = st.ad, st.ad
	} else {
		st.fe = float64(k[0]*st.ad) + float64(k[1]*st.fe)
		st.se = float64(k[2]*st.ad) + float64(k[3]*st.se)
	}
	st.cnt++
	return st.fe - st.se
}

// ADOSCStream is the streaming twin of ADOSC.
type ADOSCStream struct {
	k        [4]float64
	look     int
	ok       bool
	st, base adoscState
}

// NewADOSCStream returns an ADOSC(fast, slow) stream, periods ≥ 2.
func NewADOSCStream(fast, slow int) *ADOSCStream {
	return &ADOSCStream{k: adoscKs(fast, slow), look: LookbackADOSC(fast, slow), ok: min(fast, slow) >= 2}
}

// Update consumes a new bar.
func (s *ADOSCStream) Update(high, low, close, volume float64) float64 {
	if !s.ok || (s.st.cnt == 0 && anyNaN(high, low, close, volume)) {
		return math.NaN()
	}
	s.base = s.st
	return s.step(high, low, close, volume)
}

// Revise replaces the newest bar's input.
func (s *ADOSCStream) Revise(high, low, close, volume float64) float64 {
	if s.st.cnt == 0 {
		return s.Update(high, low, close, volume)
	}
	s.st = s.base
	return s.step(high, low, close, volume)
}

func (s *ADOSCStream) step(high, low, close, volume float64) float64 {
	v := s.st.step(&s.k, high, low, close, volume)
	if s.st.cnt <= s.look {
		return math.NaN()
	}
	return v
}

// WAP is the cumulative weighted average Σx·w/Σw from the first value, NaN
// while Σw is 0 (piker's wap left those entries uninitialised).
func WAP(x, w []float64) []float64 {
	return WAPTo(make([]float64, len(x)), x, w)
}

// WAPTo is WAP written into dst, which must be as long as x; it returns dst.
func WAPTo(dst, x, w []float64) []float64 {
	s, ok := startBars(dst, [][]float64{x, w}, 1, 1, 0)
	if !ok {
		return dst
	}
	var sw, sx float64
	for i := s; i < len(dst); i++ {
		sx += float64(x[i] * w[i])
		sw += w[i]
		dst[i] = wapOut(sx, sw)
	}
	return dst
}

func wapOut(sx, sw float64) float64 {
	if sw == 0 {
		return math.NaN()
	}
	return sx / sw
}

// VWAP is the cumulative volume-weighted average of the typical price
// (H+L+C)/3 from the first bar, NaN while the summed volume is 0.
func VWAP(high, low, close, volume []float64) []float64 {
	return VWAPTo(make([]float64, len(high)), high, low, close, volume)
}

// VWAPTo is VWAP written into dst, which must be as long as high; it returns
// dst.
func VWAPTo(dst, high, low, close, volume []float64) []float64 {
	return vwap(dst, high, low, close, volume, nil)
}

// VWAPReset is VWAP restarted at every multiple of every seconds of epoch
// time t (every = 86400: each UTC day); every ≤ 0 never restarts.
func VWAPReset(t []int64, high, low, close, volume []float64, every int64) []float64 {
	if len(t) != len(close) {
		return newOut(len(close), len(close))
	}
	return vwap(make([]float64, len(high)), high, low, close, volume, func(i int) bool {
		return i > 0 && every > 0 && floorDiv(t[i], every) != floorDiv(t[i-1], every)
	})
}

// VWAPAnchored is VWAP restarted at each bar where reset is true (a session
// open, say); reset must be as long as the bars.
func VWAPAnchored(high, low, close, volume []float64, reset []bool) []float64 {
	if len(reset) != len(close) {
		return newOut(len(close), len(close))
	}
	return vwap(make([]float64, len(high)), high, low, close, volume, func(i int) bool { return reset[i] })
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// vwap writes the VWAP restarted where restart says (never when nil).
func vwap(out, high, low, close, volume []float64, restart func(i int) bool) []float64 {
	s, ok := startBars(out, [][]float64{high, low, close, volume}, 1, 1, 0)
	if !ok {
		return out
	}
	var sx, sv float64
	for i := s; i < len(out); i++ {
		if restart != nil && restart(i) {
			sx, sv = 0, 0
		}
		sx += float64((high[i] + low[i] + close[i]) / 3 * volume[i])
		sv += volume[i]
		out[i] = wapOut(sx, sv)
	}
	return out
}

// VWAPStream is the streaming twin of VWAP and VWAPReset.
type VWAPStream struct {
	every    int64
	st, base vwapState
}

type vwapState struct {
	cnt    int
	t      int64
	sx, sv float64
}

// NewVWAPStream returns a VWAP stream restarted at every multiple of every
// seconds (0: never, cumulative).
func NewVWAPStream(every int64) *VWAPStream { return &VWAPStream{every: every} }

// Update consumes a new bar opening at epoch second t.
func (s *VWAPStream) Update(t int64, high, low, close, volume float64) float64 {
	if s.st.cnt == 0 && anyNaN(high, low, close, volume) {
		return math.NaN()
	}
	s.base = s.st
	return s.step(t, high, low, close, volume)
}

// Revise replaces the newest bar's input (its time stays the bar's).
func (s *VWAPStream) Revise(t int64, high, low, close, volume float64) float64 {
	if s.st.cnt == 0 {
		return s.Update(t, high, low, close, volume)
	}
	s.st = s.base
	return s.step(t, high, low, close, volume)
}

// Restart makes the next Update start a new anchored VWAP (a session open).
func (s *VWAPStream) Restart() { s.st.sx, s.st.sv = 0, 0 }

func (s *VWAPStream) step(t int64, high, low, close, volume float64) float64 {
	st := &s.st
	if st.cnt > 0 && s.every > 0 && floorDiv(t, s.every) != floorDiv(st.t, s.every) {
		st.sx, st.sv = 0, 0
	}
	st.cnt++
	st.t = t
	st.sx += float64((high + low + close) / 3 * volume)
	st.sv += volume
	return wapOut(st.sx, st.sv)
}

// LookbackBarWAP is the number of leading NaNs of BarWAP(n): n−1.
func LookbackBarWAP(n int) int { return n - 1 }

// BarWAP is the volume-weighted average typical price of the last n ≥ 1
// bars (a rolling VWAP), NaN where those bars have no volume. The sums are
// running sums like SMA's.
func BarWAP(high, low, close, volume []float64, n int) []float64 {
	return BarWAPTo(make([]float64, len(high)), high, low, close, volume, n)
}

// BarWAPTo is BarWAP written into dst, which must be as long as high; it returns dst.
func BarWAPTo(dst, high, low, close, volume []float64, n int) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close, volume}, n, 1, n-1)
	if !ok {
		return dst
	}
	h, l, c, v, o := high[s:], low[s:], close[s:], volume[s:], dst[s:]
	var sx, sv float64
	for i := range c {
		x := float64((h[i] + l[i] + c[i]) / 3 * v[i])
		if i < n-1 {
			sx += x
			sv += v[i]
			continue
		}
		tx, tv := sx+x, sv+v[i]
		j := i - n + 1
		sx = tx - float64((h[j]+l[j]+c[j])/3*v[j])
		sv = tv - v[j]
		o[i] = wapOut(tx, tv)
	}
	return dst
}

// BarWAPStream is the streaming twin of BarWAP.
type BarWAPStream struct {
	n        int
	x, v     []float64 // rings of the last n dollar volumes and volumes
	st, base barWAPState
}

type barWAPState struct {
	cnt    int
	sx, sv float64
}

// NewBarWAPStream returns a BarWAP(n) stream, n ≥ 1.
func NewBarWAPStream(n int) *BarWAPStream {
	return &BarWAPStream{n: n, x: make([]float64, max(n, 1)), v: make([]float64, max(n, 1))}
}

// Update consumes a new bar.
func (s *BarWAPStream) Update(high, low, close, volume float64) float64 {
	if s.n < 1 || (s.st.cnt == 0 && anyNaN(high, low, close, volume)) {
		return math.NaN()
	}
	s.base = s.st
	return s.step(high, low, close, volume)
}

// Revise replaces the newest bar's input.
func (s *BarWAPStream) Revise(high, low, close, volume float64) float64 {
	if s.st.cnt == 0 {
		return s.Update(high, low, close, volume)
	}
	s.st = s.base
	return s.step(high, low, close, volume)
}

func (s *BarWAPStream) step(high, low, close, volume float64) float64 {
	st := &s.st
	i := st.cnt
	st.cnt++
	x := float64((high + low + close) / 3 * volume)
	s.x[i%s.n], s.v[i%s.n] = x, volume
	if i < s.n-1 {
		st.sx += x
		st.sv += volume
		return math.NaN()
	}
	tx, tv := st.sx+x, st.sv+volume
	j := (i - s.n + 1) % s.n
	st.sx, st.sv = tx-s.x[j], tv-s.v[j]
	return wapOut(tx, tv)
}

// LookbackLogReturns is the number of leading NaNs of LogReturns: 1.
func LookbackLogReturns() int { return 1 }

// LogReturns is ln(x/x₋₁); the first value has no predecessor and is NaN.
func LogReturns(x []float64) []float64 {
	return LogReturnsTo(make([]float64, len(x)), x)
}

// LogReturnsTo is LogReturns written into dst, which must be as long as x; it returns dst.
func LogReturnsTo(dst, x []float64) []float64 {
	s, ok := start(dst, x, 1, 1, 1)
	if !ok {
		return dst
	}
	for i := s + 1; i < len(x); i++ {
		dst[i] = math.Log(x[i] / x[i-1])
	}
	return dst
}

// CumLogReturns is ln(x/x₀), the log return since the first value (0 there).
// It is computed from the two prices, not summed, so it carries no drift.
func CumLogReturns(x []float64) []float64 {
	return CumLogReturnsTo(make([]float64, len(x)), x)
}

// CumLogReturnsTo is CumLogReturns written into dst, which must be as long as x; it returns dst.
func CumLogReturnsTo(dst, x []float64) []float64 {
	s, ok := start(dst, x, 1, 1, 0)
	if !ok {
		return dst
	}
	for i := s; i < len(x); i++ {
		dst[i] = math.Log(x[i] / x[s])
	}
	return dst
}

// LogReturnStream is the streaming twin of LogReturns (or CumLogReturns
// from NewCumLogReturnStream).
type LogReturnStream struct {
	cum             bool
	cnt             int
	first, prev, at float64 // first value, previous bar's, newest bar's
}

// NewLogReturnStream streams LogReturns.
func NewLogReturnStream() *LogReturnStream { return &LogReturnStream{} }

// NewCumLogReturnStream streams CumLogReturns.
func NewCumLogReturnStream() *LogReturnStream { return &LogReturnStream{cum: true} }

// Update consumes a new bar.
func (s *LogReturnStream) Update(x float64) float64 {
	if s.cnt == 0 && x != x {
		return math.NaN()
	}
	s.cnt++
	s.prev = s.at
	return s.step(x)
}

// Revise replaces the newest bar's input.
func (s *LogReturnStream) Revise(x float64) float64 {
	if s.cnt == 0 {
		return s.Update(x)
	}
	return s.step(x)
}

func (s *LogReturnStream) step(x float64) float64 {
	s.at = x
	if s.cnt == 1 {
		s.first = x
	}
	switch {
	case s.cum:
		return math.Log(x / s.first)
	case s.cnt == 1:
		return math.NaN()
	}
	return math.Log(x / s.prev)
}

// DollarVolume is each bar's traded value estimated as (H+L+C)/3·V, as
// piker's dolla_vlm history.
func DollarVolume(high, low, close, volume []float64) []float64 {
	return DollarVolumeTo(make([]float64, len(high)), high, low, close, volume)
}

// DollarVolumeTo is DollarVolume written into dst, which must be as long as high; it returns dst.
func DollarVolumeTo(dst, high, low, close, volume []float64) []float64 {
	s, ok := startBars(dst, [][]float64{high, low, close, volume}, 1, 1, 0)
	if !ok {
		return dst
	}
	for i := s; i < len(dst); i++ {
		dst[i] = (high[i] + low[i] + close[i]) / 3 * volume[i]
	}
	return dst
}

// DollarVolumeStream streams DollarVolume; it keeps no state, so Revise is
// Update.
type DollarVolumeStream struct{}

// NewDollarVolumeStream returns a DollarVolume stream.
func NewDollarVolumeStream() *DollarVolumeStream { return &DollarVolumeStream{} }

// Update consumes a new bar.
func (*DollarVolumeStream) Update(high, low, close, volume float64) float64 {
	return (high + low + close) / 3 * volume
}

// Revise replaces the newest bar's input.
func (*DollarVolumeStream) Revise(high, low, close, volume float64) float64 {
	return (high + low + close) / 3 * volume
}

// LookbackFlowRates is the number of leading NaNs of FlowRates(n): n−1.
func LookbackFlowRates(n int) int { return n - 1 }

// FlowRates are piker's flow_rates for bars of period seconds: the volume
// per second and the dollar volume per second, averaged over the last n ≥ 1
// bars (mean of the n bars' values divided by the period). piker's version
// printed zeros for all history, never updated the dollar-volume rate and
// depended on a realtime feed; here both rates exist for every bar after the
// lookback and come from the bars alone. Trade-count rates need tick data
// and are not computed from bars.
func FlowRates(high, low, close, volume []float64, period int64, n int) (vlmRate, dvlmRate []float64) {
	dv := DollarVolume(high, low, close, volume)
	if period <= 0 || len(dv) != len(volume) {
		return newOut(len(dv), len(dv)), newOut(len(dv), len(dv))
	}
	vlmRate, dvlmRate = SMA(volume, n), SMA(dv, n)
	p := float64(period)
	for i := range vlmRate {
		vlmRate[i] /= p
		dvlmRate[i] /= p
	}
	return vlmRate, dvlmRate
}

// FlowRatesStream is the streaming twin of FlowRates.
type FlowRatesStream struct {
	p    float64
	v, d *SMAStream
}

// NewFlowRatesStream returns a FlowRates(period, n) stream.
func NewFlowRatesStream(period int64, n int) *FlowRatesStream {
	if period <= 0 {
		n = 0
	}
	return &FlowRatesStream{p: float64(period), v: NewSMAStream(n), d: NewSMAStream(n)}
}

// Update consumes a new bar and returns the volume and dollar-volume rates.
func (s *FlowRatesStream) Update(high, low, close, volume float64) (vlmRate, dvlmRate float64) {
	return s.v.Update(volume) / s.p, s.d.Update(float64((high+low+close)/3*volume)) / s.p
}

// Revise replaces the newest bar's input.
func (s *FlowRatesStream) Revise(high, low, close, volume float64) (vlmRate, dvlmRate float64) {
	return s.v.Revise(volume) / s.p, s.d.Revise(float64((high+low+close)/3*volume)) / s.p
}

func init() {
	i := func(p []float64, k int) int { return int(p[k]) }
	Register(&Def{
		Name: "obv", Doc: "on-balance volume", Inputs: []string{"close", "volume"}, Outputs: []string{"obv"},
		Lookback: func([]float64) int { return LookbackOBV() },
		Batch:    func(in [][]float64, _ []float64) [][]float64 { return one(OBV(in[0], in[1])) },
		Stream: func([]float64) Stream {
			s := NewOBVStream()
			return stream2in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "ad", Doc: "Chaikin accumulation/distribution line", Inputs: hlcvInputs, Outputs: []string{"ad"},
		Lookback: func([]float64) int { return LookbackAD() },
		Batch:    func(in [][]float64, _ []float64) [][]float64 { return one(AD(in[0], in[1], in[2], in[3])) },
		Stream: func([]float64) Stream {
			s := NewADStream()
			return stream4in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "adosc", Doc: "Chaikin A/D oscillator", Inputs: hlcvInputs,
		Params:   []Param{PeriodParam("fast", 3, 2), PeriodParam("slow", 10, 2)},
		Outputs:  []string{"adosc"},
		Lookback: func(p []float64) int { return LookbackADOSC(i(p, 0), i(p, 1)) },
		Batch: func(in [][]float64, p []float64) [][]float64 {
			return one(ADOSC(in[0], in[1], in[2], in[3], i(p, 0), i(p, 1)))
		},
		Stream: func(p []float64) Stream {
			s := NewADOSCStream(i(p, 0), i(p, 1))
			return stream4in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "vwap", Doc: "VWAP of (H+L+C)/3, restarted every `every` seconds of epoch time (0: cumulative, 86400: each UTC day)",
		Inputs:   []string{"time", "high", "low", "close", "volume"},
		Params:   []Param{{Name: "every", Default: 0, Min: 0, Max: 1e12, Int: true}},
		Outputs:  []string{"vwap"},
		Lookback: func([]float64) int { return 0 },
		Batch: func(in [][]float64, p []float64) [][]float64 {
			t := make([]int64, len(in[0]))
			for j, v := range in[0] {
				t[j] = int64(v)
			}
			return one(VWAPReset(t, in[1], in[2], in[3], in[4], int64(p[0])))
		},
		Stream: func(p []float64) Stream {
			s := NewVWAPStream(int64(p[0]))
			return barStream{
				func(in, out []float64) { out[0] = s.Update(int64(in[0]), in[1], in[2], in[3], in[4]) },
				func(in, out []float64) { out[0] = s.Revise(int64(in[0]), in[1], in[2], in[3], in[4]) },
			}
		},
	})
	Register(&Def{
		Name: "barwap", Doc: "VWAP of (H+L+C)/3 over the last n bars", Inputs: hlcvInputs,
		Params: []Param{PeriodParam("n", 20, 1)}, Outputs: []string{"barwap"},
		Lookback: func(p []float64) int { return LookbackBarWAP(i(p, 0)) },
		Batch:    func(in [][]float64, p []float64) [][]float64 { return one(BarWAP(in[0], in[1], in[2], in[3], i(p, 0))) },
		Stream: func(p []float64) Stream {
			s := NewBarWAPStream(i(p, 0))
			return stream4in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "logret", Doc: "log return ln(x/x[-1])", Inputs: []string{"close"}, Outputs: []string{"logret"},
		Lookback: func([]float64) int { return LookbackLogReturns() },
		Batch:    func(in [][]float64, _ []float64) [][]float64 { return one(LogReturns(in[0])) },
		Stream: func([]float64) Stream {
			s := NewLogReturnStream()
			return stream1{s.Update, s.Revise}
		},
	})
	Register(&Def{
		Name: "cumlogret", Doc: "log return since the first bar ln(x/x[0])", Inputs: []string{"close"}, Outputs: []string{"cumlogret"},
		Lookback: func([]float64) int { return 0 },
		Batch:    func(in [][]float64, _ []float64) [][]float64 { return one(CumLogReturns(in[0])) },
		Stream: func([]float64) Stream {
			s := NewCumLogReturnStream()
			return stream1{s.Update, s.Revise}
		},
	})
	Register(&Def{
		Name: "dollar_volume", Doc: "(H+L+C)/3 times volume", Inputs: hlcvInputs, Outputs: []string{"dollar_volume"},
		Lookback: func([]float64) int { return 0 },
		Batch:    func(in [][]float64, _ []float64) [][]float64 { return one(DollarVolume(in[0], in[1], in[2], in[3])) },
		Stream: func([]float64) Stream {
			s := NewDollarVolumeStream()
			return stream4in(s.Update, s.Revise)
		},
	})
	Register(&Def{
		Name: "flow_rates", Doc: "volume and dollar volume per second, mean of the last n bars of secs seconds",
		Inputs:   hlcvInputs,
		Params:   []Param{PeriodParam("n", 1, 1), {Name: "secs", Default: 60, Min: 1, Max: 1e9, Int: true}},
		Outputs:  []string{"vlm_rate", "dvlm_rate"},
		Lookback: func(p []float64) int { return LookbackFlowRates(i(p, 0)) },
		Batch: func(in [][]float64, p []float64) [][]float64 {
			v, d := FlowRates(in[0], in[1], in[2], in[3], int64(p[1]), i(p, 0))
			return [][]float64{v, d}
		},
		Stream: func(p []float64) Stream {
			s := NewFlowRatesStream(int64(p[1]), i(p, 0))
			return barStream{
				func(in, out []float64) { out[0], out[1] = s.Update(in[0], in[1], in[2], in[3]) },
				func(in, out []float64) { out[0], out[1] = s.Revise(in[0], in[1], in[2], in[3]) },
			}
		},
	})
}
