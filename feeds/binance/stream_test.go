package binance_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/binance"
	"workbench/feeds/binance/binancefake"
	"workbench/feeds/venuefake"
	"workbench/feeds/wsconn"
)

// collector is a sink that keeps what a feed delivered.
type collector struct {
	mu       sync.Mutex
	trades   []feeds.Trade
	quotes   []feeds.Quote
	bars     []feeds.BarEvent
	statuses []feeds.Status
	notify   chan struct{}
}

func newCollector() *collector { return &collector{notify: make(chan struct{}, 1)} }

func (c *collector) sink(ev feeds.Event) error {
	c.mu.Lock()
	switch ev.Kind {
	case feeds.KindTrade:
		c.trades = append(c.trades, ev.Trade)
	case feeds.KindQuote:
		c.quotes = append(c.quotes, ev.Quote)
	case feeds.KindBar:
		c.bars = append(c.bars, ev.Bar)
	case feeds.KindStatus:
		c.statuses = append(c.statuses, ev.Status)
	}
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
	return nil
}

// waitFor polls cond (under the collector's lock) until it holds or d
// passes.
func (c *collector) waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		c.mu.Lock()
		ok := cond()
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.notify:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// count counts statuses of kind; hold c.mu while the feed runs.
func (c *collector) count(kind feeds.StatusKind) int {
	n := 0
	for _, s := range c.statuses {
		if s.Kind == kind {
			n++
		}
	}
	return n
}

// settle waits until the goroutine count is back to at most base.
func settle(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStreamThroughFaults runs the live feed through drops, a stall,
// refused reconnects, malformed, duplicate and out-of-order messages, at
// two clock speeds and on both trade streams: every trade arrives once, in id order, equal to the
// tape's, or lies in a reported gap, and REST fills each gap so the whole
// is the tape. Cancelling leaves no goroutine behind.
func TestStreamThroughFaults(t *testing.T) {
	for _, run := range []struct {
		speed float64
		raw   bool
	}{{20, false}, {50, false}, {50, true}} {
		t.Run(fmt.Sprintf("%gx raw=%t", run.speed, run.raw), func(t *testing.T) {
			base := runtime.NumGoroutine()
			tape := btcTape(time.Second)
			faults := binancefake.Faults{DropAfter: 90, MalformedEvery: 17, DuplicateEvery: 7, SwapEvery: 11}
			srv, _, tr := fakeVenue(t, tapeStart+int64(time.Hour), run.speed, faults, tape)
			opts := testOptions(tr)
			opts.RawTrades = run.raw
			v := binance.New(feeds.VenueConfig{WSURL: srv.WSURL(), RESTURL: srv.RESTURL()}, opts)
			f := v.NewFeed(feeds.Subscription{FQMEs: []string{btc}, Trades: true, Quotes: true, Bars: 60})
			c := newCollector()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- f.Stream(ctx, c.sink) }()

			c.waitFor(t, 10*time.Second, "trades", func() bool { return len(c.trades) >= 20 })
			srv.Stall(time.Second)
			c.waitFor(t, 10*time.Second, "a reconnect after the stall", func() bool { return c.count(feeds.Connected) >= 3 })
			srv.RefuseFor(500 * time.Millisecond)
			srv.Drop()
			c.mu.Lock()
			n := c.count(feeds.Connected)
			c.mu.Unlock()
			c.waitFor(t, 10*time.Second, "a reconnect after refusals", func() bool { return c.count(feeds.Connected) > n })
			c.waitFor(t, 10*time.Second, "more trades", func() bool { return len(c.trades) >= 100 })
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Stream: %v", err)
			}

			st := f.Stats()
			if st.Duplicates == 0 || st.Malformed == 0 || st.Gaps == 0 || st.Reconnects < 3 {
				t.Fatalf("faults not met: %+v", st)
			}
			if int64(c.count(feeds.Malformed)) != st.Malformed || int64(c.count(feeds.TradeGap)) != st.Gaps ||
				int64(c.count(feeds.Disconnected)) != st.Reconnects {
				t.Fatalf("statuses %v disagree with %+v", c.statuses, st)
			}
			checkTrades(t, v, tape, c)
			if len(c.quotes) == 0 || len(c.bars) == 0 {
				t.Fatalf("%d quotes, %d bars", len(c.quotes), len(c.bars))
			}
			srv.Close()
			tr.CloseIdleConnections()
			settle(t, base)
		})
	}
}

// checkTrades: ids strictly increase, each trade is the tape's, every
// missing id lies in a reported gap, and aggTrades over the gaps make the
// tape complete.
func checkTrades(t *testing.T, v *binance.Venue, tape *venuefake.Tape, c *collector) {
	t.Helper()
	got := c.trades
	first, last := got[0].ID, got[len(got)-1].ID
	all := tape.TradesFromID(first, int(last-first+1), got[len(got)-1].Time+1e6)
	byID := map[int64]feeds.Trade{}
	for i, g := range got {
		if i > 0 && g.ID <= got[i-1].ID {
			t.Fatalf("trade %d: id %d after %d", i, g.ID, got[i-1].ID)
		}
		if g.Recv == 0 {
			t.Fatalf("trade %d has no receive time", i)
		}
		byID[g.ID] = g
	}
	var gaps []feeds.Status
	for _, s := range c.statuses {
		if s.Kind == feeds.TradeGap {
			if s.FQME != btc || s.ToID <= s.FromID+1 || s.To < s.From {
				t.Fatalf("gap %+v", s)
			}
			gaps = append(gaps, s)
		}
	}
	filled := map[int64]feeds.Trade{}
	for _, g := range gaps {
		// The gap's times are the trades around it: REST between them
		// (inclusive) holds what the stream missed.
		err := v.Trades(context.Background(), btc, g.From, g.To+1, func(ts []feeds.Trade) error {
			for _, tr := range ts {
				if tr.ID > g.FromID && tr.ID < g.ToID {
					filled[tr.ID] = tr
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var merged []feeds.Trade
	for _, w := range all {
		g, streamed := byID[w.ID]
		r, fetched := filled[w.ID]
		inGap := false
		for _, s := range gaps {
			inGap = inGap || (w.ID > s.FromID && w.ID < s.ToID)
		}
		switch {
		case streamed && inGap:
			t.Fatalf("trade %d both streamed and reported missing", w.ID)
		case !streamed && !inGap:
			t.Fatalf("trade %d neither streamed nor in a reported gap", w.ID)
		case streamed:
			merged = append(merged, g)
		case fetched:
			merged = append(merged, r)
		default:
			t.Fatalf("trade %d in a gap but not served by aggTrades", w.ID)
		}
	}
	sort.Slice(merged, func(i, j int) bool { return merged[i].ID < merged[j].ID })
	for i := range merged {
		merged[i].Recv = 0
	}
	sameTrades(t, merged, all)
	t.Logf("%d trades: %d streamed, %d filled from %d gaps; %d quotes, %d bar updates", len(all), len(got), len(filled), len(gaps), len(c.quotes), len(c.bars))
}

// TestStreamKlines: without faults, at 50×, every closed kline the stream
// delivers equals the tape's bar, and forming ones precede it.
func TestStreamKlines(t *testing.T) {
	tape := btcTape(time.Second)
	start := tapeStart + int64(time.Hour) + 30e9
	srv, v, _ := fakeVenue(t, start, 50, binancefake.Faults{}, tape)
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.Feed(feeds.Subscription{FQMEs: []string{btc}, Bars: 60}).Stream(ctx, c.sink) }()
	closed := func() int {
		n := 0
		for _, b := range c.bars {
			if !b.Forming {
				n++
			}
		}
		return n
	}
	c.waitFor(t, 15*time.Second, "4 closed klines", func() bool { return closed() >= 4 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	forming := 0
	for _, b := range c.bars {
		if b.Forming {
			forming++
			continue
		}
		want := srv.TrueBars(btc, 60, b.Bar.Time, b.Bar.Time+60)
		if want.Len() != 1 || want.At(0) != b.Bar || b.Period != 60 || b.Time != (b.Bar.Time+60)*1e9 {
			t.Fatalf("closed kline %+v, tape's %v", b, want)
		}
	}
	if forming == 0 {
		t.Fatal("no forming kline")
	}
}

// TestLiveSubscribe adds a market to a running feed, keeps it across a
// reconnect (the URL still names only the first), and removes it.
func TestLiveSubscribe(t *testing.T) {
	eth := venuefake.NewTape(venuefake.TapeConfig{FQME: "ethusdt.spot.binance", Seed: 9, Start: tapeStart, Price: 2300, Tick: 0.01, Lot: 0.0001, MeanGap: time.Second})
	srv, v, _ := fakeVenue(t, tapeStart+int64(time.Hour), 50, binancefake.Faults{}, btcTape(time.Second), eth)
	f := v.NewFeed(feeds.Subscription{FQMEs: []string{btc}, Trades: true})
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Stream(ctx, c.sink) }()
	ethTrades := func() int {
		n := 0
		for _, tr := range c.trades {
			if tr.FQME == "ethusdt.spot.binance" {
				n++
			}
		}
		return n
	}
	c.waitFor(t, 10*time.Second, "btc trades", func() bool { return len(c.trades) > 0 })
	if err := f.Subscribe(ctx, "ethusdt.spot"); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, 10*time.Second, "eth trades", func() bool { return ethTrades() >= 5 })
	srv.Drop()
	c.waitFor(t, 10*time.Second, "reconnect", func() bool { return c.count(feeds.Connected) >= 2 })
	c.mu.Lock()
	n := ethTrades()
	c.mu.Unlock()
	c.waitFor(t, 10*time.Second, "eth trades after the reconnect", func() bool { return ethTrades() >= n+5 })
	if err := f.Unsubscribe(ctx, "ethusdt.spot.binance"); err != nil {
		t.Fatal(err)
	}
	if err := f.Subscribe(ctx, "bad-symbol.spot.binance"); err == nil {
		t.Fatal("a bad fqme subscribed")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := f.Subscribe(context.Background(), btc); !errors.Is(err, binance.ErrNotStreaming) {
		t.Fatalf("subscribe after the end: %v", err)
	}
}

// TestStreamReplaysRecorded: the real capture, replayed by the fake,
// comes through the feed as the decoder reads it.
func TestStreamReplaysRecorded(t *testing.T) {
	msgs := recorded(t)["raw/binance/ws_combined_stream_capture_2021-10-12.log"]
	dec := binance.NewDecoder()
	want := map[binance.MsgKind]int{}
	for _, m := range msgs {
		var ev feeds.Event
		d, err := dec.Decode(m, 0, &ev)
		if err != nil {
			t.Fatal(err)
		}
		want[d.Kind]++
	}
	srv, err := binancefake.New(binancefake.Options{Replay: msgs})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	v := binance.New(feeds.VenueConfig{WSURL: srv.WSURL(), RESTURL: srv.RESTURL()}, binance.Options{})
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	sub := feeds.Subscription{FQMEs: []string{"nknusdt.spot.binance", "lrcbtc.spot.binance"}, Trades: true, Quotes: true, Bars: 60}
	go func() { done <- v.Feed(sub).Stream(ctx, c.sink) }()
	c.waitFor(t, 10*time.Second, "the replay", func() bool {
		return len(c.trades) == want[binance.MsgTrade] && len(c.quotes) == want[binance.MsgQuote] && len(c.bars) == want[binance.MsgBar]
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(c.trades) == 0 || c.count(feeds.Malformed) != 0 {
		t.Fatalf("%d trades, statuses %v", len(c.trades), c.statuses)
	}
}

// TestMaxAge: a connection at its maximum age is renewed (Binance cuts
// them at 24 h), reported, and the feed goes on.
func TestMaxAge(t *testing.T) {
	srv, _, tr := fakeVenue(t, tapeStart+int64(time.Hour), 50, binancefake.Faults{}, btcTape(time.Second))
	opts := testOptions(tr)
	opts.MaxAge = 300 * time.Millisecond
	opts.StallTimeout = 5 * time.Second // the tape's quiet minutes must not count
	v := binance.New(feeds.VenueConfig{WSURL: srv.WSURL(), RESTURL: srv.RESTURL()}, opts)
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.Feed(feeds.Subscription{FQMEs: []string{btc}, Trades: true}).Stream(ctx, c.sink) }()
	c.waitFor(t, 10*time.Second, "renewals", func() bool { return c.count(feeds.Connected) >= 3 })
	c.mu.Lock()
	n := len(c.trades)
	c.mu.Unlock()
	c.waitFor(t, 10*time.Second, "trades after renewals", func() bool { return len(c.trades) > n+5 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, s := range c.statuses {
		if s.Kind == feeds.Disconnected && !errors.Is(s.Err, wsconn.ErrMaxAge) {
			t.Fatalf("disconnected for %v, want the maximum age", s.Err)
		}
	}
	if srv.Accepted() < 3 {
		t.Fatalf("%d connections", srv.Accepted())
	}
}

// TestSinkErrorEndsStream: the Feed contract — a sink error ends Stream
// with it, wrapped.
func TestSinkErrorEndsStream(t *testing.T) {
	_, v, _ := fakeVenue(t, tapeStart+int64(time.Hour), 50, binancefake.Faults{}, btcTape(time.Second))
	full := errors.New("sink full")
	for _, kind := range []feeds.EventKind{feeds.KindStatus, feeds.KindTrade} {
		err := v.Feed(feeds.Subscription{FQMEs: []string{btc}, Trades: true}).Stream(context.Background(), func(ev feeds.Event) error {
			if ev.Kind == kind {
				return full
			}
			return nil
		})
		if !errors.Is(err, full) {
			t.Fatalf("sink refusing kind %d: Stream returned %v", kind, err)
		}
	}
	if err := v.Feed(feeds.Subscription{FQMEs: []string{"btcusdt.kraken"}, Trades: true}).Stream(context.Background(), nil); err == nil {
		t.Fatal("a kraken market streamed from binance")
	}
}
