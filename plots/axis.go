package plots

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var (
	gridColor  = color.RGBA{0xeb, 0xeb, 0xeb, 0xff}
	axisColor  = color.RGBA{0x40, 0x40, 0x40, 0xff}
	breakColor = color.RGBA{0xb0, 0xb0, 0xb0, 0xff}
)

// axisFont is the size of the price axis labels and tags, in points.
const axisFont = 9

// gridLines draws light lines at the axes' ticks under the series, and a
// dashed one where a session opens after a closed stretch on an index axis.
type gridLines struct {
	xs, ys []float64
	breaks []float64
	px     vg.Length
}

func (g gridLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := draw.LineStyle{Color: gridColor, Width: g.px}
	for _, x := range g.xs {
		if x := trX(x); x >= c.Min.X && x <= c.Max.X {
			c.StrokeLine2(sty, x, c.Min.Y, x, c.Max.Y)
		}
	}
	for _, y := range g.ys {
		if y := trY(y); y >= c.Min.Y && y <= c.Max.Y {
			c.StrokeLine2(sty, c.Min.X, y, c.Max.X, y)
		}
	}
	// Breaks closer than a few pixels apart (daily bars over years) would
	// paint the pane grey: only spaced ones are drawn.
	brk := draw.LineStyle{Color: breakColor, Width: g.px, Dashes: []vg.Length{3 * g.px, 3 * g.px}}
	last := vg.Length(math.Inf(-1))
	for _, x := range g.breaks {
		if x := trX(x); x >= c.Min.X && x <= c.Max.X && x-last >= 8*g.px {
			c.StrokeLine2(brk, x, c.Min.Y, x, c.Max.Y)
			last = x
		}
	}
}

// priceTag is a series' last value marked on the price axis.
type priceTag struct {
	y     float64
	label string
	color color.Color
}

// rightAxis is a pane's price axis, drawn in the gutter right of the data
// area as TradingView does: round values and a tag in each series' colour
// at its last value.
type rightAxis struct {
	ticks  []float64
	labels []string
	tags   []priceTag
	px     vg.Length
}

func (a *rightAxis) style(col color.Color) text.Style {
	return text.Style{Color: col, Font: font.From(plot.DefaultFont, axisFont), XAlign: draw.XLeft,
		YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
}

// width is the gutter the axis needs: tick mark, padding, widest label.
func (a *rightAxis) width() vg.Length {
	sty := a.style(axisColor)
	w := vg.Length(0)
	for _, l := range a.labels {
		w = max(w, sty.Width(l))
	}
	for _, t := range a.tags {
		w = max(w, sty.Width(t.label))
	}
	return w + 14*a.px
}

func (a *rightAxis) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	px := a.px
	line := draw.LineStyle{Color: axisColor, Width: px}
	c.StrokeLine2(line, c.Max.X, c.Min.Y, c.Max.X, c.Max.Y)
	sty := a.style(axisColor)
	for i, v := range a.ticks {
		y := trY(v)
		if y < c.Min.Y || y > c.Max.Y {
			continue
		}
		c.StrokeLine2(line, c.Max.X, y, c.Max.X+4*px, y)
		c.FillText(sty, vg.Point{X: c.Max.X + 7*px, Y: y}, a.labels[i])
	}
	// Tags from the top down, each pushed below the one above when they
	// would overlap, and kept in the pane.
	tags := append([]priceTag(nil), a.tags...)
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].y > tags[j].y })
	h := sty.Height("0") + 4*px
	next := c.Max.Y
	for _, t := range tags {
		y := trY(t.y)
		if y != y || y < c.Min.Y-h || y > c.Max.Y+h {
			continue
		}
		y = min(y, next-h/2, c.Max.Y-h/2)
		y = max(y, c.Min.Y+h/2)
		next = y - h/2
		x1 := c.Max.X + a.width() - 2*px
		c.FillPolygon(t.color, []vg.Point{{X: c.Max.X, Y: y}, {X: c.Max.X + 4*px, Y: y + h/2},
			{X: x1, Y: y + h/2}, {X: x1, Y: y - h/2}, {X: c.Max.X + 4*px, Y: y - h/2}})
		c.FillText(a.style(color.White), vg.Point{X: c.Max.X + 7*px, Y: y}, t.label)
	}
}

// tagColor is the colour of the series' last-value tag: a candle's own.
func (d *drawn) tagColor() color.Color {
	if (d.s.Kind == KindCandles || d.s.Kind == KindOHLC) && !d.asLine && d.s.Color == nil {
		if d.lastDown {
			return downColor
		}
		return upColor
	}
	return d.color
}

// logScale places y by its logarithm. Unlike plot.LogScale it does not
// panic on a value at or below zero (checkLog refuses those before drawing);
// it places such a value nowhere (NaN).
type logScale struct{}

func (logScale) Normalize(min, max, x float64) float64 {
	if min <= 0 || max <= 0 || x <= 0 {
		return math.NaN()
	}
	return math.Log(x/min) / math.Log(max/min)
}

// logMargin widens a positive range by RangeMargin of its log span at
// each end: the same share of the pane's height a linear axis leaves.
func logMargin(lo, hi float64) (float64, float64) {
	if !(lo > 0) || !(hi > 0) {
		return lo, hi
	}
	f := math.Pow(hi/lo, RangeMargin)
	if f == 1 {
		f = 1 + RangeMargin
	}
	return lo / f, hi * f
}

// checkLog refuses a log pane that would draw a value at or below zero:
// a histogram (bars start at 0), an overlay, a series or level that goes
// there, or a range that starts there (lo).
func checkLog(i int, p *Pane, ds []*drawn, lo float64) error {
	name := fmt.Sprintf("pane %d", i)
	if p.Title != "" {
		name += " (" + p.Title + ")"
	}
	if p.Overlay != "" {
		return fmt.Errorf("%s: a log scale does not take an overlay; draw the overlay with Percent for log returns", name)
	}
	for _, d := range ds {
		switch {
		case d.s.Kind == KindHistogram:
			return fmt.Errorf("%s: a log scale cannot draw the histogram %q: its bars start at 0", name, d.s.Name)
		case d.ymin <= 0:
			return fmt.Errorf("%s: a log scale needs values above 0; series %q goes down to %v", name, d.s.Name, d.ymin)
		}
	}
	for _, l := range p.Levels {
		if !(l.Y > 0) {
			return fmt.Errorf("%s: a log scale needs values above 0; level %q is at %v", name, l.Label, l.Y)
		}
	}
	if !(lo > 0) {
		return fmt.Errorf("%s: a log scale needs a range above 0, not from %v", name, lo)
	}
	return nil
}

// logSets are the mantissas tried for the ticks of a log axis spanning a
// decade or more, coarsest first.
var logSets = [][]float64{{1}, {1, 3}, {1, 2, 5}, {1, 2, 3, 5, 7}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}

// logTicks are a log axis's labelled values: within a decade the round
// values niceTicks gives (the axis is nearly linear there); over more, the
// coarsest set of 1-2-5 style values times powers of ten that gives at
// least MinYTicks without going past MaxYTicks. The step returned is the
// finest spacing, for the labels' precision.
func logTicks(lo, hi float64) ([]float64, float64) {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil, 0
	}
	if hi/lo < 10 {
		return niceTicks(lo, hi)
	}
	var prev []float64
	for _, set := range logSets {
		var out []float64
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			for _, m := range set {
				v, _ := strconv.ParseFloat(strconv.FormatFloat(m*math.Pow(10, e), 'g', 12, 64), 64)
				if v >= lo && v <= hi {
					out = append(out, v)
				}
			}
		}
		switch {
		case len(out) > MaxYTicks && prev != nil:
			return prev, prev[0]
		case len(out) >= MinYTicks:
			return out, out[0]
		}
		prev = out
	}
	return prev, prev[0]
}

// percentAxis formats log returns: signed, with a percent sign; percentTag
// a curve's last one, to a hundredth.
var (
	percentAxis = priceAxis{percent: true}
	percentTag  = priceAxis{percent: true, step: 0.01}
)

// overlayAxes are an overlay pane's two axes over its y range [lo, hi]:
// the reference curve's price on the left and its log return from its pin
// in percent on the right, each at round values of its own, placed where
// the pane draws them (y is the price, or the percent with percent).
func overlayAxes(lo, hi float64, ref *CurveRange, percent bool, tick float64) (left, right []AxisTick) {
	pin := ref.Pin
	toPct := func(p float64) float64 { return 100 * math.Log(p/pin) }
	toPrice := func(r float64) float64 { return pin * math.Exp(r/100) }
	same := func(y float64) float64 { return y }
	price, pct := priceAxis{tick: tick}, percentAxis
	at := func(vs []float64, y func(float64) float64, ax priceAxis) []AxisTick {
		out := []AxisTick{}
		for _, v := range vs {
			out = append(out, AxisTick{Value: v, Y: y(v), Label: ax.format(v)})
		}
		return out
	}
	if percent {
		var vs []float64
		vs, pct.step = niceTicks(lo, hi)
		right = at(vs, same, pct)
		// The price axis is logarithmic here.
		vs, price.step = logTicks(toPrice(lo), toPrice(hi))
		return at(vs, toPct, price), right
	}
	var vs []float64
	vs, price.step = niceTicks(lo, hi)
	left = at(vs, same, price)
	// The margin may take the range to 0, which has no log return.
	plo := lo
	if plo <= 0 {
		plo = ref.Low
	}
	vs, pct.step = niceTicks(toPct(plo), toPct(hi))
	return left, at(vs, toPrice, pct)
}
