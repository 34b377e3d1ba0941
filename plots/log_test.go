package plots

import (
	"bytes"
	"image/color"
	"math"
	"strings"
	"testing"
)

// growth is n points growing a hundredfold at a constant rate, from 10 to
// 1000, one an hour.
func growth(n int) ([]int64, []float64) {
	t, y := make([]int64, n), make([]float64, n)
	for i := range t {
		t[i] = 1700000000 + int64(i)*3600
		y[i] = 10 * math.Pow(100, float64(i)/float64(n-1))
	}
	return t, y
}

// lineRows finds the mean row of the pixels near a colour (antialiased
// ones included) in each column of a pane's data area that has some.
func lineRows(img interface{ RGBAAt(x, y int) color.RGBA }, l PaneLayout, col color.RGBA) map[int]float64 {
	out := map[int]float64{}
	for x := int(l.Left) + 3; x < int(l.Right)-3; x++ {
		sum, n := 0.0, 0
		for y := int(l.Top); y <= int(l.Bottom); y++ {
			if nearRGB(img.RGBAAt(x, y), col, 150) {
				sum, n = sum+float64(y), n+1
			}
		}
		if n > 0 {
			out[x] = sum / float64(n)
		}
	}
	return out
}

// On a log pane, constant growth is a straight line (on a linear one it
// bends far off the chord), the range has the same log margin at both
// ends, and the labelled values are round: 10, 30, 100, 300, 1000 for
// a hundredfold range.
func TestLogScale(t *testing.T) {
	tm, y := growth(300)
	black := color.RGBA{0, 0, 0, 0xff}
	deviation := func(log bool) (float64, PaneLayout) {
		c := NewChart("growth")
		c.Width, c.Height = 900, 500
		p := c.AddPane("price", 1)
		p.Log = log
		p.Line("", tm, y).Color = black // unnamed: no legend over the line
		var buf bytes.Buffer
		ls, err := c.RenderLayout(&buf, "png")
		if err != nil {
			t.Fatal(err)
		}
		rows := lineRows(decode(t, buf.Bytes()), ls[0], black)
		x0, x1 := math.MaxInt, 0
		for x := range rows {
			x0, x1 = min(x0, x), max(x1, x)
		}
		r0, r1 := rows[x0], rows[x1]
		if w := ls[0].Right - ls[0].Left; len(rows) < int(w)*8/10 || float64(x1-x0) < w*0.9 {
			t.Fatalf("log %v: the line shows in %d columns", log, len(rows))
		}
		worst := 0.0
		for x, r := range rows {
			chord := r0 + (r1-r0)*float64(x-x0)/float64(x1-x0)
			worst = math.Max(worst, math.Abs(r-chord))
		}
		return worst, ls[0]
	}
	dev, l := deviation(true)
	if dev > 1.5 {
		t.Errorf("log pane: the constant growth line is %.1f px off straight", dev)
	}
	if lin, _ := deviation(false); lin < 30 {
		t.Errorf("linear pane: the growth line is only %.1f px off straight; the test cannot tell the scales apart", lin)
	}
	if l.Scale != "log" {
		t.Errorf("scale %q", l.Scale)
	}
	lo, hi := math.Log(10/l.YMin), math.Log(l.YMax/1000)
	if want := RangeMargin * math.Log(100); math.Abs(lo-want) > 1e-9 || math.Abs(hi-want) > 1e-9 {
		t.Errorf("range %v..%v: log margins %v and %v, want %v", l.YMin, l.YMax, lo, hi, want)
	}
	want := []float64{10, 30, 100, 300, 1000}
	if len(l.YTicks) != len(want) {
		t.Fatalf("ticks %v, want %v", l.YTicks, want)
	}
	for i := range want {
		if l.YTicks[i] != want[i] {
			t.Fatalf("ticks %v, want %v", l.YTicks, want)
		}
	}
}

// What a log scale cannot draw is refused with the pane and the series
// named, not drawn wrong or panicking.
func TestLogScaleRefuses(t *testing.T) {
	tm, y := growth(50)
	neg := append([]float64(nil), y...)
	neg[20] = -1
	for _, c := range []struct {
		build func(p *Pane)
		want  string
	}{
		{func(p *Pane) { p.Line("dips", tm, neg) }, `series "dips" goes down to -1`},
		{func(p *Pane) { p.Histogram("vol", tm, y) }, `histogram "vol"`},
		{func(p *Pane) { p.Line("a", tm, y); p.AddLevel(0, "zero") }, `level "zero"`},
		{func(p *Pane) { p.Line("a", tm, y); p.Line("b", tm, y); p.Overlay = OverlayPin }, "overlay"},
	} {
		ch := NewChart("")
		p := ch.AddPane("price", 1)
		p.Log = true
		c.build(p)
		_, err := ch.PNG()
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "pane 0 (price)") {
			t.Errorf("error %v, want one naming pane 0 (price) and %q", err, c.want)
		}
	}
}
