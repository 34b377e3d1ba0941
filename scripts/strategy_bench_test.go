package scripts

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/mkt"
	"workbench/paper"
)

// BenchmarkStrategyScript is a per-bar (OnBar) script strategy, the SMA
// crossover of testdata/strategy/sma_cross.go, loaded as the CLI and the
// sweep load it and backtested on a million one-minute bars; bars/s is
// the figure issue 15 asks to reach 1 M per core.
func BenchmarkStrategyScript(b *testing.B) {
	const n = 1_000_000
	pair, err := mkt.ParseFQME("btcusdt.spot.binance")
	if err != nil {
		b.Fatal(err)
	}
	pair.PriceTick, pair.SizeTick = decimal.RequireFromString("0.01"), decimal.RequireFromString("0.001")
	cfg := paper.BacktestConfig{Series: []paper.Series{{Market: pair, Bars: walkBars(n)}}, Fees: paper.BpsFees(0, 10), Calendar: "crypto"}
	ctx := context.Background()
	var spent time.Duration
	for k := 0; k < b.N; k++ {
		b.StopTimer()
		s, err := LoadStrategy(ctx, "testdata/strategy/sma_cross.go", Options{Stdout: io.Discard, Stderr: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := paper.Backtest(cfg, s); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
	}
	b.ReportMetric(float64(n)*float64(b.N)/spent.Seconds(), "bars/s")
}
