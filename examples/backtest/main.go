// Backtest runs the SMA crossover of the paper package over a stored series
// and writes its report (text, JSON, equity curve) to a folder.
//
//	workbench run examples/backtest/main.go -- STORE FQME PERIOD OUTDIR
package main

import (
	"fmt"
	"os"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/mkt"
	"workbench/paper"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: backtest STORE FQME PERIOD OUTDIR")
		os.Exit(2)
	}
	if err := backtest(os.Args[1], os.Args[2], os.Args[3], os.Args[4]); err != nil {
		fmt.Fprintln(os.Stderr, "backtest:", err)
		os.Exit(1)
	}
}

func backtest(dir, fqme, periodText, out string) error {
	period, err := frames.ParsePeriod(periodText)
	if err != nil {
		return err
	}
	st, err := frames.OpenStore(dir)
	if err != nil {
		return err
	}
	bars, err := st.Read(fqme, period)
	if err != nil {
		return err
	}
	pair, err := mkt.ParseFQME(fqme)
	if err != nil {
		return err
	}
	pair.PriceTick, pair.SizeTick = decimal.New(1, -2), decimal.New(1, -3)
	cfg := paper.BacktestConfig{
		Series: []paper.Series{{Market: pair, Bars: bars}},
		Fees:   paper.BpsFees(0, 10),
	}
	res, err := paper.Backtest(cfg, &paper.SMACross{Fast: 10, Slow: 30, Fraction: 0.5})
	if err != nil {
		return err
	}
	if err := res.WriteText(os.Stdout); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := res.WriteFiles(out); err != nil {
		return err
	}
	fmt.Printf("report in %s\n", out)
	return nil
}
