package plots

import (
	"encoding/json"
	"math"
	"strconv"

	"workbench/frames"
)

// ChartDescription is a chart as data: its panes top to bottom, each with
// its y range, levels and series, every series with its values and, on an
// overlay pane, the map from its prices to the pane's axis. It is what the
// live window's page draws, and its panes and y ranges are the ones the
// PNG/SVG/PDF renderer draws (TestDescribeMatchesRender holds them equal).
type ChartDescription struct {
	Title string `json:"title"`
	Index bool   `json:"index"`
	// From and To are the view [From, To) the y ranges are of, in epoch
	// seconds, 0 for an open end.
	From int64 `json:"from"`
	To   int64 `json:"to"`
	// Period is the bar period of the first bar series, in seconds.
	Period int64 `json:"period"`
	// Bin is how many bars of the first bar series each point in the view
	// stands for (1: every bar); Outer is the same outside the view. A
	// chart with more bars than the width allows is served binned (see
	// DescribeRange).
	Bin int `json:"bin"`
	// Detail is the window [from, to) the bins are finest in (0: open end).
	Detail [2]int64          `json:"detail"`
	Outer  int               `json:"outer"`
	Panes  []PaneDescription `json:"panes"`
}

// PaneDescription is one pane of a ChartDescription.
type PaneDescription struct {
	Index  int     `json:"index"`
	Title  string  `json:"title"`
	Weight float64 `json:"weight"`
	// YMin and YMax are the y range the renderer draws the view on.
	YMin  float64 `json:"y_min"`
	YMax  float64 `json:"y_max"`
	Scale string  `json:"scale"`
	// Fixed says the y range is the pane's Bounds (an oscillator's 0..100)
	// and does not follow the data.
	Fixed   bool                `json:"fixed,omitempty"`
	Tick    float64             `json:"tick,omitempty"`
	Overlay string              `json:"overlay,omitempty"`
	Percent bool                `json:"percent,omitempty"`
	Major   string              `json:"major,omitempty"`
	Levels  []LevelDescription  `json:"levels"`
	Series  []SeriesDescription `json:"series"`
}

// LevelDescription is a horizontal line of a pane.
type LevelDescription struct {
	Y     float64 `json:"y"`
	Label string  `json:"label"`
	Color string  `json:"color"`
}

// SeriesDescription is one series: bars (Open…Volume) for candles and OHLC
// bars, Values for the other kinds, aligned with Time. Map, on an overlay
// pane, takes the series' prices to the pane's axis.
type SeriesDescription struct {
	Kind   string    `json:"kind"` // candles, ohlc, line, step, histogram, markers
	Name   string    `json:"name"`
	Color  string    `json:"color"`
	Shape  string    `json:"shape,omitempty"`
	Note   string    `json:"note,omitempty"` // how an overlay scales it, in words
	Map    *ValueMap `json:"map,omitempty"`
	Time   []int64   `json:"time"`
	Open   Floats    `json:"open,omitempty"`
	High   Floats    `json:"high,omitempty"`
	Low    Floats    `json:"low,omitempty"`
	Close  Floats    `json:"close,omitempty"`
	Volume Floats    `json:"volume,omitempty"`
	Values Floats    `json:"values,omitempty"`
}

// ValueMap is how an overlay draws a curve on its pane's axis: with Log,
// 100·ln(y/Pin) (percent log return from the pin); else Base + (y-From)·Scale,
// the curve's own range [From, …] stretched onto the axis's.
type ValueMap struct {
	Log   bool    `json:"log,omitempty"`
	Pin   float64 `json:"pin,omitempty"`
	From  float64 `json:"from"`
	Base  float64 `json:"base"`
	Scale float64 `json:"scale"`
}

// Apply maps a price onto the pane's axis.
func (m *ValueMap) Apply(y float64) float64 {
	if m == nil {
		return y
	}
	if m.Log {
		return 100 * math.Log(y/m.Pin)
	}
	return m.Base + (y-m.From)*m.Scale
}

// Floats is a column that encodes NaN (no value: an indicator's lookback,
// a hole) as JSON null.
type Floats []float64

// MarshalJSON writes NaN and infinities as null.
func (f Floats) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(f)*10)
	b = append(b, '[')
	for i, v := range f {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads null as NaN.
func (f *Floats) UnmarshalJSON(b []byte) error {
	var raw []*float64
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*f = make(Floats, len(raw))
	for i, p := range raw {
		(*f)[i] = math.NaN()
		if p != nil {
			(*f)[i] = *p
		}
	}
	return nil
}

var kindNames = map[Kind]string{KindCandles: "candles", KindOHLC: "ohlc", KindLine: "line",
	KindStep: "step", KindHistogram: "histogram", KindMarkers: "markers"}

// Describe returns the chart as data over its view (From, To), every bar
// included. Unbinned columns are the chart's own slices: encode or copy
// them before the chart changes.
func (c *Chart) Describe() (*ChartDescription, error) {
	return c.DescribeRange(0, 0, 0)
}

// DescribeRange describes the chart with the y ranges and overlays of its
// view (From, To) and the values of every series over all its rows. With
// width > 0 and more than RawPoints (and 2·width) bars, the bars are binned
// by the rows of the union of the bar series' times, each bin keeping its first open, highest high, lowest low,
// last close and summed volume (a line keeps its last value, a histogram
// its largest magnitude): at most width bins inside [from, to) (0: open
// end) and width/2 on each side of it, so a million bars cost a few
// thousand points and the extremes stay where they were. Markers are never
// binned.
func (c *Chart) DescribeRange(from, to int64, width int) (*ChartDescription, error) {
	ranges, err := c.yRanges(width)
	if err != nil {
		return nil, err
	}
	d := &ChartDescription{Title: c.Title, Index: c.Index, From: c.From, To: c.To, Bin: 1, Outer: 1}
	d.Detail = [2]int64{from, to}
	edges := c.binEdges(d, from, to, width)
	for i, p := range c.Panes {
		pd := PaneDescription{Index: i, Title: p.Title, Weight: weight(p), YMin: ranges[i].lo, YMax: ranges[i].hi,
			Scale: p.scale(), Tick: p.tick(), Overlay: p.Overlay, Percent: p.Percent, Levels: []LevelDescription{}}
		ov := ranges[i].ov
		pd.Fixed = p.Bounds[1] > p.Bounds[0] && ov == nil
		if ov != nil {
			pd.Major = ov.Major
		}
		for _, l := range p.Levels {
			col := l.Color
			if col == nil {
				col = levelColor
			}
			pd.Levels = append(pd.Levels, LevelDescription{Y: l.Y, Label: l.Label, Color: hexColor(col)})
		}
		for k, s := range p.Series {
			sd := describeSeries(s, edges)
			col := s.Color
			if col == nil {
				col = palette[k%len(palette)]
				// Candles keep the up colour unless an overlay draws them as lines.
				if (s.Kind == KindCandles || s.Kind == KindOHLC) && !(p.Overlay != "" && p.curves() > 1) {
					col = upColor
				}
			}
			sd.Color = hexColor(col)
			if ov != nil {
				sd.Map = ranges[i].maps[k]
				sd.Note = overlayNote(ov, s.Name)
			}
			pd.Series = append(pd.Series, sd)
		}
		d.Panes = append(d.Panes, pd)
	}
	return d, nil
}

// paneRange is a pane's y range and, on an overlay pane, its overlay and
// each series' value map (nil for series the overlay does not scale).
type paneRange struct {
	lo, hi float64
	ov     *OverlayRanges
	maps   []*ValueMap
}

// yRanges finds each pane's y range over the view as the renderer does:
// the overlay's axis on an overlay pane, else the series' extremes and the
// levels with a RangeMargin, or the pane's Bounds.
func (c *Chart) yRanges(width int) ([]paneRange, error) {
	for _, p := range c.Panes {
		for _, s := range p.Series {
			if err := s.check(); err != nil {
				return nil, err
			}
		}
	}
	ovs, err := c.OverlayRanges()
	if err != nil {
		return nil, err
	}
	if width <= 0 {
		width = c.Width
	}
	if width <= 0 {
		width = DefaultWidth
	}
	v := c.view()
	uppx := (v.hi - v.lo) / float64(width)
	out := make([]paneRange, len(c.Panes))
	for i, p := range c.Panes {
		r := &out[i]
		if r.ov = ovs[i]; r.ov != nil {
			r.lo, r.hi = overlayAxis(p, r.ov)
			r.maps = valueMaps(p, r.ov, r.lo, r.hi)
		} else {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, s := range p.Series {
				d := c.reduce(s, v, uppx, false)
				lo, hi = math.Min(lo, d.ymin), math.Max(hi, d.ymax)
			}
			r.lo, r.hi = yRange(p, lo, hi)
		}
		if !(r.hi > r.lo) || math.IsInf(r.hi-r.lo, 0) {
			r.lo, r.hi = 0, 1
		}
	}
	return out, nil
}

// yRange is the y range of a pane without an overlay whose series reach
// lo..hi: with its levels, widened by RangeMargin (by ratio on a log scale)
// but not across zero when the values do not cross it (volume bars stand on
// the pane's floor), or the pane's Bounds.
func yRange(p *Pane, lo, hi float64) (float64, float64) {
	if b := p.Bounds; b[1] > b[0] {
		return b[0], b[1]
	}
	for _, l := range p.Levels {
		lo, hi = math.Min(lo, l.Y), math.Max(hi, l.Y)
	}
	switch {
	case math.IsInf(lo, 0) || math.IsInf(hi, 0):
		if p.Log {
			return 1, 10
		}
		return 0, 1
	case p.Log:
		return logMargin(lo, hi)
	}
	m := hi - lo
	if m == 0 {
		m = math.Max(math.Abs(hi), 1)
	}
	wlo, whi := lo-RangeMargin*m, hi+RangeMargin*m
	if lo >= 0 && wlo < 0 {
		wlo = 0
	}
	if hi <= 0 && whi > 0 {
		whi = 0
	}
	return wlo, whi
}

// overlayAxis is the y range of an overlay pane: the reference curve's view
// range (the major's, or the first curve's when none is major), or the
// shared log-return range in percent, widened by RangeMargin.
func overlayAxis(p *Pane, ov *OverlayRanges) (float64, float64) {
	base := overlayReference(ov)
	if base < 0 {
		return 0, 1
	}
	if p.Percent {
		pad := RangeMargin * (ov.ReturnMaxPct - ov.ReturnMinPct)
		return ov.ReturnMinPct - pad, ov.ReturnMaxPct + pad
	}
	return ov.Curves[base].ViewMin, ov.Curves[base].ViewMax
}

// overlayReference is the index of the curve an overlay's axis belongs to:
// the major, or the first curve when none is; -1 without curves.
func overlayReference(ov *OverlayRanges) int {
	base := -1
	for k, cr := range ov.Curves {
		if base < 0 || cr.Major {
			base = k
		}
	}
	return base
}

// paneMaps are the value maps of every series of an overlay pane over the
// chart's view; nil for a pane without an overlay.
func (c *Chart) paneMaps(ovs []*OverlayRanges, i int) []*ValueMap {
	if ovs[i] == nil {
		return nil
	}
	lo, hi := overlayAxis(c.Panes[i], ovs[i])
	return valueMaps(c.Panes[i], ovs[i], lo, hi)
}

// valueMaps gives each series of an overlay pane the map applyOverlay draws
// it with onto the axis [lo, hi]; nil for series an overlay leaves alone.
func valueMaps(p *Pane, ov *OverlayRanges, lo, hi float64) []*ValueMap {
	maps := make([]*ValueMap, len(p.Series))
	k := 0
	for j, s := range p.Series {
		if s.Kind != KindCandles && s.Kind != KindOHLC && s.Kind != KindLine {
			continue
		}
		cr := ov.Curves[k]
		k++
		switch {
		case p.Percent:
			maps[j] = &ValueMap{Log: true, Pin: cr.Pin}
		case cr.ViewMax > cr.ViewMin:
			maps[j] = &ValueMap{From: cr.ViewMin, Base: lo, Scale: (hi - lo) / (cr.ViewMax - cr.ViewMin)}
		default:
			maps[j] = &ValueMap{Scale: 1}
		}
	}
	return maps
}

// RawPoints is the most bars DescribeRange serves without binning them:
// a browser chart draws that many and stays smooth.
const RawPoints = 20000

// binEdges decides the binning of a chart described at width and returns
// the bin start times (nil: every row as it is).
func (c *Chart) binEdges(d *ChartDescription, from, to int64, width int) []int64 {
	var axis [][]int64 // every bar series' times: the bins are of their union
	for _, p := range c.Panes {
		for _, s := range p.Series {
			if s.Bars != nil && s.Field == "" && s.Bars.Len() > 0 {
				if d.Period == 0 {
					d.Period = s.Bars.Period
					if d.Period <= 0 {
						d.Period = frames.DetectPeriod(s.Bars.Time)
					}
				}
				axis = append(axis, s.Bars.Time)
			}
		}
	}
	if len(axis) == 0 {
		return nil
	}
	t := union(axis)
	if width <= 0 || len(t) <= max(2*width, RawPoints) {
		return nil
	}
	if to == 0 {
		to = math.MaxInt64
	}
	i0, i1 := span(t, from, to)
	d.Bin = max(1, (i1-i0+width-1)/width)
	d.Outer = max(1, (i0+len(t)-i1+width/2-1)/max(1, width/2))
	var edges []int64
	for i := 0; i < i0; i += d.Outer {
		edges = append(edges, t[i])
	}
	for i := i0; i < i1; i += d.Bin {
		edges = append(edges, t[i])
	}
	for i := i1; i < len(t); i += d.Outer {
		edges = append(edges, t[i])
	}
	return edges
}

// describeSeries copies a series' columns, binned at edges when given.
func describeSeries(s *Series, edges []int64) SeriesDescription {
	// A series with no rows yet (a session's first seconds) is an empty
	// time column, not null, for the page.
	sd := SeriesDescription{Kind: kindNames[s.Kind], Name: s.Name, Shape: s.Shape, Time: []int64{}}
	t := s.times()
	bars := (s.Kind == KindCandles || s.Kind == KindOHLC) && s.Bars != nil
	if edges == nil || s.Kind == KindMarkers {
		if t != nil {
			sd.Time = t
		}
		if bars {
			f := s.Bars
			sd.Open, sd.High, sd.Low, sd.Close, sd.Volume = f.Open, f.High, f.Low, f.Close, f.Volume
		} else {
			sd.Values = s.values()
		}
		return sd
	}
	// Rows before the first edge have no bin; rows in bin b are those with
	// edges[b] <= time < edges[b+1].
	b := -1
	ys := s.values()
	sum := s.Field == "volume"
	for i, ti := range t {
		nb := b
		for nb+1 < len(edges) && edges[nb+1] <= ti {
			nb++
		}
		if nb < 0 {
			continue
		}
		if nb != b {
			b = nb
			sd.Time = append(sd.Time, edges[b])
			if bars {
				f := s.Bars
				sd.Open, sd.High, sd.Low = append(sd.Open, f.Open[i]), append(sd.High, f.High[i]), append(sd.Low, f.Low[i])
				sd.Close, sd.Volume = append(sd.Close, f.Close[i]), append(sd.Volume, f.Volume[i])
			} else {
				sd.Values = append(sd.Values, ys[i])
			}
			continue
		}
		k := len(sd.Time) - 1
		switch {
		case bars:
			f := s.Bars
			sd.High[k], sd.Low[k] = math.Max(sd.High[k], f.High[i]), math.Min(sd.Low[k], f.Low[i])
			sd.Close[k] = f.Close[i]
			sd.Volume[k] += f.Volume[i]
		case sum:
			sd.Values[k] += ys[i]
		case s.Kind == KindHistogram:
			if math.Abs(ys[i]) > math.Abs(sd.Values[k]) || sd.Values[k] != sd.Values[k] {
				sd.Values[k] = ys[i]
			}
		case ys[i] == ys[i]:
			sd.Values[k] = ys[i]
		}
	}
	return sd
}
