package frames_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"workbench/feeds"
	"workbench/frames"
)

// A period that is not stored is derived from the coarsest stored period
// that divides it, and equals resampling the whole series then slicing.
func TestReadRangeAsDerivesFromFinerSeries(t *testing.T) {
	st, err := frames.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var equity feeds.SyntheticMarket
	for _, m := range feeds.DemoMarkets() {
		if m.Calendar == "us-equity" {
			equity = m
		}
	}
	from := int64(1767571200) // 2026-01-05
	minutes := feeds.GenerateBars(equity, from, from+10*86400)
	fives, err := minutes.Resample(300)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*frames.OHLCV{minutes, fives} {
		if err := st.Write(equity.FQME, f); err != nil {
			t.Fatal(err)
		}
	}
	if ps, err := st.Periods(equity.FQME); err != nil || !reflect.DeepEqual(ps, []int64{60, 300}) {
		t.Fatalf("periods %v, %v", ps, err)
	}
	// The reference hours are aggregated here from the minutes: first open,
	// highest high, lowest low, last close, summed volume per clock hour.
	whole := frames.New(3600, 0)
	for i := range minutes.Time {
		h, n := minutes.Time[i]-minutes.Time[i]%3600, whole.Len()
		if n == 0 || whole.Time[n-1] != h {
			whole.Add(h, minutes.Open[i], minutes.High[i], minutes.Low[i], minutes.Close[i], minutes.Volume[i])
			continue
		}
		whole.High[n-1] = math.Max(whole.High[n-1], minutes.High[i])
		whole.Low[n-1] = math.Min(whole.Low[n-1], minutes.Low[i])
		whole.Close[n-1] = minutes.Close[i]
		whole.Volume[n-1] += minutes.Volume[i]
	}
	ranges := [][2]int64{
		{math.MinInt64, math.MaxInt64},
		{from + 2*86400 + 14*3600 + 1234, from + 3*86400 + 17*3600 + 60}, // unaligned ends, mid-session
		{from + 5*86400, from + 5*86400 + 3600},                          // a Saturday: nothing
	}
	for i, r := range ranges {
		got, src, err := st.ReadRangeAs(equity.FQME, 3600, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		if src != 300 {
			t.Errorf("derived from %ds, want the 5m series", src)
		}
		want := whole.Slice(r[0], r[1])
		if (i < 2) != (want.Len() > 0) {
			t.Fatalf("range %v: the reference has %d bars", r, want.Len())
		}
		if got.Len() != want.Len() {
			t.Fatalf("range %v: %d bars, want %d", r, got.Len(), want.Len())
		}
		for k := 0; k < want.Len(); k++ {
			g, w := got.At(k), want.At(k)
			// Volumes are sums of lots, added in another order via the 5m bars.
			if g.Time != w.Time || g.Open != w.Open || g.High != w.High || g.Low != w.Low || g.Close != w.Close ||
				math.Abs(g.Volume-w.Volume) > 1e-9*math.Max(1, w.Volume) {
				t.Fatalf("range %v bar %d: %+v, want %+v", r, k, g, w)
			}
		}
	}
	exact, src, err := st.ReadRangeAs(equity.FQME, 300, math.MinInt64, math.MaxInt64)
	if err != nil || src != 300 || exact.Len() != fives.Len() {
		t.Errorf("stored period: src %d, %d bars, %v", src, exact.Len(), err)
	}
	_, _, err = st.ReadRangeAs(equity.FQME, 90, math.MinInt64, math.MaxInt64)
	if !errors.Is(err, frames.ErrNotFound) || !strings.Contains(err.Error(), "stored: 1m, 5m") {
		t.Errorf("90s: %v", err)
	}
	_, _, err = st.ReadRangeAs("nope.spot.synthetic", 3600, math.MinInt64, math.MaxInt64)
	if !errors.Is(err, frames.ErrNotFound) {
		t.Errorf("unknown market: %v", err)
	}
}
