package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/mkt"
	"workbench/paper"
)

func init() {
	registerDemoStep(demoStep{order: 40, name: "backtest", run: demoBacktest})
}

// demoBacktestPeriod is the bar period the demo backtests on.
const demoBacktestPeriod = 3600

// demoBacktest runs the SMA(10)/SMA(30) crossover on each demo market from
// the store, resampled to hourly bars, with taker fees and a tick of
// slippage, and writes each report and chart under Dir/backtest/<fqme>/.
func demoBacktest(ctx context.Context, d *demoRun) error {
	if len(d.Markets) == 0 {
		fmt.Fprintln(d.out, "no markets to backtest")
		return nil
	}
	store, err := frames.OpenStore(d.StoreDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "SMA(10)/SMA(30) crossover on %s bars, long or flat, 95%% of equity, 10 bps taker fee, 1 tick slippage\n",
		frames.FormatPeriod(demoBacktestPeriod))
	fmt.Fprintf(d.out, "%-28s %6s %9s %8s %8s %9s %7s %8s\n", "market", "trades", "return", "Sharpe", "max DD", "win rate", "fills", "fees")
	for _, m := range d.Markets {
		if err := ctx.Err(); err != nil {
			return err
		}
		bars, err := store.Read(m.FQME, m.Period)
		if err != nil {
			return err
		}
		// On one-minute bars a 10/30 crossover mostly pays fees; it is
		// meant for hours.
		if bars.Period < demoBacktestPeriod {
			if bars, err = bars.Resample(demoBacktestPeriod); err != nil {
				return fmt.Errorf("%s: %w", m.FQME, err)
			}
		}
		pair, err := mkt.ParseFQME(m.FQME)
		if err != nil {
			return fmt.Errorf("%s: %w", m.FQME, err)
		}
		syntheticTicks(&pair)
		cfg := paper.BacktestConfig{
			Series:   []paper.Series{{Market: pair, Bars: bars}},
			Cash:     decimal.NewFromInt(100000),
			Fees:     paper.BpsFees(0, 10),
			Slippage: paper.Slippage{Ticks: 1},
			Seed:     1,
			Calendar: m.Calendar,
		}
		res, err := paper.BacktestContext(ctx, cfg, paper.NewSMACross(10, 30))
		if err != nil {
			return fmt.Errorf("%s: %w", m.FQME, err)
		}
		dir := filepath.Join(d.Dir, "backtest", strings.ReplaceAll(m.FQME, string(filepath.Separator), "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := res.WriteFiles(dir); err != nil {
			return err
		}
		if err := writeBacktestCharts(dir, "png", res); err != nil {
			return err
		}
		s := res.Stats
		fmt.Fprintf(d.out, "%-28s %6d %9s %8s %8s %9s %7d %8s\n", m.FQME, s.Trades, percent(s.TotalReturn),
			s.Sharpe, percent(s.MaxDrawdown), percent(s.WinRate), s.Fills, s.Fees.StringFixed(2))
	}
	fmt.Fprintf(d.out, "reports and charts in %s\n", filepath.Join(d.Dir, "backtest"))
	return nil
}

// percent formats a fraction as a percentage, "n/a" when undefined.
func percent(n paper.Num) string {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f%%", f*100)
}
