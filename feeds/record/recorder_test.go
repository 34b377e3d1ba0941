package record

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

// faultyVenue runs a tape at speed× the wall clock from day0+3h with
// every fault of the stream: trades lost silently, trades delivered twice,
// malformed frames, and a two-minute outage.
func faultyVenue(tape *venuefake.Tape, empty feeds.EmptyBars, speed float64, venueBars bool) *venuefake.Venue {
	start := (day0 + 3*3600) * 1e9
	v := venuefake.NewVenue(venuefake.VenueOptions{Clock: venuefake.NewClock(start, speed),
		Tapes: []*venuefake.Tape{tape}, Empty: empty, PageBars: 100})
	v.SetFaults(func(f *venuefake.Faults) {
		f.DropTrade = func(tr feeds.Trade) bool { return tr.ID%97 == 0 }
		f.DuplicateTrade = func(tr feeds.Trade) bool { return tr.ID%31 == 0 }
		f.MalformedAfter = func(tr feeds.Trade) bool { return tr.ID%50 == 0 }
		f.Outages = []venuefake.Outage{{From: start + 5*60e9, To: start + 7*60e9}}
	})
	return v
}

// record runs a recorder for wall time d and returns its counts and the
// venue's time when it was told to stop.
func record(t *testing.T, v *venuefake.Venue, st *frames.Store, cfg Config, d time.Duration) (MarketStats, int64) {
	t.Helper()
	cfg.FQMEs = []string{testFQME}
	cfg.History.Sleep = instant
	r, err := NewRecorder(v, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var stopped atomic.Int64
	context.AfterFunc(ctx, func() { stopped.Store(v.Clock().Now()) })
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return r.Stats()[0], stopped.Load()
}

// checkRecorded compares the stored series with the tape's bars from its
// first bar to its last, and checks it reaches close to the venue's now,
// its clock running at speed× the wall clock.
func checkRecorded(t *testing.T, st *frames.Store, tape *venuefake.Tape, flat bool, now int64, speed float64) *frames.OHLCV {
	t.Helper()
	got, err := st.Read(testFQME, 60)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() == 0 {
		t.Fatal("nothing stored")
	}
	last := got.Time[got.Len()-1]
	sameBars(t, "recorded", got, tape.Bars(60, got.Time[0], last+60, flat))
	// The bar forming at the stop is not closed; the one before it is,
	// unless nobody traded since, or its closing trade was still on its
	// way: allow for a fifth of a second of wall time on a loaded machine,
	// which is 100 venue minutes at 30000×.
	lag := max(3*60, int64(speed/5))
	if nowSlot := now / 60e9 * 60; last < nowSlot-lag {
		t.Errorf("last stored bar %s, the venue's clock stopped at %s", formatTime(last, 60), formatTime(nowSlot, 60))
	}
	return got
}

// Through lost and repeated trades, malformed frames, an outage and a
// restart, the stored series is the exchange's bars minute for minute,
// continuing the series the store had.
func TestRecorderStoresExactlyTheExchangeBars(t *testing.T) {
	for _, tc := range []struct {
		name      string
		empty     feeds.EmptyBars
		venueBars bool
	}{
		{"binance rule", feeds.NoBar, false},
		{"kraken rule", feeds.FlatBar, false},
		{"venue bars as the clock", feeds.NoBar, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tape := newTape()
			flat := tc.empty == feeds.FlatBar
			const speed = 600
			v := faultyVenue(tape, tc.empty, speed, tc.venueBars)
			st := openStore(t)
			// The store has 01:00 to 02:00; the venue's clock is at 03:00.
			had := tape.Bars(60, day0+3600, day0+7200, flat)
			if _, err := st.Append(testFQME, had); err != nil {
				t.Fatal(err)
			}
			cfg := Config{Period: 60, RecentBars: 20, VenueBars: tc.venueBars, FlushEvery: 50 * time.Millisecond}
			s1, now := record(t, v, st, cfg, 1500*time.Millisecond)
			mid := checkRecorded(t, st, tape, flat, now, speed)
			if mid.Time[0] != day0+3600 {
				t.Errorf("first bar %s, want the stored 01:00", formatTime(mid.Time[0], 60))
			}
			time.Sleep(500 * time.Millisecond) // five venue minutes with nobody recording
			s2, now := record(t, v, st, cfg, 1500*time.Millisecond)
			got := checkRecorded(t, st, tape, flat, now, speed)
			if got.Time[got.Len()-1] <= mid.Time[mid.Len()-1]+5*60 {
				t.Errorf("the restart recorded nothing new")
			}
			for i, s := range []MarketStats{s1, s2} {
				if s.Duplicates == 0 || s.Gaps == 0 || s.Malformed == 0 || s.Fetches == 0 || s.Trades == 0 {
					t.Errorf("run %d: faults not exercised: %+v", i+1, s)
				}
			}
			t.Logf("run 1 %+v\nrun 2 %+v", s1, s2)
		})
	}
}

// How fast the venue's clock runs against the wall clock changes nothing:
// bars close by exchange time.
func TestRecorderDoesNotCareHowFastTheVenueClockRuns(t *testing.T) {
	for _, speed := range []float64{120, 30000} {
		t.Run(fmt.Sprintf("%gx", speed), func(t *testing.T) {
			t.Parallel()
			tape := newTape()
			v := faultyVenue(tape, feeds.NoBar, speed, false)
			st := openStore(t)
			s, now := record(t, v, st, Config{Period: 60, RecentBars: 30}, 2*time.Second)
			got := checkRecorded(t, st, tape, false, now, speed)
			t.Logf("%d bars, %+v", got.Len(), s)
		})
	}
}

// Raw trades and quotes reach the tick store once each, the trades the
// stream lost included.
func TestRecorderStoresTicksOnceEach(t *testing.T) {
	tape := newTape()
	v := faultyVenue(tape, feeds.NoBar, 600, false)
	st := openStore(t)
	s, _ := record(t, v, st, Config{Period: 60, Trades: true, Quotes: true}, time.Second)
	trades, err := st.ReadTrades(testFQME, 0, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	quotes, err := st.ReadQuotes(testFQME, 0, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	if trades.Len() <= s.Trades || s.Gaps == 0 || quotes.Len() == 0 {
		t.Fatalf("%d trades, %d quotes stored; stats %+v", trades.Len(), quotes.Len(), s)
	}
	want := tape.Trades(trades.Time[0], trades.Time[trades.Len()-1]+1)
	k := 0
	// Lost on the stream, fetched from the trade history.
	for _, w := range want {
		if k >= trades.Len() || trades.ID[k] != w.ID || trades.Price[k] != w.Price || trades.Size[k] != w.Size || trades.Time[k] != w.Time {
			t.Fatalf("stored trade %d is not the tape's id %d", k, w.ID)
		}
		k++
	}
	if k != trades.Len() {
		t.Fatalf("%d stored trades, %d expected", trades.Len(), k)
	}
}

// Bars of a period the venue's history does not serve (1 s) are built from
// trades both live and, for what the stream missed, from its trade history.
func TestRecorderBuildsUnservedPeriodsFromTrades(t *testing.T) {
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: testFQME, Seed: 3, Start: day0 * 1e9,
		Price: 42000, Tick: 0.1, Lot: 0.001, MeanGap: 300 * time.Millisecond})
	start := (day0 + 3600) * 1e9
	v := venuefake.NewVenue(venuefake.VenueOptions{Clock: venuefake.NewClock(start, 30),
		Tapes: []*venuefake.Tape{tape}, PageTrades: 50})
	v.SetFaults(func(f *venuefake.Faults) {
		f.DropTrade = func(tr feeds.Trade) bool { return tr.ID%23 == 0 }
		f.Outages = []venuefake.Outage{{From: start + 10e9, To: start + 15e9}}
	})
	st := openStore(t)
	s, now := record(t, v, st, Config{Period: 1, RecentBars: 120}, 2*time.Second)
	got, err := st.Read(testFQME, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() < 100 || got.Time[got.Len()-1] < now/1e9-3 || s.Gaps == 0 {
		t.Fatalf("%d bars, last %d, venue at %d; %+v", got.Len(), got.Time[got.Len()-1], now/1e9, s)
	}
	sameBars(t, "1s bars", got, tape.Bars(1, got.Time[0], got.Time[got.Len()-1]+1, false))
}

// Several markets on one stream are each recorded exactly.
func TestRecorderSeveralMarkets(t *testing.T) {
	btc := newTape()
	eth := venuefake.NewTape(venuefake.TapeConfig{FQME: "ethusdt.spot.fake", Seed: 12, Start: day0 * 1e9,
		Price: 2300, Tick: 0.01, Lot: 0.01, QuietEvery: 5})
	v := venuefake.NewVenue(venuefake.VenueOptions{Clock: venuefake.NewClock((day0+3*3600)*1e9, 600),
		Tapes: []*venuefake.Tape{btc, eth}})
	v.SetFaults(func(f *venuefake.Faults) { f.DropTrade = func(tr feeds.Trade) bool { return tr.ID%29 == 0 } })
	st := openStore(t)
	r, err := NewRecorder(v, st, Config{FQMEs: []string{testFQME, "ethusdt.spot"}, Period: 60, RecentBars: 20,
		History: History{Sleep: instant}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tape := range []*venuefake.Tape{btc, eth} {
		fq := tape.Config().FQME
		got, err := st.Read(fq, 60)
		if err != nil {
			t.Fatal(err)
		}
		sameBars(t, fq, got, tape.Bars(60, got.Time[0], got.Time[got.Len()-1]+60, false))
	}
	if s := r.Stats(); len(s) != 2 || s[0].Gaps == 0 || s[1].Gaps == 0 {
		t.Errorf("stats %+v", s)
	}
}

// A venue whose history lags its stream is asked again until it has the
// bars the stream saw trades in.
func TestRecorderWaitsForALaggingHistory(t *testing.T) {
	tape := newTape()
	v := faultyVenue(tape, feeds.NoBar, 600, false)
	v.SetFaults(func(f *venuefake.Faults) { f.HistoryLag = 20 * time.Second })
	st := openStore(t)
	cfg := Config{FQMEs: []string{testFQME}, Period: 60, RecentBars: 20, HistoryDelay: 25 * time.Second,
		History: History{Backoff: 5 * time.Millisecond}}
	r, err := NewRecorder(v, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := st.Read(testFQME, 60)
	if err != nil {
		t.Fatal(err)
	}
	sameBars(t, "recorded", got, tape.Bars(60, got.Time[0], got.Time[got.Len()-1]+60, false))
	if s := r.Stats()[0]; s.Gaps == 0 {
		t.Errorf("no gap exercised: %+v", s)
	}
}
