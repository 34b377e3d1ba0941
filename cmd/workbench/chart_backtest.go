package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"workbench/frames"
	"workbench/internal/atomicfile"
	"workbench/paper"
	"workbench/plots"
)

// Marker colours of backtest fills: apart from the candles' teal and red so
// a fill on a candle body stays visible.
var (
	buyColor  = color.RGBA{0x1e, 0x5a, 0xd6, 0xff}
	sellColor = color.RGBA{0xe6, 0x7e, 0x00, 0xff}
	stopColor = color.RGBA{0x20, 0x20, 0x20, 0xff}
)

// fillMarks are a market's fills as marker points: buys and sells, stop
// fills apart, each at its price and at the open time of the bar the fill
// happened in (so it sits on that candle).
type fillMarks struct {
	name  string
	shape string
	color color.Color
	t     []int64
	y     []float64
}

func backtestMarks(res *paper.Result, fqme string, bars *frames.OHLCV) []*fillMarks {
	stops := map[string]bool{}
	for _, o := range res.Orders {
		if o.Type == paper.Stop || o.Type == paper.StopLimit {
			stops[o.ID] = true
		}
	}
	marks := []*fillMarks{
		{name: "buy", shape: plots.ShapeUp, color: buyColor},
		{name: "sell", shape: plots.ShapeDown, color: sellColor},
		{name: "stop buy", shape: plots.ShapeUp, color: stopColor},
		{name: "stop sell", shape: plots.ShapeDown, color: stopColor},
	}
	for _, f := range res.Fills {
		if f.FQME != fqme {
			continue
		}
		k := 0
		if f.Side != paper.Buy {
			k = 1
		}
		if stops[f.OrderID] {
			k += 2
		}
		sec := f.Time / 1e9
		i := sort.Search(bars.Len(), func(i int) bool { return bars.Time[i] > sec }) - 1
		if i < 0 {
			i = 0
		}
		marks[k].t = append(marks[k].t, bars.Time[i])
		marks[k].y = append(marks[k].y, f.Price.InexactFloat64())
	}
	return marks
}

// backtestChart draws one market of a backtest: its candles with the fills
// marked at their prices, the account's equity and its drawdown below.
func backtestChart(res *paper.Result, k int) *plots.Chart {
	s := res.Config.Series[k]
	fq := res.Markets[k]
	c := plots.NewChart(fmt.Sprintf("backtest %s %s", fq, frames.FormatPeriod(s.Bars.Period)))
	c.Index = true
	if cal := frames.CalendarForFQME(fq); cal != nil {
		c.Location = cal.Location()
	}
	price := c.AddPane("price", 3)
	price.Tick = s.Market.PriceTick.InexactFloat64()
	if price.Tick == 0 {
	}
	price.Candles(fq, s.Bars)
	for _, m := range backtestMarks(res, fq, s.Bars) {
		if len(m.t) > 0 {
			price.Markers(m.name, m.t, m.y, m.shape).Color = m.color
		}
	}
	n := res.Equity.Len()
	t, eq, dd := make([]int64, n), make([]float64, n), make([]float64, n)
	peak := math.Inf(-1)
	for i := range n {
		// Each sample is the equity at a bar's close: drawn on that bar.
		t[i], eq[i] = res.Equity.Time(i)/1e9-s.Bars.Period, res.Equity.Value[i]
		peak = math.Max(peak, eq[i])
		dd[i] = 100 * (eq[i]/peak - 1)
	}
	ep := c.AddPane("equity", 1)
	ep.Tick = 0.01 // money
	ep.Line("equity", t, eq)
	c.AddPane("drawdown %", 1).Histogram("drawdown %", t, dd).Color = color.RGBA{0xef, 0x53, 0x50, 0xff}
	return c
}

// backtestChartFormats are what --chart takes.
var backtestChartFormats = []string{"png", "svg", "pdf", "none"}

// backtestChartFile is one entry of chart_layout.json: a market's chart
// file and where its panes were drawn.
type backtestChartFile struct {
	FQME  string             `json:"fqme"`
	File  string             `json:"file"`
	Panes []plots.PaneLayout `json:"panes"`
}

// writeBacktestCharts saves a chart of every market of a backtest into dir
// (chart.FORMAT for one market, chart_FQME.FORMAT each for several) and
// their layouts in chart_layout.json.
func writeBacktestCharts(dir, format string, res *paper.Result) error {
	if format == "none" {
		return nil
	}
	var files []backtestChartFile
	for k, fq := range res.Markets {
		name := "chart." + format
		if len(res.Markets) > 1 {
			name = "chart_" + strings.NewReplacer("/", "_", string(filepath.Separator), "_").Replace(fq) + "." + format
		}
		panes, err := backtestChart(res, k).SaveLayout(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("backtest chart %s: %w", fq, err)
		}
		files = append(files, backtestChartFile{FQME: fq, File: name, Panes: panes})
	}
	b, err := json.MarshalIndent(files, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "chart_layout.json")
	if err := atomicfile.WriteBytes(path, 0o644, append(b, '\n')); err != nil {
		return fmt.Errorf("backtest chart layout %s: %w", path, err)
	}
	return nil
}
