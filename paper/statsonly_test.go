package paper

import (
	"bytes"
	"fmt"
	"testing"
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
