package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"workbench/frames"
	"workbench/fsp"
	"workbench/internal/atomicfile"
)

func init() {
	registerDemoStep(demoStep{order: 30, name: "indicator study", run: demoFSP})
}

// demoIndicators is the study the demo runs on every market.
const demoIndicators = "rsi(14), macd(12,26,9), bbands(20,2), atr(14), natr(14), adx(14), stoch(14,3,3), " +
	"obv, day_vwap=vwap(86400), cumlogret"

// demoFSP computes demoIndicators over each demo market from the store,
// prints the newest values and writes Dir/indicators/<fqme>.csv.
func demoFSP(ctx context.Context, d *demoRun) error {
	if len(d.Markets) == 0 {
		fmt.Fprintln(d.out, "no markets to study")
		return nil
	}
	specs, err := fsp.Parse(demoIndicators)
	if err != nil {
		return err
	}
	store, err := frames.OpenStore(d.StoreDir)
	if err != nil {
		return err
	}
	dir := filepath.Join(d.Dir, "indicators")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%s\nnewest values:\n", demoIndicators)
	fmt.Fprintf(d.out, "%-28s %6s %10s %6s %9s %6s %7s %6s %6s %10s %10s\n",
		"market", "bars", "close", "RSI14", "MACD hist", "%B", "ATR%", "ADX14", "%K", "day VWAP", "cum ln ret")
	for _, m := range d.Markets {
		if err := ctx.Err(); err != nil {
			return err
		}
		bars, err := store.Read(m.FQME, m.Period)
		if err != nil {
			return fmt.Errorf("%s: %w", m.FQME, err)
		}
		cas, err := fsp.AttachSpecs(bars, specs)
		if err != nil {
			return fmt.Errorf("%s: %w", m.FQME, err)
		}
		tab := fspTable{time: cas.Time(), names: cas.Columns()}
		for _, name := range tab.names {
			tab.cols = append(tab.cols, cas.Column(name))
		}
		path := filepath.Join(dir, strings.ReplaceAll(m.FQME, string(filepath.Separator), "_")+".csv")
		if err := atomicfile.Write(path, 0o644, tab.writeCSV); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		last := cas.Last
		close := math.NaN()
		if n := bars.Len(); n > 0 {
			close = bars.Close[n-1]
		}
		// %B: where the close sits in the Bollinger band (0 lower, 1 upper).
		up, lo := last("bb_upper_20_2_2"), last("bb_lower_20_2_2")
		pctB := (close - lo) / (up - lo)
		fmt.Fprintf(d.out, "%-28s %6d %10.2f %6.1f %9.3g %6.2f %7.2f %6.1f %6.1f %10.2f %10.4f\n",
			m.FQME, bars.Len(), close, last("rsi_14"), last("macd_hist_12_26_9"), pctB, last("natr_14"),
			last("adx_14"), last("stoch_k_14_3_3"), last("day_vwap"), last("cumlogret"))
	}
	fmt.Fprintf(d.out, "indicator columns in %s\n", dir)
	return nil
}
