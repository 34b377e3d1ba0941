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
// one) and the first market as candles with averages, volume and the close's
// distance from its average.
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
	if err := over.Save(overPath); err != nil {
		return err
	}
	if err := writeRanges(rangesPath, over); err != nil {
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
	// Averages come from the whole series so the first candles shown have them.
	sma := fsp.SMA(full.Close, 20)[full.Len()-f.Len():]
	ema := fsp.EMA(full.Close, 50)[full.Len()-f.Len():]
	dist := make([]float64, f.Len())
	for i := range dist {
		dist[i] = f.Close[i] - sma[i]
	}
	c := plots.NewChart(names[0] + " " + frames.FormatPeriod(d.Markets[0].Period) + ", last bars")
	c.Index = true
	price := c.AddPane("price", 3)
	price.Tick = guessTick(f.Close)
	price.Candles(names[0], f)
	price.Line("sma(20)", f.Time, sma)
	price.Line("ema(50)", f.Time, ema)
	price.AddLevel(f.Close[f.Len()-1], "last")
	c.AddPane("volume", 1).Volume("volume", f)
	c.AddPane("close - sma(20)", 1).Histogram("close - sma(20)", f.Time, dist)
	candlePath := filepath.Join(d.Dir, "chart_candles.png")
	if err := c.Save(candlePath); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "candles of %s with sma(20), ema(50), volume and close - sma(20) -> %s\n", names[0], candlePath)
	return nil
}
