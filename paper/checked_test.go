package paper

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"workbench/frames"
)

// Bars vouched for (CheckBars) give the Result unchecked bars give, in
// every way a backtest runs a series: a RowLoop, a BarLoop, OnBar bar by
// bar, Targets, a Driver, two markets merged, stats only, skipping.
func TestCheckedBarsChangeNothingButTheChecks(t *testing.T) {
	bars := randomWalkBars(4000)
	checked, err := CheckBars(bars)
	if err != nil {
		t.Fatal(err)
	}
	other := randomWalkBars(3000)
	otherChecked, err := CheckBars(other)
	if err != nil {
		t.Fatal(err)
	}
	strategies := map[string]func() Strategy{
		"row loop": func() Strategy { return &SMACross{Fast: 10, Slow: 30, Size: 1} },
		"bar loop": func() Strategy {
			s := loopStrategies["every-bar"]().f
			s.LoopFunc = loopOf(s.BarFunc)
			return s
		},
		"bar by bar": func() Strategy { return loopStrategies["on-fill"]().f },
		"targets": func() Strategy {
			return &Targets{Func: func(b *frames.OHLCV) []float64 {
				out := make([]float64, b.Len())
				for i := range out {
					out[i] = float64(i/50%3) - 1
				}
				return out
			}}
		},
		"driver": func() Strategy {
			return &Driver{Func: func(c *Context) {
				for b, ok := c.Next(); ok; b, ok = c.Next() {
					if b.Index%40 == 0 {
						c.Target(b.FQME, float64(b.Index%80)/40)
					}
				}
			}}
		},
	}
	for name, mk := range strategies {
		for _, markets := range []int{1, 2} {
			for _, variant := range []string{"plain", "stats only", "skipping"} {
				what := fmt.Sprintf("%s, %d markets, %s", name, markets, variant)
				cfg := BacktestConfig{Fees: BpsFees(2, 10), Calendar: "crypto", StatsOnly: variant == "stats only", SkipInvalid: variant == "skipping"}
				cfg.Series = []Series{{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: bars}}
				if markets == 2 {
					cfg.Series = append(cfg.Series, Series{Market: testPair(t, "ethusdt.spot.binance", "0.01", "0.001"), Bars: other})
				}
				want, err := Backtest(cfg, mk())
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				cfg.Series[0].Checked = checked
				if markets == 2 {
					cfg.Series[1].Checked = otherChecked
				}
				got, err := Backtest(cfg, mk())
				if err != nil {
					t.Fatalf("%s, checked: %v", what, err)
				}
				if want.Stats.Fills < 20 {
					t.Fatalf("%s: only %d fills", what, want.Stats.Fills)
				}
				sameResult(t, what, want, got)
			}
		}
	}
}

// CheckedBars vouch only for the bars they checked, as they were, in a
// market that represents their prices: any other bars a backtest checks
// itself, and refuses with the error it gives for them unvouched.
func TestCheckedBarsVouchOnlyForTheirBars(t *testing.T) {
	bars := randomWalkBars(3000)
	checked, err := CheckBars(bars)
	if err != nil {
		t.Fatal(err)
	}
	grown := bars.Clone()
	grownChecked, err := CheckBars(grown)
	if err != nil {
		t.Fatal(err)
	}
	grown.Add(bars.Time[10], 100, 101, 99, 100, 1) // out of order
	pair := testPair(t, testFQME, "0.01", "0.001")
	for _, c := range []struct {
		name    string
		series  Series
		want    string
		checked *CheckedBars
	}{
		{"other bars", Series{Market: pair, Bars: spoilt(bars, 2100, "close", math.NaN())}, "bar 1970-01-02T11:00:00Z: field close", checked},
		{"bars grown since", Series{Market: pair, Bars: grown}, "row 3000: time 600 not after 179940", grownChecked},
		// Ticks of 1e-14 represent prices up to about 90; the walk's are
		// about 100.
		{"a finer market", Series{Market: testPair(t, testFQME, "0.00000000000001", "0.001"), Bars: bars}, "bar 1970-01-01T00:00:00Z: field open: price 100 is beyond", checked},
	} {
		for _, s := range []Strategy{&SMACross{Fast: 10, Slow: 30, Size: 1}, loopStrategies["on-fill"]().f} {
			cfg := BacktestConfig{Series: []Series{c.series}}
			_, want := Backtest(cfg, s)
			cfg.Series[0].Checked = c.checked
			_, got := Backtest(cfg, s)
			if want == nil || got == nil || got.Error() != want.Error() || !strings.Contains(got.Error(), c.want) {
				t.Fatalf("%s, %T: unchecked %v, vouched for %v; want the same error, with %q", c.name, s, want, got, c.want)
			}
		}
	}
	// The same bars changed in place are still vouched for: hence only
	// bars nothing can change (a sweep's, read-only) are.
	cp := bars.Clone()
	cpChecked, err := CheckBars(cp)
	if err != nil {
		t.Fatal(err)
	}
	cp.High[2100] = math.NaN()
	cfg := BacktestConfig{Series: []Series{{Market: pair, Bars: cp, Checked: cpChecked}}}
	if _, err := Backtest(cfg, &SMACross{Fast: 10, Slow: 30, Size: 1}); err != nil {
		t.Fatalf("bars changed after they were checked: %v, want the backtest to go by the check", err)
	}
}

// CheckBars names the first problem of bars it will not vouch for.
func TestCheckBarsNamesTheProblem(t *testing.T) {
	bars := randomWalkBars(500)
	for _, c := range []struct {
		bars *frames.OHLCV
		want string
	}{
		{nil, "no bars"},
		{frames.New(60, 0), "no bars"},
		{&frames.OHLCV{Time: bars.Time, Open: bars.Open, High: bars.High, Low: bars.Low, Close: bars.Close, Volume: bars.Volume}, "unknown bar period 0"},
		{spoilt(bars, 321, "low", -2), "row 321 (1970-01-01T05:21:00Z): field low"},
		{without(bars, 100).Rows(0, 50), ""},
		{&frames.OHLCV{Period: 60, Time: bars.Time, Open: bars.Open, High: bars.High, Low: bars.Low, Close: bars.Close}, "column volume: has 0 values but time has 500"},
	} {
		got, err := CheckBars(c.bars)
		if c.want == "" {
			if err != nil || got == nil {
				t.Fatalf("valid bars: %v", err)
			}
			continue
		}
		if got != nil || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%v, %v: want an error containing %q", got, err, c.want)
		}
	}
}
