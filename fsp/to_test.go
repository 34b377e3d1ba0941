package fsp

import (
	"math"
	"strconv"
	"testing"
)

// dirty returns k destinations of length n full of a value no indicator
// prints, so a To function that leaves a cell unwritten is caught.
func dirty(k, n int) [][]float64 {
	out := make([][]float64, k)
	for i := range out {
		out[i] = make([]float64, n)
		for j := range out[i] {
			out[i][j] = -7.25e300
		}
	}
	return out
}

// TestToVariantsEqualAllocating holds every To function to its allocating
// twin bit for bit, over oracle bars with and without leading NaNs and with
// good and bad parameters, writing into dirty destinations.
func TestToVariantsEqualAllocating(t *testing.T) {
	type toCase struct {
		name  string
		alloc func(o, h, l, c, v []float64) [][]float64
		to    func(d [][]float64, o, h, l, c, v []float64) [][]float64
		outs  int
	}
	w := func(xs ...[]float64) [][]float64 { return xs }
	var cases []toCase
	one := func(name string, a func(o, h, l, c, v []float64) []float64, to func(d, o, h, l, c, v []float64) []float64) {
		cases = append(cases, toCase{name,
			func(o, h, l, c, v []float64) [][]float64 { return w(a(o, h, l, c, v)) },
			func(d [][]float64, o, h, l, c, v []float64) [][]float64 { return w(to(d[0], o, h, l, c, v)) }, 1})
	}
	for _, n := range []int{0, 1, 2, 5, 14} {
		nn := n
		x1 := func(f func([]float64, int) []float64) func(o, h, l, c, v []float64) []float64 {
			return func(_, _, _, c, _ []float64) []float64 { return f(c, nn) }
		}
		x1To := func(f func(d, x []float64, n int) []float64) func(d, o, h, l, c, v []float64) []float64 {
			return func(d, _, _, _, c, _ []float64) []float64 { return f(d, c, nn) }
		}
		hlc := func(f func(h, l, c []float64, n int) []float64) func(o, h, l, c, v []float64) []float64 {
			return func(_, h, l, c, _ []float64) []float64 { return f(h, l, c, nn) }
		}
		hlcTo := func(f func(d, h, l, c []float64, n int) []float64) func(d, o, h, l, c, v []float64) []float64 {
			return func(d, _, h, l, c, _ []float64) []float64 { return f(d, h, l, c, nn) }
		}
		hl := func(f func(h, l []float64, n int) []float64) func(o, h, l, c, v []float64) []float64 {
			return func(_, h, l, _, _ []float64) []float64 { return f(h, l, nn) }
		}
		hlTo := func(f func(d, h, l []float64, n int) []float64) func(d, o, h, l, c, v []float64) []float64 {
			return func(d, _, h, l, _, _ []float64) []float64 { return f(d, h, l, nn) }
		}
		hlcv := func(f func(h, l, c, v []float64, n int) []float64) func(o, h, l, c, v []float64) []float64 {
			return func(_, h, l, c, v []float64) []float64 { return f(h, l, c, v, nn) }
		}
		hlcvTo := func(f func(d, h, l, c, v []float64, n int) []float64) func(d, o, h, l, c, v []float64) []float64 {
			return func(d, _, h, l, c, v []float64) []float64 { return f(d, h, l, c, v, nn) }
		}
		for _, f := range []struct {
			name string
			a    func([]float64, int) []float64
			to   func(d, x []float64, n int) []float64
		}{
			{"SMA", SMA, SMATo}, {"EMA", EMA, EMATo}, {"WMA", WMA, WMATo}, {"DEMA", DEMA, DEMATo},
			{"TEMA", TEMA, TEMATo}, {"TRIMA", TRIMA, TRIMATo}, {"KAMA", KAMA, KAMATo},
			{"RSI", RSI, RSITo}, {"CMO", CMO, CMOTo}, {"MOM", MOM, MOMTo}, {"ROC", ROC, ROCTo},
			{"LINEARREG", LINEARREG, LINEARREGTo}, {"LINEARREG_SLOPE", LINEARREG_SLOPE, LINEARREG_SLOPETo},
			{"MIDPOINT", MIDPOINT, MIDPOINTTo},
			{"T3", func(x []float64, n int) []float64 { return T3(x, n, 0.7) },
				func(d, x []float64, n int) []float64 { return T3To(d, x, n, 0.7) }},
			{"STDDEV", func(x []float64, n int) []float64 { return STDDEV(x, n, 2) },
				func(d, x []float64, n int) []float64 { return STDDEVTo(d, x, n, 2) }},
			{"APO", func(x []float64, n int) []float64 { return APO(x, n, 2*n) },
				func(d, x []float64, n int) []float64 { return APOTo(d, x, n, 2*n) }},
			{"PPO", func(x []float64, n int) []float64 { return PPO(x, n, 2*n) },
				func(d, x []float64, n int) []float64 { return PPOTo(d, x, n, 2*n) }},
		} {
			one(f.name+"/"+strconv.Itoa(n), x1(f.a), x1To(f.to))
		}
		for _, f := range []struct {
			name string
			a    func(h, l, c []float64, n int) []float64
			to   func(d, h, l, c []float64, n int) []float64
		}{
			{"ATR", ATR, ATRTo}, {"NATR", NATR, NATRTo}, {"WILLR", WILLR, WILLRTo}, {"CCI", CCI, CCITo},
			{"ADX", ADX, ADXTo}, {"PLUS_DI", PLUS_DI, PLUS_DITo}, {"MINUS_DI", MINUS_DI, MINUS_DITo},
			{"ULTOSC", func(h, l, c []float64, n int) []float64 { return ULTOSC(h, l, c, n, 2*n, 4*n) },
				func(d, h, l, c []float64, n int) []float64 { return ULTOSCTo(d, h, l, c, n, 2*n, 4*n) }},
		} {
			one(f.name+"/"+strconv.Itoa(n), hlc(f.a), hlcTo(f.to))
		}
		one("MIDPRICE/"+strconv.Itoa(n), hl(MIDPRICE), hlTo(MIDPRICETo))
		one("AROONOSC/"+strconv.Itoa(n), hl(AROONOSC), hlTo(AROONOSCTo))
		one("MFI/"+strconv.Itoa(n), hlcv(MFI), hlcvTo(MFITo))
		one("BarWAP/"+strconv.Itoa(n), hlcv(BarWAP), hlcvTo(BarWAPTo))
		one("ADOSC/"+strconv.Itoa(n), hlcv(func(h, l, c, v []float64, n int) []float64 { return ADOSC(h, l, c, v, n, 3*n) }),
			hlcvTo(func(d, h, l, c, v []float64, n int) []float64 { return ADOSCTo(d, h, l, c, v, n, 3*n) }))
		cases = append(cases,
			toCase{"MACD/" + strconv.Itoa(n), func(_, _, _, c, _ []float64) [][]float64 { return w(MACD(c, n, 2*n, 3)) },
				func(d [][]float64, _, _, _, c, _ []float64) [][]float64 {
					return w(MACDTo(d[0], d[1], d[2], c, n, 2*n, 3))
				}, 3},
			toCase{"BBANDS/" + strconv.Itoa(n), func(_, _, _, c, _ []float64) [][]float64 { return w(BBANDS(c, n, 2, 1.5)) },
				func(d [][]float64, _, _, _, c, _ []float64) [][]float64 {
					return w(BBANDSTo(d[0], d[1], d[2], c, n, 2, 1.5))
				}, 3},
			toCase{"STOCH/" + strconv.Itoa(n), func(_, h, l, c, _ []float64) [][]float64 { return w(STOCH(h, l, c, n, 3, 2)) },
				func(d [][]float64, _, h, l, c, _ []float64) [][]float64 {
					return w(STOCHTo(d[0], d[1], h, l, c, n, 3, 2))
				}, 2},
			toCase{"AROON/" + strconv.Itoa(n), func(_, h, l, _, _ []float64) [][]float64 { return w(AROON(h, l, n)) },
				func(d [][]float64, _, h, l, _, _ []float64) [][]float64 { return w(AROONTo(d[0], d[1], h, l, n)) }, 2},
			toCase{"DMI/" + strconv.Itoa(n), func(_, h, l, c, _ []float64) [][]float64 { return w(DMI(h, l, c, n)) },
				func(d [][]float64, _, h, l, c, _ []float64) [][]float64 {
					return w(DMITo(d[0], d[1], d[2], h, l, c, n))
				}, 3},
		)
	}
	one("TRANGE", func(_, h, l, c, _ []float64) []float64 { return TRANGE(h, l, c) },
		func(d, _, h, l, c, _ []float64) []float64 { return TRANGETo(d, h, l, c) })
	one("TYPPRICE", func(_, h, l, c, _ []float64) []float64 { return TYPPRICE(h, l, c) },
		func(d, _, h, l, c, _ []float64) []float64 { return TYPPRICETo(d, h, l, c) })
	one("WCLPRICE", func(_, h, l, c, _ []float64) []float64 { return WCLPRICE(h, l, c) },
		func(d, _, h, l, c, _ []float64) []float64 { return WCLPRICETo(d, h, l, c) })
	one("AVGPRICE", func(o, h, l, c, _ []float64) []float64 { return AVGPRICE(o, h, l, c) },
		func(d, o, h, l, c, _ []float64) []float64 { return AVGPRICETo(d, o, h, l, c) })
	one("BOP", func(o, h, l, c, _ []float64) []float64 { return BOP(o, h, l, c) },
		func(d, o, h, l, c, _ []float64) []float64 { return BOPTo(d, o, h, l, c) })
	one("OBV", func(_, _, _, c, v []float64) []float64 { return OBV(c, v) },
		func(d, _, _, _, c, v []float64) []float64 { return OBVTo(d, c, v) })
	one("AD", func(_, h, l, c, v []float64) []float64 { return AD(h, l, c, v) },
		func(d, _, h, l, c, v []float64) []float64 { return ADTo(d, h, l, c, v) })
	one("VWAP", func(_, h, l, c, v []float64) []float64 { return VWAP(h, l, c, v) },
		func(d, _, h, l, c, v []float64) []float64 { return VWAPTo(d, h, l, c, v) })
	one("WAP", func(_, _, _, c, v []float64) []float64 { return WAP(c, v) },
		func(d, _, _, _, c, v []float64) []float64 { return WAPTo(d, c, v) })
	one("DollarVolume", func(_, h, l, c, v []float64) []float64 { return DollarVolume(h, l, c, v) },
		func(d, _, h, l, c, v []float64) []float64 { return DollarVolumeTo(d, h, l, c, v) })
	one("LogReturns", func(_, _, _, c, _ []float64) []float64 { return LogReturns(c) },
		func(d, _, _, _, c, _ []float64) []float64 { return LogReturnsTo(d, c) })
	one("CumLogReturns", func(_, _, _, c, _ []float64) []float64 { return CumLogReturns(c) },
		func(d, _, _, _, c, _ []float64) []float64 { return CumLogReturnsTo(d, c) })
	one("SAR", func(_, h, l, _, _ []float64) []float64 { return SAR(h, l, 0.02, 0.2) },
		func(d, _, h, l, _, _ []float64) []float64 { return SARTo(d, h, l, 0.02, 0.2) })

	s := oracles(t)[0]
	for _, lead := range []int{0, 3} {
		o, h, l, c, v := leadNaN(s.open, lead), leadNaN(s.high, lead), leadNaN(s.low, lead),
			leadNaN(s.close, lead), leadNaN(s.volume, lead)
		for _, tc := range cases {
			want := tc.alloc(o, h, l, c, v)
			got := tc.to(dirty(tc.outs, len(c)), o, h, l, c, v)
			for k := range want {
				for i := range want[k] {
					if !sameBits(got[k][i], want[k][i]) {
						t.Fatalf("%s lead %d output %d bar %d: To gives %v, allocating %v",
							tc.name, lead, k, i, got[k][i], want[k][i])
					}
				}
			}
		}
	}
}

func TestToPanicsOnWrongLength(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("SMATo with a short destination did not panic")
		}
	}()
	SMATo(make([]float64, 3), make([]float64, 4), 2)
}

// benchOHLCV is n bars of a random walk with a random range and volume, the
// shape of bench/fsp's input (constant offsets would flatter the rolling
// extremes).
func benchOHLCV(n int) (o, h, l, c, v []float64) {
	o, h, l, c, v = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	state := uint64(20240101)
	next := func() float64 {
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return float64((z^(z>>31))>>11) / (1 << 53)
	}
	price := 100.0
	for i := range c {
		o[i] = price
		price *= math.Exp((next() - 0.5) * 0.01)
		c[i] = price
		h[i] = max(o[i], price) * (1 + next()*0.003)
		l[i] = min(o[i], price) * (1 - next()*0.003)
		v[i] = 1 + next()*1000
	}
	return o, h, l, c, v
}

// BenchmarkTo measures the To functions into a buffer allocated once, and
// the streams, over 1M bars: go test -run - -bench To/NAME -cpuprofile.
func BenchmarkTo(b *testing.B) {
	o, h, l, c, v := benchOHLCV(benchBars)
	d1, d2 := make([]float64, len(c)), make([]float64, len(c))
	for _, bc := range []struct {
		name string
		f    func()
	}{
		{"SMA", func() { SMATo(d1, c, 20) }},
		{"TRANGE", func() { TRANGETo(d1, h, l, c) }},
		{"MIDPRICE", func() { MIDPRICETo(d1, h, l, 14) }},
		{"PLUS_DI", func() { PLUS_DITo(d1, h, l, c, 14) }},
		{"ADX", func() { ADXTo(d1, h, l, c, 14) }},
		{"CCI", func() { CCITo(d1, h, l, c, 14) }},
		{"ULTOSC", func() { ULTOSCTo(d1, h, l, c, 7, 14, 28) }},
		{"WILLR", func() { WILLRTo(d1, h, l, c, 14) }},
		{"AD", func() { ADTo(d1, h, l, c, v) }},
		{"ADOSC", func() { ADOSCTo(d1, h, l, c, v, 3, 10) }},
		{"AROON", func() { AROONTo(d1, d2, h, l, 14) }},
		{"BOP", func() { BOPTo(d1, o, h, l, c) }},
		{"SMAStream", func() {
			s := NewSMAStream(20)
			for _, x := range c {
				s.Update(x)
			}
		}},
		{"TRANGEStream", func() {
			s := NewTRANGEStream()
			for i := range c {
				s.Update(h[i], l[i], c[i])
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				bc.f()
			}
		})
	}
}

// TestWindowExtremesFallback: MIDPRICE, WILLR and AROON take their extremes on
// integer keys when the bars hold no NaN or zero, and by comparisons
// otherwise; both must equal the streams bit for bit.
func TestWindowExtremesFallback(t *testing.T) {
	s := oracles(t)[0]
	h, l := append([]float64(nil), s.high...), append([]float64(nil), s.low...)
	negZero := math.Copysign(0, -1)
	for _, cut := range []struct {
		name string
		edit func()
	}{
		{"plain", func() {}},
		{"NaN high", func() { h[40] = math.NaN() }},
		{"NaN low", func() { l[90] = math.NaN() }},
		{"zeros", func() { h[120], l[121], l[125] = 0, negZero, 0 }},
	} {
		cut.edit()
		for _, n := range []int{2, 5, 14} {
			in := [][]float64{h, l, s.close}
			checkStream(t, cut.name+" midprice", in[:2], [][]float64{MIDPRICE(h, l, n)}, func() streamer {
				st := NewMIDPRICEStream(n)
				return multi(func(in []float64) []float64 { return []float64{st.Update(in[0], in[1])} },
					func(in []float64) []float64 { return []float64{st.Revise(in[0], in[1])} })
			})
			down, up := AROON(h, l, n)
			checkStream(t, cut.name+" aroon", in[:2], [][]float64{down, up, AROONOSC(h, l, n)}, func() streamer {
				st := NewAROONStream(n)
				return multi(func(in []float64) []float64 { d, u, o := st.Update(in[0], in[1]); return []float64{d, u, o} },
					func(in []float64) []float64 { d, u, o := st.Revise(in[0], in[1]); return []float64{d, u, o} })
			})
			checkStream(t, cut.name+" willr", in, [][]float64{WILLR(h, l, s.close, n)}, func() streamer {
				st := NewWILLRStream(n)
				return multi(func(in []float64) []float64 { return []float64{st.Update(in[0], in[1], in[2])} },
					func(in []float64) []float64 { return []float64{st.Revise(in[0], in[1], in[2])} })
			})
		}
	}
}

// TestTRANGEExact holds TRANGE (whose loop takes a two-branch path on
// upright bars) and trueRange to TA-Lib's formula bit for bit, on bars with
// gaps, inverted bars, NaNs, zeros and infinities.
func TestTRANGEExact(t *testing.T) {
	talib := func(h, l, c float64) float64 {
		tr := h - l
		if d := math.Abs(c - h); d > tr {
			tr = d
		}
		if d := math.Abs(c - l); d > tr {
			tr = d
		}
		return tr
	}
	special := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 100.25, 1e300, -1e300,
		math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN()}
	state := uint64(7)
	rnd := func() float64 {
		state = state*6364136223846793005 + 1442695040888963407
		if state>>61 == 0 {
			return special[(state>>32)%uint64(len(special))]
		}
		return float64(int64(state>>11)%2000000-1000000) / 997
	}
	const n = 200000
	h, l, c := make([]float64, n), make([]float64, n), make([]float64, n)
	h[0], l[0], c[0] = 2, 1, 1.5 // a first valid bar, so TRANGE starts at 0
	for i := 1; i < n; i++ {
		h[i], l[i], c[i] = rnd(), rnd(), rnd()
		if i%3 != 0 && l[i] > h[i] {
			h[i], l[i] = l[i], h[i] // mostly upright, some inverted
		}
	}
	got := TRANGE(h, l, c)
	for i := 1; i < n; i++ {
		want := talib(h[i], l[i], c[i-1])
		if !sameBits(got[i], want) {
			t.Fatalf("TRANGE bar %d (%v, %v, %v) = %v, TA-Lib %v", i, h[i], l[i], c[i-1], got[i], want)
		}
		if tr := trueRange(h[i], l[i], c[i-1]); !sameBits(tr, want) {
			t.Fatalf("trueRange(%v, %v, %v) = %v, TA-Lib %v", h[i], l[i], c[i-1], tr, want)
		}
	}
}
