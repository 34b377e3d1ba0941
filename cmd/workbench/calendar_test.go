package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"workbench/internal/oracle"
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

// fsp --period 1d on CME minutes: one bar per Globex session labelled by
// trade date (weekdays only), or UTC days with --align utc (Sunday
// evening's minutes make a Sunday bar).
func TestFSPDailyBarsFollowSessions(t *testing.T) {
	src := oracle.Path(t, "ohlcv", "cme_6EH4_1m_2024-01.csv")
	weekdays := func(args ...string) (labels []string, weekend int) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "out.csv")
		code, _, errOut := runCLI(t, append([]string{"fsp", src, "--period", "1d", "--ind", "ema(2)", "-o", out}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
			sec, err := strconv.ParseInt(strings.Split(line, ",")[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			day := time.Unix(sec, 0).UTC()
			labels = append(labels, day.Format(time.DateOnly))
			if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
				weekend++
			}
		}
		return labels, weekend
	}
	// January 2024 after New Year's Day: 22 weekdays, plus 1 February,
	// whose session opened at 17:00 CT on the 31st.
	got, weekend := weekdays("--calendar", "cme-fx")
	if len(got) != 23 || weekend != 0 || got[0] != "2024-01-02" || got[22] != "2024-02-01" {
		t.Errorf("session days %v (%d on weekends)", got, weekend)
	}
	if got, weekend := weekdays("--align", "utc"); weekend == 0 || got[0] != "2024-01-01" {
		t.Errorf("UTC days %v should start 2024-01-01 and hold Sundays", got)
	}
}
