package frames

import (
	"strings"
	"testing"
	"time"
)

// Daily bars of CME minute data are the published sessions, labelled by
// trade date: Sunday evening's minutes are Monday's (MLK Day 2024, halted
// at 12:00 CT).
func TestResampleInCMESessions(t *testing.T) {
	ct, _ := time.LoadLocation("America/Chicago")
	at := func(s string) int64 {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, ct)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Unix()
	}
	published := []struct{ day, open, close string }{
		{"2024-01-12", "2024-01-11 17:00", "2024-01-12 16:00"},
		{"2024-01-15", "2024-01-14 17:00", "2024-01-15 12:00"},
		{"2024-01-16", "2024-01-15 17:00", "2024-01-16 16:00"},
	}
	f := New(60, 0)
	type agg struct{ o, h, l, c, v float64 }
	var want []agg
	px := 100.0
	for _, p := range published {
		a := agg{o: px, h: px, l: px}
		for m := at(p.open); m < at(p.close); m += 60 {
			px += float64(m%7) - 3
			f.Add(m, px, px+1, px-1, px, 2)
			if a.v == 0 {
				a.o = px
				a.h, a.l = px+1, px-1
			}
			a.h, a.l, a.c, a.v = max(a.h, px+1), min(a.l, px-1), px, a.v+2
		}
		want = append(want, a)
	}
	d, err := f.ResampleIn(Day, CMEEquity)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != len(published) || d.Period != Day {
		t.Fatalf("%d daily bars (period %d), want %d", d.Len(), d.Period, len(published))
	}
	for i, p := range published {
		w := want[i]
		if d.Time[i] != calUTC(p.day+" 00:00") || d.Open[i] != w.o || d.High[i] != w.h || d.Low[i] != w.l ||
			d.Close[i] != w.c || d.Volume[i] != w.v {
			t.Errorf("bar %d: %s %v %v %v %v %v, want %s %+v", i, time.Unix(d.Time[i], 0).UTC(), d.Open[i], d.High[i],
				d.Low[i], d.Close[i], d.Volume[i], p.day, w)
		}
	}
	// UTC buckets cut Thursday's and Sunday's evenings into other days.
	u, _ := f.Resample(Day)
	if u.Len() == len(published) {
		t.Errorf("UTC daily bars should differ from sessions: %v", u.Time)
	}
	// Friday 2024-01-12 is in the week of Monday the 8th; the next week's
	// first session is MLK Day's short one.
	w, err := f.ResampleIn(Week, CMEEquity)
	if err != nil {
		t.Fatal(err)
	}
	if w.Len() != 2 || w.Time[0] != calUTC("2024-01-08 00:00") || w.Time[1] != calUTC("2024-01-15 00:00") ||
		w.Volume[1] != want[1].v+want[2].v {
		t.Errorf("weekly bars %v volumes %v", w.Time, w.Volume)
	}
}

// Equity days hold their pre-market and after-hours minutes; a holiday's
// extended-hours minutes join the next session; weeks start on the week's
// first session: Tuesday after Presidents' Day 2024, Monday otherwise.
func TestResampleInUSEquityWeeks(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	f := New(60, 0)
	for day := 12; day <= 26; day++ {
		d := time.Date(2024, time.February, day, 0, 0, 0, 0, ny)
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		// 04:00–20:00 New York: pre-market, session, after hours.
		for m := d.Add(4 * time.Hour); m.Before(d.Add(20 * time.Hour)); m = m.Add(time.Minute) {
			f.Add(m.Unix(), 1, 1, 1, 1, 1)
		}
	}
	const perDay = 16 * 60
	d, err := f.ResampleIn(Day, USEquity)
	if err != nil {
		t.Fatal(err)
	}
	days := map[string]float64{}
	for i, ts := range d.Time {
		days[time.Unix(ts, 0).UTC().Format(time.DateOnly)] = d.Volume[i]
	}
	if len(days) != 10 || days["2024-02-12"] != perDay || days["2024-02-16"] != perDay || days["2024-02-19"] != 0 ||
		days["2024-02-20"] != 2*perDay || days["2024-02-26"] != perDay {
		t.Errorf("daily volumes %v", days)
	}
	w, err := f.ResampleIn(Week, USEquity)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{calUTC("2024-02-12 00:00"), calUTC("2024-02-20 00:00"), calUTC("2024-02-26 00:00")}
	if w.Len() != 3 || w.Time[0] != want[0] || w.Time[1] != want[1] || w.Time[2] != want[2] {
		t.Errorf("weeks %v, want %v", w.Time, want)
	}
	if w.Len() == 3 && (w.Volume[0] != 5*perDay || w.Volume[1] != 5*perDay || w.Volume[2] != perDay) {
		t.Errorf("weekly volumes %v", w.Volume)
	}
}

// BenchmarkResample10MDaily compares session-aligned daily bars of 10M
// one-minute bars with UTC buckets (issue 13: ≤ 2×).
func BenchmarkResample10MDaily(b *testing.B) {
	const n = 10_000_000
	f := &OHLCV{Period: 60, Time: make([]int64, 0, n)}
	for t := int64(1_000_000_000); len(f.Time) < n; t += 60 {
		if CME.IsOpen(t) {
			f.Time = append(f.Time, t)
		}
	}
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	f.Open, f.High, f.Low, f.Close, f.Volume = ones, ones, ones, ones, ones
	b.Run("utc", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.Resample(Day); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sessions", func(b *testing.B) {
		for b.Loop() {
			if _, err := f.ResampleIn(Day, CME); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Crypto days are UTC days (as Resample makes them) and its weeks start on
// Monday 00:00 UTC, not on the epoch's Thursday.
func TestResampleInCryptoWeeks(t *testing.T) {
	f := New(3600, 0)
	for h := calUTC("2024-01-04 00:00"); h < calUTC("2024-01-22 00:00"); h += 3600 {
		f.Add(h, 1, 1, 1, 1, 1)
	}
	d, err := f.ResampleIn(Day, Crypto)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := f.Resample(Day)
	if d.Len() != 18 || u.Len() != 18 || d.Time[0] != u.Time[0] || d.Time[17] != u.Time[17] || d.Volume[5] != 24 {
		t.Errorf("crypto days %v, UTC days %v", d.Time, u.Time)
	}
	w, err := f.ResampleIn(Week, Crypto)
	if err != nil {
		t.Fatal(err)
	}
	// Thursday 4th–Sunday 7th (the week of Monday 1st), then the weeks of
	// Monday 8th and 15th.
	want := []int64{calUTC("2024-01-01 00:00"), calUTC("2024-01-08 00:00"), calUTC("2024-01-15 00:00")}
	if w.Len() != 3 || w.Time[0] != want[0] || w.Time[1] != want[1] || w.Time[2] != want[2] || w.Volume[1] != 168 {
		t.Errorf("crypto weeks %v volumes %v, want %v", w.Time, w.Volume, want)
	}
}

func TestResampleInErrors(t *testing.T) {
	f := New(60, 0)
	f.Add(calUTC("2024-01-08 15:00"), 1, 1, 1, 1, 1)
	f.Add(calUTC("2024-01-09 15:00"), 1, 1, 1, 1, 1)
	f.Add(calUTC("2024-01-09 14:00"), 1, 1, 1, 1, 1)
	if _, err := f.ResampleIn(Day, USEquity); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("out of order: %v", err)
	}
	d := New(Day, 0)
	d.Add(calUTC("2024-01-08 00:00"), 1, 1, 1, 1, 1)
	if _, err := d.ResampleIn(Day, USEquity); err == nil || !strings.Contains(err.Error(), "not coarser") {
		t.Errorf("daily to daily: %v", err)
	}
	// A bar past the calendar's last session has no session to join.
	late := New(60, 0)
	late.Add(calUTC("2199-12-31 23:59"), 1, 1, 1, 1, 1)
	if _, err := late.ResampleIn(Day, USEquity); err == nil || !strings.Contains(err.Error(), "no us-equity session") {
		t.Errorf("past the calendar: %v", err)
	}
}
