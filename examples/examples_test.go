package examples_test

import (
	"bytes"
	"context"
	"math"
	"math/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/fsp"
	"workbench/mkt"
	"workbench/paper"
	"workbench/scripts"
)

var markets = []string{"btcusdt.spot.binance", "ethusdt.spot.binance"}

// testStore writes two synthetic hourly markets, one with a missing bar.
func testStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	for k, fq := range markets {
		r := rand.New(rand.NewSource(int64(k + 1)))
		f := frames.New(3600, 600)
		p := 100.0 * float64(k+1)
		for i := 0; i < 600; i++ {
			if i == 300 {
				continue // a hole for the gap report
			}
			o := p
			p *= math.Exp(r.NormFloat64() * 0.01)
			f.Add(1700000000+int64(i)*3600, o, math.Max(o, p)*1.002, math.Min(o, p)*0.998, math.Round(p*100)/100, float64(1+r.Intn(100)))
		}
		if err := st.Write(fq, f); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runExample runs a saved script as `workbench run` does and returns its
// standard output.
func runExample(t *testing.T, path string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	in, err := scripts.New(scripts.Options{Stdout: &out, Stderr: &errb, Args: append([]string{path}, args...)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := in.RunFile(ctx, path); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", path, err, out.String(), errb.String())
	}
	return out.String()
}

// The RSI strategy script, loaded as `workbench backtest` loads it, buys
// exactly at the open after each bar where the batch RSI (fsp.RSI, checked
// against TA-Lib elsewhere) crosses under 30 while flat, and every position
// it opens it closes again or still holds at the end.
func TestRSIStrategyExample(t *testing.T) {
	st, err := frames.OpenStore(testStore(t))
	if err != nil {
		t.Fatal(err)
	}
	bars, err := st.Read(markets[0], 3600)
	if err != nil {
		t.Fatal(err)
	}
	strat, err := scripts.LoadStrategy(context.Background(), "strategy/rsi_revert.go", scripts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := mkt.ParseFQME(markets[0])
	if err != nil {
		t.Fatal(err)
	}
	pair.PriceTick, pair.SizeTick = decimal.New(1, -2), decimal.New(1, -6)
	res, err := paper.Backtest(paper.BacktestConfig{Series: []paper.Series{{Market: pair, Bars: bars}}}, strat)
	if err != nil {
		t.Fatal(err)
	}
	rsi := fsp.RSI(bars.Close, 14)
	opens := map[int64]bool{} // epoch ns of the bar after each cross under 30
	for i := 1; i+1 < bars.Len(); i++ {
		if rsi[i-1] >= 30 && rsi[i] < 30 {
			opens[bars.Time[i+1]*1e9] = true
		}
	}
	pos := decimal.Zero
	buys := 0
	for _, f := range res.Fills {
		if f.Side == paper.Buy {
			buys++
			if !pos.IsZero() || !opens[f.Time] {
				t.Errorf("buy at %d: position %s before it, RSI cross the bar before: %v", f.Time, pos, opens[f.Time])
			}
		}
		pos = pos.Add(f.SignedSize())
		if pos.IsNegative() {
			t.Fatalf("short %s after the fill at %d", pos, f.Time)
		}
	}
	if buys == 0 || len(opens) == 0 {
		t.Fatalf("%d buys for %d RSI crosses", buys, len(opens))
	}
}
