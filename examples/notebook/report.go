//go:build ignore

// A market study as a notebook: run it with
//
//	workbench notebook examples/notebook/report.go -o report.html [-- FQME=CALENDAR ...]
//
// It reads every series in the store (--store), reports gaps against each
// market's calendar (crypto unless given as FQME=CALENDAR), studies
// indicators, overlays the markets and backtests an SMA crossover. The
// cells are main's statements; the build line keeps the go tool from
// compiling it (workbench/session exists only in the interpreter).

package main

import (
	"fmt"
	"math"
	"os"
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
// # Market study
// Every series in the store: its **gaps**, a few **indicators**, the markets
// overlaid on one axis, and an `SMA(10/30)` crossover backtest.

// %% Helpers
// The per-market work, as functions the cells below call.

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	return m
}

// calendarsFromArgs reads FQME=CALENDAR arguments.
func calendarsFromArgs(args []string) map[string]string {
	out := map[string]string{}
	for _, a := range args {
		fq, cal, found := strings.Cut(a, "=")
		if found {
			out[fq] = cal
		}
	}
	return out
}

// gapReport prints a series' gaps against its calendar (crypto by default).
func gapReport(store *frames.Store, s frames.SeriesInfo, calendar string) error {
	f, err := store.Read(s.FQME, s.Period)
	if err != nil {
		return err
	}
	if calendar == "" {
		calendar = "crypto"
	}
	cal, err := frames.CalendarByName(calendar)
	if err != nil {
		return err
	}
	r := frames.FindGaps(f, cal)
	fmt.Printf("== %s (%s calendar)\n", s.FQME, calendar)
	r.WriteTable(os.Stdout, false)
	return nil
}

// overlay draws every series' closes on one axis.
func overlay(store *frames.Store, stored []frames.SeriesInfo, path string) error {
	c := plots.NewChart("closes, scaled to the first market")
	pane := c.AddPane("price", 1)
	pane.Overlay = plots.OverlayFirst
	for _, s := range stored {
		f, err := store.Read(s.FQME, s.Period)
		if err != nil {
			return err
		}
		pane.Line(s.FQME, f.Time, f.Close)
	}
	return c.Save(path)
}

func main() {
	// %% The store
	store, err := frames.OpenStore(session.StoreDir())
	if err != nil {
		panic(err)
	}
	stored, err := store.List()
	if err != nil {
		panic(err)
	}
	calendars := calendarsFromArgs(os.Args[1:])
	for _, s := range stored {
		fmt.Printf("%-28s %4s %8d bars\n", s.FQME, frames.FormatPeriod(s.Period), s.Rows)
	}

	// %% Gaps against each market's calendar
	for _, s := range stored {
		if err := gapReport(store, s, calendars[s.FQME]); err != nil {
			panic(err)
		}
	}

	// %% Indicators on the first market
	var first frames.SeriesInfo = stored[0] // typed: yaegi mistypes "first := stored[0]" at the top level
	bars, err := store.Read(first.FQME, first.Period)
	if err != nil {
		panic(err)
	}
	sma := fsp.SMA(bars.Close, 20)
	rsi := fsp.RSI(bars.Close, 14)
	last := bars.Len() - 1
	fmt.Printf("%s: close %.4f, sma(20) %.4f, rsi(14) %.1f\n", first.FQME, bars.Close[last], sma[last], rsi[last])
	ind := plots.NewChart(first.FQME + " with SMA(20) and RSI(14)")
	price := ind.AddPane("price", 3)
	price.Candles(first.FQME, bars)
	price.Line("sma(20)", bars.Time, sma)
	osc := ind.AddPane("rsi(14)", 1)
	osc.Line("rsi", bars.Time, rsi)
	osc.AddLevel(70, "70")
	osc.AddLevel(30, "30")
	if err := ind.Save(session.Path("indicators.png")); err != nil {
		panic(err)
	}
	bars

	// %% Every market on one axis
	if err := overlay(store, stored, session.Path("overlay.png")); err != nil {
		panic(err)
	}

	// %% SMA crossover backtest on the first market
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
	res.WriteText(os.Stdout)
	times := make([]int64, res.Equity.Len())
	for i := range times {
		times[i] = res.Equity.Time(i) / 1e9
	}
	eq := plots.NewChart("equity")
	eq.AddPane("equity", 1).Line("equity", times, res.Equity.Value)
	if err := eq.Save(session.Path("equity.png")); err != nil {
		panic(err)
	}
	fmt.Printf("final equity %s, max equity %.2f\n", res.FinalEquity().StringFixed(2), maxOf(res.Equity.Value))

	// %% [markdown]
	// The crossover is a baseline, not a strategy: compare it with your own by
	// saving a script that defines `OnBar` and running `workbench backtest`.
}
