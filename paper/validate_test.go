package paper

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
)

// spoilt is a copy of bars with row i's field set to x.
func spoilt(bars *frames.OHLCV, i int, field string, x float64) *frames.OHLCV {
	f := bars.Rows(0, bars.Len())
	cp := frames.New(f.Period, f.Len())
	for k := 0; k < f.Len(); k++ {
		b := f.At(k)
		cp.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
	}
	col := map[string][]float64{"open": cp.Open, "high": cp.High, "low": cp.Low, "close": cp.Close, "volume": cp.Volume}[field]
	col[i] = x
	return cp
}

// without is a copy of bars without row i.
func without(bars *frames.OHLCV, i int) *frames.OHLCV {
	cp := frames.New(bars.Period, bars.Len()-1)
	for k := 0; k < bars.Len(); k++ {
		if k != i {
			b := bars.At(k)
			cp.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
		}
	}
	return cp
}

// TestBacktestRefusesInvalidBars spoils one bar of a series in each way a
// feed or a file can and checks that the backtest stops naming the market,
// the bar's time and the field — not a strategy panic at another bar — and
// that with SkipInvalid it gives exactly the backtest of the series without
// that bar, counting the bar in its report.
func TestBacktestRefusesInvalidBars(t *testing.T) {
	bars := randomWalkBars(600)
	const row = 200
	at := "1970-01-01T03:20:00Z" // row 200 of one-minute bars from 0
	for _, tc := range []struct {
		field string
		x     float64
		want  string // the field named
	}{
		{"close", math.NaN(), "close"},
		{"high", math.Inf(1), "high"},
		{"low", 0, "low"},
		{"open", -1, "open"},
		{"high", 1e300, "high"}, // 1e302 ticks of 0.01: past int64
		{"volume", math.NaN(), "volume"},
		{"low", 1000, "low"}, // above the open and close
	} {
		bad := spoilt(bars, row, tc.field, tc.x)
		s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: bad}
		cfg := BacktestConfig{Series: []Series{s}, Fees: BpsFees(0, 10)}
		_, err := Backtest(cfg, &SMACross{Fast: 5, Slow: 20, Size: 1})
		var be *BarError
		if !errors.As(err, &be) || be.FQME != testFQME || be.Time != bars.Time[row] || be.Field != tc.want {
			t.Fatalf("%s = %v: error %v, want a BarError for %s at %s field %s", tc.field, tc.x, err, testFQME, at, tc.want)
		}
		if msg := err.Error(); !strings.Contains(msg, testFQME) || !strings.Contains(msg, at) || strings.Contains(msg, "panic") {
			t.Errorf("message %q should name %s and %s, and no panic", msg, testFQME, at)
		}
		// A Targets strategy computes on the whole series first: the bars
		// are checked before it sees them.
		_, err = Backtest(cfg, &Targets{Func: func(bars *frames.OHLCV) []float64 {
			for _, c := range bars.Close {
				if math.IsNaN(c) {
					panic("Targets saw a NaN close")
				}
			}
			return make([]float64, bars.Len())
		}})
		if !errors.As(err, &be) || be.Field != tc.want || be.Time != bars.Time[row] {
			t.Fatalf("%s = %v, Targets: error %v, want the BarError", tc.field, tc.x, err)
		}
		// Two markets merged by close time, and a Driver, step through the
		// replay, which checks each bar.
		other := Series{Market: testPair(t, "ethusdt.spot.binance", "0.01", "0.001"), Bars: bars}
		two := cfg
		two.Series = []Series{other, s}
		for _, strat := range []Strategy{&SMACross{Fast: 5, Slow: 20, Size: 1}, &Driver{Func: func(c *Context) {
			for _, ok := c.Next(); ok; _, ok = c.Next() {
			}
		}}} {
			if _, err = Backtest(two, strat); !errors.As(err, &be) || be.FQME != testFQME || be.Field != tc.want || be.Time != bars.Time[row] {
				t.Fatalf("%s = %v, two markets, %T: error %v, want the BarError", tc.field, tc.x, strat, err)
			}
		}

		cfg.SkipInvalid = true
		got, err := Backtest(cfg, &SMACross{Fast: 5, Slow: 20, Size: 1})
		if err != nil {
			t.Fatalf("%s = %v, skipping: %v", tc.field, tc.x, err)
		}
		clean := cfg
		clean.SkipInvalid = false
		clean.Series = []Series{{Market: s.Market, Bars: without(bars, row)}}
		want, err := Backtest(clean, &SMACross{Fast: 5, Slow: 20, Size: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Fills) < 10 {
			t.Fatalf("%d fills: too few to compare", len(want.Fills))
		}
		if got.SkippedBars != 1 || len(got.Skipped) != 1 || got.Skipped[0].Field != tc.want || got.Bars != want.Bars ||
			!got.FinalCash.Equal(want.FinalCash) || len(got.Fills) != len(want.Fills) {
			t.Fatalf("%s = %v skipped: %d skipped %v, %d bars, cash %s, %d fills; without the bar: %d bars, cash %s, %d fills",
				tc.field, tc.x, got.SkippedBars, got.Skipped, got.Bars, got.FinalCash, len(got.Fills), want.Bars, want.FinalCash, len(want.Fills))
		}
		var text, js bytes.Buffer
		if err := got.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text.String(), "invalid bars    1 skipped (first: "+testFQME+" bar "+at+": field "+tc.want) {
			t.Errorf("text report lacks the skipped bar:\n%s", text.String())
		}
		if err := got.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var j struct {
			SkippedBars int `json:"skipped_bars"`
			Skipped     []struct{ FQME, Time, Field string }
		}
		if err := json.Unmarshal(js.Bytes(), &j); err != nil || j.SkippedBars != 1 || len(j.Skipped) != 1 ||
			j.Skipped[0].Time != at || j.Skipped[0].Field != tc.want {
			t.Errorf("JSON skipped: %+v (%v)", j, err)
		}
	}
}

// TestSessionRefusesInvalidBars pushes a NaN close into a paper session.
func TestSessionRefusesInvalidBars(t *testing.T) {
	for _, skip := range []bool{false, true} {
		cfg := BacktestConfig{Series: []Series{{Market: testPair(t, testFQME, "0.01", "0.001")}}, SkipInvalid: skip}
		ss, err := NewSession(cfg, 60, 0, &SMACross{Fast: 2, Slow: 3, Size: 1})
		if err != nil {
			t.Fatal(err)
		}
		push := func(i int64, c float64) error {
			return ss.Push(feeds.BarEvent{FQME: testFQME, Bar: frames.Bar{Time: i * 60, Open: 100, High: 103, Low: 99, Close: c, Volume: 1}})
		}
		for i := int64(0); i < 5; i++ {
			if err := push(i, 100+float64(i%3)); err != nil {
				t.Fatal(err)
			}
		}
		err = push(5, math.NaN())
		var be *BarError
		switch {
		case !skip && (!errors.As(err, &be) || be.Field != "close" || be.Time != 300):
			t.Fatalf("NaN close: %v, want a BarError naming close at 300", err)
		case skip && err != nil:
			t.Fatalf("NaN close skipped: %v", err)
		}
		if !skip {
			continue
		}
		if err := push(6, 100); err != nil {
			t.Fatal(err)
		}
		res, err := ss.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.SkippedBars != 1 || res.Bars != 6 {
			t.Fatalf("skipped %d of %d bars, want 1 of 6 kept", res.SkippedBars, res.Bars)
		}
	}
}

// invalidBar is the rules an engine must refuse a bar by, written out
// independently of frames: a price or volume not finite, a price ≤ 0 or
// past 2^53 ticks, a low or high that does not bound the bar, a volume < 0.
func invalidBar(o, h, l, c, v, tick float64) bool {
	for _, x := range []float64{o, h, l, c, v} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return true
		}
	}
	for _, x := range []float64{o, h, l, c} {
		if x <= 0 || x/tick > 1<<53 {
			return true
		}
	}
	return l > o || l > c || h < o || h < c || v < 0
}

// TestEngineGarbageBarsNeverTrade feeds an engine holding random limit,
// market and stop orders random bars, a third of them garbage: a bar the
// rules refuse is an error that changes nothing; on every other, fills are
// priced inside the market's range, a limit never fills past its limit,
// and fees are never negative.
func TestEngineGarbageBarsNeverTrade(t *testing.T) {
	garbage := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -5, 1e300, 1e14, 5e-324}
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		e := newTestEngine(t, Config{Seed: seed, Fees: BpsFees(2, 5), Slippage: Slippage{Ticks: float64(rng.IntN(3))},
			Fill: FillModel{ProbFillOnTouch: 0.5, ProbSlippage: 0.5}})
		limits := map[string]Order{}
		price := 100.0
		for i := int64(0); i < 300; i++ {
			o := Order{FQME: testFQME, Side: Side(1 - 2*rng.IntN(2)), Type: OrderType(rng.IntN(3)), Size: decimal.New(int64(1+rng.IntN(900)), -3)}
			px := decimal.NewFromFloat(price * (0.9 + 0.2*rng.Float64())).Round(2)
			switch o.Type {
			case Limit:
				o.Price = px
			case Stop:
				o.Stop = px
			}
			if id, err := e.Submit(o); err == nil && o.Type == Limit {
				limits[id] = o
			}
			e.Reports()
			op, cl := price, price*math.Exp(rng.NormFloat64()*0.03)
			hi, lo, vol := math.Max(op, cl)*1.01, math.Min(op, cl)*0.99, 10.0
			if rng.IntN(3) == 0 {
				x := garbage[rng.IntN(len(garbage))]
				switch rng.IntN(6) {
				case 0:
					op = x
				case 1:
					hi = x
				case 2:
					lo = x
				case 3:
					cl = x
				case 4:
					vol = x
				default:
					hi, lo = lo, hi
				}
			}
			err := e.OnBar(bar(i, op, hi, lo, cl, vol))
			rs := e.Reports()
			if bad := invalidBar(op, hi, lo, cl, vol, 0.01); bad != (err != nil) {
				t.Fatalf("seed %d bar %d (%v %v %v %v %v): invalid=%v, error %v", seed, i, op, hi, lo, cl, vol, bad, err)
			}
			if err != nil {
				if len(rs) > 0 {
					t.Fatalf("seed %d bar %d: a refused bar reported %v", seed, i, rs)
				}
				continue
			}
			price = cl
			for _, r := range rs {
				if r.Kind != Fill {
					continue
				}
				if r.Price.Sign() <= 0 || r.Price.GreaterThan(decimal.New(1<<53, -2)) || r.Fee.Sign() < 0 {
					t.Fatalf("seed %d bar %d: fill %v", seed, i, r)
				}
				if l, ok := limits[r.OrderID]; ok && (l.Side == Buy && r.Price.GreaterThan(l.Price) || l.Side == Sell && r.Price.LessThan(l.Price)) {
					t.Fatalf("seed %d bar %d: limit %s at %s filled at %s", seed, i, l.Side, l.Price, r.Price)
				}
			}
		}
	}
}

// TestEngineRefusesPricesOutsideItsRange: a limit past 2^53 ticks is
// rejected, and slippage that would push a sell below zero cancels the
// order instead of booking a negative price.
func TestEngineRefusesPricesOutsideItsRange(t *testing.T) {
	e := newTestEngine(t, Config{Slippage: Slippage{Ticks: 500}})
	if _, err := e.Submit(Order{FQME: testFQME, Side: Buy, Type: Limit, Price: d("1e300"), Size: d("1")}); err == nil ||
		!strings.Contains(err.Error(), "beyond") {
		t.Fatalf("limit at 1e300: %v", err)
	}
	id := mustSubmit(t, e, Order{Side: Sell, Type: Market, Size: d("1")})
	e.Reports()
	rs := onBar(t, e, bar(1, 2, 2.5, 1.5, 2, 10)) // 2 − 500 ticks of 0.01 = −3
	if len(fills(rs)) != 0 {
		t.Fatalf("filled: %v", rs)
	}
	if o, _ := e.Order(id); o.Status != Canceled || !o.Filled.IsZero() {
		t.Fatalf("order %+v, want cancelled unfilled", o)
	}
}

// TestEngineRefusesInvalidTicks: quotes and prints that are not prices are
// errors naming the field, changing nothing; a backtest's ticks are
// checked before it starts.
func TestEngineRefusesInvalidTicks(t *testing.T) {
	e := newTestEngine(t, Config{})
	mustSubmit(t, e, Order{Side: Buy, Type: Limit, Price: d("99"), Size: d("1")})
	e.Reports()
	for _, tc := range []struct {
		err   error
		field string
	}{
		{e.OnQuote(feeds.Quote{Time: 1e9, FQME: testFQME, Bid: math.NaN(), Ask: 98}), "bid"},
		{e.OnQuote(feeds.Quote{Time: 1e9, FQME: testFQME, Bid: 97, Ask: math.Inf(1)}), "ask"},
		{e.OnTrade(feeds.Trade{Time: 1e9, FQME: testFQME, Price: 0, Size: 1}), "price"},
		{e.OnTrade(feeds.Trade{Time: 1e9, FQME: testFQME, Price: 1e300, Size: 1}), "price"},
		{e.OnTrade(feeds.Trade{Time: 1e9, FQME: testFQME, Price: 98, Size: math.NaN()}), "size"},
	} {
		var te *TickError
		if !errors.As(tc.err, &te) || te.Field != tc.field || te.FQME != testFQME {
			t.Errorf("%v: want a TickError naming %s", tc.err, tc.field)
		}
	}
	if rs := e.Reports(); len(rs) != 0 || e.Now() != 0 {
		t.Fatalf("refused ticks changed the engine: %v, now %d", rs, e.Now())
	}
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(10),
		Trades: []feeds.Trade{{Time: 30e9, FQME: testFQME, Price: math.NaN(), Size: 1}}}
	_, err := Backtest(BacktestConfig{Series: []Series{s}}, &SMACross{Fast: 2, Slow: 3, Size: 1})
	var te *TickError
	if !errors.As(err, &te) || te.Field != "price" || !strings.Contains(err.Error(), "trade 0") {
		t.Fatalf("a NaN print in a backtest: %v", err)
	}
}
