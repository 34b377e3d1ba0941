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

// demoChartIndicators are the studies of the demo's candle chart.
const demoChartIndicators = "sma(20),bbands(20,2),rsi(14),macd(12,26,9)"

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

	// The indicators are computed over the whole series and the view is
	// cut to the last bars, so the first candles shown have them; the
	// chart is what `workbench chart --ind` draws.
	specs, err := fsp.Parse(demoChartIndicators)
	if err != nil {
		return err
	}
	title := names[0] + " " + frames.FormatPeriod(d.Markets[0].Period) + ", last bars"
	c := marketChart(names[:1], bars[:1], chartOptions{title: title, ind: specs})
	if n := bars[0].Len(); n > demoCandleBars {
		c.From = bars[0].Time[n-demoCandleBars]
	}
	candlePath := filepath.Join(d.Dir, "chart_candles.png")
	panes, err = c.SaveLayout(candlePath)
	if err != nil {
		return err
	}
	rangesPath = filepath.Join(d.Dir, "chart_candles_ranges.json")
	if err := writeRanges(rangesPath, c, panes); err != nil {
		return fmt.Errorf("chart ranges %s: %w", rangesPath, err)
	}
	fmt.Fprintf(d.out, "candles of %s with %s and volume -> %s\n", names[0], demoChartIndicators, candlePath)
	return nil
}
