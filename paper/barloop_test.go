package paper

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"workbench/feeds"
)

// loopOf is on as a BarLoop, written the way the scripts package writes
// an OnBar's body into one.
func loopOf(on func(*Context, feeds.BarEvent)) BarLoop {
	return func(c *Context, bars []feeds.BarEvent, at []int) {
		for k := at[0]; k < at[1]; k++ {
			at[0] = k
			on(c, bars[k])
		}
	}
}

// loopStrategy is a strategy under test: its functions, and what it saw.
type loopStrategy struct {
	f   *Funcs
	log *[]string
}

// The strategies a BarLoop must run exactly as bar-by-bar OnBar calls run
// them; each logs what it sees of the account, so a catch-up that came too
// late or too early shows in the log as well as in the result.
var loopStrategies = map[string]func() loopStrategy{
	// Orders now and then, the account never read between them.
	"sma-cross": func() loopStrategy {
		s := &SMACross{Fast: 10, Slow: 30, Size: 1}
		return loopStrategy{f: &Funcs{StartFunc: s.Start, BarFunc: s.OnBar}, log: new([]string)}
	},
	// Orders of every kind on every bar, the account read on every bar.
	"every-bar": func() loopStrategy {
		var log []string
		var ids []string
		on := func(c *Context, b feeds.BarEvent) {
			fq := b.FQME
			log = append(log, fmt.Sprint(b.Index, c.Position(fq), c.Cash(), c.Equity(), c.Time(), c.Bars(fq).Len(), len(c.OpenOrders(""))))
			size := float64(b.Index%5+1) * 0.37
			if b.Index%2 == 0 {
				c.Buy(fq, size)
			} else {
				c.Sell(fq, size)
			}
			switch b.Index % 7 {
			case 0:
				ids = append(ids, c.LimitOrder(fq, size, b.Bar.Close*0.999))
			case 3:
				ids = append(ids, c.StopOrder(fq, -size, b.Bar.Close*0.998))
			case 5:
				if len(ids) > 0 {
					c.Cancel(ids[0])
					ids = ids[1:]
				}
			case 6:
				if len(ids) > 0 {
					c.Amend(ids[len(ids)-1], b.Bar.Close*0.997, 0)
				}
			}
		}
		return loopStrategy{f: &Funcs{BarFunc: on}, log: &log}
	},
	// Resting orders filling over long stretches in which the strategy
	// neither trades nor looks: the engine catches up many bars at once.
	"look-rarely": func() loopStrategy {
		var log []string
		on := func(c *Context, b feeds.BarEvent) {
			if b.Index%97 != 0 {
				return
			}
			fq := b.FQME
			log = append(log, fmt.Sprint(b.Index, c.Position(fq), c.Cash(), c.Equity(), c.Time(), c.Bars(fq).Len(), c.Close(fq), c.Bar().Index))
			if c.Position(fq) > 0 {
				c.LimitOrder(fq, -c.Position(fq), b.Bar.Close*1.002)
			} else {
				c.LimitOrder(fq, 2, b.Bar.Close*0.998)
			}
		}
		return loopStrategy{f: &Funcs{BarFunc: on}, log: &log}
	},
	// A fill handler whose state OnBar reads before it calls the Context:
	// each fill must reach it before the next OnBar, as bar by bar.
	"on-fill": func() loopStrategy {
		var log []string
		stop := ""
		on := func(c *Context, b feeds.BarEvent) {
			log = append(log, fmt.Sprint("bar ", b.Index, " stop ", stop))
			fq := b.FQME
			switch {
			case stop == "" && b.Index%50 == 10:
				c.Buy(fq, 1)
			case stop == "" && b.Index%50 == 11 && c.Position(fq) > 0:
				stop = c.StopOrder(fq, -c.Position(fq), b.Bar.Close*0.995)
			case b.Index%50 == 40 && c.Position(fq) > 0:
				c.Cancel(stop)
				c.Sell(fq, c.Position(fq))
				stop = ""
			}
		}
		fill := func(c *Context, r Report) {
			log = append(log, fmt.Sprint("fill ", r.OrderID, " ", r.Size, " ", r.Price, " at ", c.Time()))
			if r.OrderID == stop {
				stop = ""
			}
		}
		return loopStrategy{f: &Funcs{BarFunc: on, FillFunc: fill}, log: &log}
	},
}

// sameResult fails unless a and b would be written out byte for byte the
// same: the JSON report (stats, fills, orders, rejects, positions), the
// equity curve, and the statistics at full precision.
func sameResult(t *testing.T, what string, a, b *Result) {
	t.Helper()
	var ja, jb, ea, eb bytes.Buffer
	for _, w := range []struct {
		res  *Result
		j, e *bytes.Buffer
	}{{a, &ja, &ea}, {b, &jb, &eb}} {
		if err := w.res.WriteJSON(w.j); err != nil {
			t.Fatal(err)
		}
		if err := w.res.WriteEquityCSV(w.e); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(ja.Bytes(), jb.Bytes()) {
		t.Fatalf("%s: the reports differ:\n%s\n---\n%s", what, firstDiff(ja.String(), jb.String()), firstDiff(jb.String(), ja.String()))
	}
	if !bytes.Equal(ea.Bytes(), eb.Bytes()) {
		t.Fatalf("%s: the equity curves differ: %s", what, firstDiff(ea.String(), eb.String()))
	}
	if sa, sb := fmt.Sprintf("%+v", a.Stats), fmt.Sprintf("%+v", b.Stats); sa != sb {
		t.Fatalf("%s: stats\n%s\n%s", what, sa, sb)
	}
}

// firstDiff is a's lines from the first that b does not have at its place.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range la {
		if i >= len(lb) || la[i] != lb[i] {
			return strings.Join(la[i:min(len(la), i+5)], "\n")
		}
	}
	return ""
}

// loopConfigs are the backtests of n bars a loop must run as OnBar bar by
// bar runs them: plain, with order latency, and with invalid bars skipped.
func loopConfigs(t *testing.T, n int) []BacktestConfig {
	s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: randomWalkBars(n)}
	spoiled := s
	spoiled.Bars = spoilt(s.Bars, 1717, "high", -1)
	cfgs := []BacktestConfig{
		{Series: []Series{s}},
		{Series: []Series{s}, Latency: Latency{Order: 90e9, Cancel: 30e9}},
		{Series: []Series{spoiled}, SkipInvalid: true},
	}
	for i := range cfgs {
		cfgs[i].Fees, cfgs[i].Calendar = BpsFees(2, 10), "crypto"
	}
	return cfgs
}

// A BarLoop gives the Result bar-by-bar OnBar calls give, and shows the
// strategy the same account at each bar: with and without order latency,
// and with invalid bars skipped.
func TestFuncsLoopMatchesBarFunc(t *testing.T) {
	for i, cfg := range loopConfigs(t, 5000) {
		for name, mk := range loopStrategies {
			what := fmt.Sprintf("%s, config %d", name, i)
			bb := mk()
			want, err := Backtest(cfg, bb.f)
			if err != nil {
				t.Fatalf("%s bar by bar: %v", what, err)
			}
			lp := mk()
			lp.f.LoopFunc = loopOf(lp.f.BarFunc)
			got, err := Backtest(cfg, lp.f)
			if err != nil {
				t.Fatalf("%s as a loop: %v", what, err)
			}
			if len(want.Fills) < 20 {
				t.Fatalf("%s: only %d fills", what, len(want.Fills))
			}
			sameResult(t, what, want, got)
			if a, b := strings.Join(*bb.log, "\n"), strings.Join(*lp.log, "\n"); a != b {
				t.Fatalf("%s: the strategy saw\n%s\nbar by bar, but\n%s\nas a loop", what, firstDiff(a, b), firstDiff(b, a))
			}
		}
	}
}

// A strategy's panic and an invalid bar end a BarLoop's backtest with the
// error, naming the same bar, that they end a bar-by-bar one with.
func TestFuncsLoopErrorsMatchBarFunc(t *testing.T) {
	bars := randomWalkBars(3000)
	bad := spoilt(bars, 2100, "close", math.NaN())
	for _, c := range []struct {
		name string
		bars int
		on   func(*Context, feeds.BarEvent)
	}{
		{"panic", 0, func(c *Context, b feeds.BarEvent) {
			if b.Index == 1234 {
				var m map[string]int
				m["x"] = 1
			}
		}},
		{"invalid bar", 1, func(c *Context, b feeds.BarEvent) {
			if b.Index%100 == 0 {
				c.Target(b.FQME, float64(b.Index%200)/100)
			}
		}},
	} {
		s := Series{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: bars}
		if c.bars == 1 {
			s.Bars = bad
		}
		cfg := BacktestConfig{Series: []Series{s}}
		_, want := Backtest(cfg, &Funcs{BarFunc: c.on})
		_, got := Backtest(cfg, &Funcs{BarFunc: c.on, LoopFunc: loopOf(c.on)})
		if want == nil || got == nil || got.Error() != want.Error() {
			t.Fatalf("%s: bar by bar %v, as a loop %v", c.name, want, got)
		}
	}
}

// SMACross's own RowLoop, which a backtest of one market runs, gives the
// Result its OnBar called bar by bar gives: sized and investing a fraction
// of the equity, with order latency and with invalid bars skipped.
func TestSMACrossLoopMatchesOnBar(t *testing.T) {
	for i, cfg := range loopConfigs(t, 20000) {
		for _, mk := range []func() *SMACross{
			func() *SMACross { return &SMACross{Fast: 10, Slow: 30, Size: 1} },
			func() *SMACross { return NewSMACross(7, 19) },
		} {
			bb := mk()
			want, err := Backtest(cfg, &Funcs{StartFunc: bb.Start, BarFunc: bb.OnBar})
			if err != nil {
				t.Fatal(err)
			}
			lp := mk()
			if lp.RowLoop() == nil {
				t.Fatal("SMACross has no RowLoop")
			}
			got, err := Backtest(cfg, lp)
			if err != nil {
				t.Fatal(err)
			}
			what := fmt.Sprintf("sma-cross %d/%d, config %d", lp.Fast, lp.Slow, i)
			if len(want.Fills) < 100 {
				t.Fatalf("%s: only %d fills", what, len(want.Fills))
			}
			sameResult(t, what, want, got)
		}
	}
}
