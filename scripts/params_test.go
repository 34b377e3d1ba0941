package scripts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/mkt"
	"workbench/paper"
)

const paramsScript = `package main

import (
	"time"

	"workbench/feeds"
	"workbench/paper"
)
` + smaHelpers + `
var Params = struct {
	Fast   int           ` + "`param:\"fast\"`" + `
	Slow   int           ` + "`param:\"slow\"`" + `
	Size   float64
	Hold   time.Duration ` + "`param:\"hold\"`" + `
	Long   bool          ` + "`param:\"long\"`" + `
	Label  string        ` + "`param:\"label\"`" + `
}{10, 30, 1, time.Hour, true, "x"}

func OnBar(c *paper.Context, b feeds.BarEvent) {
	bars := c.Bars(b.FQME)
	n := bars.Len()
	if n < Params.Slow || !Params.Long {
		return
	}
	if mean(bars.Close[n-Params.Fast:]) > mean(bars.Close[n-Params.Slow:]) {
		c.Target(b.FQME, Params.Size)
	} else {
		c.Target(b.FQME, 0)
	}
}
`

// A script's Params struct lists its parameters with their defaults, and
// settings change how it trades exactly as the compiled crossover's fields
// do.
func TestScriptParams(t *testing.T) {
	p := filepath.Join(t.TempDir(), "params.go")
	if err := os.WriteFile(p, []byte(paramsScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	params, err := StrategyParams(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range params {
		got = append(got, q.Name+":"+q.Kind.String()+"="+paper.FormatParam(q.Default))
	}
	want := "fast:int=10 slow:int=30 size:float=1 hold:duration=1h0m0s long:bool=true label:string=x"
	if strings.Join(got, " ") != want {
		t.Fatalf("params %v, want %s", got, want)
	}
	pair, _ := mkt.ParseFQME("btcusdt.spot.binance")
	pair.PriceTick, pair.SizeTick = decimal.RequireFromString("0.01"), decimal.RequireFromString("0.001")
	cfg := paper.BacktestConfig{Series: []paper.Series{{Market: pair, Bars: walkBars(2000)}}, Fees: paper.BpsFees(0, 10)}
	want1, err := paper.Backtest(cfg, &paper.SMACross{Fast: 5, Slow: 40, Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	set, err := paper.ParseSettings(params, []string{"fast=5", "slow=40", "size=2", "hold=90m", "label=it's"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadStrategyWith(ctx, p, Options{}, set)
	if err != nil {
		t.Fatal(err)
	}
	res, err := paper.Backtest(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fills) < 10 || len(res.Fills) != len(want1.Fills) || !res.FinalCash.Equal(want1.FinalCash) {
		t.Fatalf("script with fast=5 slow=40 size=2: %d fills, cash %s; compiled: %d fills, cash %s",
			len(res.Fills), res.FinalCash, len(want1.Fills), want1.FinalCash)
	}
	// long=false: the script never trades.
	s, err = LoadStrategyWith(ctx, p, Options{}, []paper.Setting{{Name: "long", Value: false}, {Name: "hold", Value: 2 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if res, err = paper.Backtest(cfg, s); err != nil || len(res.Fills) != 0 {
		t.Fatalf("long=false: %v, %d fills", err, len(res.Fills))
	}
	_, err = LoadStrategyWith(ctx, p, Options{}, []paper.Setting{{Name: "nope", Value: int64(1)}})
	var pe *paper.ParamError
	if !errors.As(err, &pe) || pe.Name != "nope" || !strings.Contains(err.Error(), "params.go") {
		t.Fatalf("unknown parameter: %v", err)
	}
}
