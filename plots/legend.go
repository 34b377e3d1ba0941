package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// legendCell is the side of the cells, in pixels, that legend placement
// counts ink in: coarse enough to be cheap, fine enough that a thin line
// through a corner counts.
const legendCell = 3

// legendInset keeps the legend off the axes, in pixels.
const legendInset = 4

var legendBackdrop = color.NRGBA{0xff, 0xff, 0xff, 0xd8}

// legendPlacer draws a pane's legend after its series, when the data area
// and the axis transforms are final: it counts the cells that the pane's
// series and levels ink under the legend at each corner, puts the legend in
// the corner that covers the fewest (top-left, top-right, bottom-left,
// bottom-right on ties) on a translucent backdrop so what it still covers
// does not run through its text.
type legendPlacer struct {
	ds     []*drawn
	levels []Level
	names  []string // the legend's entries
	things []plot.Thumbnailer
	px     vg.Length
}

// corner is one legend position.
type corner struct{ top, left bool }

var corners = [4]corner{{true, true}, {true, false}, {false, true}, {false, false}}

func (lp legendPlacer) Plot(c draw.Canvas, p *plot.Plot) {
	g := newInkGrid(c, lp.px*legendCell)
	trX, trY := p.Transforms(&c)
	for _, d := range lp.ds {
		g.addDrawn(d, trX, trY)
	}
	for _, l := range lp.levels {
		y := trY(l.Y)
		g.segment(c.Min.X, y, c.Max.X, y)
	}
	w, h := legendSize(&p.Legend, lp.names)
	inset := legendInset * lp.px
	bestN := math.MaxInt
	var bestR vg.Rectangle
	for _, k := range corners {
		r := legendRect(c, k, w, h, inset)
		if n := g.count(r); n < bestN {
			bestN, bestR = n, r
		}
	}
	pad := 2 * lp.px
	bestR.Min.X, bestR.Min.Y = bestR.Min.X-pad, bestR.Min.Y-pad
	bestR.Max.X, bestR.Max.Y = bestR.Max.X+pad, bestR.Max.Y+pad
	c.FillPolygon(legendBackdrop, c.ClipPolygonXY([]vg.Point{
		bestR.Min, {X: bestR.Max.X, Y: bestR.Min.Y}, bestR.Max, {X: bestR.Min.X, Y: bestR.Max.Y},
	}))
	lp.drawEntries(c, &p.Legend, vg.Point{X: bestR.Min.X + pad, Y: bestR.Max.Y - pad})
}

// drawEntries draws the legend from its top-left corner the way
// plot.Legend lays it out (swatch, then name), here rather than by
// plot.Legend, which places itself on a canvas that includes the x axis's
// label overhang and so would not land where it was placed.
func (lp legendPlacer) drawEntries(c draw.Canvas, l *plot.Legend, at vg.Point) {
	enth := vg.Length(0)
	for _, e := range lp.names {
		enth = max(enth, l.TextStyle.Rectangle(e).Max.Y)
	}
	em := l.TextStyle.Rectangle(" ")
	sty := l.TextStyle
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
	y := at.Y - enth
	for i, e := range lp.names {
		icon := &draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: at.X, Y: y}, Max: vg.Point{X: at.X + l.ThumbnailWidth, Y: y + enth}}}
		lp.things[i].Thumbnail(icon)
		c.FillText(sty, vg.Point{X: at.X + l.ThumbnailWidth + em.Max.X, Y: y}, e)
		y -= enth + l.Padding
	}
}

// legendSize measures a legend the way plot.Legend.Draw lays it out.
func legendSize(l *plot.Legend, names []string) (w, h vg.Length) {
	enth := vg.Length(0)
	for _, e := range names {
		if eh := l.TextStyle.Rectangle(e).Max.Y; eh > enth {
			enth = eh
		}
		if ew := l.ThumbnailWidth + l.TextStyle.Rectangle(" "+e).Max.X; ew > w {
			w = ew
		}
	}
	n := vg.Length(len(names))
	if n == 0 {
		return 0, 0
	}
	return w, n*enth + (n-1)*l.Padding + l.TextStyle.FontExtents().Descent
}

// legendRect is where a legend of size w×h sits at corner k of c.
func legendRect(c draw.Canvas, k corner, w, h, inset vg.Length) vg.Rectangle {
	var r vg.Rectangle
	if k.left {
		r.Min.X = c.Min.X + inset
	} else {
		r.Min.X = c.Max.X - inset - w
	}
	if k.top {
		r.Min.Y = c.Max.Y - inset - h
	} else {
		r.Min.Y = c.Min.Y + inset
	}
	r.Max = vg.Point{X: r.Min.X + w, Y: r.Min.Y + h}
	return r
}

// inkGrid marks the cells of a data area that something is drawn in.
type inkGrid struct {
	x0, y0 vg.Length
	cell   vg.Length
	nx, ny int
	on     []bool
}

func newInkGrid(c draw.Canvas, cell vg.Length) *inkGrid {
	nx := int(math.Ceil(float64((c.Max.X-c.Min.X)/cell))) + 1
	ny := int(math.Ceil(float64((c.Max.Y-c.Min.Y)/cell))) + 1
	return &inkGrid{x0: c.Min.X, y0: c.Min.Y, cell: cell, nx: nx, ny: ny, on: make([]bool, nx*ny)}
}

func (g *inkGrid) cellOf(x, y vg.Length) (int, int) {
	return int(math.Floor(float64((x - g.x0) / g.cell))), int(math.Floor(float64((y - g.y0) / g.cell)))
}

func (g *inkGrid) mark(x, y vg.Length) {
	i, j := g.cellOf(x, y)
	if i >= 0 && i < g.nx && j >= 0 && j < g.ny {
		g.on[j*g.nx+i] = true
	}
}

// segment marks the cells along a line, at steps of half a cell.
func (g *inkGrid) segment(x0, y0, x1, y1 vg.Length) {
	steps := int(math.Ceil(2*math.Max(math.Abs(float64(x1-x0)), math.Abs(float64(y1-y0)))/float64(g.cell))) + 1
	// A line far outside the area (a clipped outlier) would cost steps for
	// nothing; the clip keeps the walk inside.
	steps = min(steps, 2*(g.nx+g.ny)+1)
	for s := 0; s <= steps; s++ {
		f := vg.Length(float64(s) / float64(steps))
		g.mark(x0+(x1-x0)*f, y0+(y1-y0)*f)
	}
}

// addDrawn marks what one reduced series draws: its line segments, glyphs,
// bars and candles (body width by wick span).
func (g *inkGrid) addDrawn(d *drawn, trX, trY func(float64) vg.Length) {
	kind := d.s.Kind
	if d.asLine {
		kind = KindLine
	}
	switch kind {
	case KindLine, KindStep:
		for i := 1; i < len(d.x); i++ {
			ya, yb := d.y[i-1], d.y[i]
			if ya != ya || yb != yb {
				continue
			}
			if kind == KindStep {
				g.segment(trX(d.x[i-1]), trY(ya), trX(d.x[i]), trY(ya))
				g.segment(trX(d.x[i]), trY(ya), trX(d.x[i]), trY(yb))
				continue
			}
			g.segment(trX(d.x[i-1]), trY(ya), trX(d.x[i]), trY(yb))
		}
		if len(d.x) == 1 && d.y[0] == d.y[0] {
			g.mark(trX(d.x[0]), trY(d.y[0]))
		}
	case KindMarkers:
		for i, x := range d.x {
			if y := d.y[i]; y == y {
				g.mark(trX(x), trY(y))
			}
		}
	case KindHistogram:
		zero := trY(0)
		for _, b := range d.bars(trX, d.px) {
			for _, y := range [2]float64{b.h, b.l} {
				if y == y {
					g.rect(b.x0, zero, b.x1, trY(y))
				}
			}
		}
	case KindCandles, KindOHLC:
		for _, b := range d.bars(trX, d.px) {
			if b.l == b.l && b.h == b.h {
				g.rect(b.x0, trY(b.l), b.x1, trY(b.h))
			}
		}
	}
}

// rect marks the cells of a filled rectangle (a bar, a candle with its
// wick's span).
func (g *inkGrid) rect(x0, y0, x1, y1 vg.Length) {
	// A bar far wider than the area (zoomed in on daily bars) is walked
	// only where it can be seen.
	x0, x1 = max(x0, g.x0), min(x1, g.x0+vg.Length(g.nx)*g.cell)
	if x1 < x0 {
		return
	}
	for x := x0; ; x += g.cell / 2 {
		x = min(x, x1)
		g.segment(x, y0, x, y1)
		if x >= x1 {
			return
		}
	}
}

// count is the number of inked cells that meet r.
func (g *inkGrid) count(r vg.Rectangle) int {
	i0, j0 := g.cellOf(r.Min.X, r.Min.Y)
	i1, j1 := g.cellOf(r.Max.X, r.Max.Y)
	i0, j0 = max(i0, 0), max(j0, 0)
	i1, j1 = min(i1, g.nx-1), min(j1, g.ny-1)
	n := 0
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			if g.on[j*g.nx+i] {
				n++
			}
		}
	}
	return n
}
