package plots

import (
	"math"
	"math/rand"
	"testing"

	"workbench/frames"
)

// walkBars makes n 1m bars of a random walk with wicks.
func walkBars(n int, seed int64) *frames.OHLCV {
	r := rand.New(rand.NewSource(seed))
	f := frames.New(60, n)
	p := 100.0
	for i := 0; i < n; i++ {
		o := p
		p *= math.Exp(r.NormFloat64() * 0.002)
		hi := math.Max(o, p) * (1 + 0.001*r.Float64())
		lo := math.Min(o, p) * (1 - 0.001*r.Float64())
		f.Add(1_700_000_000+int64(i)*60, o, hi, lo, p, 1+r.Float64())
	}
	return f
}

func candlesChart(f *frames.OHLCV, index bool) *Chart {
	c := NewChart("")
	c.Width, c.Height = 800, 400
	c.Index = index
	c.AddPane("", 1).Candles("", f)
	return c
}

// A candle chart of many more bars than pixel columns drawn from the OHLC
// aggregated per column against every raw candle drawn, within the line
// test's tolerance: every visibly inked pixel of either image has an inked
// pixel of the other at most one pixel away. Colours are not compared: a
// column of hundreds of raw candles mixes up and down colours where its
// aggregate candle has one. Bins used to be drawn where they fell, a
// fraction of a pixel off the pixel grid, and antialiasing smeared a wick
// over two columns too faintly to count as ink where raw candles were.
func TestM4CandlesMatchRaw(t *testing.T) {
	f := walkBars(200_000, 11)
	for _, index := range []bool{false, true} {
		name := "time"
		if index {
			name = "index"
		}
		t.Run(name, func(t *testing.T) {
			b := matchesRaw(t, candlesChart(f, index))
			// The check has teeth: every 100th bar alone misses the wicks
			// of the bars between.
			d := frames.New(f.Period, f.Len()/100+1)
			for i := 0; i < f.Len(); i += 100 {
				d.Add(f.Time[i], f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i])
			}
			dec, err := candlesChart(d, index).PNG()
			if err != nil {
				t.Fatal(err)
			}
			n := strays(b, decode(t, dec))
			t.Logf("a decimated chart misses %d inked pixels of the raw one", n)
			if n < 100 {
				t.Errorf("decimated chart misses only %d inked pixels of the raw one", n)
			}
		})
	}
}
