package scripts

import (
	"context"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/mkt"
	"workbench/paper"
)

func walkBars(n int) *frames.OHLCV {
	r := rand.New(rand.NewSource(7))
	f := frames.New(60, n)
	p := 100.0
	for i := 0; i < n; i++ {
		o := p
		p = math.Max(1, p+r.NormFloat64()*0.5-(p-100)*0.02)
		f.Add(int64(1700000000+60*i), o, math.Max(o, p)+0.1, math.Min(o, p)-0.1, math.Round(p*100)/100, 10)
	}
	return f
}

const smaHelpers = `
func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
`

var strategyScripts = map[string]string{
	"OnBar": `package main

import (
	"workbench/feeds"
	"workbench/paper"
)
` + smaHelpers + `
func OnBar(c *paper.Context, b feeds.BarEvent) {
	bars := c.Bars(b.FQME)
	n := bars.Len()
	if n < 30 {
		return
	}
	if mean(bars.Close[n-10:]) > mean(bars.Close[n-30:]) {
		c.Target(b.FQME, 1)
	} else {
		c.Target(b.FQME, 0)
	}
}
`,
	"NewStrategy": `package main

import (
	"workbench/feeds"
	"workbench/paper"
)
` + smaHelpers + `
type cross struct{ fast, slow int }

func (s *cross) OnBar(c *paper.Context, b feeds.BarEvent) {
	bars := c.Bars(b.FQME)
	n := bars.Len()
	if n < s.slow {
		return
	}
	if mean(bars.Close[n-s.fast:]) > mean(bars.Close[n-s.slow:]) {
		c.Target(b.FQME, 1)
	} else {
		c.Target(b.FQME, 0)
	}
}

func NewStrategy() paper.Strategy { return &cross{fast: 10, slow: 30} }
`,
	"Targets": `package main

import (
	"workbench/frames"
	"workbench/fsp"
)

func Targets(bars *frames.OHLCV) []float64 {
	fast, slow := fsp.SMA(bars.Close, 10), fsp.SMA(bars.Close, 30)
	out := make([]float64, bars.Len())
	for i := range out {
		if i >= 29 && fast[i] > slow[i] {
			out[i] = 1
		}
	}
	return out
}
`,
}

// Each strategy shape, interpreted, trades exactly as the compiled
// crossover of the paper package.
func TestLoadStrategyShapesMatchCompiled(t *testing.T) {
	pair, err := mkt.ParseFQME("btcusdt.spot.binance")
	if err != nil {
		t.Fatal(err)
	}
	pair.PriceTick, pair.SizeTick = decimal.RequireFromString("0.01"), decimal.RequireFromString("0.001")
	cfg := paper.BacktestConfig{Series: []paper.Series{{Market: pair, Bars: walkBars(3000)}}, Fees: paper.BpsFees(0, 10)}
	want, err := paper.Backtest(cfg, &paper.SMACross{Fast: 10, Slow: 30, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Fills) < 20 {
		t.Fatalf("only %d fills in the compiled run", len(want.Fills))
	}
	for name, src := range strategyScripts {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "strategy.go")
			os.WriteFile(p, []byte(src), 0o644)
			s, err := LoadStrategy(context.Background(), p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := paper.Backtest(cfg, s)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Fills) != len(want.Fills) || !got.FinalCash.Equal(want.FinalCash) {
				t.Fatalf("script: %d fills, cash %s; compiled: %d fills, cash %s", len(got.Fills), got.FinalCash, len(want.Fills), want.FinalCash)
			}
		})
	}
}

// Each refused strategy file is named in the error, with the line where
// the source is at fault.
func TestLoadStrategyErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.go")
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"none.go", "package main\n\nfunc helper() {}\n", []string{"none.go: no strategy found", "func OnBar("}},
		{"bad.go", "package main\n\nfunc OnBar(x int) {}\n", []string{"bad.go", "OnBar has type"}},
		{"syntax.go", "package main\n\nfunc OnBar( {\n", []string{"syntax.go:3: "}},
		{"noimport.go", "package main\n\nfunc Run(c *paper.Context) {}\n", []string{"noimport.go:3: undefined: paper (missing import \"workbench/paper\")"}},
		{"panics.go", "package main\n\nimport \"workbench/paper\"\n\nvar m map[string]int\n\nfunc init() {\n\tm[\"a\"] = 1\n}\n\nfunc Run(c *paper.Context) {}\n", []string{"panics.go:", "panic: assignment to entry in nil map"}},
		{"", "", []string{missing}},
	} {
		path := missing
		if c.name != "" {
			path = filepath.Join(dir, c.name)
			if err := os.WriteFile(path, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := LoadStrategy(context.Background(), path, Options{})
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want one containing %q", path, err, w)
			}
		}
	}
}
