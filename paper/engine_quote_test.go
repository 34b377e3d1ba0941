package paper

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/feeds"
)

func quote(t *testing.T, e *Engine, ts int64, bid, ask, bsz, asz float64) []Report {
	t.Helper()
	if err := e.OnQuote(feeds.Quote{Time: ts, FQME: testFQME, Bid: bid, Ask: ask, BidSize: bsz, AskSize: asz}); err != nil {
		t.Fatal(err)
	}
	return e.Reports()
}

func trade(t *testing.T, e *Engine, ts int64, p, size float64) []Report {
	t.Helper()
	if err := e.OnTrade(feeds.Trade{Time: ts, FQME: testFQME, Price: p, Size: size}); err != nil {
		t.Fatal(err)
	}
	return e.Reports()
}

// The cases of piker-notes §6.3, with the defects fixed where noted.
func TestQuoteMarketableLimitTakesTheAsk(t *testing.T) {
	e := newTestEngine(t, Config{Fees: BpsFees(0, 10)})
	quote(t, e, 1, 100.4, 100.5, 0, 0)
	mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("101"), Size: d("1")})
	rs := e.Reports()
	if kinds(rs) != "accepted,fill" {
		t.Fatalf("reports %s", kinds(rs))
	}
	wantFill(t, rs[1], "100.5", "1", Taker)
	// 10 bps of 100.5, the binance taker rate of piker-notes §6.3.
	if !rs[1].Fee.Equal(d("0.1005")) {
		t.Fatalf("fee %s", rs[1].Fee)
	}
}

func TestQuoteRestingLimitFillsWhenAskCrosses(t *testing.T) {
	e := newTestEngine(t, Config{})
	quote(t, e, 1, 99.9, 100, 0, 0)
	mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("99"), Size: d("1")})
	e.Reports()
	if f := fills(quote(t, e, 2, 99.1, 99.2, 0, 0)); len(f) != 0 {
		t.Fatal("filled above the limit")
	}
	// piker fills at the tick price 98.9; a resting bid at 99 is hit at 99.
	wantFill(t, fills(quote(t, e, 3, 98.8, 98.9, 0, 0))[0], "99", "1", Maker)
}

func TestQuoteOnlyCrossedSellsFill(t *testing.T) {
	e := newTestEngine(t, Config{})
	quote(t, e, 1, 100, 100.1, 0, 0)
	mustSubmit(t, e, Order{Side: Sell, Type: Limit, Price: d("101"), Size: d("1")})
	mustSubmit(t, e, Order{Side: Sell, Type: Limit, Price: d("102"), Size: d("1")})
	e.Reports()
	f := fills(quote(t, e, 2, 101.5, 101.6, 0, 0))
	if len(f) != 1 || f[0].OrderID != "o1" {
		t.Fatalf("fills %v", f)
	}
	wantFill(t, f[0], "101", "1", Maker)
}

func TestTradeThroughFillsRestingBuyWithoutSells(t *testing.T) {
	// piker's zip of buys and sells cleared nothing with only buys resting.
	e := newTestEngine(t, Config{})
	mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("99"), Size: d("2")})
	trade(t, e, 1, 100, 1) // a new order without quotes looks at the first print
	rs := trade(t, e, 2, 98.5, 1.5)
	f := fills(rs)
	if len(f) != 1 {
		t.Fatalf("reports %v", rs)
	}
	wantFill(t, f[0], "99", "1.5", Maker) // limited by the print's size
	if f := fills(trade(t, e, 3, 99, 5)); len(f) != 0 {
		t.Fatal("a touch filled with ProbFillOnTouch 0")
	}
	wantFill(t, fills(trade(t, e, 4, 98, 5))[0], "99", "0.5", Maker)
}

func TestQuoteCancelStopsFills(t *testing.T) {
	e := newTestEngine(t, Config{})
	quote(t, e, 1, 99.9, 100, 0, 0)
	id := mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("99"), Size: d("1")})
	if err := e.Cancel(id); err != nil {
		t.Fatal(err)
	}
	if rs := e.Reports(); kinds(rs) != "accepted,cancel" {
		t.Fatalf("reports %s", kinds(rs))
	}
	if f := fills(quote(t, e, 2, 97, 98, 0, 0)); len(f) != 0 {
		t.Fatal("cancelled order filled")
	}
}

func TestQuoteDisplayedSizeAndTIF(t *testing.T) {
	e := newTestEngine(t, Config{})
	quote(t, e, 1, 99.9, 100, 1, 2)
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("5")})
	f := fills(e.Reports())
	wantFill(t, f[0], "100", "2", Taker)
	f = fills(quote(t, e, 2, 100, 100.1, 1, 10))
	wantFill(t, f[0], "100.1", "3", Taker)

	// The quote displayed 10; 3 were taken, 7 are left.
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("8"), TIF: IOC})
	rs := e.Reports()
	if kinds(rs) != "accepted,fill,cancel" || !rs[2].Remaining.Equal(d("1")) {
		t.Fatalf("IOC %v", rs)
	}
	wantFill(t, rs[1], "100.1", "7", Taker)
	mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("100.1"), Size: d("3"), TIF: FOK})
	if rs := e.Reports(); kinds(rs) != "accepted,cancel" || !strings.Contains(rs[1].Reason, "FOK") {
		t.Fatalf("FOK with nothing displayed: %v", rs)
	}
	mustSubmit(t, e, Order{Side: Sell, Type: Limit, Price: d("99"), Size: d("1"), TIF: FOK})
	wantFill(t, fills(e.Reports())[0], "100", "1", Taker)
}

func TestQuoteAmend(t *testing.T) {
	e := newTestEngine(t, Config{})
	quote(t, e, 1, 99.9, 100, 0, 0)
	id := mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("99"), Size: d("1")})
	if err := e.Amend(id, decimal.Zero, d("3")); err != nil {
		t.Fatal(err)
	}
	if err := e.Amend(id, d("100"), decimal.Zero); err != nil {
		t.Fatal(err)
	}
	rs := e.Reports()
	if kinds(rs) != "accepted,amended,amended,fill" {
		t.Fatalf("reports %s", kinds(rs))
	}
	wantFill(t, rs[3], "100", "3", Taker)
	if err := e.Amend(id, d("101"), decimal.Zero); err == nil {
		t.Fatal("amended a filled order")
	}
}

func TestQuoteStopTriggersAndLatencyDefersCancel(t *testing.T) {
	e := newTestEngine(t, Config{Latency: Latency{Order: 10, Cancel: 10}})
	quote(t, e, 100, 99.9, 100, 0, 0)
	id := mustSubmit(t, e, Order{Side: Buy, Type: Stop, Stop: d("101"), Size: d("1")})
	rs := quote(t, e, 105, 100.9, 101.5, 0, 0)
	if kinds(rs) != "accepted" {
		t.Fatalf("the stop was live before its latency passed: %s", kinds(rs))
	}
	rs = quote(t, e, 111, 100.9, 101.2, 0, 0)
	// Live at 110 against the quote then in force (ask 101.5), before the
	// quote at 111 arrives.
	if kinds(rs) != "live,triggered,fill" {
		t.Fatalf("reports %s", kinds(rs))
	}
	wantFill(t, fills(rs)[0], "101.5", "1", Taker)
	if rs[2].Time != 110 {
		t.Fatalf("fill time %d", rs[2].Time)
	}
	if err := e.Cancel(id); err == nil {
		t.Fatal("cancel of a filled order accepted")
	}
	e.Reports()

	id = mustSubmit(t, e, Order{Side: Sell, Type: Limit, Price: d("101.3"), Size: d("1")})
	quote(t, e, 125, 101, 101.1, 0, 0)
	if err := e.Cancel(id); err != nil {
		t.Fatal(err)
	}
	// The cancel is in flight until 135: a bid through the limit at 130 fills.
	rs = quote(t, e, 130, 101.4, 101.5, 0, 0)
	wantFill(t, fills(rs)[0], "101.3", "1", Maker)
	rs = quote(t, e, 140, 101.4, 101.5, 0, 0)
	if kinds(rs) != "reject" || !strings.Contains(rs[0].Reason, "filled") {
		t.Fatalf("late cancel: %v", rs)
	}
}

func TestQuoteBracketOCO(t *testing.T) {
	e := newTestEngine(t, Config{})
	quote(t, e, 1, 99.9, 100, 0, 0)
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("2"), StopLoss: d("95"), TakeProfit: d("105")})
	rs := e.Reports()
	if kinds(rs) != "accepted,fill,accepted,accepted" {
		t.Fatalf("reports %s", kinds(rs))
	}
	// A bid through the take-profit fills it; the stop-loss is cancelled.
	rs = quote(t, e, 2, 105.5, 105.6, 1, 0)
	if kinds(rs) != "fill,amended" || rs[1].OrderID != "o1.sl" || !rs[1].Size.Equal(d("1")) {
		t.Fatalf("reports %v", rs)
	}
	wantFill(t, rs[0], "105", "1", Maker)
	sl, _ := e.Order("o1.sl")
	if sl.Status != Open || !sl.Size.Equal(d("1")) {
		t.Fatalf("stop-loss after a partial take-profit: %+v", sl)
	}
	rs = quote(t, e, 3, 105.5, 105.6, 5, 0)
	if kinds(rs) != "fill,cancel" {
		t.Fatalf("reports %v", rs)
	}
	if open := e.OpenOrders(""); len(open) != 0 {
		t.Fatalf("left open: %v", open)
	}
}

func TestProbSlippageAndSlippageModel(t *testing.T) {
	e := newTestEngine(t, Config{Slippage: Slippage{Ticks: 2, Bps: 10}, Fill: FillModel{ProbSlippage: 1}})
	quote(t, e, 1, 99.9, 100, 0, 0)
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("1")})
	// 100 + 2 ticks + 10 bps (0.1) + 1 random tick = 100.13
	wantFill(t, fills(e.Reports())[0], "100.13", "1", Taker)
	mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("100.05"), Size: d("1")})
	// Slippage never crosses a limit.
	wantFill(t, fills(e.Reports())[0], "100.05", "1", Taker)
}
