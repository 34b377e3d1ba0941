package fsp

import (
	"math"
	"testing"
)

// bars3 adapts a stream over (high, low, close) to checkStream.
func bars3(update, revise func(h, l, c float64) float64) streamer {
	return func(rev bool, in []float64) []float64 {
		if rev {
			return []float64{revise(in[0], in[1], in[2])}
		}
		return []float64{update(in[0], in[1], in[2])}
	}
}

func TestVolatilityMatchesTALib(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		checkRef(t, s, "trange", TRANGE(s.high, s.low, s.close), talibTol)
		checkRef(t, s, "atr14", ATR(s.high, s.low, s.close, 14), talibTol)
		checkRef(t, s, "natr14", NATR(s.high, s.low, s.close, 14), talibTol)
		checkRef(t, s, "midprice14", MIDPRICE(s.high, s.low, 14), talibTol)
		checkRef(t, s, "typprice", TYPPRICE(s.high, s.low, s.close), talibTol)
		checkRef(t, s, "avgprice", AVGPRICE(s.open, s.high, s.low, s.close), talibTol)
		checkRef(t, s, "wclprice", WCLPRICE(s.high, s.low, s.close), talibTol)
		checkRef(t, s, "bop", BOP(s.open, s.high, s.low, s.close), talibTol)
	})
}

func TestVolatilityStreams(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		hlc := [][]float64{s.high, s.low, s.close}
		checkStream(t, "trange", hlc, [][]float64{TRANGE(s.high, s.low, s.close)}, func() streamer {
			st := NewTRANGEStream()
			return bars3(st.Update, st.Revise)
		})
		for _, n := range []int{1, 2, 14} {
			checkStream(t, "atr", hlc, [][]float64{ATR(s.high, s.low, s.close, n)}, func() streamer {
				st := NewATRStream(n)
				return bars3(st.Update, st.Revise)
			})
			checkStream(t, "natr", hlc, [][]float64{NATR(s.high, s.low, s.close, n)}, func() streamer {
				st := NewNATRStream(n)
				return bars3(st.Update, st.Revise)
			})
		}
		for _, n := range []int{2, 3, 14} {
			checkStream(t, "midprice", hlc[:2], [][]float64{MIDPRICE(s.high, s.low, n)}, func() streamer {
				st := NewMIDPRICEStream(n)
				return func(rev bool, in []float64) []float64 {
					if rev {
						return []float64{st.Revise(in[0], in[1])}
					}
					return []float64{st.Update(in[0], in[1])}
				}
			})
		}
		ohlc := [][]float64{s.open, s.high, s.low, s.close}
		for name, c := range map[string]struct {
			mk    func() *PriceStream
			batch []float64
		}{
			"typprice": {NewTYPPRICEStream, TYPPRICE(s.high, s.low, s.close)},
			"avgprice": {NewAVGPRICEStream, AVGPRICE(s.open, s.high, s.low, s.close)},
			"wclprice": {NewWCLPRICEStream, WCLPRICE(s.high, s.low, s.close)},
			"bop":      {NewBOPStream, BOP(s.open, s.high, s.low, s.close)},
		} {
			checkStream(t, name, ohlc, [][]float64{c.batch}, func() streamer {
				st := c.mk()
				return func(rev bool, in []float64) []float64 {
					if rev {
						return []float64{st.Revise(in[0], in[1], in[2], in[3])}
					}
					return []float64{st.Update(in[0], in[1], in[2], in[3])}
				}
			})
		}
	})
}

func TestVolatilityLeadingNaNAndBadInput(t *testing.T) {
	s := oracles(t)[0]
	k := 5
	got := ATR(leadNaN(s.high, k), leadNaN(s.low, k), leadNaN(s.close, k), 14)
	want := ATR(s.high, s.low, s.close, 14)
	for i := range want {
		if !sameBits(got[i+k], want[i]) {
			t.Fatalf("ATR with %d leading NaNs at %d = %v, want %v", k, i+k, got[i+k], want[i])
		}
	}
	for _, out := range [][]float64{
		ATR(s.high, s.low, s.close, 0),
		ATR(s.high[:10], s.low, s.close, 14),
		MIDPRICE(s.high, s.low, 1),
		ATR(s.high[:14], s.low[:14], s.close[:14], 14),
	} {
		for i, v := range out {
			if !math.IsNaN(v) {
				t.Fatalf("bad input gave %v at %d, want all NaN", v, i)
			}
		}
	}
}

func BenchmarkATR(b *testing.B) {
	c := benchInput(1 << 20)
	h, l := make([]float64, len(c)), make([]float64, len(c))
	for i, v := range c {
		h[i], l[i] = v+1, v-1
	}
	b.ResetTimer()
	for b.Loop() {
		ATR(h, l, c, 14)
	}
}
