package examples_test

import (
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/internal/chartpix"
	"workbench/mkt"
	"workbench/paper"
	"workbench/plots"
	"workbench/scripts"
)

// The chart gallery notebook over the test store, looked at as pixels
// with each chart's layout: the candle charts have a candle of each stored
// bar's colour between its high and low and as many bar slots as the
// store has bars; every series of every pane is inked; the RSI pane spans
// 0-100; the log chart is on a log scale; the overlays have both axes; the
// backtest chart marks every fill of the same backtest run here at its bar
// and price.
func TestNotebookChartGallery(t *testing.T) {
	storeDir, dir := testStore(t), t.TempDir()
	runNotebook(t, "notebook/gallery.go", scripts.NotebookOptions{ImageDir: dir, StoreDir: storeDir})
	bars := storedHours(t, storeDir)
	load := func(name string) (image.Image, []plots.PaneLayout) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var panes []plots.PaneLayout
		if err := json.Unmarshal(raw, &panes); err != nil || len(panes) == 0 {
			t.Fatalf("%s.json: %v", name, err)
		}
		f, err := os.Open(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("%s.png: %v", name, err)
		}
		for _, p := range panes {
			w := int(p.Right - p.Left)
			for k, s := range p.Series {
				c, err := chartpix.Hex(p.Colors[k])
				if err != nil {
					t.Fatal(err)
				}
				need := w / 10
				if s == "buy" || s == "sell" || s == "drawdown %" {
					need = 1
				}
				if n := chartpix.InkedColumns(img, p, c); n < need {
					t.Errorf("%s pane %d: %s drawn in %d of %d columns", name, p.Index, s, n, w)
				}
			}
		}
		if chartpix.TextPixels(img, panes[0]) < 100 {
			t.Errorf("%s: no legend text in the top pane", name)
		}
		return img, panes
	}
	for _, name := range []string{"candles", "indicators", "log", "backtest"} {
		img, panes := load(name)
		price := panes[0]
		if price.Series[0] != markets[0] || !price.XIndex || price.XMax-price.XMin != float64(bars.Len()) {
			t.Fatalf("%s: price pane %+v, want the %d stored bars of %s side by side", name, price, bars.Len(), markets[0])
		}
		up, err := chartpix.Hex(price.Colors[0])
		if err != nil {
			t.Fatal(err)
		}
		if n := chartpix.Candles(img, price, bars, up); n < bars.Len()*98/100 {
			t.Errorf("%s: %d of %d bars have a candle of their colour between their high and low", name, n, bars.Len())
		}
	}
	_, ind := load("indicators")
	if len(ind) != 3 || ind[1].YMin != 0 || ind[1].YMax != 100 || ind[1].Series[0] != "rsi(14)" {
		t.Errorf("indicator panes %+v: want rsi(14) on 0..100 below the price", ind)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range bars.Len() {
		lo, hi = math.Min(lo, bars.Low[i]), math.Max(hi, bars.High[i])
	}
	if _, lg := load("log"); lg[0].Scale != "log" || !(lg[0].YMin < lo && lo/lg[0].YMin < 1.1 && lg[0].YMax > hi && lg[0].YMax/hi < 1.1) {
		t.Errorf("log pane %+v: want a log scale just around %v..%v", lg[0], lo, hi)
	}
	for _, name := range []string{"overlay", "percent"} {
		_, ov := load(name)
		if strings.Join(ov[0].Series, ",") != strings.Join(markets, ",") || len(ov[0].LeftTicks) < 4 || len(ov[0].RightTicks) < 4 {
			t.Errorf("%s pane %+v: want both markets, a price axis left and a percent axis right", name, ov[0])
		}
	}

	// The notebook's backtest, run here: its fills are marked.
	pair, err := mkt.ParseFQME(markets[0])
	if err != nil {
		t.Fatal(err)
	}
	pair.PriceTick, pair.SizeTick = decimal.New(1, -2), decimal.New(1, -3)
	res, err := paper.Backtest(paper.BacktestConfig{Series: []paper.Series{{Market: pair, Bars: bars}}, Fees: paper.BpsFees(0, 10)},
		&paper.SMACross{Fast: 10, Slow: 30, Fraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	img, bt := load("backtest")
	colour := map[string][3]float64{}
	for k, s := range bt[0].Series {
		colour[s], _ = chartpix.Hex(bt[0].Colors[k])
	}
	marked := 0
	for _, f := range res.Fills {
		side := "buy"
		if f.Side != paper.Buy {
			side = "sell"
		}
		if chartpix.FillMarked(img, bt[0], bars, f.Time/1e9, f.Price.InexactFloat64(), side == "sell", colour[side]) {
			marked++
		}
	}
	if len(res.Fills) < 4 || marked < len(res.Fills)*9/10 {
		t.Errorf("backtest chart: %d of %d fills marked at their bar and price", marked, len(res.Fills))
	}
	if len(bt) != 3 || bt[1].Series[0] != "equity" || bt[2].Series[0] != "drawdown %" {
		t.Errorf("backtest panes %+v: want price, equity, drawdown", bt)
	}
}
