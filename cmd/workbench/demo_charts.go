package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"workbench/frames"
	"workbench/fsp"
	"workbench/plots"
)

func init() {
	registerDemoStep(demoStep{order: 50, name: "charts", run: demoCharts})
}

// demoCandleBars is how many of the last bars the candle chart shows: enough
// for the averages to bend, few enough for candles to be candles.
const demoCandleBars = 300

// demoCharts draws the demo's markets overlaid (pinned to the most dispersed
// one) and the first market's last bars as candles with indicators.
func demoCharts(ctx context.Context, d *demoRun) error {
	if len(d.Markets) == 0 {
		fmt.Fprintln(d.out, "no markets to chart")
		return nil
	}
	store, err := frames.OpenStore(d.StoreDir)
	if err != nil {
		return err
	}
	names := make([]string, len(d.Markets))
	bars := make([]*frames.OHLCV, len(d.Markets))
	for i, m := range d.Markets {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := store.Read(m.FQME, m.Period)
		if err != nil {
			return fmt.Errorf("chart %s: %w", m.FQME, err)
		}
		names[i], bars[i] = m.FQME, f
	}

	over := marketChart(names, bars, chartOptions{overlay: plots.OverlayPin, title: "demo markets, pinned to the major curve"})
	overPath := filepath.Join(d.Dir, "chart_overlay.png")
	rangesPath := filepath.Join(d.Dir, "chart_overlay_ranges.json")
	panes, err := over.SaveLayout(overPath)
	if err != nil {
		return err
	}
	if err := writeRanges(rangesPath, over, panes); err != nil {
		return fmt.Errorf("chart ranges %s: %w", rangesPath, err)
	}
	rs, err := over.OverlayRanges()
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "overlay of %s: major %s -> %s (ranges in %s)\n",
		strings.Join(names, ", "), rs[0].Major, overPath, rangesPath)

	f := bars[0]
	full := f
	if n := f.Len(); n > demoCandleBars {
		f = f.Rows(n-demoCandleBars, n)
	}
	// Indicators come from the whole series so the first candles shown have them.
	tail := func(x []float64) []float64 { return x[full.Len()-f.Len():] }
	sma := tail(fsp.SMA(full.Close, 20))
	upper, _, lower := fsp.BBANDS(full.Close, 20, 2, 2)
	rsi := tail(fsp.RSI(full.Close, 14))
	macd, sig, hist := fsp.MACD(full.Close, 12, 26, 9)
	c := plots.NewChart(names[0] + " " + frames.FormatPeriod(d.Markets[0].Period) + ", last bars")
	c.Index = true
	price := c.AddPane("price", 3)
	price.Tick = guessTick(f.Close)
	price.Candles(names[0], f)
	price.Line("sma(20)", f.Time, sma)
	price.Line("bbands(20,2) upper", f.Time, tail(upper))
	price.Line("bbands(20,2) lower", f.Time, tail(lower))
	price.AddLevel(f.Close[f.Len()-1], "last")
	c.AddPane("volume", 1).Volume("volume", f)
	rp := c.AddPane("rsi(14)", 1)
	rp.Line("rsi(14)", f.Time, rsi)
	rp.AddLevel(70, "70")
	rp.AddLevel(30, "30")
	mp := c.AddPane("macd(12,26,9)", 1)
	mp.Histogram("hist", f.Time, tail(hist))
	mp.Line("macd", f.Time, tail(macd))
	mp.Line("signal", f.Time, tail(sig))
	candlePath := filepath.Join(d.Dir, "chart_candles.png")
	if err := c.Save(candlePath); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "candles of %s with sma(20), bollinger bands, volume, rsi(14) and macd(12,26,9) -> %s\n", names[0], candlePath)
	return nil
}
