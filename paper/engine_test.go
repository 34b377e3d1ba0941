package paper

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/mkt"
)

const testFQME = "btcusdt.spot.binance"

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// testPair is a market with the given price and size ticks.
func testPair(t testing.TB, fqme, tick, lot string) mkt.MktPair {
	t.Helper()
	p, err := mkt.ParseFQME(fqme)
	if err != nil {
		t.Fatal(err)
	}
	p.PriceTick, p.SizeTick = d(tick), d(lot)
	return p
}

func newTestEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	if cfg.Markets == nil {
		cfg.Markets = []mkt.MktPair{testPair(t, testFQME, "0.01", "0.001")}
	}
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// bar makes a closed-bar event for the one-minute bar opening at minute i.
func bar(i int64, o, h, l, c, v float64) feeds.BarEvent {
	f := frames.New(60, 1)
	f.Add(i*60, o, h, l, c, v)
	return feeds.NewBarEvent(testFQME, f, 0)
}

func fills(rs []Report) []Report {
	var out []Report
	for _, r := range rs {
		if r.Kind == Fill {
			out = append(out, r)
		}
	}
	return out
}

func kinds(rs []Report) string {
	var ks []string
	for _, r := range rs {
		ks = append(ks, r.Kind.String())
	}
	return strings.Join(ks, ",")
}

func mustSubmit(t *testing.T, e *Engine, o Order) string {
	t.Helper()
	if o.FQME == "" {
		o.FQME = testFQME
	}
	id, err := e.Submit(o)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func wantFill(t *testing.T, r Report, price, size string, liq Liquidity) {
	t.Helper()
	if r.Kind != Fill || !r.Price.Equal(d(price)) || !r.Size.Equal(d(size)) || r.Liquidity != liq {
		t.Fatalf("got %v, want fill %s@%s %s", r, size, price, liq)
	}
}

func onBar(t *testing.T, e *Engine, b feeds.BarEvent) []Report {
	t.Helper()
	if err := e.OnBar(b); err != nil {
		t.Fatal(err)
	}
	return e.Reports()
}

func TestBarMarketFillsAtNextOpenNotAtDecisionBar(t *testing.T) {
	e := newTestEngine(t, Config{})
	onBar(t, e, bar(0, 100, 101, 99, 100.5, 10))
	// Decided on bar 0's close: the order must not see bar 0.
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("1")})
	e.Reports()
	rs := onBar(t, e, bar(1, 102, 103, 101, 102.5, 10))
	f := fills(rs)
	if len(f) != 1 {
		t.Fatalf("fills %v", rs)
	}
	wantFill(t, f[0], "102", "1", Taker)
	if f[0].Time != 60e9 {
		t.Fatalf("fill at open should be stamped with the open, got %d", f[0].Time)
	}
}

func TestBarOrderPlacedMidBarWaitsForNextBar(t *testing.T) {
	e := newTestEngine(t, Config{})
	onBar(t, e, bar(0, 100, 101, 99, 100, 10))
	e.Advance(61e9) // one second into bar 1
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("1")})
	if f := fills(onBar(t, e, bar(1, 200, 200, 200, 200, 10))); len(f) != 0 {
		t.Fatalf("order live after bar 1's open filled on bar 1: %v", f)
	}
	f := fills(onBar(t, e, bar(2, 300, 301, 299, 300, 10)))
	if len(f) != 1 {
		t.Fatal("no fill on bar 2")
	}
	wantFill(t, f[0], "300", "1", Taker)
}

func TestBarLatencyDelaysEligibility(t *testing.T) {
	e := newTestEngine(t, Config{Latency: Latency{Order: 5e9}})
	onBar(t, e, bar(0, 100, 101, 99, 100, 10))
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("1")})
	rs := onBar(t, e, bar(1, 110, 111, 109, 110, 10))
	if len(fills(rs)) != 0 || !strings.Contains(kinds(rs), "live") {
		t.Fatalf("latency 5s: bar 1 opens before the order is live: %s", kinds(rs))
	}
	wantFill(t, fills(onBar(t, e, bar(2, 120, 121, 119, 120, 10)))[0], "120", "1", Taker)
}

func TestBarGapThroughFillsAtOpen(t *testing.T) {
	e := newTestEngine(t, Config{})
	onBar(t, e, bar(0, 100, 101, 99, 100, 10))
	mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("98"), Size: d("1")})
	mustSubmit(t, e, Order{Side: Sell, Type: Stop, Stop: d("97"), Size: d("2")})
	onBar(t, e, bar(1, 99, 99.5, 98.5, 99, 10)) // neither reached; limit now rests
	rs := onBar(t, e, bar(2, 95, 96, 94, 95.5, 10))
	f := fills(rs)
	if len(f) != 2 {
		t.Fatalf("fills %v", rs)
	}
	// Both gapped through at the open: both fill at the open, not at their prices.
	wantFill(t, f[0], "95", "1", Maker)
	wantFill(t, f[1], "95", "2", Taker)
	if !strings.Contains(kinds(rs), "triggered") {
		t.Fatal("stop not reported triggered")
	}
}

func TestBarLimitThroughTouchAndProbability(t *testing.T) {
	for _, tc := range []struct {
		name  string
		prob  float64
		low   float64
		fills int
	}{
		{"through", 0, 97.5, 1},
		{"touch never", 0, 98, 0},
		{"touch always", 1, 98, 1},
		{"not reached", 1, 98.01, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, Config{Fill: FillModel{ProbFillOnTouch: tc.prob}})
			mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("98"), Size: d("1")})
			f := fills(onBar(t, e, bar(0, 100, 101, tc.low, 100, 10)))
			if len(f) != tc.fills {
				t.Fatalf("fills %v", f)
			}
			if tc.fills == 1 {
				wantFill(t, f[0], "98", "1", Maker)
			}
		})
	}
}

func TestBarTouchProbabilityIsSeededAndDeterministic(t *testing.T) {
	run := func(seed uint64) string {
		e := newTestEngine(t, Config{Seed: seed, Fill: FillModel{ProbFillOnTouch: 0.5}})
		var got []byte
		for i := int64(0); i < 64; i++ {
			id := mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("98"), Size: d("1")})
			onBar(t, e, bar(i, 100, 101, 98, 100, 10))
			if inf, _ := e.Order(id); inf.Status == Filled {
				got = append(got, '1')
			} else {
				got = append(got, '0')
				if err := e.Cancel(id); err != nil {
					t.Fatal(err)
				}
			}
			e.Reports()
		}
		return string(got)
	}
	a, b := run(7), run(7)
	if a != b {
		t.Fatalf("same seed, different fills:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, "0") || !strings.Contains(a, "1") {
		t.Fatalf("p=0.5 over 64 touches gave %s", a)
	}
	if run(8) == a {
		t.Fatal("different seeds gave identical draws")
	}
}

func TestBarIntrabarPathOrder(t *testing.T) {
	// A long bracket whose stop-loss and take-profit both lie inside the next
	// bar: the extreme nearer the open comes first on the path.
	for _, tc := range []struct {
		name       string
		o, h, l, c float64
		exit       string
		price      string
	}{
		{"high nearer: O→H→L→C", 100, 103, 96, 99, "o1.tp", "102"},
		{"low nearer: O→L→H→C", 100, 104, 97, 101, "o1.sl", "98"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEngine(t, Config{})
			mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("1"), StopLoss: d("98"), TakeProfit: d("102")})
			rs := onBar(t, e, bar(0, tc.o, tc.h, tc.l, tc.c, 10))
			f := fills(rs)
			if len(f) != 2 {
				t.Fatalf("fills %v", rs)
			}
			wantFill(t, f[0], "100", "1", Taker)
			if f[1].OrderID != tc.exit || !f[1].Price.Equal(d(tc.price)) {
				t.Fatalf("first exit %v, want %s @ %s", f[1], tc.exit, tc.price)
			}
			other := "o1.sl"
			if tc.exit == "o1.sl" {
				other = "o1.tp"
			}
			if inf, _ := e.Order(other); inf.Status != Canceled {
				t.Fatalf("OCO sibling %s is %s", other, inf.Status)
			}
			if f[0].Time >= f[1].Time {
				t.Fatal("exit stamped before the entry")
			}
		})
	}
}

func TestBarStopLimitTriggersThenWaitsForLimit(t *testing.T) {
	e := newTestEngine(t, Config{})
	// Buy stop 101 limit 100.5: path O→H→L→C = 100→102→99→100. It triggers
	// at 101 on the way up, is not marketable there, and fills at 100.5 on the
	// way down.
	mustSubmit(t, e, Order{Side: Buy, Type: StopLimit, Stop: d("101"), Price: d("100.5"), Size: d("1")})
	e.Reports()
	rs := onBar(t, e, bar(0, 100, 102, 99, 100, 10))
	if got := kinds(rs); got != "triggered,fill" {
		t.Fatalf("reports %s", got)
	}
	wantFill(t, fills(rs)[0], "100.5", "1", Maker)
}

func TestBarVolumeCapPartialFills(t *testing.T) {
	e := newTestEngine(t, Config{Fill: FillModel{VolumeShare: 0.1}})
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("12")})
	var got []string
	for i := int64(0); i < 4; i++ {
		for _, f := range fills(onBar(t, e, bar(i, 100, 101, 99, 100, 50))) {
			got = append(got, f.Size.String()+"/"+f.Remaining.String())
		}
	}
	if strings.Join(got, " ") != "5/7 5/2 2/0" {
		t.Fatalf("partials %v", got)
	}

	e = newTestEngine(t, Config{Fill: FillModel{VolumeShare: 0.1}})
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("12"), TIF: IOC})
	mustSubmit(t, e, Order{Side: Sell, Type: Limit, Price: d("99"), Size: d("12"), TIF: FOK})
	e.Reports()
	rs := onBar(t, e, bar(0, 100, 101, 99, 100, 50))
	if kinds(rs) != "fill,cancel,cancel" {
		t.Fatalf("reports %s", kinds(rs))
	}
	wantFill(t, rs[0], "100", "5", Taker)
	if !strings.Contains(rs[1].Reason, "FOK") || !strings.Contains(rs[2].Reason, "IOC") {
		t.Fatalf("cancel reasons %q %q", rs[1].Reason, rs[2].Reason)
	}
}

func TestRejectionsChangeNothing(t *testing.T) {
	e := newTestEngine(t, Config{})
	id := mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("90"), Size: d("1")})
	mustSubmit(t, e, Order{Side: Buy, Type: Market, Size: d("1"), ID: "done"})
	onBar(t, e, bar(0, 100, 101, 99, 100, 10))
	before := e.OpenOrders("")
	for _, tc := range []struct {
		name string
		try  func() error
		why  string
	}{
		{"unknown market", func() error {
			_, err := e.Submit(Order{FQME: "nope.spot.binance", Side: Buy, Type: Market, Size: d("1")})
			return err
		}, "unknown market"},
		{"zero size", func() error {
			_, err := e.Submit(Order{FQME: testFQME, Side: Buy, Type: Market, Size: d("0")})
			return err
		}, "not positive"},
		{"negative size", func() error {
			_, err := e.Submit(Order{FQME: testFQME, Side: Buy, Type: Market, Size: d("-1")})
			return err
		}, "not positive"},
		{"off-tick price", func() error {
			_, err := e.Submit(Order{FQME: testFQME, Side: Buy, Type: Limit, Price: d("99.005"), Size: d("1")})
			return err
		}, "price"},
		{"off-lot size", func() error {
			_, err := e.Submit(Order{FQME: testFQME, Side: Buy, Type: Market, Size: d("0.0005")})
			return err
		}, "size"},
		{"duplicate id", func() error {
			_, err := e.Submit(Order{FQME: testFQME, ID: id, Side: Buy, Type: Market, Size: d("1")})
			return err
		}, "duplicate"},
		{"bad bracket", func() error {
			_, err := e.Submit(Order{FQME: testFQME, Side: Buy, Type: Market, Size: d("1"), StopLoss: d("110"), TakeProfit: d("100")})
			return err
		}, "bracket"},
		{"amend filled", func() error { return e.Amend("done", d("95"), decimal.Zero) }, "filled"},
		{"amend off-tick", func() error { return e.Amend(id, d("95.001"), decimal.Zero) }, "price"},
		{"cancel filled", func() error { return e.Cancel("done") }, "filled"},
		{"cancel unknown", func() error { return e.Cancel("zz") }, "unknown"},
	} {
		err := tc.try()
		if err == nil || !strings.Contains(err.Error(), tc.why) {
			t.Fatalf("%s: err %v, want one naming %q", tc.name, err, tc.why)
		}
		rs := e.Reports()
		if len(rs) != 1 || rs[0].Kind != Reject || rs[0].Reason == "" {
			t.Fatalf("%s: reports %v", tc.name, rs)
		}
		after := e.OpenOrders("")
		if len(after) != len(before) || after[0].ID != before[0].ID || !after[0].Price.Equal(before[0].Price) {
			t.Fatalf("%s: open orders changed: %v", tc.name, after)
		}
	}
}

func TestDecimalFastPaths(t *testing.T) {
	for _, s := range []string{"0", "1", "0.1", "123.456", "-7.25", "1e20", "0.000000001", "12345678901234567890.5", "3e-30"} {
		x := d(s)
		if got, want := decFloat(x), x.InexactFloat64(); got != want {
			t.Errorf("decFloat(%s) = %v, want %v", s, got, want)
		}
	}
	for _, c := range []struct {
		size, lot string
		lots      int64
	}{{"1", "0.00001", 100000}, {"0.5", "0.25", 2}, {"12", "1", 12}, {"300", "100", 3}, {"1.5", "0.001", 1500},
		{"12345678901234567", "0.01", 1234567890123456700}} {
		if got, ok := lotsOf(d(c.size), d(c.lot)); got != c.lots || !ok {
			t.Errorf("lotsOf(%s, %s) = %d, want %d", c.size, c.lot, got, c.lots)
		}
	}
	for _, c := range [][2]string{{"0.0005", "0.001"}, {"1.1", "0.25"}, {"1e-30", "1e-8"}} {
		if _, ok := lotsOf(d(c[0]), d(c[1])); ok {
			t.Errorf("lotsOf(%s, %s): called a whole number of lots", c[0], c[1])
		}
	}
}

func TestFeesFastPathMatchesDecimal(t *testing.T) {
	f := Fees{MakerBps: d("2.5"), TakerBps: d("10"), PerUnit: d("0.0035"), Minimum: d("0.01")}
	for _, c := range []struct{ p, s string }{{"100.25", "3"}, {"0.0001", "0.5"}, {"65432.10", "0.00012"},
		{"123456789.123456789", "98765.4321"}, {"1", "0.001"}} {
		for _, liq := range []Liquidity{Maker, Taker} {
			bps := f.TakerBps
			if liq == Maker {
				bps = f.MakerBps
			}
			p, s := d(c.p), d(c.s)
			want := p.Mul(s).Mul(bps).Shift(-4).Add(f.PerUnit.Mul(s))
			if want.LessThan(f.Minimum) {
				want = f.Minimum
			}
			if got := f.Fee(FeeInput{Price: p, Size: s, Liquidity: liq}); !got.Equal(want) {
				t.Errorf("%s×%s %s: fee %s, want %s", c.p, c.s, liq, got, want)
			}
		}
	}
}

// With the volume cap spent early in a bar, the resting orders the path
// reaches later are blocked, not filled: each bar fills the orders in the
// order the path reaches them (buy stops on the way up, then buy limits
// from the highest down) until its share of the volume is gone, whatever
// order they were submitted in.
func TestBarVolumeCapFillsInPathOrder(t *testing.T) {
	e := newTestEngine(t, Config{Fill: FillModel{VolumeShare: 0.1}})
	for _, stop := range []string{"100.3", "100.1", "100.2"} {
		mustSubmit(t, e, Order{Side: Buy, Type: Stop, Stop: d(stop), Size: d("1")})
	}
	for i := 0; i < 50; i++ {
		k := i * 7 % 50 // the limits' list order is not their price order
		px := decimal.New(int64(9990-10*k), -2)
		mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: px, Size: d("1")})
	}
	e.Reports()
	var got []string
	for i := int64(0); i < 3; i++ {
		var prices []string
		for _, f := range fills(onBar(t, e, bar(i, 100, 100.5, 90, 91, 100))) {
			if !f.Size.Equal(d("1")) {
				t.Fatalf("bar %d: fill %v of a partial size", i, f)
			}
			prices = append(prices, f.Price.String())
		}
		got = append(got, strings.Join(prices, " "))
	}
	want := []string{
		"100.1 100.2 100.3 99.9 99.8 99.7 99.6 99.5 99.4 99.3",
		"99.2 99.1 99 98.9 98.8 98.7 98.6 98.5 98.4 98.3",
		"98.2 98.1 98 97.9 97.8 97.7 97.6 97.5 97.4 97.3",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("bar %d filled at %s, want %s", i, got[i], want[i])
		}
	}
	if n := len(e.OpenOrders("")); n != 50+3-30 {
		t.Fatalf("%d orders left open, want 23", n)
	}
}
