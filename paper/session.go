package paper

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
)

// Session is paper trading: a strategy and a clearing engine fed one closed
// bar at a time as a live feed delivers them, with the same runner a
// backtest uses. Pushing the bars of a series through a Session gives the
// fills, account and Result that Backtest gives on that series.
//
// A Session reads no clock and does no I/O: the caller brings the bars
// and records the fills. It is not safe for concurrent use.
type Session struct {
	r      *runner
	s      Strategy
	st     *stepper // samples the equity after each bar, as a backtest does
	period int64
	start  int64
	fills  []Report // every fill so far
	seen   int      // fills[:seen] have been handed out by Fills
	closed bool
}

// NewSession prepares a paper trading session of cfg's markets (cfg.Series
// give the markets; their Bars must be nil or empty: the history grows with
// Push) trading bars of period seconds from start (epoch s) on. The
// strategy's Start, if any, runs now, at start.
//
// Targets and Driver strategies are refused: they need the whole history
// up front, which a live feed does not have.
func NewSession(cfg BacktestConfig, period, start int64, s Strategy) (ss *Session, err error) {
	switch s.(type) {
	case *Targets:
		return nil, fmt.Errorf("paper session: a Targets strategy needs the whole series up front; " +
			"write it as an OnBar strategy to paper trade it")
	case *Driver:
		return nil, fmt.Errorf("paper session: a Driver strategy walks a recorded series; " +
			"write it as an OnBar strategy to paper trade it")
	}
	if period <= 0 {
		return nil, fmt.Errorf("paper session: bar period %d: want a positive number of seconds", period)
	}
	cfg.Series = append([]Series(nil), cfg.Series...)
	for i := range cfg.Series {
		sr := &cfg.Series[i]
		if sr.Bars.Len() > 0 || len(sr.Quotes) > 0 || len(sr.Trades) > 0 {
			return nil, fmt.Errorf("paper session %s: the series must start empty", sr.Market.FQME())
		}
		sr.Bars = frames.New(period, 0)
	}
	r, err := newRunner(context.Background(), cfg, s, "paper session")
	if err != nil {
		return nil, err
	}
	ss = &Session{r: r, s: s, period: period, start: start}
	ss.st = &stepper{r: r, perBar: len(r.mk) == 1}
	if err := ss.open(cfg.Opening); err != nil {
		return nil, err
	}
	r.onFill = func(f Report) { ss.fills = append(ss.fills, f) }
	r.res.Start = start * 1e9
	r.e.Advance(start * 1e9)
	if st, ok := s.(Starter); ok {
		if err := ss.guard("at start", func() error { return st.Start(r.ctx) }); err != nil {
			return nil, fmt.Errorf("paper session: strategy start: %w", err)
		}
		r.drain()
	}
	return ss, nil
}

// open books the transactions of the account the session continues: its
// positions and cash start from them, and its Result counts them among its
// fills (Transactions, which go to the ledger, leaves them out).
func (ss *Session) open(txs []Transaction) error {
	r := ss.r
	for _, tx := range txs {
		m := r.market(tx.FQME)
		if m == nil {
			return fmt.Errorf("paper session: opening transaction %s is for %s, not one of the session's markets", tx.TID, tx.FQME)
		}
		if tx.Size.IsZero() || tx.Price.Sign() <= 0 {
			return fmt.Errorf("paper session: opening transaction %s: size %s, price %s, cost %s", tx.TID, tx.Size, tx.Price, tx.Cost)
		}
		side := Buy
		if tx.Size.Sign() < 0 {
			side = Sell
		}
		r.opening = append(r.opening, Report{Kind: Fill, Time: tx.Time.UnixNano(), OrderID: tx.TID, FQME: m.fqme, Side: side,
			Price: tx.Price, Size: tx.Size.Abs(), Fee: tx.Cost, Remaining: decimal.Zero, ticks: -1})
		sz, px, fee := decFloat(tx.Size), decFloat(tx.Price), decFloat(tx.Cost)
		m.pos += sz
		if math.Abs(m.pos) < m.lot/2 {
			m.pos = 0
		}
		r.cash -= sz*px + fee
	}
	return nil
}

// guard runs f, turning a strategy's panic (a script may panic) into an error.
func (ss *Session) guard(where string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicked(where, p)
		}
	}()
	return f()
}

// panicked is the error of a strategy that panicked with p, where names
// when. It wraps p's own error, so that a caller may tell what the panic
// was (a sweep: a write to its read-only bars).
func panicked(where string, p any) error {
	perr, ok := p.(error)
	if !ok {
		perr = fmt.Errorf("%v", p)
	}
	return fmt.Errorf("strategy panicked %s: %w", where, perr)
}

// Push hands the session a closed bar of one of its markets: the engine
// matches the resting orders against it, the bar joins the market's history
// (Context.Bars), and the strategy's OnBar runs; orders it sends fill from
// the next bar on. A market's bars must come in time order, opening at or
// after the session's start, of the session's period; across markets, in
// order of their closes (as a backtest replays them). b.Time and b.Index
// are set from the bar. A bar nothing may trade on (see BarError) is an
// error, or with the config's SkipInvalid is skipped and counted.
func (ss *Session) Push(b feeds.BarEvent) error {
	r := ss.r
	if ss.closed {
		return fmt.Errorf("paper session: push after close")
	}
	m := r.market(b.FQME)
	if m == nil {
		return fmt.Errorf("paper session: bar for unknown market %q", b.FQME)
	}
	at := time.Unix(b.Bar.Time, 0).UTC().Format(time.RFC3339)
	switch {
	case b.Period != 0 && b.Period != ss.period:
		return fmt.Errorf("paper session %s: bar at %s has period %ds, want %ds", b.FQME, at, b.Period, ss.period)
	case b.Bar.Time < ss.start:
		return fmt.Errorf("paper session %s: bar at %s opens before the session's start", b.FQME, at)
	case m.bars.Len() > 0 && b.Bar.Time <= m.bars.Time[m.bars.Len()-1]:
		return fmt.Errorf("paper session %s: bar at %s is not after the previous one", b.FQME, at)
	case b.Time != 0 && b.Time != (b.Bar.Time+ss.period)*1e9:
		return fmt.Errorf("paper session %s: bar at %s closes at %d ns, want %d", b.FQME, at, b.Time, (b.Bar.Time+ss.period)*1e9)
	}
	b.Period, b.Time = ss.period, (b.Bar.Time+ss.period)*1e9
	if b.Time < r.e.Now() {
		return fmt.Errorf("paper session %s: bar at %s closes before the last bar handled", b.FQME, at)
	}
	if e := checkBar(b.FQME, b.Bar, r.e.market(b.FQME).maxPx); e != nil {
		if !r.cfg.SkipInvalid {
			return fmt.Errorf("paper session: %w", e)
		}
		r.res.SkippedBars++
		if len(r.res.Skipped) < maxSkippedKept {
			r.res.Skipped = append(r.res.Skipped, *e)
		}
		return nil
	}
	m.bars.Add(b.Bar.Time, b.Bar.Open, b.Bar.High, b.Bar.Low, b.Bar.Close, b.Bar.Volume)
	b.Index = m.bars.Len() - 1
	r.res.Bars++
	if err := r.closeBar(m, r.e.market(b.FQME), &b); err != nil {
		return fmt.Errorf("paper session %s bar at %s: %w", b.FQME, at, err)
	}
	r.last = b
	if err := ss.guard("at "+b.FQME+" bar "+at, func() error { ss.s.OnBar(r.ctx, b); return nil }); err != nil {
		return fmt.Errorf("paper session: %w", err)
	}
	ss.st.sample(b)
	return nil
}

// Fills returns the fills booked since the last call, in order.
func (ss *Session) Fills() []Report {
	out := ss.fills[ss.seen:len(ss.fills):len(ss.fills)]
	ss.seen = len(ss.fills)
	return out
}

// Transactions are all the session's fills so far as ledger transactions,
// numbered as a backtest's Result numbers them.
func (ss *Session) Transactions() []Transaction {
	return (&Result{Fills: ss.fills}).Transactions()
}

// Bars is how many bars the session has been given.
func (ss *Session) Bars() int { return ss.r.res.Bars }

// Position is the signed size held in a market (float, as Context.Position).
func (ss *Session) Position(fqme string) float64 { return ss.r.ctx.Position(fqme) }

// Cash is the account's cash (float; Close's Result is exact).
func (ss *Session) Cash() float64 { return ss.r.cash }

// Equity is cash plus every position marked at its last close.
func (ss *Session) Equity() float64 { return ss.r.equity() }

// Close ends the session: the strategy's Finish runs, and the Result holds
// the fills, orders, exact account and statistics, as a backtest's would
// over the bars pushed. It fails when no bar came.
func (ss *Session) Close() (*Result, error) {
	if ss.closed {
		return nil, fmt.Errorf("paper session: closed twice")
	}
	ss.closed = true
	r := ss.r
	if r.res.Bars == 0 {
		return nil, fmt.Errorf("paper session: no bars")
	}
	if f, ok := ss.s.(Finisher); ok {
		if err := ss.guard("in Finish", func() error { f.Finish(r.ctx); return nil }); err != nil {
			return nil, fmt.Errorf("paper session: %w", err)
		}
		r.drain()
	}
	if ss.st.perBar {
		f := r.mk[0].bars
		r.res.Equity.opens, r.res.Equity.period = f.Time, f.Period
	}
	r.finish()
	r.res.session = true
	r.e.recycle()
	return r.res, nil
}
