package plots

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"time"

	"workbench/frames"
)

// Kind is how a series is drawn.
type Kind int

// Series kinds.
const (
	KindCandles   Kind = iota // bars as candles (body open..close, wick low..high)
	KindOHLC                  // bars as OHLC ticks
	KindLine                  // a polyline through (Time, Y)
	KindStep                  // a staircase: each value holds until the next time
	KindHistogram             // bars from 0 to Y (volume, MACD histogram)
	KindMarkers               // a glyph at each (Time, Y): fills, signals
)

// Marker shapes for KindMarkers.
const (
	ShapeDot  = "dot"
	ShapeUp   = "up"   // a triangle pointing up (a buy)
	ShapeDown = "down" // a triangle pointing down (a sell)
)

// Series is one thing drawn in a pane. Bars is set for candles and OHLC bars,
// Time and Y for the other kinds, or Bars and Field (open, high, low, close
// or volume) for a line, step or histogram of one column of bars: such a
// series sees bars appended to Bars later. Color nil picks one from the
// palette.
type Series struct {
	Kind  Kind
	Name  string
	Bars  *frames.OHLCV
	Field string
	Time  []int64
	Y     []float64
	Color color.Color
	Shape string // marker shape; ShapeDot when empty
	// Tick is the price increment of the series' market, when it differs
	// from the pane's (markets overlaid): its legend value, and as an
	// overlay's reference its price axis, are printed at its precision.
	Tick float64
}

// Level is a horizontal line across a pane (a stop, a position's break even).
type Level struct {
	Y     float64
	Label string
	Color color.Color
}

// Pane is one horizontal band of a chart; all panes share the x axis.
type Pane struct {
	Title  string
	YLabel string
	// Weight is the pane's share of the chart height (0 counts as 1).
	Weight float64
	Series []*Series
	Levels []Level
	// Tick is the price increment of the market shown; y labels are printed
	// at its precision (0: chosen from the axis step).
	Tick float64
	// Overlay, when set to OverlayPin, OverlayFirst or OverlayNone, scales
	// every candle, OHLC and line series of the pane with Overlay and draws
	// them on the first curve's (pin: the major's) price axis.
	Overlay string
	// Percent draws an overlay as cumulative log returns from each curve's
	// pin on one percent axis.
	Percent bool
	// Bounds, when Bounds[1] > Bounds[0], fixes the y axis to that range
	// (an oscillator bounded to 0..100) instead of fitting it to the data.
	Bounds [2]float64
	// Log draws the y axis on a log scale, so equal percentage moves take
	// equal heights over years of growth. Every value drawn must be above
	// zero: no histograms, no overlay (an overlay draws log returns with
	// Percent).
	Log bool
}

// Chart is a stack of panes over one x axis.
type Chart struct {
	Title string
	Panes []*Pane
	// Index puts bars at their position in the union of the bar series'
	// times instead of at their time, so closed hours and weekends take no
	// room and markets with different sessions line up by time.
	Index bool
	// Location is the time zone of the time axis labels (nil: UTC).
	Location *time.Location
	// From and To limit the view to [From, To) epoch seconds; 0 leaves the
	// end open.
	From, To int64
	// Width and Height are the image size in pixels (0: 1600×900); DPI
	// converts them for SVG and PDF (0: 96).
	Width, Height int
	DPI           int

	// raw draws every point, bypassing M4; tests and benchmarks use it as
	// the reference that M4 output is compared against.
	raw bool
}

// NewChart returns an empty chart with the default size.
func NewChart(title string) *Chart { return &Chart{Title: title} }

// AddPane appends a pane with a relative height weight and returns it.
func (c *Chart) AddPane(title string, weight float64) *Pane {
	p := &Pane{Title: title, Weight: weight}
	c.Panes = append(c.Panes, p)
	return p
}

// Candles adds a candle series.
func (p *Pane) Candles(name string, f *frames.OHLCV) *Series {
	return p.add(&Series{Kind: KindCandles, Name: name, Bars: f})
}

// OHLC adds a series of OHLC bars.
func (p *Pane) OHLC(name string, f *frames.OHLCV) *Series {
	return p.add(&Series{Kind: KindOHLC, Name: name, Bars: f})
}

// Line adds a line through (t[i], y[i]); NaN values leave a hole.
func (p *Pane) Line(name string, t []int64, y []float64) *Series {
	return p.add(&Series{Kind: KindLine, Name: name, Time: t, Y: y})
}

// Step adds a staircase line.
func (p *Pane) Step(name string, t []int64, y []float64) *Series {
	return p.add(&Series{Kind: KindStep, Name: name, Time: t, Y: y})
}

// Histogram adds bars from 0 to y[i].
func (p *Pane) Histogram(name string, t []int64, y []float64) *Series {
	return p.add(&Series{Kind: KindHistogram, Name: name, Time: t, Y: y})
}

// Volume adds a histogram of a bar series' volume.
func (p *Pane) Volume(name string, f *frames.OHLCV) *Series {
	return p.add(&Series{Kind: KindHistogram, Name: name, Bars: f, Field: "volume"})
}

// Column adds a line of one column (open, high, low, close or volume) of a
// bar series.
func (p *Pane) Column(name string, f *frames.OHLCV, field string) *Series {
	return p.add(&Series{Kind: KindLine, Name: name, Bars: f, Field: field})
}

// Markers adds a glyph of a shape (ShapeDot, ShapeUp, ShapeDown) at each point.
func (p *Pane) Markers(name string, t []int64, y []float64, shape string) *Series {
	return p.add(&Series{Kind: KindMarkers, Name: name, Time: t, Y: y, Shape: shape})
}

// AddLevel draws a horizontal line at y with a label.
func (p *Pane) AddLevel(y float64, label string) {
	p.Levels = append(p.Levels, Level{Y: y, Label: label})
}

func (p *Pane) add(s *Series) *Series {
	p.Series = append(p.Series, s)
	return s
}

func (s *Series) len() int {
	if s.Bars != nil {
		return s.Bars.Len()
	}
	return len(s.Time)
}

func (s *Series) times() []int64 {
	if s.Bars != nil {
		return s.Bars.Time
	}
	return s.Time
}

// values is the y column of a line, step, histogram or markers series.
func (s *Series) values() []float64 {
	if s.Bars == nil {
		return s.Y
	}
	switch s.Field {
	case "open":
		return s.Bars.Open
	case "high":
		return s.Bars.High
	case "low":
		return s.Bars.Low
	case "volume":
		return s.Bars.Volume
	}
	return s.Bars.Close
}

func (s *Series) check() error {
	switch s.Kind {
	case KindCandles, KindOHLC:
		if s.Bars == nil {
			return fmt.Errorf("series %q: candles and OHLC bars need Bars", s.Name)
		}
	case KindLine, KindStep, KindHistogram, KindMarkers:
		if s.Bars != nil {
			switch s.Field {
			case "open", "high", "low", "close", "volume", "":
			default:
				return fmt.Errorf("series %q: field %q: want open, high, low, close or volume", s.Name, s.Field)
			}
		} else if len(s.Time) != len(s.Y) {
			return fmt.Errorf("series %q: %d times but %d values", s.Name, len(s.Time), len(s.Y))
		}
	default:
		return fmt.Errorf("series %q: unknown kind %d", s.Name, s.Kind)
	}
	return nil
}

// OverlayRanges computes the overlay of every pane that has one, over the
// chart's view; nil for panes without. It is what a drawn chart uses.
func (c *Chart) OverlayRanges() ([]*OverlayRanges, error) {
	out := make([]*OverlayRanges, len(c.Panes))
	for i, p := range c.Panes {
		if p.Overlay == "" {
			continue
		}
		var curves []OverlayCurve
		for _, s := range p.Series {
			switch s.Kind {
			case KindCandles, KindOHLC:
				curves = append(curves, CurveFromBars(s.Name, s.Bars))
			case KindLine:
				curves = append(curves, CurveFromLine(s.Name, s.times(), s.values()))
			}
		}
		from, to := c.From, c.To
		if from != 0 || to != 0 {
			if to == 0 {
				to = 1<<63 - 1
			}
		}
		r, err := Overlay(curves, p.Overlay, from, to)
		if err != nil {
			return nil, fmt.Errorf("pane %d: %w", i, err)
		}
		out[i] = r
	}
	return out, nil
}

// curves counts the series an overlay scales.
func (p *Pane) curves() int {
	n := 0
	for _, s := range p.Series {
		if s.Kind == KindCandles || s.Kind == KindOHLC || s.Kind == KindLine {
			n++
		}
	}
	return n
}

// scale names the pane's price scale as the layout and the live page do.
func (p *Pane) scale() string {
	if p.Log {
		return "log"
	}
	return "linear"
}

// tickOf is the price increment series s of pane p is printed at: its own
// Tick, else the pane's, else the one its prices are written with (so a
// chart built at the prompt labels prices as `workbench chart` does); 0 for
// a series that is no market's bars.
func (p *Pane) tickOf(s *Series) float64 {
	switch {
	case s.Tick > 0:
		return s.Tick
	case p.Tick > 0:
		return p.Tick
	case s.Bars == nil || s.Kind == KindHistogram:
		return 0
	}
	return guessTick(s.Bars.Close)
}

// tick is the price increment the pane's axis is labelled at: its Tick,
// else its first market's.
func (p *Pane) tick() float64 {
	for _, s := range p.Series {
		if t := p.tickOf(s); t > 0 {
			return t
		}
	}
	return p.Tick
}

// guessTick infers a price increment from the decimals the prices are
// written with (at most 8).
func guessTick(x []float64) float64 {
	d := 0
	for i, v := range x {
		if i == 2000 {
			break
		}
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if k := strings.IndexByte(s, '.'); k >= 0 {
			d = max(d, len(s)-k-1)
		}
	}
	t := 1.0
	for d = min(d, 8); d > 0; d-- {
		t /= 10
	}
	return t
}
