package paper

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
)

// Strategy decides orders from what it has seen. OnBar runs once per closed
// bar, after the engine has matched that bar, so the strategy sees its own
// fills up to the bar's close and nothing later.
//
// A strategy may also implement Starter, FillHandler, QuoteHandler,
// TradeHandler and Finisher. Scripts
// that cannot declare methods on a compiled interface can fill in a Funcs.
type Strategy interface {
	OnBar(c *Context, b feeds.BarEvent)
}

// Starter is a Strategy that prepares itself before the first bar.
type Starter interface {
	Start(c *Context) error
}

// FillHandler is a Strategy told of each of its fills.
type FillHandler interface {
	OnFill(c *Context, f Report)
}

// QuoteHandler is a Strategy that sees quotes (after the engine matched them).
type QuoteHandler interface {
	OnQuote(c *Context, q feeds.Quote)
}

// TradeHandler is a Strategy that sees trades (after the engine matched them).
type TradeHandler interface {
	OnTrade(c *Context, t feeds.Trade)
}

// Finisher is a Strategy told when the data has run out.
type Finisher interface {
	Finish(c *Context)
}

// Funcs is a Strategy made of functions; nil ones are skipped. It is the
// shape a script hands over: each call crosses into the interpreter once.
type Funcs struct {
	StartFunc func(c *Context) error
	BarFunc   func(c *Context, b feeds.BarEvent)
	// LoopFunc, when set, is BarFunc as a loop over batches of bars (see
	// BarLoop): a backtest of one market without quotes or trades runs it
	// instead of BarFunc, which the other runs (several markets, ticks, a
	// paper session) call bar by bar.
	LoopFunc   BarLoop
	FillFunc   func(c *Context, f Report)
	QuoteFunc  func(c *Context, q feeds.Quote)
	TradeFunc  func(c *Context, t feeds.Trade)
	FinishFunc func(c *Context)
}

// OnQuote implements QuoteHandler.
func (f *Funcs) OnQuote(c *Context, q feeds.Quote) {
	if f.QuoteFunc != nil {
		f.QuoteFunc(c, q)
	}
}

// OnTrade implements TradeHandler.
func (f *Funcs) OnTrade(c *Context, t feeds.Trade) {
	if f.TradeFunc != nil {
		f.TradeFunc(c, t)
	}
}

// Start implements Starter.
func (f *Funcs) Start(c *Context) error {
	if f.StartFunc == nil {
		return nil
	}
	return f.StartFunc(c)
}

// BarLoop implements Looper.
func (f *Funcs) BarLoop() BarLoop { return f.LoopFunc }

// OnBar implements Strategy.
func (f *Funcs) OnBar(c *Context, b feeds.BarEvent) {
	if f.BarFunc != nil {
		f.BarFunc(c, b)
	}
}

// OnFill implements FillHandler.
func (f *Funcs) OnFill(c *Context, r Report) {
	if f.FillFunc != nil {
		f.FillFunc(c, r)
	}
}

// Finish implements Finisher.
func (f *Funcs) Finish(c *Context) {
	if f.FinishFunc != nil {
		f.FinishFunc(c)
	}
}

// Context is a strategy's view of a backtest: the past of each market, its
// positions and cash, and the order entry of the engine. It serves while the
// backtest runs; after it, the engine's orders are gone (the next backtest
// reuses their memory) and Order finds none.
type Context struct {
	r *runner
}

// Time is the current event time, epoch ns.
func (c *Context) Time() int64 { return c.run().e.Now() }

// Markets lists the fqmes in the backtest, in the order they were given.
func (c *Context) Markets() []string {
	out := make([]string, len(c.r.mk))
	for i, m := range c.r.mk {
		out[i] = m.fqme
	}
	return out
}

// Bars returns a market's bars up to and including the last closed one, as
// a view that must not be modified. It is nil for an unknown market.
func (c *Context) Bars(fqme string) *frames.OHLCV {
	m := c.run().market(fqme)
	if m == nil {
		return nil
	}
	return m.bars.Rows(0, m.next)
}

// Close is the last closed bar's close of a market (NaN before the first).
func (c *Context) Close(fqme string) float64 {
	m := c.run().market(fqme)
	if m == nil || m.next == 0 {
		return math.NaN()
	}
	return m.bars.Close[m.next-1]
}

// Position is the signed size held in a market.
func (c *Context) Position(fqme string) float64 {
	if m := c.run().market(fqme); m != nil {
		return m.pos
	}
	return 0
}

// Cash is the account's cash (float, for decisions; the report is exact).
func (c *Context) Cash() float64 { return c.run().cash }

// Equity is cash plus every position marked at its last close.
func (c *Context) Equity() float64 { return c.run().equity() }

// Submit sends an order to the engine.
func (c *Context) Submit(o Order) (string, error) { return c.run().submit(o) }

// Cancel asks the engine to cancel an order.
func (c *Context) Cancel(id string) error { return c.run().e.Cancel(id) }

// Amend asks the engine to change an order's price and/or size (zero
// keeps). The price is rounded to the tick as LimitOrder and StopOrder round
// it: a stop's trigger so that it fires no earlier (a buy stop up, a sell
// stop down), a limit so that it trades no worse (a buy down, a sell up).
func (c *Context) Amend(id string, price, size float64) error {
	o, ok := c.run().e.Order(id)
	if !ok {
		return c.r.e.Amend(id, decimal.Zero, decimal.Zero)
	}
	m := c.r.e.market(o.FQME)
	var p, s decimal.Decimal
	if price != 0 {
		up := o.Side == Sell
		if o.Type == Stop {
			up = o.Side == Buy
		}
		p = onTick(m, price, up)
	}
	if size != 0 {
		s = m.sizeOf(int64(math.Round(math.Abs(size) / m.lot)))
	}
	return c.r.e.Amend(id, p, s)
}

// Order returns an order's state.
func (c *Context) Order(id string) (OrderInfo, bool) { return c.run().e.Order(id) }

// OpenOrders lists a market's live orders ("" for all markets).
func (c *Context) OpenOrders(fqme string) []OrderInfo { return c.run().e.OpenOrders(fqme) }

// Buy sends a market buy of size units (rounded to the size tick) and
// returns its ID, or "" if it was rejected (the reject is in the report).
func (c *Context) Buy(fqme string, size float64) string {
	return c.MarketOrder(fqme, math.Abs(size))
}

// Sell sends a market sell of size units.
func (c *Context) Sell(fqme string, size float64) string {
	return c.MarketOrder(fqme, -math.Abs(size))
}

// MarketOrder sends a market order for a signed size (+ buy, − sell).
func (c *Context) MarketOrder(fqme string, signed float64) string {
	id, _ := c.run().order(fqme, signed, Market, 0)
	return id
}

// LimitOrder sends a GTC limit order for a signed size at price, rounded
// to the price tick against the order (a buy down, a sell up).
func (c *Context) LimitOrder(fqme string, signed, price float64) string {
	id, _ := c.run().order(fqme, signed, Limit, price)
	return id
}

// StopOrder sends a stop (market once price reaches stop) for a signed size;
// stop is rounded to the price tick so that it triggers no earlier (a buy
// stop up, a sell stop down).
func (c *Context) StopOrder(fqme string, signed, stop float64) string {
	id, _ := c.run().order(fqme, signed, Stop, stop)
	return id
}

// Target sends a market order for the difference between size and the
// position plus what open market orders will still add, so that calling it
// on every bar trades only when the target changes.
func (c *Context) Target(fqme string, size float64) string {
	m := c.run().market(fqme)
	if m == nil {
		id, _ := c.r.order(fqme, size, Market, 0)
		return id
	}
	diff := size - m.pos - m.pendingMarket
	if math.Abs(diff) < m.lot/2 {
		return ""
	}
	id, _ := c.r.order(fqme, diff, Market, 0)
	return id
}

// SMACross is the classic moving-average crossover, long or flat: it targets
// a long position while the Fast-bar simple moving average of closes is above
// the Slow-bar one, and flat otherwise. It trades market orders on each
// market it is given.
type SMACross struct {
	Fast, Slow int
	// Size is the units to hold when long; when 0, Fraction of the equity
	// split evenly across the markets is invested at each entry.
	Size     float64
	Fraction float64

	state map[string]*smaState
	last  *smaState
}

type smaState struct {
	fqme         string
	ring         []float64
	n, i         int
	fast, slow   float64
	long, primed bool
}

// NewSMACross returns a crossover with the given windows investing 95% of
// the equity.
func NewSMACross(fast, slow int) *SMACross {
	return &SMACross{Fast: fast, Slow: slow, Fraction: 0.95}
}

// Start implements Starter.
func (s *SMACross) Start(c *Context) error {
	if s.Fast < 1 || s.Slow <= s.Fast {
		return fmt.Errorf("sma-cross: need 1 ≤ fast < slow, got %d and %d", s.Fast, s.Slow)
	}
	if s.Size <= 0 && (s.Fraction <= 0 || s.Fraction > 1) {
		return fmt.Errorf("sma-cross: need a size or a fraction in (0, 1], got %g", s.Fraction)
	}
	s.state = make(map[string]*smaState)
	return nil
}

// OnBar implements Strategy. The moving averages are running sums over a
// ring of the last Slow closes, so a bar costs O(1).
func (s *SMACross) OnBar(c *Context, b feeds.BarEvent) {
	closes, at := [1]float64{b.Bar.Close}, [2]int{0, 1}
	s.loop(c, s.stateOf(b.FQME), closes[:], at[:])
}

// RowLoop implements RowLooper.
func (s *SMACross) RowLoop() RowLoop {
	return func(c *Context, bars *frames.OHLCV, at []int) {
		s.loop(c, s.stateOf(c.r.mk[0].fqme), bars.Close, at)
	}
}

// loop is OnBar over closes at[0] to at[1] of one market (see BarLoop). The
// averages' state lives in locals across the batch, stored back before the
// strategy trades and at the end: through memory, each bar would wait on
// the stores of the one before.
func (s *SMACross) loop(c *Context, st *smaState, closes []float64, at []int) {
	slow, fast := s.Slow, s.Fast
	fs, ss := float64(fast), float64(slow)
	ring := st.ring[:slow]
	n, i, fsum, ssum := st.n, st.i, st.fast, st.slow
	// j is where the fast window's oldest close sits: Fast back from i.
	j := i + slow - fast
	if j >= slow {
		j -= slow
	}
	for k, hi := at[0], at[1]; k < hi; k++ {
		x := closes[k]
		if n >= fast {
			fsum -= ring[j]
		}
		if n >= slow {
			ssum -= ring[i]
		} else {
			n++
		}
		ring[i] = x
		if i++; i == slow {
			i = 0
		}
		if j++; j == slow {
			j = 0
		}
		fsum += x
		ssum += x
		if n < slow {
			continue
		}
		long := fsum*ss > ssum*fs
		if st.primed && long == st.long {
			continue
		}
		wasPrimed := st.primed
		st.primed, st.long = true, long
		if !wasPrimed && !long {
			continue
		}
		at[0] = k
		st.n, st.i, st.fast, st.slow = n, i, fsum, ssum
		size := 0.0
		if long {
			if size = s.Size; size <= 0 {
				size = c.Equity() * s.Fraction / float64(len(c.r.mk)) / x
			}
		}
		c.Target(st.fqme, size)
		// The backtest may have ended the batch at this bar.
		hi = at[1]
	}
	st.n, st.i, st.fast, st.slow = n, i, fsum, ssum
}

func (s *SMACross) stateOf(fqme string) *smaState {
	st := s.last
	if st == nil || st.fqme != fqme {
		if s.state == nil {
			s.state = make(map[string]*smaState)
		}
		st = s.state[fqme]
		if st == nil {
			st = &smaState{fqme: fqme, ring: make([]float64, s.Slow)}
			s.state[fqme] = st
		}
		s.last = st
	}
	return st
}

// Driver is a strategy that runs its own loop: Func is called once and walks
// through the bars with Context.Next, each call replaying the next closed bar
// (the engine matches it and books the fills) and returning it. Bars that
// Func does not step through are replayed after it returns, so its resting
// orders still trade. It is the fast per-bar shape for a script: the loop
// runs in the interpreter and each bar costs one call into compiled code,
// about a third of what a compiled-to-script callback costs.
type Driver struct {
	Func func(c *Context)
}

// OnBar implements Strategy; a Driver's bars come through Context.Next.
func (d *Driver) OnBar(c *Context, b feeds.BarEvent) {}

// Next steps a Driver to the next closed bar; false when the data has run
// out, the backtest was cancelled, or outside a Driver.
func (c *Context) Next() (feeds.BarEvent, bool) {
	st := c.r.step
	if st == nil || st.err != nil {
		return feeds.BarEvent{}, false
	}
	if st.pending {
		st.sample(st.cur)
		st.pending = false
	}
	b, ok, err := st.next()
	if err != nil {
		st.err = err
		return feeds.BarEvent{}, false
	}
	if ok {
		c.r.last = b
		st.cur, st.pending = b, true
	}
	return b, ok
}

// NextClose is Next for a one-market loop: it returns only the bar's close,
// which crosses into a script at a fraction of the cost of the whole event
// (Bar returns the rest).
func (c *Context) NextClose() (float64, bool) {
	b, ok := c.Next()
	return b.Bar.Close, ok
}

// Bar is the last closed bar handed to the strategy.
func (c *Context) Bar() feeds.BarEvent { return c.run().lastBar() }

// Targets is a strategy computed in one pass per market: Func returns, for a
// market's whole series, the position to hold after each bar's close (NaN
// leaves the position as it is), and the backtest trades toward it with
// market orders. It is how a script runs at compiled speed: one
// interpreted call per market instead of one per bar, with the work done by
// compiled batch indicators.
//
// Target i must depend on bars 0…i only. The backtest checks this: it
// recomputes the targets on the first half of each series and requires them
// to equal the full run's (a look-ahead shows up as a difference, or as a
// panic from reading past the end).
type Targets struct {
	Func func(bars *frames.OHLCV) []float64

	byFQME map[string][]float64
	fqme   string
	cur    []float64
}

// prepare computes and checks the targets of every series.
func (t *Targets) prepare(series []Series) error {
	if t.Func == nil {
		return fmt.Errorf("targets: no Func")
	}
	t.byFQME = make(map[string][]float64, len(series))
	for _, s := range series {
		fq := s.Market.FQME()
		full, err := t.call(s.Bars)
		if err != nil {
			return fmt.Errorf("targets %s: %w", fq, err)
		}
		if len(full) != s.Bars.Len() {
			return fmt.Errorf("targets %s: %d targets for %d bars", fq, len(full), s.Bars.Len())
		}
		if k := s.Bars.Len() / 2; k > 0 {
			half, err := t.call(s.Bars.Rows(0, k))
			if err != nil {
				return fmt.Errorf("targets %s: on the first %d bars: %w (does it look ahead?)", fq, k, err)
			}
			if len(half) != k {
				return fmt.Errorf("targets %s: %d targets for the first %d bars", fq, len(half), k)
			}
			for i := range half {
				if half[i] != full[i] && !(math.IsNaN(half[i]) && math.IsNaN(full[i])) {
					return fmt.Errorf("targets %s: the target after bar %d (%s) is %g with the whole series but %g "+
						"with bars from %d on hidden: it looks ahead", fq, i,
						time.Unix(s.Bars.Time[i], 0).UTC().Format(time.RFC3339), full[i], half[i], k)
				}
			}
		}
		t.byFQME[fq] = full
	}
	return nil
}

// call runs Func under recover: a script's panic must not take the host down.
func (t *Targets) call(bars *frames.OHLCV) (out []float64, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return t.Func(bars), nil
}

// OnBar implements Strategy.
func (t *Targets) OnBar(c *Context, b feeds.BarEvent) {
	if b.FQME != t.fqme {
		t.fqme, t.cur = b.FQME, t.byFQME[b.FQME]
	}
	if b.Index < 0 || b.Index >= len(t.cur) {
		return
	}
	if x := t.cur[b.Index]; !math.IsNaN(x) {
		c.Target(b.FQME, x)
	}
}

// BuyHold is the baseline: on each market's first bar it buys Fraction of
// the starting equity split evenly across the markets, and holds.
type BuyHold struct {
	Fraction float64
	bought   map[string]bool
}

// OnBar implements Strategy.
func (s *BuyHold) OnBar(c *Context, b feeds.BarEvent) {
	if s.bought == nil {
		s.bought = make(map[string]bool)
	}
	if s.bought[b.FQME] {
		return
	}
	s.bought[b.FQME] = true
	f := s.Fraction
	if f <= 0 || f > 1 {
		f = 0.95
	}
	c.Target(b.FQME, c.r.cfg.Cash.InexactFloat64()*f/float64(len(c.r.mk))/b.Bar.Close)
}

// builtins are the compiled strategies the CLI knows by name.
var builtins = map[string]func() Strategy{
	"sma-cross": func() Strategy { return NewSMACross(10, 30) },
	"buy-hold":  func() Strategy { return &BuyHold{Fraction: 0.95} },
}

// BuiltinStrategy returns a new compiled strategy by name.
func BuiltinStrategy(name string) (Strategy, error) {
	f, ok := builtins[name]
	if !ok {
		return nil, fmt.Errorf("unknown strategy %q (known: %v)", name, BuiltinStrategies())
	}
	return f(), nil
}

// BuiltinStrategies lists the names BuiltinStrategy knows.
func BuiltinStrategies() []string {
	var names []string
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
