package scripts

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/internal/cputime"
	"workbench/mkt"
	"workbench/paper"
)

// BenchmarkStrategyScript is a per-bar (OnBar) script strategy, the SMA
// crossover of ../paper/testdata/sma_cross.go, loaded as the CLI and the
// sweep load it and backtested on a million one-minute bars; bars/s is
// the figure issue 15 asks to reach 1 M per core. bars/cpu-s divides by
// the CPU time the process used instead of the wall time, which on a
// shared machine says what the backtest costs.
func BenchmarkStrategyScript(b *testing.B) {
	const n = 1_000_000
	pair, err := mkt.ParseFQME("btcusdt.spot.binance")
	if err != nil {
		b.Fatal(err)
	}
	pair.PriceTick, pair.SizeTick = decimal.RequireFromString("0.01"), decimal.RequireFromString("0.001")
	cfg := paper.BacktestConfig{Series: []paper.Series{{Market: pair, Bars: walkBars(n)}}, Fees: paper.BpsFees(0, 10), Calendar: "crypto"}
	ctx := context.Background()
	// full is the Result the backtest command writes out; stats-only what
	// a sweep's job keeps (BacktestConfig.StatsOnly).
	for _, statsOnly := range []bool{false, true} {
		name := "full"
		if statsOnly {
			name = "stats-only"
		}
		cfg.StatsOnly = statsOnly
		b.Run(name, func(b *testing.B) {
			var wall, cpu time.Duration
			for k := 0; k < b.N; k++ {
				b.StopTimer()
				s, err := LoadStrategy(ctx, "../paper/testdata/sma_cross.go", Options{Stdout: io.Discard, Stderr: io.Discard})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start, cpu0 := time.Now(), cputime.Process()
				if _, err := paper.Backtest(cfg, s); err != nil {
					b.Fatal(err)
				}
				wall, cpu = wall+time.Since(start), cpu+cputime.Process()-cpu0
			}
			b.ReportMetric(float64(n)*float64(b.N)/wall.Seconds(), "bars/s")
			if cpu > 0 {
				b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds(), "bars/cpu-s")
			}
		})
	}
}
