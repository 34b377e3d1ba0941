package sweep

import (
	"context"
	"fmt"
	"testing"

	"workbench/paper"
)

// BenchmarkSweep runs 20 SMA-crossover backtests of 200k bars each on one
// worker (the backtests one after another: the anchor) and on every core.
func BenchmarkSweep(b *testing.B) {
	for _, workers := range []int{1, 0} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			c := testConfig(b, workers)
			c.Series = c.Series[:1]
			c.Series[0].Bars = walk(9, 200000)
			params, _ := paper.BuiltinParams("sma-cross")
			c.Grid, _ = NewGrid(params, []string{"fast=5:50:5", "slow=60,120"})
			b.ReportMetric(float64(c.Jobs()*200000), "bars/op")
			for b.Loop() {
				if err := Run(context.Background(), c, nil, func(Row) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
