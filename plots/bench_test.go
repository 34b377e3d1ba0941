package plots

import (
	"io"
	"math"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"workbench/frames"
)

const benchN = 1_000_000

func benchTimes(n int) []int64 {
	t := make([]int64, n)
	for i := range t {
		t[i] = 1_600_000_000 + int64(i)*60
	}
	return t
}

// Five overlaid series of 1M points to a 1600×900 PNG, drawn from M4 output.
func BenchmarkOverlay5x1MM4(b *testing.B) { benchOverlay(b, false) }

// The same on the index axis (bars side by side), what `workbench chart`
// draws by default.
func BenchmarkOverlay5x1MM4Index(b *testing.B) { benchOverlay(b, true) }

func benchOverlay(b *testing.B, index bool) {
	t := benchTimes(benchN)
	c := NewChart("five markets")
	c.Index = index
	p := c.AddPane("", 1)
	p.Overlay = OverlayPin
	for k := 0; k < 5; k++ {
		p.Line(string(rune('a'+k)), t, randomWalk(benchN, int64(k), 100*float64(k+1)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Render(io.Discard, "png"); err != nil {
			b.Fatal(err)
		}
	}
}

// The anchor: gonum/plot drawing the same five series' raw points.
func BenchmarkOverlay5x1MGonumRaw(b *testing.B) {
	t := benchTimes(benchN)
	var lines []*plotter.Line
	for k := 0; k < 5; k++ {
		y := randomWalk(benchN, int64(k), 100*float64(k+1))
		xy := make(plotter.XYs, benchN)
		for i := range xy {
			xy[i] = plotter.XY{X: float64(t[i]), Y: 100 * math.Log(y[i]/y[0])}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			b.Fatal(err)
		}
		lines = append(lines, l)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := plot.New()
		for _, l := range lines {
			p.Add(l)
		}
		w, err := p.WriterTo(1600*vg.Inch/96, 900*vg.Inch/96, "png")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func benchBars(n int) *frames.OHLCV {
	t := benchTimes(n)
	y := randomWalk(n+1, 9, 100)
	f := frames.New(60, n)
	for i := 0; i < n; i++ {
		o, c := y[i], y[i+1]
		f.Add(t[i], o, math.Max(o, c)*1.0005, math.Min(o, c)*0.9995, c, 1)
	}
	return f
}

func benchCandles(b *testing.B, raw, index bool) {
	c := NewChart("1M candles")
	c.raw, c.Index = raw, index
	c.AddPane("", 1).Candles("x", benchBars(benchN))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Render(io.Discard, "png"); err != nil {
			b.Fatal(err)
		}
	}
}

// One 1M-bar candle chart to a 1600×900 PNG from pixel-binned bars.
func BenchmarkCandles1MM4(b *testing.B) { benchCandles(b, false, false) }

// The same on the index axis.
func BenchmarkCandles1MM4Index(b *testing.B) { benchCandles(b, false, true) }

// The anchor: the same chart with every bar drawn through gonum/plot's canvas
// (gonum/plot has no candle plotter of its own).
func BenchmarkCandles1MRaw(b *testing.B) { benchCandles(b, true, false) }
