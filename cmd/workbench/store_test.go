package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/parquet-go/parquet-go"

	"workbench/frames"
	"workbench/internal/oracle"
)

func TestStoreImportLsExportRm(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	csv := oracle.Path(t, "ohlcv", "binance_BTCUSDT_1m_2024-09-21.csv")
	pq := oracle.Path(t, "parquet", "duckdb", "binance_1m.gaps_dups.parquet")
	goog := oracle.Path(t, "parquet", "hyparquet", "goog_daily.parquet")

	code, out, errs := runCLI(t, "store", "import", pq, "--fqme", "btcusdt.spot.binance", "--store", store)
	if code != 0 {
		t.Fatalf("import parquet: %d %s", code, errs)
	}
	// 1378 rows: 3 identical and conflicting duplicates collapse to 1374 times.
	if !strings.Contains(out, "1,378 bars") || !strings.Contains(out, "1,374 new") || !strings.Contains(out, "now holds 1,374 bars") {
		t.Errorf("import report:\n%s", out)
	}
	// The full CSV fills the 66 missing minutes and repeats the rest.
	code, out, errs = runCLI(t, "store", "import", csv, "--fqme", "btcusdt.spot.binance", "--period", "1m", "--store", store)
	if code != 0 {
		t.Fatalf("import csv: %d %s", code, errs)
	}
	if !strings.Contains(out, "66 new") || !strings.Contains(out, "now holds 1,440 bars") {
		t.Errorf("merge report:\n%s", out)
	}
	if code, _, errs = runCLI(t, "store", "import", goog, "--fqme", "goog.nasdaq", "--store", store); code != 0 {
		t.Fatalf("import goog: %s", errs)
	}

	code, out, _ = runCLI(t, "store", "ls", "--store", store)
	if code != 0 || !strings.Contains(out, "btcusdt.spot.binance") || !strings.Contains(out, "1,440") ||
		!strings.Contains(out, "2024-09-21 00:00") || !strings.Contains(out, "2024-09-21 23:59") ||
		!strings.Contains(out, "goog.nasdaq") || !strings.Contains(out, "2004-08-19") || !strings.Contains(out, "2 series") {
		t.Errorf("ls:\n%s", out)
	}
	code, out, _ = runCLI(t, "store", "ls", "--json", "--store", store)
	var ls []struct {
		FQME   string `json:"fqme"`
		Period int64  `json:"period"`
		Rows   int64  `json:"rows"`
		First  int64  `json:"first"`
		Last   int64  `json:"last"`
		Label  string `json:"period_label"`
		Bytes  int64  `json:"bytes"`
	}
	if err := json.Unmarshal([]byte(out), &ls); code != 0 || err != nil || len(ls) != 2 {
		t.Fatalf("ls --json: %v\n%s", err, out)
	}
	if b := ls[0]; b.FQME != "btcusdt.spot.binance" || b.Period != 60 || b.Label != "1m" || b.Rows != 1440 ||
		b.First != 1726876800 || b.Last != 1726963140 || b.Bytes == 0 {
		t.Errorf("ls --json entry %+v", b)
	}

	// Export to CSV reproduces the reference CSV's bars exactly.
	dir := t.TempDir()
	outCSV := filepath.Join(dir, "out.csv")
	if code, _, errs = runCLI(t, "store", "export", "btcusdt.spot.binance", "--period", "1m", "-o", outCSV, "--store", store); code != 0 {
		t.Fatalf("export csv: %s", errs)
	}
	got, err := frames.ReadCSVFile(outCSV)
	if err != nil {
		t.Fatal(err)
	}
	want, err := frames.ReadCSVFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	sameBars(t, got, want)
	outPQ := filepath.Join(dir, "out.parquet")
	if code, _, errs = runCLI(t, "store", "export", "goog.nasdaq", "--period", "1d", "-o", outPQ, "--store", store); code != 0 {
		t.Fatalf("export parquet: %s", errs)
	}
	got, err = frames.ReadParquetFile(outPQ)
	if err != nil {
		t.Fatal(err)
	}
	want, err = frames.ReadCSVFile(oracle.Path(t, "ohlcv", "goog_daily_2004-2008.csv"))
	if err != nil {
		t.Fatal(err)
	}
	sameBars(t, got, want)
	code, out, _ = runCLI(t, "store", "export", "goog.nasdaq", "--period", "1d", "-o", "-", "--store", store)
	if code != 0 || !strings.HasPrefix(out, "time,open,high,low,close,volume\n1092873600,100,104.06,95.96,100.34,22351900\n") {
		t.Errorf("export to stdout: %.200s", out)
	}

	if code, out, _ = runCLI(t, "store", "rm", "goog.nasdaq", "--period", "1d", "--store", store); code != 0 || !strings.Contains(out, "removed goog.nasdaq 1d") {
		t.Errorf("rm: %d %s", code, out)
	}
	code, _, errs = runCLI(t, "store", "rm", "goog.nasdaq", "--period", "1d", "--store", store)
	if code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("rm of a missing series: %d %s", code, errs)
	}
	code, out, _ = runCLI(t, "store", "ls", "--store", store)
	if code != 0 || strings.Contains(out, "goog") || !strings.Contains(out, "1 series") {
		t.Errorf("ls after rm:\n%s", out)
	}
}

func sameBars(t *testing.T, got, want *frames.OHLCV) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%d bars, want %d", got.Len(), want.Len())
	}
	for i := 0; i < want.Len(); i++ {
		if got.At(i) != want.At(i) {
			t.Fatalf("bar %d: %+v, want %+v", i, got.At(i), want.At(i))
		}
	}
}

func TestStoreUsageAndBadInput(t *testing.T) {
	store := t.TempDir()
	bad := filepath.Join(t.TempDir(), "bad.parquet")
	if err := os.WriteFile(bad, []byte("PAR1 this is not parquet PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	aFile := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(aFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"store"}, 2, "missing subcommand"},
		{[]string{"store", "frob"}, 2, `unknown subcommand "frob"`},
		{[]string{"store", "import", "x.csv"}, 2, "--fqme is required"},
		{[]string{"store", "import", "x.txt", "--fqme", "a.b"}, 2, "want a .csv or .parquet file"},
		{[]string{"store", "import", bad, "--fqme", "a.b"}, 1, bad},
		{[]string{"store", "import", oracle.Path(t, "ohlcv", "goog_daily_2004-2008.csv"), "--fqme", "a.b", "--period", "1m"}, 1, "1d apart most often"},
		{[]string{"store", "export", "a.b", "-o", "x.csv"}, 2, "--period is required"},
		{[]string{"store", "export", "a.b", "--period", "1m"}, 2, "-o FILE is required"},
		{[]string{"store", "export", "a.b", "--period", "1m", "-o", "x.json"}, 2, "want a .csv or .parquet"},
		{[]string{"store", "export", "a.b", "--period", "1m", "-o", "x.csv"}, 1, "not found"},
		{[]string{"store", "rm", "a.b"}, 2, "--period is required"},
		{[]string{"store", "ls", "--store", aFile}, 1, "is a file, not a folder"},
	} {
		args := c.args
		if !strings.Contains(strings.Join(args, " "), "--store") {
			args = append(args, "--store", store)
		}
		code, _, errs := runCLI(t, args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: code %d, stderr %q; want %d and %q", c.args, code, errs, c.code, c.msg)
		}
	}
}

// TestStoreImportProgressOnTerminal runs an import with stdout on a real
// pseudo-terminal: the progress bar is drawn there, and never into a pipe.
func TestStoreImportProgressOnTerminal(t *testing.T) {
	src, err := frames.ReadCSVFile(oracle.Path(t, "ohlcv", "cme_6EH4_1m_2024-01.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// About 1.5 MB of CSV: above the size that earns a bar.
	var buf bytes.Buffer
	if err := src.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(big, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < progressMin {
		t.Fatalf("test file %d bytes is below the progress threshold", buf.Len())
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer ptmx.Close()
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx)
		got <- string(b)
	}()
	var errb bytes.Buffer
	code := run(context.Background(), []string{"store", "import", big, "--fqme", "6e.cme", "--store", t.TempDir()}, strings.NewReader(""), tty, &errb)
	tty.Close()
	var out string
	select {
	case out = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("pty reader did not finish")
	}
	if code != 0 {
		t.Fatalf("import: %d %s", code, errb.String())
	}
	if !strings.Contains(out, "reading big.csv") || !strings.Contains(out, "now holds 29,996 bars") {
		t.Errorf("terminal output:\n%q", out)
	}
	code, out, _ = runCLI(t, "store", "import", big, "--fqme", "6e.cme", "--store", t.TempDir())
	if code != 0 || strings.Contains(out, "reading big.csv") {
		t.Errorf("progress bar drawn into a pipe:\n%s", out)
	}
}

// Bars that fail validation are imported as they are but each is named.
func TestStoreImportNamesInvalidBars(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "bad.csv")
	csv := "time,open,high,low,close,volume\n" +
		"1700000000,100,101,99,100.5,10\n" +
		"1700000060,100.5,100,99,100.2,5\n" + // high below the open
		"1700000120,100.2,101,99,100.1,-3\n" // negative volume
	if err := os.WriteFile(src, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "store", "import", src, "--fqme", "x.spot.test", "--store", filepath.Join(dir, "st"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"invalid bar, kept: row 1 (2023-11-14T22:14:20Z): field high",
		"invalid bar, kept: row 2 (2023-11-14T22:15:20Z): field volume",
		"x.spot.test 1m now holds 3 bars",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// writeFile writes a test input and returns its path.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// minuteCSV is n one-minute bars from 2024-09-21 in the given row order,
// with times written by timeOf.
func minuteCSV(order []int, timeOf func(t int64) string) string {
	var b strings.Builder
	b.WriteString("time,open,high,low,close,volume\n")
	for _, i := range order {
		fmt.Fprintf(&b, "%s,%d,%d,%d,%d,1\n", timeOf(1726876800+int64(i)*60), 100+i, 102+i, 99+i, 101+i)
	}
	return b.String()
}

// Prices that are not finite numbers are named like every other invalid
// bar (zero and negative prices follow once Validate has that rule).
func TestStoreImportNamesNonFinitePrices(t *testing.T) {
	src := writeFile(t, "nan.csv", "time,open,high,low,close,volume\n"+
		"1700000000,100,101,99,100.5,10\n"+
		"1700000060,NaN,101,99,100.2,5\n"+
		"1700000120,100.2,+Inf,99,100.1,3\n")
	code, out, stderr := runCLI(t, "store", "import", src, "--fqme", "x.spot.test", "--store", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"field open: NaN is not a finite number", "field high: +Inf is not a finite number"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A file whose first time is in milliseconds among seconds is imported
// with every bar in place and the odd row named.
func TestStoreImportWarnsOfTimeUnits(t *testing.T) {
	order := make([]int, 30)
	for i := range order {
		order[i] = i
	}
	first := true
	src := writeFile(t, "units.csv", minuteCSV(order, func(t int64) string {
		if first {
			first = false
			return strconv.FormatInt(t*1000, 10)
		}
		return strconv.FormatInt(t, 10)
	}))
	store := t.TempDir()
	code, out, stderr := runCLI(t, "store", "import", src, "--fqme", "x.spot.test", "--store", store)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "warning: "+src+": line 2: column time: time 1726876800000 read as milliseconds") ||
		!strings.Contains(out, "x.spot.test 1m now holds 30 bars") {
		t.Errorf("output:\n%s", out)
	}
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.Read("x.spot.test", 60)
	if err != nil || f.Time[0] != 1726876800 || f.Time[29] != 1726876800+29*60 {
		t.Fatalf("stored %v, %v", err, f)
	}
}

// An unsorted CSV is sorted on import, and the period is found from the
// sorted times instead of being blamed; where the period still does not fit,
// the error names the disorder too.
func TestStoreImportUnsortedCSV(t *testing.T) {
	secs := func(t int64) string { return strconv.FormatInt(t, 10) }
	rev := make([]int, 20)
	for i := range rev {
		rev[i] = 19 - i
	}
	src := writeFile(t, "rev.csv", minuteCSV(rev, secs))
	store := t.TempDir()
	for _, args := range [][]string{{}, {"--period", "1m"}} {
		code, out, stderr := runCLI(t, append([]string{"store", "import", src, "--fqme", "x.spot.test", "--store", store}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if !strings.Contains(out, "imported 20 bars") || !strings.Contains(out, "x.spot.test 1m now holds 20 bars") {
			t.Errorf("%v: output:\n%s", args, out)
		}
	}
	code, out, _ := runCLI(t, "store", "import", src, "--fqme", "y.spot.test", "--store", store)
	if code != 0 || !strings.Contains(out, "input was out of order (the rows are out of order: row 2, 2024-09-21T00:18:00Z, comes after row 1, 2024-09-21T00:19:00Z) and has been sorted") {
		t.Errorf("report:\n%s", out)
	}
	code, _, stderr := runCLI(t, "store", "import", src, "--fqme", "z.spot.test", "--period", "5m", "--store", store)
	if code != 1 || !strings.Contains(stderr, "the bars are 1m apart most often (the rows are out of order: row 2") || !strings.Contains(stderr, "not --period 5m") {
		t.Errorf("mismatched period: %d %s", code, stderr)
	}
}

// export resamples a period that is not stored, as every other command
// does, and says so.
func TestStoreExportResamples(t *testing.T) {
	store := t.TempDir()
	csv := oracle.Path(t, "ohlcv", "binance_BTCUSDT_1m_2024-09-21.csv")
	if code, _, errs := runCLI(t, "store", "import", csv, "--fqme", "btcusdt.spot.binance", "--store", store); code != 0 {
		t.Fatal(errs)
	}
	out1h := filepath.Join(t.TempDir(), "h.csv")
	code, out, errs := runCLI(t, "store", "export", "btcusdt.spot.binance", "--period", "1h", "-o", out1h, "--store", store)
	if code != 0 || !strings.Contains(out, "exported 24 bars of btcusdt.spot.binance 1h (resampled from 1m)") {
		t.Fatalf("export 1h: %d %s %s", code, out, errs)
	}
	got, err := frames.ReadCSVFile(out1h)
	if err != nil {
		t.Fatal(err)
	}
	// The hourly bars, built here by plain bucketing of the reference CSV.
	src, err := frames.ReadCSVFile(csv)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != 24 {
		t.Fatalf("%d hourly bars", got.Len())
	}
	for h := 0; h < 24; h++ {
		lo, hi := h*60, h*60+60
		want := [5]float64{src.Open[lo], src.High[lo], src.Low[lo], src.Close[hi-1], 0}
		for i := lo; i < hi; i++ {
			want[1], want[2] = max(want[1], src.High[i]), min(want[2], src.Low[i])
			want[4] += src.Volume[i]
		}
		g := [5]float64{got.Open[h], got.High[h], got.Low[h], got.Close[h], got.Volume[h]}
		if got.Time[h] != src.Time[lo] || g[0] != want[0] || g[1] != want[1] || g[2] != want[2] || g[3] != want[3] || math.Abs(g[4]-want[4]) > 1e-9*want[4] {
			t.Fatalf("hour %d: %v at %d, want %v at %d", h, g, got.Time[h], want, src.Time[lo])
		}
	}
	code, _, errs = runCLI(t, "store", "export", "btcusdt.spot.binance", "--period", "90s", "-o", out1h, "--store", store)
	if code != 1 || !strings.Contains(errs, "not found") || !strings.Contains(errs, "no stored period divides it") {
		t.Errorf("export 90s: %d %s", code, errs)
	}
}

// ls on a folder that does not exist says so, instead of listing nothing.
func TestStoreLsMissingFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo")
	code, out, errs := runCLI(t, "store", "ls", "--store", missing)
	if code != 1 || !strings.Contains(errs, "store "+missing+" does not exist") || strings.Contains(out, "holds no series") {
		t.Errorf("ls %s: %d %q %q", missing, code, out, errs)
	}
	code, out, _ = runCLI(t, "store", "ls", "--store", t.TempDir())
	if code != 0 || !strings.Contains(out, "holds no series") {
		t.Errorf("ls of an empty store: %d %q", code, out)
	}
}

// parquetBar is a bar row as parquet-go writes it: a plain INT64 time.
type parquetBar struct {
	Time   int64   `parquet:"time"`
	Open   float64 `parquet:"open"`
	High   float64 `parquet:"high"`
	Low    float64 `parquet:"low"`
	Close  float64 `parquet:"close"`
	Volume float64 `parquet:"volume"`
}

// Parquet files whose time unit only the magnitudes tell, written by
// parquet-go: in seconds with the first row in milliseconds (all 300 bars
// stored at their minutes, the row named), and in milliseconds with a first
// row of 0 (refused, naming the row; nothing stored).
func TestStoreImportParquetTimeUnits(t *testing.T) {
	write := func(raw []int64) string {
		rows := make([]parquetBar, len(raw))
		for i, v := range raw {
			rows[i] = parquetBar{v, 100, 101, 99, 100.5, 1}
		}
		p := filepath.Join(t.TempDir(), "bars.parquet")
		if err := parquet.WriteFile(p, rows); err != nil {
			t.Fatal(err)
		}
		return p
	}
	secs := make([]int64, 300)
	for i := range secs {
		secs[i] = 1726876800 + int64(i)*60
	}
	store := t.TempDir()

	raw := slices.Clone(secs)
	raw[0] *= 1000
	code, out, errs := runCLI(t, "store", "import", write(raw), "--fqme", "s.spot.test", "--store", store)
	if code != 0 || !strings.Contains(out, "row 1: column time: time 1726876800000 read as milliseconds") {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.Read("s.spot.test", 60)
	if err != nil || !slices.Equal(f.Time, secs) {
		t.Fatalf("stored: %v %v", err, f)
	}

	for i, v := range secs {
		raw[i] = v * 1000
	}
	raw[0] = 0
	code, _, errs = runCLI(t, "store", "import", write(raw), "--fqme", "ms.spot.test", "--store", store)
	if code != 1 || !strings.Contains(errs, `column "time": row 1: time 0 is seconds`) || !strings.Contains(errs, "mixed or implausible time units") {
		t.Fatalf("import: %d %s", code, errs)
	}
	if _, err := st.Read("ms.spot.test", 60); !errors.Is(err, frames.ErrNotFound) {
		t.Fatalf("a refused import stored something: %v", err)
	}
}
