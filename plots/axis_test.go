package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"testing"
)

// Ticks fall at a 1-2-5 step, five to ten of them, checked by hand for the
// first cases and by their properties over a sweep of ranges.
func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		want   []float64
	}{
		{62851.8, 63160, []float64{62900, 62950, 63000, 63050, 63100, 63150}}, // range 308: 50s
		{0, 100, []float64{0, 20, 40, 60, 80, 100}},
		{-14, 42, []float64{-10, 0, 10, 20, 30, 40}},
		{0.9, 1.13, []float64{0.9, 0.95, 1, 1.05, 1.1}},
	} {
		got, _ := niceTicks(c.lo, c.hi)
		if len(got) != len(c.want) {
			t.Errorf("%v..%v: %v, want %v", c.lo, c.hi, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] || (got[i] == 0 && math.Signbit(got[i])) {
				t.Errorf("%v..%v: %v, want %v", c.lo, c.hi, got, c.want)
				break
			}
		}
	}
	for k := 0; k < 2000; k++ {
		lo := math.Sin(float64(k)) * math.Pow(10, float64(k%9-3))
		hi := lo + math.Pow(10, float64(k%7-2))*(1+float64(k%97)/10)
		got, step := niceTicks(lo, hi)
		m := step / math.Pow(10, math.Floor(math.Log10(step)))
		if r := math.Round(m); math.Abs(m-r) > 1e-9 || (r != 1 && r != 2 && r != 5) {
			t.Fatalf("%v..%v: step %v is not 1, 2 or 5 times a power of ten", lo, hi, step)
		}
		// Four only where five would take a step of two that gives more
		// than ten.
		if len(got) < MinYTicks-1 || len(got) > MaxYTicks {
			t.Fatalf("%v..%v: %d ticks %v", lo, hi, len(got), got)
		}
		if len(got) == MinYTicks-1 && math.Floor(hi/(step*0.4))-math.Ceil(lo/(step*0.4))+1 <= MaxYTicks {
			t.Fatalf("%v..%v: 4 ticks at %v where %v would give 5 to 10", lo, hi, step, step*0.4)
		}
		for _, v := range got {
			if v < lo-1e-9*step || v > hi+1e-9*step || math.Abs(v/step-math.Round(v/step)) > 1e-6 {
				t.Fatalf("%v..%v: tick %v off the range or the step %v", lo, hi, v, step)
			}
		}
	}
}

func nearRGB(p color.RGBA, c color.RGBA, tol int) bool {
	d := func(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }
	return d(p.R, c.R) <= tol && d(p.G, c.G) <= tol && d(p.B, c.B) <= tol
}

// The axes read as a trader expects, found in the pixels: a light gridline
// across each pane at every labelled price, the last close tagged in the
// last candle's colour right of the data area, a blank margin above the
// title, and the legend naming each series with its last value.
func TestAxesGridTagsLegend(t *testing.T) {
	f := readBars(t, "goog_daily_2004-2008.csv")
	c := candleChart(f)
	var buf bytes.Buffer
	ls, err := c.RenderLayout(&buf, "png")
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, buf.Bytes())
	for _, l := range ls {
		if len(l.YTicks) < MinYTicks || len(l.YTicks) > MaxYTicks {
			t.Errorf("pane %d: ticks %v", l.Index, l.YTicks)
		}
		for _, v := range l.YTicks {
			row := l.Row(v)
			if row < l.Top+1 || row > l.Bottom-1 || v == 0 {
				continue // on the frame, or under the base of histograms
			}
			grid := 0
			for x := int(l.Left) + 2; x < int(l.Right)-2; x++ {
				for _, y := range []int{int(math.Floor(row)), int(math.Floor(row - 0.5))} {
					if p := img.RGBAAt(x, y); p != (color.RGBA{255, 255, 255, 255}) && nearRGB(p, gridColor, 12) {
						grid++
						break
					}
				}
			}
			if w := int(l.Right - l.Left); grid < w/3 {
				t.Errorf("pane %d: gridline at %v (row %.1f) on %d of %d columns", l.Index, v, row, grid, w)
			}
		}
	}
	price := ls[0]
	n := f.Len() - 1
	want := upColor
	if f.Close[n] < f.Open[n] {
		want = downColor
	}
	row := int(price.Row(f.Close[n]))
	tag := 0
	for y := row - 3; y <= row+3; y++ {
		for x := int(price.Right) + 4; x < int(price.Right)+40; x++ {
			if img.RGBAAt(x, y) == want {
				tag++
			}
		}
	}
	if tag < 60 {
		t.Errorf("last close %v (row %d): %d pixels of the candle colour in the price axis", f.Close[n], row, tag)
	}
	for y := 0; y < 4; y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			if img.RGBAAt(x, y) != (color.RGBA{255, 255, 255, 255}) {
				t.Fatalf("ink at (%d,%d): the title touches the top edge", x, y)
			}
		}
	}
	buf.Reset()
	if err := candleChart(f).Render(&buf, "svg"); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	for _, entry := range []string{"goog  " + strconv.FormatFloat(f.Close[n], 'f', 2, 64)} {
		if !strings.Contains(svg, entry) {
			t.Errorf("svg lacks the legend entry %q", entry)
		}
	}
}

// An overlay's legend says which curve the axis belongs to and how each
// other curve is scaled, in words: the curve Overlay chose as the major is
// the reference, the others are pinned (pin), rebased to their first bar
// (first) or on their own range (none).
func TestOverlayLegendSaysHowCurvesAreScaled(t *testing.T) {
	f := readBars(t, "goog_daily_2004-2008.csv")
	half := f.Clone()
	for i := range half.Close {
		half.Open[i], half.High[i], half.Low[i], half.Close[i] = f.Open[i]/2, f.High[i]/2, f.Low[i]/2, f.Close[i]/2
	}
	for method, other := range map[string]string{
		OverlayPin:   "scaled by % move, pinned to the reference",
		OverlayFirst: "scaled by % move from its first bar in view",
		OverlayNone:  "own price range",
	} {
		c := NewChart("overlay " + method)
		p := c.AddPane("", 1)
		p.Overlay = method
		p.Candles("goog", f)
		p.Candles("half", half)
		ranges, err := c.OverlayRanges()
		if err != nil {
			t.Fatal(err)
		}
		major := ranges[0].Major
		if major == "" { // none has no major: the axis is the first curve's
			major = ranges[0].Curves[0].Name
		}
		minor := "goog"
		if major == "goog" {
			minor = "half"
		}
		var buf bytes.Buffer
		if err := c.Render(&buf, "svg"); err != nil {
			t.Fatal(err)
		}
		svg := buf.String()
		if !strings.Contains(svg, major) || !strings.Contains(svg, "(reference: price on the left axis, log return on the right)") {
			t.Errorf("%s: the legend does not name %s as the reference", method, major)
		}
		if strings.Count(svg, "(reference: price on the left axis, log return on the right)") != 1 || !strings.Contains(svg, "("+other+")") {
			t.Errorf("%s: the legend does not say %s is %q", method, minor, other)
		}
	}
}

// isNiceStep tells whether the values are consecutive multiples of one
// 1-2-5 step.
func isNiceStep(vs []float64) bool {
	if len(vs) < 2 {
		return false
	}
	step := vs[1] - vs[0]
	m := step / math.Pow(10, math.Floor(math.Log10(step)))
	if r := math.Round(m); math.Abs(m-r) > 1e-6 || (r != 1 && r != 2 && r != 5) {
		return false
	}
	for i, v := range vs {
		if math.Abs(v/step-math.Round(v/step)) > 1e-6 || (i > 0 && math.Abs(v-vs[i-1]-step) > 1e-6*step) {
			return false
		}
	}
	return true
}

// An overlay reads on two axes: the reference's price on the left, its
// log return from its pin (its first open, read here from the bars) in
// percent on the right, each at round 1-2-5 values inside the pane's range
// and placed where that price or return is drawn; the reference's last
// close is tagged with its log return.
func TestOverlayDualAxis(t *testing.T) {
	f := readBars(t, "goog_daily_2004-2008.csv")
	other := f.Clone()
	for i := range other.Close {
		k := (1 + 0.2*float64(i)/float64(f.Len())) / 4 // more dispersed: the reference
		other.Open[i], other.High[i], other.Low[i], other.Close[i] = f.Open[i]*k, f.High[i]*k, f.Low[i]*k, f.Close[i]*k
	}
	pin, last := other.Open[0], other.Close[other.Len()-1]
	for _, percent := range []bool{false, true} {
		c := NewChart("dual")
		c.Index = true
		p := c.AddPane("", 1)
		p.Overlay, p.Percent, p.Tick = OverlayPin, percent, 0.01
		p.Candles("goog", f)
		p.Candles("other", other)
		var buf bytes.Buffer
		ls, err := c.RenderLayout(&buf, "svg")
		if err != nil {
			t.Fatal(err)
		}
		l, svg := ls[0], buf.String()
		toPct := func(y float64) float64 { return 100 * math.Log(y/pin) }
		price, ret := l.LeftTicks, l.RightTicks
		var pv, rv []float64
		for _, tk := range price {
			pv = append(pv, tk.Value)
			want := tk.Value
			if percent {
				want = toPct(tk.Value)
			}
			if math.Abs(tk.Y-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("percent %v: price %v at y %v, want %v", percent, tk.Value, tk.Y, want)
			}
			if !strings.Contains(svg, ">"+strconv.FormatFloat(tk.Value, 'f', 2, 64)+"<") {
				t.Errorf("percent %v: no label %.2f on the left axis", percent, tk.Value)
			}
		}
		for _, tk := range ret {
			rv = append(rv, tk.Value)
			want := tk.Value
			if !percent {
				want = pin * math.Exp(tk.Value/100)
			}
			if math.Abs(tk.Y-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("percent %v: return %v%% at y %v, want %v", percent, tk.Value, tk.Y, want)
			}
			if !strings.HasSuffix(tk.Label, "%") || !strings.Contains(svg, ">"+tk.Label+"<") {
				t.Errorf("percent %v: return label %q not drawn", percent, tk.Label)
			}
		}
		// Within a decade both axes are round 1-2-5 steps; percent puts
		// the price on a log axis, spanning one here.
		if (!percent && !isNiceStep(pv)) || !isNiceStep(rv) || len(rv) < MinYTicks-1 || len(rv) > MaxYTicks ||
			len(pv) < MinYTicks-1 || len(pv) > MaxYTicks {
			t.Errorf("percent %v: left %v, right %v: want 5-10 round values each", percent, pv, rv)
		}
		for _, tk := range append(append([]AxisTick(nil), price...), ret...) {
			if tk.Y < l.YMin || tk.Y > l.YMax {
				t.Errorf("percent %v: tick %+v outside the range %v..%v", percent, tk, l.YMin, l.YMax)
			}
		}
		if tag := fmt.Sprintf(">%+.2f%%<", toPct(last)); !strings.Contains(svg, tag) {
			t.Errorf("percent %v: the reference's last close is not tagged %s", percent, tag)
		}
	}
}
