package frames_test

import (
	"math"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/frames"
)

// Daily bars derived from a CME market's minutes follow Globex sessions:
// the Sunday-evening minutes are in Monday's bar, no bar is labelled on a
// weekend, and a bounded range returns whole sessions.
func TestReadRangeAsSessionDays(t *testing.T) {
	st, err := frames.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var cme feeds.SyntheticMarket
	for _, m := range feeds.DemoMarkets() {
		if m.Calendar == "cme" {
			cme = m
		}
	}
	from := int64(1767571200) // Monday 2026-01-05
	minutes := feeds.GenerateBars(cme, from-3*86400, from+14*86400)
	if err := st.Write(cme.FQME, minutes); err != nil {
		t.Fatal(err)
	}
	if frames.CalendarForFQME(cme.FQME) != frames.CMEEquity {
		t.Fatalf("%s: calendar %v, want cme-equity", cme.FQME, frames.CalendarForFQME(cme.FQME))
	}
	// The reference: each minute summed into the trade date its Chicago
	// time implies (17:00 and later belongs to the next weekday).
	ct, _ := time.LoadLocation("America/Chicago")
	vol := map[int64]float64{}
	for i, ts := range minutes.Time {
		lt := time.Unix(ts, 0).In(ct)
		d := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC)
		if lt.Hour() >= 17 {
			d = d.AddDate(0, 0, 1)
		}
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, 1)
		}
		vol[d.Unix()] += minutes.Volume[i]
	}
	got, src, err := st.ReadRangeAs(cme.FQME, 86400, from, from+12*86400)
	if err != nil || src != 60 {
		t.Fatalf("src %d, %v", src, err)
	}
	// Two weeks of weekdays, 2026-01-05 .. 2026-01-16: ten sessions.
	if got.Len() != 10 || got.Time[0] != from {
		t.Fatalf("%d daily bars from %s, want 10 from Monday", got.Len(), time.Unix(got.Time[0], 0).UTC())
	}
	for i, ts := range got.Time {
		if wd := time.Unix(ts, 0).UTC().Weekday(); wd == time.Saturday || wd == time.Sunday {
			t.Errorf("bar %d labelled on a %s", i, wd)
		}
		if math.Abs(got.Volume[i]-vol[ts]) > 1e-9*vol[ts] {
			t.Errorf("bar %s: volume %v, want the session's %v", time.Unix(ts, 0).UTC().Format(time.DateOnly), got.Volume[i], vol[ts])
		}
	}
}
