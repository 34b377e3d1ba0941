package frames

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"workbench/internal/oracle"
)

type csvSummary struct {
	Rows  int   `json:"rows"`
	First int64 `json:"first"`
	Last  int64 `json:"last"`
	Step  int64 `json:"step_s"`
	Gaps  int   `json:"gaps_gt_step"`
}

func readSummary(t *testing.T) map[string]csvSummary {
	t.Helper()
	raw, err := os.ReadFile(oracle.Path(t, "ohlcv", "SUMMARY.json"))
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	out := map[string]csvSummary{}
	for name, msg := range all {
		if !strings.HasSuffix(name, ".csv") {
			continue
		}
		var s csvSummary
		if err := json.Unmarshal(msg, &s); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

func TestReadCSVOracleFiles(t *testing.T) {
	sum := readSummary(t)
	files, _ := filepath.Glob(oracle.Path(t, "ohlcv", "*.csv"))
	if len(files) != len(sum) || len(files) == 0 {
		t.Fatalf("%d CSV files but SUMMARY.json describes %d", len(files), len(sum))
	}
	for _, path := range files {
		name := filepath.Base(path)
		want := sum[name]
		f, err := ReadCSVFile(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Len() != want.Rows || f.Time[0] != want.First || f.Time[f.Len()-1] != want.Last || f.Period != want.Step {
			t.Errorf("%s: %d rows %d..%d period %d; SUMMARY says %d rows %d..%d step %d", name,
				f.Len(), f.Time[0], f.Time[f.Len()-1], f.Period, want.Rows, want.First, want.Last, want.Step)
		}
		gaps := 0
		for i := 1; i < f.Len(); i++ {
			if f.Time[i]-f.Time[i-1] > f.Period {
				gaps++
			}
		}
		if gaps != want.Gaps {
			t.Errorf("%s: %d gaps, SUMMARY says %d", name, gaps, want.Gaps)
		}
		if errs := f.Validate(); len(errs) > 0 {
			t.Errorf("%s: %d problems, first %v", name, len(errs), errs[0])
		}
	}
}

// Binance's own dump (no header, 12 columns, open time in ms, prices padded
// with zeros) must give exactly the bars of the cleaned CSV made from it by
// the oracle scripts.
func TestReadCSVRawBinanceMatchesCleaned(t *testing.T) {
	pairs := map[string]string{
		"BTCUSDT-1m-2024-09-21.csv": "binance_BTCUSDT_1m_2024-09-21.csv",
		"BTCUSDT-1h-2024-08.csv":    "binance_BTCUSDT_1h_2024-08.csv",
	}
	for raw, clean := range pairs {
		got, err := ReadCSVFile(oracle.Path(t, "raw", "binance", raw))
		if err != nil {
			t.Fatal(err)
		}
		want, err := ReadCSVFile(oracle.Path(t, "ohlcv", clean))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s reads differently from %s", raw, clean)
		}
	}
}

// The raw CME file has a timestamp_utc header with "2006-01-02 15:04:05"
// dates labelling bar closes; the cleaned file has bar opens in epoch seconds.
func TestReadCSVRawCMEDates(t *testing.T) {
	fh, err := os.Open(oracle.Path(t, "raw", "cme", "6EH4.XCME_1min_bars_20240101_20240131.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zr, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadCSV(zr)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReadCSVFile(oracle.Path(t, "ohlcv", "cme_6EH4_1m_2024-01.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range got.Time {
		got.Time[i] -= 60
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("raw CME bars shifted to open times differ from the cleaned series")
	}
}

func TestReadCSVHeadersAndTimeFormats(t *testing.T) {
	want := New(86400, 2)
	want.Add(1704067200, 1, 2, 0.5, 1.5, 10)
	want.Add(1704153600, 1.5, 2.5, 1, 2, 20)
	inputs := map[string]string{
		"seconds":        "time,open,high,low,close,volume\n1704067200,1,2,0.5,1.5,10\n1704153600,1.5,2.5,1,2,20\n",
		"no header":      "1704067200,1,2,0.5,1.5,10\n1704153600,1.5,2.5,1,2,20\n",
		"milliseconds":   "timestamp,open,high,low,close,volume\n1704067200000,1,2,0.5,1.5,10\n1704153600000,1.5,2.5,1,2,20\n",
		"nanoseconds":    "ts,o,h,l,c,v\n1704067200000000000,1,2,0.5,1.5,10\n1704153600000000000,1.5,2.5,1,2,20\n",
		"date, yahoo":    "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-01,1,2,0.5,1.5,1.4,10\n2024-01-02,1.5,2.5,1,2,1.9,20\n",
		"rfc3339, order": "\ufeffVOL, Close ,low,HIGH,open,DateTime\n10,1.5,0.5,2,1,2024-01-01T00:00:00Z\n20,2,1,2.5,1.5,2024-01-02T01:00:00+01:00\n",
		"space layout":   "datetime,open,high,low,close,volume\n2024-01-01 00:00:00,1,2,0.5,1.5,10\n\"2024-01-02 00:00\",1.5,2.5,1,2,20\n",
		"float seconds":  "open_time,open,high,low,close,volume\n1.7040672e9,1,2,0.5,1.5,10\n1704153600.0,1.5,2.5,1,2,20\n",
		"crlf, extra":    "time,open,high,low,close,volume,trades\r\n1704067200,1,2,0.5,1.5,10,7\r\n1704153600,1.5,2.5,1,2,20,8\r\n",
	}
	for name, in := range inputs {
		got, err := ReadCSV(strings.NewReader(in))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v", name, got)
		}
	}
	empty, err := ReadCSV(strings.NewReader("time,open,high,low,close,volume\n"))
	if err != nil || empty.Len() != 0 {
		t.Errorf("header only: %v %v", empty, err)
	}
}

func TestReadCSVErrorsNameLineAndColumn(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"bad number":    {"time,open,high,low,close,volume\n0,1,2,0,1,1\n60,1,2,0,abc,1\n", `3: column close: "abc" is not a number`},
		"bad time":      {"date,open,high,low,close,volume\nyesterday,1,2,0,1,1\n", `2: column time: "yesterday" is not a time`},
		"sub-second":    {"time,open,high,low,close,volume\n1704067200500,1,2,0,1,1\n", `2: column time: "1704067200500" is not a whole number`},
		"fraction date": {"time,open,high,low,close,volume\n2024-01-01T00:00:00.5Z,1,2,0,1,1\n", "fraction of a second"},
		"far date":      {"time,open,high,low,close,volume\n9999-01-01,1,2,0,1,1\n", "too far from 1970"},
		"short row":     {"time,open,high,low,close,volume\n0,1,2,0,1,1\n60,1,2\n", "3: column low: missing: the row has 3 fields"},
		"missing col":   {"time,open,high,low,close\n0,1,2,0,1\n", "1: header \"time,open,high,low,close\" has no column for volume"},
		"twice":         {"time,date,open,high,low,close,volume\n", `1: header: columns 1 ("time") and 2 ("date") both give time`},
		"empty":         {"", "1: empty input"},
		"quote":         {"time,open,high,low,close,volume\n0,1,2,0,1\"x,1\n", "2: bare \" in non-quoted-field"},
		"empty cell":    {"0,1,,0,1,1\n", `1: column high: "" is not a number`},
		"blank line":    {"0,1,2,0,1,1\n   \n", "2: blank line"},
		"no header":     {"a,b,x,d,e,f\n", `1: column time: "a" is not a time`},
	}
	for name, c := range cases {
		_, err := ReadCSV(strings.NewReader(c.in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: want a *ParseError, got %v", name, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not contain %q", name, err, c.want)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "goog.csv")
	os.WriteFile(path, []byte("time,open,high,low,close,volume\n0,1,2,0,abc,1\n"), 0o644)
	_, err := ReadCSVFile(path)
	if err == nil || err.Error() != path+`:2: column close: "abc" is not a number` {
		t.Errorf("file error: %v", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || pe.Column != 5 || pe.Name != "close" {
		t.Errorf("ParseError fields: %+v", pe)
	}
	if _, err := ReadCSVFile(filepath.Join(dir, "absent.csv")); err == nil || !strings.Contains(err.Error(), "absent.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func sameSeries(a, b *OHLCV) bool {
	if a.Period != b.Period || !reflect.DeepEqual(a.Time, b.Time) && a.Len()+b.Len() > 0 {
		return false
	}
	for _, p := range [][2][]float64{{a.Open, b.Open}, {a.High, b.High}, {a.Low, b.Low}, {a.Close, b.Close}, {a.Volume, b.Volume}} {
		if len(p[0]) != len(p[1]) {
			return false
		}
		for i := range p[0] {
			x, y := p[0][i], p[1][i]
			if math.Float64bits(x) != math.Float64bits(y) && !(math.IsNaN(x) && math.IsNaN(y)) {
				return false
			}
		}
	}
	return true
}

func TestWriteCSVRoundTripsExactly(t *testing.T) {
	f := New(60, 8)
	f.Add(-60, 0.1, 0.30000000000000004, math.Copysign(0, -1), 1e-6, 22351900)
	f.Add(0, math.NaN(), math.Inf(1), math.Inf(-1), 5e-324, math.MaxFloat64)
	f.Add(60, 1.0/3, 2.0/3, 1e21, 123456789.123456789, 0)
	f.Add(120, 1e-7, -1e-300, 1e300, -123e-9, 1)
	f.Add(maxEpochSeconds-1, 63201.05, 63201.06, 63186, 63196, 10.91101)
	var buf bytes.Buffer
	if err := f.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\n-60,0.1,0.30000000000000004,-0,0.000001,22351900\n") {
		t.Errorf("unexpected text:\n%s", buf.String())
	}
	back, err := ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !sameSeries(f, back) {
		t.Fatalf("round trip differs:\n%+v\n%+v", f, back)
	}
	for _, name := range []string{"goog_daily_2004-2008.csv", "cme_6EH4_1m_2024-01.csv"} {
		orig, err := ReadCSVFile(oracle.Path(t, "ohlcv", name))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name)
		if err := orig.WriteCSVFile(path); err != nil {
			t.Fatal(err)
		}
		back, err := ReadCSVFile(path)
		if err != nil || !sameSeries(orig, back) {
			t.Errorf("%s: file round trip differs (%v)", name, err)
		}
		// Our writer's text is the oracle's text: both print shortest round-trip decimals.
		a, _ := os.ReadFile(oracle.Path(t, "ohlcv", name))
		b, _ := os.ReadFile(path)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: rewritten text differs from the original", name)
		}
	}
	bad := New(60, 1)
	bad.Add(0, 1, 1, 1, 1, 1)
	bad.High = nil
	if err := bad.WriteCSV(&buf); err == nil || !strings.Contains(err.Error(), "high") {
		t.Errorf("ragged columns: %v", err)
	}
	if err := f.WriteCSVFile(filepath.Join(t.TempDir(), "no", "such", "dir.csv")); err == nil {
		t.Error("writing into a missing folder should fail")
	}
}
