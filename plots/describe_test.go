package plots

import (
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"

	"workbench/frames"
)

// describeCharts are charts of every kind of pane: candles with a line,
// levels and markers, volume, a histogram, a bounded oscillator, and
// overlays by each method.
func describeCharts(t *testing.T) map[string]*Chart {
	goog := readBars(t, "goog_daily_2004-2008.csv")
	btc := readBars(t, "binance_BTCUSDT_1m_2024-09-21.csv")
	xbt := readBars(t, "kraken_XBTUSDT_1m_rest.csv")
	out := map[string]*Chart{}
	c := candleChart(goog)
	osc := c.AddPane("rsi-like", 1)
	osc.Bounds = [2]float64{0, 100}
	y := make([]float64, goog.Len())
	for i := range y {
		y[i] = 50 + 40*math.Sin(float64(i)/9)
	}
	osc.Line("osc", goog.Time, y)
	osc.AddLevel(30, "30")
	osc.AddLevel(70, "70")
	out["goog"] = c
	v := candleChart(goog)
	v.From, v.To = goog.Time[200], goog.Time[400]
	out["goog view"] = v
	lg := candleChart(goog)
	lg.Panes[0].Log = true
	out["goog log"] = lg
	for _, m := range []string{OverlayPin, OverlayFirst, OverlayNone} {
		for _, pct := range []bool{false, true} {
			o := NewChart("overlay")
			p := o.AddPane("", 1)
			p.Overlay, p.Percent = m, pct
			p.Candles("btc", btc)
			p.Candles("xbt", xbt)
			name := "overlay " + m
			if pct {
				name += " percent"
			}
			out[name] = o
		}
	}
	for _, index := range []bool{false, true} {
		for name, c := range map[string]*Chart{"goog": candleChart(goog)} {
			c.Index = index
			out[name+" index="+map[bool]string{false: "no", true: "yes"}[index]] = c
		}
	}
	return out
}

// TestDescribeMatchesRender holds the description the live window draws to
// the layout the static renderer reports: the same panes top to bottom, the
// same named series in each with the same colours, the same y ranges.
func TestDescribeMatchesRender(t *testing.T) {
	for name, c := range describeCharts(t) {
		ls, err := c.RenderLayout(io.Discard, "png")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := c.Describe()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(d.Panes) != len(ls) {
			t.Fatalf("%s: described %d panes, rendered %d", name, len(d.Panes), len(ls))
		}
		for i, l := range ls {
			p := d.Panes[i]
			var names, colors []string
			for _, s := range p.Series {
				if s.Name != "" {
					names, colors = append(names, s.Name), append(colors, s.Color)
				}
			}
			if !equalStrings(names, l.Series) || !equalStrings(colors, l.Colors) {
				t.Errorf("%s pane %d: described series %v %v, rendered %v %v", name, i, names, colors, l.Series, l.Colors)
			}
			if !near(p.YMin, l.YMin) || !near(p.YMax, l.YMax) || p.Scale != l.Scale {
				t.Errorf("%s pane %d: described y %g..%g %s, rendered %g..%g %s", name, i, p.YMin, p.YMax, p.Scale, l.YMin, l.YMax, l.Scale)
			}
		}
		if _, err := json.Marshal(d); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDescribeOverlayMaps checks the value maps against the overlay's own
// ranges: the reference curve's view range is the axis, and every other
// curve's view range lands on it end to end (pin, first) or in percent.
func TestDescribeOverlayMaps(t *testing.T) {
	for name, c := range describeCharts(t) {
		p := c.Panes[0]
		if p.Overlay == "" {
			continue
		}
		d, err := c.Describe()
		if err != nil {
			t.Fatal(err)
		}
		ov, err := Overlay([]OverlayCurve{CurveFromBars("btc", p.Series[0].Bars), CurveFromBars("xbt", p.Series[1].Bars)}, p.Overlay, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		pd := d.Panes[0]
		for k, cr := range ov.Curves {
			m := pd.Series[k].Map
			if m == nil {
				t.Fatalf("%s: %s has no map", name, cr.Name)
			}
			if p.Percent {
				if got := m.Apply(cr.Pin * math.Exp(0.05)); !near(got, 5) {
					t.Errorf("%s: %s 5%% log return above its pin %g maps to %g", name, cr.Name, cr.Pin, got)
				}
				continue
			}
			if lo, hi := m.Apply(cr.ViewMin), m.Apply(cr.ViewMax); !near(lo, pd.YMin) || !near(hi, pd.YMax) {
				t.Errorf("%s: %s range %g..%g maps to %g..%g, axis %g..%g", name, cr.Name, cr.ViewMin, cr.ViewMax, lo, hi, pd.YMin, pd.YMax)
			}
		}
	}
}

// TestDescribeRangeBinsKeepExtremes serves a million bars at a width: the
// points are bounded by the width and every bin's high and low are the
// highest and lowest of its bars.
func TestDescribeRangeBinsKeepExtremes(t *testing.T) {
	f := walkBars(1_000_000, 7)
	c := NewChart("1M")
	c.AddPane("price", 3).Candles("walk", f)
	c.AddPane("volume", 1).Volume("volume", f)
	const width = 800
	from, to := f.Time[400_000], f.Time[600_000]
	d, err := c.DescribeRange(from, to, width)
	if err != nil {
		t.Fatal(err)
	}
	s := d.Panes[0].Series[0]
	if n := len(s.Time); n > 2*width+2 || n < width {
		t.Fatalf("%d points served for width %d", n, width)
	}
	inView := 0
	for k, tk := range s.Time {
		i0, _ := span(f.Time, tk, tk+1)
		end := f.Len()
		if k+1 < len(s.Time) {
			end, _ = span(f.Time, s.Time[k+1], s.Time[k+1]+1)
		}
		if tk >= from && tk < to {
			inView++
		}
		hi, lo, vol := math.Inf(-1), math.Inf(1), 0.0
		for i := i0; i < end; i++ {
			hi, lo, vol = math.Max(hi, f.High[i]), math.Min(lo, f.Low[i]), vol+f.Volume[i]
		}
		if s.High[k] != hi || s.Low[k] != lo || s.Open[k] != f.Open[i0] || s.Close[k] != f.Close[end-1] {
			t.Fatalf("bin %d (rows %d..%d): ohlc %g %g %g %g, bars give %g %g %g %g", k, i0, end, s.Open[k], s.High[k], s.Low[k], s.Close[k], f.Open[i0], hi, lo, f.Close[end-1])
		}
		if v := d.Panes[1].Series[0].Values[k]; math.Abs(v-vol) > 1e-6*vol {
			t.Fatalf("bin %d: volume %g, bars sum to %g", k, v, vol)
		}
	}
	if inView > width || inView < width/2 {
		t.Errorf("%d bins in the view for width %d", inView, width)
	}
}

// A chart with no bars yet (a paper session's first seconds) describes
// every series with an empty time column, which the page maps over.
func TestDescribeEmptyChart(t *testing.T) {
	c := NewChart("empty")
	p := c.AddPane("price", 3)
	p.Candles("x", frames.New(60, 0))
	p.Markers("buys", nil, nil, ShapeUp)
	c.AddPane("position", 1).Step("position", nil, nil)
	d, err := c.DescribeRange(0, 0, 800)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"time":null`) || strings.Count(string(b), `"time":[]`) != 3 {
		t.Errorf("empty chart described as %s", b)
	}
}
