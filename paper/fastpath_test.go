package paper

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/feeds"
)

// feeFunc hides Fees behind another FeeModel type, so that the engine takes
// the general path through Fee instead of its int64 one.
type feeFunc struct{ f Fees }

func (m feeFunc) Fee(in FeeInput) decimal.Decimal { return m.f.Fee(in) }

// The engine's int64 fees are the decimals Fees.Fee gives, for ticks that
// are and are not powers of ten and rates with fractions of a basis point.
func TestIntFeesMatchFeeModel(t *testing.T) {
	for _, c := range []struct{ tick, lot, maker, taker string }{
		{"0.01", "0.001", "0", "10"}, {"0.25", "0.5", "-1.5", "7.25"}, {"0.0001", "1", "2", "2"},
	} {
		fees := Fees{MakerBps: d(c.maker), TakerBps: d(c.taker)}
		series := Series{Market: testPair(t, testFQME, c.tick, c.lot), Bars: randomWalkBars(3000)}
		fast, err := Backtest(BacktestConfig{Series: []Series{series}, Fees: fees}, &SMACross{Fast: 5, Slow: 20, Size: 3})
		if err != nil {
			t.Fatal(err)
		}
		slow, err := Backtest(BacktestConfig{Series: []Series{series}, Fees: feeFunc{fees}}, &SMACross{Fast: 5, Slow: 20, Size: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(fast.Fills) < 20 || len(fast.Fills) != len(slow.Fills) {
			t.Fatalf("%v: %d and %d fills", c, len(fast.Fills), len(slow.Fills))
		}
		for i := range fast.Fills {
			a, b := fast.Fills[i].Fee, slow.Fills[i].Fee
			if !a.Equal(b) || a.String() != b.String() {
				t.Fatalf("%v fill %d: fee %s, the model says %s", c, i, a, b)
			}
		}
		if !fast.FinalCash.Equal(slow.FinalCash) || !fast.Stats.Fees.Equal(slow.Stats.Fees) {
			t.Fatalf("%v: cash %s fees %s, the model's %s and %s", c, fast.FinalCash, fast.Stats.Fees, slow.FinalCash, slow.Stats.Fees)
		}
	}
}

// Engine-named and caller-named IDs share one namespace.
func TestOrderIDsNamedAndGenerated(t *testing.T) {
	e := newTestEngine(t, Config{})
	lim := func(id string) (string, error) {
		return e.Submit(Order{ID: id, FQME: testFQME, Side: Buy, Type: Limit, Price: d("1"), Size: d("1")})
	}
	if id, err := lim(""); err != nil || id != "o1" {
		t.Fatalf("first order: %q %v", id, err)
	}
	if _, err := lim("o2"); err != nil {
		t.Fatal(err)
	}
	if id, err := lim(""); err != nil || id != "o3" {
		t.Fatalf("after a caller's o2: %q %v", id, err)
	}
	for _, dup := range []string{"o1", "o2", "o3"} {
		if _, err := lim(dup); err == nil {
			t.Fatalf("duplicate %s accepted", dup)
		}
	}
	for _, id := range []string{"o1", "o2", "o3"} {
		if inf, ok := e.Order(id); !ok || inf.ID != id {
			t.Fatalf("order %s: %+v %v", id, inf, ok)
		}
	}
	for _, id := range []string{"o01", "o4", "o", "x1", "o-1", "o+3"} {
		if _, ok := e.Order(id); ok {
			t.Fatalf("found an order %q", id)
		}
	}
	if err := e.Cancel("o3"); err != nil {
		t.Fatal(err)
	}
	if inf, _ := e.Order("o3"); inf.Status != Canceled {
		t.Fatalf("o3 is %s", inf.Status)
	}
	// Generated IDs across blocks of them, and past a caller's ID in a later block.
	if _, err := lim("o600"); err != nil {
		t.Fatal(err)
	}
	for n := 5; n < 1200; n++ {
		want := "o" + strconv.Itoa(n)
		if n >= 600 {
			want = "o" + strconv.Itoa(n+1)
		}
		if id, err := lim(""); err != nil || id != want {
			t.Fatalf("order %d: %q %v, want %s", n, id, err, want)
		}
	}
	if inf, ok := e.Order("o1000"); !ok || inf.ID != "o1000" {
		t.Fatalf("order o1000: %+v %v", inf, ok)
	}
}

func TestDecSum(t *testing.T) {
	terms := []string{"0.1", "2.25", "-0.001", "1e3", "0", "123456789012345678", "9.5"}
	var s decSum
	want := decimal.Zero
	for _, x := range terms {
		s.add(d(x))
		want = want.Add(d(x))
		if got := s.value(); !got.Equal(want) {
			t.Fatalf("after %s: %s, want %s", x, got, want)
		}
	}
	if got := subDecInt(12345, -3, d("0.0005")); !got.Equal(d("12.3445")) {
		t.Fatalf("12.345 - 0.0005 = %s", got)
	}
}

// The backtest's fills, kept compactly while it runs, are the reports the
// engine made: partial fills of a volume cap, limit and bracket orders,
// fees of the int64 path and of another model, with and without a tick.
func TestResultFillsAreTheEngineReports(t *testing.T) {
	for _, c := range []struct {
		name string
		tick string
		fees FeeModel
	}{{"int fees", "0.01", BpsFees(-1, 10)}, {"model fees", "0.01", feeFunc{BpsFees(1, 5)}},
		{"no fees", "0.01", nil}, {"no tick", "0", BpsFees(2, 4)}} {
		var seen []Report
		n := 0
		strat := &Funcs{
			BarFunc: func(ctx *Context, b feeds.BarEvent) {
				n++
				switch n % 7 {
				case 1:
					ctx.Submit(Order{FQME: b.FQME, Side: Buy, Type: Market, Size: d("2.5"),
						StopLoss: d("50"), TakeProfit: decimal.NewFromFloat(b.Bar.Close + 0.05).Round(2)})
				case 3:
					ctx.LimitOrder(b.FQME, -1.5, b.Bar.Close+0.02)
				case 5:
					ctx.Target(b.FQME, 0)
				}
			},
			FillFunc: func(ctx *Context, f Report) { seen = append(seen, f) },
		}
		s := Series{Market: testPair(t, testFQME, c.tick, "0.001"), Bars: randomWalkBars(2000)}
		res, err := Backtest(BacktestConfig{Series: []Series{s}, Fees: c.fees, Fill: FillModel{VolumeShare: 0.01}}, strat)
		if err != nil {
			t.Fatal(err)
		}
		partial := 0
		for _, f := range res.Fills {
			if !f.Remaining.IsZero() {
				partial++
			}
		}
		if len(res.Fills) < 100 || partial == 0 || len(seen) != len(res.Fills) {
			t.Fatalf("%s: %d fills (%d partial), %d seen by OnFill", c.name, len(res.Fills), partial, len(seen))
		}
		for i, want := range seen {
			got := res.Fills[i]
			if got.String() != want.String() || got.Tag != want.Tag || got.mk != want.mk || got.ord != nil || want.ord != nil || got.ticks != want.ticks ||
				got.lots != want.lots || got.Price.Exponent() != want.Price.Exponent() || got.Fee.Exponent() != want.Fee.Exponent() {
				t.Fatalf("%s: fill %d is\n%s, the engine reported\n%s", c.name, i, got, want)
			}
		}
		// Round trips in int64 ticks and lots are the decimal ones.
		fast, slow := res.Trades, roundTripsDecimal(res.Fills)
		if len(fast) < 20 || len(fast) != len(slow) {
			t.Fatalf("%s: %d and %d round trips", c.name, len(fast), len(slow))
		}
		for i := range fast {
			a, b := fast[i], slow[i]
			if a.Open != b.Open || a.Close != b.Close || a.Side != b.Side || !a.Size.Equal(b.Size) || !a.EntryPrice.Equal(b.EntryPrice) ||
				!a.ExitPrice.Equal(b.ExitPrice) || !a.Fees.Equal(b.Fees) || !a.PnL.Equal(b.PnL) {
				t.Fatalf("%s: round trip %d is %+v, in decimal %+v", c.name, i, a, b)
			}
		}
	}
}

// A backtest's result stays as it was while later backtests reuse the
// memory of its orders and fills.
func TestResultSurvivesLaterBacktests(t *testing.T) {
	run := func(fqme, tick string, n int) *Result {
		s := Series{Market: testPair(t, fqme, tick, "0.001"), Bars: randomWalkBars(n)}
		res, err := Backtest(BacktestConfig{Series: []Series{s}, Fees: BpsFees(1, 10)}, &SMACross{Fast: 3, Slow: 9, Size: 2})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := run(testFQME, "0.01", 3000)
	var before bytes.Buffer
	if err := first.WriteJSON(&before); err != nil {
		t.Fatal(err)
	}
	trades := fmt.Sprint(first.Trades)
	for i := 0; i < 3; i++ {
		run("ethusdt.spot.binance", "0.05", 5000)
	}
	var after bytes.Buffer
	if err := first.WriteJSON(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Fatal("the first result's report changed after later backtests")
	}
	if got := fmt.Sprint(RoundTrips(first.Fills)); got != trades || len(first.Trades) < 100 {
		t.Fatalf("%d round trips; recomputed from the fills they differ: %v", len(first.Trades), got != trades)
	}
}

// A Driver over one market samples the equity as the plain loop does: one
// sample per bar, at its close.
func TestDriverEquityMatchesLoop(t *testing.T) {
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(4000)}
	cfg := BacktestConfig{Series: []Series{s}, Fees: BpsFees(0, 10)}
	loop, err := Backtest(cfg, &SMACross{Fast: 10, Slow: 30, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	cross := &SMACross{Fast: 10, Slow: 30, Size: 1}
	drv, err := Backtest(cfg, &Driver{Func: func(c *Context) {
		if err := cross.Start(c); err != nil {
			t.Error(err)
		}
		for i := 0; i < 3000; i++ {
			b, ok := c.Next()
			if !ok {
				t.Error("ran out of bars")
				return
			}
			cross.OnBar(c, b)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := loop.WriteEquityCSV(&a); err != nil {
		t.Fatal(err)
	}
	if err := drv.WriteEquityCSV(&b); err != nil {
		t.Fatal(err)
	}
	// The driver stops trading after 3000 bars; the samples up to there agree.
	n := 3000
	if drv.Equity.Len() != loop.Equity.Len() || drv.End != loop.End {
		t.Fatalf("driver: %d samples to %d, loop: %d to %d", drv.Equity.Len(), drv.End, loop.Equity.Len(), loop.End)
	}
	for i := 0; i < n; i++ {
		if drv.Equity.Time(i) != loop.Equity.Time(i) || drv.Equity.Value[i] != loop.Equity.Value[i] {
			t.Fatalf("sample %d: driver %d %g, loop %d %g", i, drv.Equity.Time(i), drv.Equity.Value[i], loop.Equity.Time(i), loop.Equity.Value[i])
		}
	}
	for i := n; i < drv.Equity.Len(); i++ {
		if drv.Equity.Time(i) != loop.Equity.Time(i) {
			t.Fatalf("sample %d at %d, the loop's at %d", i, drv.Equity.Time(i), loop.Equity.Time(i))
		}
	}
	if len(strings.Split(b.String(), "\n")) != len(strings.Split(a.String(), "\n")) {
		t.Fatal("equity files of different lengths")
	}
}
