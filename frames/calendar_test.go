package frames

import (
	"strings"
	"testing"
	"time"
)

func TestUSEquitySessions(t *testing.T) {
	cases := []struct {
		at   string
		open bool
	}{
		{"2024-01-02 14:30", true},  // 09:30 EST
		{"2024-01-02 14:29", false}, // 09:29 EST
		{"2024-01-02 20:59", true},
		{"2024-01-02 21:00", false},
		{"2024-03-11 13:30", true}, // 09:30 EDT, the day after the change
		{"2024-03-11 20:00", false},
		{"2024-03-29 15:00", false}, // Good Friday
		{"2024-11-29 17:59", true},  // early close at 13:00 EST
		{"2024-11-29 18:00", false},
		{"2024-01-06 15:00", false}, // Saturday
	}
	for _, c := range cases {
		if got := USEquity.IsOpen(calUTC(c.at)); got != c.open {
			t.Errorf("us-equity open at %s UTC = %v, want %v", c.at, got, c.open)
		}
	}
	s := USEquity.Sessions(calUTC("2024-03-08 00:00"), calUTC("2024-03-12 00:00"))
	want := []Session{{Open: calUTC("2024-03-08 14:30"), Close: calUTC("2024-03-08 21:00"), Day: calUTC("2024-03-08 00:00")},
		{Open: calUTC("2024-03-11 13:30"), Close: calUTC("2024-03-11 20:00"), Day: calUTC("2024-03-11 00:00")}}
	if len(s) != 2 || s[0] != want[0] || s[1] != want[1] {
		t.Errorf("sessions across the DST change: %v, want %v", s, want)
	}
}

func TestCMESessions(t *testing.T) {
	cases := []struct {
		at   string
		open bool
	}{
		{"2024-01-07 22:59", false}, // Sunday 16:59 CST
		{"2024-01-07 23:00", true},  // Sunday 17:00 CST
		{"2024-01-08 21:59", true},  // Monday 15:59
		{"2024-01-08 22:00", false}, // daily halt
		{"2024-01-08 23:00", true},
		{"2024-01-12 21:59", true},  // Friday 15:59
		{"2024-01-12 22:00", false}, // weekend
		{"2024-01-13 12:00", false},
		{"2024-03-10 21:59", false}, // Sunday 16:59 CDT
		{"2024-03-10 22:00", true},  // Sunday 17:00 CDT
		{"2024-03-11 20:59", true},
		{"2024-03-11 21:00", false},
		{"2023-12-31 23:30", false}, // New Year's Day session never opens
		{"2024-01-01 23:30", true},
	}
	for _, c := range cases {
		if got := CME.IsOpen(calUTC(c.at)); got != c.open {
			t.Errorf("cme open at %s UTC = %v, want %v", c.at, got, c.open)
		}
	}
}

func TestCalendarByName(t *testing.T) {
	for _, n := range CalendarNames() {
		c, err := CalendarByName(n)
		if err != nil || c.Name() != n {
			t.Fatalf("CalendarByName(%q) = %v, %v", n, c, err)
		}
	}
	_, err := CalendarByName("lse")
	if err == nil || !strings.Contains(err.Error(), "crypto, us-equity, cme, cme-equity, cme-fx, cme-rates") {
		t.Fatalf("unknown calendar error %v should list the valid names", err)
	}
}

// The product groups' documented differences, one published day each
// (CME holiday calendars as tabulated by pandas_market_calendars; MLK Day
// 2024 for FX from CME's own 6E tape), as Chicago close times; "closed"
// when Globex did not open for the trade date.
func TestCMEGroupsDiffer(t *testing.T) {
	ct := CME.Location()
	cases := []struct {
		cal   Calendar
		day   string
		close string
	}{
		{CMEEquity, "2013-01-21", "10:30"}, // MLK Day before the 2014 change
		{CMERates, "2013-01-21", "12:00"},  // rates halted at 12:00 throughout
		{CMEFX, "2013-01-21", "12:00"},
		{CMERates, "2013-01-18", "15:15"}, // the Friday before, through 2015
		{CMEEquity, "2013-01-18", "16:00"},
		{CMEEquity, "2024-01-15", "12:00"},
		{CMEFX, "2024-01-15", "16:00"}, // FX trades through US holidays from 2022
		{CMEEquity, "2024-07-03", "12:15"},
		{CMEFX, "2024-07-03", "16:00"},
		{CMEEquity, "2010-04-02", "08:15"}, // Good Friday, employment report
		{CMERates, "2010-04-02", "10:15"},
		{CMEFX, "2010-04-02", "closed"},
		{CMEFX, "2021-04-02", "10:15"},
		{CMEEquity, "2024-03-29", "closed"},
		{CMERates, "2024-11-29", "12:15"},
		{CMEEquity, "2018-12-05", "08:30"}, // President Bush's day of mourning
	}
	for _, c := range cases {
		day, err := time.ParseInLocation(time.DateOnly, c.day, ct)
		if err != nil {
			t.Fatal(err)
		}
		got := "closed"
		for _, s := range c.cal.Sessions(day.Unix()-12*3600, day.Unix()+24*3600) {
			if s.Date() == c.day {
				_, cl := s.Local(ct)
				got = cl.Format("15:04")
			}
		}
		if got != c.close {
			t.Errorf("%s %s closes %s, want %s", c.cal.Name(), c.day, got, c.close)
		}
	}
}
