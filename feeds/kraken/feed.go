package kraken

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"workbench/feeds"
	"workbench/feeds/wsconn"
)

// Feed is a live Kraken stream (websocket v2, or v1 when the URL does not
// end in /v2).
type Feed struct {
	v   *Venue
	sub feeds.Subscription

	dups, late, malformed, gaps, reconnects atomic.Int64
}

// Stats counts what a Feed dropped or reported.
type Stats struct {
	Duplicates int64 // trades dropped because their id was already delivered
	Late       int64 // trades dropped because they came after a later one, inside the TradeGap it caused
	Malformed  int64 // messages that could not be decoded
	Gaps       int64 // TradeGap statuses sent
	Reconnects int64 // connections lost
}

// Stats returns the counters so far.
func (f *Feed) Stats() Stats {
	return Stats{f.dups.Load(), f.late.Load(), f.malformed.Load(), f.gaps.Load(), f.reconnects.Load()}
}

// Stream subscribes to the subscription's markets and delivers their
// events until ctx ends. A market Kraken does not list or a refused
// subscription ends it with an error.
func (f *Feed) Stream(ctx context.Context, sink func(feeds.Event) error) error {
	if len(f.sub.FQMEs) == 0 {
		return fmt.Errorf("kraken feed: no markets")
	}
	s := &stream{f: f, sink: sink, v1: !strings.HasSuffix(strings.TrimRight(f.v.cfg.WSURL, "/"), "/v2"),
		last: map[string]*lastTrade{}, bars: map[string]*barState{}}
	var iv int64
	if f.sub.Bars > 0 {
		var err error
		if iv, err = f.v.periodInterval(f.sub.Bars); err != nil {
			return fmt.Errorf("kraken feed: %w", err)
		}
	}
	for _, fq := range f.sub.FQMEs {
		m, err := f.v.lookup(ctx, fq)
		if err != nil {
			return fmt.Errorf("kraken feed: %w", err)
		}
		s.reqs = append(s.reqs, s.requests(m, iv)...)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.cancel = cancel
	cl := wsconn.New(wsconn.Config{
		URL:          f.v.cfg.WSURL,
		Subscribe:    s.subscribe,
		StallTimeout: f.v.opts.StallTimeout,
		MinBackoff:   f.v.opts.MinBackoff,
		MaxBackoff:   f.v.opts.MaxBackoff,
		OnDisconnect: s.disconnected,
	})
	err := cl.Run(ctx, s.handle)
	if s.fatal != nil {
		err = s.fatal
	}
	if err != nil {
		return fmt.Errorf("kraken feed %v: %w", f.sub.FQMEs, err)
	}
	return nil
}

type subReq struct {
	what string
	msg  map[string]any
}

// requests are the subscription messages for one market (req_id set at
// each connect).
func (s *stream) requests(m *market, iv int64) []subReq {
	var out []subReq
	add := func(channel, v1name string, extra map[string]any) {
		if s.v1 {
			// v1 knows none of v2's options but the interval.
			sub := map[string]any{"name": v1name}
			if iv, ok := extra["interval"]; ok {
				sub["interval"] = iv
			}
			out = append(out, subReq{v1name + " " + m.wsV1, map[string]any{"event": "subscribe", "pair": []string{m.wsV1}, "subscription": sub}})
			return
		}
		params := map[string]any{"channel": channel, "symbol": []string{m.wsV2}}
		for k, v := range extra {
			params[k] = v
		}
		out = append(out, subReq{channel + " " + m.wsV2, map[string]any{"method": "subscribe", "params": params}})
	}
	if s.f.sub.Trades {
		add("trade", "trade", map[string]any{"snapshot": true})
	}
	if s.f.sub.Quotes {
		add("ticker", "ticker", map[string]any{"event_trigger": "bbo"})
	}
	if iv > 0 {
		add("ohlc", "ohlc", map[string]any{"interval": iv})
	}
	return out
}

// lastTrade is a market's last delivered trade and the last gap reported.
type lastTrade struct{ id, time, gapFrom, gapTo int64 }

type barState struct {
	cur    feeds.BarEvent
	has    bool
	closed int64 // open (s) of the last bar reported closed
}

// stream is one Stream call's state; every method runs on wsconn's Run
// goroutine.
type stream struct {
	f      *Feed
	sink   func(feeds.Event) error
	v1     bool
	reqs   []subReq
	nextID int64
	cancel context.CancelFunc
	fatal  error
	evs    []feeds.Event
	last   map[string]*lastTrade
	bars   map[string]*barState
}

func (s *stream) fail(err error) error {
	if s.fatal == nil {
		s.fatal = err
	}
	s.cancel()
	return err
}

// subscribe sends every request and waits for their acks; messages that
// arrive meanwhile are handled once the stream is Connected.
func (s *stream) subscribe(ctx context.Context, c *wsconn.Conn) error {
	want := map[int64]string{}
	for _, r := range s.reqs {
		s.nextID++
		if s.v1 {
			r.msg["reqid"] = s.nextID
		} else {
			r.msg["req_id"] = s.nextID
		}
		b, err := json.Marshal(r.msg)
		if err != nil {
			return s.fail(err)
		}
		if err := c.Write(ctx, b); err != nil {
			return err
		}
		want[s.nextID] = r.what
	}
	var pending [][]byte
	for len(want) > 0 {
		b, err := c.Read(ctx)
		if err != nil {
			return err
		}
		_, a, derr := decode(b, 0, nil)
		if derr == nil && a != nil {
			if what, ok := want[a.reqID]; ok {
				if !a.success {
					return s.fail(fmt.Errorf("subscription %s refused: %s", what, a.err))
				}
				delete(want, a.reqID)
				continue
			}
		}
		pending = append(pending, b)
	}
	if err := s.sink(feeds.Event{Kind: feeds.KindStatus, Status: feeds.Status{Kind: feeds.Connected, Time: time.Now().UnixNano()}}); err != nil {
		return s.fail(err)
	}
	for _, b := range pending {
		if err := s.handle(b); err != nil {
			return s.fail(err)
		}
	}
	return nil
}

func (s *stream) disconnected(err error) {
	s.f.reconnects.Add(1)
	slog.Info("kraken websocket lost", "url", s.f.v.cfg.WSURL, "err", err)
	if serr := s.sink(feeds.Event{Kind: feeds.KindStatus, Status: feeds.Status{Kind: feeds.Disconnected, Time: time.Now().UnixNano(), Err: err}}); serr != nil {
		s.fail(serr)
	}
}

func (s *stream) handle(msg []byte) error {
	recv := time.Now().UnixNano()
	evs, a, err := decode(msg, recv, s.evs[:0])
	s.evs = evs
	if err != nil {
		s.f.malformed.Add(1)
		return s.sink(feeds.Event{Kind: feeds.KindStatus, Status: feeds.Status{Kind: feeds.Malformed, Time: recv, Err: err}})
	}
	if a != nil && !a.success {
		slog.Warn("kraken refused a request", "what", a.what, "err", a.err)
	}
	for _, ev := range evs {
		var err error
		switch ev.Kind {
		case feeds.KindTrade:
			err = s.trade(ev)
		case feeds.KindBar:
			err = s.bar(ev)
		default:
			err = s.sink(ev)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// trade drops a trade whose id was delivered already and reports a jump
// in ids as a TradeGap before delivering the trade after it. A trade that
// arrives after a later one is inside the gap that one reported, so it is
// dropped too (counted as late): the gap stays the one place to repair.
func (s *stream) trade(ev feeds.Event) error {
	tr := ev.Trade
	lt := s.last[tr.FQME]
	if lt == nil {
		lt = &lastTrade{}
		s.last[tr.FQME] = lt
	}
	if tr.ID != 0 && lt.id != 0 {
		if tr.ID <= lt.id {
			if lt.gapFrom < tr.ID && tr.ID < lt.gapTo {
				s.f.late.Add(1)
			} else {
				s.f.dups.Add(1)
			}
			return nil
		}
		if tr.ID > lt.id+1 {
			s.f.gaps.Add(1)
			lt.gapFrom, lt.gapTo = lt.id, tr.ID
			if err := s.sink(feeds.Event{Kind: feeds.KindStatus, Status: feeds.Status{
				Kind: feeds.TradeGap, FQME: tr.FQME, Time: tr.Recv, From: lt.time, To: tr.Time, FromID: lt.id, ToID: tr.ID,
			}}); err != nil {
				return err
			}
		}
	}
	if tr.ID != 0 {
		lt.id, lt.time = tr.ID, tr.Time
	}
	if bs := s.bars[tr.FQME]; bs != nil && bs.has && tr.Time >= bs.cur.Time {
		if err := s.closeBar(bs); err != nil {
			return err
		}
	}
	return s.sink(ev)
}

func (s *stream) closeBar(bs *barState) error {
	c := bs.cur
	c.Forming = false
	bs.has, bs.closed = false, c.Bar.Time
	return s.sink(feeds.Event{Kind: feeds.KindBar, Bar: c})
}

// bar passes a forming bar on; one for a later interval closes the one
// before it. Updates of an interval already closed are dropped.
func (s *stream) bar(ev feeds.Event) error {
	b := ev.Bar
	bs := s.bars[b.FQME]
	if bs == nil {
		bs = &barState{closed: -1 << 62}
		s.bars[b.FQME] = bs
	}
	if b.Bar.Time <= bs.closed || bs.has && b.Bar.Time < bs.cur.Bar.Time {
		return nil
	}
	if bs.has && b.Bar.Time > bs.cur.Bar.Time {
		if err := s.closeBar(bs); err != nil {
			return err
		}
	}
	bs.cur, bs.has = b, true
	return s.sink(ev)
}
