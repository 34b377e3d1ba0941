package examples_test

import (
	"bytes"
	"context"
	"math"
	"math/rand"
	"os"
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

// storedHours is the first market's hourly bars as testStore wrote them to
// storeDir.
func storedHours(t *testing.T, storeDir string) *frames.OHLCV {
	t.Helper()
	st, err := frames.OpenStore(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	bars, err := st.Read(markets[0], 3600)
	if err != nil {
		t.Fatal(err)
	}
	return bars
}

// runNotebook runs the notebook at path as the kernel does, and fails
// unless every code cell ran without an error.
func runNotebook(t *testing.T, path string, opt scripts.NotebookOptions) *scripts.Notebook {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nb := scripts.ParseNotebook(path, src)
	if err := nb.Run(context.Background(), opt); err != nil {
		t.Fatal(err)
	}
	for _, c := range nb.Cells {
		if c.Err != nil || (!c.Markdown && !c.Ran) {
			t.Errorf("cell %q at line %d: ran %v, %v", c.Title, c.Line, c.Ran, c.Err)
		}
	}
	return nb
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

// The RSI strategy script, loaded as `workbench backtest` loads it, makes
// exactly the trades its rules call for on the batch RSI (fsp.RSI, checked
// against TA-Lib in fsp): on the test store's series and on a day of real
// BTC minutes and a month of hours from the oracle, which between them take
// both exits, the stop and the recovery.
func TestRSIStrategyExample(t *testing.T) {
	bars := storedHours(t, testStore(t))
	_, hours := oracleStore(t, "binance_BTCUSDT_1h_2024-08", markets[0], 3600)
	_, minutes := oracleStore(t, "binance_BTCUSDT_1m_2024-09-21", markets[0], 60)
	var stops, recoveries int
	for _, b := range []*frames.OHLCV{bars, hours, minutes} {
		s, r := checkRSIStrategy(t, b)
		stops, recoveries = stops+s, recoveries+r
	}
	if stops == 0 || recoveries == 0 {
		t.Errorf("%d stop exits and %d recovery exits: the series do not exercise both rules", stops, recoveries)
	}
}

// checkRSIStrategy backtests the script over bars and compares its fills
// with a replay of its rules; it returns how many trades left at the stop
// and how many on RSI's recovery.
func checkRSIStrategy(t *testing.T, bars *frames.OHLCV) (stops, recoveries int) {
	t.Helper()
	strat, err := scripts.LoadStrategy(context.Background(), "strategy/rsi_revert.go", scripts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := mkt.ParseFQME(markets[0])
	if err != nil {
		t.Fatal(err)
	}
	// As `workbench backtest FILE --fqme F` runs it: no price tick (the
	// fqme has none), so the script's stop prices stand as computed.
	pair.SizeTick = decimal.New(1, -6)
	res, err := paper.Backtest(paper.BacktestConfig{Series: []paper.Series{{Market: pair, Bars: bars}}}, strat)
	if err != nil {
		t.Fatal(err)
	}
	// The trades the rules call for, replayed over the batch RSI: after a
	// cross under 30 at bar i (while flat) a buy of a fifth of the equity at
	// bar i+1's open with a stop 3% under bar i's close; the position goes
	// at the stop, on the first bar whose low reaches it, or else at the open
	// after the first bar whose RSI is above 55.
	rsi := fsp.RSI(bars.Close, 14)
	type trip struct {
		buyBar, sellBar int
		stop            float64 // the stop price, or 0 for a recovery exit
	}
	var want []trip
	for i := 1; i+1 < bars.Len(); i++ {
		if !(rsi[i-1] >= 30 && rsi[i] < 30) {
			continue
		}
		tr := trip{buyBar: i + 1, sellBar: -1}
		stop := bars.Close[i] * 0.97
		for k := i + 1; k < bars.Len(); k++ {
			if bars.Low[k] <= stop {
				tr.sellBar, tr.stop = k, stop
				break
			}
			if rsi[k] > 55 {
				tr.sellBar = k + 1
				break
			}
		}
		want = append(want, tr)
		if tr.sellBar < 0 || tr.sellBar >= bars.Len() {
			break // still long at the end
		}
		i = tr.sellBar - 1 // flat again from the exit bar on
	}
	if len(want) < 2 {
		t.Fatalf("only %d RSI entries in the test series", len(want))
	}
	fills := res.Fills
	equity := 100000.0 // no fees: equity moves only with the closes while long
	for n, tr := range want {
		if len(fills) == 0 {
			t.Fatalf("trade %d: no buy at bar %d", n, tr.buyBar)
		}
		buy := fills[0]
		fills = fills[1:]
		size := buy.Size.InexactFloat64()
		signal := tr.buyBar - 1
		if buy.Side != paper.Buy || buy.Time != bars.Time[tr.buyBar]*1e9 || !buy.Price.Equal(decimal.NewFromFloat(bars.Open[tr.buyBar])) {
			t.Fatalf("trade %d: %v, want a buy at bar %d's open %v", n, buy, tr.buyBar, bars.Open[tr.buyBar])
		}
		if units := 0.2 * equity / bars.Close[signal]; math.Abs(size-units) > 1e-6 {
			t.Errorf("trade %d buys %v, want a fifth of equity %v at close %v = %v", n, size, equity, bars.Close[signal], units)
		}
		if tr.sellBar < 0 || tr.sellBar >= bars.Len() {
			if len(fills) != 0 {
				t.Errorf("still long at the end, yet fills follow: %v", fills)
			}
			break
		}
		if len(fills) == 0 {
			t.Fatalf("trade %d: no sell at bar %d", n, tr.sellBar)
		}
		sell := fills[0]
		fills = fills[1:]
		// A market exit trades at the bar's open; a stop somewhere inside it.
		open, end := bars.Time[tr.sellBar]*1e9, (bars.Time[tr.sellBar]+bars.Period)*1e9
		inBar := sell.Time == open || (tr.stop != 0 && open < sell.Time && sell.Time < end)
		if sell.Side != paper.Sell || !sell.Size.Equal(buy.Size) || !inBar {
			t.Fatalf("trade %d: %v, want the whole %s sold in bar %d", n, sell, buy.Size, tr.sellBar)
		}
		px := sell.Price.InexactFloat64()
		if tr.stop == 0 && !sell.Price.Equal(decimal.NewFromFloat(bars.Open[tr.sellBar])) {
			t.Errorf("trade %d: recovery exit at %v, want bar %d's open %v", n, px, tr.sellBar, bars.Open[tr.sellBar])
		}
		// A stop fills at its price, or at the open when the bar gaps under it.
		if tr.stop != 0 && math.Abs(px-math.Min(tr.stop, bars.Open[tr.sellBar])) > 1e-9*px {
			t.Errorf("trade %d: stop exit at %v, want the stop %v or a lower open %v", n, px, tr.stop, bars.Open[tr.sellBar])
		}
		equity += size * (px - buy.Price.InexactFloat64())
		if tr.stop != 0 {
			stops++
		} else {
			recoveries++
		}
	}
	if len(fills) != 0 {
		t.Errorf("%d fills beyond the trades the rules call for: %v", len(fills), fills)
	}
	return stops, recoveries
}
