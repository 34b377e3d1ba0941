package fsp

import "testing"

func TestStatsMatchTALib(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		checkRef(t, s, "stddev20", STDDEV(s.close, 20, 1), sigmaTol)
		u, m, l := BBANDS(s.close, 20, 2, 2)
		checkRef(t, s, "bb_upper", u, sigmaTol)
		checkRef(t, s, "bb_middle", m, talibTol)
		checkRef(t, s, "bb_lower", l, sigmaTol)
		checkRef(t, s, "linearreg14", LINEARREG(s.close, 14), talibTol)
		checkRef(t, s, "linearreg_slope14", LINEARREG_SLOPE(s.close, 14), talibTol)
	})
}

func TestStatsStreams(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		for _, x := range [][]float64{s.close, RSI(s.close, 14)} {
			in := [][]float64{x}
			for _, n := range []int{2, 3, 14, 20} {
				checkStream(t, "stddev", in, [][]float64{STDDEV(x, n, 1.5)}, func() streamer {
					st := NewSTDDEVStream(n, 1.5)
					return single(st.Update, st.Revise)
				})
				u, m, l := BBANDS(x, n, 2, 1.5)
				checkStream(t, "bbands", in, [][]float64{u, m, l}, func() streamer {
					st := NewBBANDSStream(n, 2, 1.5)
					return func(rev bool, in []float64) []float64 {
						var a, b, c float64
						if rev {
							a, b, c = st.ReviseBands(in[0])
						} else {
							a, b, c = st.Bands(in[0])
						}
						return []float64{a, b, c}
					}
				})
				checkStream(t, "linearreg", in, [][]float64{LINEARREG(x, n)}, func() streamer {
					st := NewLINEARREGStream(n)
					return single(st.Update, st.Revise)
				})
				checkStream(t, "linearreg_slope", in, [][]float64{LINEARREG_SLOPE(x, n)}, func() streamer {
					st := NewLINEARREGSlopeStream(n)
					return single(st.Update, st.Revise)
				})
			}
		}
	})
}

// The BBANDS middle band is the SMA, bit for bit.
func TestBBANDSMiddleIsSMA(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		_, m, _ := BBANDS(s.close, 20, 2, 2)
		sma := SMA(s.close, 20)
		for i := range m {
			if !sameBits(m[i], sma[i]) {
				t.Fatalf("bar %d: middle %v, SMA %v", i, m[i], sma[i])
			}
		}
	})
}

func BenchmarkBBANDS(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		BBANDS(x, 20, 2, 2)
	}
}

func BenchmarkLINEARREG(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		LINEARREG(x, 14)
	}
}

// TA-Lib prints σ = 0 when the running-sum variance is below 1e-14, so a
// micro-priced coin moving by 1e-9 has flat bands; the bands widen again
// as soon as the variance is above it.
func TestStddevBelowEpsilonIsZero(t *testing.T) {
	x := make([]float64, 60)
	for i := range x {
		x[i] = 1e-5 + float64(i%3)*1e-9
	}
	for i, v := range STDDEV(x, 20, 1)[19:] {
		if v != 0 {
			t.Fatalf("stddev[%d] = %v on σ ~ 1e-9, TA-Lib prints 0", i+19, v)
		}
	}
	u, m, l := BBANDS(x, 20, 2, 2)
	if u[30] != m[30] || l[30] != m[30] {
		t.Fatalf("bands %v %v %v, want all equal", u[30], m[30], l[30])
	}
	for i := range x {
		x[i] = 100 + float64(i%3)
	}
	if v := STDDEV(x, 20, 1)[40]; v < 0.8 || v > 0.83 {
		t.Fatalf("stddev of 100,101,102 repeating = %v, want ~0.816", v)
	}
}
