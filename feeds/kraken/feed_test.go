package kraken

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/kraken/krakenfake"
	"workbench/feeds/venuefake"
	"workbench/internal/oracle"
)

// run streams sub for d (wall), calling during meanwhile, and returns the
// events and Stream's error.
func run(t *testing.T, f feeds.Feed, d time.Duration, during func()) ([]feeds.Event, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var evs []feeds.Event
	done := make(chan error, 1)
	go func() {
		done <- f.Stream(ctx, func(ev feeds.Event) error {
			evs = append(evs, ev)
			return nil
		})
	}()
	if during != nil {
		during()
	}
	err := <-done
	return evs, err
}

type tradeCheck struct {
	delivered, gaps, closedBars, quotes int
	statuses                            map[feeds.StatusKind]int
}

// checkTrades verifies against the tapes that no trade came twice, every
// trade is the tape's, and every trade between the first and the last
// delivered one either came or lies inside a reported gap; closed bars
// must equal the tape's bars.
func checkTrades(t *testing.T, evs []feeds.Event, tapes []*venuefake.Tape) tradeCheck {
	t.Helper()
	byFQME := map[string]*venuefake.Tape{}
	for _, tp := range tapes {
		byFQME[tp.Config().FQME] = tp
	}
	c := tradeCheck{statuses: map[feeds.StatusKind]int{}}
	got := map[string]map[int64]bool{}
	type gap struct{ from, to int64 }
	gaps := map[string][]gap{}
	lo, hi := map[string]int64{}, map[string]int64{}
	for _, ev := range evs {
		switch ev.Kind {
		case feeds.KindTrade:
			tr := ev.Trade
			tp := byFQME[tr.FQME]
			if tp == nil {
				t.Fatalf("trade of unknown market %+v", tr)
			}
			if got[tr.FQME] == nil {
				got[tr.FQME] = map[int64]bool{}
				lo[tr.FQME] = tr.ID
			}
			if got[tr.FQME][tr.ID] {
				t.Fatalf("trade %s %d delivered twice", tr.FQME, tr.ID)
			}
			got[tr.FQME][tr.ID] = true
			hi[tr.FQME] = max(hi[tr.FQME], tr.ID)
			w := tp.TradesFromID(tr.ID, 1, tr.Time+1)
			if len(w) != 1 || w[0].Time != tr.Time || w[0].Price != tr.Price || w[0].Size != tr.Size || w[0].Side != tr.Side || tr.Recv == 0 {
				t.Fatalf("trade %+v, tape has %+v", tr, w)
			}
			c.delivered++
		case feeds.KindStatus:
			c.statuses[ev.Status.Kind]++
			if ev.Status.Kind == feeds.TradeGap {
				s := ev.Status
				if s.ToID <= s.FromID+1 || s.To < s.From {
					t.Errorf("gap %+v", s)
				}
				gaps[s.FQME] = append(gaps[s.FQME], gap{s.FromID, s.ToID})
				c.gaps++
			}
		case feeds.KindBar:
			b := ev.Bar
			if b.Forming {
				continue
			}
			w := byFQME[b.FQME].Bars(60, b.Bar.Time, b.Bar.Time+60, false)
			if w.Len() != 1 || w.At(0) != b.Bar || b.Time != (b.Bar.Time+60)*1e9 {
				t.Errorf("closed bar %+v, tape has %v", b, w)
			}
			c.closedBars++
		case feeds.KindQuote:
			if q := ev.Quote; q.Bid >= q.Ask || q.Time == 0 {
				t.Errorf("quote %+v", q)
			}
			c.quotes++
		}
	}
	for fq, ids := range got {
	next:
		for id := lo[fq]; id <= hi[fq]; id++ {
			if ids[id] {
				continue
			}
			for _, g := range gaps[fq] {
				if g.from < id && id < g.to {
					continue next
				}
			}
			t.Errorf("%s trade %d neither delivered nor inside a reported gap", fq, id)
		}
	}
	return c
}

// TestFeedLive streams two markets at 1× and 50× the wall clock: every
// trade arrives once, in id order, as on the tape, closed bars are the
// tape's, and nothing is dropped or reported.
func TestFeedLive(t *testing.T) {
	for _, c := range []struct {
		speed float64
		gap   time.Duration
	}{{1, 50 * time.Millisecond}, {50, 2500 * time.Millisecond}} {
		t.Run(strings.TrimSuffix(strings.TrimSuffix(time.Duration(c.speed).String(), "ns"), "s")+"x", func(t *testing.T) {
			now := int64(testNow)/60*60 + 57 // a minute closes 3 s in
			_, v := fakeAt(t, now, c.speed, c.gap, krakenfake.Options{Heartbeat: 200 * time.Millisecond})
			f := v.Feed(feeds.Subscription{FQMEs: []string{"btcusdt.spot.kraken", "ethusdt.spot.kraken"}, Trades: true, Quotes: true, Bars: 60})
			evs, err := run(t, f, 5*time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := checkTrades(t, evs, testTapes(now, c.gap))
			st := f.(*Feed).Stats()
			t.Logf("%d trades, %d closed bars, %d quotes, %+v", r.delivered, r.closedBars, r.quotes, st)
			if r.delivered < 150 || r.closedBars < 1 || r.quotes < 50 || r.gaps != 0 || st != (Stats{}) || r.statuses[feeds.Connected] != 1 {
				t.Errorf("want a clean stream: %+v %+v", r, st)
			}
		})
	}
}

// TestFeedFaults streams through drops, refused reconnects, a stall,
// malformed frames, duplicates and reordered trades.
func TestFeedFaults(t *testing.T) {
	now := int64(testNow)
	const gap = 500 * time.Millisecond
	srv, v := fakeAt(t, now, 10, gap, krakenfake.Options{Heartbeat: 200 * time.Millisecond})
	f := v.Feed(feeds.Subscription{FQMEs: []string{"btcusdt.spot.kraken"}, Trades: true})
	evs, err := run(t, f, 8*time.Second, func() {
		time.Sleep(800 * time.Millisecond)
		srv.Drop()
		time.Sleep(800 * time.Millisecond)
		srv.Malformed(3)
		srv.Duplicate(3)
		srv.Reorder(2)
		time.Sleep(800 * time.Millisecond)
		srv.RefuseFor(time.Second)
		srv.Drop()
		time.Sleep(1600 * time.Millisecond)
		srv.Stall(2 * time.Second)
	})
	if err != nil {
		t.Fatal(err)
	}
	r := checkTrades(t, evs, testTapes(now, gap))
	st := f.(*Feed).Stats()
	t.Logf("%d trades, %d gaps, statuses %v, %+v", r.delivered, r.gaps, r.statuses, st)
	if st.Malformed < 1 || int64(r.statuses[feeds.Malformed]) != st.Malformed {
		t.Errorf("malformed frames: %d counted, %d reported", st.Malformed, r.statuses[feeds.Malformed])
	}
	if st.Duplicates < 1 || st.Late < 1 || st.Gaps < 1 || int64(r.gaps) != st.Gaps {
		t.Errorf("want duplicates dropped and the reordering reported as a gap: %+v", st)
	}
	if st.Reconnects < 3 || int64(r.statuses[feeds.Disconnected]) != st.Reconnects || r.statuses[feeds.Connected] < 3 {
		t.Errorf("want at least two drops and a stall: %+v, statuses %v", st, r.statuses)
	}
	if r.delivered < 150 {
		t.Errorf("only %d trades", r.delivered)
	}
}

// TestFeedRefused: a subscription the venue refuses ends Stream with its
// error instead of retrying forever.
func TestFeedRefused(t *testing.T) {
	now := int64(testNow)
	rest, _ := fakeAt(t, now, 1, 0, krakenfake.Options{})
	ws, err := krakenfake.New(krakenfake.Options{Clock: venuefake.NewClock(now*1e9, 1), Tapes: testTapes(now, 0)[:1]})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	v := New(feeds.VenueConfig{RESTURL: rest.RESTURL(), WSURL: ws.WSURL()}, Options{MinBackoff: 5 * time.Millisecond})
	_, err = run(t, v.Feed(feeds.Subscription{FQMEs: []string{"btcusdt.spot.kraken", "ethusdt.spot.kraken"}, Trades: true}), 5*time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "Currency pair not supported ETH/USDT") {
		t.Errorf("Stream: %v", err)
	}
	_, err = run(t, v.Feed(feeds.Subscription{FQMEs: []string{"dogeusdt.spot.kraken"}, Trades: true}), 5*time.Second, nil)
	if err == nil || !strings.Contains(err.Error(), "dogeusdt") {
		t.Errorf("unknown market: %v", err)
	}
}

// TestFeedSinkError: a sink's error ends Stream, wrapped.
func TestFeedSinkError(t *testing.T) {
	_, v := fakeAt(t, testNow, 1, 0, krakenfake.Options{})
	full := errors.New("full")
	n := 0
	err := v.Feed(feeds.Subscription{FQMEs: []string{"btcusdt.spot.kraken"}, Trades: true}).Stream(context.Background(), func(ev feeds.Event) error {
		if n++; ev.Kind == feeds.KindTrade {
			return full
		}
		return nil
	})
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "btcusdt.spot.kraken") || n != 2 {
		t.Errorf("Stream: %v after %d events", err, n)
	}
}

// TestFeedCancel: ending the context ends Stream with no goroutine left.
func TestFeedCancel(t *testing.T) {
	now := int64(testNow)
	srv, v := fakeAt(t, now, 10, 200*time.Millisecond, krakenfake.Options{Heartbeat: 100 * time.Millisecond})
	if _, err := v.Market(context.Background(), "btcusdt.spot.kraken"); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	evs, err := run(t, v.Feed(feeds.Subscription{FQMEs: []string{"btcusdt.spot.kraken"}, Trades: true, Quotes: true, Bars: 60}), time.Second, func() {
		time.Sleep(500 * time.Millisecond)
		srv.Drop() // a reconnect in flight must end too
	})
	if err != nil || len(evs) == 0 {
		t.Fatalf("Stream: %v after %d events", err, len(evs))
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
	if srv.Conns() != 0 {
		t.Errorf("%d websockets still open", srv.Conns())
	}
}

// TestFeedReplayV1 streams the recorded real v1 captures through
// krakenfake's v1 endpoint: every recorded trade and ticker of the
// subscribed pairs arrives, as recorded.
func TestFeedReplayV1(t *testing.T) {
	dir := oracle.Dir(t)
	tradeLog := filepath.Join(dir, "raw/kraken/ws_v1_trade_capture_2021-04-17.log")
	tickerLog := filepath.Join(dir, "raw/kraken/ws_v1_ticker_capture_2021-04-17.log")
	srv, err := krakenfake.New(krakenfake.Options{Clock: venuefake.NewClock(0, 0), Replay: []string{tradeLog, tickerLog}, Heartbeat: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The recorded trade arrays, and the pairs they are of.
	var want [][]byte
	pairs := map[string]bool{}
	for _, msg := range recordedLines(t, tradeLog) {
		if msg[0] == '[' {
			want = append(want, msg)
			evs, _ := Decode(msg, 0, nil)
			pairs[evs[0].Trade.FQME] = true
		}
	}
	var quotes int
	for _, msg := range recordedLines(t, tickerLog) {
		if msg[0] == '[' {
			if evs, _ := Decode(msg, 0, nil); pairs[evs[0].Quote.FQME] {
				quotes++
			}
		}
	}
	var fqmes []string
	for fq := range pairs {
		fqmes = append(fqmes, fq)
	}
	v := New(feeds.VenueConfig{RESTURL: srv.RESTURL(), WSURL: srv.V1URL()}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var trades, gotQuotes []feeds.Event
	err = v.Feed(feeds.Subscription{FQMEs: fqmes, Trades: true, Quotes: true}).Stream(ctx, func(ev feeds.Event) error {
		switch ev.Kind {
		case feeds.KindTrade:
			trades = append(trades, ev)
		case feeds.KindQuote:
			gotQuotes = append(gotQuotes, ev)
		case feeds.KindStatus:
			if ev.Status.Kind != feeds.Connected {
				return errors.New(ev.Status.Kind.String())
			}
		}
		if len(gotQuotes) == quotes && len(trades) >= 10 {
			cancel()
		}
		return nil
	})
	if err != nil || ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("Stream: %v (%d trades, %d quotes)", err, len(trades), len(gotQuotes))
	}
	// The trades, in recorded order, checked field by field against the
	// recorded JSON.
	i := 0
	for _, msg := range want {
		var arr []json.RawMessage
		var rows []json.RawMessage
		if json.Unmarshal(msg, &arr) != nil || json.Unmarshal(arr[1], &rows) != nil {
			t.Fatalf("recorded %s", msg)
		}
		if i+len(rows) > len(trades) {
			t.Fatalf("%d trades delivered, the recording has more", len(trades))
		}
		n, _, _ := checkV1(t, msg, trades[i:i+len(rows)])
		i += n
	}
	if i != len(trades) || len(trades) != 10 || quotes == 0 {
		t.Errorf("%d trades checked of %d delivered, %d quotes", i, len(trades), quotes)
	}
}
