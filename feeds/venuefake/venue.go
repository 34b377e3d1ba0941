package venuefake

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/mkt"
)

// VenueOptions configures an in-process Venue.
type VenueOptions struct {
	// Name is the venue's fqme token; default "fake". Tapes' FQMEs end
	// with it.
	Name  string
	Clock *Clock
	Tapes []*Tape
	// Empty is the venue's rule for intervals without trades.
	Empty feeds.EmptyBars
	// Periods are the bar periods Bars serves (s); default {60}.
	Periods []int64
	// PageBars is how many bar slots one Bars request covers (default
	// 500); PageTrades how many trades one Trades request returns (default
	// 1000).
	PageBars, PageTrades int
	// Poll is the wall time between two looks of the stream at the clock
	// (default 2 ms).
	Poll time.Duration
}

// Outage is an interval of venue time [From, To) (epoch ns) in which the
// stream is down: it reports Disconnected when its clock reaches From,
// loses the trades of the interval and reports Connected at To.
type Outage struct{ From, To int64 }

// Faults are the defects a Venue injects; change them with SetFaults.
type Faults struct {
	// DropTrade loses, on the stream, the trades it returns true for, as
	// lost messages would: silently.
	DropTrade func(feeds.Trade) bool
	// DuplicateTrade delivers the trades it returns true for twice.
	DuplicateTrade func(feeds.Trade) bool
	// Outages take the stream down for a while.
	Outages []Outage
	// MalformedAfter reports a Malformed status after each trade it
	// returns true for (a frame the feed could not decode).
	MalformedAfter func(feeds.Trade) bool
	// FailRequest fails the n-th REST request (1-based, Bars and Trades
	// pages counted together) with the error it returns; nil lets it pass.
	FailRequest func(n int) error
	// HistoryLag is how long (venue time) a closed bar takes to appear in
	// Bars, as an exchange's REST history lags its stream.
	HistoryLag time.Duration
}

// Request is one REST page a Venue served (or failed).
type Request struct {
	Kind     string // "bars" or "trades"
	FQME     string
	From, To int64 // bars: epoch s; trades: epoch ns
	Err      error
}

// Venue is a feeds.Venue over Tapes, in process and without a network: the
// stream delivers each tape's trades as the Clock passes them, REST history
// comes from the same tapes, and Faults inject drops, outages, malformed
// frames and failing pages. It is what the recorder's tests run against
// before the venue servers (binancefake, krakenfake) are involved.
type Venue struct {
	opt   VenueOptions
	tapes map[string]*Tape

	mu       sync.Mutex
	faults   Faults
	requests []Request
}

var _ feeds.Venue = (*Venue)(nil)

// NewVenue makes a venue of opt's tapes.
func NewVenue(opt VenueOptions) *Venue {
	if opt.Name == "" {
		opt.Name = "fake"
	}
	if len(opt.Periods) == 0 {
		opt.Periods = []int64{60}
	}
	if opt.PageBars <= 0 {
		opt.PageBars = 500
	}
	if opt.PageTrades <= 0 {
		opt.PageTrades = 1000
	}
	if opt.Poll <= 0 {
		opt.Poll = 2 * time.Millisecond
	}
	if opt.Clock == nil {
		opt.Clock = NewClock(time.Now().UnixNano(), 1)
	}
	v := &Venue{opt: opt, tapes: map[string]*Tape{}}
	for _, t := range opt.Tapes {
		v.tapes[strings.ToLower(t.Config().FQME)] = t
	}
	return v
}

// SetFaults changes the injected faults while the venue runs.
func (v *Venue) SetFaults(f func(*Faults)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	f(&v.faults)
}

func (v *Venue) currentFaults() Faults {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.faults
}

// Requests lists the REST pages asked of the venue so far, in order.
func (v *Venue) Requests() []Request {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Request(nil), v.requests...)
}

// request records a REST page and applies FailRequest to it.
func (v *Venue) request(r Request) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.faults.FailRequest != nil {
		r.Err = v.faults.FailRequest(len(v.requests) + 1)
	}
	v.requests = append(v.requests, r)
	return r.Err
}

// Name is the venue's fqme token.
func (v *Venue) Name() string { return v.opt.Name }

// Clock is the venue's time.
func (v *Venue) Clock() *Clock { return v.opt.Clock }

// tape resolves fqme, with or without the venue token.
func (v *Venue) tape(fqme string) (*Tape, error) {
	f := strings.ToLower(fqme)
	if t, ok := v.tapes[f]; ok {
		return t, nil
	}
	if t, ok := v.tapes[f+"."+v.opt.Name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("%s: unknown market %q", v.opt.Name, fqme)
}

// Market describes a tape's market with its tick and lot.
func (v *Venue) Market(_ context.Context, fqme string) (mkt.MktPair, error) {
	t, err := v.tape(fqme)
	if err != nil {
		return mkt.MktPair{}, err
	}
	cfg := t.Config()
	m, err := mkt.ParseFQME(cfg.FQME)
	if err != nil {
		return mkt.MktPair{}, err
	}
	m.BSMktID = strings.ToUpper(m.Pair(""))
	m.PriceTick = decimal.NewFromFloat(cfg.Tick)
	m.SizeTick = decimal.NewFromFloat(cfg.Lot)
	return m, nil
}

// BarPeriods lists the periods Bars serves.
func (v *Venue) BarPeriods() []int64 { return append([]int64(nil), v.opt.Periods...) }

// EmptyBars is the venue's rule for intervals without trades.
func (v *Venue) EmptyBars() feeds.EmptyBars { return v.opt.Empty }

// Bars serves the tape's closed bars in pages of PageBars slots.
func (v *Venue) Bars(ctx context.Context, fqme string, period, from, to int64, page func(*frames.OHLCV) error) error {
	t, err := v.tape(fqme)
	if err != nil {
		return err
	}
	if !v.serves(period) {
		return fmt.Errorf("%s: bars of %s are not served (periods: %v)", v.opt.Name, frames.FormatPeriod(period), v.opt.Periods)
	}
	from = frames.CeilTime(from, period)
	// Only closed bars: the one forming at the venue's now is left out.
	lag := int64(v.currentFaults().HistoryLag)
	to = min(to, frames.FloorTime((v.opt.Clock.Now()-lag)/1e9, period))
	for from < to {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(to, from+int64(v.opt.PageBars)*period)
		if err := v.request(Request{Kind: "bars", FQME: fqme, From: from, To: end}); err != nil {
			return err
		}
		if err := page(t.Bars(period, from, end, v.opt.Empty == feeds.FlatBar)); err != nil {
			return err
		}
		from = end
	}
	return nil
}

func (v *Venue) serves(period int64) bool {
	for _, p := range v.opt.Periods {
		if p == period {
			return true
		}
	}
	return false
}

// Trades serves the tape's trades in pages of PageTrades.
func (v *Venue) Trades(ctx context.Context, fqme string, from, to int64, page func([]feeds.Trade) error) error {
	t, err := v.tape(fqme)
	if err != nil {
		return err
	}
	to = min(to, v.opt.Clock.Now())
	for from < to {
		if err := ctx.Err(); err != nil {
			return err
		}
		trades := t.Trades(from, to)
		if len(trades) > v.opt.PageTrades {
			trades = trades[:v.opt.PageTrades]
		}
		end := to
		if len(trades) == v.opt.PageTrades {
			end = trades[len(trades)-1].Time + 1
		}
		if err := v.request(Request{Kind: "trades", FQME: fqme, From: from, To: end}); err != nil {
			return err
		}
		if len(trades) > 0 {
			if err := page(trades); err != nil {
				return err
			}
		}
		from = end
	}
	return nil
}

// Feed streams sub's markets.
func (v *Venue) Feed(sub feeds.Subscription) feeds.Feed { return &venueFeed{v: v, sub: sub} }

type venueFeed struct {
	v   *Venue
	sub feeds.Subscription
}

// Stream delivers, from the clock's now on, the trades (and quotes one tick
// around each trade, and closed bars of sub.Bars) of the subscribed tapes
// in time order as the clock passes them.
func (f *venueFeed) Stream(ctx context.Context, sink func(feeds.Event) error) error {
	v := f.v
	tapes := make([]*Tape, len(f.sub.FQMEs))
	for i, q := range f.sub.FQMEs {
		t, err := v.tape(q)
		if err != nil {
			return err
		}
		tapes[i] = t
	}
	now := v.opt.Clock.Now()
	emit := func(ev feeds.Event) error {
		if err := sink(ev); err != nil {
			return fmt.Errorf("%s feed: %w", v.opt.Name, err)
		}
		return nil
	}
	if err := emit(feeds.Event{Kind: feeds.KindStatus, Status: feeds.Status{Kind: feeds.Connected, Time: time.Now().UnixNano()}}); err != nil {
		return err
	}
	pos := now       // trades before pos are delivered (or lost)
	down := int64(0) // end of the outage the stream is in; 0 when up
	barsFrom := make([]int64, len(tapes))
	for i := range barsFrom {
		if f.sub.Bars > 0 {
			barsFrom[i] = frames.CeilTime(now/1e9, f.sub.Bars)
		}
	}
	tick := time.NewTicker(v.opt.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now := v.opt.Clock.Now()
		flt := v.currentFaults()
		var batch []feeds.Trade
		for _, t := range tapes {
			batch = append(batch, t.Trades(pos, now)...)
		}
		sort.SliceStable(batch, func(i, j int) bool { return batch[i].Time < batch[j].Time })
		for _, tr := range batch {
			if down != 0 && tr.Time >= down {
				down = 0
				if err := emit(statusEvent(feeds.Connected, nil)); err != nil {
					return err
				}
			}
			if o, ok := outageAt(flt.Outages, tr.Time); ok && down == 0 {
				down = o.To
				if err := emit(statusEvent(feeds.Disconnected, fmt.Errorf("outage until %d", o.To))); err != nil {
					return err
				}
			}
			if down != 0 || (flt.DropTrade != nil && flt.DropTrade(tr)) {
				continue
			}
			if err := f.deliver(tr, flt, emit); err != nil {
				return err
			}
		}
		if down != 0 && now >= down {
			down = 0
			if err := emit(statusEvent(feeds.Connected, nil)); err != nil {
				return err
			}
		}
		pos = now
		if f.sub.Bars > 0 && down == 0 {
			for i, t := range tapes {
				p := f.sub.Bars
				end := frames.FloorTime(now/1e9, p)
				if end <= barsFrom[i] {
					continue
				}
				bars := t.Bars(p, barsFrom[i], end, v.opt.Empty == feeds.FlatBar)
				for k := range bars.Len() {
					ev := feeds.Event{Kind: feeds.KindBar, Bar: feeds.NewBarEvent(t.Config().FQME, bars, k)}
					ev.Bar.Index, ev.Bar.Recv = -1, time.Now().UnixNano()
					if err := emit(ev); err != nil {
						return err
					}
				}
				barsFrom[i] = end
			}
		}
	}
}

func (f *venueFeed) deliver(tr feeds.Trade, flt Faults, emit func(feeds.Event) error) error {
	n := 1
	if flt.DuplicateTrade != nil && flt.DuplicateTrade(tr) {
		n = 2
	}
	tr.Recv = time.Now().UnixNano()
	for range n {
		if f.sub.Trades {
			if err := emit(feeds.Event{Kind: feeds.KindTrade, Trade: tr}); err != nil {
				return err
			}
		}
		if f.sub.Quotes {
			tick := f.v.tapes[strings.ToLower(tr.FQME)].Config().Tick
			q := feeds.Quote{Time: tr.Time, FQME: tr.FQME, Bid: tr.Price - tick, Ask: tr.Price + tick,
				BidSize: tr.Size, AskSize: tr.Size, Recv: tr.Recv}
			if err := emit(feeds.Event{Kind: feeds.KindQuote, Quote: q}); err != nil {
				return err
			}
		}
	}
	if flt.MalformedAfter != nil && flt.MalformedAfter(tr) {
		return emit(statusEvent(feeds.Malformed, fmt.Errorf("frame after trade %d: unexpected end of JSON input", tr.ID)))
	}
	return nil
}

func statusEvent(k feeds.StatusKind, err error) feeds.Event {
	return feeds.Event{Kind: feeds.KindStatus, Status: feeds.Status{Kind: k, Time: time.Now().UnixNano(), Err: err}}
}

func outageAt(os []Outage, t int64) (Outage, bool) {
	for _, o := range os {
		if t >= o.From && t < o.To {
			return o, true
		}
	}
	return Outage{}, false
}
