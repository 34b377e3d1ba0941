package frames

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func calUTC(s string) int64 {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

// nyseHolidays1990 lists every weekday NYSE was closed, 1990–2027: for
// 1990 to mid-2021 NYSE's full-day closings as tabulated in
// pandas_market_calendars' tests/data/nyse_all_full_day_holidays_since_1928.csv,
// then NYSE's "Holidays and Trading Hours" notices for 2021–2027.
const nyseHolidays1990 = `
1990: 01-01 02-19 04-13 05-28 07-04 09-03 11-22 12-25
1991: 01-01 02-18 03-29 05-27 07-04 09-02 11-28 12-25
1992: 01-01 02-17 04-17 05-25 07-03 09-07 11-26 12-25
1993: 01-01 02-15 04-09 05-31 07-05 09-06 11-25 12-24
1994: 02-21 04-01 04-27 05-30 07-04 09-05 11-24 12-26
1995: 01-02 02-20 04-14 05-29 07-04 09-04 11-23 12-25
1996: 01-01 02-19 04-05 05-27 07-04 09-02 11-28 12-25
1997: 01-01 02-17 03-28 05-26 07-04 09-01 11-27 12-25
1998: 01-01 01-19 02-16 04-10 05-25 07-03 09-07 11-26 12-25
1999: 01-01 01-18 02-15 04-02 05-31 07-05 09-06 11-25 12-24
2000: 01-17 02-21 04-21 05-29 07-04 09-04 11-23 12-25
2001: 01-01 01-15 02-19 04-13 05-28 07-04 09-03 09-11 09-12 09-13 09-14 11-22 12-25
2002: 01-01 01-21 02-18 03-29 05-27 07-04 09-02 11-28 12-25
2003: 01-01 01-20 02-17 04-18 05-26 07-04 09-01 11-27 12-25
2004: 01-01 01-19 02-16 04-09 05-31 06-11 07-05 09-06 11-25 12-24
2005: 01-17 02-21 03-25 05-30 07-04 09-05 11-24 12-26
2006: 01-02 01-16 02-20 04-14 05-29 07-04 09-04 11-23 12-25
2007: 01-01 01-02 01-15 02-19 04-06 05-28 07-04 09-03 11-22 12-25
2008: 01-01 01-21 02-18 03-21 05-26 07-04 09-01 11-27 12-25
2009: 01-01 01-19 02-16 04-10 05-25 07-03 09-07 11-26 12-25
2010: 01-01 01-18 02-15 04-02 05-31 07-05 09-06 11-25 12-24
2011: 01-17 02-21 04-22 05-30 07-04 09-05 11-24 12-26
2012: 01-02 01-16 02-20 04-06 05-28 07-04 09-03 10-29 10-30 11-22 12-25
2013: 01-01 01-21 02-18 03-29 05-27 07-04 09-02 11-28 12-25
2014: 01-01 01-20 02-17 04-18 05-26 07-04 09-01 11-27 12-25
2015: 01-01 01-19 02-16 04-03 05-25 07-03 09-07 11-26 12-25
2016: 01-01 01-18 02-15 03-25 05-30 07-04 09-05 11-24 12-26
2017: 01-02 01-16 02-20 04-14 05-29 07-04 09-04 11-23 12-25
2018: 01-01 01-15 02-19 03-30 05-28 07-04 09-03 11-22 12-05 12-25
2019: 01-01 01-21 02-18 04-19 05-27 07-04 09-02 11-28 12-25
2020: 01-01 01-20 02-17 04-10 05-25 07-03 09-07 11-26 12-25
2021: 01-01 01-18 02-15 04-02 05-31 07-05 09-06 11-25 12-24
2022: 01-17 02-21 04-15 05-30 06-20 07-04 09-05 11-24 12-26
2023: 01-02 01-16 02-20 04-07 05-29 06-19 07-04 09-04 11-23 12-25
2024: 01-01 01-15 02-19 03-29 05-27 06-19 07-04 09-02 11-28 12-25
2025: 01-01 01-09 01-20 02-17 04-18 05-26 06-19 07-04 09-01 11-27 12-25
2026: 01-01 01-19 02-16 04-03 05-25 06-19 07-03 09-07 11-26 12-25
2027: 01-01 01-18 02-15 03-26 05-31 06-18 07-05 09-06 11-25 12-24
`

// nyseSpecial1990 lists every NYSE session from 1990 to 2027 that did not
// run 09:30–16:00 New York time, from NYSE's "Special Closings" list (to
// January 2011), the yearly notices since, and NYSE's circuit breaker
// reports of March 2020: date, open–close, and a halt where trading
// stopped and resumed.
const nyseSpecial1990 = `
1990-12-24 09:30-14:00
1990-12-27 11:00-16:00
1991-01-17 09:31-16:00
1991-02-25 09:31-16:00
1991-12-24 09:30-14:00
1992-11-27 09:30-14:00
1992-12-24 09:30-14:00
1993-11-26 09:30-13:00
1994-02-11 09:30-14:30
1994-11-25 09:30-13:00
1995-07-03 09:30-13:00
1995-11-24 09:30-13:00
1995-12-18 10:30-16:00
1996-01-08 11:00-14:00
1996-07-05 09:30-13:00
1996-11-29 09:30-13:00
1996-12-24 09:30-13:00
1997-07-03 09:30-13:00
1997-10-27 09:30-15:30 halt 14:35:00-15:05:00
1997-11-28 09:30-13:00
1997-12-24 09:30-13:00
1997-12-26 09:30-13:00
1998-11-27 09:30-13:00
1998-12-24 09:30-13:00
1999-11-26 09:30-13:00
1999-12-31 09:30-13:00
2000-07-03 09:30-13:00
2000-11-24 09:30-13:00
2001-07-03 09:30-13:00
2001-09-17 09:33-16:00
2001-10-08 09:31-16:00
2001-11-23 09:30-13:00
2001-12-24 09:30-13:00
2002-07-05 09:30-13:00
2002-09-11 12:00-16:00
2002-11-29 09:30-13:00
2002-12-24 09:30-13:00
2003-03-20 09:32-16:00
2003-07-03 09:30-13:00
2003-11-28 09:30-13:00
2003-12-24 09:30-13:00
2003-12-26 09:30-13:00
2004-06-07 09:32-16:00
2004-11-26 09:30-13:00
2005-06-01 09:30-15:56
2005-11-25 09:30-13:00
2006-07-03 09:30-13:00
2006-11-24 09:30-13:00
2006-12-27 09:32-16:00
2007-07-03 09:30-13:00
2007-11-23 09:30-13:00
2007-12-24 09:30-13:00
2008-07-03 09:30-13:00
2008-11-28 09:30-13:00
2008-12-24 09:30-13:00
2009-07-02 09:30-16:15
2009-11-27 09:30-13:00
2009-12-24 09:30-13:00
2010-11-26 09:30-13:00
2011-11-25 09:30-13:00
2012-07-03 09:30-13:00
2012-11-23 09:30-13:00
2012-12-24 09:30-13:00
2013-07-03 09:30-13:00
2013-11-29 09:30-13:00
2013-12-24 09:30-13:00
2014-07-03 09:30-13:00
2014-11-28 09:30-13:00
2014-12-24 09:30-13:00
2015-11-27 09:30-13:00
2015-12-24 09:30-13:00
2016-11-25 09:30-13:00
2017-07-03 09:30-13:00
2017-11-24 09:30-13:00
2018-07-03 09:30-13:00
2018-11-23 09:30-13:00
2018-12-24 09:30-13:00
2019-07-03 09:30-13:00
2019-11-29 09:30-13:00
2019-12-24 09:30-13:00
2020-03-09 09:30-16:00 halt 09:34:13-09:49:13
2020-03-12 09:30-16:00 halt 09:35:43-09:50:43
2020-03-16 09:30-16:00 halt 09:30:01-09:45:01
2020-03-18 09:30-16:00 halt 12:56:17-13:11:17
2020-11-27 09:30-13:00
2020-12-24 09:30-13:00
2021-11-26 09:30-13:00
2022-11-25 09:30-13:00
2023-07-03 09:30-13:00
2023-11-24 09:30-13:00
2024-07-03 09:30-13:00
2024-11-29 09:30-13:00
2024-12-24 09:30-13:00
2025-07-03 09:30-13:00
2025-11-28 09:30-13:00
2025-12-24 09:30-13:00
2026-11-27 09:30-13:00
2026-12-24 09:30-13:00
2027-11-26 09:30-13:00
`

// wallClock parses HH:MM or HH:MM:SS into seconds after midnight.
func wallClock(t *testing.T, s string) int {
	t.Helper()
	var h, m, sec int
	n, _ := fmt.Sscanf(s, "%d:%d:%d", &h, &m, &sec)
	if n < 2 {
		t.Fatalf("bad wall clock %q", s)
	}
	return h*3600 + m*60 + sec
}

// expectedNYSE builds the sessions the published tables imply for every
// weekday of 1990–2027: none on a holiday, the table's hours on a special
// day, 09:30–16:00 New York otherwise.
func expectedNYSE(t *testing.T) (sessions []Session, holidays []string, special map[int64]bool) {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	closed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(nyseHolidays1990), "\n") {
		year, days, _ := strings.Cut(line, ": ")
		for _, md := range strings.Fields(days) {
			closed[year+"-"+md] = true
		}
	}
	type hours struct{ open, close, haltFrom, haltTo int }
	specials := map[string]hours{}
	for _, line := range strings.Split(strings.TrimSpace(nyseSpecial1990), "\n") {
		f := strings.Fields(line)
		o, c, _ := strings.Cut(f[1], "-")
		h := hours{open: wallClock(t, o), close: wallClock(t, c)}
		if len(f) == 4 {
			a, b, _ := strings.Cut(f[3], "-")
			h.haltFrom, h.haltTo = wallClock(t, a), wallClock(t, b)
		}
		specials[f[0]] = h
	}
	special = map[int64]bool{}
	for day := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2028; day = day.AddDate(0, 0, 1) {
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		key := day.Format(time.DateOnly)
		if closed[key] {
			holidays = append(holidays, key)
			continue
		}
		h, ok := specials[key]
		if !ok {
			h = hours{open: 9*3600 + 1800, close: 16 * 3600}
		}
		special[day.Unix()] = ok
		at := func(sec int) int64 { return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, sec, 0, ny).Unix() }
		if h.haltTo > 0 {
			sessions = append(sessions, Session{Open: at(h.open), Close: at(h.haltFrom), Day: day.Unix()},
				Session{Open: at(h.haltTo), Close: at(h.close), Day: day.Unix()})
			continue
		}
		sessions = append(sessions, Session{Open: at(h.open), Close: at(h.close), Day: day.Unix()})
	}
	return sessions, holidays, special
}

// Every session of 1990–2027 against NYSE's published history.
func TestUSEquityPublishedHistory(t *testing.T) {
	want, holidays, special := expectedNYSE(t)
	from, to := calUTC("1990-01-01 00:00"), calUTC("2028-01-01 00:00")
	got := USEquity.Sessions(from, to)
	wrong := 0
	for i := 0; i < max(len(got), len(want)) && wrong < 20; i++ {
		var g, w Session
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g.Open != w.Open || g.Close != w.Close || g.Day != w.Day {
			wrong++
			t.Errorf("session %d: got %s, published %s", i, fmtSession(g), fmtSession(w))
			continue
		}
		if isSpecial := g.Special != 0; isSpecial != special[g.Day] {
			wrong++
			t.Errorf("%s: Special = %q, published table says special = %v", g.Date(), g.Special, special[g.Day])
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d sessions, published history has %d", len(got), len(want))
	}
	var gotHol []string
	for _, h := range USEquity.Holidays(from, to) {
		gotHol = append(gotHol, h.Date())
		if h.Note == "" {
			t.Errorf("holiday %s has no reason", h.Date())
		}
	}
	if strings.Join(gotHol, " ") != strings.Join(holidays, " ") {
		t.Errorf("holidays differ from the published list:\n got %v\nwant %v", gotHol, holidays)
	}
}

func fmtSession(s Session) string {
	ny := USEquity.Location()
	o, c := s.Local(ny)
	return fmt.Sprintf("%s %s–%s %q", s.Date(), o.Format("2006-01-02 15:04:05"), c.Format("15:04:05"), s.Special)
}

// The cases issue 13 names, spelled out: each against IsOpen at the minute.
func TestUSEquityNamedDays(t *testing.T) {
	cases := []struct {
		at   string // New York wall clock
		open bool
	}{
		{"1990-11-23 15:59", true},  // no day-after-Thanksgiving close in 1990
		{"1990-12-24 13:59", true},  // Christmas Eve closes at 14:00 before 1993
		{"1990-12-24 14:00", false}, //
		{"1992-11-27 13:30", true},  //
		{"1993-11-26 13:00", false}, // 13:00 from 1993
		{"1991-07-03 15:59", true},  // no July 3 close before 1995
		{"1996-07-05 12:59", true},  // Friday after Independence Day
		{"1996-07-05 13:00", false}, //
		{"1997-12-26 13:00", false}, // Friday after Christmas
		{"2002-07-05 13:00", false}, //
		{"2003-12-26 13:00", false}, //
		{"2008-12-26 15:59", true},  // not every Friday after Christmas
		{"2013-07-03 13:00", false}, // Wednesday before a Thursday July 4 from 2013
		{"2013-07-05 15:59", true},  //
		{"2024-07-05 15:59", true},  //
		{"2022-06-20 10:00", false}, // Juneteenth from 2022
		{"2021-06-18 10:00", true},  //
		{"2025-01-09 10:00", false}, // President Carter
		{"2020-03-09 09:40", false}, // circuit breaker halt
		{"2020-03-09 09:50", true},  //
		{"2027-12-24 10:00", false}, // Christmas 2027 on a Saturday
		{"2027-12-31 10:00", true},  // New Year 2028 on a Saturday: not observed
	}
	ny := USEquity.Location()
	for _, c := range cases {
		tm, err := time.ParseInLocation("2006-01-02 15:04", c.at, ny)
		if err != nil {
			t.Fatal(err)
		}
		if got := USEquity.IsOpen(tm.Unix()); got != c.open {
			t.Errorf("us-equity open at %s New York = %v, want %v", c.at, got, c.open)
		}
	}
}

// BenchmarkSessions35Years is the "Sessions over 35 years ≤ 1 ms".
func BenchmarkSessions35Years(b *testing.B) {
	from, to := calUTC("1990-01-01 00:00"), calUTC("2025-01-01 00:00")
	for _, c := range []Calendar{USEquity, CME} {
		b.Run(c.Name(), func(b *testing.B) {
			c.Sessions(from, to) // build the tables once, outside the timing
			for b.Loop() {
				if n := len(c.Sessions(from, to)); n < 8700 {
					b.Fatalf("%d sessions", n)
				}
			}
		})
	}
}
