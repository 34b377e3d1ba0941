package frames

import (
	"testing"
	"time"
)

// minuteBars builds one-minute bars over every minute whose bar overlaps
// one of sessions (the published hours, not the calendar under test),
// leaving out [holeFrom, holeTo).
func minuteBars(sessions []Session, holeFrom, holeTo int64) *OHLCV {
	f := New(60, 0)
	last := int64(-1)
	for _, s := range sessions {
		for m := FloorTime(s.Open, 60); m < s.Close; m += 60 {
			if m <= last || (m >= holeFrom && m < holeTo) {
				continue
			}
			f.Add(m, 1, 1, 1, 1, 1)
			last = m
		}
	}
	return f
}

// checkGapsAround classifies minute series built around a special day: as
// published (every gap market closed, nothing after an early close
// unexpected), then with a 30-minute hole in the middle of the day's
// longest session (exactly that hole unexpected).
func checkGapsAround(t *testing.T, cal Calendar, around []Session, day int64) {
	t.Helper()
	name := time.Unix(day, 0).UTC().Format(time.DateOnly)
	r := FindGaps(minuteBars(around, 0, 0), cal)
	if r.Summary.Unexpected != 0 {
		t.Errorf("%s %s: %d unexpected gaps in the published hours:\n%s", cal.Name(), name, r.Summary.Unexpected, r)
		return
	}
	var longest Session
	for _, s := range around {
		if s.Day == day && s.Close-s.Open > longest.Close-longest.Open {
			longest = s
		}
	}
	if longest.Close-longest.Open < 40*60 {
		return // a closure: nothing to punch
	}
	hole := FloorTime(longest.Open+(longest.Close-longest.Open)/2, 60)
	r = FindGaps(minuteBars(around, hole, hole+30*60), cal)
	if r.Summary.Unexpected != 1 || r.Summary.MissingBars != 30 {
		t.Errorf("%s %s: a 30-minute hole at %s gives %d unexpected gaps, %d bars missing; want 1, 30:\n%s",
			cal.Name(), name, time.Unix(hole, 0).UTC().Format("15:04"), r.Summary.Unexpected, r.Summary.MissingBars, r)
	}
}

// Minute series around every special session of 1990–2027 under us-equity.
func TestFindGapsAroundUSEquitySpecialSessions(t *testing.T) {
	want, _, special := expectedNYSE(t)
	checked := 0
	for i, s := range want {
		if !special[s.Day] || (i > 0 && want[i-1].Day == s.Day) {
			continue
		}
		lo, hi := max(0, i-3), min(len(want), i+4)
		checkGapsAround(t, USEquity, want[lo:hi], s.Day)
		checked++
	}
	if checked < 90 {
		t.Fatalf("only %d special sessions checked", checked)
	}
}

// cmeEquityPublished lists runs of consecutive CME Globex equity index
// sessions from CME's holiday calendars, Chicago time: trade date, open
// (the evening before), close. Days missing inside a run are closed.
var cmeEquityPublished = [][]struct {
	day, open, close string
}{
	{
		{"2013-01-18", "2013-01-17 17:00", "2013-01-18 16:00"},
		{"2013-01-21", "2013-01-20 17:00", "2013-01-21 10:30"}, // MLK Day, 10:30 before 2014
		{"2013-01-22", "2013-01-21 17:00", "2013-01-22 16:00"},
	}, {
		{"2024-01-12", "2024-01-11 17:00", "2024-01-12 16:00"},
		{"2024-01-15", "2024-01-14 17:00", "2024-01-15 12:00"}, // MLK Day, 12:00 since 2014
		{"2024-01-16", "2024-01-15 17:00", "2024-01-16 16:00"},
	}, {
		{"2024-11-27", "2024-11-26 17:00", "2024-11-27 16:00"},
		{"2024-11-28", "2024-11-27 17:00", "2024-11-28 12:00"}, // Thanksgiving
		{"2024-11-29", "2024-11-28 17:00", "2024-11-29 12:15"}, // day after
		{"2024-12-02", "2024-12-01 17:00", "2024-12-02 16:00"},
	}, {
		{"2024-12-23", "2024-12-22 17:00", "2024-12-23 16:00"},
		{"2024-12-24", "2024-12-23 17:00", "2024-12-24 12:15"}, // Christmas Eve
		{"2024-12-26", "2024-12-25 17:00", "2024-12-26 16:00"},
	}, {
		{"2021-04-01", "2021-03-31 17:00", "2021-04-01 16:00"},
		{"2021-04-02", "2021-04-01 17:00", "2021-04-02 08:15"}, // Good Friday, jobs report
		{"2021-04-05", "2021-04-04 17:00", "2021-04-05 16:00"},
	}, {
		{"2024-03-28", "2024-03-27 17:00", "2024-03-28 16:00"}, // Good Friday 2024 closed
		{"2024-04-01", "2024-03-31 17:00", "2024-04-01 16:00"},
	}, {
		{"2021-12-23", "2021-12-22 17:00", "2021-12-23 16:00"}, // Christmas on a Saturday:
		{"2021-12-27", "2021-12-26 17:00", "2021-12-27 16:00"}, // Friday the 24th closed
	}, {
		{"2010-12-23", "2010-12-22 17:00", "2010-12-23 16:00"},
		{"2010-12-27", "2010-12-26 17:00", "2010-12-27 16:00"},
	}, {
		{"2023-12-29", "2023-12-28 17:00", "2023-12-29 16:00"}, // New Year's Day on a Monday
		{"2024-01-02", "2024-01-01 17:00", "2024-01-02 16:00"},
	}, {
		{"2025-07-02", "2025-07-01 17:00", "2025-07-02 16:00"},
		{"2025-07-03", "2025-07-02 17:00", "2025-07-03 12:15"}, // day before Independence Day
		{"2025-07-04", "2025-07-03 17:00", "2025-07-04 12:00"}, // Independence Day
		{"2025-07-07", "2025-07-06 17:00", "2025-07-07 16:00"},
	},
}

// The published runs of CME sessions, exactly, and gap classification in
// minute series built around each.
func TestCMEEquityPublishedSessions(t *testing.T) {
	ct, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) int64 {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, ct)
		if err != nil {
			t.Fatal(err)
		}
		return tm.Unix()
	}
	for _, run := range cmeEquityPublished {
		var want []Session
		for _, p := range run {
			want = append(want, Session{Open: at(p.open), Close: at(p.close), Day: calUTC(p.day + " 00:00")})
		}
		got := CMEEquity.Sessions(want[0].Open, want[len(want)-1].Close)
		same := len(got) == len(want)
		for i := 0; same && i < len(got); i++ {
			same = got[i].Open == want[i].Open && got[i].Close == want[i].Close && got[i].Day == want[i].Day
		}
		if !same {
			t.Errorf("cme-equity from %s:\n got %v\nwant %v", run[0].day, got, want)
			continue
		}
		for _, w := range want {
			checkGapsAround(t, CMEEquity, want, w.Day)
		}
	}
}
