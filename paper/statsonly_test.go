package paper

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"workbench/feeds"
)

// A StatsOnly backtest has the statistics and the equity curve of a full
// one, to the last bit, and none of its orders, fills or trades: for
// strategies that trade now and then, on every bar, through resting
// orders, flipping through zero (a fee split between the closing and the
// opening part), with taker fees, maker rebates and none, on one market and
// two.
func TestStatsOnlyMatchesFullResult(t *testing.T) {
	a := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(3000)}
	b := Series{Market: testPair(t, "ethusdt.spot.binance", "0.01", "0.01"), Bars: randomWalkBars(3000)}
	strategies := map[string]func() Strategy{
		"sma-cross sized":    func() Strategy { return &SMACross{Fast: 10, Slow: 30, Size: 1} },
		"sma-cross fraction": func() Strategy { return NewSMACross(7, 19) },
	}
	for name, mk := range loopStrategies {
		strategies[name] = func() Strategy { return mk().f }
	}
	for _, series := range [][]Series{{a}, {a, b}} {
		for fi, fees := range []FeeModel{nil, BpsFees(2, 10), BpsFees(-1, 10)} {
			for _, lat := range []Latency{{}, {Order: 90e9}} {
				for name, mk := range strategies {
					if name == "every-bar" && len(series) == 2 {
						continue // its orders pile up: slow, and nothing the one market does not show
					}
					cfg := BacktestConfig{Series: series, Fees: fees, Latency: lat, Calendar: "crypto"}
					what := fmt.Sprintf("%s, %d markets, fees %d, latency %v", name, len(series), fi, lat.Order)
					full, err := Backtest(cfg, mk())
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					cfg.StatsOnly = true
					only, err := Backtest(cfg, mk())
					if err != nil {
						t.Fatalf("%s, stats only: %v", what, err)
					}
					if full.Stats.Fills < 20 || full.Stats.Trades < 1 {
						t.Fatalf("%s: only %d fills, %d trades", what, full.Stats.Fills, full.Stats.Trades)
					}
					if sa, sb := fmt.Sprintf("%+v", full.Stats), fmt.Sprintf("%+v", only.Stats); sa != sb {
						t.Fatalf("%s: stats\n%s\nin full, but\n%s\nstats only", what, sa, sb)
					}
					var ea, eb bytes.Buffer
					if err := full.WriteEquityCSV(&ea); err != nil {
						t.Fatal(err)
					}
					if err := only.WriteEquityCSV(&eb); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(ea.Bytes(), eb.Bytes()) {
						t.Fatalf("%s: the equity curves differ", what)
					}
					if only.Fills != nil || only.Orders != nil || only.Trades != nil || only.Positions != nil {
						t.Fatalf("%s: stats only kept %d fills, %d orders, %d trades, %d positions", what, len(only.Fills), len(only.Orders), len(only.Trades), len(only.Positions))
					}
				}
			}
		}
	}
}

// mulInt says whether a product fits in an int64 as math/big says it.
func TestMulIntAgainstBig(t *testing.T) {
	edges := []int64{0, 1, -1, 2, -2, 3, 10, -10, 1 << 31, -(1 << 31), 1<<32 - 1, 1 << 32, 3037000499, 3037000500, -3037000500,
		1 << 62, -(1 << 62), math.MaxInt64, math.MinInt64, math.MaxInt64 / 2, math.MinInt64 / 2, math.MinInt64 + 1}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		edges = append(edges, int64(rng.Uint64())>>rng.IntN(64))
	}
	lim, low := big.NewInt(math.MaxInt64), big.NewInt(math.MinInt64)
	for _, a := range edges {
		for _, b := range edges[:60] {
			want := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
			fits := want.Cmp(lim) <= 0 && want.Cmp(low) >= 0
			c, ok := mulInt(a, b)
			if ok != fits || (ok && c != want.Int64()) {
				t.Fatalf("mulInt(%d, %d) = %d, %v; math/big: %s", a, b, c, ok, want)
			}
			if c2, ok2 := mulInt(b, a); ok2 != ok || c2 != c {
				t.Fatalf("mulInt(%d, %d) = %d, %v but mulInt(%d, %d) = %d, %v", a, b, c, ok, b, a, c2, ok2)
			}
		}
	}
}

// A StatsOnly backtest's fills carry no decimals (Engine.lean), yet its
// strategy sees every order as a full backtest's does: filled sizes and
// average prices of orders filled in one piece and in several (a volume
// cap splits them), with taker fees and without.
func TestStatsOnlyOrdersLookTheSame(t *testing.T) {
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(3000)}
	for _, fees := range []FeeModel{nil, BpsFees(2, 10)} {
		var logs [2][]string
		var stats [2]string
		for k, statsOnly := range []bool{false, true} {
			var ids []string
			log := &logs[k]
			on := func(c *Context, b feeds.BarEvent) {
				fq := b.FQME
				switch b.Index % 40 {
				case 0:
					ids = append(ids, c.Buy(fq, 2.5))
				case 7:
					ids = append(ids, c.Buy(fq, 0.5))
				case 20:
					if p := c.Position(fq); p > 0 {
						ids = append(ids, c.Sell(fq, p))
					}
				}
				for _, id := range ids[max(0, len(ids)-3):] {
					if o, ok := c.Order(id); ok {
						*log = append(*log, fmt.Sprint(b.Index, " ", id, " ", o.Status, " ", o.Filled, " ", o.AvgPrice))
					}
				}
			}
			cfg := BacktestConfig{Series: []Series{s}, Fees: fees, Fill: FillModel{VolumeShare: 0.01}, StatsOnly: statsOnly}
			res, err := Backtest(cfg, &Funcs{BarFunc: on})
			if err != nil {
				t.Fatal(err)
			}
			stats[k] = fmt.Sprintf("%+v", res.Stats)
		}
		full, only := strings.Join(logs[0], "\n"), strings.Join(logs[1], "\n")
		if full != only {
			t.Fatalf("fees %v: the strategy saw\n%s\nin full, but\n%s\nstats only", fees, firstDiff(full, only), firstDiff(only, full))
		}
		if stats[0] != stats[1] {
			t.Fatalf("fees %v: stats\n%s\nin full, but\n%s\nstats only", fees, stats[0], stats[1])
		}
		// Orders filled in pieces, seen part-way.
		partly := 0
		for _, l := range logs[0] {
			if f := strings.Fields(l); f[2] == "open" && f[3] != "0" {
				partly++
			}
		}
		if partly == 0 {
			t.Fatalf("fees %v: no order seen partly filled:\n%.1000s", fees, full)
		}
	}
}
