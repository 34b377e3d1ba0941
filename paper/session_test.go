package paper

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/mkt"
)

// demoPair is a synthetic demo market as a MktPair on the generator's ticks.
func demoPair(t *testing.T, m feeds.SyntheticMarket) mkt.MktPair {
	t.Helper()
	p, err := mkt.ParseFQME(m.FQME)
	if err != nil {
		t.Fatal(err)
	}
	p.PriceTick, p.SizeTick = decimal.NewFromFloat(m.Tick), decimal.NewFromFloat(m.Lot)
	return p
}

func sessionConfig() BacktestConfig {
	return BacktestConfig{
		Cash:     decimal.NewFromInt(250000),
		Fees:     BpsFees(2, 7.5),
		Slippage: Slippage{Ticks: 1, Bps: 0.5},
		Fill:     FillModel{ProbFillOnTouch: 0.5, ProbSlippage: 0.3},
		Latency:  Latency{Order: 20e9, Cancel: 20e9},
		Seed:     7,
		Calendar: "crypto",
	}
}

// paperTrade streams the markets' generated bars in [from, to) through a
// Session, one bar at a time as a live feed would, in the order a backtest
// replays them, and returns its Result and the fills it handed out as they
// happened.
func paperTrade(t *testing.T, cfg BacktestConfig, ms []feeds.SyntheticMarket, from, to int64, s Strategy) (*Result, []Report) {
	t.Helper()
	gens := make([]*feeds.Synthetic, len(ms))
	next := make([]frames.Bar, len(ms))
	for i, m := range ms {
		cfg.Series = append(cfg.Series, Series{Market: demoPair(t, m)})
		gens[i] = feeds.NewSynthetic(m, from)
		next[i] = gens[i].Next()
	}
	ss, err := NewSession(cfg, ms[0].Period, from, s)
	if err != nil {
		t.Fatal(err)
	}
	var live []Report
	for {
		// The earliest pending bar, the first market's on a tie.
		k := -1
		for i := range ms {
			if next[i].Time < to && (k < 0 || next[i].Time < next[k].Time) {
				k = i
			}
		}
		if k < 0 {
			break
		}
		if err := ss.Push(feeds.BarEvent{FQME: ms[k].FQME, Bar: next[k]}); err != nil {
			t.Fatal(err)
		}
		next[k] = gens[k].Next()
		live = append(live, ss.Fills()...)
	}
	res, err := ss.Close()
	if err != nil {
		t.Fatal(err)
	}
	return res, live
}

func backtestGenerated(t *testing.T, cfg BacktestConfig, ms []feeds.SyntheticMarket, from, to int64, s Strategy) *Result {
	t.Helper()
	for _, m := range ms {
		cfg.Series = append(cfg.Series, Series{Market: demoPair(t, m), Bars: feeds.GenerateBars(m, from, to)})
	}
	res, err := Backtest(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func sameFills(t *testing.T, what string, got, want []Report) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d fills, the backtest has %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Time != w.Time || g.OrderID != w.OrderID || g.FQME != w.FQME || g.Side != w.Side ||
			!g.Price.Equal(w.Price) || !g.Size.Equal(w.Size) || !g.Fee.Equal(w.Fee) {
			t.Fatalf("%s: fill %d is %v %s %s %s @ %s fee %s, the backtest's %v %s %s %s @ %s fee %s", what, i,
				g.Time, g.OrderID, g.Side, g.Size, g.Price, g.Fee, w.Time, w.OrderID, w.Side, w.Size, w.Price, w.Fee)
		}
	}
}

// TestSessionMatchesBacktest is the reference: paper trading the bars a
// synthetic market generates gives exactly the backtest of the same bars.
func TestSessionMatchesBacktest(t *testing.T) {
	from := int64(1_767_225_600) // 2026-01-01T00:00:00Z
	demo := feeds.DemoMarkets()
	for _, tc := range []struct {
		name string
		ms   []feeds.SyntheticMarket
		to   int64
	}{
		{"one crypto market", demo[:1], from + 5*86400},
		{"crypto, equity and future merged", demo, from + 3*86400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sessionConfig()
			want := backtestGenerated(t, cfg, tc.ms, from, tc.to, NewSMACross(10, 30))
			got, live := paperTrade(t, cfg, tc.ms, from, tc.to, NewSMACross(10, 30))
			if len(want.Fills) < 20 {
				t.Fatalf("only %d fills: the reference shows little", len(want.Fills))
			}
			sameFills(t, "session result", got.Fills, want.Fills)
			sameFills(t, "fills as they happened", live, want.Fills)
			if !got.FinalEquity().Equal(want.FinalEquity()) || !got.FinalCash.Equal(want.FinalCash) {
				t.Fatalf("final equity %s cash %s, the backtest's %s and %s",
					got.FinalEquity(), got.FinalCash, want.FinalEquity(), want.FinalCash)
			}
			// The whole report, statistics and equity curve included.
			var g, w bytes.Buffer
			if err := got.WriteJSON(&g); err != nil {
				t.Fatal(err)
			}
			if err := want.WriteJSON(&w); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(g.Bytes(), w.Bytes()) {
				t.Fatalf("reports differ:\nsession:  %.600s\nbacktest: %.600s", g.String(), w.String())
			}
		})
	}
}

func TestSessionRefusesAndChecks(t *testing.T) {
	m := feeds.DemoMarkets()[0]
	cfg := sessionConfig()
	cfg.Series = []Series{{Market: demoPair(t, m)}}
	from := int64(1_767_225_600)
	for _, s := range []Strategy{&Targets{Func: func(*frames.OHLCV) []float64 { return nil }}, &Driver{Func: func(*Context) {}}} {
		if _, err := NewSession(cfg, 60, from, s); err == nil || !strings.Contains(err.Error(), "up front") && !strings.Contains(err.Error(), "Driver") {
			t.Errorf("%T: err %v", s, err)
		}
	}
	if _, err := NewSession(cfg, 60, from, &SMACross{Fast: 5, Slow: 2}); err == nil || !strings.Contains(err.Error(), "fast < slow") {
		t.Errorf("bad sma-cross: err %v", err)
	}
	ss, err := NewSession(cfg, 60, from, NewSMACross(2, 5))
	if err != nil {
		t.Fatal(err)
	}
	bar := frames.Bar{Time: from, Open: 1, High: 1, Low: 1, Close: 1, Volume: 1}
	for _, tc := range []struct {
		b    feeds.BarEvent
		want string
	}{
		{feeds.BarEvent{FQME: "nope.spot.x", Bar: bar}, "unknown market"},
		{feeds.BarEvent{FQME: m.FQME, Period: 3600, Bar: bar}, "period"},
		{feeds.BarEvent{FQME: m.FQME, Bar: frames.Bar{Time: from - 60}}, "before the session's start"},
	} {
		if err := ss.Push(tc.b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("push %+v: err %v, want %q", tc.b, err, tc.want)
		}
	}
	if err := ss.Push(feeds.BarEvent{FQME: m.FQME, Bar: bar}); err != nil {
		t.Fatal(err)
	}
	if err := ss.Push(feeds.BarEvent{FQME: m.FQME, Bar: bar}); err == nil || !strings.Contains(err.Error(), "not after") {
		t.Errorf("repeated bar: err %v", err)
	}
	if _, err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ss.Push(feeds.BarEvent{FQME: m.FQME, Bar: bar}); err == nil {
		t.Error("push after close: no error")
	}
	empty, err := NewSession(cfg, 60, from, NewSMACross(2, 5))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := empty.Close(); err == nil || !strings.Contains(err.Error(), "no bars") {
		t.Errorf("close without bars: err %v", err)
	}
}

func TestSessionStrategyPanicIsAnError(t *testing.T) {
	m := feeds.DemoMarkets()[0]
	cfg := sessionConfig()
	cfg.Series = []Series{{Market: demoPair(t, m)}}
	from := int64(1_767_225_600)
	s := &Funcs{BarFunc: func(c *Context, b feeds.BarEvent) { panic("boom") }}
	ss, err := NewSession(cfg, 60, from, s)
	if err != nil {
		t.Fatal(err)
	}
	err = ss.Push(feeds.BarEvent{FQME: m.FQME, Bar: frames.Bar{Time: from, Open: 1, High: 1, Low: 1, Close: 1}})
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "2026-01-01T00:00:00Z") {
		t.Fatalf("err %v", err)
	}
}
