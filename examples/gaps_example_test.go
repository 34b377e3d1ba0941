package examples_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"workbench/frames"
)

// gapRow is one row of the example's table: last and next bar as printed,
// duration, missing bars and kind.
type gapRow struct{ last, next, duration, missing, kind string }

// gapsStore writes bars at the given times (a constant walk, volume from
// vol) as fqme into a new store.
func gapsStore(t *testing.T, fqme string, period int64, times []int64, vol func(i int) float64) string {
	t.Helper()
	f := frames.New(period, len(times))
	for i, ts := range times {
		p := 100 + float64(i%7)
		f.Add(ts, p, p+1, p-1, p+0.5, vol(i))
	}
	dir := filepath.Join(t.TempDir(), "store")
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(fqme, f); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkGapsOutput compares the example's output with the expected header
// lines and table rows (fields split on runs of spaces, so column widths
// are free).
func checkGapsOutput(t *testing.T, out string, head []string, rows []gapRow) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < len(head) {
		t.Fatalf("output has %d lines, want at least %d:\n%s", len(lines), len(head), out)
	}
	for i, want := range head {
		if lines[i] != want {
			t.Errorf("line %d = %q\nwant       %q", i+1, lines[i], want)
		}
	}
	var got []gapRow
	for _, l := range lines[len(head):] {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] == "last" {
			continue
		}
		// A bar time is a date, followed by a clock time below a day.
		stamp := func() string {
			s := f[0]
			f = f[1:]
			if len(f) > 0 && strings.Contains(f[0], ":") {
				s += " " + f[0]
				f = f[1:]
			}
			return s
		}
		last, next := stamp(), stamp()
		if len(f) < 3 {
			t.Fatalf("table row %q lacks duration, missing or kind", l)
		}
		got = append(got, gapRow{last, next, f[0], f[1], strings.Join(f[2:], " ")})
	}
	if fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Errorf("table rows\n%v\nwant\n%v\noutput:\n%s", got, rows, out)
	}
}

// Hourly crypto bars with four holes made here: a 1-bar hole between two
// quiet bars (volume in the lowest quartile) reads as nobody trading; the
// same between busy bars, a 6-bar hole between quiet bars (longer than the
// 5 bars the no-trades reading allows) and a whole missing day are missing
// data. The crypto calendar never closes, so no gap is a closure.
func TestGapsExample(t *testing.T) {
	const fqme = "btcusdt.spot.binance"
	start := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC).Unix()
	holes := map[int]bool{100: true}
	for _, span := range [][2]int{{200, 200}, {300, 305}, {400, 423}} {
		for k := span[0]; k <= span[1]; k++ {
			holes[k] = true
		}
	}
	quiet := map[int]bool{99: true, 101: true, 299: true, 306: true}
	var times []int64
	var vols []float64
	for k := 0; k < 480; k++ {
		if holes[k] {
			continue
		}
		times = append(times, start+int64(k)*3600)
		v := 100 + float64(k%50)
		if quiet[k] {
			v = 1
		}
		vols = append(vols, v)
	}
	dir := gapsStore(t, fqme, 3600, times, func(i int) float64 { return vols[i] })
	out := runExample(t, "gaps/main.go", dir, fqme, "1h", "crypto")

	hour := func(k int) string { return time.Unix(start+int64(k)*3600, 0).UTC().Format("2006-01-02 15:04") }
	n := 480 - len(holes)
	checkGapsOutput(t, out, []string{
		fmt.Sprintf("%s 1h: %d bars", fqme, n),
		fmt.Sprintf("%d bars of 1h, calendar crypto, %s .. %s", n, hour(0), hour(479)),
		fmt.Sprintf("gaps: 4 (0 market closed, 4 unexpected: 3 missing data, 1 plausibly no trades; %d bars missing)", len(holes)),
		"duplicates: 0 times (0 extra rows, 0 conflicting); null rows: 0; out of order: 0",
	}, []gapRow{
		{hour(99), hour(101), "2h", "1", "unexpected (no-trades)"},
		{hour(199), hour(201), "2h", "1", "unexpected (missing-data)"},
		{hour(299), hour(306), "7h", "6", "unexpected (missing-data)"},
		{hour(399), hour(424), "1d1h", "24", "unexpected (missing-data)"},
	})
}

// Daily US equity bars for the weekdays from 6 March to 14 April 2023
// without Wednesday 15 March and Good Friday 7 April (an NYSE holiday): the
// weekends and the Easter weekend are closures (counted, not listed) and
// the Wednesday is the one missing bar.
func TestGapsExampleUSEquity(t *testing.T) {
	const fqme = "aapl.nasdaq"
	var times []int64
	for d := time.Date(2023, 3, 6, 0, 0, 0, 0, time.UTC); d.Before(time.Date(2023, 4, 15, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		wd := d.Weekday()
		if wd == time.Saturday || wd == time.Sunday || d.Day() == 15 && d.Month() == time.March || d.Day() == 7 && d.Month() == time.April {
			continue
		}
		times = append(times, d.Unix())
	}
	if len(times) != 28 {
		t.Fatalf("built %d days", len(times))
	}
	dir := gapsStore(t, fqme, 86400, times, func(int) float64 { return 1e6 })
	out := runExample(t, "gaps/main.go", dir, fqme, "1d", "us-equity")
	checkGapsOutput(t, out, []string{
		fqme + " 1d: 28 bars",
		"28 bars of 1d, calendar us-equity, 2023-03-06 .. 2023-04-14",
		"gaps: 6 (5 market closed, 1 unexpected: 1 missing data, 0 plausibly no trades; 1 bars missing)",
		"duplicates: 0 times (0 extra rows, 0 conflicting); null rows: 0; out of order: 0",
	}, []gapRow{{"2023-03-14", "2023-03-16", "2d", "1", "unexpected (missing-data)"}})
}
