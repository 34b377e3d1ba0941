package fsp

import (
	"math"
	"testing"
)

func TestMomentumMatchesTALib(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		checkRef(t, s, "rsi14", RSI(s.close, 14), talibTol)
		m, sig, h := MACD(s.close, 12, 26, 9)
		checkRef(t, s, "macd", m, talibTol)
		checkRef(t, s, "macd_signal", sig, talibTol)
		checkRef(t, s, "macd_hist", h, talibTol)
		checkRef(t, s, "cmo14", CMO(s.close, 14), talibTol)
		checkRef(t, s, "apo", APO(s.close, 12, 26), talibTol)
		checkRef(t, s, "ppo", PPO(s.close, 12, 26), talibTol)
		checkRef(t, s, "roc10", ROC(s.close, 10), talibTol)
		checkRef(t, s, "mom10", MOM(s.close, 10), talibTol)
		k, d := STOCHRSI(s.close, 14, 14, 3)
		checkRef(t, s, "stochrsi_k", k, talibTol)
		checkRef(t, s, "stochrsi_d", d, talibTol)
	})
}

// TA-Lib's MACD line and signal are reproduced bit for bit, not just within
// the tolerance.
func TestMACDBitExact(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		m, sig, _ := MACD(s.close, 12, 26, 9)
		for i := range m {
			if !sameBits(m[i], s.ref["macd"][i]) || !sameBits(sig[i], s.ref["macd_signal"][i]) {
				t.Fatalf("bar %d: macd %.17g signal %.17g, TA-Lib %.17g %.17g", i, m[i], sig[i], s.ref["macd"][i], s.ref["macd_signal"][i])
			}
		}
	})
}

func TestMomentumStreams(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		rsi := RSI(s.close, 14)
		// A second-level input with leading NaNs exercises the skip in every stream.
		for _, x := range [][]float64{s.close, rsi} {
			in := [][]float64{x}
			for _, n := range []int{2, 5, 14} {
				checkStream(t, "rsi", in, [][]float64{RSI(x, n)}, func() streamer {
					st := NewRSIStream(n)
					return single(st.Update, st.Revise)
				})
				checkStream(t, "cmo", in, [][]float64{CMO(x, n)}, func() streamer {
					st := NewCMOStream(n)
					return single(st.Update, st.Revise)
				})
				checkStream(t, "roc", in, [][]float64{ROC(x, n)}, func() streamer {
					st := NewROCStream(n)
					return single(st.Update, st.Revise)
				})
				checkStream(t, "mom", in, [][]float64{MOM(x, n)}, func() streamer {
					st := NewMOMStream(n)
					return single(st.Update, st.Revise)
				})
				checkStream(t, "ema", in, [][]float64{EMA(x, n)}, func() streamer {
					st := NewEMAStream(n)
					return single(st.Update, st.Revise)
				})
			}
			for _, p := range [][3]int{{12, 26, 9}, {26, 12, 9}, {5, 5, 1}, {3, 10, 16}} {
				m, sg, h := MACD(x, p[0], p[1], p[2])
				checkStream(t, "macd", in, [][]float64{m, sg, h}, func() streamer {
					st := NewMACDStream(p[0], p[1], p[2])
					return func(rev bool, in []float64) []float64 {
						var a, b, c float64
						if rev {
							a, b, c = st.Revise(in[0])
						} else {
							a, b, c = st.Update(in[0])
						}
						return []float64{a, b, c}
					}
				})
				checkStream(t, "apo", in, [][]float64{APO(x, p[0], p[1])}, func() streamer {
					st := NewAPOStream(p[0], p[1])
					return single(st.Update, st.Revise)
				})
				checkStream(t, "ppo", in, [][]float64{PPO(x, p[0], p[1])}, func() streamer {
					st := NewPPOStream(p[0], p[1])
					return single(st.Update, st.Revise)
				})
				k, d := STOCHRSI(x, p[0], p[1], p[2])
				checkStream(t, "stochrsi", in, [][]float64{k, d}, func() streamer {
					st := NewSTOCHRSIStream(p[0], p[1], p[2])
					return func(rev bool, in []float64) []float64 {
						var a, b float64
						if rev {
							a, b = st.Revise(in[0])
						} else {
							a, b = st.Update(in[0])
						}
						return []float64{a, b}
					}
				})
			}
		}
	})
}

// On a flat stretch TA-Lib prints RSI 0 (not 100) and CMO 0.
func TestRSIFlatIsZero(t *testing.T) {
	x := make([]float64, 40)
	for i := range x {
		x[i] = 7
	}
	for i, v := range RSI(x, 14)[14:] {
		if v != 0 {
			t.Fatalf("rsi[%d] = %v on a flat series, TA-Lib prints 0", i+14, v)
		}
	}
	for i, v := range CMO(x, 14)[14:] {
		if v != 0 {
			t.Fatalf("cmo[%d] = %v on a flat series, TA-Lib prints 0", i+14, v)
		}
	}
	if v := RSI(x, 1); !math.IsNaN(v[5]) {
		t.Fatalf("RSI period 1 = %v, want NaN (out of range)", v[5])
	}
}

func BenchmarkRSI(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		RSI(x, 14)
	}
}

func BenchmarkMACD(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		MACD(x, 12, 26, 9)
	}
}

func BenchmarkSTOCHRSI(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		STOCHRSI(x, 14, 14, 3)
	}
}

// Typed streams, one Update per bar over 1M bars (compare with the batch
// benchmarks of the same indicators).
func BenchmarkStreams(b *testing.B) {
	x := benchInput(benchBars)
	run := func(name string, mk func() func(float64)) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				u := mk()
				for _, v := range x {
					u(v)
				}
			}
		})
	}
	run("SMA", func() func(float64) { s := NewSMAStream(20); return func(v float64) { s.Update(v) } })
	run("EMA", func() func(float64) { s := NewEMAStream(20); return func(v float64) { s.Update(v) } })
	run("WMA", func() func(float64) { s := NewWMAStream(20); return func(v float64) { s.Update(v) } })
	run("RSI", func() func(float64) { s := NewRSIStream(14); return func(v float64) { s.Update(v) } })
	run("MACD", func() func(float64) { s := NewMACDStream(12, 26, 9); return func(v float64) { s.Update(v) } })
	run("BBANDS", func() func(float64) { s := NewBBANDSStream(20, 2, 2); return func(v float64) { s.Bands(v) } })
	run("STOCHRSI", func() func(float64) { s := NewSTOCHRSIStream(14, 14, 3); return func(v float64) { s.Update(v) } })
	run("LINEARREG", func() func(float64) { s := NewLINEARREGStream(14); return func(v float64) { s.Update(v) } })
}
