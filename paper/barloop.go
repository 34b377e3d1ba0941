package paper

import (
	"fmt"

	"workbench/feeds"
	"workbench/frames"
)

// BarLoop is a strategy's OnBar written as a loop over a batch of bars: for
// k from at[0] while k < at[1] (read afresh for every bar: the backtest may
// lower it), it sets at[0] = k and runs OnBar's body for bars[k]. A script
// strategy hands one over (Funcs.LoopFunc) because a call into the
// interpreter costs several times the body of a typical OnBar; with a
// BarLoop a backtest crosses into the script once per batch instead of once
// per bar.
//
// The batch is handed out before the engine has closed its bars. The
// backtest catches the engine up lazily: every Context method first closes
// the bars up to the one at[0] names, and the end of the batch closes the
// rest. Between two calls into the Context the strategy sees nothing of the
// engine, so it sees what OnBar called bar by bar sees, and the Result is
// the same bit for bit. A fill handler (Funcs.FillFunc) is what the lazy
// catch-up would run late, so with one a batch covers only bars over which
// no order rests, and ends with the bar that places one.
type BarLoop func(c *Context, bars []feeds.BarEvent, at []int)

// Looper is a Strategy whose OnBar also comes as a BarLoop (nil when it
// does not, this time). A backtest of one market without quotes or trades
// runs the loop; everything else calls OnBar bar by bar. A compiled
// strategy gains from it too: OnBar bar by bar copies each event into the
// call, a loop reads the batch in place.
type Looper interface {
	BarLoop() BarLoop
}

// RowLoop is a BarLoop over the market's columns instead of a batch of
// events: rows at[0] to at[1] of bars (whose rows end with the batch), the
// same contract otherwise. A compiled strategy that reads a column or two
// skips the building of an event per bar.
type RowLoop func(c *Context, bars *frames.OHLCV, at []int)

// RowLooper is a Strategy whose OnBar also comes as a RowLoop (nil when it
// does not); a backtest prefers it to a BarLoop where it would run either.
type RowLooper interface {
	RowLoop() RowLoop
}

// loopBatch is the number of bars a BarLoop gets at a time: enough that
// the call into the interpreter costs a few nanoseconds a bar.
const loopBatch = 1024

// barLoop is a BarLoop's run over a single market's bars.
type barLoop struct {
	r  *runner
	m  *runMarket
	em *market
	// fills is whether the strategy has a fill handler (see BarLoop).
	fills bool
	buf   []feeds.BarEvent
	at    []int
	lo    int // the row of buf[0]
	// bars[:closed] have been closed by the engine, bars[:sampled] have
	// their equity sample.
	closed, sampled int
	inScript        bool
	err             error
}

// loopsOf is s's RowLoop or else its BarLoop, if it has either.
func loopsOf(s Strategy) (RowLoop, BarLoop) {
	if l, ok := s.(RowLooper); ok {
		if fn := l.RowLoop(); fn != nil {
			return fn, nil
		}
	}
	if l, ok := s.(Looper); ok {
		return nil, l.BarLoop()
	}
	return nil, nil
}

// runLoop replays a single series without quotes or trades through a
// RowLoop or a BarLoop; runOne is the same replay calling OnBar for each
// bar.
func (r *runner) runLoop(rows RowLoop, fn BarLoop, fills bool) error {
	m := r.mk[0]
	f := m.bars
	n := f.Len()
	eq := &r.res.Equity
	eq.opens, eq.period = f.Time, f.Period
	eq.Value = make([]float64, n)
	lp := &barLoop{r: r, m: m, em: r.e.market(m.fqme), fills: fills, at: make([]int, 2)}
	if rows == nil {
		lp.buf = make([]feeds.BarEvent, min(n, loopBatch))
	}
	r.loop = lp
	defer func() {
		r.loop = nil
		if lp.inScript {
			// A panic: the backtest's error names the bar the strategy was at.
			r.row = lp.lo + lp.at[0] + 1
		}
	}()
	maxPx := lp.em.maxPx
	for lp.sampled < n {
		lo := lp.sampled
		if lo&0xffff == 0 {
			if err := r.ctx0.Err(); err != nil {
				return fmt.Errorf("backtest: %w", err)
			}
		}
		// Batches end where runOne checks the context, so a cancelled
		// backtest stops at the same bar.
		end := min(n, lo+loopBatch, (lo|0xffff)+1)
		if fills && !lp.quiet() {
			end = lo + 1
		}
		if !m.checked {
			if end = validRows(f, lo, end, maxPx); end == lo {
				return fmt.Errorf("backtest: %w", checkBar(m.fqme, f.At(lo), maxPx))
			}
		}
		if rows != nil {
			lp.lo, lp.at[0], lp.at[1] = 0, lo, end
		} else {
			lp.fill(lo, end)
			lp.lo, lp.at[0], lp.at[1] = lo, 0, end-lo
		}
		// The first bar is closed before the strategy sees it, so that a
		// fill handler runs before OnBar, as in runOne.
		if lp.closeTo(lo); lp.err != nil {
			return lp.err
		}
		lp.inScript = true
		if rows != nil {
			rows(r.ctx, f.Rows(0, end), lp.at)
		} else {
			fn(r.ctx, lp.buf[:end-lo], lp.at)
		}
		lp.inScript = false
		end = lp.lo + lp.at[1]
		if lp.closeTo(end - 1); lp.err != nil {
			return lp.err
		}
		lp.sampleTo(end)
	}
	r.res.End = eq.Time(n - 1)
	return nil
}

// fill builds the batch of events for rows lo to end (excluded) field by
// field, as runOne builds its bar: a Bar built whole is stored, then copied
// in 16-byte moves that stall on the 8-byte stores just made. Every field:
// the strategy may have written to the batch.
func (lp *barLoop) fill(lo, end int) {
	m := lp.m
	f := m.bars
	tm, op, hi, lw, cl, vol := f.Time[lo:end], f.Open[lo:end], f.High[lo:end], f.Low[lo:end], f.Close[lo:end], f.Volume[lo:end]
	buf := lp.buf[:end-lo]
	for i := range buf {
		b := &buf[i]
		b.Time, b.FQME, b.Period, b.Index, b.Forming, b.Recv = (tm[i]+f.Period)*1e9, m.fqme, f.Period, lo+i, false, 0
		x := &b.Bar
		x.Time, x.Open, x.High, x.Low, x.Close, x.Volume = tm[i], op[i], hi[i], lw[i], cl[i], vol[i]
	}
}

// validRows is the end of the run of rows from lo, up to end, that a
// backtest may trade on: lo when row lo itself may not.
func validRows(f *frames.OHLCV, lo, end int, maxPx float64) int {
	op, hi, lw, cl, vol := f.Open[lo:end], f.High[lo:end], f.Low[lo:end], f.Close[lo:end], f.Volume[lo:end]
	for i := range op {
		if !frames.ValidBar(op[i], hi[i], lw[i], cl[i], vol[i]) || hi[i] > maxPx {
			return lo + i
		}
	}
	return end
}

// quiet reports that closing the next bar can fill nothing: no order
// rests and nothing is scheduled.
func (lp *barLoop) quiet() bool { return len(lp.em.orders) == 0 && len(lp.r.e.ops) == 0 }

// closeTo catches the engine up with the strategy at row j: it closes the
// bars up to j, sampling the equity after each bar before closing the next,
// as runOne does between two OnBar calls. The strategy has not called the
// Context since the last catch-up, so the account it samples is the one
// each of those bars left.
func (lp *barLoop) closeTo(j int) {
	r, m := lp.r, lp.m
	for lp.closed <= j && lp.err == nil {
		k := lp.closed
		if quietBar(r.e, lp.em) {
			// Nothing to match up to j: the account stands still, so these
			// bars only take their samples and move the clock, to bar j's
			// close: the bars' times increase (the replay or CheckBars
			// checked them).
			lp.sampleTo(j)
			r.e.now = max(r.e.now, (m.bars.Time[j]+m.bars.Period)*1e9)
			m.next, r.row, lp.closed = j+1, j+1, j+1
			return
		}
		lp.sampleTo(k)
		// Before the engine runs: a fill handler calling the Context from
		// inside it is at bar k already.
		lp.closed = k + 1
		b := feeds.NewBarEvent(m.fqme, m.bars, k)
		if err := r.closeBar(m, lp.em, &b); err != nil {
			lp.err = err
			lp.at[1] = lp.at[0] + 1 // the batch ends with this bar; the backtest with err
			return
		}
		r.row = k + 1
	}
}

// sampleTo records the equity after each bar from the last sampled to j
// (excluded), over which the account has not changed.
func (lp *barLoop) sampleTo(j int) {
	r, m := lp.r, lp.m
	k := lp.sampled
	if k >= j {
		return
	}
	cash, pos := r.cash, m.pos
	v, cl := r.res.Equity.Value[k:j], m.bars.Close[k:j]
	for i := range v {
		v[i] = cash + pos*cl[i]
	}
	if pos != 0 {
		r.exposed += j - k
	}
	lp.sampled = j
}

// placed is told of each order the strategy sends: with a fill handler the
// batch ends with the current bar, since the order may fill on the next
// one, and the handler must see that fill before OnBar sees the bar.
func (lp *barLoop) placed() {
	if lp.fills {
		lp.at[1] = min(lp.at[1], lp.at[0]+1)
	}
}

// run is the runner for a Context method: under a BarLoop, caught up with
// the bar the strategy is at before the method reads or changes anything.
func (c *Context) run() *runner {
	if lp := c.r.loop; lp != nil {
		lp.closeTo(lp.lo + lp.at[0])
	}
	return c.r
}
