package plots

import (
	"image"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// topLeftChart draws a dense band of noise across the top-left of its data
// area and a quiet line low on the right: the only crowded corner is the
// top-left, where a legend used to go.
func topLeftChart(names bool) *Chart {
	n := 3000
	r := rand.New(rand.NewSource(7))
	t := make([]int64, n)
	a, b := make([]float64, n), make([]float64, n)
	for i := range t {
		t[i] = 1_700_000_000 + int64(i)*60
		a[i], b[i] = math.NaN(), math.NaN()
		if i < n/3 {
			a[i] = 80 + 20*r.Float64()
		} else {
			b[i] = 5 + r.Float64()
		}
	}
	c := NewChart("")
	c.Width, c.Height = 800, 400
	p := c.AddPane("", 1)
	la, lb := p.Line("", t, a), p.Line("", t, b)
	if names {
		la.Name, lb.Name = "crowded top left", "quiet bottom right"
	}
	return c
}

// The legend goes to a corner with nothing drawn under it, not to the
// crowded top-left. It is found in real pixels: the difference between the
// chart with and without names.
func TestLegendAvoidsData(t *testing.T) {
	with, err := topLeftChart(true).PNG()
	if err != nil {
		t.Fatal(err)
	}
	without, err := topLeftChart(false).PNG()
	if err != nil {
		t.Fatal(err)
	}
	a, b := decode(t, with), decode(t, without)
	var box image.Rectangle
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			i := a.PixOffset(x, y)
			if a.Pix[i] != b.Pix[i] || a.Pix[i+1] != b.Pix[i+1] || a.Pix[i+2] != b.Pix[i+2] {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if box.Empty() {
		t.Fatal("no legend drawn")
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	if box.Min.X < w/2 && box.Min.Y < h/2 {
		t.Errorf("legend at %v: in the crowded top-left of a %dx%d chart", box, w, h)
	}
	inkedUnder := 0
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if inked(b, x, y) {
				inkedUnder++
			}
		}
	}
	if inkedUnder > 0 {
		t.Errorf("legend at %v covers %d inked pixels; empty corners were free", box, inkedUnder)
	}
	if dir := os.Getenv("PLOTS_KEEP"); dir != "" {
		os.WriteFile(filepath.Join(dir, "legend.png"), with, 0o644)
	}
}
