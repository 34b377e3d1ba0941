package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

// The in-process venue "fake" the CLI tests open by name, as it would open
// binance; each test sets the one it wants.
var (
	fakeVenueMu sync.Mutex
	fakeVenue   *venuefake.Venue
	fakeConfig  feeds.VenueConfig
)

func init() {
	feeds.Register("fake", func(cfg feeds.VenueConfig) feeds.Venue {
		fakeVenueMu.Lock()
		defer fakeVenueMu.Unlock()
		fakeConfig = cfg
		return fakeVenue
	})
}

// day0 is 2024-01-01 00:00 UTC.
const day0 = int64(1704067200)

func useFakeVenue(t *testing.T, speed float64, now int64) (*venuefake.Venue, *venuefake.Tape) {
	t.Helper()
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: "btcusdt.spot.fake", Seed: 5, Start: day0 * 1e9,
		Price: 42000, Tick: 0.1, Lot: 0.001, QuietEvery: 9})
	v := venuefake.NewVenue(venuefake.VenueOptions{Clock: venuefake.NewClock(now*1e9, speed),
		Tapes: []*venuefake.Tape{tape}, PageBars: 200})
	fakeVenueMu.Lock()
	fakeVenue = v
	fakeVenueMu.Unlock()
	t.Cleanup(func() {
		fakeVenueMu.Lock()
		fakeVenue = nil
		fakeVenueMu.Unlock()
	})
	return v, tape
}

func sameSeries(t *testing.T, got, want *frames.OHLCV) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%d bars, want %d", got.Len(), want.Len())
	}
	for i := range want.Len() {
		if got.At(i) != want.At(i) {
			t.Fatalf("row %d: %+v, want %+v", i, got.At(i), want.At(i))
		}
	}
}

func TestStoreFetchThenFill(t *testing.T) {
	v, tape := useFakeVenue(t, 0, day0+2*86400)
	dir := t.TempDir()
	code, out, errb := runCLI(t, "store", "fetch", "btcusdt.spot.fake", "--store", dir, "--period", "1m",
		"--from", "2024-01-01", "--to", "2024-01-02")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errb)
	}
	for _, want := range []string{"btcusdt.spot.fake 1m, 2024-01-01 00:00 .. 2024-01-01 23:59 (from the venue's bars)",
		"stored before: 0 bars; asked for 1 ranges (1440 slots)", "the exchange has no bars (no trades):"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errb, "fetching btcusdt.spot.fake: 100%") {
		t.Errorf("no plain progress lines on stderr: %q", errb)
	}
	st, _ := frames.OpenStore(dir)
	got, err := st.Read("btcusdt.spot.fake", 60)
	if err != nil {
		t.Fatal(err)
	}
	want := tape.Bars(60, day0, day0+86400, false)
	sameSeries(t, got, want)

	// Again: nothing to ask.
	n := len(v.Requests())
	code, out, _ = runCLI(t, "store", "fetch", "btcusdt.spot.fake", "--store", dir, "--period", "1m",
		"--from", "2024-01-01", "--to", "2024-01-02")
	if code != 0 || len(v.Requests()) != n || !strings.Contains(out, "asked for 0 ranges") {
		t.Fatalf("second fetch: exit %d, %d requests:\n%s", code, len(v.Requests())-n, out)
	}

	// Cut a hole of 100 bars; fill closes it.
	holed := want.Rows(0, 300)
	holed.Period = 60
	rest := want.Rows(400, want.Len())
	if err := st.Write("btcusdt.spot.fake", holed); err != nil {
		t.Fatal(err)
	}
	rest.Period = 60
	if _, err := st.Append("btcusdt.spot.fake", rest); err != nil {
		t.Fatal(err)
	}
	code, out, errb = runCLI(t, "store", "fill", "btcusdt.spot.fake", "--store", dir, "--period", "1m")
	if code != 0 || !strings.Contains(out, "got 100 bars") {
		t.Fatalf("fill: exit %d:\n%s%s", code, out, errb)
	}
	got, _ = st.Read("btcusdt.spot.fake", 60)
	sameSeries(t, got, want)
}

func TestVenueFlagsAndConfig(t *testing.T) {
	useFakeVenue(t, 0, day0+86400)
	dir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(cfg, []byte("[feeds.fake]\nrest_url = \"http://127.0.0.1:1/rest\"\nws_url = \"ws://127.0.0.1:1/ws\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The config's URLs, then the flag's over them; --feed adds the venue
	// token to an fqme without it.
	code, out, errb := runCLI(t, "store", "fetch", "btcusdt.spot", "--feed", "fake", "--config", cfg, "--store", dir,
		"--period", "1m", "--from", "2024-01-01T00:00:00Z", "--to", "2024-01-01T01:00:00Z", "--ws-url", "ws://127.0.0.1:2/x")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errb)
	}
	if fakeConfig.RESTURL != "http://127.0.0.1:1/rest" || fakeConfig.WSURL != "ws://127.0.0.1:2/x" {
		t.Errorf("venue opened with %+v", fakeConfig)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"store", "fetch", "btcusdt.spot.nosuch", "--period", "1m", "--from", "2024-01-01"}, `unknown venue "nosuch" (venues: `},
		{[]string{"store", "fetch", "btcusdt.spot.fake", "--from", "2024-01-01"}, "--period is required"},
		{[]string{"store", "fetch", "btcusdt.spot.fake", "--period", "1m"}, "--from is required"},
		{[]string{"store", "fetch", "btcusdt.spot.fake", "--period", "1m", "--from", "2024-02-01", "--to", "2024-01-01"}, "is not before --to"},
		{[]string{"store", "fetch", "btcusdt.spot.fake", "--period", "1m", "--from", "yesterday"}, "--from"},
		{[]string{"store", "fetch", "ethusdt.spot.fake", "--period", "1m", "--from", "2024-01-01"}, `unknown market "ethusdt.spot.fake"`},
		{[]string{"store", "fetch", "btcusdt.spot.fake", "--period", "1m", "--from", "2024-01-01", "--rest-url", "127.0.0.1:80"}, "--rest-url"},
		{[]string{"store", "fetch", "btcusdt.spot.fake", "--feed", "binance2", "--period", "1m", "--from", "2024-01-01"}, `market "btcusdt.spot.fake" is of venue fake, not binance2`},
		{[]string{"store", "fetch", "btcusdt.spot", "--feed", "binance2", "--period", "1m", "--from", "2024-01-01"}, `unknown venue "binance2"`},
		{[]string{"store", "fetch", "btcusdt", "--period", "1m", "--from", "2024-01-01"}, `no venue token`},
		{[]string{"store", "fill", "btcusdt.spot.fake", "--period", "1m"}, "series not found"},
		{[]string{"record", "--period", "1m"}, "--fqme is required"},
		{[]string{"record", "--fqme", "btcusdt.spot.fake,ethusdt.spot.binance"}, "is of venue binance, not fake"},
		{[]string{"record", "--fqme", "btcusdt.spot.fake", "--period", "0"}, "--period"},
	} {
		code, out, errb := runCLI(t, append(tc.args, "--store", t.TempDir())...)
		if code == 0 || !strings.Contains(errb, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want %q", tc.args, code, errb, out, tc.want)
		}
	}
}

// record in process: stopped by its context, it exits 0 with the closed bars
// stored, equal to the exchange's.
func TestRecordCommand(t *testing.T) {
	v, tape := useFakeVenue(t, 600, day0+86400)
	v.SetFaults(func(f *venuefake.Faults) { f.DropTrade = func(tr feeds.Trade) bool { return tr.ID%41 == 0 } })
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"record", "--fqme", "btcusdt.spot.fake", "--period", "1m", "--store", dir},
		strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	st, _ := frames.OpenStore(dir)
	got, err := st.Read("btcusdt.spot.fake", 60)
	if err != nil {
		t.Fatal(err)
	}
	// The latest frame (1000 slots, some without trades) and the live bars.
	first, last := got.Time[0], got.Time[got.Len()-1]
	if got.Len() < 800 || first < day0+86400-1001*60 || last < day0+86400+5*60 {
		t.Fatalf("%d bars stored, %d to %d", got.Len(), first, last)
	}
	sameSeries(t, got, tape.Bars(60, got.Time[0], got.Time[got.Len()-1]+60, false))
	if !strings.Contains(out.String(), "btcusdt.spot.fake: ") || !strings.Contains(out.String(), "gaps and") {
		t.Errorf("no summary:\n%s", out.String())
	}
}
