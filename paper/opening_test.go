package paper

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/feeds"
)

// TestSessionContinuesAnAccount paper trades a span, then continues the
// account in a second session from the first one's transactions: the
// second starts with the first's position and cash, and its exact final
// cash and position are those of the two sessions' transactions together.
func TestSessionContinuesAnAccount(t *testing.T) {
	m := feeds.DemoMarkets()[0]
	cfg := sessionConfig()
	mid := int64(1767225600) + 600*m.Period
	first, _ := paperTrade(t, cfg, []feeds.SyntheticMarket{m}, 1767225600, mid, &BuyHold{Fraction: 0.5})
	if first.Positions[0].Size.IsZero() {
		t.Fatal("the first session ends flat")
	}
	cfg.Opening = first.Transactions()
	ss, err := NewSession(BacktestConfig{Series: []Series{{Market: demoPair(t, m)}}, Cash: cfg.Cash, Opening: cfg.Opening}, m.Period, mid, NewSMACross(5, 20))
	if err != nil {
		t.Fatal(err)
	}
	if !near(ss.Position(m.FQME), decFloat(first.Positions[0].Size), 1e-9) || !near(ss.Cash(), decFloat(first.FinalCash), 1e-6) {
		t.Fatalf("continued with %v and cash %v; the first session ended with %s and %s", ss.Position(m.FQME), ss.Cash(),
			first.Positions[0].Size, first.FinalCash)
	}
	second, _ := paperTrade(t, cfg, []feeds.SyntheticMarket{m}, mid, mid+600*m.Period, NewSMACross(5, 20))
	cash, held := cfg.Cash, decimal.Zero
	own := 0
	for _, f := range second.Fills {
		cash = cash.Sub(f.SignedSize().Mul(f.Price)).Sub(f.Fee)
		held = held.Add(f.SignedSize())
	}
	for _, tx := range cfg.Opening {
		for _, f := range second.Fills {
			if f.OrderID == tx.TID {
				own++
			}
		}
	}
	if own != len(cfg.Opening) || len(second.Fills) <= own {
		t.Fatalf("the second result holds %d of the %d opening transactions among %d fills", own, len(cfg.Opening), len(second.Fills))
	}
	if !second.FinalCash.Equal(cash) || !second.Positions[0].Size.Equal(held) {
		t.Fatalf("final cash %s, position %s; the transactions sum to %s, %s", second.FinalCash, second.Positions[0].Size, cash, held)
	}
	cfg.Series = []Series{{Market: demoPair(t, m), Bars: feeds.GenerateBars(m, mid, mid+100*m.Period)}}
	if _, err := Backtest(cfg, NewSMACross(5, 20)); err == nil || !strings.Contains(err.Error(), "opening") {
		t.Fatalf("a backtest with opening transactions: %v", err)
	}
}
