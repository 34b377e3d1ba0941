package feeds

import (
	"context"
	"fmt"
	"math"
	"time"

	"workbench/frames"
)

// Clock is the wall clock a paced feed waits on. Feeds take it as a value
// so tests drive time by hand and never wait.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or returns ctx.Err() when ctx is done first.
	Sleep(ctx context.Context, d time.Duration) error
}

// WallClock is the real clock.
var WallClock Clock = wallClock{}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pacer spaces events on a clock by a schedule fixed at the first event, so
// a slow sink or a late wake-up does not push every later event back.
type pacer struct {
	clock Clock
	start time.Time
	n     int
}

func newPacer(c Clock) *pacer {
	if c == nil {
		c = WallClock
	}
	return &pacer{clock: c}
}

// wait blocks until offset after the first call. It reports false when ctx
// is done. Every call checks ctx, but only every 256th when nothing waits:
// at full speed the check would cost more than an event.
func (p *pacer) wait(ctx context.Context, offset time.Duration) bool {
	if p.n == 0 {
		p.start = p.clock.Now()
	}
	p.n++
	if d := p.start.Add(offset).Sub(p.clock.Now()); d > 0 {
		return p.clock.Sleep(ctx, d) == nil
	}
	return p.n&255 != 0 || ctx.Err() == nil
}

// ReplayFeed streams a Replay as a Feed of closed-bar events, merged by
// close time across its series. Speed 1 spaces the bars as far apart in
// wall time as their closes are; N plays N times faster; 0 plays as fast
// as the sink takes them. Stream consumes the Replay: it runs once.
type ReplayFeed struct {
	Replay *Replay
	Speed  float64
	Clock  Clock // nil: WallClock
}

// Stream sends every bar to sink, then returns nil; on ctx done it returns
// nil at once.
func (f *ReplayFeed) Stream(ctx context.Context, sink func(Event) error) error {
	switch {
	case f.Replay == nil:
		return fmt.Errorf("replay: nothing to replay")
	case f.Speed < 0 || math.IsNaN(f.Speed):
		return fmt.Errorf("replay: speed %v: want 0 (as fast as possible) or more", f.Speed)
	}
	p := newPacer(f.Clock)
	var t0 int64
	for {
		b, ok := f.Replay.Next()
		if !ok {
			return nil
		}
		if p.n == 0 {
			t0 = b.Time
		}
		var off time.Duration
		if f.Speed > 0 {
			off = time.Duration(float64(b.Time-t0) / f.Speed)
		}
		if !p.wait(ctx, off) {
			return nil
		}
		if err := sink(Event{Kind: KindBar, Bar: b}); err != nil {
			return fmt.Errorf("replay %s: %w", b.FQME, err)
		}
	}
}

// SyntheticFeed streams generated bars of several markets as closed-bar
// events, one bar close every Interval: at each step the markets whose next
// bar closes first, in the order given, as a Replay orders them.
type SyntheticFeed struct {
	Markets []SyntheticMarket
	Start   int64         // epoch s of the first bar slot
	Every   time.Duration // wall time between bar closes; 0: no pacing
	// Steps stops the feed after this many bar closes; 0: never.
	Steps int
	Clock Clock // nil: WallClock
}

// Stream generates bars until ctx is done or Steps closes were sent
// (returning nil) or sink fails.
func (f *SyntheticFeed) Stream(ctx context.Context, sink func(Event) error) error {
	if len(f.Markets) == 0 {
		return fmt.Errorf("synthetic feed: no market")
	}
	gens := make([]*Synthetic, len(f.Markets))
	pending := make([]BarEvent, len(f.Markets))
	for i, m := range f.Markets {
		if err := m.Validate(); err != nil {
			return err
		}
		gens[i] = NewSynthetic(m, f.Start)
		pending[i] = f.next(gens[i])
	}
	p := newPacer(f.Clock)
	for n := 0; f.Steps == 0 || n < f.Steps; n++ {
		if !p.wait(ctx, time.Duration(n+1)*f.Every) {
			return nil
		}
		first := pending[0].Time
		for _, b := range pending[1:] {
			first = min(first, b.Time)
		}
		for i, g := range gens {
			if pending[i].Time != first {
				continue
			}
			if err := sink(Event{Kind: KindBar, Bar: pending[i]}); err != nil {
				return fmt.Errorf("synthetic %s: %w", pending[i].FQME, err)
			}
			pending[i] = f.next(g)
		}
	}
	return nil
}

func (f *SyntheticFeed) next(g *Synthetic) BarEvent {
	m := g.Market()
	b := g.Next()
	return BarEvent{Time: (b.Time + m.Period) * 1e9, FQME: m.FQME, Period: m.Period, Bar: b, Index: -1}
}

// ReplayStore prepares the replay of fqmes' stored bars of period (s) that
// open in [from, to) (epoch s), derived from a finer stored period where
// the store has no series of period itself (see frames.Store.ReadRangeAs).
func ReplayStore(st *frames.Store, period, from, to int64, fqmes ...string) (*Replay, error) {
	series := make([]ReplaySeries, 0, len(fqmes))
	for _, fq := range fqmes {
		bars, _, err := st.ReadRangeAs(fq, period, from, to)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		if bars.Len() == 0 {
			return nil, fmt.Errorf("replay %s %s: no bars from %s to %s", fq, frames.FormatPeriod(period),
				time.Unix(from, 0).UTC().Format(time.RFC3339), time.Unix(to, 0).UTC().Format(time.RFC3339))
		}
		series = append(series, ReplaySeries{FQME: fq, Bars: bars})
	}
	return NewReplay(series...)
}
