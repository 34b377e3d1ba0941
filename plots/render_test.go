package plots

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"workbench/frames"
	"workbench/internal/oracle"
)

func readBars(t testing.TB, name string) *frames.OHLCV {
	t.Helper()
	f, err := frames.ReadCSVFile(oracle.Path(t, "ohlcv", name))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func sma(x []float64, n int) []float64 {
	out := make([]float64, len(x))
	s := 0.0
	for i, v := range x {
		s += v
		if i >= n {
			s -= x[i-n]
		}
		out[i] = math.NaN()
		if i >= n-1 {
			out[i] = s / float64(n)
		}
	}
	return out
}

// candleChart is a price pane with candles, an average, levels and
// markers, a volume pane and an indicator pane.
func candleChart(f *frames.OHLCV) *Chart {
	c := NewChart("GOOG daily")
	price := c.AddPane("price", 3)
	price.Tick = 0.01
	price.Candles("goog", f)
	price.Line("sma(20)", f.Time, sma(f.Close, 20))
	price.AddLevel(f.Close[len(f.Close)/2], "break even")
	price.Markers("buys", []int64{f.Time[100], f.Time[300]}, []float64{f.Low[100], f.Low[300]}, ShapeUp)
	c.AddPane("volume", 1).Volume("volume", f)
	osc := make([]float64, f.Len())
	for i := range osc {
		osc[i] = f.Close[i] - sma(f.Close, 20)[i]
	}
	ind := c.AddPane("close - sma", 1)
	ind.Histogram("", f.Time, osc)
	ind.Step("zero", []int64{f.Time[0], f.Time[f.Len()-1]}, []float64{0, 0})
	return c
}

func TestSaveFormatsDeterministic(t *testing.T) {
	f := readBars(t, "goog_daily_2004-2008.csv")
	dir := t.TempDir()
	for _, ext := range []string{"png", "svg", "pdf"} {
		c := candleChart(f)
		c.Width, c.Height = 800, 500
		a, b := filepath.Join(dir, "a."+ext), filepath.Join(dir, "b."+ext)
		if err := c.Save(a); err != nil {
			t.Fatal(err)
		}
		c.Index = false
		if err := candleChart(f).Save(b); err != nil {
			t.Fatal(err)
		}
		da, _ := os.ReadFile(a)
		db, _ := os.ReadFile(b)
		if len(da) == 0 {
			t.Fatalf("%s: empty", a)
		}
		switch ext {
		case "png":
			img, err := png.Decode(bytes.NewReader(da))
			if err != nil {
				t.Fatal(err)
			}
			if s := img.Bounds().Size(); s.X != 800 || s.Y != 500 {
				t.Errorf("png size %v, want 800x500", s)
			}
		case "svg":
			if !strings.Contains(string(da), "<svg") || !strings.Contains(string(da), "GOOG daily") {
				t.Errorf("svg lacks its title")
			}
		case "pdf":
			if !bytes.HasPrefix(da, []byte("%PDF-")) {
				t.Errorf("not a pdf: %q", da[:8])
			}
		}
		// The same chart drawn twice gives the same bytes (b is 1600x900,
		// so compare a with a fresh a).
		again := filepath.Join(dir, "again."+ext)
		c2 := candleChart(f)
		c2.Width, c2.Height = 800, 500
		if err := c2.Save(again); err != nil {
			t.Fatal(err)
		}
		dg, _ := os.ReadFile(again)
		if !bytes.Equal(da, dg) {
			t.Errorf("%s: two saves of one chart differ", ext)
		}
		if bytes.Equal(da, db) {
			t.Errorf("%s: different sizes gave the same bytes", ext)
		}
	}
	if err := candleChart(f).Save(filepath.Join(dir, "x.gif")); err == nil {
		t.Error("saved a .gif")
	}
	if os.Getenv("PLOTS_KEEP") != "" {
		c := candleChart(f)
		c.Save(filepath.Join(os.Getenv("PLOTS_KEEP"), "candles.png"))
		c.Index = true
		c.Save(filepath.Join(os.Getenv("PLOTS_KEEP"), "candles_index.png"))
	}
}

func randomWalk(n int, seed int64, start float64) []float64 {
	r := rand.New(rand.NewSource(seed))
	y := make([]float64, n)
	v := start
	for i := range y {
		v *= math.Exp(r.NormFloat64() * 0.001)
		y[i] = v
	}
	return y
}

func decode(t testing.TB, b []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rgba, ok := img.(*image.RGBA)
	if !ok {
		out := image.NewRGBA(img.Bounds())
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				out.Set(x, y, img.At(x, y))
			}
		}
		rgba = out
	}
	return rgba
}

// inked reports whether a pixel is visibly drawn on: a channel at least 64
// below white.
func inked(img *image.RGBA, x, y int) bool {
	i := img.PixOffset(x, y)
	return img.Pix[i] < 192 || img.Pix[i+1] < 192 || img.Pix[i+2] < 192
}

// strays counts inked pixels of a with no inked pixel of b at most one
// pixel away.
func strays(a, b *image.RGBA) (n int) {
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !inked(a, x, y) {
				continue
			}
			found := false
			for dy := -1; dy <= 1 && !found; dy++ {
				for dx := -1; dx <= 1 && !found; dx++ {
					if (image.Point{x + dx, y + dy}).In(r) && inked(b, x+dx, y+dy) {
						found = true
					}
				}
			}
			if !found {
				n++
			}
		}
	}
	return n
}

func lineChart(n int) *Chart {
	t := make([]int64, n)
	for i := range t {
		t[i] = 1_700_000_000 + int64(i)*60
	}
	c := NewChart("random walk")
	c.Width, c.Height = 800, 400
	p := c.AddPane("", 1)
	p.Line("a", t, randomWalk(n, 1, 100))
	p.Line("b", t, randomWalk(n, 2, 100))
	return c
}

// matchesRaw draws c through M4 and from its raw points and fails unless
// every inked pixel of either image has ink of the other within a pixel;
// it returns the raw image.
func matchesRaw(t *testing.T, c *Chart) *image.RGBA {
	t.Helper()
	m4, err := c.PNG()
	if err != nil {
		t.Fatal(err)
	}
	c.raw = true
	raw, err := c.PNG()
	if err != nil {
		t.Fatal(err)
	}
	a, b := decode(t, m4), decode(t, raw)
	if s1, s2 := strays(a, b), strays(b, a); s1 != 0 || s2 != 0 {
		t.Errorf("%d inked pixels of the M4 chart and %d of the raw chart have nothing drawn within a pixel in the other", s1, s2)
	}
	if dir := os.Getenv("PLOTS_KEEP"); dir != "" {
		name := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
		os.WriteFile(name+"_m4.png", m4, 0o644)
		os.WriteFile(name+"_raw.png", raw, 0o644)
	}
	return b
}

// A chart drawn from M4 output against the same chart drawn from every
// point. Lines are antialiased, so where hundreds of raw segments overlap in
// one pixel column their partial coverage adds up to a bolder stroke than
// the few M4 segments give: the images are not byte-identical. The stated
// tolerance: every visibly inked pixel (a channel 64 below white) of either
// image has an inked pixel of the other at most one pixel away.
func TestM4ChartMatchesRaw(t *testing.T) {
	b := matchesRaw(t, lineChart(200_000))
	// The check has teeth: keeping every 50th point instead (as many
	// points as M4 keeps, roughly) loses spikes the raw chart shows.
	d := lineChart(200_000)
	for _, s := range d.Panes[0].Series {
		var ts []int64
		var ys []float64
		for i := 0; i < len(s.Time); i += 50 {
			ts, ys = append(ts, s.Time[i]), append(ys, s.Y[i])
		}
		s.Time, s.Y = ts, ys
	}
	dec, err := d.PNG()
	if err != nil {
		t.Fatal(err)
	}
	n := strays(b, decode(t, dec))
	t.Logf("a decimated chart misses %d inked pixels of the raw one", n)
	if n < 100 {
		t.Errorf("decimated chart misses only %d inked pixels of the raw one", n)
	}
}

// An overlay pane scales its curves with Overlay over the chart's view, and
// the ranges it draws with are the ones OverlayRanges reports.
func TestOverlayChart(t *testing.T) {
	n := 5000
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = 1_700_000_000 + int64(i)*60
	}
	a, b := randomWalk(n, 3, 100), randomWalk(n, 4, 40)
	c := NewChart("overlay")
	c.Width, c.Height = 800, 400
	p := c.AddPane("", 1)
	p.Overlay = OverlayPin
	p.Line("a", ts, a)
	p.Line("b", ts[1000:], b[1000:]) // starts later: pinned at ts[1000]
	c.From, c.To = ts[500], ts[4000]
	rs, err := c.OverlayRanges()
	if err != nil {
		t.Fatal(err)
	}
	want, err := Overlay([]OverlayCurve{CurveFromLine("a", ts, a), CurveFromLine("b", ts[1000:], b[1000:])}, OverlayPin, ts[500], ts[4000])
	if err != nil {
		t.Fatal(err)
	}
	got := rs[0]
	if got.Curves[1].PinTime != ts[1000] || got.Curves[1].Pin != b[1000] {
		t.Errorf("b pinned at %d to %v", got.Curves[1].PinTime, got.Curves[1].Pin)
	}
	for k := range want.Curves {
		if got.Curves[k] != want.Curves[k] {
			t.Errorf("curve %d: %+v, want %+v", k, got.Curves[k], want.Curves[k])
		}
	}
	// Equal moves from the pin: both curves span the same percentages of
	// their pins (the major's at the minor's pin time).
	var major, minor CurveRange
	for _, cr := range got.Curves {
		if cr.Major {
			major = cr
		} else {
			minor = cr
		}
	}
	mref := a[1000]
	if major.Name != "a" {
		t.Fatalf("major %q: the seeded walks make a the more dispersed curve", major.Name)
	}
	if !near((minor.Max-minor.Pin)/minor.Pin, (major.Max-mref)/mref) || !near((minor.Min-minor.Pin)/minor.Pin, (major.Min-mref)/mref) {
		t.Errorf("minor %+v not pinned to major %+v at %v", minor, major, mref)
	}
	if _, err := c.PNG(); err != nil {
		t.Fatal(err)
	}
	p.Percent = true
	if _, err := c.PNG(); err != nil {
		t.Fatal(err)
	}
}

// The overlay the speed benchmark draws, on the index axis: M4 output and
// every point give the same pixels, also for a market with closed nights
// among 24/7 bars (its line broken over them).
func TestM4IndexOverlayMatchesRaw(t *testing.T) {
	c := lineChart(200_000)
	c.Index = true
	p := c.Panes[0]
	p.Overlay = OverlayPin
	all := p.Series[0].Time
	var ts []int64
	var ys []float64
	for i, tm := range all {
		if h := tm / 3600 % 24; h >= 14 && h < 21 {
			ts, ys = append(ts, tm), append(ys, 50+float64(i%977)/100)
		}
	}
	p.Line("sessions", ts, ys)
	matchesRaw(t, c)
}
