package fsp

// Shared test helpers: the TA-Lib reference series in
// ../shared/oracles/data/ta and a check that a streaming twin equals its batch
// function bit for bit, with revisions of the newest bar.

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"workbench/internal/oracle"
)

// oracleSeries is one input series and every TA-Lib column computed from it.
type oracleSeries struct {
	name                           string
	time                           []int64
	open, high, low, close, volume []float64
	ref                            map[string][]float64 // NaN where the cell is empty or NaN
	first                          map[string]int       // first non-empty cell per column
}

var (
	oracleOnce  sync.Once
	oracleData  []*oracleSeries
	oracleError error
)

// oracles loads every series under data/ta once per test binary.
func oracles(t testing.TB) []*oracleSeries {
	t.Helper()
	dir := oracle.Dir(t)
	oracleOnce.Do(func() { oracleData, oracleError = loadOracles(dir) })
	if oracleError != nil {
		t.Fatal(oracleError)
	}
	if len(oracleData) == 0 {
		t.Fatalf("no *.talib.csv under %s", filepath.Join(dir, "ta"))
	}
	return oracleData
}

func loadOracles(dir string) ([]*oracleSeries, error) {
	names, err := filepath.Glob(filepath.Join(dir, "ta", "*.talib.csv"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*oracleSeries
	for _, p := range names {
		name := strings.TrimSuffix(filepath.Base(p), ".talib.csv")
		s := &oracleSeries{name: name, ref: map[string][]float64{}, first: map[string]int{}}
		in, err := readCSVColumns(filepath.Join(dir, "ohlcv", name+".csv"))
		if err != nil {
			return nil, err
		}
		s.open, s.high, s.low, s.close, s.volume = in.cols["open"], in.cols["high"], in.cols["low"], in.cols["close"], in.cols["volume"]
		s.time = in.time
		for _, f := range []string{p, filepath.Join(dir, "ta", name+".talib_ext.csv")} {
			ref, err := readCSVColumns(f)
			if err != nil {
				return nil, err
			}
			if len(ref.time) != len(s.time) {
				return nil, fmt.Errorf("%s: %d rows, input has %d", f, len(ref.time), len(s.time))
			}
			for k, v := range ref.cols {
				s.ref[k] = v
				s.first[k] = ref.first[k]
			}
		}
		out = append(out, s)
	}
	return out, nil
}

type csvColumns struct {
	time  []int64
	cols  map[string][]float64
	first map[string]int
}

func readCSVColumns(path string) (*csvColumns, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 || rows[0][0] != "time" {
		return nil, fmt.Errorf("%s: no time header", path)
	}
	head := rows[0]
	c := &csvColumns{cols: map[string][]float64{}, first: map[string]int{}}
	for _, h := range head[1:] {
		c.cols[h] = make([]float64, 0, len(rows)-1)
		c.first[h] = -1
	}
	for r, row := range rows[1:] {
		t, err := strconv.ParseInt(row[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s row %d: time: %w", path, r+2, err)
		}
		c.time = append(c.time, t)
		for j, h := range head[1:] {
			v := math.NaN()
			if cell := row[j+1]; cell != "" {
				if v, err = strconv.ParseFloat(cell, 64); err != nil {
					return nil, fmt.Errorf("%s row %d column %s: %w", path, r+2, h, err)
				}
				if c.first[h] < 0 {
					c.first[h] = r
				}
			}
			c.cols[h] = append(c.cols[h], v)
		}
	}
	return c, nil
}

// forEachOracle runs f as a subtest per reference series.
func forEachOracle(t *testing.T, f func(t *testing.T, s *oracleSeries)) {
	t.Helper()
	for _, s := range oracles(t) {
		t.Run(s.name, func(t *testing.T) { f(t, s) })
	}
}

// tolerance accepts |got-want| <= rel·max(1,|want|) + abs.
type tolerance struct{ rel, abs float64 }

var (
	talibTol = tolerance{rel: 1e-9}
	sigmaTol = tolerance{rel: 1e-9, abs: 1e-6} // TA-Lib's one-pass variance
)

// checkRef compares got with the reference column col: the same first valid
// index, NaN exactly where the reference has none, values within tol.
func checkRef(t *testing.T, s *oracleSeries, col string, got []float64, tol tolerance) {
	t.Helper()
	want, ok := s.ref[col]
	if !ok {
		t.Fatalf("%s: no reference column %q", s.name, col)
	}
	if len(got) != len(want) {
		t.Fatalf("%s %s: len %d, want %d", s.name, col, len(got), len(want))
	}
	first := s.first[col]
	gotFirst := -1
	for i, v := range got {
		if !math.IsNaN(v) {
			gotFirst = i
			break
		}
	}
	if gotFirst != first {
		t.Fatalf("%s %s: first valid index %d, TA-Lib %d", s.name, col, gotFirst, first)
	}
	bad := 0
	for i := range got {
		g, w := got[i], want[i]
		if math.IsNaN(w) || math.IsNaN(g) {
			if math.IsNaN(w) != math.IsNaN(g) {
				t.Errorf("%s %s[%d] = %v, TA-Lib %v", s.name, col, i, g, w)
				bad++
			}
		} else if math.Abs(g-w) > tol.rel*math.Max(1, math.Abs(w))+tol.abs {
			t.Errorf("%s %s[%d] = %.17g, TA-Lib %.17g (diff %.3g)", s.name, col, i, g, w, g-w)
			bad++
		}
		if bad >= 5 {
			t.FailNow()
		}
	}
}

// streamer feeds one bar's inputs to a stream under test (Update, or Revise
// when rev) and returns its outputs.
type streamer func(rev bool, in []float64) []float64

// checkStream runs a fresh stream from mk over the input columns twice, once
// with Update only and once revising bars with other bars' values before
// their final ones, and wants the batch outputs want bit for bit.
func checkStream(t *testing.T, label string, in [][]float64, want [][]float64, mk func() streamer) {
	t.Helper()
	n := len(in[0])
	row := func(i int) []float64 {
		r := make([]float64, len(in))
		for j := range in {
			r[j] = in[j][i]
		}
		return r
	}
	for pass := 0; pass < 2; pass++ {
		s := mk()
		for i := 0; i < n; i++ {
			var got []float64
			switch {
			case pass == 0:
				got = s(false, row(i))
			case i == 0:
				got = s(true, row(0)) // Revise before any Update acts as Update
			case i%4 == 1:
				s(false, row((i*7+3)%n))
				s(true, row((i*13+5)%n))
				got = s(true, row(i))
			case i%4 == 2:
				s(false, row(i))
				got = s(true, row(i))
			default:
				got = s(false, row(i))
			}
			for j := range want {
				if !sameBits(got[j], want[j][i]) {
					t.Fatalf("%s pass %d: output %d at bar %d = %.17g, batch %.17g", label, pass, j, i, got[j], want[j][i])
				}
			}
		}
	}
}

func sameBits(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
}

// leadNaN returns x with k NaNs in front, for tests of leading-NaN inputs.
func leadNaN(x []float64, k int) []float64 {
	out := make([]float64, k, k+len(x))
	for i := range out {
		out[i] = math.NaN()
	}
	return append(out, x...)
}

// benchInput is a deterministic random walk of n bars for benchmarks.
func benchInput(n int) []float64 {
	x := make([]float64, n)
	v, seed := 100.0, uint64(88172645463325252)
	for i := range x {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		v += float64(int64(seed%2001)-1000) / 1000
		if v < 1 {
			v = 1
		}
		x[i] = v
	}
	return x
}
