package frames

import (
	"math"
	"testing"
)

func TestParsePeriod(t *testing.T) {
	good := map[string]int64{"60": 60, "60s": 60, "1m": 60, "5m": 300, "1h": 3600, "4H": 14400, "1d": 86400, "1w": 604800, " 15m ": 900}
	for in, want := range good {
		got, err := ParsePeriod(in)
		if err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "0", "-1m", "1x", "1.5h", "abc"} {
		if _, err := ParsePeriod(in); err == nil {
			t.Errorf("ParsePeriod(%q): want an error", in)
		}
	}
}

func TestFormatPeriodRoundTrips(t *testing.T) {
	for _, p := range []int64{1, 59, 60, 90, 3600, 5400, 86400, 604800, 2 * 604800} {
		s := FormatPeriod(p)
		back, err := ParsePeriod(s)
		if err != nil || back != p {
			t.Errorf("FormatPeriod(%d) = %q, parses back to %d, %v", p, s, back, err)
		}
	}
	if got := FormatPeriod(90); got != "90s" {
		t.Errorf("FormatPeriod(90) = %q, want 90s", got)
	}
}

func TestRowsIsAViewThatCannotGrowIntoItsParent(t *testing.T) {
	f := New(60, 4)
	for i := int64(0); i < 4; i++ {
		f.Add(i*60, 1, 2, 0.5, 1.5, 10)
	}
	v := f.Rows(1, 3)
	if v.Len() != 2 || v.Time[0] != 60 {
		t.Fatalf("Rows(1,3) = %v", v.Time)
	}
	v.Add(999, math.NaN(), 0, 0, 0, 0)
	if f.Time[3] != 180 {
		t.Fatalf("appending to a view overwrote the parent: %v", f.Time)
	}
	c := f.Clone()
	c.Close[0] = 42
	if f.Close[0] == 42 {
		t.Fatal("Clone shares memory with its source")
	}
	if b := f.At(2); b.Time != 120 || b.High != 2 {
		t.Fatalf("At(2) = %+v", b)
	}
}
