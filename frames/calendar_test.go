package frames

import (
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

// NYSE's published holiday lists (nyse.com, "Holidays and Trading Hours").
func TestNYSEHolidays(t *testing.T) {
	want := map[int][]string{
		2004: {"2004-01-01", "2004-01-19", "2004-02-16", "2004-04-09", "2004-05-31", "2004-06-11", "2004-07-05", "2004-09-06", "2004-11-25", "2004-12-24"},
		2007: {"2007-01-01", "2007-01-02", "2007-01-15", "2007-02-19", "2007-04-06", "2007-05-28", "2007-07-04", "2007-09-03", "2007-11-22", "2007-12-25"},
		2012: {"2012-01-02", "2012-01-16", "2012-02-20", "2012-04-06", "2012-05-28", "2012-07-04", "2012-09-03", "2012-10-29", "2012-10-30", "2012-11-22", "2012-12-25"},
		2021: {"2021-01-01", "2021-01-18", "2021-02-15", "2021-04-02", "2021-05-31", "2021-07-05", "2021-09-06", "2021-11-25", "2021-12-24"},
		2022: {"2022-01-17", "2022-02-21", "2022-04-15", "2022-05-30", "2022-06-20", "2022-07-04", "2022-09-05", "2022-11-24", "2022-12-26"},
		2024: {"2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19", "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25"},
		2025: {"2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26", "2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25"},
		2027: {"2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18", "2027-07-05", "2027-09-06", "2027-11-25", "2027-12-24"},
	}
	for year, days := range want {
		var got []string
		for _, d := range nyseHolidays.days(year, dayClosed) {
			got = append(got, d.String())
		}
		if strings.Join(got, " ") != strings.Join(days, " ") {
			t.Errorf("%d holidays:\n got %v\nwant %v", year, got, days)
		}
	}
	var early []string
	for _, d := range nyseHolidays.days(2024, dayEarlyClose) {
		early = append(early, d.String())
	}
	if got := strings.Join(early, " "); got != "2024-07-03 2024-11-29 2024-12-24" {
		t.Errorf("2024 early closes %s", got)
	}
}

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
	want := []Session{{calUTC("2024-03-08 14:30"), calUTC("2024-03-08 21:00")}, {calUTC("2024-03-11 13:30"), calUTC("2024-03-11 20:00")}}
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
	for _, n := range []string{"crypto", "us-equity", "cme"} {
		c, err := CalendarByName(n)
		if err != nil || c.Name() != n {
			t.Fatalf("CalendarByName(%q) = %v, %v", n, c, err)
		}
	}
	_, err := CalendarByName("lse")
	if err == nil || !strings.Contains(err.Error(), "crypto, us-equity, cme") {
		t.Fatalf("unknown calendar error %v should list the valid names", err)
	}
}
