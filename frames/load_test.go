package frames_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"workbench/frames"
)

func TestLoadReadsTheDefaultStore(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("WORKBENCH_STORE", dir)
	t.Cleanup(func() { frames.SetStoreDir("") })
	frames.SetStoreDir("")
	if got := frames.StoreDir(); got != dir {
		t.Fatalf("StoreDir %q, want $WORKBENCH_STORE %q", got, dir)
	}
	t.Setenv("WORKBENCH_STORE", "")
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if got := frames.StoreDir(); got != filepath.Join("/xdg", "workbench", "store") {
		t.Fatalf("StoreDir %q without $WORKBENCH_STORE", got)
	}
	frames.SetStoreDir(dir)

	f := frames.New(60, 0)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).Unix()
	for i := range 600 {
		p := 100 + float64(i%37)
		f.Add(start+int64(i)*60, p, p+1, p-1, p+0.5, float64(i))
	}
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("abc.spot.test", f); err != nil {
		t.Fatal(err)
	}
	h, err := frames.Load("abc.spot.test", "1h")
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 10 || h.Time[0] != start || h.Open[1] != f.Open[60] || h.Close[1] != f.Close[119] || h.Volume[0] != 59*60/2 {
		t.Fatalf("1h from 1m: %d bars, first %d open[1] %v close[1] %v vol[0] %v", h.Len(), h.Time[0], h.Open[1], h.Close[1], h.Volume[0])
	}
	part, err := frames.LoadRange("abc.spot.test", "1m", "2026-03-02T10:00", "2026-03-02T10:05")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(part.Time, f.Time[60:65]) {
		t.Fatalf("range times %v", part.Time)
	}
	for _, c := range []struct{ period, from, want string }{
		{"1x", "", `period "1x"`},
		{"1m", "yesterday", `load abc.spot.test from: time "yesterday"`},
		{"90s", "", "no stored period divides it (stored: 1m)"},
	} {
		_, err := frames.LoadRange("abc.spot.test", c.period, c.from, "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("LoadRange(%q, %q): %v, want %q", c.period, c.from, err, c.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"1767225600":                time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		"2026-01-05":                time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		"2026-01-05T14:30":          time.Date(2026, 1, 5, 14, 30, 0, 0, time.UTC),
		"2026-01-05T14:30:15":       time.Date(2026, 1, 5, 14, 30, 15, 0, time.UTC),
		"2026-01-05T14:30:15Z":      time.Date(2026, 1, 5, 14, 30, 15, 0, time.UTC),
		"2026-01-05T09:30:00-05:00": time.Date(2026, 1, 5, 14, 30, 0, 0, time.UTC),
	} {
		got, err := frames.ParseTime(in)
		if err != nil || got != want.Unix() {
			t.Errorf("ParseTime(%q) = %d, %v; want %d", in, got, err, want.Unix())
		}
	}
	if _, err := frames.ParseTime("05/01/2026"); err == nil {
		t.Error("ParseTime accepted 05/01/2026")
	}
}
