package paper

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/mkt"
)

// Series is one market's history for a backtest: bars, and optionally the
// quotes and trades of the same span (each in time order). A market with
// quotes or trades is matched on them; its bars then only mark the equity
// and feed the strategy.
type Series struct {
	Market mkt.MktPair
	Bars   *frames.OHLCV
	// Checked, when it vouches for Bars (see CheckBars), spares the
	// backtest its own checks of them.
	Checked *CheckedBars
	Quotes  []feeds.Quote
	Trades  []feeds.Trade
}

// BacktestConfig describes a backtest. The same config, strategy and seed
// give the same Result, byte for byte once written.
type BacktestConfig struct {
	Series []Series
	// Cash is the account's starting cash, shared by all markets (default 100000).
	Cash     decimal.Decimal
	Fees     FeeModel
	Slippage SlippageModel
	Fill     FillModel
	Latency  Latency
	Seed     uint64
	// Calendar names the markets' trading calendar for annualising returns:
	// "crypto" (24/7), "us-equity" (252 days of 6.5 h), "cme" (252 days of
	// 23 h); empty means the periods per year observed in the data.
	Calendar string
	// PeriodsPerYear, when positive, overrides the calendar.
	PeriodsPerYear float64
	// SkipInvalid skips the bars nothing may trade on (see BarError) and
	// counts them in the Result; without it such a bar stops the backtest,
	// or a paper session's Push, with a *BarError.
	SkipInvalid bool
	// Opening holds the transactions of the account a paper session
	// continues (its ledger, for the session's markets): the session starts
	// holding their positions, its cash net of them, and its Result counts
	// them among its fills. A backtest refuses them.
	Opening []Transaction
	// StatsOnly keeps of the Result only what a sweep reads: the Stats and
	// the equity curve. Orders, Fills, Trades, Positions and FinalCash are
	// left unset, and mostly never built: the end of a run then costs a
	// fraction of what building them does.
	StatsOnly bool
}

// EquityCurve is the account's value after each distinct bar close.
type EquityCurve struct {
	Value []float64
	// times holds each sample's epoch ns; for a single series it is nil and
	// the times are the closes of the series' bars, whose open times (epoch
	// s) opens shares rather than copies: ten million samples are 80 MB.
	times  []int64
	opens  []int64
	period int64
}

// NewEquityCurve is a curve of values at times (epoch ns), of equal length.
func NewEquityCurve(times []int64, values []float64) EquityCurve {
	return EquityCurve{times: times, Value: values}
}

// Len is the number of samples.
func (c *EquityCurve) Len() int { return len(c.Value) }

// Time is sample i's epoch ns.
func (c *EquityCurve) Time(i int) int64 {
	if c.times != nil {
		return c.times[i]
	}
	return (c.opens[i] + c.period) * 1e9
}

// Result is what a backtest produced.
type Result struct {
	// session marks a paper session's result: WriteText heads it so.
	session    bool
	Config     BacktestConfig
	Markets    []string
	Start, End int64 // epoch ns: the first bar's open, the last bar's close
	Bars       int
	// SkippedBars counts the invalid bars skipped (Config.SkipInvalid);
	// Skipped lists the first 100 of them.
	SkippedBars int
	Skipped     []BarError
	InitialCash decimal.Decimal
	// FinalCash and the positions are exact sums over the fills.
	FinalCash decimal.Decimal
	Positions []PositionSummary
	Orders    []OrderInfo
	Rejects   []Report
	Fills     []Report
	Trades    []RoundTrip
	Equity    EquityCurve
	Stats     Stats
}

// PositionSummary is a market's position at the end of a backtest.
type PositionSummary struct {
	FQME      string
	Size      decimal.Decimal
	LastClose float64
}

type runMarket struct {
	fqme          string
	bars          *frames.OHLCV
	next          int  // bars[:next] have closed
	checked       bool // CheckBars vouched for bars
	pos           float64
	pendingMarket float64 // signed size still to come from open market orders
	lot           float64
}

type runner struct {
	cfg   BacktestConfig
	e     *Engine
	mk    []*runMarket
	by    map[string]*runMarket
	lastM *runMarket
	cash  float64
	res   *Result
	// exposed counts equity samples taken with a position open; lastExposed
	// is the latest sample's flag (a sample is replaced when several markets
	// close at once).
	exposed     int
	lastExposed bool
	// fills are kept while the replay runs as compact records without
	// pointers, in fixed-size chunks, and become Reports at the end: a
	// growing slice of reports would be copied over and over, and would
	// weigh four times as much.
	fills [][]fillRec
	// fillDec holds the price and fee of the fills whose decimals cannot be
	// derived from their ticks and lots.
	fillDec []fillDecimals
	fill    FillHandler
	onFill  func(Report) // a paper session's record of each fill as it happens
	opening []Report     // a paper session's Opening, as fills before the first
	ctx     *Context
	ctx0    context.Context
	last    feeds.BarEvent // the bar being handled, for error messages
	// row+1, when not 0, names the bar being handled instead of last: row
	// row of the single series, which runOne and a BarLoop replay without
	// building an event for each bar.
	row  int
	step *stepper // while a Driver runs
	loop *barLoop // while a BarLoop runs
}

// lastBar is the bar being handled (see Context.Bar).
func (r *runner) lastBar() feeds.BarEvent {
	if r == nil {
		return feeds.BarEvent{}
	}
	if r.row > 0 {
		m := r.mk[0]
		return feeds.NewBarEvent(m.fqme, m.bars, r.row-1)
	}
	return r.last
}

func (r *runner) market(fqme string) *runMarket {
	if r.lastM != nil && r.lastM.fqme == fqme {
		return r.lastM
	}
	m := r.by[fqme]
	if m != nil {
		r.lastM = m
	}
	return m
}

func (r *runner) equity() float64 {
	eq := r.cash
	for _, m := range r.mk {
		if m.pos != 0 && m.next > 0 {
			eq += m.pos * m.bars.Close[m.next-1]
		}
	}
	return eq
}

func (r *runner) inMarket() bool {
	for _, m := range r.mk {
		if m.pos != 0 {
			return true
		}
	}
	return false
}

func (r *runner) order(fqme string, signed float64, typ OrderType, price float64) (string, error) {
	o := Order{FQME: fqme, Side: Buy, Type: typ}
	if signed < 0 {
		o.Side = Sell
	}
	size := math.NaN()
	m := r.e.market(fqme)
	if m == nil {
		o.Size = decimal.NewFromFloat(math.Abs(signed))
	} else {
		lots := int64(math.Round(math.Abs(signed) / m.lot))
		o.Size, size = m.sizeOf(lots), m.sizeFloat(lots)
	}
	switch typ {
	case Limit:
		o.Price = onTick(m, price, o.Side == Sell)
	case Stop:
		o.Stop = onTick(m, price, o.Side == Buy)
	}
	return r.submitSized(o, size)
}

// onTick puts a price a strategy computed (an entry less 3%, a band) on
// the market's tick, rounding against the order — up for a sell limit or a
// buy stop, down otherwise — so a limit never trades worse than asked and a
// stop never triggers before its price. A price within 1e-9 tick of a tick
// is that tick: float arithmetic should not move it by a whole one.
func onTick(m *market, price float64, up bool) decimal.Decimal {
	if m == nil || m.tick <= 0 || math.IsNaN(price) || math.IsInf(price, 0) {
		return decimal.NewFromFloat(price)
	}
	t := price / m.tick
	n := math.Round(t)
	if math.Abs(t-n) > 1e-9 {
		if up {
			n = math.Ceil(t)
		} else {
			n = math.Floor(t)
		}
	}
	return m.priceOf(int64(n))
}

func (r *runner) submit(o Order) (string, error) {
	return r.submitSized(o, math.NaN())
}

// submitSized submits o, whose size is size as a float64 when that is known (else NaN).
func (r *runner) submitSized(o Order, size float64) (string, error) {
	if r.loop != nil {
		r.loop.placed()
	}
	id, err := r.e.Submit(o)
	if err == nil && o.Type == Market {
		if m := r.market(o.FQME); m != nil {
			if math.IsNaN(size) {
				size = decFloat(o.Size)
			}
			m.pendingMarket += float64(o.Side) * size
		}
	}
	r.drain()
	return id, err
}

const fillChunk = 4096

// fillRec is a fill report in a few words. The price is the market's
// priceOf(ticks) and the fee the engine's intFee, unless dec says where in
// fillDec they are kept; the size is the order's when whole (the engine
// reports the order's own decimal then), else sizeOf(lots).
type fillRec struct {
	time, ticks, lots, rem int64
	ord                    int32 // in Engine.list
	dec                    int32 // 1 + the index in runner.fillDec, or 0
	liq                    Liquidity
	whole                  bool // the fill is the order's whole size
}

type fillDecimals struct {
	price, fee decimal.Decimal
}

func (r *runner) addFill(rep *Report) {
	o := rep.ord
	m := o.m
	f := fillRec{time: rep.Time, ticks: rep.ticks, lots: rep.lots, ord: o.idx, liq: rep.Liquidity, whole: rep.Size == o.Size}
	if !rep.Remaining.IsZero() {
		f.rem, _ = lotsOf(rep.Remaining, m.lotD)
	}
	derived := rep.ticks >= 0 && r.e.cfg.Fees == nil
	if !derived && rep.ticks >= 0 && r.e.intFees {
		// intFee's test without its decimal: a lean fill has none.
		_, _, derived = m.feeCoef(rep.ticks, rep.lots, rep.Liquidity)
	}
	if !derived {
		r.fillDec = append(r.fillDec, fillDecimals{price: rep.Price, fee: rep.Fee})
		f.dec = int32(len(r.fillDec))
	}
	k := len(r.fills)
	if k == 0 || len(r.fills[k-1]) == fillChunk {
		var c []fillRec
		if p, _ := fillChunks.Get().(*[]fillRec); p != nil {
			c = (*p)[:0]
		} else {
			c = make([]fillRec, 0, fillChunk)
		}
		r.fills = append(r.fills, c)
		k++
	}
	r.fills[k-1] = append(r.fills[k-1], f)
}

// fillReports turns the fill records back into reports.
func (r *runner) fillReports() []Report {
	n := 0
	for _, c := range r.fills {
		n += len(c)
	}
	out := make([]Report, n)
	i := 0
	for _, c := range r.fills {
		for k := range c {
			f := &c[k]
			o := r.e.list[f.ord]
			m := o.m
			rep := &out[i]
			i++
			*rep = Report{Kind: Fill, Time: f.time, OrderID: o.ID, FQME: o.FQME, Side: o.Side, Tag: o.Tag,
				Liquidity: f.liq, Remaining: m.sizeOf(f.rem), mk: m, ticks: f.ticks, lots: f.lots}
			if f.whole && o.lots == f.lots {
				rep.Size = o.Size
			} else {
				rep.Size = m.sizeOf(f.lots)
			}
			if f.dec > 0 {
				d := &r.fillDec[f.dec-1]
				rep.Price, rep.Fee = d.price, d.fee
				continue
			}
			rep.Price = m.priceOf(f.ticks)
			rep.Fee = decimal.Zero
			if r.e.cfg.Fees != nil {
				rep.Fee, _ = r.e.intFee(m, f.ticks, f.lots, f.liq)
			}
		}
	}
	r.recycleFills()
	return out
}

// recycleFills hands the fill records' chunks back for the next backtest.
func (r *runner) recycleFills() {
	for _, c := range r.fills {
		fillChunks.Put(&c)
	}
	r.fills, r.fillDec = nil, nil
}

// fillChunks recycles the fill records' chunks from one backtest to the
// next: in a parameter sweep, touching fresh memory for them costs more
// than filling them.
var fillChunks sync.Pool

// fillFloats is a fill's size, price and fee as the float64s nearest to
// its decimals, from its ticks and lots when it can.
func (r *runner) fillFloats(rep *Report) (size, price, fee float64) {
	m := rep.ord.m
	if rep.ticks < 0 || !m.intTL {
		return decFloat(rep.Size), decFloat(rep.Price), decFloat(rep.Fee)
	}
	size, price = m.sizeFloat(rep.lots), m.priceFloat(rep.ticks)
	if r.e.cfg.Fees == nil {
		return size, price, 0
	}
	if c, e, ok := m.feeCoef(rep.ticks, rep.lots, rep.Liquidity); ok {
		if f, ok := floatOf(c, e); ok {
			return size, price, f
		}
	}
	return size, price, decFloat(rep.Fee)
}

// drain books the engine's reports: fills move cash and positions; rejects
// are kept for the report.
func (r *runner) drain() {
	rs := r.e.Reports()
	for i := range rs {
		rep := &rs[i]
		switch rep.Kind {
		case Fill:
			m := r.market(rep.FQME)
			sz, px, fee := r.fillFloats(rep)
			sz *= float64(rep.Side)
			m.pos += sz
			if math.Abs(m.pos) < m.lot/2 {
				m.pos = 0 // float dust of a position that is flat in decimal
			}
			r.cash -= sz*px + fee
			if rep.ord.Type == Market {
				m.pendingMarket -= sz
			}
			r.addFill(rep)
		case Cancel:
			if o := rep.ord; o != nil && o.Type == Market {
				r.market(rep.FQME).pendingMarket -= float64(rep.Side) * float64(o.lots-o.filled) * o.m.lot
			}
		case Reject:
			r.res.Rejects = append(r.res.Rejects, *rep)
		}
	}
	if r.fill != nil || r.onFill != nil {
		for i := range rs {
			if rs[i].Kind == Fill {
				// Without the order: the strategy may keep the report
				// beyond the backtest, whose orders are recycled.
				f := rs[i]
				f.ord = nil
				if r.onFill != nil {
					r.onFill(f)
				}
				if r.fill != nil {
					r.fill.OnFill(r.ctx, f)
				}
			}
		}
	}
}

// Backtest replays cfg's series through a clearing engine and s.
func Backtest(cfg BacktestConfig, s Strategy) (*Result, error) {
	return BacktestContext(context.Background(), cfg, s)
}

// BacktestContext is Backtest that stops with ctx's error when ctx is done.
// A strategy that panics (a script may) ends the backtest with an error
// naming the last bar, not the process.
func BacktestContext(ctx context.Context, cfg BacktestConfig, s Strategy) (res *Result, err error) {
	var r *runner
	defer func() {
		if p := recover(); p != nil {
			where := "before the first bar"
			if b := r.lastBar(); r != nil && b.FQME != "" {
				where = fmt.Sprintf("at %s bar %s", b.FQME, time.Unix(b.Bar.Time, 0).UTC().Format(time.RFC3339))
			}
			res, err = nil, fmt.Errorf("backtest: %w", panicked(where, p))
		}
	}()
	rs := make([]feeds.ReplaySeries, len(cfg.Series))
	cfg.Series = slices.Clone(cfg.Series)
	var skipped []BarError
	nskipped := 0
	// The replay checks each bar before the engine sees it, so the bars
	// need no pass of their own over the columns (ten million bars are half
	// a gigabyte to read). Skipping needs the pass, and so does a Targets
	// strategy, which computes on the whole series before the first bar
	// trades.
	_, isTargets := s.(*Targets)
	inLoop := !cfg.SkipInvalid && !isTargets
	checked := make([]bool, len(cfg.Series))
	for i := range cfg.Series {
		sr := &cfg.Series[i]
		fq := sr.Market.FQME()
		if sr.Bars == nil || sr.Bars.Len() == 0 {
			return nil, fmt.Errorf("backtest %s: no bars", fq)
		}
		rs[i] = feeds.ReplaySeries{FQME: fq, Bars: sr.Bars}
		if checked[i] = sr.Checked.vouches(sr.Bars, priceLimit(sr.Market)); checked[i] {
			continue
		}
		if inLoop {
			if err := sr.Bars.CheckLengths(); err != nil {
				return nil, fmt.Errorf("backtest %s bars: %w", fq, err)
			}
			continue
		}
		bars, listed, n, err := checkSeries(fq, sr.Bars, priceLimit(sr.Market), cfg.SkipInvalid)
		if err != nil {
			return nil, fmt.Errorf("backtest: %w", err)
		}
		if bars.Len() == 0 {
			return nil, fmt.Errorf("backtest %s: all %d bars are invalid (first: %v)", fq, n, &listed[0])
		}
		sr.Bars, nskipped = bars, nskipped+n
		skipped = append(skipped, listed[:min(len(listed), maxSkippedKept-len(skipped))]...)
		rs[i] = feeds.ReplaySeries{FQME: fq, Bars: sr.Bars}
	}
	if len(cfg.Opening) > 0 {
		return nil, fmt.Errorf("backtest: opening transactions are for a paper session that continues an account")
	}
	r, err = newRunner(ctx, cfg, s, "backtest")
	if err != nil {
		return nil, err
	}
	r.res.SkippedBars, r.res.Skipped = nskipped, skipped
	e := r.e
	// Nobody reads the fill reports of a StatsOnly backtest without a fill
	// handler.
	e.lean = cfg.StatsOnly && r.fill == nil
	for i, m := range r.mk {
		m.checked = checked[i]
	}
	driver, isDriver := s.(*Driver)
	ticks := false
	for _, sr := range cfg.Series {
		ticks = ticks || len(sr.Quotes) > 0 || len(sr.Trades) > 0
	}
	one := len(r.mk) == 1 && !ticks && !isDriver
	// The replay checks the bars' times, which single-market runs trade
	// straight from the columns without it; bars vouched for need no check.
	var replay *feeds.Replay
	if !one || slices.Contains(checked, false) {
		if replay, err = feeds.NewReplay(rs...); err != nil {
			return nil, fmt.Errorf("backtest: %w", err)
		}
	}
	if t, ok := s.(*Targets); ok {
		if err := t.prepare(cfg.Series); err != nil {
			return nil, fmt.Errorf("backtest: %w", err)
		}
	}
	start := int64(math.MaxInt64)
	for _, sr := range cfg.Series {
		start = min(start, sr.Bars.Time[0]*1e9)
	}
	r.res.Start = start
	e.Advance(start)
	if st, ok := s.(Starter); ok {
		if err := st.Start(r.ctx); err != nil {
			return nil, fmt.Errorf("backtest: strategy start: %w", err)
		}
		r.drain()
	}
	for i, sr := range cfg.Series {
		if err := checkTicks(r.mk[i].fqme, sr.Quotes, sr.Trades, priceLimit(sr.Market)); err != nil {
			return nil, err
		}
	}
	if isDriver {
		if err := r.runDriver(driver, replay); err != nil {
			return nil, err
		}
	} else if rows, loop := loopsOf(s); (rows != nil || loop != nil) && one {
		if err := r.runLoop(rows, loop, r.fill != nil); err != nil {
			return nil, err
		}
	} else if one {
		if err := r.runOne(s); err != nil {
			return nil, err
		}
	} else if err := r.runMerged(s, replay); err != nil {
		return nil, err
	}
	if f, ok := s.(Finisher); ok {
		f.Finish(r.ctx)
		r.drain()
	}
	r.finish()
	e.recycle()
	return r.res, nil
}

// newRunner sets up the account, the engine and the markets of cfg's
// series, whose bars (those given so far, for a paper session) it counts;
// what names the run in errors.
func newRunner(ctx context.Context, cfg BacktestConfig, s Strategy, what string) (*runner, error) {
	if len(cfg.Series) == 0 {
		return nil, fmt.Errorf("%s: no series", what)
	}
	if cfg.Cash.IsZero() {
		cfg.Cash = decimal.NewFromInt(100000)
	}
	if cfg.Cash.Sign() < 0 {
		return nil, fmt.Errorf("%s: negative starting cash %s", what, cfg.Cash)
	}
	ecfg := Config{Fees: cfg.Fees, Slippage: cfg.Slippage, Fill: cfg.Fill, Latency: cfg.Latency, Seed: cfg.Seed}
	r := &runner{cfg: cfg, ctx0: ctx, by: make(map[string]*runMarket), cash: decFloat(cfg.Cash)}
	r.res = &Result{Config: cfg, InitialCash: cfg.Cash}
	for _, sr := range cfg.Series {
		fq := sr.Market.FQME()
		ecfg.Markets = append(ecfg.Markets, sr.Market)
		m := &runMarket{fqme: fq, bars: sr.Bars, lot: decFloat(sr.Market.SizeTick)}
		if m.lot == 0 {
			m.lot = decFloat(defaultLot)
		}
		r.mk = append(r.mk, m)
		r.by[fq] = m
		r.res.Markets = append(r.res.Markets, fq)
		r.res.Bars += sr.Bars.Len()
	}
	e, err := NewEngine(ecfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	r.e = e
	r.ctx = &Context{r: r}
	// A Funcs is a FillHandler whatever it holds; one without a FillFunc
	// has no fills to handle.
	if f, ok := s.(*Funcs); !ok || f.FillFunc != nil {
		r.fill, _ = s.(FillHandler)
	}
	return r, nil
}

// runOne replays a single series straight from its columns.
func (r *runner) runOne(s Strategy) error {
	m := r.mk[0]
	f := m.bars
	n := f.Len()
	eq := &r.res.Equity
	eq.opens, eq.period = f.Time, f.Period
	eq.Value = make([]float64, n)
	b := feeds.BarEvent{FQME: m.fqme, Period: f.Period}
	e := r.e
	em := e.market(m.fqme)
	value := eq.Value[:n]
	tm, op, hi, lo, cl, vol := f.Time[:n], f.Open[:n], f.High[:n], f.Low[:n], f.Close[:n], f.Volume[:n]
	maxPx := em.maxPx
	for i := 0; i < n; i++ {
		if i&0xffff == 0 {
			if err := r.ctx0.Err(); err != nil {
				return fmt.Errorf("backtest: %w", err)
			}
		}
		o, h, l, c, v := op[i], hi[i], lo[i], cl[i], vol[i]
		if !frames.ValidBar(o, h, l, c, v) || h > maxPx {
			return fmt.Errorf("backtest: %w", checkBar(m.fqme, f.At(i), maxPx))
		}
		// Field by field: a Bar built whole is stored, then copied in
		// 16-byte moves that stall on the 8-byte stores just made.
		x := &b.Bar
		x.Time, x.Open, x.High, x.Low, x.Close, x.Volume = tm[i], o, h, l, c, v
		b.Time, b.Index = (tm[i]+f.Period)*1e9, i
		// Fills reach the strategy before this bar does: to them, the last
		// bar handed out is still the one before (r.row, set below).
		if !quietBar(e, em) {
			if err := r.matchClose(m, &b); err != nil {
				return err
			}
		}
		e.now = max(e.now, b.Time)
		m.next = i + 1
		r.row = i + 1
		s.OnBar(r.ctx, b)
		value[i] = r.cash + m.pos*b.Bar.Close
		if m.pos != 0 {
			r.exposed++
		}
	}
	r.last, r.row = b, 0
	r.res.End = eq.Time(n - 1)
	return nil
}

// checkTicks checks that quotes and trades are in time order, name their
// market and carry prices the engine can trade on (see checkQuote and
// checkTrade).
func checkTicks(fqme string, qs []feeds.Quote, ts []feeds.Trade, maxPx float64) error {
	for i, q := range qs {
		if q.FQME != fqme {
			return fmt.Errorf("backtest %s: quote %d is for %q", fqme, i, q.FQME)
		}
		if err := checkQuote(q, maxPx); err != nil {
			return fmt.Errorf("backtest: quote %d: %w", i, err)
		}
		if i > 0 && q.Time < qs[i-1].Time {
			return fmt.Errorf("backtest %s: quote %d at %d is before the one preceding it", fqme, i, q.Time)
		}
	}
	for i, t := range ts {
		if t.FQME != fqme {
			return fmt.Errorf("backtest %s: trade %d is for %q", fqme, i, t.FQME)
		}
		if err := checkTrade(t, maxPx); err != nil {
			return fmt.Errorf("backtest: trade %d: %w", i, err)
		}
		if i > 0 && t.Time < ts[i-1].Time {
			return fmt.Errorf("backtest %s: trade %d at %d is before the one preceding it", fqme, i, t.Time)
		}
	}
	return nil
}

// runMerged replays several series, bars merged by close time with the
// quotes and trades; the equity curve has one sample per distinct close. At
// equal times a bar's close comes first (a tick at a bar's close belongs to
// the next bar), then quotes, then trades.
func (r *runner) runMerged(s Strategy, replay *feeds.Replay) error {
	st := r.newStepper(s, replay)
	for {
		b, ok, err := st.next()
		if err != nil || !ok {
			return err
		}
		r.last = b
		s.OnBar(r.ctx, b)
		st.sample(b)
	}
}

// stepper walks the merged replay one closed bar at a time: next handles
// the ticks before the bar and the engine's matching of it; sample records
// the equity after the strategy has had its turn.
type stepper struct {
	r      *runner
	replay *feeds.Replay
	qh     QuoteHandler
	th     TradeHandler
	qi, ti []int
	b      feeds.BarEvent
	more   bool
	k      int
	perBar bool // one market with increasing times: a sample per bar, at its close
	// For a Driver: the bar handed out last, not yet sampled, and the error
	// that ended the stepping.
	cur     feeds.BarEvent
	pending bool
	err     error
}

func (r *runner) newStepper(s Strategy, replay *feeds.Replay) *stepper {
	st := &stepper{r: r, replay: replay, qi: make([]int, len(r.cfg.Series)), ti: make([]int, len(r.cfg.Series))}
	st.qh, _ = s.(QuoteHandler)
	st.th, _ = s.(TradeHandler)
	st.b, st.more = replay.Next()
	if len(r.mk) == 1 {
		// One sample per bar: allocate once; with the bars' times strictly
		// increasing, the sample times are the bars' own (see EquityCurve).
		eq := &r.res.Equity
		eq.Value = make([]float64, 0, r.res.Bars)
		if f := r.mk[0].bars; increasing(f.Time) {
			eq.opens, eq.period, st.perBar = f.Time, f.Period, true
		} else {
			eq.times = make([]int64, 0, r.res.Bars)
		}
	}
	return st
}

func increasing(t []int64) bool {
	for i := 1; i < len(t); i++ {
		if t[i] <= t[i-1] {
			return false
		}
	}
	return true
}

func (st *stepper) next() (feeds.BarEvent, bool, error) {
	r := st.r
	for {
		if st.k++; st.k&0xffff == 0 {
			if err := r.ctx0.Err(); err != nil {
				return feeds.BarEvent{}, false, fmt.Errorf("backtest: %w", err)
			}
		}
		// The earliest tick across the series, if it comes before the next bar close.
		best, bestT, isTrade := -1, int64(math.MaxInt64), false
		for i := range r.cfg.Series {
			sr := &r.cfg.Series[i]
			if st.qi[i] < len(sr.Quotes) && sr.Quotes[st.qi[i]].Time < bestT {
				best, bestT, isTrade = i, sr.Quotes[st.qi[i]].Time, false
			}
			if st.ti[i] < len(sr.Trades) && sr.Trades[st.ti[i]].Time < bestT {
				best, bestT, isTrade = i, sr.Trades[st.ti[i]].Time, true
			}
		}
		if best >= 0 && (!st.more || bestT < st.b.Time) {
			sr := &r.cfg.Series[best]
			if isTrade {
				t := sr.Trades[st.ti[best]]
				st.ti[best]++
				if err := r.e.OnTrade(t); err != nil {
					return feeds.BarEvent{}, false, fmt.Errorf("backtest: %w", err)
				}
				r.drain()
				if st.th != nil {
					st.th.OnTrade(r.ctx, t)
				}
			} else {
				q := sr.Quotes[st.qi[best]]
				st.qi[best]++
				if err := r.e.OnQuote(q); err != nil {
					return feeds.BarEvent{}, false, fmt.Errorf("backtest: %w", err)
				}
				r.drain()
				if st.qh != nil {
					st.qh.OnQuote(r.ctx, q)
				}
			}
			continue
		}
		if !st.more {
			return feeds.BarEvent{}, false, nil
		}
		b := st.b
		st.b, st.more = st.replay.Next()
		em := r.e.market(b.FQME)
		if !b.Bar.Valid() || b.Bar.High > em.maxPx {
			return feeds.BarEvent{}, false, fmt.Errorf("backtest: %w", checkBar(b.FQME, b.Bar, em.maxPx))
		}
		if err := r.closeBar(r.market(b.FQME), em, &b); err != nil {
			return feeds.BarEvent{}, false, err
		}
		return b, true, nil
	}
}

// closeBar is the engine's turn at bar b of market m (em in the engine),
// row b.Index of m's bars: it matches the resting orders against the bar,
// makes the bar visible to the strategy and books the fills. Orders the
// strategy sends after seeing the bar trade from the next one on.
func (r *runner) closeBar(m *runMarket, em *market, b *feeds.BarEvent) error {
	if !quietBar(r.e, em) {
		if err := r.matchClose(m, b); err != nil {
			return err
		}
	}
	// Most bars have nothing to match: they only move the clock.
	r.e.now = max(r.e.now, b.Time)
	m.next = b.Index + 1
	return nil
}

// quietBar says that a bar of market em has nothing to match, schedule or
// book.
func quietBar(e *Engine, em *market) bool {
	return em != nil && len(em.orders) == 0 && len(e.ops) == 0 && len(e.out) == 0
}

func (r *runner) matchClose(m *runMarket, b *feeds.BarEvent) error {
	if err := r.e.OnBar(*b); err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	m.next = b.Index + 1
	if len(r.e.out) > 0 {
		r.drain()
	}
	return nil
}

// sample records the equity after bar b (replacing the sample of another
// market's bar that closed at the same time).
func (st *stepper) sample(b feeds.BarEvent) {
	r := st.r
	eq := &r.res.Equity
	exp := r.inMarket()
	if st.perBar {
		eq.Value = append(eq.Value, r.equity())
	} else if k := len(eq.times); k > 0 && eq.times[k-1] == b.Time {
		eq.Value[k-1] = r.equity()
		if r.lastExposed {
			r.exposed--
		}
	} else {
		eq.times = append(eq.times, b.Time)
		eq.Value = append(eq.Value, r.equity())
	}
	if exp {
		r.exposed++
	}
	r.lastExposed = exp
	r.res.End = b.Time
}

// runDriver hands the loop to a Driver: each Context.Next samples the
// equity of the bar before and steps to the next one.
func (r *runner) runDriver(d *Driver, replay *feeds.Replay) error {
	st := r.newStepper(d, replay)
	r.step = st
	d.Func(r.ctx)
	r.step = nil
	if st.err != nil {
		return st.err
	}
	if st.pending {
		st.sample(st.cur)
	}
	// The bars the driver did not step through still trade its orders.
	for {
		b, ok, err := st.next()
		if err != nil || !ok {
			return err
		}
		st.sample(b)
	}
}

// finish settles the exact account from the fills and computes the report.
//
// The orders' states and the equity curve's statistics are independent of
// the fills' work and computed alongside it.
func (r *runner) finish() {
	res := r.res
	if r.cfg.StatsOnly {
		st, eqSum := equityStats(res, r.periodsPerYear(), r.exposed)
		if tt, ok := r.compactTotals(); ok {
			tt.apply(&st, len(res.Equity.Value), eqSum)
			res.Stats = st
			r.recycleFills()
			return
		}
	}
	orders := make(chan []OrderInfo, 1)
	go func() { orders <- r.e.Orders() }()
	type eqStats struct {
		st    Stats
		eqSum float64
	}
	equity := make(chan eqStats, 1)
	go func() {
		st, sum := equityStats(res, r.periodsPerYear(), r.exposed)
		equity <- eqStats{st, sum}
	}()
	res.Fills = r.fillReports()
	if len(r.opening) > 0 {
		res.Fills = append(slices.Clip(r.opening), res.Fills...)
	}
	cash, pos := settle(res.InitialCash, res.Fills)
	res.FinalCash = cash
	for _, m := range r.mk {
		last := math.NaN()
		if m.next > 0 {
			last = m.bars.Close[m.next-1]
		}
		res.Positions = append(res.Positions, PositionSummary{FQME: m.fqme, Size: pos[m.fqme], LastClose: last})
	}
	res.Trades = RoundTrips(res.Fills)
	es := <-equity
	tradeStats(&es.st, res, es.eqSum)
	res.Stats = es.st
	res.Orders = <-orders
	if r.cfg.StatsOnly {
		res.FinalCash, res.Positions, res.Orders, res.Fills, res.Trades = decimal.Decimal{}, nil, nil, nil, nil
	}
}

// settle sums fills into cash and positions, exactly: in integer ticks and
// lots per market where it can, in decimal otherwise.
func settle(cash decimal.Decimal, fills []Report) (decimal.Decimal, map[string]decimal.Decimal) {
	type acc struct {
		m           *market
		tl, lots    int64
		exact       bool
		notional, n decimal.Decimal
	}
	accs := make(map[string]*acc)
	var fees decSum
	for i := range fills {
		f := &fills[i]
		a := accs[f.FQME]
		if a == nil {
			a = &acc{exact: true}
			a.m = f.mk
			accs[f.FQME] = a
		}
		fees.addFee(f)
		if a.exact && f.mk != nil && f.ticks >= 0 {
			tl, ok1 := mulInt(int64(f.Side)*f.lots, f.ticks)
			sum, ok2 := addInt(a.tl, tl)
			if ok1 && ok2 {
				a.tl, a.lots = sum, a.lots+int64(f.Side)*f.lots
				continue
			}
		}
		if a.exact {
			// Carry the integer sums over into decimal from here on.
			a.exact = false
			if a.m != nil {
				a.notional = a.m.tickD.Mul(a.m.lotD).Mul(decimal.NewFromInt(a.tl))
				a.n = a.m.sizeOf(a.lots)
			}
		}
		s := f.SignedSize()
		a.notional = a.notional.Add(s.Mul(f.Price))
		a.n = a.n.Add(s)
	}
	pos := make(map[string]decimal.Decimal, len(accs))
	cash = cash.Sub(fees.value())
	for fq, a := range accs {
		if a.exact {
			a.notional = a.m.tickD.Mul(a.m.lotD).Mul(decimal.NewFromInt(a.tl))
			a.n = a.m.sizeOf(a.lots)
		}
		cash = cash.Sub(a.notional)
		pos[fq] = a.n
	}
	return cash, pos
}

// periodsPerYear is the annualisation factor for per-sample returns.
func (r *runner) periodsPerYear() float64 {
	if r.cfg.PeriodsPerYear > 0 {
		return r.cfg.PeriodsPerYear
	}
	period := int64(math.MaxInt64)
	for _, s := range r.cfg.Series {
		period = min(period, s.Bars.Period)
	}
	if p := CalendarPeriodsPerYear(r.cfg.Calendar, period); p > 0 {
		return p
	}
	// Observed: samples per year of elapsed time.
	eq := r.res.Equity
	if eq.Len() < 2 {
		return 0
	}
	years := float64(eq.Time(eq.Len()-1)-eq.Time(0)) / 1e9 / secondsPerYear
	if years <= 0 {
		return 0
	}
	return float64(eq.Len()-1) / years
}

const secondsPerYear = 365.25 * 86400

// CalendarPeriodsPerYear is how many bars of period seconds a calendar has
// in a year: crypto trades 365 days of 24 h; us-equity 252 sessions of 6.5 h;
// cme 252 sessions of 23 h. Daily bars count sessions (252 a year, or 365 for
// crypto); weekly and longer bars count calendar time. It is 0 for an
// unknown calendar.
func CalendarPeriodsPerYear(calendar string, period int64) float64 {
	if period <= 0 {
		return 0
	}
	var days, session float64
	switch calendar {
	case "crypto":
		days, session = 365, 86400
	case "us-equity":
		days, session = 252, 6.5*3600
	case "cme":
		days, session = 252, 23*3600
	default:
		return 0
	}
	if period >= 7*86400 {
		return secondsPerYear / float64(period)
	}
	if period >= 86400 {
		return days * 86400 / float64(period)
	}
	return days * session / float64(period)
}
