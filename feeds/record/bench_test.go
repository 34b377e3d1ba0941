//go:build unix

package record

import (
	"context"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/venuefake"
	"workbench/frames"
	"workbench/internal/cputime"
)

// pagesVenue serves precomputed bars in pages of 1000, so a benchmark
// measures the fetch (paging, merging, parquet writes), not the venue.
type pagesVenue struct {
	*venuefake.Venue
	bars *frames.OHLCV
}

func (v pagesVenue) Bars(ctx context.Context, _ string, period, from, to int64, page func(*frames.OHLCV) error) error {
	i, j := searchTime(v.bars.Time, from), searchTime(v.bars.Time, to)
	for ; i < j; i += 1000 {
		p := v.bars.Rows(i, min(i+1000, j))
		p.Period = period
		if err := page(p); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkFetch30DaysOfMinutes is `store fetch` of 30 days of 1-minute
// bars, our side only. cpu-ns/1000bars is the process's CPU time per 1000
// bars (the wall time also holds the store's fsyncs).
func BenchmarkFetch30DaysOfMinutes(b *testing.B) {
	tape := newTape()
	from, to := day0, day0+30*86400
	v := pagesVenue{stoppedVenue(tape, feeds.NoBar, to+60), tape.Bars(60, from, to, false)}
	var cpu time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		st, err := frames.OpenStore(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := cputime.Process()
		h := History{Venue: v, Store: st}
		rep, err := h.Fetch(context.Background(), testFQME, 60, from, to)
		cpu += cputime.Process() - c0
		if err != nil || rep.Fetched != v.bars.Len() {
			b.Fatalf("fetched %d of %d: %v", rep.Fetched, v.bars.Len(), err)
		}
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(v.bars.Len())*1000, "cpu-ns/1000bars")
}
