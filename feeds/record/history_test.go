package record

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

// day0 is the tapes' start: 2024-01-01 00:00 UTC.
const day0 = int64(1704067200)

const testFQME = "btcusdt.spot.fake"

// newTape is a market with a trade every 2 s on average and one minute in
// 7 without any trade.
func newTape() *venuefake.Tape {
	return venuefake.NewTape(venuefake.TapeConfig{FQME: testFQME, Seed: 11, Start: day0 * 1e9,
		Price: 42000, Tick: 0.1, Lot: 0.001, QuietEvery: 7})
}

// stoppedVenue is a venue whose clock stands at now (epoch s).
func stoppedVenue(tape *venuefake.Tape, empty feeds.EmptyBars, now int64) *venuefake.Venue {
	return venuefake.NewVenue(venuefake.VenueOptions{Clock: venuefake.NewClock(now*1e9, 0),
		Tapes: []*venuefake.Tape{tape}, Empty: empty, PageBars: 300, PageTrades: 500})
}

func openStore(t *testing.T) *frames.Store {
	t.Helper()
	st, err := frames.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func instant(context.Context, time.Duration) error { return nil }

// sameBars fails unless got and want hold the same bars, bit for bit.
func sameBars(t *testing.T, what string, got, want *frames.OHLCV) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%s: %d bars, want %d (first %v, want first %v)", what, got.Len(), want.Len(), first(got), first(want))
	}
	for i := range want.Len() {
		if got.At(i) != want.At(i) {
			t.Fatalf("%s: row %d: %+v, want %+v", what, i, got.At(i), want.At(i))
		}
	}
}

func first(f *frames.OHLCV) any {
	if f.Len() == 0 {
		return "none"
	}
	return f.At(0)
}

// quietMinutes lists, from the tape's trades, the minutes of [from, to)
// without a trade: what the exchange has no bar for.
func quietMinutes(tape *venuefake.Tape, from, to int64) []Range {
	trades := tape.Trades(from*1e9, to*1e9)
	var out []Range
	k := 0
	for m := from; m < to; m += 60 {
		n := 0
		for ; k < len(trades) && trades[k].Time < (m+60)*1e9; k++ {
			n++
		}
		if n == 0 {
			out = append(out, Range{m, m + 60})
		}
	}
	return union(out)
}

func TestFetchThroughFailingPagesEqualsTheExchangeBars(t *testing.T) {
	for _, tc := range []struct {
		name  string
		empty feeds.EmptyBars
	}{{"no bar for a quiet minute", feeds.NoBar}, {"flat bar for a quiet minute", feeds.FlatBar}} {
		t.Run(tc.name, func(t *testing.T) {
			tape := newTape()
			from, to := day0+3600, day0+3600+2*86400
			v := stoppedVenue(tape, tc.empty, to+3600)
			v.SetFaults(func(f *venuefake.Faults) {
				f.FailRequest = func(n int) error {
					if n%3 == 0 {
						return fmt.Errorf("HTTP 503 on request %d", n)
					}
					return nil
				}
			})
			st := openStore(t)
			var last Progress
			h := History{Venue: v, Store: st, Sleep: instant, Batch: 1000, Progress: func(p Progress) { last = p }}
			rep, err := h.Fetch(context.Background(), testFQME, 60, from, to)
			if err != nil {
				t.Fatal(err)
			}
			want := tape.Bars(60, from, to, tc.empty == feeds.FlatBar)
			got, err := st.Read(testFQME, 60)
			if err != nil {
				t.Fatal(err)
			}
			sameBars(t, "stored", got, want)
			if rep.Fetched != want.Len() || rep.Added != want.Len() || rep.Retries == 0 {
				t.Errorf("report: fetched %d, added %d, retries %d; want %d, %d, some", rep.Fetched, rep.Added, rep.Retries, want.Len(), want.Len())
			}
			if last.Done != last.Total || last.Total != (to-from)/60 {
				t.Errorf("last progress %+v, want all %d slots done", last, (to-from)/60)
			}
			wantEmpty := quietMinutes(tape, from, to)
			if tc.empty == feeds.FlatBar {
				wantEmpty = nil // a flat bar for each
			}
			if fmt.Sprint(rep.Empty) != fmt.Sprint(nonNilRanges(wantEmpty)) {
				t.Errorf("empty %v, want %v", rep.Empty, wantEmpty)
			}
			if tc.empty == feeds.NoBar && len(wantEmpty) < 100 {
				t.Fatalf("only %d quiet minutes: the tape does not exercise the empty-bar rule", len(wantEmpty))
			}
		})
	}
}

func TestSecondFetchAsksOnlyForWhatTheStoreLacks(t *testing.T) {
	tape := newTape()
	from, mid, to := day0, day0+86400, day0+2*86400
	v := stoppedVenue(tape, feeds.NoBar, to+60)
	st := openStore(t)
	ctx := context.Background()
	// The first run dies after 3 requests, its retries used up.
	v.SetFaults(func(f *venuefake.Faults) {
		f.FailRequest = func(n int) error {
			if n > 3 {
				return errors.New("connection refused")
			}
			return nil
		}
	})
	h := History{Venue: v, Store: st, Sleep: instant, Retries: 2, Batch: 500}
	rep, err := h.Fetch(ctx, testFQME, 60, from, mid)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("first run: want the venue's error, got %v", err)
	}
	part, err := st.Read(testFQME, 60)
	if err != nil {
		t.Fatal(err)
	}
	if part.Len() == 0 || part.Len() != rep.Added {
		t.Fatalf("first run stored %d bars, reported %d added", part.Len(), rep.Added)
	}
	v.SetFaults(func(f *venuefake.Faults) { f.FailRequest = nil })
	// The rest of the first range.
	n0 := len(v.Requests())
	rep, err = h.Fetch(ctx, testFQME, 60, from, mid)
	if err != nil {
		t.Fatal(err)
	}
	resumed := part.Time[part.Len()-1] + 60
	for _, r := range v.Requests()[n0:] {
		if r.From < resumed {
			t.Fatalf("resumed run asked for %v, before the stored end %d", r, resumed)
		}
	}
	// The whole two days: only the second day is asked for, the quiet
	// minutes of the first are known.
	n1 := len(v.Requests())
	rep, err = h.Fetch(ctx, testFQME, 60, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.Requested) != fmt.Sprint([]Range{{mid, to}}) {
		t.Errorf("requested %v, want only the second day", rep.Requested)
	}
	reqs := v.Requests()[n1:]
	if want := int((to - mid + 300*60 - 1) / (300 * 60)); len(reqs) != want {
		t.Errorf("%d requests, want %d pages of the second day", len(reqs), want)
	}
	for _, r := range reqs {
		if r.From < mid || r.To > to {
			t.Errorf("request %v outside the missing day", r)
		}
	}
	if len(rep.KnownEmpty) == 0 {
		t.Error("no known-empty minutes reported for the first day")
	}
	got, err := st.Read(testFQME, 60)
	if err != nil {
		t.Fatal(err)
	}
	sameBars(t, "stored", got, tape.Bars(60, from, to, false))
	// Nothing left: a third run asks nothing at all.
	n2 := len(v.Requests())
	if rep, err = h.Fetch(ctx, testFQME, 60, from, to); err != nil || len(v.Requests()) != n2 || rep.Fetched != 0 {
		t.Fatalf("third run: %d requests, report %+v, err %v", len(v.Requests())-n2, rep, err)
	}
}

// A fetch past the venue's now stops at its latest closed bar and says so;
// the minutes after it are not called empty.
func TestFetchPastNowIsUnclosedNotEmpty(t *testing.T) {
	tape := newTape()
	now := day0 + 7200 + 30
	v := stoppedVenue(tape, feeds.NoBar, now)
	st := openStore(t)
	h := History{Venue: v, Store: st, Sleep: instant}
	rep, err := h.Fetch(context.Background(), testFQME, 60, day0+3600, day0+4*3600)
	if err != nil {
		t.Fatal(err)
	}
	want := tape.Bars(60, day0+3600, day0+7200, false)
	got, _ := st.Read(testFQME, 60)
	sameBars(t, "stored", got, want)
	last := want.Time[want.Len()-1]
	if rep.Unclosed == nil || rep.Unclosed.From != last+60 || rep.Unclosed.To != day0+4*3600 {
		t.Errorf("unclosed %v, want from %d", rep.Unclosed, last+60)
	}
	for _, e := range rep.Empty {
		if e.To > last {
			t.Errorf("empty %v after the latest bar %d", e, last)
		}
	}
}

// Periods the venue's bars do not serve are built from its trades, through
// failing pages, and equal the tape's bars.
func TestFetchBuildsUnservedPeriodsFromTrades(t *testing.T) {
	for _, empty := range []feeds.EmptyBars{feeds.NoBar, feeds.FlatBar} {
		tape := newTape()
		from, to := day0+600, day0+600+1800
		v := stoppedVenue(tape, empty, to+3600)
		v.SetFaults(func(f *venuefake.Faults) {
			f.FailRequest = func(n int) error {
				if n%2 == 0 {
					return errors.New("HTTP 429, Retry-After 1")
				}
				return nil
			}
		})
		st := openStore(t)
		for _, p := range []int64{1, 15} {
			h := History{Venue: v, Store: st, Sleep: instant, Retries: 3}
			rep, err := h.Fetch(context.Background(), testFQME, p, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Source != "trades" {
				t.Errorf("source %q", rep.Source)
			}
			got, err := st.Read(testFQME, p)
			if err != nil {
				t.Fatal(err)
			}
			want := tape.Bars(p, from, to, empty == feeds.FlatBar)
			if empty == feeds.FlatBar {
				// Flat bars before the range's first trade need the close
				// before it, which the store does not have.
				k := searchTime(want.Time, tape.Trades(from*1e9, to*1e9)[0].Time/1e9/p*p)
				want = want.Rows(k, want.Len())
				want.Period = p
			}
			sameBars(t, fmt.Sprintf("%s bars (%d)", frames.FormatPeriod(p), empty), got, want)
		}
	}
}

func TestFillClosesTheHolesCutIntoASeries(t *testing.T) {
	for _, empty := range []feeds.EmptyBars{feeds.NoBar, feeds.FlatBar} {
		tape := newTape()
		from, to := day0, day0+86400
		v := stoppedVenue(tape, empty, to+60)
		st := openStore(t)
		want := tape.Bars(60, from, to, empty == feeds.FlatBar)
		// Cut three holes: 90 bars, 1 bar, 400 bars.
		cut := frames.New(60, 0)
		holes := [][2]int{{100, 190}, {500, 501}, {800, 1200}}
		k := 0
		for _, hl := range holes {
			cut.Merge(want.Rows(k, hl[0]), frames.MergeOptions{})
			part := want.Rows(k, hl[0])
			part.Period = 60
			if _, err := st.Append(testFQME, part); err != nil {
				t.Fatal(err)
			}
			k = hl[1]
		}
		rest := want.Rows(k, want.Len())
		rest.Period = 60
		if _, err := st.Append(testFQME, rest); err != nil {
			t.Fatal(err)
		}
		h := History{Venue: v, Store: st, Sleep: instant}
		n0 := len(v.Requests())
		rep, err := h.Fill(context.Background(), testFQME, 60, frames.Crypto)
		if err != nil {
			t.Fatal(err)
		}
		// Nearby gaps are asked for together: a page per 300 slots of the
		// day, not a request per gap.
		if n := len(v.Requests()) - n0; n > 6 || (empty == feeds.NoBar && len(rep.Gaps) < 50) {
			t.Errorf("%d requests for %d gaps", n, len(rep.Gaps))
		}
		got, err := st.Read(testFQME, 60)
		if err != nil {
			t.Fatal(err)
		}
		sameBars(t, "filled", got, want)
		fetched := 0
		for _, g := range rep.Gaps {
			fetched += g.Got
		}
		if fetched != 90+1+400 {
			t.Errorf("fetched %d bars, want the 491 cut out", fetched)
		}
		if empty == feeds.NoBar {
			// Every other gap is a quiet minute: asked once, then known.
			n := len(v.Requests())
			rep2, err := h.Fill(context.Background(), testFQME, 60, frames.Crypto)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Requests()) != n {
				t.Errorf("second fill asked %d more pages", len(v.Requests())-n)
			}
			if len(rep2.Gaps) == 0 || len(rep2.Gaps[0].Asked) != 0 {
				t.Errorf("second fill: %+v", rep2.Gaps)
			}
			var quiet int64
			for _, g := range rep.Gaps {
				quiet += totalSlots(g.Empty, 60)
			}
			var wantQuiet int64
			for _, q := range quietMinutes(tape, want.Time[0], want.Time[want.Len()-1]) {
				wantQuiet += q.Slots(60)
			}
			if quiet != wantQuiet || quiet == 0 {
				t.Errorf("%d minutes reported without bars, the tape has %d quiet ones", quiet, wantQuiet)
			}
		} else if len(rep.Gaps) != 3 {
			t.Errorf("%d gaps, want the 3 holes", len(rep.Gaps))
		}
	}
}
