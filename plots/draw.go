package plots

import (
	"image/color"
	"math"
	"sort"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot draws the reduced series (plot.Plotter).
func (d *drawn) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	px := d.px
	kind := d.s.Kind
	if d.asLine {
		kind = KindLine
	}
	switch kind {
	case KindLine, KindStep:
		sty := draw.LineStyle{Color: d.color, Width: px}
		var pts []vg.Point
		flush := func() {
			if len(pts) > 1 {
				c.StrokeLines(sty, c.ClipLinesXY(pts)...)
			}
			pts = pts[:0]
		}
		for i, x := range d.x {
			y := d.y[i]
			if y != y {
				flush()
				continue
			}
			pt := vg.Point{X: trX(x), Y: trY(y)}
			if kind == KindStep && len(pts) > 0 {
				pts = append(pts, vg.Point{X: pt.X, Y: pts[len(pts)-1].Y})
			}
			pts = append(pts, pt)
		}
		flush()
	case KindMarkers:
		sty := d.glyph()
		for i, x := range d.x {
			if y := d.y[i]; y == y {
				c.DrawGlyph(sty, vg.Point{X: trX(x), Y: trY(y)})
			}
		}
	case KindHistogram:
		zero := trY(0)
		for _, b := range d.bars(trX, px) {
			if b.x1 < c.Min.X || b.x0 > c.Max.X {
				continue
			}
			for _, y := range [2]float64{b.h, b.l} {
				if y != y || y == 0 {
					continue
				}
				fillRect(&c, d.color, b.x0, b.x1, zero, trY(y), px)
			}
		}
	case KindCandles, KindOHLC:
		for _, b := range d.bars(trX, px) {
			if b.x1 < c.Min.X || b.x0 > c.Max.X {
				continue
			}
			col := upColor
			if b.c < b.o {
				col = downColor
			}
			if d.s.Color != nil {
				col = toRGBA(d.s.Color)
			}
			sty := draw.LineStyle{Color: col, Width: px}
			yo, yc := trY(b.o), trY(b.c)
			c.StrokeLine2(sty, b.mid, trY(b.l), b.mid, trY(b.h))
			if kind == KindCandles {
				fillRect(&c, col, b.x0, b.x1, yo, yc, px)
			} else {
				c.StrokeLine2(sty, b.x0, yo, b.mid, yo)
				c.StrokeLine2(sty, b.mid, yc, b.x1, yc)
			}
		}
	}
}

// barSlot is one candle, OHLC bar or histogram bar in device units: its
// body from x0 to x1, its wick at mid.
type barSlot struct {
	x0, x1, mid vg.Length
	o, h, l, c  float64
}

// bars places the bars or bins of d. A bar keeps its own slot, its body
// narrowed to 70%. Bins are merged by device pixel column (a bin goes to
// the column its middle falls in): first open, highest high, lowest low,
// last close. Bins are at most a pixel wide (their width comes from the
// image width, wider than the data area), so each column gets the exact
// aggregate of the bars in it, drawn on the pixel grid: a bin straddling
// two columns would be smeared over both by antialiasing, too faint to
// show what the raw bars there show.
func (d *drawn) bars(trX func(float64) vg.Length, px vg.Length) []barSlot {
	ohlc := d.o != nil
	out := make([]barSlot, 0, len(d.x))
	for i, x := range d.x {
		b := barSlot{h: d.h[i], l: d.l[i]}
		if ohlc {
			b.o, b.c = d.o[i], d.c[i]
		}
		x0, x1 := d.slot(x, trX)
		if !d.binned {
			b.mid = (x0 + x1) / 2
			b.x0, b.x1 = barBody(x0, x1, px)
			out = append(out, b)
			continue
		}
		col := vg.Length(math.Floor(float64((x0 + x1) / 2 / px)))
		b.x0, b.x1, b.mid = col*px, (col+1)*px, (col+0.5)*px
		if n := len(out); n > 0 && out[n-1].x0 == b.x0 {
			last := &out[n-1]
			if b.h > last.h || last.h != last.h {
				last.h = b.h
			}
			if b.l < last.l || last.l != last.l {
				last.l = b.l
			}
			last.c = b.c
			continue
		}
		out = append(out, b)
	}
	return out
}

// slot is the x extent of bar or bin i: a pixel bin from its left edge, a
// bar centred on its time (or index) so lines through bar times meet the
// middle of the candles.
func (d *drawn) slot(x float64, trX func(float64) vg.Length) (vg.Length, vg.Length) {
	if d.binned {
		return trX(x), trX(x + d.w)
	}
	return trX(x - d.w/2), trX(x + d.w/2)
}

// barBody narrows a bar's slot to 70% of its width, at least one pixel.
func barBody(x0, x1, px vg.Length) (vg.Length, vg.Length) {
	w := (x1 - x0) * 0.7
	if w < px {
		w = px
	}
	mid := (x0 + x1) / 2
	return mid - w/2, mid + w/2
}

// fillRect fills [x0,x1]×[y0,y1], at least one pixel tall so a flat candle
// or a tiny volume still shows.
func fillRect(c *draw.Canvas, col color.Color, x0, x1, y0, y1, px vg.Length) {
	if y1 < y0 {
		y0, y1 = y1, y0
	}
	if y1-y0 < px {
		y1 = y0 + px
	}
	c.FillPolygon(col, c.ClipPolygonXY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}))
}

func toRGBA(c color.Color) color.RGBA {
	r, g, b, a := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// swatch is the colour that stands for the series in its legend.
func (d *drawn) swatch() color.Color {
	if (d.s.Kind == KindCandles || d.s.Kind == KindOHLC) && !d.asLine && d.s.Color == nil {
		return upColor
	}
	return d.color
}

// Thumbnail draws the legend swatch (plot.Thumbnailer).
func (d *drawn) Thumbnail(c *draw.Canvas) {
	col := d.swatch()
	y := (c.Min.Y + c.Max.Y) / 2
	if d.s.Kind == KindMarkers {
		g := d.glyph()
		g.Radius = min(g.Radius, (c.Max.Y-c.Min.Y)/3)
		at := vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: y}
		if tr, ok := g.Shape.(triangle); ok {
			// The tip is the price; centre the whole glyph in the swatch.
			at.Y += g.Radius * 0.75
			if !tr.up {
				at.Y -= g.Radius * 1.5
			}
		}
		c.DrawGlyph(g, at)
		return
	}
	c.StrokeLine2(draw.LineStyle{Color: col, Width: 2 * d.px}, c.Min.X, y, c.Max.X, y)
}

// glyph is the style markers are drawn with.
func (d *drawn) glyph() draw.GlyphStyle {
	sty := draw.GlyphStyle{Color: d.color, Radius: 3 * d.px, Shape: draw.CircleGlyph{}}
	switch d.s.Shape {
	case ShapeUp:
		sty.Shape, sty.Radius = triangle{up: true}, 6*d.px
	case ShapeDown:
		sty.Shape, sty.Radius = triangle{}, 6*d.px
	}
	return sty
}

// triangle is a filled triangle pointing up (a buy) or down (a sell) with
// its tip on the point, so the tip marks the price and the body stays off
// the candle that price is on.
type triangle struct{ up bool }

// DrawGlyph draws the triangle (draw.GlyphDrawer).
func (t triangle) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	h := r * 1.5
	if !t.up {
		h = -h
	}
	c.FillPolygon(sty.Color, []vg.Point{{X: pt.X, Y: pt.Y}, {X: pt.X - r*0.75, Y: pt.Y - h}, {X: pt.X + r*0.75, Y: pt.Y - h}})
}

// levelPlotter draws a horizontal level with its label at the right edge.
type levelPlotter struct {
	Level
	px vg.Length // one device pixel
}

func (l levelPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	col := l.Color
	if col == nil {
		col = levelColor
	}
	px := l.px
	y := trY(l.Y)
	c.StrokeLine2(draw.LineStyle{Color: col, Width: px, Dashes: []vg.Length{4 * px, 3 * px}}, c.Min.X, y, c.Max.X, y)
	if l.Label != "" {
		sty := text.Style{Color: col, Font: font.From(plot.DefaultFont, 9), XAlign: draw.XRight,
			YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}
		c.FillText(sty, vg.Point{X: c.Max.X - 2*px, Y: y + px}, l.Label)
	}
}

// priceAxis formats a pane's y values: at the market's tick precision, in
// percent for a log-return overlay, with k/M/B suffixes for unpriced panes
// (volume).
type priceAxis struct {
	tick    float64
	percent bool
	step    float64 // the tick step, for the precision without a market tick
}

// MinYTicks and MaxYTicks bound the number of labelled y values of a pane.
const (
	MinYTicks = 5
	MaxYTicks = 10
)

// niceTicks are the multiples in [min, max] of the largest 1-2-5 step that
// gives at least MinYTicks of them. Going from a 5 step to a 2 step can
// jump past MaxYTicks (a range of 2.3 steps of 10: 4 fives or 12 twos);
// then the coarser step is kept.
func niceTicks(min, max float64) ([]float64, float64) {
	if !(max > min) || math.IsInf(max-min, 0) {
		return nil, 0
	}
	count := func(step float64) float64 { return math.Floor(max/step) - math.Ceil(min/step) + 1 }
	prev := 0.0
	step := 0.0
search:
	for e := math.Ceil(math.Log10(max - min)); e > -20; e-- {
		for _, m := range []float64{1, 0.5, 0.2} {
			step = m * math.Pow(10, e)
			if n := count(step); n >= MinYTicks {
				if n > MaxYTicks && prev > 0 {
					step = prev
				}
				break search
			}
			prev = step
		}
	}
	var out []float64
	for k := math.Ceil(min / step); k <= math.Floor(max/step); k++ {
		// Round away the binary error of k*step (0.9500000000000001).
		v, _ := strconv.ParseFloat(strconv.FormatFloat(k*step, 'g', 12, 64), 64)
		if v == 0 {
			v = 0 // not -0, labelled "-0"
		}
		out = append(out, v)
	}
	return out, step
}

// value writes a series' value for its legend and tag: at the market's
// tick, else with four significant digits (an oscillator at -3.2, not -3;
// a price at 57236), a suffix from a million on (12.35M).
func (a priceAxis) value(v float64) string {
	if a.tick > 0 || a.percent || v == 0 || math.IsInf(v, 0) || v != v {
		return a.format(v)
	}
	sig := func(v float64) string {
		prec := max(0, 3-int(math.Floor(math.Log10(math.Abs(v)))))
		return strconv.FormatFloat(v, 'f', min(prec, 8), 64)
	}
	for _, u := range siUnits[:3] {
		if math.Abs(v) >= u.div {
			return sig(v/u.div) + u.sfx
		}
	}
	return sig(v)
}

// siUnits are the suffixes of large values, largest first.
var siUnits = []struct {
	div float64
	sfx string
}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}}

// format writes one y value as the axis does.
func (a priceAxis) format(v float64) string {
	prec := 0
	switch {
	case a.tick > 0:
		prec = decimals(a.tick)
	case a.step > 0:
		prec = decimals(a.step)
	}
	if a.percent {
		s := strconv.FormatFloat(v, 'f', prec, 64)
		if v > 0 {
			s = "+" + s
		}
		return s + "%"
	}
	if a.tick > 0 {
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	return compact(v, prec)
}

// compact writes large axis values with a suffix: 40000000 → 40M.
func compact(v float64, prec int) string {
	for _, u := range siUnits {
		if math.Abs(v) >= u.div {
			return strconv.FormatFloat(v/u.div, 'f', max(prec-decimals(u.div), decimals(v/u.div)), 64) + u.sfx
		}
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// decimals is how many decimal places show a step: 0.25 → 2, 5 → 0.
func decimals(step float64) int {
	step = math.Abs(step)
	for p := 0; p <= 10; p++ {
		if math.Abs(step-math.Round(step)) < 1e-9*math.Max(1, step) {
			return p
		}
		step *= 10
	}
	return 10
}

// timeStep is a candidate spacing of time labels.
type timeStep struct {
	secs   int64 // fixed-length steps
	months int   // calendar steps
	layout string
}

var timeSteps = []timeStep{
	{1, 0, "15:04:05"}, {5, 0, "15:04:05"}, {15, 0, "15:04:05"}, {30, 0, "15:04:05"},
	{60, 0, "15:04"}, {300, 0, "15:04"}, {900, 0, "15:04"}, {1800, 0, "15:04"},
	{3600, 0, "15:04"}, {3 * 3600, 0, "15:04"}, {6 * 3600, 0, "15:04"}, {12 * 3600, 0, "15:04"},
	{86400, 0, "Jan 2"}, {2 * 86400, 0, "Jan 2"}, {3 * 86400, 0, "Jan 2"}, {7 * 86400, 0, "Jan 2"}, {14 * 86400, 0, "Jan 2"},
	{0, 1, "Jan 2006"}, {0, 3, "Jan 2006"}, {0, 6, "Jan 2006"},
	{0, 12, "2006"}, {0, 24, "2006"}, {0, 60, "2006"}, {0, 120, "2006"},
}

// maxTimeLabels keeps labels from running into each other at chart widths.
const maxTimeLabels = 9

// timeTicker labels the x axis with dates and times in the view's zone: in
// time mode the values are epoch seconds, in index mode positions on the
// view's master times. Panes above the bottom one get unlabelled ticks so
// their grids line up.
type timeTicker struct {
	v      view
	labels bool
}

func (t timeTicker) Ticks(min, max float64) []plot.Tick {
	tmin, tmax := int64(math.Ceil(min)), int64(math.Floor(max))
	var i0, i1 int // the index axis's rows in view
	if t.v.index {
		m := t.v.master
		if len(m) == 0 {
			return nil
		}
		i0 = int(math.Max(math.Ceil(min), 0))
		i1 = int(math.Min(math.Floor(max), float64(len(m)-1)))
		if i1 < i0 {
			return nil
		}
		tmin, tmax = m[i0], m[i1]
	}
	loc := t.v.loc
	if loc == nil {
		loc = time.UTC
	}
	var ticks []plot.Tick
	var first int64
	var step timeStep
	for _, st := range timeSteps {
		// Steps are chosen on the wall clock, so an index axis gets the
		// labels a time axis over the same days would (fewer where closed).
		var bs []int64
		if t.v.index {
			bs = t.indexBoundaries(st, i0, i1, maxTimeLabels+1, loc)
		} else {
			bs = boundaries(st, tmin, tmax, maxTimeLabels+1, loc)
		}
		if len(bs) > maxTimeLabels && st != timeSteps[len(timeSteps)-1] {
			continue
		}
		ticks, step = ticks[:0], st
		last := -1
		for _, b := range bs {
			v := float64(b)
			if t.v.index {
				// The first bar at or after the boundary: a session's open
				// when the boundary falls while closed, labelled with the
				// boundary (a midnight gives the session's date), or with
				// its date when it is the first bar of a day, as
				// TradingView labels a session's start.
				m := t.v.master
				i := sort.Search(len(m), func(i int) bool { return m[i] >= b })
				if i == len(m) || i == last {
					continue
				}
				last, v = i, float64(i)
				if bs := boundaries(st, b+1, m[i], 1, loc); len(bs) > 0 {
					// The bars skip a whole step from the boundary (months
					// between two markets' data): label the bar's own day
					// or month, or its time.
					switch {
					case st.months > 0:
						y, mo, _ := time.Unix(m[i], 0).In(loc).Date()
						b = time.Date(y, mo, 1, 0, 0, 0, 0, loc).Unix()
					case st.secs >= 86400:
						b = dayStart(m[i], loc)
					default:
						b = m[i]
					}
				}
				if midnight(b, loc) {
					// A day boundary while closed (a weekend): the date
					// is the session's, not the boundary's.
					if day := dayStart(m[i], loc); st.months == 0 && day > b {
						b = day
					}
				} else {
					b = m[i]
					if i > 0 && st.secs > 0 && st.secs < 86400 {
						if day := dayStart(m[i], loc); m[i-1] < day {
							b = day
						}
					}
				}
			}
			if len(ticks) == 0 {
				first = b
			}
			// Bars far apart in time can sit side by side (a market's old
			// bars next to another's new ones): a label too near the one
			// before is left out rather than drawn over it.
			if n := len(ticks); t.v.index && n > 0 && v-ticks[n-1].Value < (max-min)/(2*maxTimeLabels) {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: t.label(st, b, loc)})
		}
		break
	}
	if t.labels && len(ticks) > 0 && step.secs > 0 && step.secs < 86400 && !midnight(first, loc) {
		// Intraday labels say which day they are on at the first tick.
		ticks[0].Label = time.Unix(first, 0).In(loc).Format("Jan 2 ") + ticks[0].Label
	}
	return ticks
}

// indexBoundaries lists the step's boundaries that open a bar of the
// index axis's rows [i0, i1], up to limit of them: after each, the next
// tried is the first after the bar it landed on, so a stretch without bars
// (a closed session, months between two markets' data) costs no labels.
func (t timeTicker) indexBoundaries(st timeStep, i0, i1, limit int, loc *time.Location) []int64 {
	m := t.v.master
	var out []int64
	for from := m[i0]; len(out) < limit; {
		bs := boundaries(st, from, m[i1], 1, loc)
		if len(bs) == 0 {
			break
		}
		i := sort.Search(len(m), func(k int) bool { return m[k] >= bs[0] })
		if i > i1 {
			break
		}
		out = append(out, bs[0])
		from = m[i] + 1
	}
	return out
}

// dayStart is the midnight in loc that starts t's day.
func dayStart(t int64, loc *time.Location) int64 {
	y, mo, d := time.Unix(t, 0).In(loc).Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, loc).Unix()
}

func midnight(b int64, loc *time.Location) bool {
	tm := time.Unix(b, 0).In(loc)
	return tm.Hour() == 0 && tm.Minute() == 0 && tm.Second() == 0
}

func (t timeTicker) label(st timeStep, b int64, loc *time.Location) string {
	if !t.labels {
		return " "
	}
	tm := time.Unix(b, 0).In(loc)
	if st.secs > 0 && st.secs < 86400 && midnight(b, loc) {
		return tm.Format("Jan 2")
	}
	return tm.Format(st.layout)
}

// boundaries lists the step's boundaries in [tmin, tmax] on the wall clock
// of loc, giving up after limit of them (the step is then too fine anyway).
func boundaries(st timeStep, tmin, tmax int64, limit int, loc *time.Location) []int64 {
	var out []int64
	if st.secs > 0 {
		off := int64(0)
		if st.secs%(7*86400) == 0 {
			off = 4 * 86400 // weeks start on Monday; 1970-01-01 was a Thursday
		}
		// Wall-clock seconds: the zone's offset at the start (a daylight
		// saving change inside the view shifts later labels by its hour).
		_, zo := time.Unix(tmin, 0).In(loc).Zone()
		z := int64(zo)
		b := floorDiv(tmin+z-off, st.secs)*st.secs + off - z
		if b < tmin {
			b += st.secs
		}
		for ; b <= tmax && len(out) < limit; b += st.secs {
			out = append(out, b)
		}
		return out
	}
	tm := time.Unix(tmin, 0).In(loc)
	y, m := tm.Year(), int(tm.Month())-1
	k := (y*12 + m) / st.months * st.months
	for ; len(out) < limit; k += st.months {
		b := time.Date(k/12, time.Month(k%12+1), 1, 0, 0, 0, 0, loc).Unix()
		if b > tmax {
			break
		}
		if b >= tmin {
			out = append(out, b)
		}
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
