//go:build ignore

// A chart gallery as a notebook: run it with
//
//	workbench notebook examples/notebook/gallery.go --store STORE -o gallery.html
//
// Each cell draws one kind of chart the workbench makes, from the first
// market in the store (every market for the overlays), drawn as TradingView
// draws it: bars side by side (closed hours take no room), a price axis on
// the right with the last value tagged, indicators on the price or in
// panes of their own. Open TradingView on the same market and compare.
// Beside each image the cell writes its layout, NAME.json: where each pane
// landed, its series and its y range, so a program can check the picture.

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/fsp"
	"workbench/mkt"
	"workbench/paper"
	"workbench/plots"
	"workbench/session"
)

// %% [markdown]
// # Chart gallery
// Candles with volume, indicators where they belong, a log scale, markets
// overlaid two ways, and a backtest's fills with its equity and drawdown.

// %% Helpers

// save writes a chart as NAME.png and its layout as NAME.json, and prints
// what each pane shows on which range.
func save(c *plots.Chart, name string) {
	panes, err := c.SaveLayout(session.Path(name + ".png"))
	if err != nil {
		panic(err)
	}
	b, err := json.MarshalIndent(panes, "", "  ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(session.Path(name+".json"), b, 0o644); err != nil {
		panic(err)
	}
	for _, p := range panes {
		fmt.Printf("%s pane %d (%s): %s on %.6g..%.6g\n", name, p.Index, p.Scale, strings.Join(p.Series, ", "), p.YMin, p.YMax)
	}
}

// barOf is the bar a time in nanoseconds falls in: its open in seconds.
func barOf(bars *frames.OHLCV, ns int64) int64 {
	sec := ns / 1e9
	i := sort.Search(bars.Len(), func(i int) bool { return bars.Time[i] > sec }) - 1
	if i < 0 {
		i = 0
	}
	return bars.Time[i]
}

func main() {
	// %% The first market
	store, err := frames.OpenStore(session.StoreDir())
	if err != nil {
		panic(err)
	}
	stored, err := store.List()
	if err != nil {
		panic(err)
	}
	var first frames.SeriesInfo = stored[0] // typed: yaegi mistypes "first := stored[0]" at the top level
	bars, err := store.Read(first.FQME, first.Period)
	if err != nil {
		panic(err)
	}
	var loc = frames.CalendarForFQME(first.FQME) // nil for crypto: the labels are in UTC
	fmt.Printf("%s: %d bars of %s\n", first.FQME, bars.Len(), frames.FormatPeriod(first.Period))

	// %% Candles and volume
	candles := plots.NewChart(first.FQME + " " + frames.FormatPeriod(first.Period))
	candles.Index = true
	if loc != nil {
		candles.Location = loc.Location()
	}
	candles.AddPane("price", 3).Candles(first.FQME, bars)
	candles.AddPane("volume", 1).Volume("volume", bars)
	save(candles, "candles")

	// %% Indicators: averages and bands on the price, oscillators below
	upper, middle, lower := fsp.BBANDS(bars.Close, 20, 2, 2)
	macd, signal, hist := fsp.MACD(bars.Close, 12, 26, 9)
	ind := plots.NewChart(first.FQME + " with sma(20), bbands(20,2), rsi(14), macd(12,26,9)")
	ind.Index = true
	price := ind.AddPane("price", 3)
	price.Candles(first.FQME, bars)
	price.Line("sma(20)", bars.Time, fsp.SMA(bars.Close, 20))
	price.Line("bb upper", bars.Time, upper)
	price.Line("bb middle", bars.Time, middle)
	price.Line("bb lower", bars.Time, lower)
	osc := ind.AddPane("rsi(14)", 1)
	osc.Bounds = [2]float64{0, 100}
	osc.Line("rsi(14)", bars.Time, fsp.RSI(bars.Close, 14))
	osc.AddLevel(70, "70")
	osc.AddLevel(30, "30")
	mp := ind.AddPane("macd(12,26,9)", 1)
	mp.Histogram("hist", bars.Time, hist)
	mp.Line("macd", bars.Time, macd)
	mp.Line("signal", bars.Time, signal)
	save(ind, "indicators")

	// %% Log scale: equal percentage moves, equal heights
	logc := plots.NewChart(first.FQME + ", log scale")
	logc.Index = true
	lp := logc.AddPane("price", 1)
	lp.Log = true
	lp.Candles(first.FQME, bars)
	save(logc, "log")

	// %% Every market, pinned to the most dispersed one
	pinned := plots.NewChart("markets pinned to the major: its price left, its log return right")
	pinned.Index = true
	pp := pinned.AddPane("", 1)
	pp.Overlay = plots.OverlayPin
	pct := plots.NewChart("markets as log returns from their first bar, %")
	pct.Index = true
	cp := pct.AddPane("", 1)
	cp.Overlay, cp.Percent = plots.OverlayFirst, true
	for _, s := range stored {
		f, err := store.Read(s.FQME, s.Period)
		if err != nil {
			panic(err)
		}
		pp.Candles(s.FQME, f)
		cp.Candles(s.FQME, f)
	}
	save(pinned, "overlay")

	// %% The same markets in percent
	save(pct, "percent")

	// %% A backtest: fills on the candles, equity and drawdown below
	pair, err := mkt.ParseFQME(first.FQME)
	if err != nil {
		panic(err)
	}
	pair.PriceTick, pair.SizeTick = decimal.New(1, -2), decimal.New(1, -3)
	res, err := paper.Backtest(paper.BacktestConfig{
		Series: []paper.Series{{Market: pair, Bars: bars}},
		Fees:   paper.BpsFees(0, 10),
	}, &paper.SMACross{Fast: 10, Slow: 30, Fraction: 0.5})
	if err != nil {
		panic(err)
	}
	bt := plots.NewChart("sma(10/30) crossover on " + first.FQME)
	bt.Index = true
	bp := bt.AddPane("price", 3)
	bp.Candles(first.FQME, bars)
	var buyT, sellT []int64
	var buyP, sellP []float64
	for _, f := range res.Fills {
		if f.Side == paper.Buy {
			buyT, buyP = append(buyT, barOf(bars, f.Time)), append(buyP, f.Price.InexactFloat64())
		} else {
			sellT, sellP = append(sellT, barOf(bars, f.Time)), append(sellP, f.Price.InexactFloat64())
		}
	}
	bp.Markers("buy", buyT, buyP, plots.ShapeUp)
	bp.Markers("sell", sellT, sellP, plots.ShapeDown)
	n := res.Equity.Len()
	eqT, eq, dd := make([]int64, n), make([]float64, n), make([]float64, n)
	peak := 0.0
	for i := 0; i < n; i++ {
		// Each sample is the equity at a bar's close: drawn on that bar.
		eqT[i], eq[i] = res.Equity.Time(i)/1e9-bars.Period, res.Equity.Value[i]
		if eq[i] > peak {
			peak = eq[i]
		}
		dd[i] = 100 * (eq[i]/peak - 1)
	}
	bt.AddPane("equity", 1).Line("equity", eqT, eq)
	bt.AddPane("drawdown %", 1).Histogram("drawdown %", eqT, dd)
	save(bt, "backtest")
	fmt.Printf("%d fills: %d buys, %d sells\n", len(res.Fills), len(buyT), len(sellT))
}
