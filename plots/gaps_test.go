package plots

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"
)

// gapChart draws one red 1m line with the market closed for the middle
// third of the view: it opens, closes for a long stretch and opens again,
// with a step between the two open stretches that a line drawn across the
// gap would show as a slanted stroke.
func gapChart(n int) (c *Chart, gapFrom, gapTo int64) {
	var t []int64
	var y []float64
	walk := randomWalk(2*n, 5, 100)
	start := int64(1_700_000_000)
	for i := 0; i < n; i++ {
		t, y = append(t, start+int64(i)*60), append(y, walk[i])
	}
	gapFrom = t[len(t)-1]
	gapTo = gapFrom + int64(n)*60
	for i := 0; i < n; i++ {
		t, y = append(t, gapTo+int64(i)*60), append(y, walk[n+i]+5)
	}
	c = NewChart("")
	c.Width, c.Height = 800, 400
	s := c.AddPane("", 1).Line("", t, y)
	s.Color = redLine
	return c, gapFrom, gapTo
}

// redLine is a pure red no other ink of the chart uses.
var redLine = color.RGBA{0xff, 0, 0, 0xff}

func reddish(img *image.RGBA, x, y int) bool {
	i := img.PixOffset(x, y)
	r, g, b := int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])
	return r-g > 48 && r-b > 48
}

// A line is not drawn across a closed session, with M4 (many more points
// than pixels, the gap on a bin boundary) and without it (few points, and
// the raw reference). The gap's pixel columns are found from the line's own
// extent: its first and last points are the view's ends.
func TestLineBreaksAtClosedSession(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		raw  bool
	}{{"m4", 50_000, false}, {"raw", 50_000, true}, {"sparse", 300, false}} {
		t.Run(tc.name, func(t *testing.T) {
			c, gapFrom, gapTo := gapChart(tc.n)
			c.raw = tc.raw
			var buf bytes.Buffer
			ls, err := c.RenderLayout(&buf, "png")
			if err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			img := decode(t, b)
			x0, x1 := img.Rect.Max.X, -1
			cols := make([]int, img.Rect.Dx())
			// The data area only: the last value's tag on the price axis
			// is in the line's colour too.
			for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
				for x := int(ls[0].Left); x < int(ls[0].Right); x++ {
					if reddish(img, x, y) {
						x0, x1 = min(x0, x), max(x1, x)
						cols[x]++
					}
				}
			}
			if x1 < 0 {
				t.Fatal("no line drawn")
			}
			s := c.Panes[0].Series[0]
			t0, tn := s.Time[0], s.Time[len(s.Time)-1]
			px := func(tm int64) float64 { return float64(x0) + float64(tm-t0)/float64(tn-t0)*float64(x1-x0) }
			// One pixel of antialiasing either side of the gap's ends.
			g0, g1 := int(px(gapFrom))+2, int(px(gapTo))-2
			if g1-g0 < 100 {
				t.Fatalf("gap of %d columns: the chart is not what the test expects", g1-g0)
			}
			n := 0
			for x := g0; x <= g1; x++ {
				n += cols[x]
			}
			if n > 0 {
				t.Errorf("%d red pixels in the closed session's columns %d..%d", n, g0, g1)
			}
			if dir := os.Getenv("PLOTS_KEEP"); dir != "" {
				os.WriteFile(filepath.Join(dir, "gap_"+tc.name+".png"), b, 0o644)
			}
		})
	}
}

// With a closed session in view, the M4 chart still matches the raw one
// within TestM4ChartMatchesRaw's tolerance: the stretches are reduced apart.
func TestM4ChartWithGapMatchesRaw(t *testing.T) {
	c, _, _ := gapChart(50_000)
	matchesRaw(t, c)
}
