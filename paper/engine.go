package paper

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/mkt"
)

// Config sets up an Engine.
type Config struct {
	// Markets the engine clears; orders for any other fqme are rejected.
	Markets  []mkt.MktPair
	Fees     FeeModel      // nil: no fees
	Slippage SlippageModel // nil: no slippage beyond FillModel.ProbSlippage
	Fill     FillModel
	Latency  Latency
	// Seed seeds the engine's random source (touch fills, random slippage).
	Seed uint64
}

// Engine is the clearing engine: a deterministic state machine. Orders,
// cancels, amends and market events go in; Reports come out (Reports).
// It never reads a clock: time is the largest event time it has seen.
type Engine struct {
	cfg     Config
	markets []*market
	byFQME  map[string]*market
	lastM   *market
	// Orders the engine named "o<seq>" are found in list by seq; named
	// holds the others (IDs the caller chose, bracket exits), and stays nil
	// until there is one: a map entry per order costs more than the order.
	named map[string]*order
	list  []*order // every order, in submission order (and so by seq)
	slab  []order  // orders are allocated in blocks
	slabs [][]order
	seq   int
	now   int64
	ops   []op
	out   []Report
	spare []Report
	rng   *rand.Rand
	// bar counts matched bars; touch draws are stamped with it so each order
	// draws at most once per bar. barOpen is the open of the bar in progress.
	bar, barOpen int64
	dirtyM       []*market
	barHits      []orderHit // matchBar's scratch
	ids          idBlock
	// intFees is set when the fee model is a plain bps Fees: fees are then
	// computed from ticks and lots in int64 (and cached per market), giving
	// the same decimals as Fees.Fee.
	intFees bool
	feeC    [2]int64 // by Liquidity: the rate's coefficient and exponent
	feeE    [2]int32
	// lean is set for a StatsOnly backtest without fill handlers, which
	// reads no fill report: a fill whose cash and fee the runner can book
	// from its ticks and lots gets no decimal price or fee (an allocation
	// each, a tenth of such a backtest), and its order's average price is
	// made from the ticks when asked for.
	lean bool
}

type market struct {
	fqme  string
	pair  mkt.MktPair
	tick  float64
	tickD decimal.Decimal
	maxPx float64 // the largest price the engine represents here (priceLimit)
	lot   float64
	lotD  decimal.Decimal
	// Ticks and lots that are powers of ten make decimals without a multiply.
	tickPow, lotPow bool
	// The last fill price, in ticks and as a decimal: fills at the same
	// price share one (decimals are immutable values).
	lastTicks int64
	lastPrice decimal.Decimal
	// The same for the last size made from lots.
	lastLots int64
	lastSize decimal.Decimal
	eng      *Engine
	// prices caches decimal prices by ticks&(priceCache-1), fees by ticks
	// and lots: a backtest's fills and round trips revisit a few thousand
	// prices.
	prices []cachedPrice
	fees   []cachedFee
	// The tick and lot as coefficient·10^exponent, when they fit.
	tickC, lotC int64
	tickE, lotE int32
	intTL       bool
	bid, ask    float64
	bidAvail    float64 // displayed size left in the current quote; +Inf unknown
	askAvail    float64
	hasQuote    bool
	ticked      bool // has seen quotes or trades: bars no longer match here
	orders      []*order
	dirty       bool // some order in orders is done; compacted when the engine returns
	inBar       bool // matching a bar: attached exits join its intrabar path
}

type order struct {
	Order
	seq     int
	m       *market
	lots    int64 // total size in lots
	filled  int64
	value   decimal.Decimal // Σ price·size of fills, from the second fill on
	firstPx decimal.Decimal // the first fill's price, unless firstTicks says it
	// firstTicks+1, when not 0, is a lean first fill's price in ticks.
	firstTicks int64
	px, stop   float64
	live       int64
	touchBar   int64 // bar counter of the last touch draw, and its result
	blocked    int64 // bar counter of a bar with no volume left for this order
	parent     *order
	sl, tp     *order // active exits attached to this order
	oco        *order // an exit's sibling
	// The small fields last, packed: a backtest keeps every order it made.
	idx       int32 // in Engine.list
	nFills    int32
	nBrackets int32
	status    Status
	triggered bool
	// fresh: the order has not yet had its first look at the market, so a
	// fill now takes liquidity, and IOC/FOK decide on it.
	fresh   bool
	touchOK bool
}

type opKind uint8

const (
	opLive opKind = iota
	opCancel
	opAmend
)

type op struct {
	at          int64
	seq         int
	kind        opKind
	o           *order
	price, size decimal.Decimal
}

// defaultLot is the size step for markets without a size tick.
var defaultLot = decimal.New(1, -8)

// NewEngine returns an engine for cfg's markets.
func NewEngine(cfg Config) (*Engine, error) {
	e := &Engine{
		cfg:    cfg,
		byFQME: make(map[string]*market, len(cfg.Markets)),
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
	if f, ok := cfg.Fees.(Fees); ok && f.PerUnit.IsZero() && f.Minimum.Sign() <= 0 {
		mc, me, ok1 := smallDec(f.MakerBps)
		tc, te, ok2 := smallDec(f.TakerBps)
		if ok1 && ok2 {
			e.intFees = true
			e.feeC[Maker], e.feeE[Maker] = mc, me-4
			e.feeC[Taker], e.feeE[Taker] = tc, te-4
		}
	}
	for _, p := range cfg.Markets {
		if err := e.AddMarket(p); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// AddMarket adds a market the engine clears.
func (e *Engine) AddMarket(p mkt.MktPair) error {
	fqme := p.FQME()
	if _, dup := e.byFQME[fqme]; dup {
		return fmt.Errorf("paper engine: market %s added twice", fqme)
	}
	m := &market{eng: e, fqme: fqme, pair: p, tickD: p.PriceTick, lotD: p.SizeTick,
		bidAvail: math.Inf(1), askAvail: math.Inf(1)}
	if m.tickD.Sign() < 0 || m.lotD.Sign() < 0 {
		return fmt.Errorf("paper engine: market %s: negative tick", fqme)
	}
	m.tick = decFloat(m.tickD)
	m.maxPx = priceLimit(p)
	if m.lotD.IsZero() {
		m.lotD = defaultLot
	}
	m.lot = decFloat(m.lotD)
	var ok1, ok2 bool
	m.tickC, m.tickE, ok1 = smallDec(m.tickD)
	m.lotC, m.lotE, ok2 = smallDec(m.lotD)
	m.intTL = ok1 && ok2
	m.tickPow = m.tickD.CoefficientInt64() == 1 && m.tickD.NumDigits() == 1
	m.lotPow = m.lotD.CoefficientInt64() == 1 && m.lotD.NumDigits() == 1
	e.markets = append(e.markets, m)
	e.byFQME[fqme] = m
	return nil
}

const slabSize = 256

// newOrder returns a zero order from the current block.
func (e *Engine) newOrder() *order {
	if len(e.slab) == cap(e.slab) {
		if s, _ := orderSlabs.Get().(*[]order); s != nil {
			e.slab = (*s)[:0]
		} else {
			e.slab = make([]order, 0, slabSize)
		}
		e.slabs = append(e.slabs, e.slab)
	}
	e.slab = e.slab[:len(e.slab)+1]
	return &e.slab[len(e.slab)-1]
}

// orderSlabs recycles blocks of orders from one backtest's engine to the
// next (see fillChunks).
var orderSlabs sync.Pool

// recycle hands the engine's orders over to the next backtest's engine.
// The engine is left without orders; nothing may hold one (Reports kept
// after the run carry no order).
func (e *Engine) recycle() {
	for _, s := range e.slabs {
		clear(s[:cap(s)])
		orderSlabs.Put(&s)
	}
	for _, m := range e.markets {
		m.orders = nil
	}
	e.slabs, e.slab, e.list, e.named, e.ops, e.out, e.spare = nil, nil, nil, nil, nil, nil, nil
}

// add records a new order; auto says its ID is "o" and its seq.
func (e *Engine) add(o *order, auto bool) {
	if !auto {
		if e.named == nil {
			e.named = make(map[string]*order)
		}
		e.named[o.ID] = o
	}
	o.idx = int32(len(e.list))
	e.list = append(e.list, o)
}

// autoID is "o" and n. The IDs are made a block of consecutive numbers at
// a time, as substrings of one string: an allocation per order cost a
// tenth of a backtest that trades often.
func (e *Engine) autoID(n int) string {
	b := &e.ids
	if b.s == "" || n < b.base || n >= b.base+idBlockSize {
		b.fill(n)
	}
	k := n - b.base
	start := int32(0)
	if k > 0 {
		start = b.ends[k-1]
	}
	return b.s[start:b.ends[k]]
}

const idBlockSize = 256

// idBlock holds the IDs of orders base to base+idBlockSize-1, back to back
// in s; ends[k] is where the ID of order base+k ends.
type idBlock struct {
	base int
	s    string
	ends [idBlockSize]int32
}

func (b *idBlock) fill(base int) {
	var sb strings.Builder
	sb.Grow(idBlockSize * (2 + len(strconv.Itoa(base+idBlockSize))))
	var num [24]byte
	for k := range b.ends {
		sb.WriteByte('o')
		sb.Write(strconv.AppendInt(num[:0], int64(base+k), 10))
		b.ends[k] = int32(sb.Len())
	}
	b.base, b.s = base, sb.String()
}

// lookup finds an order by ID.
func (e *Engine) lookup(id string) *order {
	if o := e.named[id]; o != nil {
		return o
	}
	if len(id) < 2 || id[0] != 'o' || id[1] == '0' {
		return nil
	}
	n, err := strconv.Atoi(id[1:])
	if err != nil || n <= 0 {
		return nil
	}
	i, found := slices.BinarySearchFunc(e.list, n, func(o *order, n int) int { return cmp.Compare(o.seq, n) })
	if !found || e.list[i].ID != id {
		return nil
	}
	return e.list[i]
}

func (e *Engine) market(fqme string) *market {
	if e.lastM != nil && e.lastM.fqme == fqme {
		return e.lastM
	}
	m := e.byFQME[fqme]
	if m != nil {
		e.lastM = m
	}
	return m
}

// Now is the engine's event time in epoch ns.
func (e *Engine) Now() int64 { return e.now }

// Reports returns what happened since the last call. The slice is reused:
// it is valid until the call after next.
func (e *Engine) Reports() []Report {
	r := e.out
	e.out, e.spare = e.spare[:0], r
	return r
}

// RejectError is the error Submit, Cancel and Amend return for a refused
// request; the same reason goes out as a Reject report.
type RejectError struct {
	OrderID, FQME, Reason string
}

func (r *RejectError) Error() string {
	if r.OrderID == "" {
		return fmt.Sprintf("order for %s rejected: %s", r.FQME, r.Reason)
	}
	return fmt.Sprintf("order %s (%s) rejected: %s", r.OrderID, r.FQME, r.Reason)
}

func (e *Engine) reject(id, fqme string, side Side, tag, reason string) error {
	e.out = append(e.out, Report{Kind: Reject, Time: e.now, OrderID: id, FQME: fqme, Side: side, Reason: reason, Tag: tag})
	return &RejectError{OrderID: id, FQME: fqme, Reason: reason}
}

// Submit validates o and accepts it, or rejects it with a reason and changes
// nothing else. It returns the order's ID.
func (e *Engine) Submit(o Order) (string, error) {
	m := e.market(o.FQME)
	if m == nil {
		return "", e.reject(o.ID, o.FQME, o.Side, o.Tag, "unknown market")
	}
	lots, reason := e.validate(m, &o)
	if reason != "" {
		return "", e.reject(o.ID, o.FQME, o.Side, o.Tag, reason)
	}
	auto := o.ID == ""
	if auto {
		for {
			o.ID = e.autoID(e.seq + 1)
			if _, taken := e.named[o.ID]; !taken {
				break
			}
			e.seq++
		}
	} else if e.lookup(o.ID) != nil {
		return "", e.reject(o.ID, o.FQME, o.Side, o.Tag, "duplicate order id")
	}
	e.seq++
	in := e.newOrder()
	*in = order{Order: o, seq: e.seq, m: m, lots: lots, fresh: true, status: Pending, live: e.now + e.cfg.Latency.Order}
	if o.Type != Market {
		in.px, in.stop = decFloat(o.Price), decFloat(o.Stop)
	}
	e.add(in, auto)
	e.out = append(e.out, Report{Kind: Accepted, Time: e.now, OrderID: o.ID, FQME: o.FQME, Side: o.Side,
		Remaining: o.Size, Tag: o.Tag})
	if e.cfg.Latency.Order <= 0 {
		e.activate(in, e.now)
		e.compact()
	} else {
		e.schedule(op{at: in.live, kind: opLive, o: in})
	}
	return o.ID, nil
}

// validate checks an order and returns its size in lots, or why it is refused.
func (e *Engine) validate(m *market, o *Order) (int64, string) {
	if o.Side != Buy && o.Side != Sell {
		return 0, fmt.Sprintf("side %d is neither buy nor sell", o.Side)
	}
	if o.Type > StopLimit {
		return 0, fmt.Sprintf("unknown order type %d", o.Type)
	}
	if o.TIF > FOK {
		return 0, fmt.Sprintf("unknown time in force %d", o.TIF)
	}
	lots, r := checkSize(m, o.Size)
	if r != "" {
		return 0, r
	}
	return lots, checkPrices(m, o)
}

func checkPrices(m *market, o *Order) string {
	if o.Type == Limit || o.Type == StopLimit {
		if r := checkPrice(m, "limit price", o.Price); r != "" {
			return r
		}
	}
	if o.Type == Stop || o.Type == StopLimit {
		if r := checkPrice(m, "stop price", o.Stop); r != "" {
			return r
		}
	}
	if !o.StopLoss.IsZero() {
		if r := checkPrice(m, "stop-loss price", o.StopLoss); r != "" {
			return r
		}
	}
	if !o.TakeProfit.IsZero() {
		if r := checkPrice(m, "take-profit price", o.TakeProfit); r != "" {
			return r
		}
	}
	if !o.StopLoss.IsZero() && !o.TakeProfit.IsZero() {
		if o.Side == Buy && !o.StopLoss.LessThan(o.TakeProfit) {
			return "stop-loss must be below take-profit for a buy bracket"
		}
		if o.Side == Sell && !o.StopLoss.GreaterThan(o.TakeProfit) {
			return "stop-loss must be above take-profit for a sell bracket"
		}
	}
	return ""
}

// checkSize validates a size and returns it in lots.
func checkSize(m *market, s decimal.Decimal) (int64, string) {
	if s == m.lastSize && m.lastLots > 0 {
		// The size sizeOf made last (decimals are immutable values).
		return m.lastLots, ""
	}
	if s.Sign() <= 0 {
		return 0, fmt.Sprintf("size %s is not positive", s)
	}
	n, ok := lotsOf(s, m.lotD)
	if !ok {
		// mkt's check has the same rule; ask it only to word the refusal.
		if err := m.pair.CheckSize(s); err != nil {
			return 0, err.Error()
		}
		return 0, fmt.Sprintf("size %s is not a multiple of the size tick %s", s, m.lotD)
	}
	return n, ""
}

func checkPrice(m *market, what string, p decimal.Decimal) string {
	if p.Sign() <= 0 {
		return fmt.Sprintf("%s %s is not positive", what, p)
	}
	if decFloat(p) > m.maxPx {
		return fmt.Sprintf("%s %s is beyond the %g the market's ticks represent", what, p, m.maxPx)
	}
	if err := m.pair.CheckPrice(p); err != nil {
		return what + ": " + err.Error()
	}
	return ""
}

// Cancel asks for an order to be cancelled; it takes effect after the cancel
// latency, and the order may fill until then.
func (e *Engine) Cancel(id string) error {
	o := e.lookup(id)
	if o == nil {
		return e.reject(id, "", 0, "", "cancel: unknown order")
	}
	if o.status.Done() {
		return e.reject(id, o.FQME, o.Side, o.Tag, "cancel: order already "+o.status.String())
	}
	if e.cfg.Latency.Cancel <= 0 {
		e.cancel(o, e.now, "cancelled")
		e.compact()
		return nil
	}
	e.schedule(op{at: e.now + e.cfg.Latency.Cancel, kind: opCancel, o: o})
	return nil
}

// Amend changes an order's price (the limit price of a limit or stop-limit,
// the trigger of a stop) and/or its total size; a zero leaves that field as it
// is. The new size must exceed what has already filled. An amended price gives
// the order a fresh look at the market (it takes liquidity if it has become
// marketable). It takes effect after the cancel latency.
func (e *Engine) Amend(id string, price, size decimal.Decimal) error {
	o := e.lookup(id)
	if o == nil {
		return e.reject(id, "", 0, "", "amend: unknown order")
	}
	if reason := e.checkAmend(o, price, size); reason != "" {
		return e.reject(id, o.FQME, o.Side, o.Tag, reason)
	}
	if e.cfg.Latency.Cancel <= 0 {
		e.amend(o, e.now, price, size)
		e.compact()
		return nil
	}
	e.schedule(op{at: e.now + e.cfg.Latency.Cancel, kind: opAmend, o: o, price: price, size: size})
	return nil
}

func (e *Engine) checkAmend(o *order, price, size decimal.Decimal) string {
	if o.status.Done() {
		return "amend: order already " + o.status.String()
	}
	if !price.IsZero() {
		what := "limit price"
		if o.Type == Stop {
			what = "stop price"
		}
		if o.Type == Market {
			return "amend: a market order has no price"
		}
		if r := checkPrice(o.m, what, price); r != "" {
			return "amend: " + r
		}
	}
	if !size.IsZero() {
		n, r := checkSize(o.m, size)
		if r != "" {
			return "amend: " + r
		}
		if n <= o.filled {
			return fmt.Sprintf("amend: size %s does not exceed the filled %s", size, o.m.lotD.Mul(decimal.NewFromInt(o.filled)))
		}
	}
	if price.IsZero() && size.IsZero() {
		return "amend: nothing to change"
	}
	return ""
}

func (e *Engine) schedule(p op) {
	e.seq++
	p.seq = e.seq
	i := len(e.ops)
	e.ops = append(e.ops, p)
	for i > 0 && (e.ops[i-1].at > p.at) {
		e.ops[i] = e.ops[i-1]
		i--
	}
	e.ops[i] = p
}

// Advance moves the engine's time to t (epoch ns) and applies the orders,
// cancels and amends that have become due. Market events advance time
// themselves; Advance is for a clock with no market data.
func (e *Engine) Advance(t int64) {
	e.advance(t)
	e.compact()
}

func (e *Engine) advance(t int64) {
	if t > e.now {
		e.now = t
	}
	e.runOps(e.now)
}

func (e *Engine) runOps(upto int64) {
	n := 0
	for n < len(e.ops) && e.ops[n].at <= upto {
		p := e.ops[n]
		n++
		switch p.kind {
		case opLive:
			if p.o.status == Pending {
				e.out = append(e.out, Report{Kind: Live, Time: p.at, OrderID: p.o.ID, FQME: p.o.FQME, Side: p.o.Side, Tag: p.o.Tag,
					Remaining: p.o.remaining()})
				e.activate(p.o, p.at)
			}
		case opCancel:
			if p.o.status.Done() {
				e.out = append(e.out, Report{Kind: Reject, Time: p.at, OrderID: p.o.ID, FQME: p.o.FQME, Side: p.o.Side, Tag: p.o.Tag,
					Reason: "cancel: order already " + p.o.status.String()})
			} else {
				e.cancel(p.o, p.at, "cancelled")
			}
		case opAmend:
			if r := e.checkAmend(p.o, p.price, p.size); r != "" {
				e.out = append(e.out, Report{Kind: Reject, Time: p.at, OrderID: p.o.ID, FQME: p.o.FQME, Side: p.o.Side, Tag: p.o.Tag, Reason: r})
			} else {
				e.amend(p.o, p.at, p.price, p.size)
			}
		}
	}
	if n > 0 {
		e.ops = append(e.ops[:0], e.ops[n:]...)
	}
}

func (o *order) remaining() decimal.Decimal {
	return o.m.sizeOf(o.lots - o.filled)
}

func (e *Engine) activate(o *order, t int64) {
	o.status = Open
	o.live = t
	o.m.orders = append(o.m.orders, o)
	if o.m.ticked {
		e.matchTouch(o.m, o, t)
	}
}

func (e *Engine) cancel(o *order, t int64, reason string) {
	if o.status == Open {
		e.markDirty(o.m)
	}
	o.status = Canceled
	e.out = append(e.out, Report{Kind: Cancel, Time: t, OrderID: o.ID, FQME: o.FQME, Side: o.Side, Tag: o.Tag,
		Remaining: o.remaining(), Reason: reason, ord: o})
	if o.oco != nil && o.oco.oco == o {
		o.oco.oco = nil
	}
	o.oco = nil
	if p := o.parent; p != nil {
		if p.sl == o {
			p.sl = nil
		}
		if p.tp == o {
			p.tp = nil
		}
	}
}

func (e *Engine) amend(o *order, t int64, price, size decimal.Decimal) {
	if !price.IsZero() {
		if o.Type == Stop {
			o.Stop, o.stop = price, decFloat(price)
		} else {
			o.Price, o.px = price, decFloat(price)
		}
		o.fresh = true
		o.live = t
	}
	if !size.IsZero() {
		o.Size = size
		o.lots, _ = lotsOf(size, o.m.lotD)
	}
	e.out = append(e.out, Report{Kind: Amended, Time: t, OrderID: o.ID, FQME: o.FQME, Side: o.Side, Tag: o.Tag,
		Price: o.Price, Size: o.Size, Remaining: o.remaining()})
	if o.status == Open && o.m.ticked {
		e.matchTouch(o.m, o, t)
	}
}

func (e *Engine) markDirty(m *market) {
	if !m.dirty {
		m.dirty = true
		e.dirtyM = append(e.dirtyM, m)
	}
}

// compact drops finished orders from the markets' order lists. It runs only
// when control returns to the caller, never while a loop walks a list.
func (e *Engine) compact() {
	for _, m := range e.dirtyM {
		compactMarket(m)
	}
	clear(e.dirtyM)
	e.dirtyM = e.dirtyM[:0]
}

func compactMarket(m *market) {
	k := 0
	for _, o := range m.orders {
		if o.status == Open {
			m.orders[k] = o
			k++
		}
	}
	clear(m.orders[k:])
	m.orders = m.orders[:k]
	m.dirty = false
}

// Order returns an order's state.
func (e *Engine) Order(id string) (OrderInfo, bool) {
	o := e.lookup(id)
	if o == nil {
		return OrderInfo{}, false
	}
	return o.info(), true
}

func (o *order) info() OrderInfo {
	inf := OrderInfo{Order: o.Order, Status: o.status, Filled: o.Size, Triggered: o.triggered}
	// Only a filled order traded its Size: an exit its sibling cancelled
	// has lots cut down to what it filled, its Size as last placed.
	if o.status != Filled || o.filled != o.lots {
		// Not sizeOf's cache: a backtest builds the infos concurrently
		// with other work on the market.
		inf.Filled = o.m.sizeOfUncached(o.filled)
	}
	switch {
	case o.nFills == 1:
		inf.AvgPrice = o.firstPrice(o.m.priceOfUncached)
	case o.nFills > 1:
		inf.AvgPrice = o.value.Div(inf.Filled)
	}
	if o.parent != nil {
		inf.Parent = o.parent.ID
	}
	return inf
}

// OpenOrders lists the orders that are pending or open, in submission order,
// for one market or for all when fqme is empty.
func (e *Engine) OpenOrders(fqme string) []OrderInfo {
	var out []OrderInfo
	for _, o := range e.list {
		if !o.status.Done() && (fqme == "" || o.FQME == fqme) {
			out = append(out, o.info())
		}
	}
	return out
}

// Orders lists every order the engine accepted, in submission order.
func (e *Engine) Orders() []OrderInfo {
	out := make([]OrderInfo, len(e.list))
	for i, o := range e.list {
		out[i] = o.info()
	}
	return out
}

// ErrUnknownMarket is returned for events of a market the engine does not clear.
var ErrUnknownMarket = errors.New("unknown market")

// OnQuote updates a market's top of book and matches its orders against it.
func (e *Engine) OnQuote(q feeds.Quote) error {
	m := e.market(q.FQME)
	if m == nil {
		return fmt.Errorf("paper engine quote %s: %w", q.FQME, ErrUnknownMarket)
	}
	if err := checkQuote(q, m.maxPx); err != nil {
		return fmt.Errorf("paper engine quote: %w", err)
	}
	e.advance(q.Time)
	m.ticked, m.hasQuote = true, true
	m.bid, m.ask = q.Bid, q.Ask
	m.bidAvail, m.askAvail = displayed(q.BidSize), displayed(q.AskSize)
	for i := 0; i < len(m.orders); i++ {
		if o := m.orders[i]; o.status == Open {
			e.matchTouch(m, o, e.now)
		}
	}
	e.compact()
	return nil
}

func displayed(size float64) float64 {
	if size > 0 {
		return size
	}
	return math.Inf(1)
}

// matchTouch matches one order against the market's current quote.
func (e *Engine) matchTouch(m *market, o *order, t int64) {
	if !m.hasQuote {
		return
	}
	buy := o.Side == Buy
	touch, avail := m.ask, m.askAvail
	if !buy {
		touch, avail = m.bid, m.bidAvail
	}
	if touch <= 0 || math.IsNaN(touch) {
		return
	}
	if (o.Type == Stop || o.Type == StopLimit) && !o.triggered {
		if buy && touch < o.stop || !buy && touch > o.stop {
			return
		}
		e.trigger(o, t)
	}
	price, liq, ok := touch, Taker, true
	if o.Type == Limit || o.Type == StopLimit {
		through := buy && touch < o.px || !buy && touch > o.px
		at := touch == o.px
		switch {
		case o.fresh:
			ok = through || at
		case through:
			price, liq = o.px, Maker
		case at:
			price, liq, ok = o.px, Maker, e.touchFill(o, -1)
		default:
			ok = false
		}
	}
	e.take(m, o, t, price, liq, ok, &avail, avail)
	if buy {
		m.askAvail = avail
	} else {
		m.bidAvail = avail
	}
}

// take fills as much of o as avail (units) allows at price when ok, and then
// settles its time in force if this was its first look.
func (e *Engine) take(m *market, o *order, t int64, price float64, liq Liquidity, ok bool, avail *float64, volume float64) {
	first := o.fresh
	o.fresh = false
	want := o.lots - o.filled
	if ok {
		lots := want
		if !math.IsInf(*avail, 1) {
			lots = min(lots, int64(*avail/m.lot+1e-9))
		}
		if first && o.TIF == FOK && lots < want {
			e.cancel(o, t, "FOK: not fillable in full")
			return
		}
		if lots > 0 {
			*avail -= float64(lots) * m.lot
			e.fill(o, t, price, lots, liq, volume)
		}
	}
	if first && o.TIF != GTC && o.status == Open {
		e.cancel(o, t, o.TIF.String()+": unfilled remainder")
	}
}

func (e *Engine) trigger(o *order, t int64) {
	o.triggered = true
	o.fresh = true
	e.out = append(e.out, Report{Kind: Triggered, Time: t, OrderID: o.ID, FQME: o.FQME, Side: o.Side, Tag: o.Tag,
		Price: o.Stop, Remaining: o.remaining()})
}

// touchFill draws whether a touch fills o; on bars one draw per order per bar.
func (e *Engine) touchFill(o *order, bar int64) bool {
	if bar >= 0 && o.touchBar == bar {
		return o.touchOK
	}
	p := e.cfg.Fill.ProbFillOnTouch
	ok := p >= 1 || p > 0 && e.rng.Float64() < p
	o.touchBar, o.touchOK = bar, ok
	return ok
}

// OnTrade matches a market's orders against a print: resting limits fill at
// their price when it trades through them (at a touch with
// FillModel.ProbFillOnTouch), stops trigger, and in a market without quotes
// marketable orders take the print.
func (e *Engine) OnTrade(tr feeds.Trade) error {
	m := e.market(tr.FQME)
	if m == nil {
		return fmt.Errorf("paper engine trade %s: %w", tr.FQME, ErrUnknownMarket)
	}
	if err := checkTrade(tr, m.maxPx); err != nil {
		return fmt.Errorf("paper engine trade: %w", err)
	}
	e.advance(tr.Time)
	m.ticked = true
	avail := displayed(tr.Size)
	p := tr.Price
	for i := 0; i < len(m.orders); i++ {
		o := m.orders[i]
		if o.status != Open {
			continue
		}
		buy := o.Side == Buy
		if (o.Type == Stop || o.Type == StopLimit) && !o.triggered {
			if buy && p < o.stop || !buy && p > o.stop {
				continue
			}
			e.trigger(o, e.now)
			if m.hasQuote {
				e.matchTouch(m, o, e.now)
				continue
			}
		}
		price, liq, ok := p, Taker, true
		if o.Type == Limit || o.Type == StopLimit {
			through := buy && p < o.px || !buy && p > o.px
			at := p == o.px
			switch {
			case o.fresh && !m.hasQuote:
				ok = through || at
			case o.fresh:
				// A new order with a quote to look at has already had it.
				ok = false
			case through:
				price, liq = o.px, Maker
			case at:
				price, liq, ok = o.px, Maker, e.touchFill(o, -1)
			default:
				ok = false
			}
		} else if m.hasQuote {
			// Marketable orders take the quote, not the tape.
			continue
		}
		e.take(m, o, e.now, price, liq, ok, &avail, avail)
	}
	e.compact()
	return nil
}

// fill books lots of o at price (before slippage for takers) and runs the
// consequences: status, bracket exits, OCO.
func (e *Engine) fill(o *order, t int64, price float64, lots int64, liq Liquidity, volume float64) {
	m := o.m
	buy := o.Side == Buy
	if liq == Taker {
		slip := 0.0
		if e.cfg.Slippage != nil {
			slip = e.cfg.Slippage.Slip(SlipInput{FQME: o.FQME, Side: o.Side, Price: price, Size: float64(lots) * m.lot,
				Tick: m.tick, Volume: volume})
		}
		if p := e.cfg.Fill.ProbSlippage; p > 0 && m.tick > 0 && (p >= 1 || e.rng.Float64() < p) {
			slip += m.tick
		}
		if buy {
			price += slip
		} else {
			price -= slip
		}
	}
	// A limit never trades past its limit, whatever moved the price.
	if o.Type == Limit || o.Type == StopLimit {
		if buy && price > o.px {
			price = o.px
		}
		if !buy && price < o.px {
			price = o.px
		}
	}
	if !(price > 0 && price <= m.maxPx) {
		// Slippage below zero, or a price past what ticks and int64 hold:
		// no fill at a price that would book nonsense.
		e.cancel(o, t, "no fill at "+priceProblem(price, m.maxPx))
		return
	}
	var pd decimal.Decimal
	ticks := m.ticksOf(price, o.Side)
	lean := e.lean && e.leanFill(m, ticks, lots, liq)
	if !lean {
		pd = m.priceDecimal(ticks, price)
	}
	sd := o.Size
	if lots != o.lots {
		sd = m.sizeOf(lots)
	}
	fee := decimal.Zero
	if e.cfg.Fees != nil && !lean {
		ok := false
		if e.intFees && ticks >= 0 {
			fee, ok = e.intFee(m, ticks, lots, liq)
		}
		if !ok {
			fee = e.cfg.Fees.Fee(FeeInput{FQME: o.FQME, Side: o.Side, Price: pd, Size: sd, Liquidity: liq})
		}
	}
	o.nFills++
	switch {
	case o.nFills == 1 && lean:
		o.firstTicks = ticks + 1
	case o.nFills == 1:
		o.firstPx = pd
	default:
		if lean {
			pd = m.priceOf(ticks)
		}
		if o.nFills == 2 {
			o.value = o.firstPrice(m.priceOf).Mul(m.sizeOf(o.filled)).Add(pd.Mul(sd))
		} else {
			o.value = o.value.Add(pd.Mul(sd))
		}
	}
	o.filled += lots
	if o.filled >= o.lots {
		o.status = Filled
		e.markDirty(m)
	}
	e.out = append(e.out, Report{Kind: Fill, Time: t, OrderID: o.ID, FQME: o.FQME, Side: o.Side, Tag: o.Tag,
		Price: pd, Size: sd, Fee: fee, Liquidity: liq, Remaining: o.remaining(), ord: o, mk: m, ticks: ticks, lots: lots})
	if sib := o.oco; sib != nil && !sib.status.Done() {
		sib.lots -= lots
		if sib.lots <= sib.filled {
			sib.lots = sib.filled
			e.cancel(sib, t, "OCO: sibling "+o.ID+" filled")
		} else {
			sib.Size = m.sizeOf(sib.lots)
			e.out = append(e.out, Report{Kind: Amended, Time: t, OrderID: sib.ID, FQME: sib.FQME, Side: sib.Side, Tag: sib.Tag,
				Price: sib.Price, Size: sib.Size, Remaining: sib.remaining(), Reason: "OCO: sibling " + o.ID + " filled"})
		}
	}
	if o.status == Filled && o.parent != nil {
		if o.parent.sl == o {
			o.parent.sl = nil
		}
		if o.parent.tp == o {
			o.parent.tp = nil
		}
	}
	if !o.StopLoss.IsZero() || !o.TakeProfit.IsZero() {
		e.attach(o, t, lots)
	}
}

// ticksOf rounds a fill price to the market's tick, against the order
// when it is off the tick (up for buys, down for sells): the price in
// ticks, or -1 when the market has no tick.
func (m *market) ticksOf(p float64, side Side) int64 {
	if m.tick <= 0 {
		return -1
	}
	x := p / m.tick
	n := math.Round(x)
	if math.Abs(x-n) > 1e-7 {
		if side == Buy {
			n = math.Ceil(x)
		} else {
			n = math.Floor(x)
		}
	}
	return int64(n)
}

// priceDecimal is a fill's price: ticks (see ticksOf) as a decimal, or p
// itself when the market has no tick.
func (m *market) priceDecimal(ticks int64, p float64) decimal.Decimal {
	if ticks < 0 {
		return decimal.NewFromFloat(p)
	}
	if ticks == m.lastTicks && m.lastTicks != 0 {
		return m.lastPrice
	}
	m.lastTicks, m.lastPrice = ticks, m.priceOf(ticks)
	return m.lastPrice
}

// leanFill says that a fill of lots at ticks can go without its decimals
// (see Engine.lean): the runner books its size, price and fee as floats
// from the integers (runner.fillFloats) and keeps it as ticks and lots
// (runner.addFill).
func (e *Engine) leanFill(m *market, ticks, lots int64, liq Liquidity) bool {
	if ticks < 0 || !m.intTL {
		return false
	}
	if e.cfg.Fees == nil {
		return true
	}
	c, x, ok := m.feeCoef(ticks, lots, liq)
	if ok {
		_, ok = floatOf(c, x)
	}
	return ok
}

// firstPrice is the first fill's price, made by priceOf from its ticks
// after a lean fill.
func (o *order) firstPrice(priceOf func(int64) decimal.Decimal) decimal.Decimal {
	if o.firstTicks != 0 {
		return priceOf(o.firstTicks - 1)
	}
	return o.firstPx
}

type cachedFee struct {
	ticks, lots int64
	liq         Liquidity
	fee         decimal.Decimal
	ok          bool
}

// intFee is Fees.Fee for ticks·lots, from the cache or in int64; false
// when the product does not fit.
func (e *Engine) intFee(m *market, ticks, lots int64, liq Liquidity) (decimal.Decimal, bool) {
	if e.feeC[liq] == 0 {
		return decimal.Zero, true
	}
	if m.fees == nil {
		m.fees = make([]cachedFee, priceCache)
	}
	c := &m.fees[(ticks^lots<<7)&(priceCache-1)]
	if c.ok && c.ticks == ticks && c.lots == lots && c.liq == liq {
		return c.fee, true
	}
	x, exp, ok := m.feeCoef(ticks, lots, liq)
	if !ok {
		return decimal.Decimal{}, false
	}
	fee := decimal.New(x, exp)
	*c = cachedFee{ticks: ticks, lots: lots, liq: liq, fee: fee, ok: true}
	return fee, true
}

// feeCoef is the fee the engine charged a fill of ticks·lots as c·10^e,
// when its fees are plain bps ones computed in int64 (see intFee).
func (m *market) feeCoef(ticks, lots int64, liq Liquidity) (int64, int32, bool) {
	e := m.eng
	if e == nil || !e.intFees || ticks < 0 || liq > Maker {
		return 0, 0, false
	}
	rate := e.feeC[liq]
	if rate == 0 {
		return 0, 0, true
	}
	if !m.intTL {
		return 0, 0, false
	}
	x, ok := mulInt(ticks, m.tickC)
	for _, k := range [...]int64{lots, m.lotC, rate} {
		if ok {
			x, ok = mulInt(x, k)
		}
	}
	return x, m.tickE + m.lotE + e.feeE[liq], ok
}

// sizeFloat is n lots as a float64, the nearest to the decimal size.
func (m *market) sizeFloat(n int64) float64 { return m.unitsFloat(n, m.lotC, m.lotE, m.sizeOf) }

// priceFloat is n ticks as a float64, the nearest to the decimal price.
func (m *market) priceFloat(n int64) float64 { return m.unitsFloat(n, m.tickC, m.tickE, m.priceOf) }

// unitsFloat is n units of c·10^e as the float64 nearest to the decimal:
// from integers when the product fits, else through dec.
func (m *market) unitsFloat(n, c int64, e int32, dec func(int64) decimal.Decimal) float64 {
	if m.intTL {
		if p, ok := mulInt(n, c); ok {
			if f, ok := floatOf(p, e); ok {
				return f
			}
		}
	}
	return decFloat(dec(n))
}

type cachedPrice struct {
	ticks int64
	price decimal.Decimal
	ok    bool
}

const priceCache = 4096

// priceOf is n ticks as a decimal price.
func (m *market) priceOf(n int64) decimal.Decimal {
	if m.prices == nil {
		m.prices = make([]cachedPrice, priceCache)
	}
	c := &m.prices[n&(priceCache-1)]
	if c.ok && c.ticks == n {
		return c.price
	}
	p := m.priceOfUncached(n)
	*c = cachedPrice{ticks: n, price: p, ok: true}
	return p
}

// priceOfUncached is priceOf without its cache, which concurrent readers
// of the market may not share.
func (m *market) priceOfUncached(n int64) decimal.Decimal {
	if m.tickPow {
		return decimal.New(n, m.tickD.Exponent())
	}
	return m.tickD.Mul(decimal.NewFromInt(n))
}

// sizeOf is n lots as a decimal size.
func (m *market) sizeOf(n int64) decimal.Decimal {
	if n == 0 {
		return decimal.Zero
	}
	if n == m.lastLots {
		return m.lastSize
	}
	m.lastLots, m.lastSize = n, m.sizeOfUncached(n)
	return m.lastSize
}

// sizeOfUncached is sizeOf without the cache.
func (m *market) sizeOfUncached(n int64) decimal.Decimal {
	switch {
	case n == 0:
		return decimal.Zero
	case m.lotPow:
		return decimal.New(n, m.lotD.Exponent())
	}
	return m.lotD.Mul(decimal.NewFromInt(n))
}

// attach adds lots to o's exits, creating them at the first fill (or after
// the previous pair has finished).
func (e *Engine) attach(o *order, t int64, lots int64) {
	if o.sl != nil || o.tp != nil {
		for _, c := range []*order{o.sl, o.tp} {
			if c != nil {
				c.lots += lots
				c.Size = c.m.lotD.Mul(decimal.NewFromInt(c.lots))
				e.out = append(e.out, Report{Kind: Amended, Time: t, OrderID: c.ID, FQME: c.FQME, Side: c.Side, Tag: c.Tag,
					Price: c.Price, Size: c.Size, Remaining: c.remaining()})
			}
		}
		return
	}
	o.nBrackets++
	suffix := ""
	if o.nBrackets > 1 {
		suffix = strconv.Itoa(int(o.nBrackets))
	}
	size := o.m.lotD.Mul(decimal.NewFromInt(lots))
	mk := func(name string, typ OrderType, price decimal.Decimal) *order {
		e.seq++
		c := e.newOrder()
		*c = order{Order: Order{ID: o.ID + "." + name + suffix, FQME: o.FQME, Side: -o.Side, Type: typ, Size: size, Tag: o.Tag},
			seq: e.seq, m: o.m, lots: lots, status: Open, live: t, parent: o, fresh: true}
		if typ == Stop {
			c.Stop, c.stop = price, decFloat(price)
		} else {
			c.Price, c.px = price, decFloat(price)
		}
		if o.m.inBar {
			c.live = e.barOpen
		}
		e.add(c, false)
		e.out = append(e.out, Report{Kind: Accepted, Time: t, OrderID: c.ID, FQME: c.FQME, Side: c.Side, Tag: c.Tag,
			Remaining: size, Reason: "exit attached to " + o.ID})
		c.m.orders = append(c.m.orders, c)
		return c
	}
	if !o.StopLoss.IsZero() {
		o.sl = mk("sl", Stop, o.StopLoss)
	}
	if !o.TakeProfit.IsZero() {
		o.tp = mk("tp", Limit, o.TakeProfit)
	}
	if o.sl != nil && o.tp != nil {
		o.sl.oco, o.tp.oco = o.tp, o.sl
	}
	if o.m.ticked && !o.m.inBar {
		for _, c := range []*order{o.sl, o.tp} {
			if c != nil && c.status == Open {
				e.matchTouch(c.m, c, t)
			}
		}
	}
}

// OnBar matches a closed bar against the orders of a market that has no
// quotes or trades (bars of a ticked market are information only). Only
// orders live at the bar's open take part: an order placed on a bar's close
// trades on the next bar at the earliest.
func (e *Engine) OnBar(b feeds.BarEvent) error {
	open := b.OpenTime()
	if len(e.ops) == 0 {
		// The common case in a backtest: nothing scheduled, often nothing to match.
		m := e.market(b.FQME)
		if m == nil {
			return fmt.Errorf("paper engine bar %s: %w", b.FQME, ErrUnknownMarket)
		}
		if err := m.checkBar(b); err != nil {
			return err
		}
		if open > e.now {
			e.now = open
		}
		if !m.ticked && len(m.orders) > 0 {
			e.matchBar(m, b, open)
			e.compact()
		}
		e.advance(b.Time)
		e.compact()
		return nil
	}
	m := e.market(b.FQME)
	if m == nil {
		return fmt.Errorf("paper engine bar %s: %w", b.FQME, ErrUnknownMarket)
	}
	if err := m.checkBar(b); err != nil {
		return err
	}
	e.advance(open)
	if !m.ticked && len(m.orders) > 0 {
		e.matchBar(m, b, open)
	}
	e.advance(b.Time)
	e.compact()
	return nil
}

// checkBar refuses a bar nothing may trade on, changing nothing.
func (m *market) checkBar(b feeds.BarEvent) error {
	if b.Bar.Valid() && b.Bar.High <= m.maxPx {
		return nil
	}
	return fmt.Errorf("paper engine: %w", checkBar(m.fqme, b.Bar, m.maxPx))
}

// barHit is the next thing that happens to an order on a bar's path.
type barHit struct {
	pos, price float64 // where on the path (0 open … 3 close) and at what price
	trigger    bool    // the stop triggers here
	fill       bool    // and/or fills here
	liq        Liquidity
}

func (e *Engine) matchBar(m *market, b feeds.BarEvent, open int64) {
	e.bar++
	bar := e.bar
	o0, hi, lo, cl := b.Bar.Open, b.Bar.High, b.Bar.Low, b.Bar.Close
	path := [4]float64{o0, hi, lo, cl}
	if o0-lo < hi-o0 {
		path = [4]float64{o0, lo, hi, cl}
	}
	span := float64(b.Time - open)
	capLeft := math.Inf(1)
	if s := e.cfg.Fill.VolumeShare; s > 0 {
		capLeft = s * b.Bar.Volume
	}
	m.inBar, e.barOpen = true, open
	pos, price := 0.0, o0
	// The orders' next hits, earliest first (ties in list order). An event
	// that only blocks an order (the volume cap is spent) moves the cursor
	// to a hit no other order's comes before, which leaves the others' hits
	// as they were: the list stays valid and each candidate is rescanned
	// only to confirm it. Anything else changes orders, so the list is
	// rebuilt. Rebuilding after every block made a capped bar cost the
	// square of its resting orders.
	hits, k := e.barHits[:0], 0
	rescan := true
	for {
		if rescan {
			hits, k, rescan = hits[:0], 0, false
			for _, o := range m.orders {
				if o.status != Open || o.live > open || o.blocked == bar {
					continue
				}
				if h, ok := e.scanBar(o, &path, pos, price, bar); ok {
					hits = append(hits, orderHit{o, h.pos})
				}
			}
			slices.SortStableFunc(hits, func(a, b orderHit) int { return cmp.Compare(a.pos, b.pos) })
		}
		var best *order
		var hit barHit
		for ; k < len(hits); k++ {
			o := hits[k].o
			if o.status != Open || o.blocked == bar {
				continue
			}
			h, ok := e.scanBar(o, &path, pos, price, bar)
			if !ok || h.pos != hits[k].pos {
				rescan = true
			} else {
				best, hit = o, h
				k++
			}
			break
		}
		if rescan {
			continue
		}
		if best == nil {
			break
		}
		pos, price = hit.pos, hit.price
		t := open + int64(pos/3*span)
		rescan = true
		if hit.trigger {
			e.trigger(best, t)
		}
		if !hit.fill {
			continue
		}
		want := best.lots - best.filled
		lots := want
		if !math.IsInf(capLeft, 1) {
			lots = min(lots, int64(capLeft/m.lot+1e-9))
		}
		if best.fresh && best.TIF == FOK && lots < want {
			e.cancel(best, t, "FOK: not fillable in full")
			continue
		}
		if lots <= 0 {
			best.blocked = bar
			rescan = hit.trigger
			continue
		}
		capLeft -= float64(lots) * m.lot
		e.fill(best, t, hit.price, lots, hit.liq, b.Bar.Volume)
		if best.status == Open {
			best.blocked = bar
		}
	}
	for _, o := range m.orders {
		if o.status != Open || o.live > open || (o.Type == Stop || o.Type == StopLimit) && !o.triggered {
			continue
		}
		if o.fresh && o.TIF != GTC {
			e.cancel(o, open, o.TIF.String()+": unfilled remainder")
		}
		o.fresh = false
	}
	m.inBar = false
	clear(hits)
	e.barHits = hits[:0]
}

// orderHit is an order and the position on a bar's path of its next hit.
type orderHit struct {
	o   *order
	pos float64
}

// scanBar finds the first event for o on the bar's path from (pos, p0) on.
func (e *Engine) scanBar(o *order, path *[4]float64, pos, p0 float64, bar int64) (barHit, bool) {
	buy := o.Side == Buy
	if (o.Type == Stop || o.Type == StopLimit) && !o.triggered {
		tp, tprice, ok := firstReach(path, pos, p0, o.stop, buy)
		if !ok {
			return barHit{}, false
		}
		// A stop becomes a market order at its trigger; a stop-limit waits for
		// the next scan to look at its limit from here.
		return barHit{pos: tp, price: tprice, trigger: true, fill: o.Type == Stop, liq: Taker}, true
	}
	if o.Type == Market || o.Type == Stop {
		return barHit{pos: pos, price: p0, fill: true, liq: Taker}, true
	}
	// Limit, or a stop-limit that has triggered.
	if buy && p0 < o.px || !buy && p0 > o.px || p0 == o.px && o.fresh {
		liq := Maker
		if o.fresh {
			liq = Taker
		}
		return barHit{pos: pos, price: p0, fill: true, liq: liq}, true
	}
	if o.fresh && o.TIF != GTC {
		return barHit{}, false
	}
	tp, _, ok := firstReach(path, pos, p0, o.px, !buy)
	if !ok {
		return barHit{}, false
	}
	if !beyond(path, tp, o.px, !buy) && !e.touchFill(o, bar) {
		return barHit{}, false
	}
	return barHit{pos: tp, price: o.px, fill: true, liq: Maker}, true
}

// firstReach finds the first point at or after (pos, p0) where the path
// reaches x going up (up) or down, and the price there: p0 itself when it is
// already at or beyond x, else x.
func firstReach(path *[4]float64, pos, p0, x float64, up bool) (float64, float64, bool) {
	if up && p0 >= x || !up && p0 <= x {
		return pos, p0, true
	}
	s0 := int(pos)
	for s := s0; s < 3; s++ {
		a, b := path[s], path[s+1]
		if s == s0 {
			a = p0
		}
		if up && a < x && b >= x || !up && a > x && b <= x {
			from := path[s]
			if path[s+1] == from {
				return float64(s), x, true
			}
			return float64(s) + (x-from)/(path[s+1]-from), x, true
		}
	}
	return 0, 0, false
}

// beyond reports whether the path after pos goes strictly past x (above it
// when up), as opposed to only touching it.
func beyond(path *[4]float64, pos, x float64, up bool) bool {
	for s := int(pos) + 1; s < 4; s++ {
		if up && path[s] > x || !up && path[s] < x {
			return true
		}
	}
	return false
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

var pow10f = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decFloat is the float64 nearest to d. Decimal's own conversion goes
// through big.Rat; a coefficient of at most 15 digits and a power of ten up
// to 22 convert exactly with one float operation, which is correctly rounded.
func decFloat(d decimal.Decimal) float64 {
	if d.NumDigits() <= 15 {
		if f, ok := floatOf(d.CoefficientInt64(), d.Exponent()); ok {
			return f
		}
	}
	return d.InexactFloat64()
}

// floatOf is the float64 nearest to c·10^e, when one float operation on
// exact operands gives it.
func floatOf(c int64, e int32) (float64, bool) {
	if c > 1<<53 || c < -(1<<53) {
		return 0, false
	}
	f := float64(c)
	switch {
	case e == 0:
		return f, true
	case e < 0 && e >= -22:
		return f / pow10f[-e], true
	case e > 0 && e <= 22:
		return f * pow10f[e], true
	}
	return 0, false
}

// lotsOf is size/lot and whether that is a whole number, in int64
// arithmetic when the numbers are small enough.
func lotsOf(size, lot decimal.Decimal) (int64, bool) {
	sd, ld := size.NumDigits(), lot.NumDigits()
	if sd <= 15 && ld <= 15 {
		num, den := size.CoefficientInt64(), lot.CoefficientInt64()
		e := int(size.Exponent()) - int(lot.Exponent())
		if e >= 0 && sd+e <= 18 || e < 0 && ld-e <= 18 {
			if e >= 0 {
				num *= pow10[e]
			} else {
				den *= pow10[-e]
			}
			if den != 0 {
				return num / den, num%den == 0
			}
		}
	}
	q, r := size.QuoRem(lot, 0)
	return q.IntPart(), r.IsZero()
}
