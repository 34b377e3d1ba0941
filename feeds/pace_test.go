package feeds_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/frames"
)

// fakeClock never waits: Sleep moves Now forward and records how long it
// was asked to wait. Work lets a test charge time to a slow sink.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
	cancel func() // called when sleeping past cancelAt
	at     time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1e9, 0)} }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.cancel != nil && !c.now.Add(d).Before(c.at) {
		c.cancel()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}
func (c *fakeClock) work(d time.Duration) { c.now = c.now.Add(d) }

func replaySeries(t *testing.T) []feeds.ReplaySeries {
	t.Helper()
	a := frames.New(60, 0)
	for i := int64(0); i < 5; i++ {
		a.Add(600+60*i, 10, 11, 9, 10+float64(i), 1)
	}
	b := frames.New(120, 0)
	for i := int64(0); i < 3; i++ {
		b.Add(600+120*i, 20, 21, 19, 20+float64(i), 2)
	}
	return []feeds.ReplaySeries{{FQME: "a.spot.test", Bars: a}, {FQME: "b.spot.test", Bars: b}}
}

func collect(evs *[]feeds.BarEvent, c *fakeClock, work time.Duration) func(feeds.Event) error {
	return func(e feeds.Event) error {
		if e.Kind != feeds.KindBar {
			return errors.New("not a bar")
		}
		*evs = append(*evs, e.Bar)
		if c != nil {
			c.work(work)
		}
		return nil
	}
}

// Two markets of different periods merge by close time, ties in series
// order; at speed N the clock is asked to wait each gap between closes
// divided by N, and at speed 0 never.
func TestReplayFeedMergesAndPaces(t *testing.T) {
	want := []struct {
		fqme  string
		close int64
	}{{"a.spot.test", 660}, {"a.spot.test", 720}, {"b.spot.test", 720}, {"a.spot.test", 780},
		{"a.spot.test", 840}, {"b.spot.test", 840}, {"a.spot.test", 900}, {"b.spot.test", 960}}
	for _, speed := range []float64{0, 1, 60} {
		r, err := feeds.NewReplay(replaySeries(t)...)
		if err != nil {
			t.Fatal(err)
		}
		c := newFakeClock()
		var got []feeds.BarEvent
		if err := (&feeds.ReplayFeed{Replay: r, Speed: speed, Clock: c}).Stream(context.Background(), collect(&got, nil, 0)); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("speed %v: %d events, want %d", speed, len(got), len(want))
		}
		for i, w := range want {
			if got[i].FQME != w.fqme || got[i].Time != w.close*1e9 || got[i].Forming {
				t.Fatalf("speed %v event %d: %s closing %d, want %s %d", speed, i, got[i].FQME, got[i].Time/1e9, w.fqme, w.close)
			}
		}
		var total time.Duration
		for _, d := range c.sleeps {
			total += d
		}
		wantTotal := time.Duration(0)
		if speed > 0 {
			wantTotal = time.Duration(float64(300*time.Second) / speed)
		}
		if total != wantTotal || (speed > 0 && len(c.sleeps) != 5) {
			t.Errorf("speed %v: slept %v in %d waits, want %v in 5 (one per distinct close after the first)", speed, total, len(c.sleeps), wantTotal)
		}
	}
}

// A sink slower than the schedule is never waited for again: the schedule
// is fixed at the first event, so the replay catches up instead of drifting.
func TestReplayFeedDoesNotDriftBehindASlowSink(t *testing.T) {
	r, _ := feeds.NewReplay(replaySeries(t)[0])
	c := newFakeClock()
	var got []feeds.BarEvent
	// 1 s of bars per 60 s at speed 60, and each bar takes 1.5 s to handle.
	if err := (&feeds.ReplayFeed{Replay: r, Speed: 60, Clock: c}).Stream(context.Background(), collect(&got, c, 1500*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || len(c.sleeps) != 0 {
		t.Errorf("%d events, slept %v", len(got), c.sleeps)
	}
}

func TestReplayFeedStopsOnContextAndSinkError(t *testing.T) {
	r, _ := feeds.NewReplay(replaySeries(t)...)
	c := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.cancel, c.at = cancel, c.now.Add(150*time.Second) // during the wait for the close at 840
	var got []feeds.BarEvent
	if err := (&feeds.ReplayFeed{Replay: r, Speed: 1, Clock: c}).Stream(ctx, collect(&got, nil, 0)); err != nil {
		t.Fatalf("cancelled replay returned %v", err)
	}
	if len(got) != 4 {
		t.Errorf("%d events before cancel, want 4 (closes 660, 720, 720, 780)", len(got))
	}

	r, _ = feeds.NewReplay(replaySeries(t)...)
	boom := errors.New("disk full")
	err := (&feeds.ReplayFeed{Replay: r}).Stream(context.Background(), func(feeds.Event) error { return boom })
	if !errors.Is(err, boom) || err.Error() != "replay a.spot.test: disk full" {
		t.Errorf("sink error came back as %v", err)
	}
	if err := (&feeds.ReplayFeed{Replay: r, Speed: -1}).Stream(context.Background(), nil); err == nil {
		t.Error("negative speed accepted")
	}
	if err := (&feeds.ReplayFeed{}).Stream(context.Background(), nil); err == nil {
		t.Error("a feed without a replay streamed")
	}
}

// The synthetic feed sends the generators' bars (the same bars Next gives)
// one close per Every, markets closing together in the order given.
func TestSyntheticFeed(t *testing.T) {
	ms := feeds.DemoMarkets()
	ms[1].Period = 120 // closes every other step of the others
	ms[1].Calendar = "crypto"
	start := time.Date(2024, 3, 4, 15, 0, 0, 0, time.UTC).Unix()
	c := newFakeClock()
	var got []feeds.BarEvent
	f := &feeds.SyntheticFeed{Markets: ms, Start: start, Every: 250 * time.Millisecond, Steps: 10, Clock: c}
	if err := f.Stream(context.Background(), collect(&got, nil, 0)); err != nil {
		t.Fatal(err)
	}
	if len(c.sleeps) != 10 || c.sleeps[0] != 250*time.Millisecond || c.now.Sub(time.Unix(1e9, 0)) != 2500*time.Millisecond {
		t.Errorf("waits %v", c.sleeps)
	}
	var want []feeds.BarEvent
	gens := make([]*feeds.Synthetic, len(ms))
	for i, m := range ms {
		gens[i] = feeds.NewSynthetic(m, start)
	}
	next := make([]frames.Bar, len(ms))
	for i := range gens {
		next[i] = gens[i].Next()
	}
	for step := 0; step < 10; step++ {
		first := int64(1 << 62)
		for i := range ms {
			first = min(first, next[i].Time+ms[i].Period)
		}
		for i, m := range ms {
			if next[i].Time+m.Period == first {
				want = append(want, feeds.BarEvent{Time: first * 1e9, FQME: m.FQME, Period: m.Period, Bar: next[i], Index: -1})
				next[i] = gens[i].Next()
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %d events, want %d\n%+v\n%+v", len(got), len(want), got[:3], want[:3])
	}
	if err := (&feeds.SyntheticFeed{}).Stream(context.Background(), nil); err == nil {
		t.Error("a feed of no market streamed")
	}
}

// With the wall clock a paced feed stops promptly when its context ends.
func TestSyntheticFeedWallClockCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n := 0
	f := &feeds.SyntheticFeed{Markets: feeds.DemoMarkets()[:1], Start: 1.7e9, Every: time.Hour}
	if err := f.Stream(ctx, func(feeds.Event) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("err %v after %d events", err, n)
	}
}

// A replay of the store merges the stored series as NewReplay does, and
// names a market without bars in the range.
func TestReplayStore(t *testing.T) {
	st, err := frames.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	series := replaySeries(t)
	for _, s := range series {
		if err := st.Write(s.FQME, s.Bars); err != nil {
			t.Fatal(err)
		}
	}
	r, err := feeds.ReplayStore(st, 60, 0, 1<<40, "a.spot.test")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ok := r.Next(); ok; _, ok = r.Next() {
		n++
	}
	if n != 5 {
		t.Errorf("%d bars replayed, want 5", n)
	}
	// Two markets, the second at its own 120 s period, from 660 on.
	r, err = feeds.ReplayStore(st, 120, 660, 1<<40, "b.spot.test")
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := r.Next(); !ok || b.Bar.Time != 720 || b.FQME != "b.spot.test" {
		t.Errorf("first bar %+v", b)
	}
	if _, err := feeds.ReplayStore(st, 60, 5000, 6000, "a.spot.test"); err == nil || !strings.Contains(err.Error(), "a.spot.test 1m: no bars") {
		t.Errorf("empty range: %v", err)
	}
	if _, err := feeds.ReplayStore(st, 60, 0, 6000, "c.spot.test"); err == nil || !strings.Contains(err.Error(), "c.spot.test") {
		t.Errorf("unknown market: %v", err)
	}
}
