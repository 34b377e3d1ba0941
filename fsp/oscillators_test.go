package fsp

import (
	"math"
	"testing"
)

// multi adapts a stream with any number of inputs and outputs to checkStream.
func multi(update, revise func(in []float64) []float64) streamer {
	return func(rev bool, in []float64) []float64 {
		if rev {
			return revise(in)
		}
		return update(in)
	}
}

func TestOscillatorsMatchTALib(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		k, d := STOCH(s.high, s.low, s.close, 14, 3, 3)
		checkRef(t, s, "stoch_k", k, talibTol)
		checkRef(t, s, "stoch_d", d, talibTol)
		checkRef(t, s, "willr14", WILLR(s.high, s.low, s.close, 14), talibTol)
		checkRef(t, s, "cci14", CCI(s.high, s.low, s.close, 14), talibTol)
		checkRef(t, s, "mfi14", MFI(s.high, s.low, s.close, s.volume, 14), talibTol)
		checkRef(t, s, "adx14", ADX(s.high, s.low, s.close, 14), talibTol)
		checkRef(t, s, "plus_di14", PLUS_DI(s.high, s.low, s.close, 14), talibTol)
		checkRef(t, s, "minus_di14", MINUS_DI(s.high, s.low, s.close, 14), talibTol)
		adx, pdi, mdi := DMI(s.high, s.low, s.close, 14)
		checkRef(t, s, "adx14", adx, talibTol)
		// DMI's ±DI start with its ADX, at bar 27; from there they are PLUS_DI's and MINUS_DI's.
		for j, w := range [][2][]float64{{pdi, PLUS_DI(s.high, s.low, s.close, 14)}, {mdi, MINUS_DI(s.high, s.low, s.close, 14)}} {
			for k := range w[0] {
				if want := w[1][k]; k < 27 && !math.IsNaN(w[0][k]) || k >= 27 && !sameBits(w[0][k], want) {
					t.Fatalf("DMI output %d at %d = %v, want %v", j+1, k, w[0][k], want)
				}
			}
		}
		down, up := AROON(s.high, s.low, 14)
		checkRef(t, s, "aroon_down14", down, talibTol)
		checkRef(t, s, "aroon_up14", up, talibTol)
		checkRef(t, s, "ultosc", ULTOSC(s.high, s.low, s.close, 7, 14, 28), talibTol)
		checkRef(t, s, "ultosc", ULTOSC(s.high, s.low, s.close, 28, 7, 14), talibTol)
		checkRef(t, s, "sar", SAR(s.high, s.low, 0.02, 0.2), talibTol)
	})
}

// TestAROONOSCIsUpMinusDown checks AROONOSC against TA-Lib's AROON columns:
// TA-Lib computes it as (100/n)·(iHigh − iLow), equal to up − down within
// rounding.
func TestAROONOSCIsUpMinusDown(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		up, down := s.ref["aroon_up14"], s.ref["aroon_down14"]
		want := make([]float64, len(up))
		for i := range up {
			want[i] = up[i] - down[i]
		}
		s2 := *s
		s2.ref = map[string][]float64{"aroonosc": want}
		s2.first = map[string]int{"aroonosc": s.first["aroon_up14"]}
		checkRef(t, &s2, "aroonosc", AROONOSC(s.high, s.low, 14), tolerance{rel: 1e-12})
	})
}

func TestOscillatorStreams(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		h, l, c, v := s.high, s.low, s.close, s.volume
		hlc := [][]float64{h, l, c}
		for _, p := range [][3]int{{14, 3, 3}, {5, 1, 1}, {1, 2, 4}} {
			k, d := STOCH(h, l, c, p[0], p[1], p[2])
			checkStream(t, "stoch", hlc, [][]float64{k, d}, func() streamer {
				st := NewSTOCHStream(p[0], p[1], p[2])
				return multi(func(in []float64) []float64 {
					k, d := st.Update(in[0], in[1], in[2])
					return []float64{k, d}
				}, func(in []float64) []float64 {
					k, d := st.Revise(in[0], in[1], in[2])
					return []float64{k, d}
				})
			})
		}
		for _, n := range []int{2, 3, 14} {
			checkStream(t, "willr", hlc, [][]float64{WILLR(h, l, c, n)}, func() streamer {
				st := NewWILLRStream(n)
				return bars3(st.Update, st.Revise)
			})
			checkStream(t, "cci", hlc, [][]float64{CCI(h, l, c, n)}, func() streamer {
				st := NewCCIStream(n)
				return bars3(st.Update, st.Revise)
			})
			checkStream(t, "mfi", [][]float64{h, l, c, v}, [][]float64{MFI(h, l, c, v, n)}, func() streamer {
				st := NewMFIStream(n)
				return multi(func(in []float64) []float64 {
					return []float64{st.Update(in[0], in[1], in[2], in[3])}
				}, func(in []float64) []float64 {
					return []float64{st.Revise(in[0], in[1], in[2], in[3])}
				})
			})
			adx, pdi, mdi := ADX(h, l, c, n), PLUS_DI(h, l, c, n), MINUS_DI(h, l, c, n)
			checkStream(t, "dmi", hlc, [][]float64{adx, pdi, mdi}, func() streamer {
				st := NewDMIStream(n)
				return multi(func(in []float64) []float64 {
					a, p, m := st.Update(in[0], in[1], in[2])
					return []float64{a, p, m}
				}, func(in []float64) []float64 {
					a, p, m := st.Revise(in[0], in[1], in[2])
					return []float64{a, p, m}
				})
			})
			down, up := AROON(h, l, n)
			checkStream(t, "aroon", [][]float64{h, l}, [][]float64{down, up, AROONOSC(h, l, n)}, func() streamer {
				st := NewAROONStream(n)
				return multi(func(in []float64) []float64 {
					d, u, o := st.Update(in[0], in[1])
					return []float64{d, u, o}
				}, func(in []float64) []float64 {
					d, u, o := st.Revise(in[0], in[1])
					return []float64{d, u, o}
				})
			})
		}
		for _, p := range [][3]int{{7, 14, 28}, {1, 1, 1}, {3, 2, 5}} {
			checkStream(t, "ultosc", hlc, [][]float64{ULTOSC(h, l, c, p[0], p[1], p[2])}, func() streamer {
				st := NewULTOSCStream(p[0], p[1], p[2])
				return bars3(st.Update, st.Revise)
			})
		}
		for _, p := range [][2]float64{{0.02, 0.2}, {0.1, 0.05}} {
			checkStream(t, "sar", [][]float64{h, l}, [][]float64{SAR(h, l, p[0], p[1])}, func() streamer {
				st := NewSARStream(p[0], p[1])
				return multi(func(in []float64) []float64 {
					return []float64{st.Update(in[0], in[1])}
				}, func(in []float64) []float64 {
					return []float64{st.Revise(in[0], in[1])}
				})
			})
		}
	})
}

func TestOscillatorsBadParameters(t *testing.T) {
	s := oracles(t)[0]
	h, l, c, v := s.high, s.low, s.close, s.volume
	k, d := STOCH(h, l, c, 0, 3, 3)
	down, up := AROON(h, l, 1)
	for name, out := range map[string][]float64{
		"stoch k": k, "stoch d": d, "willr": WILLR(h, l, c, 1), "cci": CCI(h, l, c, 1),
		"mfi": MFI(h, l, c, v[:5], 14), "adx": ADX(h, l, c, 1), "aroon down": down, "aroon up": up,
		"ultosc": ULTOSC(h, l, c, 0, 14, 28), "sar": SAR(h, l, -1, 0.2),
	} {
		for i, x := range out {
			if !math.IsNaN(x) {
				t.Fatalf("%s: %v at %d, want all NaN", name, x, i)
			}
		}
	}
}
