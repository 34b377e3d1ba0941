package binance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"workbench/feeds"
	"workbench/feeds/wsconn"
)

// Stats counts what a feed dropped or reported.
type Stats struct {
	Malformed  int64 // messages that could not be decoded
	Duplicates int64 // trades with an id already seen (repeated or late)
	Gaps       int64 // TradeGap statuses sent
	Reconnects int64 // connections lost and attempts failed (one Disconnected status each)
}

// Feed is a live combined-stream subscription. Stream runs it; Subscribe
// and Unsubscribe change its markets while it runs.
type Feed struct {
	v   *Venue
	sub feeds.Subscription

	malformed, dups, gaps, drops atomic.Int64

	mu      sync.Mutex
	streams []string // wanted now, in subscription order
	client  *wsconn.Client
	pending map[int64]chan error
	nextID  int64
}

// Feed returns a live feed of sub's markets; see Feed.Stream.
func (v *Venue) Feed(sub feeds.Subscription) feeds.Feed {
	return v.NewFeed(sub)
}

// NewFeed is Feed with the concrete type, for Subscribe and Stats.
func (v *Venue) NewFeed(sub feeds.Subscription) *Feed {
	return &Feed{v: v, sub: sub, pending: map[int64]chan error{}}
}

// Stats returns the feed's counters so far.
func (f *Feed) Stats() Stats {
	return Stats{Malformed: f.malformed.Load(), Duplicates: f.dups.Load(), Gaps: f.gaps.Load(), Reconnects: f.drops.Load()}
}

// streamNames are the stream names of fqmes under the feed's subscription.
func (f *Feed) streamNames(fqmes []string) ([]string, error) {
	var kline string
	if f.sub.Bars > 0 {
		iv, err := interval(f.sub.Bars)
		if err != nil {
			return nil, err
		}
		kline = "@kline_" + iv
	}
	trade := "@aggTrade"
	if f.v.opts.RawTrades {
		trade = "@trade"
	}
	var out []string
	for _, q := range fqmes {
		sym, _, err := Symbol(q)
		if err != nil {
			return nil, err
		}
		s := strings.ToLower(sym)
		if f.sub.Trades {
			out = append(out, s+trade)
		}
		if f.sub.Quotes {
			out = append(out, s+"@bookTicker")
		}
		if kline != "" {
			out = append(out, s+kline)
		}
	}
	return out, nil
}

// lastTrade is where a market's trade ids stand.
type lastTrade struct{ id, time int64 }

// Stream connects and calls sink with every trade, quote and kline of the
// subscription until ctx ends. Trades come once each, in id order per
// market: a repeated or older id is dropped (Stats.Duplicates), a jump is
// announced by a TradeGap status before the trade after it. Reconnects are
// reported as Disconnected/Connected; undecodable messages as Malformed.
func (f *Feed) Stream(ctx context.Context, sink func(feeds.Event) error) error {
	names, err := f.streamNames(f.sub.FQMEs)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return errors.New("binance feed: the subscription names no market or no event kind")
	}
	urlStreams := slices.Clone(names)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var fatal error // a sink error or a refused subscription
	stop := func(err error) {
		if fatal == nil {
			fatal = err
		}
		cancel()
	}
	dec := NewDecoder()
	last := map[string]lastTrade{}
	var ev feeds.Event
	var held [][]byte // data read while waiting for a (re)subscription ack

	// Once fatal is set the sink hears nothing more.
	emitStatus := func(s feeds.Status) {
		if fatal != nil {
			return
		}
		if err := sink(feeds.Event{Kind: feeds.KindStatus, Status: s}); err != nil {
			stop(fmt.Errorf("binance feed: %w", err))
		}
	}
	handle := func(msg []byte) error {
		if fatal != nil {
			return fatal
		}
		recv := f.v.opts.Now()
		ev.Kind = 0
		d, err := dec.Decode(msg, recv, &ev)
		if err != nil {
			f.malformed.Add(1)
			slog.Debug("binance: malformed message", "err", err, "msg", fmt.Sprintf("%.200s", msg))
			emitStatus(feeds.Status{Kind: feeds.Malformed, Time: recv, Err: err})
			return nil
		}
		switch d.Kind {
		case MsgAck:
			f.resolve(d.AckID, d.AckErr)
			return nil
		case MsgIgnored:
			return nil
		case MsgTrade:
			t := &ev.Trade
			if t.ID > 0 {
				l, seen := last[t.FQME]
				if seen && t.ID <= l.id {
					f.dups.Add(1)
					return nil
				}
				if seen && t.ID > l.id+1 {
					f.gaps.Add(1)
					if err := sink(feeds.Event{Kind: feeds.KindStatus, Status: feeds.Status{
						Kind: feeds.TradeGap, FQME: t.FQME, Time: recv,
						From: l.time, To: t.Time, FromID: l.id, ToID: t.ID,
					}}); err != nil {
						return err
					}
				}
				last[t.FQME] = lastTrade{t.ID, t.Time}
			}
		}
		return sink(ev)
	}

	client := wsconn.New(wsconn.Config{
		URL:          f.v.ws + "/stream?streams=" + strings.Join(urlStreams, "/"),
		StallTimeout: f.v.opts.StallTimeout,
		MaxAge:       f.v.opts.MaxAge,
		Ping:         f.v.opts.Ping,
		MinBackoff:   f.v.opts.MinBackoff,
		MaxBackoff:   f.v.opts.MaxBackoff,
		Subscribe: func(ctx context.Context, c *wsconn.Conn) error {
			held = held[:0]
			var err error
			held, err = f.resubscribe(ctx, c, urlStreams, held)
			var api *APIError
			if errors.As(err, &api) {
				stop(fmt.Errorf("binance feed: subscription refused: %w", err))
			}
			return err
		},
		OnConnect: func(int) {
			emitStatus(feeds.Status{Kind: feeds.Connected, Time: f.v.opts.Now()})
			for _, m := range held {
				if err := handle(m); err != nil {
					stop(fmt.Errorf("binance feed: %w", err))
					return
				}
			}
			held = held[:0]
		},
		OnDisconnect: func(err error) {
			f.drops.Add(1)
			slog.Info("binance: websocket lost, reconnecting", "err", err)
			emitStatus(feeds.Status{Kind: feeds.Disconnected, Time: f.v.opts.Now(), Err: err})
		},
	})
	f.mu.Lock()
	f.streams = names
	f.client = client
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.client = nil
		for id, ch := range f.pending {
			ch <- errors.New("binance feed stopped")
			delete(f.pending, id)
		}
		f.mu.Unlock()
	}()

	err = client.Run(ctx, handle)
	if fatal != nil {
		return fatal
	}
	if err != nil {
		return fmt.Errorf("binance feed: %w", err)
	}
	return nil
}

// resubscribe brings a fresh connection (opened with urlStreams) to the
// streams wanted now, reading the acks; data read meanwhile is appended to
// held for delivery once connected.
func (f *Feed) resubscribe(ctx context.Context, c *wsconn.Conn, urlStreams []string, held [][]byte) ([][]byte, error) {
	f.mu.Lock()
	want := slices.Clone(f.streams)
	f.mu.Unlock()
	var add, drop []string
	for _, s := range want {
		if !slices.Contains(urlStreams, s) {
			add = append(add, s)
		}
	}
	for _, s := range urlStreams {
		if !slices.Contains(want, s) {
			drop = append(drop, s)
		}
	}
	waiting := map[int64]bool{}
	for _, r := range []struct {
		method  string
		streams []string
	}{{"SUBSCRIBE", add}, {"UNSUBSCRIBE", drop}} {
		if len(r.streams) == 0 {
			continue
		}
		id := f.newID()
		msg, err := request(r.method, r.streams, id)
		if err != nil {
			return held, err
		}
		if err := c.Write(ctx, msg); err != nil {
			return held, err
		}
		waiting[id] = true
	}
	dec := NewDecoder()
	var ev feeds.Event
	for len(waiting) > 0 {
		msg, err := c.Read(ctx)
		if err != nil {
			return held, err
		}
		d, err := dec.Decode(msg, 0, &ev)
		if err == nil && d.Kind == MsgAck && waiting[d.AckID] {
			if d.AckErr != nil {
				return held, d.AckErr
			}
			delete(waiting, d.AckID)
			continue
		}
		held = append(held, msg)
	}
	return held, nil
}

func (f *Feed) newID() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return f.nextID
}

func request(method string, streams []string, id int64) ([]byte, error) {
	return json.Marshal(struct {
		Method string   `json:"method"`
		Params []string `json:"params"`
		ID     int64    `json:"id"`
	}{method, streams, id})
}

func (f *Feed) resolve(id int64, err error) {
	f.mu.Lock()
	ch, ok := f.pending[id]
	delete(f.pending, id)
	f.mu.Unlock()
	if ok {
		ch <- err
	}
}

// ErrNotStreaming is returned by Subscribe and Unsubscribe when Stream is
// not running.
var ErrNotStreaming = errors.New("binance feed is not streaming")

// Subscribe adds markets to a running feed with a live SUBSCRIBE and waits
// for Binance's acknowledgement. While the feed is reconnecting the
// markets are only recorded: the reconnection subscribes them.
func (f *Feed) Subscribe(ctx context.Context, fqmes ...string) error {
	return f.change(ctx, "SUBSCRIBE", fqmes)
}

// Unsubscribe removes markets from a running feed (UNSUBSCRIBE).
func (f *Feed) Unsubscribe(ctx context.Context, fqmes ...string) error {
	return f.change(ctx, "UNSUBSCRIBE", fqmes)
}

func (f *Feed) change(ctx context.Context, method string, fqmes []string) error {
	names, err := f.streamNames(fqmes)
	if err != nil {
		return err
	}
	f.mu.Lock()
	client := f.client
	if client == nil {
		f.mu.Unlock()
		return ErrNotStreaming
	}
	for _, n := range names {
		has := slices.Contains(f.streams, n)
		switch {
		case method == "SUBSCRIBE" && !has:
			f.streams = append(f.streams, n)
		case method == "UNSUBSCRIBE" && has:
			f.streams = slices.DeleteFunc(f.streams, func(s string) bool { return s == n })
		}
	}
	f.nextID++
	id := f.nextID
	ch := make(chan error, 1)
	f.pending[id] = ch
	f.mu.Unlock()

	msg, err := request(method, names, id)
	if err == nil {
		err = client.Send(ctx, msg)
	}
	if err != nil {
		f.mu.Lock()
		delete(f.pending, id)
		f.mu.Unlock()
		if errors.Is(err, wsconn.ErrNotConnected) {
			return nil // the reconnection subscribes f.streams
		}
		return fmt.Errorf("binance %s %v: %w", method, names, err)
	}
	select {
	case err := <-ch:
		if err != nil {
			return fmt.Errorf("binance %s %v: %w", method, names, err)
		}
		return nil
	case <-ctx.Done():
		f.mu.Lock()
		delete(f.pending, id)
		f.mu.Unlock()
		return ctx.Err()
	}
}
