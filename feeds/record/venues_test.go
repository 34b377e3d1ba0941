package record

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/binance"
	"workbench/feeds/binance/binancefake"
	"workbench/feeds/kraken"
	"workbench/feeds/kraken/krakenfake"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

// venueCase is one real venue adapter against its local fake server.
type venueCase struct {
	name  string
	fqme  string
	flat  bool
	start func(t *testing.T, tape *venuefake.Tape, clock *venuefake.Clock) (feeds.Venue, faultServer)
	// decimals at which the venue writes prices and sizes (-1: exact)
	priceD, sizeD int
}

// faultServer is what both fakes offer at run time.
type faultServer interface {
	Drop()
	RefuseFor(time.Duration)
	Stall(time.Duration)
}

var venueCases = []venueCase{
	{name: "binance", fqme: "btcusdt.spot.binance", priceD: -1, sizeD: -1,
		start: func(t *testing.T, tape *venuefake.Tape, clock *venuefake.Clock) (feeds.Venue, faultServer) {
			srv, err := binancefake.New(binancefake.Options{Markets: []binancefake.Market{{Tape: tape}}, Clock: clock,
				Faults: binancefake.Faults{MalformedEvery: 40, DuplicateEvery: 17, SwapEvery: 23, Fail5xxEvery: 7, Fail429Every: 11}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			v := binance.New(feeds.VenueConfig{WSURL: srv.WSURL(), RESTURL: srv.RESTURL()}, binance.Options{
				StallTimeout: 400 * time.Millisecond, Ping: 100 * time.Millisecond, MinBackoff: 10 * time.Millisecond,
				MaxBackoff: 50 * time.Millisecond, RetryMin: 10 * time.Millisecond, MaxRetryAfter: 2 * time.Second})
			return v, srv
		}},
	{name: "kraken", fqme: "btcusdt.spot.kraken", flat: true, priceD: 1, sizeD: 8,
		start: func(t *testing.T, tape *venuefake.Tape, clock *venuefake.Clock) (feeds.Venue, faultServer) {
			srv, err := krakenfake.New(krakenfake.Options{Clock: clock, Tapes: []*venuefake.Tape{tape},
				Heartbeat: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			srv.Malformed(5)
			srv.Duplicate(5)
			srv.Reorder(5)
			srv.FailREST(krakenfake.Reply{Status: 503}, krakenfake.Reply{Status: 429, RetryAfter: 1},
				krakenfake.Reply{Error: "EAPI:Rate limit exceeded"})
			v := kraken.New(feeds.VenueConfig{WSURL: srv.WSURL(), RESTURL: srv.RESTURL()}, kraken.Options{
				MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, StallTimeout: 400 * time.Millisecond})
			return v, srv
		}},
}

// sameAtDecimals compares bars at the decimals the venue writes (exactly
// when -1): the stored series mixes bars built from trades with bars the
// venue's history gave.
func sameAtDecimals(t *testing.T, what string, got, want *frames.OHLCV, priceD, sizeD int) {
	t.Helper()
	f := func(x float64, d int) string { return strconv.FormatFloat(x, 'f', d, 64) }
	if got.Len() != want.Len() {
		t.Fatalf("%s: %d bars, want %d (first %v, want first %v)", what, got.Len(), want.Len(), first(got), first(want))
	}
	for i := range want.Len() {
		g, w := got.At(i), want.At(i)
		if g.Time != w.Time || f(g.Open, priceD) != f(w.Open, priceD) || f(g.High, priceD) != f(w.High, priceD) ||
			f(g.Low, priceD) != f(w.Low, priceD) || f(g.Close, priceD) != f(w.Close, priceD) || f(g.Volume, sizeD) != f(w.Volume, sizeD) {
			t.Fatalf("%s: row %d: %+v, want %+v", what, i, g, w)
		}
	}
}

// Against each venue's adapter and local server: drops, a refused
// reconnect, a stall, malformed, duplicate and reordered messages, failing
// REST pages, and a restart; the store holds exactly the venue's bars.
func TestRecorderAgainstTheVenueServers(t *testing.T) {
	for _, vc := range venueCases {
		t.Run(vc.name, func(t *testing.T) {
			t.Parallel()
			tape := venuefake.NewTape(venuefake.TapeConfig{FQME: vc.fqme, Seed: 21, Start: day0 * 1e9,
				Price: 42000, Tick: 0.1, Lot: 0.0001, QuietEvery: 6})
			clock := venuefake.NewClock((day0+3*3600)*1e9, 300)
			v, srv := vc.start(t, tape, clock)
			st := openStore(t)
			had := tape.Bars(60, day0+3600, day0+7200, vc.flat)
			if _, err := st.Append(vc.fqme, had); err != nil {
				t.Fatal(err)
			}
			cfg := Config{FQMEs: []string{vc.fqme}, Period: 60, RecentBars: 30, FlushEvery: 50 * time.Millisecond,
				History: History{Backoff: 10 * time.Millisecond}}
			run := func(d time.Duration, faults func()) (MarketStats, int64) {
				r, err := NewRecorder(v, st, cfg)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), d)
				defer cancel()
				var stopped atomic.Int64
				context.AfterFunc(ctx, func() { stopped.Store(clock.Now()) })
				go faults()
				if err := r.Run(ctx); err != nil {
					t.Fatal(err)
				}
				return r.Stats()[0], stopped.Load()
			}
			s1, now1 := run(3*time.Second, func() {
				time.Sleep(700 * time.Millisecond)
				srv.Drop()
				time.Sleep(600 * time.Millisecond)
				srv.RefuseFor(300 * time.Millisecond)
				srv.Drop()
				time.Sleep(700 * time.Millisecond)
				srv.Stall(800 * time.Millisecond)
			})
			time.Sleep(300 * time.Millisecond) // 90 venue seconds unrecorded
			s2, now2 := run(1500*time.Millisecond, func() {})
			got, err := st.Read(vc.fqme, 60)
			if err != nil {
				t.Fatal(err)
			}
			last := got.Time[got.Len()-1]
			sameAtDecimals(t, "recorded", got, tape.Bars(60, day0+3600, last+60, vc.flat), vc.priceD, vc.sizeD)
			if last < now2/60e9*60-3*60 {
				t.Errorf("last bar %s, venue at %s", formatTime(last, 60), formatTime(now2/1e9, 60))
			}
			if s1.Fetches == 0 || s1.Malformed == 0 {
				t.Errorf("run 1: faults not seen: %+v", s1)
			}
			t.Logf("run 1 (to %s) %+v\nrun 2 (to %s) %+v", formatTime(now1/1e9, 1), s1, formatTime(now2/1e9, 1), s2)
		})
	}
}

// store fetch and fill through each venue's REST history, with its
// injected failures.
func TestFetchAndFillAgainstTheVenueServers(t *testing.T) {
	for _, vc := range venueCases {
		t.Run(vc.name, func(t *testing.T) {
			t.Parallel()
			tape := venuefake.NewTape(venuefake.TapeConfig{FQME: vc.fqme, Seed: 4, Start: day0 * 1e9,
				Price: 42000, Tick: 0.1, Lot: 0.0001, QuietEvery: 6})
			clock := venuefake.NewClock((day0+2*86400)*1e9, 0)
			v, _ := vc.start(t, tape, clock)
			st := openStore(t)
			h := History{Venue: v, Store: st, Backoff: 10 * time.Millisecond}
			from, to := day0+86400, day0+86400+12*3600
			rep, err := h.Fetch(context.Background(), vc.fqme, 60, from, to)
			if err != nil {
				t.Fatal(err)
			}
			want := tape.Bars(60, from, to, vc.flat)
			got, err := st.Read(vc.fqme, 60)
			if err != nil {
				t.Fatal(err)
			}
			sameAtDecimals(t, "fetched", got, want, vc.priceD, vc.sizeD)
			if vc.flat == (len(rep.Empty) > 0) {
				t.Errorf("empty intervals %v with the venue's rule flat=%v", rep.Empty, vc.flat)
			}
			// Cut a hole; fill closes it.
			if err := st.Write(vc.fqme, want.Rows(0, 100)); err != nil {
				t.Fatal(err)
			}
			rest := want.Rows(250, want.Len())
			rest.Period = 60
			if _, err := st.Append(vc.fqme, rest); err != nil {
				t.Fatal(err)
			}
			if _, err := h.Fill(context.Background(), vc.fqme, 60, frames.Crypto); err != nil {
				t.Fatal(err)
			}
			got, _ = st.Read(vc.fqme, 60)
			sameAtDecimals(t, "filled", got, want, vc.priceD, vc.sizeD)
		})
	}
}
