package paper

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
)

// TestTrailingStopAmendsLandOnTheTick trails a sell stop 2% under the
// highest close, amending it with the float price a strategy computes;
// every amend must take effect, rounded down to the tick (a sell stop
// never triggers earlier than asked), and the stop must end the position.
func TestTrailingStopAmendsLandOnTheTick(t *testing.T) {
	// A climb with noise (prices off the tick, as a strategy's arithmetic
	// makes them) and then a fall through the stop.
	bars := frames.New(60, 400)
	rng := rand.New(rand.NewPCG(3, 4))
	p := 100.0
	for i := 0; i < 400; i++ {
		o := p
		if i < 300 {
			p *= 1.003 + rng.NormFloat64()*0.002
		} else {
			p *= 0.995
		}
		bars.Add(int64(i)*60, o, math.Max(o, p)*1.0005, math.Min(o, p)*0.9995, p, 10)
	}
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: bars}
	var stopID string
	var high float64
	amends := 0
	var want decimal.Decimal
	strat := &Funcs{BarFunc: func(c *Context, b feeds.BarEvent) {
		switch {
		case b.Index == 0:
			c.Buy(testFQME, 1)
			return
		case c.Position(testFQME) <= 0:
			return
		}
		level := b.Bar.Close * 0.98
		if stopID == "" {
			high = b.Bar.Close
			stopID = c.StopOrder(testFQME, -1, level)
			want = decimal.NewFromFloat(math.Floor(level*100) / 100).Round(2)
			return
		}
		if b.Bar.Close <= high {
			return
		}
		high = b.Bar.Close
		if err := c.Amend(stopID, level, 0); err != nil {
			t.Fatalf("bar %d: amend to %v: %v", b.Index, level, err)
		}
		amends++
		// Decimal arithmetic on the float's shortest spelling: the tick at or below the level.
		want = decimal.NewFromFloat(level).Mul(decimal.NewFromInt(100)).Floor().Div(decimal.NewFromInt(100))
		if o, _ := c.Order(stopID); !o.Stop.Equal(want) {
			t.Fatalf("bar %d: stop at %s after amending to %v, want %s", b.Index, o.Stop, level, want)
		}
	}}
	res, err := Backtest(BacktestConfig{Series: []Series{s}}, strat)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejects) > 0 {
		t.Fatalf("%d rejects, first: %v", len(res.Rejects), res.Rejects[0])
	}
	if amends < 20 {
		t.Fatalf("only %d amends: the walk does not trail the stop enough to test", amends)
	}
	var stop OrderInfo
	for _, o := range res.Orders {
		if o.ID == stopID {
			stop = o
		}
	}
	if stop.Status != Filled || !stop.Stop.Equal(want) {
		t.Fatalf("the stop %+v did not fill at its last trigger %s", stop, want)
	}
	if !res.Positions[0].Size.IsZero() {
		t.Fatalf("position %s left after the stop", res.Positions[0].Size)
	}
}
