package fsp

import (
	"math"
	"testing"
)

// single adapts a one-in one-out stream to checkStream.
func single(update, revise func(float64) float64) streamer {
	return func(rev bool, in []float64) []float64 {
		if rev {
			return []float64{revise(in[0])}
		}
		return []float64{update(in[0])}
	}
}

func TestMovingAveragesMatchTALib(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		checkRef(t, s, "sma20", SMA(s.close, 20), talibTol)
		checkRef(t, s, "ema20", EMA(s.close, 20), talibTol)
		checkRef(t, s, "wma20", WMA(s.close, 20), talibTol)
		checkRef(t, s, "dema20", DEMA(s.close, 20), talibTol)
		checkRef(t, s, "tema20", TEMA(s.close, 20), talibTol)
		checkRef(t, s, "trima20", TRIMA(s.close, 20), talibTol)
		checkRef(t, s, "kama30", KAMA(s.close, 30), talibTol)
		checkRef(t, s, "t3_5", T3(s.close, 5, 0.7), talibTol)
	})
}

func TestMovingAverageStreams(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		in := [][]float64{s.close}
		for _, n := range []int{1, 2, 5, 20} {
			checkStream(t, "sma", in, [][]float64{SMA(s.close, n)}, func() streamer {
				st := NewSMAStream(n)
				return single(st.Update, st.Revise)
			})
			checkStream(t, "ema", in, [][]float64{EMA(s.close, n)}, func() streamer {
				st := NewEMAStream(n)
				return single(st.Update, st.Revise)
			})
			checkStream(t, "wma", in, [][]float64{WMA(s.close, n)}, func() streamer {
				st := NewWMAStream(n)
				return single(st.Update, st.Revise)
			})
			checkStream(t, "dema", in, [][]float64{DEMA(s.close, n)}, func() streamer {
				st := NewDEMAStream(n)
				return single(st.Update, st.Revise)
			})
			checkStream(t, "tema", in, [][]float64{TEMA(s.close, n)}, func() streamer {
				st := NewTEMAStream(n)
				return single(st.Update, st.Revise)
			})
			checkStream(t, "trima", in, [][]float64{TRIMA(s.close, n)}, func() streamer {
				st := NewTRIMAStream(n)
				return single(st.Update, st.Revise)
			})
			checkStream(t, "kama", in, [][]float64{KAMA(s.close, n)}, func() streamer {
				st := NewKAMAStream(n)
				return single(st.Update, st.Revise)
			})
			checkStream(t, "t3", in, [][]float64{T3(s.close, n, 0.7)}, func() streamer {
				st := NewT3Stream(n, 0.7)
				return single(st.Update, st.Revise)
			})
		}
	})
}

// An average of a series with leading NaNs starts at its first value, as if
// the NaN bars were not there.
func TestLeadingNaNsAreSkipped(t *testing.T) {
	s := oracles(t)[0]
	x := s.close[:200]
	fns := map[string]func([]float64) []float64{
		"sma":  func(x []float64) []float64 { return SMA(x, 10) },
		"ema":  func(x []float64) []float64 { return EMA(x, 10) },
		"wma":  func(x []float64) []float64 { return WMA(x, 10) },
		"kama": func(x []float64) []float64 { return KAMA(x, 10) },
		"t3":   func(x []float64) []float64 { return T3(x, 5, 0.7) },
	}
	for name, f := range fns {
		plain, shifted := f(x), f(leadNaN(x, 7))
		for i := range plain {
			if !sameBits(plain[i], shifted[i+7]) {
				t.Fatalf("%s: bar %d = %v with 7 leading NaNs, %v without", name, i, shifted[i+7], plain[i])
			}
		}
		for i := 0; i < 7; i++ {
			if !math.IsNaN(shifted[i]) {
				t.Fatalf("%s: value %v at leading NaN %d", name, shifted[i], i)
			}
		}
	}
}

func TestBadPeriodsGiveNaN(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	for name, out := range map[string][]float64{
		"sma0": SMA(x, 0), "ema-1": EMA(x, -1), "wma6": WMA(x, 6), "kama5": KAMA(x, 5),
		"t3v": T3(x, 1, 2), "trima0": TRIMA(x, 0), "empty": SMA(nil, 3),
	} {
		for i, v := range out {
			if !math.IsNaN(v) {
				t.Errorf("%s[%d] = %v, want NaN", name, i, v)
			}
		}
	}
}

const benchBars = 1_000_000

func BenchmarkSMA(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		SMA(x, 20)
	}
}

func BenchmarkEMA(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		EMA(x, 20)
	}
}

func BenchmarkWMA(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		WMA(x, 20)
	}
}

func BenchmarkKAMA(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		KAMA(x, 30)
	}
}

func BenchmarkT3(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		T3(x, 5, 0.7)
	}
}

func BenchmarkEMAStream(b *testing.B) {
	x := benchInput(benchBars)
	for b.Loop() {
		s := NewEMAStream(20)
		for _, v := range x {
			s.Update(v)
		}
	}
}
