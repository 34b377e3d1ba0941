package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"workbench/frames"
	"workbench/internal/atomicfile"
)

// Default image size and resolution.
const (
	DefaultWidth  = 1600
	DefaultHeight = 900
	DefaultDPI    = 96
)

var (
	upColor   = color.RGBA{0x26, 0xa6, 0x9a, 0xff}
	downColor = color.RGBA{0xef, 0x53, 0x50, 0xff}
	palette   = []color.Color{
		color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
		color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
		color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
		color.RGBA{0xe3, 0x77, 0xc2, 0xff}, color.RGBA{0x7f, 0x7f, 0x7f, 0xff},
	}
	levelColor = color.RGBA{0x60, 0x60, 0x60, 0xff}
)

// Save writes the chart to path as PNG, SVG or PDF, chosen by the extension,
// replacing the file atomically.
func (c *Chart) Save(path string) error {
	_, err := c.SaveLayout(path)
	return err
}

// SaveLayout is Save that also returns where each pane was drawn.
func (c *Chart) SaveLayout(path string) ([]PaneLayout, error) {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format != "png" && format != "svg" && format != "pdf" {
		return nil, fmt.Errorf("chart %s: unknown image type %q: want .png, .svg or .pdf", path, filepath.Ext(path))
	}
	var buf bytes.Buffer
	ls, err := c.render(&buf, format)
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", path, err)
	}
	return ls, atomicfile.WriteBytes(path, 0o644, buf.Bytes())
}

// PNG renders the chart as a PNG image.
func (c *Chart) PNG() ([]byte, error) {
	var buf bytes.Buffer
	err := c.Render(&buf, "png")
	return buf.Bytes(), err
}

var pdfDates sync.Once

// Render draws the chart in a format (png, svg or pdf) to w. The same chart
// gives the same bytes every time.
func (c *Chart) Render(w io.Writer, format string) error {
	_, err := c.render(w, format)
	return err
}

// RenderLayout is Render that also returns where each pane was drawn.
func (c *Chart) RenderLayout(w io.Writer, format string) ([]PaneLayout, error) {
	return c.render(w, format)
}

// PaneLayout is where one pane of a drawn chart landed and on what y range,
// so a script or a test can tell where every series was drawn.
type PaneLayout struct {
	Index int `json:"index"`
	// Series are the legend names of the pane's series, in drawing order.
	Series []string `json:"series"`
	YMin   float64  `json:"y_min"`
	YMax   float64  `json:"y_max"`
	Scale  string   `json:"scale"` // "linear" or "log"
	// YTicks are the y values of the pane's gridlines: the labelled values
	// of its price axis; on an overlay those of the axis linear in y (the
	// left price axis, or the right percent axis with Percent).
	YTicks []float64 `json:"y_ticks"`
	// LeftTicks and RightTicks are the labelled values of the left and the
	// right axis, each at Y on the pane's y range. An overlay has the
	// reference curve's price on the left and its log return from the pin,
	// in percent, on the right; other panes their values on the right.
	LeftTicks  []AxisTick `json:"left_ticks"`
	RightTicks []AxisTick `json:"right_ticks"`
	// Colors are the series' colours as #rrggbb (candles: the up colour).
	Colors []string `json:"colors"`
	// XMin and XMax are the x axis range: epoch seconds, or with XIndex
	// positions on the index axis (the sorted union of the bar series'
	// times in view, the first at 0).
	XMin   float64 `json:"x_min"`
	XMax   float64 `json:"x_max"`
	XIndex bool    `json:"x_index"`
	// Left, Right, Top and Bottom bound the pane's data area in image
	// pixels from the top-left corner: y_max is drawn at Top, y_min at
	// Bottom.
	Left   float64 `json:"px_left"`
	Right  float64 `json:"px_right"`
	Top    float64 `json:"px_top"`
	Bottom float64 `json:"px_bottom"`
}

// AxisTick is a labelled value of an axis, drawn at Y on the pane's y range.
type AxisTick struct {
	Value float64 `json:"value"`
	Y     float64 `json:"y"`
	Label string  `json:"label"`
}

// Column is the image column (from the left, fractional) where x is drawn.
func (l PaneLayout) Column(x float64) float64 {
	return l.Left + (x-l.XMin)/(l.XMax-l.XMin)*(l.Right-l.Left)
}

// Row is the image row (from the top, fractional) where y is drawn.
func (l PaneLayout) Row(y float64) float64 {
	if l.Scale == "log" {
		return l.Top + math.Log(l.YMax/y)/math.Log(l.YMax/l.YMin)*(l.Bottom-l.Top)
	}
	return l.Top + (l.YMax-y)/(l.YMax-l.YMin)*(l.Bottom-l.Top)
}

func (c *Chart) render(w io.Writer, format string) ([]PaneLayout, error) {
	wpx, hpx, dpi := c.Width, c.Height, c.DPI
	if wpx <= 0 {
		wpx = DefaultWidth
	}
	if hpx <= 0 {
		hpx = DefaultHeight
	}
	if dpi <= 0 {
		dpi = DefaultDPI
	}
	width, height := vg.Length(wpx)*vg.Inch/vg.Length(dpi), vg.Length(hpx)*vg.Inch/vg.Length(dpi)
	var cw vg.CanvasWriterTo
	switch format {
	case "png":
		cw = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi),
			vgimg.UseBackgroundColor(color.White))}
	case "svg":
		cw = vgsvg.New(width, height)
	case "pdf":
		// fpdf stamps documents with the wall clock unless a default is set.
		pdfDates.Do(func() {
			t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
			fpdf.SetDefaultCreationDate(t)
			fpdf.SetDefaultModificationDate(t)
			fpdf.SetDefaultCatalogSort(true)
		})
		cw = vgpdf.New(width, height)
	default:
		return nil, fmt.Errorf("chart format %q: want png, svg or pdf", format)
	}
	ls, err := c.draw(draw.New(cw), wpx, vg.Inch/vg.Length(dpi))
	if err != nil {
		return nil, err
	}
	_, err = cw.WriteTo(w)
	return ls, err
}

// leftMargin keeps the first time label, centred on its tick at the data
// area's left edge, inside the image, in pixels.
const leftMargin = 36

// titleMargin keeps the title off the image's top edge, in pixels.
const titleMargin = 8

// view is the chart's x mapping: positions of the rows of each series.
type view struct {
	index  bool
	master []int64 // times of the index axis in view (index mode)
	lo, hi float64 // x range
	loc    *time.Location
	// breaks are the index positions that open a new session: more than
	// GapPeriods bar periods after the bar before (index mode).
	breaks []float64
}

// drawn is one series reduced to what is drawn, in x units.
type drawn struct {
	s     *Series
	color color.Color
	w     float64   // bar width in x units (bars and histograms)
	px    vg.Length // one device pixel
	// points: lines, steps, markers; bins: x left edge with o/h/l/c
	x, y       []float64
	o, h, l, c []float64
	binned     bool // bars or histogram reduced to pixel bins of width w
	asLine     bool // a bar series drawn as a line of closes (overlays)
	ymin, ymax float64
	// last is the series' last value in view (a bar's close), lastY where
	// it is drawn (an overlay maps it), lastDown a last bar that fell.
	last, lastY       float64
	hasLast, lastDown bool
	// pin is an overlaid curve's pin, 0 when it has none.
	pin float64
}

// setLast finds the last value of rows [i0, i1) of s.
func (d *drawn) setLast(s *Series, i0, i1 int) {
	switch s.Kind {
	case KindMarkers:
		return
	case KindCandles, KindOHLC:
		d.last, d.hasLast = s.Bars.Close[i1-1], true
		d.lastDown = s.Bars.Close[i1-1] < s.Bars.Open[i1-1]
	default:
		ys := s.values()
		for i := i1 - 1; i >= i0; i-- {
			if y := ys[i]; y == y {
				d.last, d.hasLast = y, true
				break
			}
		}
	}
	d.lastY = d.last
}

func (c *Chart) draw(dc draw.Canvas, wpx int, px vg.Length) ([]PaneLayout, error) {
	if len(c.Panes) == 0 {
		return nil, fmt.Errorf("chart %q has no panes", c.Title)
	}
	for _, p := range c.Panes {
		for _, s := range p.Series {
			if err := s.check(); err != nil {
				return nil, err
			}
		}
	}
	ranges, err := c.OverlayRanges()
	if err != nil {
		return nil, err
	}
	v := c.view()
	uppx := (v.hi - v.lo) / float64(wpx)
	plots := make([]*plot.Plot, len(c.Panes))
	ls := make([]PaneLayout, len(c.Panes))
	var xTicks []float64
	for _, tk := range (timeTicker{v: v}).Ticks(v.lo, v.hi) {
		xTicks = append(xTicks, tk.Value)
	}
	var gutter vg.Length // the right price axis's width, the widest pane's
	for i, pane := range c.Panes {
		p := plot.New()
		plots[i] = p
		if i == 0 {
			p.Title.Text = c.Title
			p.Title.TextStyle.Font.Size = 13
			p.Title.Padding = 6 * px
		}
		p.Y.Label.Text = pane.Title
		if pane.YLabel != "" {
			p.Y.Label.Text = pane.YLabel
		}
		p.X.Min, p.X.Max = v.lo, v.hi
		p.X.Tick.Marker = timeTicker{v: v, labels: i == len(c.Panes)-1}
		ymin, ymax := math.Inf(1), math.Inf(-1)
		var ds []*drawn
		closes := pane.Overlay != "" && pane.curves() > 1
		for k, s := range pane.Series {
			d := c.reduce(s, v, uppx, closes)
			d.color, d.px = s.Color, px
			if d.color == nil {
				d.color = palette[k%len(palette)]
			}
			ds = append(ds, d)
		}
		ov := ranges[i]
		var ref *CurveRange // the curve an overlay's axes belong to
		if ov != nil {
			ymin, ymax, ref = applyOverlay(pane, ds, ov)
			switch {
			case pane.YLabel != "":
			case pane.Percent && ref != nil:
				p.Y.Label.Text = ref.Name + " price; right: log return from pin, %"
			case pane.Percent:
				p.Y.Label.Text = "log return from pin, %"
			case ov.Major != "" && len(ov.Curves) > 1:
				p.Y.Label.Text = ov.Major + " (others scaled to it)"
			}
		} else {
			for _, d := range ds {
				ymin, ymax = math.Min(ymin, d.ymin), math.Max(ymax, d.ymax)
			}
			ymin, ymax = yRange(pane, ymin, ymax)
		}
		if pane.Log {
			if err := checkLog(i, pane, ds, ymin); err != nil {
				return nil, err
			}
			p.Y.Scale = logScale{}
		}
		if !(ymax > ymin) || math.IsInf(ymax-ymin, 0) { // also NaN
			ymin, ymax = 0, 1
		}
		p.Y.Min, p.Y.Max = ymin, ymax
		ls[i] = PaneLayout{Index: i, Series: []string{}, Colors: []string{}, YMin: ymin, YMax: ymax, Scale: pane.scale(),
			XMin: v.lo, XMax: v.hi, XIndex: v.index}
		ax := priceAxis{tick: pane.tick(), percent: ov != nil && pane.Percent}
		ra := &rightAxis{px: px}
		var grid []float64
		grid, ax.step = niceTicks(ymin, ymax)
		if pane.Log {
			grid, ax.step = logTicks(ymin, ymax)
		}
		dual := ref != nil && ref.Pin > 0
		if dual {
			// An overlay reads on two axes: the reference's price on the
			// left, its log return from the pin in percent on the right,
			// the gridlines at the round values of the one linear in y.
			ls[i].LeftTicks, ls[i].RightTicks = overlayAxes(ymin, ymax, ref, pane.Percent, refTick(pane, ref))
			linear := ls[i].LeftTicks
			if pane.Percent {
				linear = ls[i].RightTicks
			}
			grid = nil
			for _, tk := range linear {
				grid = append(grid, tk.Y)
			}
		} else {
			ls[i].LeftTicks, ls[i].RightTicks = []AxisTick{}, []AxisTick{}
			for _, y := range grid {
				ls[i].RightTicks = append(ls[i].RightTicks, AxisTick{Value: y, Y: y, Label: ax.format(y)})
			}
		}
		ls[i].YTicks = grid
		for _, tk := range ls[i].RightTicks {
			ra.ticks, ra.labels = append(ra.ticks, tk.Y), append(ra.labels, tk.Label)
		}
		// The price axis is drawn on the right (rightAxis); the left keeps
		// the pane's title, and an overlay's reference price.
		var left []plot.Tick
		for _, tk := range ls[i].LeftTicks {
			left = append(left, plot.Tick{Value: tk.Y, Label: tk.Label})
		}
		p.Y.Tick.Marker = plot.ConstantTicks(left)
		p.Y.Tick.Label.Font.Size = axisFont
		p.Y.Tick.Label.Color = axisColor
		p.Add(gridLines{xs: xTicks, ys: grid, breaks: v.breaks, px: px})
		lp := legendPlacer{ds: ds, px: px}
		for _, d := range ds {
			p.Add(d)
			var value string
			if d.hasLast {
				own := ax
				if t := pane.tickOf(d.s); t > 0 {
					own.tick = t
				}
				value = own.value(d.last)
				if ax.percent {
					value = ax.value(d.lastY)
				}
			}
			if d.hasLast && d.s.Kind != KindHistogram {
				tag := value
				if dual && d.pin > 0 && ov.Method != OverlayNone {
					// On the percent axis: the curve's own log return.
					tag = percentTag.format(100 * math.Log(d.last/d.pin))
				}
				ra.tags = append(ra.tags, priceTag{y: d.lastY, label: tag, color: d.tagColor()})
			}
			if d.s.Name != "" {
				entry := d.s.Name
				if value != "" {
					entry += "  " + value
				}
				if note := overlayNote(ov, d.s.Name); note != "" {
					entry += "  (" + note + ")"
				}
				lp.names = append(lp.names, entry)
				lp.things = append(lp.things, d)
				ls[i].Series = append(ls[i].Series, d.s.Name)
				ls[i].Colors = append(ls[i].Colors, hexColor(d.swatch()))
			}
		}
		if ov == nil {
			for _, l := range pane.Levels {
				p.Add(levelPlotter{l, px})
			}
			lp.levels = pane.Levels
		}
		if len(lp.names) > 0 {
			p.Add(lp)
		}
		p.Add(ra)
		gutter = max(gutter, ra.width())
	}
	areas := layout(dc, c.Panes, plots, gutter, px)
	for i, a := range areas {
		ls[i].Left, ls[i].Right = float64(a.Min.X/px), float64(a.Max.X/px)
		ls[i].Top, ls[i].Bottom = float64((dc.Max.Y-a.Max.Y)/px), float64((dc.Max.Y-a.Min.Y)/px)
	}
	return ls, nil
}

// layout stacks the panes by weight below a top margin, leaves the gutter
// on the right for the price axes, lines up the data areas, draws them and
// returns each pane's data area.
func layout(dc draw.Canvas, panes []*Pane, plots []*plot.Plot, gutter, px vg.Length) []vg.Rectangle {
	dc.Max.Y -= titleMargin * px
	dc.Max.X -= gutter
	dc.Min.X += leftMargin * px
	total := 0.0
	for _, p := range panes {
		total += weight(p)
	}
	cs := make([]draw.Canvas, len(plots))
	top := dc.Max.Y
	for i, p := range panes {
		h := (dc.Max.Y - dc.Min.Y) * vg.Length(weight(p)/total)
		cs[i] = dc
		cs[i].Max.Y, cs[i].Min.Y = top, top-h
		top -= h
	}
	left, right := dc.Min.X, dc.Max.X
	for i, p := range plots {
		da := p.DataCanvas(cs[i])
		left, right = max(left, da.Min.X), min(right, da.Max.X)
	}
	areas := make([]vg.Rectangle, len(plots))
	for i, p := range plots {
		da := p.DataCanvas(cs[i])
		cs[i].Min.X += left - da.Min.X
		cs[i].Max.X -= da.Max.X - right
		areas[i] = p.DataCanvas(cs[i]).Rectangle
		p.Draw(cs[i])
	}
	return areas
}

func weight(p *Pane) float64 {
	if p.Weight <= 0 {
		return 1
	}
	return p.Weight
}

// view finds the x range and, in index mode, the master times.
func (c *Chart) view() view {
	v := view{index: c.Index, loc: c.Location}
	if v.loc == nil {
		v.loc = time.UTC
	}
	from, to := c.From, c.To
	if to == 0 {
		to = math.MaxInt64
	}
	var master *Series
	var axis [][]int64 // the bar series' times in view, for the index axis
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range c.Panes {
		for _, s := range p.Series {
			t := s.times()
			i0, i1 := span(t, from, to)
			if i1 <= i0 {
				continue
			}
			if master == nil || (master.Bars == nil && s.Bars != nil) {
				master = s
			}
			if s.Bars != nil && s.Field == "" {
				axis = append(axis, t[i0:i1])
			}
			w := barWidth(s, false) / 2
			lo = math.Min(lo, float64(t[i0])-w)
			hi = math.Max(hi, float64(t[i1-1])+w)
		}
	}
	if master == nil {
		v.lo, v.hi = 0, 1
		return v
	}
	if c.Index {
		if len(axis) == 0 {
			t := master.times()
			i0, i1 := span(t, from, to)
			axis = append(axis, t[i0:i1])
		}
		v.master = union(axis)
		v.lo, v.hi = -0.5, float64(len(v.master))-0.5
		v.breaks = sessionStarts(v.master)
		return v
	}
	if c.From != 0 && c.To != 0 {
		lo, hi = float64(c.From), float64(c.To)
	}
	if hi <= lo {
		hi = lo + 1
	}
	v.lo, v.hi = lo, hi
	return v
}

// union merges ascending time columns into one without repeats; one column
// is returned as it is.
func union(ts [][]int64) []int64 {
	same := true
	for _, t := range ts[1:] {
		same = same && len(t) == len(ts[0]) && (len(t) == 0 || (&t[0] == &ts[0][0]))
	}
	if same {
		return ts[0]
	}
	n := 0
	for _, t := range ts {
		n += len(t)
	}
	out := make([]int64, 0, n)
	for _, t := range ts {
		out = append(out, t...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sessionStarts are the positions of the index axis's times that follow a
// closed stretch: more than GapPeriods bar periods after the time before.
// Daily and longer bars get none: every bar is a session there, and the
// holidays would stripe the chart.
func sessionStarts(t []int64) []float64 {
	period := frames.DetectPeriod(t)
	if period <= 0 || period >= 86400 {
		return nil
	}
	var out []float64
	for i := 1; i < len(t); i++ {
		if t[i]-t[i-1] > GapPeriods*period {
			out = append(out, float64(i)-0.5)
		}
	}
	return out
}

// span returns the rows of t in [from, to).
func span(t []int64, from, to int64) (int, int) {
	i0 := sort.Search(len(t), func(i int) bool { return t[i] >= from })
	i1 := i0 + sort.Search(len(t)-i0, func(i int) bool { return t[i0+i] >= to })
	return i0, i1
}

// barWidth is the x width of one bar of s: its period in time mode, 1 by index.
func barWidth(s *Series, index bool) float64 {
	if index {
		return 1
	}
	if s.Kind == KindLine || s.Kind == KindStep || s.Kind == KindMarkers {
		return 0
	}
	if s.Bars != nil && s.Bars.Period > 0 {
		return float64(s.Bars.Period)
	}
	if p := frames.DetectPeriod(s.times()); p > 0 {
		return float64(p)
	}
	return 1
}

// xs maps the times of s in view to x units.
func (v view) xs(t []int64) []float64 {
	out := make([]float64, len(t))
	if !v.index {
		for i, ti := range t {
			out[i] = float64(ti)
		}
		return out
	}
	j := 0
	for i, ti := range t {
		for j < len(v.master) && v.master[j] < ti {
			j++
		}
		out[i] = float64(j)
	}
	return out
}

// reduce cuts s to the view and, unless it is already no denser than the
// pixels, reduces it with M4 to bins of uppx x units. With closes, bars
// become a line of their closes (several markets' candles on one axis are
// unreadable).
func (c *Chart) reduce(s *Series, v view, uppx float64, closes bool) *drawn {
	d := &drawn{s: s, ymin: math.Inf(1), ymax: math.Inf(-1), w: barWidth(s, v.index)}
	from, to := c.From, c.To
	if to == 0 {
		to = math.MaxInt64
	}
	if v.index && len(v.master) > 0 {
		from, to = v.master[0], v.master[len(v.master)-1]+1
	}
	i0, i1 := span(s.times(), from, to)
	n := i1 - i0
	if n <= 0 {
		return d
	}
	d.setLast(s, i0, i1)
	t := s.times()[i0:i1]
	dense := !c.raw && uppx > 0 && float64(n) > 2*(v.hi-v.lo)/uppx
	var x []float64 // x of every row: only in index mode or when drawing rows
	if v.index || !dense {
		x = v.xs(t)
	}
	m4 := func(y []float64) *M4Bins {
		b := &M4Bins{}
		if x != nil {
			b.Reduce(x, y, v.lo, uppx)
		} else {
			b.ReduceTimes(t, y, v.lo, uppx)
		}
		return b
	}
	kind, ys := s.Kind, s.values()
	if closes && (s.Kind == KindCandles || s.Kind == KindOHLC) {
		kind, ys, d.asLine = KindLine, s.Bars.Close, true
	}
	switch kind {
	case KindCandles, KindOHLC:
		f := s.Bars.Rows(i0, i1)
		switch {
		case !dense:
			d.x, d.o, d.h, d.l, d.c = x, f.Open, f.High, f.Low, f.Close
		case x != nil:
			reduceBars(d, x, f, v.lo, uppx)
		default:
			reduceBars(d, t, f, v.lo, uppx)
		}
		d.span()
	case KindHistogram:
		y := ys[i0:i1]
		if dense {
			b := m4(y)
			d.x, d.h, d.l, d.binned, d.w = b.X, b.Max, b.Min, true, uppx
		} else {
			d.x, d.h, d.l = x, y, y
		}
		d.span()
		d.ymin, d.ymax = math.Min(d.ymin, 0), math.Max(d.ymax, 0)
	case KindMarkers:
		if x == nil {
			x = v.xs(t)
		}
		d.x, d.y = x, ys[i0:i1]
		d.spanY()
	default:
		y := ys[i0:i1]
		var ix []float64 // positions on an index axis
		if v.index {
			ix = x
		}
		cuts := sessionBreaks(t, ix, s, uppx)
		switch {
		case cuts == nil && !dense:
			d.x, d.y = x, y
		case x != nil:
			d.x, d.y = stretches(cuts, x, y, dense, v.lo, uppx)
		default:
			d.x, d.y = stretches(cuts, t, y, dense, v.lo, uppx)
		}
		d.spanY()
	}
	return d
}

// stretches reduces each open stretch of a line (the rows between cuts) on
// its own, so no M4 bin straddles a closed session, and puts a NaN between
// stretches to lift the pen. Without dense the rows are kept as they are.
func stretches[X int64 | float64](cuts []int, x []X, y []float64, dense bool, x0, uppx float64) (xs, ys []float64) {
	a := 0
	for k := 0; k <= len(cuts); k++ {
		b := len(x)
		if k < len(cuts) {
			b = cuts[k]
		}
		if k > 0 {
			xs, ys = append(xs, float64(x[a])), append(ys, math.NaN())
		}
		if !dense {
			for i := a; i < b; i++ {
				xs, ys = append(xs, float64(x[i])), append(ys, y[i])
			}
		} else {
			bins := &M4Bins{}
			reduceM4(bins, x[a:b], y[a:b], x0, uppx)
			xs, ys = points(bins, x[a:b], xs, ys)
		}
		a = b
	}
	return xs, ys
}

// spanY sets the y range from the points, NaNs left out.
func (d *drawn) spanY() {
	for _, yi := range d.y {
		if yi < d.ymin {
			d.ymin = yi
		}
		if yi > d.ymax {
			d.ymax = yi
		}
	}
}

// GapPeriods is how many of a series' periods apart two consecutive points
// of a line must be for the gap to count as a closed session (a night, a
// weekend, a maintenance break) that the line is not drawn across. One or
// two missing bars stay joined.
const GapPeriods = 3

// GapPixels is the narrowest closed session, in pixel columns, that breaks
// a line.
const GapPixels = 8

// sessionBreaks returns the rows of t that start a new open stretch of a
// line or step series: rows more than GapPeriods periods after the
// previous one. On a time axis (x nil) a gap no wider than GapPixels pixel
// columns (uppx x units each) is not broken: a hole that small reads as a
// glitch (a holiday in a daily average over years), not as a session. On
// an index axis a closed stretch takes no room unless other series have
// bars there (an equity overlaid on a 24/7 market); only such a stretch,
// wider than GapPixels columns, breaks the line, which would otherwise
// cross it straight.
func sessionBreaks(t []int64, x []float64, s *Series, uppx float64) []int {
	if len(t) < 2 {
		return nil
	}
	var period int64
	if s.Bars != nil {
		period = s.Bars.Period
	}
	if period <= 0 {
		period = frames.DetectPeriod(t)
	}
	if period <= 0 {
		return nil
	}
	limit, xlimit := GapPeriods*period, max(1, GapPixels*uppx)
	if x == nil {
		limit = max(limit, int64(math.Ceil(GapPixels*uppx)))
	}
	var cuts []int
	for i := 1; i < len(t); i++ {
		if t[i]-t[i-1] > limit && (x == nil || x[i]-x[i-1] > xlimit) {
			cuts = append(cuts, i)
		}
	}
	return cuts
}

// span sets the y range from the lows and highs, NaNs left out.
func (d *drawn) span() {
	for i := range d.x {
		if l := d.l[i]; l < d.ymin {
			d.ymin = l
		}
		if h := d.h[i]; h > d.ymax {
			d.ymax = h
		}
	}
}

// reduceBars bins bars by pixel column: first open, highest high, lowest
// low, last close.
func reduceBars[X int64 | float64](d *drawn, x []X, f *frames.OHLCV, x0, uppx float64) {
	d.binned, d.w = true, uppx
	inv := 1 / uppx
	cur := int64(math.MinInt64)
	k := -1
	for i, xi := range x {
		b := int64(math.Floor((float64(xi) - x0) * inv))
		if b != cur {
			cur = b
			d.x = append(d.x, x0+float64(b)*uppx)
			d.o = append(d.o, f.Open[i])
			d.h = append(d.h, f.High[i])
			d.l = append(d.l, f.Low[i])
			d.c = append(d.c, f.Close[i])
			k++
			continue
		}
		if v := f.High[i]; v > d.h[k] {
			d.h[k] = v
		}
		if v := f.Low[i]; v < d.l[k] {
			d.l[k] = v
		}
		d.c[k] = f.Close[i]
	}
}

// applyOverlay maps every overlay curve of a pane onto one axis with the
// value maps the live window gets too, and returns that axis's range and the
// reference curve.
func applyOverlay(p *Pane, ds []*drawn, ov *OverlayRanges) (float64, float64, *CurveRange) {
	ref := overlayReference(ov)
	if ref < 0 {
		return 0, 1, nil
	}
	lo, hi := overlayAxis(p, ov)
	k := 0 // the curve of the next mapped series
	for j, m := range valueMaps(p, ov, lo, hi) {
		if m == nil {
			continue
		}
		d, cr := ds[j], ov.Curves[k]
		k++
		d.lastY = m.Apply(d.last)
		if cr.Pinned {
			d.pin = cr.Pin
		}
		// Map into new slices: unreduced data still shares the caller's arrays.
		if (d.s.Kind == KindCandles || d.s.Kind == KindOHLC) && !d.asLine {
			d.o, d.h, d.l, d.c = mapped(d.o, m), mapped(d.h, m), mapped(d.l, m), mapped(d.c, m)
			continue
		}
		d.y = mapped(d.y, m)
	}
	return lo, hi, &ov.Curves[ref]
}

func hexColor(c color.Color) string {
	r := toRGBA(c)
	return fmt.Sprintf("#%02x%02x%02x", r.R, r.G, r.B)
}

func mapped(y []float64, m *ValueMap) []float64 {
	out := make([]float64, len(y))
	for i, v := range y {
		out[i] = m.Apply(v)
	}
	return out
}

// refTick is the price increment an overlay's reference curve is printed
// at: its series' own, else the pane's.
func refTick(p *Pane, ref *CurveRange) float64 {
	for _, s := range p.Series {
		if t := p.tickOf(s); s.Name == ref.Name && t > 0 {
			return t
		}
	}
	return p.tick()
}

// overlayNote says in a legend how an overlaid curve is scaled, so a reader
// knows which curve the axis belongs to and what the others' heights mean.
func overlayNote(ov *OverlayRanges, name string) string {
	if ov == nil || len(ov.Curves) < 2 {
		return ""
	}
	for i, c := range ov.Curves {
		if c.Name != name {
			continue
		}
		switch {
		// With none, the axis shows the first curve's prices.
		case c.Major || (ov.Method == OverlayNone && i == 0):
			return "reference: price on the left axis, log return on the right"
		case ov.Method == OverlayNone:
			return "own price range"
		case !c.Pinned:
			return "own price range: nothing to pin to"
		case ov.Method == OverlayPin:
			return "scaled by % move, pinned to the reference"
		case ov.Method == OverlayFirst:
			return "scaled by % move from its first bar in view"
		}
	}
	return ""
}
