package paper

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/traefik/yaegi/interp"

	"workbench/feeds"
	"workbench/frames"
)

// smaScript is SMACross as a script (testdata/sma_cross.go, which the
// scripts package's benchmark loads too): the state lives in the script and
// one interpreted call runs per bar.
func smaScript(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile("testdata/sma_cross.go")
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// smaDriverScript is the same crossover running its own loop over the bars.
const smaDriverScript = `package main

import "workbench/paper"

func Run(c *paper.Context) {
	fqme := c.Markets()[0]
	var ring [30]float64
	n, i := 0, 0
	fast, slow := 0.0, 0.0
	long, primed := false, false
	for {
		x, ok := c.NextClose()
		if !ok {
			break
		}
		if n >= 10 {
			fast -= ring[(i+20)%30]
		}
		if n >= 30 {
			slow -= ring[i]
		} else {
			n++
		}
		ring[i] = x
		i++
		if i == 30 {
			i = 0
		}
		fast += x
		slow += x
		if n < 30 {
			continue
		}
		l := fast*30 > slow*10
		if primed && l == long {
			continue
		}
		was := primed
		primed, long = true, l
		if !was && !l {
			continue
		}
		if l {
			c.Target(fqme, 1)
		} else {
			c.Target(fqme, 0)
		}
	}
}
`

// smaTargetsScript is the same crossover computed in one pass.
const smaTargetsScript = `package main

import "workbench/frames"

func Targets(bars *frames.OHLCV) []float64 {
	c := bars.Close
	out := make([]float64, len(c))
	fast, slow := 0.0, 0.0
	for i, x := range c {
		if i >= 10 {
			fast -= c[i-10]
		}
		if i >= 30 {
			slow -= c[i-30]
		}
		fast += x
		slow += x
		if i >= 29 && fast*30 > slow*10 {
			out[i] = 1
		}
	}
	return out
}
`

// scriptStrategy interprets src and returns its OnBar as a Funcs strategy,
// or its Targets as a Targets strategy. The symbols are the few a strategy
// script needs, built by hand here as yaegi extract would generate them.
func scriptStrategy(tb testing.TB, src string) Strategy {
	tb.Helper()
	i := interp.New(interp.Options{})
	if err := i.Use(interp.Exports{
		"workbench/paper/paper": {
			"Context": reflect.ValueOf((*Context)(nil)),
			"Funcs":   reflect.ValueOf((*Funcs)(nil)),
		},
		"workbench/feeds/feeds": {"BarEvent": reflect.ValueOf((*feeds.BarEvent)(nil))},
		"workbench/frames/frames": {
			"Bar":   reflect.ValueOf((*frames.Bar)(nil)),
			"OHLCV": reflect.ValueOf((*frames.OHLCV)(nil)),
		},
	}); err != nil {
		tb.Fatal(err)
	}
	if _, err := i.Eval(src); err != nil {
		tb.Fatal(err)
	}
	if v, err := i.Eval("main.Run"); err == nil {
		fn, ok := v.Interface().(func(*Context))
		if !ok {
			tb.Fatalf("Run has type %T", v.Interface())
		}
		return &Driver{Func: fn}
	}
	if v, err := i.Eval("main.Targets"); err == nil {
		fn, ok := v.Interface().(func(*frames.OHLCV) []float64)
		if !ok {
			tb.Fatalf("Targets has type %T", v.Interface())
		}
		return &Targets{Func: fn}
	}
	v, err := i.Eval("main.OnBar")
	if err != nil {
		tb.Fatal(err)
	}
	fn, ok := v.Interface().(func(*Context, feeds.BarEvent))
	if !ok {
		tb.Fatalf("OnBar has type %T", v.Interface())
	}
	return &Funcs{BarFunc: fn}
}

// The script trades exactly as the compiled crossover.
func TestScriptStrategyMatchesCompiled(t *testing.T) {
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(5000)}
	cfg := BacktestConfig{Series: []Series{s}, Fees: BpsFees(0, 10)}
	a, err := Backtest(cfg, &SMACross{Fast: 10, Slow: 30, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{smaScript(t), smaDriverScript, smaTargetsScript} {
		b, err := Backtest(cfg, scriptStrategy(t, src))
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Fills) < 50 || len(a.Fills) != len(b.Fills) || !a.FinalCash.Equal(b.FinalCash) {
			t.Fatalf("compiled %d fills, cash %s; script %d fills, cash %s", len(a.Fills), a.FinalCash, len(b.Fills), b.FinalCash)
		}
	}
}

func TestTargetsLookAheadIsCaught(t *testing.T) {
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(1000)}
	peek := &Targets{Func: func(b *frames.OHLCV) []float64 {
		out := make([]float64, b.Len())
		for i := range out {
			if i+1 < b.Len() && b.Close[i+1] > b.Close[i] {
				out[i] = 1
			}
		}
		return out
	}}
	if _, err := Backtest(BacktestConfig{Series: []Series{s}}, peek); err == nil || !strings.Contains(err.Error(), "looks ahead") {
		t.Fatalf("peeking at the next close: %v", err)
	}
	mean := &Targets{Func: func(b *frames.OHLCV) []float64 {
		m := 0.0
		for _, x := range b.Close {
			m += x / float64(b.Len())
		}
		out := make([]float64, b.Len())
		for i, x := range b.Close {
			if x < m {
				out[i] = 1
			}
		}
		return out
	}}
	if _, err := Backtest(BacktestConfig{Series: []Series{s}}, mean); err == nil || !strings.Contains(err.Error(), "looks ahead") {
		t.Fatalf("using the whole series' mean: %v", err)
	}
	crash := &Targets{Func: func(b *frames.OHLCV) []float64 { return []float64{b.Close[b.Len()]} }}
	if _, err := Backtest(BacktestConfig{Series: []Series{s}}, crash); err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("panicking targets: %v", err)
	}
}

// BenchmarkBacktestSMACrossScript is the crossover as a yaegi script: with a
// per-bar callback (OnBar; the target is 1M bars/s), running its own
// loop with one call per bar into compiled code (Driver), and computed in
// one pass (Targets).
func BenchmarkBacktestSMACrossScript(b *testing.B) {
	for _, c := range []struct {
		name string
		src  string
		n    int
	}{{"OnBar/1M", smaScript(b), 1_000_000}, {"OnBar/10M", smaScript(b), 10_000_000},
		{"Driver/1M", smaDriverScript, 1_000_000}, {"Driver/10M", smaDriverScript, 10_000_000},
		{"Targets/1M", smaTargetsScript, 1_000_000}, {"Targets/10M", smaTargetsScript, 10_000_000}} {
		n, src := c.n, c.src
		b.Run(c.name, func(b *testing.B) {
			s := benchSeries(b, n)
			cfg := BacktestConfig{Series: []Series{s}, Fees: BpsFees(0, 10), Calendar: "crypto"}
			b.ResetTimer()
			start := time.Now()
			for k := 0; k < b.N; k++ {
				b.StopTimer()
				strat := scriptStrategy(b, src)
				b.StartTimer()
				if _, err := Backtest(cfg, strat); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "bars/s")
		})
	}
}
