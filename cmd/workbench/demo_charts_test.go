package main

import (
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/frames"
	"workbench/internal/chartpix"
	"workbench/plots"
)

func readPanes(t *testing.T, path string) []plots.PaneLayout {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Panes []plots.PaneLayout }
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Panes) == 0 {
		t.Fatalf("%s: no panes (%v)", path, err)
	}
	return r.Panes
}

// checkDemoCharts looks at every chart the demo drew, as pixels, against
// the stored bars and the backtest reports: the candle chart has a candle
// of the right colour between each of the last bars' high and low, and
// exactly that many bar slots; the overlay draws every market across the
// chart with a legend; each backtest chart marks its report's fills at
// their bars and prices and draws its equity and drawdown; every pane
// holds its series' ink.
func checkDemoCharts(t *testing.T, dir string, st *frames.Store) {
	t.Helper()
	m := feeds.DemoMarkets()[0]
	all, err := st.Read(m.FQME, m.Period)
	if err != nil {
		t.Fatal(err)
	}
	bars := all.Rows(all.Len()-demoCandleBars, all.Len())
	panes := readPanes(t, filepath.Join(dir, "chart_candles_ranges.json"))
	img := readPNG(t, filepath.Join(dir, "chart_candles.png"))
	price := panes[0]
	if price.Series[0] != m.FQME || !price.XIndex || price.XMax-price.XMin != float64(bars.Len()) {
		t.Fatalf("candle chart's price pane %+v: want %d bars of %s side by side", price, bars.Len(), m.FQME)
	}
	candles := chartpix.Candles(img, price, bars, hexRGB(t, price.Colors[0]))
	if candles < bars.Len()*98/100 {
		t.Errorf("chart_candles.png: %d of %d bars have a candle of their colour between their high and low", candles, bars.Len())
	}
	checkPanesInked(t, "chart_candles.png", img, panes)

	panes = readPanes(t, filepath.Join(dir, "chart_overlay_ranges.json"))
	img = readPNG(t, filepath.Join(dir, "chart_overlay.png"))
	if o := panes[0]; len(o.Series) != len(feeds.DemoMarkets()) || len(o.LeftTicks) < 4 || len(o.RightTicks) < 4 {
		t.Errorf("chart_overlay.png: pane %+v: want every market, the reference's price left and its return right", o)
	}
	checkPanesInked(t, "chart_overlay.png", img, panes)

	for _, m := range feeds.DemoMarkets() {
		bdir := filepath.Join(dir, "backtest", m.FQME)
		raw, err := os.ReadFile(filepath.Join(bdir, "chart_layout.json"))
		if err != nil {
			t.Fatal(err)
		}
		var layout []backtestChartFile
		if err := json.Unmarshal(raw, &layout); err != nil || len(layout) != 1 || len(layout[0].Panes) != 3 {
			t.Fatalf("%s chart_layout.json %s: %v", m.FQME, raw, err)
		}
		img := readPNG(t, filepath.Join(bdir, layout[0].File))
		checkPanesInked(t, m.FQME+" backtest chart", img, layout[0].Panes)
		raw, err = os.ReadFile(filepath.Join(bdir, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Fills []struct{ Time, Side, Price string }
		}
		if err := json.Unmarshal(raw, &rep); err != nil {
			t.Fatal(err)
		}
		hourly, err := st.Read(m.FQME, m.Period)
		if err != nil {
			t.Fatal(err)
		}
		if hourly, err = hourly.Resample(demoBacktestPeriod); err != nil {
			t.Fatal(err)
		}
		price := layout[0].Panes[0]
		colour := map[string][3]float64{}
		for i, name := range price.Series {
			colour[name] = hexRGB(t, price.Colors[i])
		}
		marked := 0
		for _, f := range rep.Fills {
			tm, err := time.Parse(time.RFC3339Nano, f.Time)
			if err != nil {
				t.Fatal(err)
			}
			p, err := strconv.ParseFloat(f.Price, 64)
			if err != nil {
				t.Fatal(err)
			}
			if chartpix.FillMarked(img, price, hourly, tm.Unix(), p, f.Side == "sell", colour[f.Side]) {
				marked++
			}
		}
		// A later marker on the same bar may cover one.
		if len(rep.Fills) == 0 || marked < len(rep.Fills)*9/10 {
			t.Errorf("%s backtest chart: %d of %d fills marked at their bar and price", m.FQME, marked, len(rep.Fills))
		}
	}
}

// checkPanesInked: every series of every pane shows in the pixels (a line
// or bars in at least a tenth of the columns, markers in some), and the
// top pane has its legend's text.
func checkPanesInked(t *testing.T, name string, img image.Image, panes []plots.PaneLayout) {
	t.Helper()
	for _, p := range panes {
		w := int(p.Right - p.Left)
		for k, s := range p.Series {
			need := w / 10
			if s == "buy" || s == "sell" || strings.HasPrefix(s, "stop ") {
				need = 1
			}
			if n := chartpix.InkedColumns(img, p, hexRGB(t, p.Colors[k])); n < need {
				t.Errorf("%s pane %d: series %s drawn in %d of %d columns", name, p.Index, s, n, w)
			}
		}
	}
	if n := chartpix.TextPixels(img, panes[0]); n < 100 {
		t.Errorf("%s: %d text pixels in the top pane: no legend", name, n)
	}
}
