package paper

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/feeds"
)

// randomSession drives an engine with random orders, cancels, amends and
// market events, and checks invariants on every report. It returns the
// reports as text for determinism checks.
func randomSession(t *testing.T, seed uint64, ticks bool) []string {
	rng := rand.New(rand.NewPCG(seed, 7))
	e := newTestEngine(t, Config{Seed: seed, Fees: Fees{TakerBps: d("5"), MakerBps: d("1"), Minimum: d("0.01")},
		Slippage: Slippage{Ticks: 1, Impact: 0.1},
		Fill:     FillModel{ProbFillOnTouch: 0.5, ProbSlippage: 0.3, VolumeShare: rng.Float64() * 0.5},
		Latency:  Latency{Order: int64(rng.IntN(3)) * 20e9, Cancel: int64(rng.IntN(3)) * 20e9}})
	type state struct {
		o      Order
		filled decimal.Decimal
		value  decimal.Decimal // Σ price·size of the fills
		done   bool
		live   int64
	}
	orders := map[string]*state{}
	var ids []string
	var log []string
	price := 100.0
	check := func(rs []Report, barOpen int64) {
		for _, r := range rs {
			log = append(log, r.String())
			st := orders[r.OrderID]
			if st == nil {
				if r.Kind == Reject {
					continue
				}
				if r.Kind != Accepted {
					t.Fatalf("seed %d: report for an unknown order: %v", seed, r)
				}
				// A bracket's exit, attached by the engine.
				inf, ok := e.Order(r.OrderID)
				if !ok || inf.Parent == "" {
					t.Fatalf("seed %d: accepted %s without a parent", seed, r.OrderID)
				}
				inf.Order.Size = r.Remaining
				orders[r.OrderID] = &state{o: inf.Order, live: r.Time}
				continue
			}
			switch r.Kind {
			case Amended:
				st.o.Size = r.Size
			case Fill:
				if st.done {
					t.Fatalf("seed %d: fill after the order was done: %v", seed, r)
				}
				if r.Size.Sign() <= 0 || r.Fee.Sign() < 0 {
					t.Fatalf("seed %d: fill %v", seed, r)
				}
				st.filled = st.filled.Add(r.Size)
				st.value = st.value.Add(r.Price.Mul(r.Size))
				if st.filled.GreaterThan(st.o.Size) {
					t.Fatalf("seed %d: %s overfilled: %s of %s\n%s", seed, r.OrderID, st.filled, st.o.Size, strings.Join(log, "\n"))
				}
				if !st.filled.Add(r.Remaining).Equal(st.o.Size) {
					t.Fatalf("seed %d: %s filled %s + remaining %s ≠ size %s", seed, r.OrderID, st.filled, r.Remaining, st.o.Size)
				}
				if st.o.Type == Limit && (st.o.Side == Buy && r.Price.GreaterThan(st.o.Price) || st.o.Side == Sell && r.Price.LessThan(st.o.Price)) {
					t.Fatalf("seed %d: limit %s %s filled at %s", seed, st.o.Side, st.o.Price, r.Price)
				}
				if barOpen >= 0 && st.live > barOpen {
					t.Fatalf("seed %d: %s live at %d filled on the bar opening at %d", seed, r.OrderID, st.live, barOpen)
				}
				if r.Remaining.IsZero() {
					st.done = true
				}
			case Cancel:
				st.done = true
			}
		}
	}
	for step := 0; step < 400; step++ {
		now := e.Now()
		switch k := rng.IntN(10); {
		case k < 4:
			o := Order{FQME: testFQME, Side: Side(1 - 2*rng.IntN(2)), Type: OrderType(rng.IntN(4)), TIF: TIF(rng.IntN(3)),
				Size: decimal.New(int64(1+rng.IntN(5000)), -3)}
			px := decimal.NewFromFloat(price * (0.97 + 0.06*rng.Float64())).Round(2)
			if o.Type == Limit || o.Type == StopLimit {
				o.Price = px
			}
			if o.Type == Stop || o.Type == StopLimit {
				o.Stop = decimal.NewFromFloat(price * (0.97 + 0.06*rng.Float64())).Round(2)
			}
			if rng.IntN(4) == 0 {
				o.StopLoss = decimal.NewFromFloat(price * 0.9).Round(2)
				o.TakeProfit = decimal.NewFromFloat(price * 1.1).Round(2)
				if o.Side == Sell {
					o.StopLoss, o.TakeProfit = o.TakeProfit, o.StopLoss
				}
			}
			if rng.IntN(20) == 0 {
				o.Size = decimal.New(1, -4) // off the lot: rejected
			}
			id, err := e.Submit(o)
			if err == nil {
				o.ID = id
				orders[id] = &state{o: o, live: now + e.cfg.Latency.Order}
				ids = append(ids, id)
			}
		case k < 5 && len(ids) > 0:
			e.Cancel(ids[rng.IntN(len(ids))])
		case k < 6 && len(ids) > 0:
			id := ids[rng.IntN(len(ids))]
			// The size change lands after the cancel latency; check follows it from the reports.
			e.Amend(id, decimal.Zero, decimal.New(int64(1+rng.IntN(9000)), -3))
		default:
			price *= math.Exp(rng.NormFloat64() * 0.01)
			if ticks {
				spread := 0.01 + rng.Float64()*0.05
				q := feeds.Quote{Time: now + 1e9 + int64(rng.IntN(5))*1e9, FQME: testFQME, Bid: price, Ask: price + spread,
					BidSize: rng.Float64() * 3, AskSize: rng.Float64() * 3}
				if err := e.OnQuote(q); err != nil {
					t.Fatal(err)
				}
				check(e.Reports(), -1)
				if rng.IntN(2) == 0 {
					e.OnTrade(feeds.Trade{Time: q.Time, FQME: testFQME, Price: price + spread*rng.Float64(), Size: rng.Float64()})
				}
			} else {
				open := (now/1e9/60 + 1) * 60
				o, c := price, price*math.Exp(rng.NormFloat64()*0.01)
				h, l := math.Max(o, c)*(1+rng.Float64()*0.01), math.Min(o, c)*(1-rng.Float64()*0.01)
				b := bar(open/60, o, h, l, c, rng.Float64()*50)
				if err := e.OnBar(b); err != nil {
					t.Fatal(err)
				}
				check(e.Reports(), b.OpenTime())
				price = c
				continue
			}
		}
		check(e.Reports(), -1)
	}
	// What each order says it traded is what its fills traded: an exit
	// cancelled by its sibling after a partial fill included.
	for id, st := range orders {
		inf, ok := e.Order(id)
		if !ok {
			t.Fatalf("seed %d: order %s lost", seed, id)
		}
		var avg decimal.Decimal
		if st.filled.Sign() > 0 {
			avg = st.value.Div(st.filled)
		}
		if !inf.Filled.Equal(st.filled) || !inf.AvgPrice.Equal(avg) {
			t.Fatalf("seed %d: %s (%s) reports filled %s at %s; its fills traded %s at %s",
				seed, id, inf.Status, inf.Filled, inf.AvgPrice, st.filled, avg)
		}
	}
	return log
}

func TestEngineRandomSessionsKeepInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		for _, ticks := range []bool{false, true} {
			a := randomSession(t, seed, ticks)
			if seed%10 == 0 {
				b := randomSession(t, seed, ticks)
				if fmt.Sprint(a) != fmt.Sprint(b) {
					t.Fatalf("seed %d: two runs differ", seed)
				}
			}
		}
	}
}
