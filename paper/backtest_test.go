package paper

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"gonum.org/v1/gonum/stat"

	"workbench/feeds"
	"workbench/frames"
	"workbench/internal/oracle"
	"workbench/mkt"
)

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// A three-day curve whose statistics can be checked by hand.
func TestStatsHandCheckedCurve(t *testing.T) {
	day := int64(86400e9)
	res := &Result{
		Start: 0, End: 3 * day, InitialCash: decimal.NewFromInt(100),
		Equity: NewEquityCurve([]int64{day, 2 * day, 3 * day}, []float64{110, 99, 121}),
		Trades: []RoundTrip{{PnL: d("15")}, {PnL: d("-5")}, {PnL: d("11")}},
		Fills: []Report{
			{Kind: Fill, Side: Buy, Price: d("100"), Size: d("1"), Fee: d("0.5")},
			{Kind: Fill, Side: Sell, Price: d("120"), Size: d("1"), Fee: d("0.25")},
		},
	}
	// Three days are too few to annualise: the annualised figures are n/a.
	short := computeStats(res, 252, 2)
	for _, x := range []Num{short.CAGR, short.AnnualVol, short.Sharpe, short.Sortino, short.Calmar} {
		if x.String() != "n/a" {
			t.Errorf("annualised figure %v over three days, want n/a", x)
		}
	}
	s, eqSum := rawEquityStats(res, 252, 2)
	tradeStats(&s, res, eqSum)
	// Returns: +10%, −10%, +22.2…%.
	r := []float64{0.1, -0.1, 121.0/99 - 1}
	mean := (r[0] + r[1] + r[2]) / 3
	sd := math.Sqrt(((r[0]-mean)*(r[0]-mean) + (r[1]-mean)*(r[1]-mean) + (r[2]-mean)*(r[2]-mean)) / 2)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"total return", float64(s.TotalReturn), 0.21},
		{"CAGR", float64(s.CAGR), math.Pow(1.21, 365.25/3) - 1},
		{"vol", float64(s.AnnualVol), sd * math.Sqrt(252)},
		{"sharpe", float64(s.Sharpe), mean / sd * math.Sqrt(252)},
		{"sortino", float64(s.Sortino), mean / math.Sqrt(0.01/3) * math.Sqrt(252)},
		{"max drawdown", float64(s.MaxDrawdown), 0.1},
		{"calmar", float64(s.Calmar), (math.Pow(1.21, 365.25/3) - 1) / 0.1},
		{"win rate", float64(s.WinRate), 2.0 / 3},
		{"profit factor", float64(s.ProfitFactor), 26.0 / 5},
		{"expectancy", float64(s.Expectancy), 7},
		{"exposure", float64(s.Exposure), 2.0 / 3},
		{"turnover", float64(s.Turnover), 220 / ((110 + 99 + 121) / 3.0)},
	} {
		if !near(c.got, c.want, 1e-12) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// The 110 peak (day 1) is regained on day 3.
	if s.MaxDrawdownDuration != 2*86400 {
		t.Errorf("drawdown duration %d", s.MaxDrawdownDuration)
	}
	if !s.Fees.Equal(d("0.75")) || s.Trades != 3 || s.Wins != 2 {
		t.Errorf("fees %s trades %d wins %d", s.Fees, s.Trades, s.Wins)
	}
	// Never recovered: the duration runs to the end.
	res.Equity.Value[2] = 100
	if s := computeStats(res, 252, 0); s.MaxDrawdownDuration != 2*86400 || !near(float64(s.MaxDrawdown), 0.1, 1e-12) {
		t.Errorf("unrecovered drawdown %v over %d", s.MaxDrawdown, s.MaxDrawdownDuration)
	}
}

func TestRoundTripsSplitAFlipAndItsFee(t *testing.T) {
	fs := []Report{
		{Kind: Fill, Time: 1, FQME: "x", Side: Buy, Price: d("10"), Size: d("2"), Fee: d("0.2")},
		{Kind: Fill, Time: 2, FQME: "x", Side: Buy, Price: d("13"), Size: d("1"), Fee: d("0.1")},
		{Kind: Fill, Time: 3, FQME: "x", Side: Sell, Price: d("12"), Size: d("4"), Fee: d("0.4")}, // closes 3, opens a 1 short
		{Kind: Fill, Time: 4, FQME: "x", Side: Buy, Price: d("11"), Size: d("1"), Fee: d("0.1")},
		{Kind: Fill, Time: 5, FQME: "x", Side: Buy, Price: d("11"), Size: d("1"), Fee: d("0")}, // left open
	}
	tr := RoundTrips(fs)
	if len(tr) != 2 {
		t.Fatalf("trips %+v", tr)
	}
	// Long 3 @ 11 → 12: +3, fees 0.2+0.1+0.3.
	if a := tr[0]; a.Side != Buy || !a.Size.Equal(d("3")) || !a.EntryPrice.Equal(d("11")) || !a.ExitPrice.Equal(d("12")) ||
		!a.Fees.Equal(d("0.6")) || !a.PnL.Equal(d("2.4")) || a.Open != 1 || a.Close != 3 {
		t.Fatalf("first trip %+v", a)
	}
	// Short 1 @ 12 → 11: +1, fees 0.1+0.1.
	if b := tr[1]; b.Side != Sell || !b.Size.Equal(d("1")) || !b.Fees.Equal(d("0.2")) || !b.PnL.Equal(d("0.8")) || b.Open != 3 {
		t.Fatalf("second trip %+v", b)
	}
}

func oracleSeries(t *testing.T, file, fqme, tick, lot string) Series {
	t.Helper()
	f, err := frames.ReadCSVFile(oracle.Path(t, "ohlcv", file))
	if err != nil {
		t.Fatal(err)
	}
	if f.Period == 0 {
		f.Period = frames.DetectPeriod(f.Time)
	}
	return Series{Market: testPair(t, fqme, tick, lot), Bars: f}
}

// naiveSMA is the textbook mean of the last n values.
func naiveSMA(x []float64, i, n int) float64 {
	s := 0.0
	for _, v := range x[i-n+1 : i+1] {
		s += v
	}
	return s / float64(n)
}

// The SMA crossover on real hourly BTC bars, checked against a
// straightforward recomputation: signals from naive averages, fills at the
// next open, the equity curve from cash and positions, the statistics with
// gonum.
func TestBacktestSMACrossAgainstRecomputation(t *testing.T) {
	s := oracleSeries(t, "binance_BTCUSDT_1h_2024-08.csv", "btcusdt.spot.binance", "0.01", "0.00001")
	cfg := BacktestConfig{Series: []Series{s}, Cash: d("10000"), Fees: BpsFees(0, 10), Calendar: "crypto"}
	strat := &SMACross{Fast: 10, Slow: 30, Size: 0.1}
	res, err := Backtest(cfg, strat)
	if err != nil {
		t.Fatal(err)
	}
	b := s.Bars
	// Expected fills: at the open after each bar where the long/flat state changes.
	type want struct {
		i    int
		side Side
	}
	var wants []want
	primed, long := false, false
	for i := 29; i < b.Len()-1; i++ {
		l := naiveSMA(b.Close, i, 10) > naiveSMA(b.Close, i, 30)
		if (!primed && l) || (primed && l != long) {
			side := Buy
			if !l {
				side = Sell
			}
			wants = append(wants, want{i + 1, side})
		}
		primed, long = true, l
	}
	if len(wants) < 4 || len(res.Fills) != len(wants) {
		t.Fatalf("fills %d, recomputed %d", len(res.Fills), len(wants))
	}
	for k, w := range wants {
		f := res.Fills[k]
		if f.Side != w.side || f.Time != b.Time[w.i]*1e9 || !f.Price.Equal(decimal.NewFromFloat(b.Open[w.i])) || !f.Size.Equal(d("0.1")) {
			t.Fatalf("fill %d = %v, want %s at bar %d's open %v", k, f, w.side, w.i, b.Open[w.i])
		}
		fee := f.Price.Mul(f.Size).Mul(d("0.001"))
		if !f.Fee.Equal(fee) {
			t.Fatalf("fill %d fee %s want %s", k, f.Fee, fee)
		}
	}
	// Equity: cash and position after each bar's fills, marked at its close.
	cash, pos, k := 10000.0, 0.0, 0
	var rets []float64
	prev := 10000.0
	exposed := 0
	for i := 0; i < b.Len(); i++ {
		for k < len(res.Fills) && res.Fills[k].Time < (b.Time[i]+b.Period)*1e9 {
			f := res.Fills[k]
			sz := f.SignedSize().InexactFloat64()
			pos += sz
			cash -= sz*f.Price.InexactFloat64() + f.Fee.InexactFloat64()
			k++
		}
		v := cash + pos*b.Close[i]
		if !near(res.Equity.Value[i], v, 1e-9) || res.Equity.Time(i) != (b.Time[i]+b.Period)*1e9 {
			t.Fatalf("equity %d = %v at %d, recomputed %v", i, res.Equity.Value[i], res.Equity.Time(i), v)
		}
		if math.Abs(pos) > 1e-12 {
			exposed++
		}
		rets = append(rets, v/prev-1)
		prev = v
	}
	mean, sd := stat.MeanStdDev(rets, nil)
	ppy := 365.0 * 24
	st := res.Stats
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"sharpe", float64(st.Sharpe), mean / sd * math.Sqrt(ppy)},
		{"vol", float64(st.AnnualVol), sd * math.Sqrt(ppy)},
		{"total", float64(st.TotalReturn), prev/10000 - 1},
		{"exposure", float64(st.Exposure), float64(exposed) / float64(b.Len())},
	} {
		if !near(c.got, c.want, 1e-9) {
			t.Errorf("%s = %v, recomputed %v", c.name, c.got, c.want)
		}
	}
	// Max drawdown by brute force over all pairs.
	mdd := 0.0
	vals := append([]float64{10000}, res.Equity.Value...)
	for i := range vals {
		for j := i + 1; j < len(vals); j++ {
			mdd = math.Max(mdd, 1-vals[j]/vals[i])
		}
	}
	if !near(float64(st.MaxDrawdown), mdd, 1e-12) {
		t.Errorf("max drawdown %v, brute force %v", st.MaxDrawdown, mdd)
	}
	// Exact cash equals the decimal sum over the fills.
	exact := d("10000")
	for _, f := range res.Fills {
		exact = exact.Sub(f.SignedSize().Mul(f.Price)).Sub(f.Fee)
	}
	if !res.FinalCash.Equal(exact) {
		t.Errorf("final cash %s, fills say %s", res.FinalCash, exact)
	}
	// Round trips are closed longs; their PnL sums to the realised cash change.
	sum := decimal.Zero
	for _, tr := range res.Trades {
		sum = sum.Add(tr.PnL)
	}
	if len(res.Trades) != len(wants)/2 || st.Trades != len(res.Trades) {
		t.Errorf("trades %d for %d fills", len(res.Trades), len(wants))
	}
	if len(wants)%2 == 0 && !sum.Equal(exact.Sub(d("10000"))) {
		t.Errorf("round trips PnL %s, cash change %s", sum, exact.Sub(d("10000")))
	}
}

func TestBacktestDeterministicFiles(t *testing.T) {
	s := oracleSeries(t, "goog_daily_2004-2008.csv", "goog.nasdaq.ib", "0.01", "1")
	run := func() []byte {
		cfg := BacktestConfig{Series: []Series{s}, Fees: BpsFees(1, 5), Slippage: Slippage{Ticks: 1},
			Fill: FillModel{ProbSlippage: 0.5, ProbFillOnTouch: 0.5, VolumeShare: 0.01}, Seed: 42, Calendar: "us-equity"}
		res, err := Backtest(cfg, NewSMACross(10, 30))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := res.WriteFiles(dir); err != nil {
			t.Fatal(err)
		}
		// The ledger and account files replay to the report's account.
		l, err := LoadLedger(filepath.Join(dir, LedgerFileName("paper", "backtest")))
		if err != nil {
			t.Fatal(err)
		}
		acct, err := AccountFromLedger(l, res.InitialCash, []mkt.MktPair{s.Market})
		if err != nil {
			t.Fatal(err)
		}
		if l.Len() != len(res.Fills) || !acct.Cash.Equal(res.FinalCash) {
			t.Fatalf("ledger of %d transactions for %d fills; account cash %s, report %s", l.Len(), len(res.Fills), acct.Cash, res.FinalCash)
		}
		var all []byte
		for _, n := range []string{"report.json", "report.txt", "equity.csv", "trades_paper_backtest.toml", "account.paper.backtest.toml"} {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	a, b := run(), run()
	if !bytes.Equal(a, b) {
		t.Fatal("same seed and inputs, different files")
	}
	if !bytes.Contains(a, []byte(`"sharpe"`)) || !bytes.Contains(a, []byte("max drawdown")) {
		t.Fatal("report lacks its statistics")
	}
}

// A strategy sees each market's past only, and one cash account pays for
// every market.
func TestBacktestSeesOnlyThePastAcrossMarkets(t *testing.T) {
	a := frames.New(60, 4)
	for i := int64(0); i < 4; i++ {
		a.Add(i*60, 10+float64(i), 11+float64(i), 9+float64(i), 10.5+float64(i), 100)
	}
	b := frames.New(120, 2)
	b.Add(0, 100, 101, 99, 100, 100)
	b.Add(120, 102, 103, 101, 102, 100)
	pa, pb := testPair(t, "aaa.spot.x", "0.01", "1"), testPair(t, "bbb.spot.x", "0.01", "1")
	seen := 0
	strat := &Funcs{BarFunc: func(c *Context, ev feeds.BarEvent) {
		seen++
		h := c.Bars(ev.FQME)
		if h.Len() != ev.Index+1 || h.Time[h.Len()-1] != ev.Bar.Time {
			t.Errorf("bar %s %d: history of %d bars", ev.FQME, ev.Index, h.Len())
		}
		for _, m := range c.Markets() {
			if hb := c.Bars(m); hb.Len() > 0 && (hb.Time[hb.Len()-1]+hb.Period)*1e9 > c.Time() {
				t.Errorf("%s: a bar closing after now is visible", m)
			}
		}
		if ev.Index == 0 {
			c.Buy(ev.FQME, 1)
		}
	}}
	res, err := Backtest(BacktestConfig{Series: []Series{{Market: pa, Bars: a}, {Market: pb, Bars: b}}, Cash: d("1000")}, strat)
	if err != nil {
		t.Fatal(err)
	}
	if seen != 6 || len(res.Fills) != 2 {
		t.Fatalf("bars seen %d, fills %v", seen, res.Fills)
	}
	// aaa bought at bar 1's open 11, bbb at bar 1's open 102.
	if !res.FinalCash.Equal(d("887")) {
		t.Fatalf("cash %s", res.FinalCash)
	}
	last := res.Equity.Value[len(res.Equity.Value)-1]
	if !near(last, 887+13.5+102, 1e-12) {
		t.Fatalf("final equity %v", last)
	}
	if res.Equity.Len() != 4 {
		t.Fatalf("equity samples %d, want one per distinct close", res.Equity.Len())
	}
	if _, err := Backtest(BacktestConfig{Series: []Series{{Market: pa, Bars: frames.New(60, 0)}}}, strat); err == nil {
		t.Fatal("empty series accepted")
	}
}

// The integer paths over the engine's fills give exactly what the decimal
// paths give over the same fills stripped of their ticks and lots.
func TestIntegerAndDecimalSettlementAgree(t *testing.T) {
	bars := randomWalkBars(3000)
	targets := []float64{1.5, -2, 0.25, 0, -0.75, 3}
	k := 0
	strat := &Funcs{BarFunc: func(c *Context, b feeds.BarEvent) {
		if b.Index%7 == 0 {
			c.Target(testFQME, targets[k%len(targets)])
			k++
		}
	}}
	fees := Fees{TakerBps: d("7.5"), PerUnit: d("0.013"), Minimum: d("0.05")}
	res, err := Backtest(BacktestConfig{Series: []Series{{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: bars}}, Fees: fees,
		Slippage: Slippage{Bps: 3}}, strat)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Trades) < 100 {
		t.Fatalf("only %d round trips", len(res.Trades))
	}
	plain := make([]Report, len(res.Fills))
	for i, f := range res.Fills {
		f.ord, f.mk, f.ticks, f.lots = nil, nil, 0, 0
		plain[i] = f
	}
	fast, slow := RoundTrips(res.Fills), roundTripsDecimal(plain)
	if len(fast) != len(slow) {
		t.Fatalf("%d vs %d round trips", len(fast), len(slow))
	}
	for i := range fast {
		a, b := fast[i], slow[i]
		if a.FQME != b.FQME || a.Side != b.Side || a.Open != b.Open || a.Close != b.Close || !a.Size.Equal(b.Size) ||
			!a.EntryPrice.Equal(b.EntryPrice) || !a.ExitPrice.Equal(b.ExitPrice) || !a.Fees.Equal(b.Fees) || !a.PnL.Equal(b.PnL) {
			t.Fatalf("trip %d:\n int %+v\n dec %+v", i, a, b)
		}
	}
	// The account invariant over the accounting's positions, exactly:
	// cash + Q×mark = initial cash + realized − fees + unrealized.
	accts, err := res.Accounts()
	if err != nil {
		t.Fatal(err)
	}
	a, pos := accts[0], res.Positions[0]
	mark := decimal.NewFromFloat(pos.LastClose)
	lhs := res.FinalCash.Add(pos.Size.Mul(mark))
	rhs := res.InitialCash.Add(a.Realized()).Sub(a.Fees()).Add(a.Unrealized(mark))
	if !lhs.Equal(rhs) || !a.Size().Equal(pos.Size) {
		t.Fatalf("cash %s + position %s at %s = %s, but initial + realized − fees + unrealized = %s",
			res.FinalCash, pos.Size, mark, lhs, rhs)
	}
	txs := res.Transactions()
	if len(txs) != len(res.Fills) || txs[0].TID != res.Fills[0].OrderID+":1" || txs[0].Etype != "clear" {
		t.Fatalf("transactions %v", txs[:1])
	}
	c1, p1 := settle(res.InitialCash, res.Fills)
	c2, p2 := settle(res.InitialCash, plain)
	if !c1.Equal(c2) || !p1[testFQME].Equal(p2[testFQME]) {
		t.Fatalf("settle: %s %s vs %s %s", c1, p1[testFQME], c2, p2[testFQME])
	}
}

// With quotes and trades the engine matches on them, in time order with the
// bars, and the strategy sees each one.
func TestBacktestWithQuotesAndTrades(t *testing.T) {
	bars := frames.New(60, 3)
	bars.Add(0, 100, 101, 99, 100, 10)
	bars.Add(60, 100, 101, 90, 100, 10) // its low would fill a bar-matched limit at 95
	bars.Add(120, 100, 101, 99, 100, 10)
	q := func(sec int64, bid, ask float64) feeds.Quote {
		return feeds.Quote{Time: sec * 1e9, FQME: testFQME, Bid: bid, Ask: ask, BidSize: 1, AskSize: 1}
	}
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: bars,
		Quotes: []feeds.Quote{q(30, 99.9, 100), q(60, 99.9, 100), q(90, 96, 96.1), q(150, 94.5, 94.6)},
		Trades: []feeds.Trade{{Time: 100e9, FQME: testFQME, Price: 96, Size: 1}}}
	var seen []string
	strat := &Funcs{
		BarFunc: func(c *Context, b feeds.BarEvent) {
			seen = append(seen, "bar")
			if b.Index == 0 {
				c.LimitOrder(testFQME, 2, 95)
			}
		},
		QuoteFunc: func(c *Context, q feeds.Quote) { seen = append(seen, "quote") },
		TradeFunc: func(c *Context, tr feeds.Trade) { seen = append(seen, "trade") },
		FillFunc:  func(c *Context, f Report) { seen = append(seen, "fill") },
	}
	res, err := Backtest(BacktestConfig{Series: []Series{s}}, strat)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(seen, ","); got != "quote,bar,quote,quote,trade,bar,fill,quote,bar" {
		t.Fatalf("sequence %s", got)
	}
	// Bar 1's low of 90 does not fill the limit: the market is matched on its
	// quotes, and the ask at 94.6 (size 1) crosses it at 150 s.
	if len(res.Fills) != 1 || !res.Fills[0].Price.Equal(d("95")) || !res.Fills[0].Size.Equal(d("1")) || res.Fills[0].Time != 150e9 {
		t.Fatalf("fills %v", res.Fills)
	}
	bad := s
	bad.Quotes = []feeds.Quote{q(60, 1, 2), q(30, 1, 2)}
	if _, err := Backtest(BacktestConfig{Series: []Series{bad}}, strat); err == nil || !strings.Contains(err.Error(), "quote 1") {
		t.Fatalf("unordered quotes: %v", err)
	}
}

func TestBacktestSurvivesPanicsAndCancellation(t *testing.T) {
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(200)}
	boom := &Funcs{BarFunc: func(c *Context, b feeds.BarEvent) {
		if b.Index == 150 {
			var m map[string]int
			m["x"] = 1
		}
	}}
	_, err := Backtest(BacktestConfig{Series: []Series{s}}, boom)
	if err == nil || !strings.Contains(err.Error(), "panicked at "+testFQME+" bar 1970-01-01T02:30:00Z") {
		t.Fatalf("panic: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := BacktestContext(ctx, BacktestConfig{Series: []Series{s}}, boom); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// A Driver steps through the bars itself; bars it leaves are still replayed.
func TestDriverStepsAndLeavesTheRest(t *testing.T) {
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(100)}
	var seen []int
	d := &Driver{Func: func(c *Context) {
		if _, ok := c.Next(); !ok {
			t.Fatal("no first bar")
		}
		c.LimitOrder(testFQME, 1, 1e6) // marketable: fills at the next open
		for k := 0; k < 10; k++ {
			b, ok := c.Next()
			if !ok {
				t.Fatal("ran out")
			}
			seen = append(seen, b.Index)
			if c.Bar().Index != b.Index || c.Position(testFQME) != 1 {
				t.Fatalf("bar %d: position %v", b.Index, c.Position(testFQME))
			}
		}
		c.StopOrder(testFQME, -1, 1)     // never triggers
		c.LimitOrder(testFQME, -1, 0.01) // sells at the next open, after the driver returned
	}}
	res, err := Backtest(BacktestConfig{Series: []Series{s}}, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 10 || seen[0] != 1 || seen[9] != 10 {
		t.Fatalf("stepped through %v", seen)
	}
	if len(res.Fills) != 2 || res.Fills[1].Time != s.Bars.Time[11]*1e9 || res.Equity.Len() != 100 {
		t.Fatalf("fills %v, %d equity samples", res.Fills, res.Equity.Len())
	}
	if _, ok := (&Context{r: &runner{}}).Next(); ok {
		t.Fatal("Next outside a Driver")
	}
}

func TestBuyHoldHoldsFromTheSecondOpen(t *testing.T) {
	s := oracleSeries(t, "goog_daily_2004-2008.csv", "goog.nasdaq.ib", "0.01", "1")
	st, err := BuiltinStrategy("buy-hold")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Backtest(BacktestConfig{Series: []Series{s}, Cash: d("100000")}, st)
	if err != nil {
		t.Fatal(err)
	}
	b := s.Bars
	want := math.Round(95000 / b.Close[0])
	if len(res.Fills) != 1 || res.Fills[0].Size.InexactFloat64() != want || res.Fills[0].Price.InexactFloat64() != b.Open[1] {
		t.Fatalf("fills %v, want %v at %v", res.Fills, want, b.Open[1])
	}
	last := b.Len() - 1
	if !near(float64(res.Stats.FinalEquity), 100000-want*b.Open[1]+want*b.Close[last], 1e-9) {
		t.Fatalf("final equity %v", res.Stats.FinalEquity)
	}
	if _, err := BuiltinStrategy("nope"); err == nil {
		t.Fatal("unknown strategy accepted")
	}
}

// Prices a strategy computes land on the tick against the order: a buy
// limit never pays more, a sell limit never takes less, a stop never
// triggers earlier; float noise around a tick is that tick.
func TestContextRoundsPricesToTheTick(t *testing.T) {
	bars := frames.New(60, 2)
	bars.Add(0, 100, 101, 99, 100, 10)
	bars.Add(60, 100, 101, 99, 100, 10)
	s := Series{Market: testPair(t, testFQME, "0.05", "0.001"), Bars: bars}
	cases := []struct {
		place func(c *Context) string
		limit bool
		want  string
	}{
		{func(c *Context) string { return c.LimitOrder(testFQME, 1, 50.04) }, true, "50"},
		{func(c *Context) string { return c.LimitOrder(testFQME, -1, 150.01) }, true, "150.05"},
		{func(c *Context) string { return c.StopOrder(testFQME, 1, 150.01) }, false, "150.05"},
		{func(c *Context) string { return c.StopOrder(testFQME, -1, 50.04) }, false, "50"},
		{func(c *Context) string { return c.LimitOrder(testFQME, 1, 0.1*3+50) }, true, "50.3"}, // 50.300000000000004
		{func(c *Context) string { return c.StopOrder(testFQME, -1, 150.15-1e-12) }, false, "150.15"},
	}
	var got []OrderInfo
	strat := &Funcs{BarFunc: func(c *Context, b feeds.BarEvent) {
		if b.Index != 0 {
			return
		}
		for _, k := range cases {
			o, ok := c.Order(k.place(c))
			if !ok {
				t.Fatalf("order %d rejected", len(got))
			}
			got = append(got, o)
		}
	}}
	if _, err := Backtest(BacktestConfig{Series: []Series{s}}, strat); err != nil {
		t.Fatal(err)
	}
	for i, k := range cases {
		p := got[i].Stop
		if k.limit {
			p = got[i].Price
		}
		if !p.Equal(d(k.want)) {
			t.Errorf("case %d: price %s, want %s", i, p, k.want)
		}
	}
}

// A maker rebate (a negative maker fee) is a legitimate fee model: its
// fills carry negative fees, and the report files, ledger and account that
// record them replay to the report's cash.
func TestMakerRebateWritesFiles(t *testing.T) {
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(3000)}
	strat := &Funcs{BarFunc: func(c *Context, b feeds.BarEvent) {
		// Alternate resting limits a little away from the close: they fill as maker.
		if b.Index%20 == 0 {
			c.LimitOrder(b.FQME, 1, b.Bar.Close*0.999)
		} else if b.Index%20 == 10 && c.Position(b.FQME) > 0 {
			c.LimitOrder(b.FQME, -c.Position(b.FQME), b.Bar.Close*1.001)
		}
	}}
	res, err := Backtest(BacktestConfig{Series: []Series{s}, Fees: BpsFees(-1, 10)}, strat)
	if err != nil {
		t.Fatal(err)
	}
	rebates := 0
	for _, f := range res.Fills {
		if f.Liquidity == Maker && f.Fee.Sign() < 0 {
			rebates++
		}
	}
	if rebates < 10 || res.Stats.Fees.Sign() >= 0 {
		t.Fatalf("%d rebated fills of %d, fees %s", rebates, len(res.Fills), res.Stats.Fees)
	}
	dir := t.TempDir()
	if err := res.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	l, err := LoadLedger(filepath.Join(dir, LedgerFileName(BacktestBroker, BacktestAccount)))
	if err != nil {
		t.Fatal(err)
	}
	acct, err := AccountFromLedger(l, res.InitialCash, []mkt.MktPair{s.Market})
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != len(res.Fills) || !acct.Cash.Equal(res.FinalCash) {
		t.Fatalf("ledger of %d transactions for %d fills; account cash %s, report %s", l.Len(), len(res.Fills), acct.Cash, res.FinalCash)
	}
}

// Context.Bar is the last bar handed to the strategy: the bar itself in
// OnBar, the one before it to the fills that bar's matching makes, the
// last one after the replay.
func TestContextBarIsTheLastHandedOut(t *testing.T) {
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(300)}
	fills, finished := 0, false
	strat := &Funcs{
		BarFunc: func(c *Context, b feeds.BarEvent) {
			if got := c.Bar(); got != b {
				t.Fatalf("bar %d: Bar() is %+v", b.Index, got)
			}
			if b.Index%10 == 0 {
				c.Buy(b.FQME, 1)
			}
		},
		FillFunc: func(c *Context, f Report) {
			fills++
			// A market order fills at the open of the bar after the one it was sent on.
			if want := feeds.NewBarEvent(testFQME, s.Bars, int((f.Time/1e9-s.Bars.Time[0])/60)-1); c.Bar() != want {
				t.Fatalf("fill at %d: Bar() is %+v, want %+v", f.Time, c.Bar(), want)
			}
		},
		FinishFunc: func(c *Context) {
			finished = true
			if c.Bar() != feeds.NewBarEvent(testFQME, s.Bars, 299) {
				t.Fatalf("after the replay Bar() is %+v", c.Bar())
			}
		},
	}
	if _, err := Backtest(BacktestConfig{Series: []Series{s}}, strat); err != nil {
		t.Fatal(err)
	}
	if fills != 30 || !finished {
		t.Fatalf("%d fills, finished %v", fills, finished)
	}
}
