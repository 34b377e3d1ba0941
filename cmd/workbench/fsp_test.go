package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"workbench/frames"
	"workbench/internal/oracle"
)

// fspWantColumns compares got columns with TA-Lib's reference columns.
func fspWantColumns(t *testing.T, got, ref map[string][]float64, pairs map[string]string) {
	t.Helper()
	if len(got["time"]) != len(ref["time"]) {
		t.Fatalf("%d rows, TA-Lib has %d", len(got["time"]), len(ref["time"]))
	}
	for i := range ref["time"] {
		if got["time"][i] != ref["time"][i] {
			t.Fatalf("time[%d] = %v, want %v", i, got["time"][i], ref["time"][i])
		}
	}
	for ours, theirs := range pairs {
		g, w := got[ours], ref[theirs]
		if g == nil {
			t.Fatalf("no column %s in the output", ours)
		}
		for i := range w {
			if math.IsNaN(w[i]) != math.IsNaN(g[i]) || math.Abs(g[i]-w[i]) > 1e-9*math.Max(1, math.Abs(w[i])) {
				t.Fatalf("%s[%d] = %v, TA-Lib %s %v", ours, i, g[i], theirs, w[i])
			}
		}
	}
}

var fspPairs = map[string]string{"rsi_14": "rsi14", "atr_14": "atr14", "macd_12_26_9": "macd",
	"macd_signal_12_26_9": "macd_signal", "stoch_k_14_3_3": "stoch_k", "obv": "obv"}

const fspInd = "rsi(14), atr(14), macd(12,26,9), stoch(14,3,3), obv"

func TestFSPCommandCSVFileToCSV(t *testing.T) {
	in := oracle.Path(t, "ohlcv", "goog_daily_2004-2008.csv")
	ref := oracle.Columns(t, oracle.Path(t, "ta", "goog_daily_2004-2008.talib.csv"))
	out := filepath.Join(t.TempDir(), "ind.csv")
	code, stdout, stderr := runCLI(t, "fsp", in, "--ind", fspInd, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "1047 bars") || !strings.Contains(stdout, out) {
		t.Errorf("summary %q names neither the bar count nor the file", stdout)
	}
	fspWantColumns(t, oracle.Columns(t, out), ref, fspPairs)
}

func TestFSPCommandStoreToParquet(t *testing.T) {
	f, err := frames.ReadCSVFile(oracle.Path(t, "ohlcv", "binance_BTCUSDT_1h_2024-08.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f.Period = 3600
	store := t.TempDir()
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("btcusdt.spot.binance", f); err != nil {
		t.Fatal(err)
	}
	ref := oracle.Columns(t, oracle.Path(t, "ta", "binance_BTCUSDT_1h_2024-08.talib.csv"))
	dir := t.TempDir()
	pq := filepath.Join(dir, "ind.parquet")
	code, _, stderr := runCLI(t, "fsp", "btcusdt.spot.binance", "--store", store, "--period", "1h", "--ind", fspInd, "-o", pq)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := fspReadParquet(t, pq)
	fspWantColumns(t, got, ref, fspPairs)
}

// fspReadParquet reads every column of a flat parquet file as floats, NaN
// for nulls.
func fspReadParquet(t *testing.T, path string) map[string][]float64 {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r := parquet.NewReader(fh)
	defer r.Close()
	names := r.Schema().Columns()
	got := map[string][]float64{}
	rows := make([]parquet.Row, 256)
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			for _, v := range row {
				name := names[v.Column()][0]
				switch {
				case v.IsNull():
					got[name] = append(got[name], math.NaN())
				case name == "time":
					got[name] = append(got[name], float64(v.Int64()))
				default:
					got[name] = append(got[name], v.Double())
				}
			}
		}
		if err != nil {
			break
		}
	}
	return got
}

func TestFSPCommandErrors(t *testing.T) {
	in := oracle.Path(t, "ohlcv", "goog_daily_2004-2008.csv")
	out := filepath.Join(t.TempDir(), "x.csv")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{in, "-o", out}, 2, "--ind is required"},
		{[]string{in, "--ind", "rsi(14", "-o", out}, 2, "--ind"},
		{[]string{in, "--ind", "nosuch(3)", "-o", out}, 2, `unknown indicator "nosuch"`},
		{[]string{in, "--ind", "atr(0)", "-o", out}, 2, "column 5"},
		{[]string{in, "--ind", "rsi(14)"}, 2, "-o is required"},
		{[]string{in, "--ind", "rsi(14)", "-o", "x.txt"}, 2, `-o "x.txt"`},
		{[]string{"btcusdt.spot.binance", "--ind", "rsi(14)", "-o", out}, 2, "--period is required"},
		{[]string{"nosuch.spot.binance", "--store", t.TempDir(), "--period", "1m", "--ind", "rsi(14)", "-o", out}, 1, "nosuch.spot.binance"},
		{[]string{filepath.Join(t.TempDir(), "missing.csv"), "--ind", "rsi(14)", "-o", out}, 1, "missing.csv"},
		{[]string{in, in, "--ind", "rsi(14)", "-o", out}, 2, "got 2 arguments"},
	} {
		code, _, stderr := runCLI(t, append([]string{"fsp"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("fsp %v: exit %d, stderr %q; want exit %d naming %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind", out)
	}
}

func TestFSPCommandList(t *testing.T) {
	code, stdout, _ := runCLI(t, "fsp", "--list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"macd(fast=12, slow=26, signal=9) -> macd, macd_signal, macd_hist", "atr(n=14) of high,low,close -> atr", "vwap"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--list lacks %q:\n%s", want, stdout)
		}
	}
}

// TestDemoFSPStep runs the demo's indicator study on a real series in a
// store and checks its CSV against TA-Lib's reference columns.
func TestDemoFSPStep(t *testing.T) {
	f, err := frames.ReadCSVFile(oracle.Path(t, "ohlcv", "binance_BTCUSDT_1m_2024-09-21.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f.Period = 60
	dir := t.TempDir()
	d := &demoRun{out: &bytes.Buffer{}, Dir: dir, StoreDir: filepath.Join(dir, "store"),
		Markets: []demoMarket{{FQME: "btcusdt.spot.binance", Period: 60, Calendar: "crypto"}}}
	st, err := frames.OpenStore(d.StoreDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("btcusdt.spot.binance", f); err != nil {
		t.Fatal(err)
	}
	if err := demoFSP(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	out := d.out.(*bytes.Buffer).String()
	if !strings.Contains(out, "btcusdt.spot.binance") || !strings.Contains(out, "RSI14") {
		t.Errorf("summary lacks the market or its header:\n%s", out)
	}
	got := oracle.Columns(t, filepath.Join(dir, "indicators", "btcusdt.spot.binance.csv"))
	ref := oracle.Columns(t, oracle.Path(t, "ta", "binance_BTCUSDT_1m_2024-09-21.talib.csv"))
	fspWantColumns(t, got, ref, map[string]string{"rsi_14": "rsi14", "macd_hist_12_26_9": "macd_hist",
		"atr_14": "atr14", "stoch_k_14_3_3": "stoch_k", "obv": "obv", "bb_middle_20_2_2": "bb_middle"})
	alt := oracle.Columns(t, oracle.Path(t, "ta", "binance_BTCUSDT_1m_2024-09-21.alt.csv"))
	fspWantColumns(t, got, alt, map[string]string{"day_vwap": "vwap_utc_day"})

	// The summary row holds the newest values: TA-Lib's (and the VWAP of
	// the oracle's alt file), %B from TA-Lib's bands, and the cumulative log
	// return from the closes.
	ext := oracle.Columns(t, oracle.Path(t, "ta", "binance_BTCUSDT_1m_2024-09-21.talib_ext.csv"))
	n := f.Len()
	lastOf := func(c map[string][]float64, name string) float64 { return c[name][n-1] }
	up, lo := lastOf(ref, "bb_upper"), lastOf(ref, "bb_lower")
	var row []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "btcusdt.spot.binance ") {
			row = strings.Fields(l)
		}
	}
	if len(row) != 11 || row[1] != strconv.Itoa(n) {
		t.Fatalf("summary row %q, want 11 fields and %d bars:\n%s", row, n, out)
	}
	for i, c := range []struct {
		name string
		want float64
		prec int
	}{
		{"close", f.Close[n-1], 2},
		{"RSI14", lastOf(ref, "rsi14"), 1},
		{"%B", (f.Close[n-1] - lo) / (up - lo), 2},
		{"ATR%", lastOf(ext, "natr14"), 2},
		{"ADX14", lastOf(ext, "adx14"), 1},
		{"%K", lastOf(ref, "stoch_k"), 1},
		{"day VWAP", lastOf(alt, "vwap_utc_day"), 2},
		{"cum ln ret", math.Log(f.Close[n-1] / f.Close[0]), 4},
	} {
		field := row[[]int{2, 3, 5, 6, 7, 8, 9, 10}[i]]
		got, err := strconv.ParseFloat(field, 64)
		if err != nil || math.Abs(got-c.want) > 0.5*math.Pow(10, -float64(c.prec))+1e-6 {
			t.Errorf("summary %s %q, reference %v", c.name, field, c.want)
		}
	}
	// MACD hist prints with 3 significant digits.
	if got, err := strconv.ParseFloat(row[4], 64); err != nil || strconv.FormatFloat(got, 'g', 3, 64) != strconv.FormatFloat(lastOf(ref, "macd_hist"), 'g', 3, 64) {
		t.Errorf("summary MACD hist %q, TA-Lib %v", row[4], lastOf(ref, "macd_hist"))
	}
}

// -o - writes the CSV to stdout, and nothing else there.
func TestFSPCommandToStdout(t *testing.T) {
	in := oracle.Path(t, "ohlcv", "goog_daily_2004-2008.csv")
	ref := oracle.Columns(t, oracle.Path(t, "ta", "goog_daily_2004-2008.talib.csv"))
	code, stdout, stderr := runCLI(t, "fsp", in, "--ind", fspInd, "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "stdout.csv")
	if err := os.WriteFile(out, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	fspWantColumns(t, oracle.Columns(t, out), ref, fspPairs)
}
