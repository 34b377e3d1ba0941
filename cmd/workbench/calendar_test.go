package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCalendarCommand(t *testing.T) {
	code, out, errOut := runCLI(t, "calendar", "us-equity", "--from", "1996-07-03", "--to", "1996-07-06", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Calendar string            `json:"calendar"`
		Zone     string            `json:"zone"`
		Rows     []calendarRowJSON `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// NYSE Special Closings: "July 5, 1996 (Fri) Closed at 1:00 pm. Day
	// after Independence Day." 09:30 and 13:00 EDT are 13:30 and 17:00 UTC.
	if got.Zone != "America/New_York" || len(got.Rows) != 3 ||
		got.Rows[1].Date != "1996-07-04" || !got.Rows[1].Closed ||
		got.Rows[2].Date != "1996-07-05" || got.Rows[2].Open != 836573400 || got.Rows[2].Close != 836586000 ||
		got.Rows[2].Special.String() != "early-close" {
		t.Errorf("calendar JSON:\n%s", out)
	}

	code, out, _ = runCLI(t, "calendar", "cme", "--from", "2024-01-15", "--to", "2024-01-16")
	if code != 0 || !strings.Contains(out, "2024-01-15  2024-01-14 17:00  2024-01-15 12:00") ||
		!strings.Contains(out, "early-close: Martin Luther King Jr. Day") {
		t.Errorf("cme table (exit %d):\n%s", code, out)
	}
	code, out, _ = runCLI(t, "calendar", "cme", "--from", "2024-01-15", "--to", "2024-01-16", "--tz", "UTC")
	if code != 0 || !strings.Contains(out, "2024-01-15  2024-01-14 23:00  2024-01-15 18:00") {
		t.Errorf("cme table in UTC (exit %d):\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"calendar", "lse", "--from", "2024-01-01", "--to", "2024-02-01"},
		{"calendar", "cme", "--from", "2024-02-01", "--to", "2024-01-01"},
		{"calendar", "cme", "--from", "2024-01-01"},
		{"calendar", "cme", "--from", "2024-01-01", "--to", "2024-02-01", "--tz", "Mars/Base"},
	} {
		if code, _, errOut := runCLI(t, bad...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", bad, code, errOut)
		}
	}
}
