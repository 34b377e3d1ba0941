package frames

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"workbench/internal/oracle"
)

// parquetManifestEntry is one entry of shared/oracles/data/parquet/MANIFEST.json.
type parquetManifestEntry struct {
	File         string             `json:"file"`
	SourceCSV    string             `json:"source_csv"`
	Rows         int                `json:"rows"`
	RowGroups    int                `json:"row_groups"`
	TimeMin      int64              `json:"time_min"`
	TimeMax      int64              `json:"time_max"`
	Sums         map[string]float64 `json:"sums"`
	Step         int64              `json:"step_s"`
	UniqueTimes  int                `json:"unique_times"`
	SortedByTime bool               `json:"sorted_by_time"`
	// Gaps is a list, or for long lists {"count": n, "first_5": [...]}.
	Gaps       json.RawMessage `json:"gaps"`
	Duplicates []struct {
		Time   int64 `json:"time"`
		Copies int   `json:"copies"`
	} `json:"duplicates"`
}

func loadParquetManifest(t *testing.T) (string, []parquetManifestEntry) {
	t.Helper()
	dir := oracle.Path(t, "parquet")
	raw, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Files []parquetManifestEntry `json:"files"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Files) == 0 {
		t.Fatal("MANIFEST.json lists no files")
	}
	return dir, m.Files
}

// TestReadParquetOracles reads every file other writers produced (DuckDB,
// hyparquet, arrow-rs via parquet-wasm) and checks it against the
// manifest's independent figures and, where the file holds the whole CSV,
// against the CSV bar for bar.
func TestReadParquetOracles(t *testing.T) {
	dir, files := loadParquetManifest(t)
	seen := map[string]bool{}
	for _, mf := range files {
		seen[filepath.Clean(filepath.Join(filepath.Dir(dir), mf.File))] = true
		t.Run(mf.File, func(t *testing.T) {
			path := filepath.Join(filepath.Dir(dir), mf.File)
			f, err := ReadParquetFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if f.Len() != mf.Rows {
				t.Fatalf("rows %d, manifest %d", f.Len(), mf.Rows)
			}
			if f.Time[0] != mf.TimeMin || f.Time[f.Len()-1] != mf.TimeMax {
				t.Errorf("time %d..%d, manifest %d..%d", f.Time[0], f.Time[f.Len()-1], mf.TimeMin, mf.TimeMax)
			}
			if f.Period != mf.Step {
				t.Errorf("period %d, manifest step %d", f.Period, mf.Step)
			}
			cols := map[string][]float64{"open": f.Open, "high": f.High, "low": f.Low, "close": f.Close, "volume": f.Volume}
			for name, want := range mf.Sums {
				got := 0.0
				for _, v := range cols[name] {
					got += v
				}
				if math.Abs(got-want) > 1e-9*math.Abs(want) {
					t.Errorf("sum(%s) = %v, manifest %v", name, got, want)
				}
			}
			uniq := map[int64]int{}
			for _, v := range f.Time {
				uniq[v]++
			}
			if len(uniq) != mf.UniqueTimes {
				t.Errorf("%d unique times, manifest %d", len(uniq), mf.UniqueTimes)
			}
			if sorted := sort.SliceIsSorted(f.Time, func(i, j int) bool { return f.Time[i] < f.Time[j] }); sorted != mf.SortedByTime {
				t.Errorf("sorted %v, manifest %v", sorted, mf.SortedByTime)
			}
			var dups int
			for _, d := range mf.Duplicates {
				dups++
				if uniq[d.Time] != d.Copies {
					t.Errorf("time %d: %d copies, manifest %d", d.Time, uniq[d.Time], d.Copies)
				}
			}
			if n := countDupTimes(uniq); n != dups {
				t.Errorf("%d duplicated times, manifest %d", n, dups)
			}
			type gap struct{ After, Before int64 }
			var want struct {
				Count  int   `json:"count"`
				First5 []gap `json:"first_5"`
			}
			if err := json.Unmarshal(mf.Gaps, &want.First5); err == nil {
				want.Count = len(want.First5)
			} else if err := json.Unmarshal(mf.Gaps, &want); err != nil {
				t.Fatalf("manifest gaps: %v", err)
			}
			var gaps int
			for i := 1; i < f.Len(); i++ {
				if f.Time[i]-f.Time[i-1] > mf.Step {
					if gaps < len(want.First5) {
						g := want.First5[gaps]
						if g.After != f.Time[i-1] || g.Before != f.Time[i] {
							t.Errorf("gap %d: %d→%d, manifest %d→%d", gaps, f.Time[i-1], f.Time[i], g.After, g.Before)
						}
					}
					gaps++
				}
			}
			if gaps != want.Count {
				t.Errorf("%d gaps, manifest %d", gaps, want.Count)
			}
			if strings.Contains(mf.File, "gaps_dups") {
				return
			}
			csv, err := ReadCSVFile(oracle.Path(t, "ohlcv", mf.SourceCSV))
			if err != nil {
				t.Fatal(err)
			}
			assertSameBars(t, f, csv)
		})
	}
	// Every parquet file on disk must be in the manifest, so none goes untested.
	all, _ := filepath.Glob(filepath.Join(dir, "*", "*.parquet"))
	for _, p := range all {
		if !seen[filepath.Clean(p)] {
			t.Errorf("%s is not in MANIFEST.json and was not checked", p)
		}
	}
}

func countDupTimes(m map[int64]int) int {
	n := 0
	for _, c := range m {
		if c > 1 {
			n++
		}
	}
	return n
}

func assertSameBars(t *testing.T, got, want *OHLCV) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%d bars, want %d", got.Len(), want.Len())
	}
	for i := range want.Time {
		if g, w := got.At(i), want.At(i); g != w {
			t.Fatalf("bar %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestParquetRoundTripAndLayout(t *testing.T) {
	csv, err := ReadCSVFile(oracle.Path(t, "ohlcv", "cme_6EH4_1m_2024-01.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Repeat the month shifted in time until there are several row groups.
	big := New(csv.Period, 0)
	for k := int64(0); big.Len() < 3*ParquetRowGroupRows; k++ {
		for i := 0; i < csv.Len(); i++ {
			b := csv.At(i)
			big.Add(b.Time+k*40*86400, b.Open, b.High, b.Low, b.Close, b.Volume)
		}
	}
	path := filepath.Join(t.TempDir(), "x.parquet")
	if err := WriteParquetFile(path, big); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquetFile(path)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBars(t, got, big)
	if got.Period != 60 {
		t.Errorf("period %d", got.Period)
	}

	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	pf, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pf.RowGroups()); n != (big.Len()+ParquetRowGroupRows-1)/ParquetRowGroupRows {
		t.Errorf("%d row groups for %d rows", n, big.Len())
	}
	if v, ok := pf.Lookup(periodKey); !ok || v != "60" {
		t.Errorf("period metadata %q %v", v, ok)
	}
	for _, cc := range pf.Metadata().RowGroups[0].Columns {
		md := cc.MetaData
		if md.Codec != format.Zstd {
			t.Errorf("column %v codec %v, want zstd", md.PathInSchema, md.Codec)
		}
		if md.PathInSchema[0] == "time" && !hasEncoding(md.Encoding, format.DeltaBinaryPacked) {
			t.Errorf("time encodings %v, want delta", md.Encoding)
		}
		if md.Statistics.MinValue == nil || md.Statistics.MaxValue == nil {
			t.Errorf("column %v has no min/max statistics", md.PathInSchema)
		}
	}

	// Range reads equal slicing the whole series, including edges that
	// fall on, before and between bars and across row groups.
	t0, t1 := big.Time[0], big.Time[big.Len()-1]
	ranges := [][2]int64{
		{t0, t0 + 86400}, {t0 - 600, t0 + 60}, {t1, t1 + 1}, {t1 + 1, t1 + 100},
		{big.Time[ParquetRowGroupRows-5], big.Time[ParquetRowGroupRows+5]},
		{big.Time[1000] + 30, big.Time[2000] + 30}, {t0, t1 + 60}, {t1, t0},
	}
	for _, r := range ranges {
		part, err := ReadParquetFileRange(path, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		want := big.Slice(r[0], r[1])
		if part.Len() != want.Len() {
			t.Fatalf("range %v: %d bars, want %d", r, part.Len(), want.Len())
		}
		assertSameBars(t, part, want)
	}
}

func hasEncoding(es []format.Encoding, e format.Encoding) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

func TestReadParquetRangeOnOracleRowGroups(t *testing.T) {
	// DuckDB's 15 row groups of 2048 rows: a range read must agree with
	// slicing the whole file whichever groups it skips.
	path := oracle.Path(t, "parquet", "duckdb", "cme_6EH4_1m.rg2048.parquet")
	all, err := ReadParquetFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2047, 2048, 5000, 29000} {
		from := all.Time[i]
		to := from + 3*3600
		part, err := ReadParquetFileRange(path, from, to)
		if err != nil {
			t.Fatal(err)
		}
		assertSameBars(t, part, all.Slice(from, to))
	}
}

// sameBits reports whether two frames hold bit-identical bars (NaN and -0
// included), naming the first difference.
func sameBits(got, want *OHLCV) string {
	if got.Len() != want.Len() {
		return fmt.Sprintf("%d bars, want %d", got.Len(), want.Len())
	}
	for i := range want.Time {
		if got.Time[i] != want.Time[i] {
			return fmt.Sprintf("bar %d: time %d, want %d", i, got.Time[i], want.Time[i])
		}
		g := [5]float64{got.Open[i], got.High[i], got.Low[i], got.Close[i], got.Volume[i]}
		w := [5]float64{want.Open[i], want.High[i], want.Low[i], want.Close[i], want.Volume[i]}
		for c := range g {
			if math.Float64bits(g[c]) != math.Float64bits(w[c]) {
				return fmt.Sprintf("bar %d: %s %v, want %v", i, csvColumns[c+1], g[c], w[c])
			}
		}
	}
	return ""
}

// oddBars is n bars with the values that trip encoders and statistics up:
// NaN (scattered, and filling all of row group 1's volume), ±Inf, -0,
// subnormals, huge and negative numbers, irregular time steps.
func oddBars(n int) *OHLCV {
	f := New(60, n)
	specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, 5e-324, -math.MaxFloat64, math.MaxFloat64, -1.5}
	t := int64(-86400 * 30) // before 1970: negative times must round-trip too
	for i := 0; i < n; i++ {
		t += 60 * int64(1+i%7/6*3)
		p := 100 + float64(i%1000)/100
		o, h, l, c, v := p, p+1, p-1, p+0.5, float64(i%37)
		switch i % 97 {
		case 3:
			o = specials[i%len(specials)]
		case 50:
			h, l = specials[(i+1)%len(specials)], specials[(i+2)%len(specials)]
		}
		if i/ParquetRowGroupRows == 1 {
			v = math.NaN()
		}
		f.Add(t, o, h, l, c, v)
	}
	return f
}

// roundTripFile writes f to path, reads it back and fails unless every
// value is the same bit pattern and the footer gives the period back.
func roundTripFile(t *testing.T, path string, f *OHLCV) {
	t.Helper()
	if err := WriteParquetFile(path, f); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquetFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameBits(got, f); d != "" {
		t.Fatal(d)
	}
	if got.Period != f.Period {
		t.Errorf("period %d, want %d from the footer", got.Period, f.Period)
	}
}

func TestParquetRoundTripOddValuesManyGroups(t *testing.T) {
	f := oddBars(2*ParquetRowGroupRows + 17)
	path := filepath.Join(t.TempDir(), "odd.parquet")
	roundTripFile(t, path, f)
	// Every row group's statistics bound its values, leaving NaN out; the
	// all-NaN volume chunk has none.
	meta := openParquet(t, path).Metadata()
	if len(meta.RowGroups) != 3 {
		t.Fatalf("%d row groups, want 3", len(meta.RowGroups))
	}
	cols := [6]func(i int) float64{
		func(i int) float64 { return float64(f.Time[i]) },
		func(i int) float64 { return f.Open[i] }, func(i int) float64 { return f.High[i] },
		func(i int) float64 { return f.Low[i] }, func(i int) float64 { return f.Close[i] },
		func(i int) float64 { return f.Volume[i] },
	}
	off := 0
	for g, rg := range meta.RowGroups {
		for c, cc := range rg.Columns {
			st := cc.MetaData.Statistics
			lo, hi := math.Inf(1), math.Inf(-1)
			for i := off; i < off+int(rg.NumRows); i++ {
				if v := cols[c](i); !math.IsNaN(v) {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
			if math.IsInf(lo, 1) {
				if st.MinValue != nil || st.MaxValue != nil {
					t.Errorf("row group %d %s: statistics on an all-NaN chunk", g, parquetColumns[c])
				}
				continue
			}
			if len(st.MinValue) != 8 || len(st.MaxValue) != 8 {
				t.Fatalf("row group %d %s: no min/max statistics", g, parquetColumns[c])
			}
			gotLo, gotHi := statValue(c, st.MinValue), statValue(c, st.MaxValue)
			if gotLo != lo || gotHi != hi {
				t.Errorf("row group %d %s: statistics %v..%v, values %v..%v", g, parquetColumns[c], gotLo, gotHi, lo, hi)
			}
		}
		off += int(rg.NumRows)
	}
}

func statValue(col int, b []byte) float64 {
	u := binary.LittleEndian.Uint64(b)
	if col == 0 {
		return float64(int64(u))
	}
	return math.Float64frombits(u)
}

func openParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	st, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

func TestParquetEmptyAndBoundarySizes(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, ParquetRowGroupRows - 1, ParquetRowGroupRows, ParquetRowGroupRows + 1} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			f := oddBars(n)
			path := filepath.Join(dir, strconv.Itoa(n)+".parquet")
			roundTripFile(t, path, f)
			want := (n + ParquetRowGroupRows - 1) / ParquetRowGroupRows
			if g := len(openParquet(t, path).Metadata().RowGroups); g != want {
				t.Errorf("%d row groups, want %d", g, want)
			}
		})
	}
	// A nil frame writes an empty file that reads back empty.
	var buf bytes.Buffer
	if err := WriteParquet(&buf, nil); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquet(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil || got.Len() != 0 {
		t.Fatalf("nil frame read back as %v, %v", got, err)
	}
}

// TestParquetRangeReadSkipsRowGroups corrupts the pages of every row group
// but one: a range inside that group must still read, which it can only
// do by skipping the others on their time statistics.
func TestParquetRangeReadSkipsRowGroups(t *testing.T) {
	f := oddBars(4*ParquetRowGroupRows + 100)
	var buf bytes.Buffer
	if err := WriteParquet(&buf, f); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	const keep = 2
	for g, rg := range pf.Metadata().RowGroups {
		if g == keep {
			continue
		}
		for _, cc := range rg.Columns {
			md := cc.MetaData
			for i := md.DataPageOffset; i < md.DataPageOffset+md.TotalCompressedSize; i++ {
				b[i] = 0xA5
			}
		}
	}
	if _, err := ReadParquet(bytes.NewReader(b), int64(len(b))); err == nil {
		t.Fatal("whole read of a file with corrupt row groups succeeded")
	}
	lo := f.Time[keep*ParquetRowGroupRows]
	hi := f.Time[(keep+1)*ParquetRowGroupRows-1]
	for _, r := range [][2]int64{{lo, hi + 1}, {lo + 3600, lo + 86400}, {hi, hi + 1}} {
		got, err := ReadParquetRange(bytes.NewReader(b), int64(len(b)), r[0], r[1])
		if err != nil {
			t.Fatalf("range %v: %v", r, err)
		}
		if d := sameBits(got, f.Slice(r[0], r[1])); d != "" {
			t.Fatalf("range %v: %s", r, d)
		}
	}
}

// TestParquetPortablePaths writes and reads with the byte-by-byte encoding
// a big-endian machine uses, and checks the file is the same as the one
// written from the columns' memory.
func TestParquetPortablePaths(t *testing.T) {
	f := oddBars(ParquetRowGroupRows + 999)
	var fast, portable bytes.Buffer
	if err := WriteParquet(&fast, f); err != nil {
		t.Fatal(err)
	}
	littleEndian = false
	defer func() { littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }()
	if err := WriteParquet(&portable, f); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fast.Bytes(), portable.Bytes()) {
		t.Error("portable encoding wrote a different file")
	}
	got, err := ReadParquet(bytes.NewReader(portable.Bytes()), int64(portable.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if d := sameBits(got, f); d != "" {
		t.Fatal(d)
	}
}

// failingWriter accepts n bytes, then fails every write.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

// TestWriteParquetWriterFails checks that a failing writer's error comes
// back at every point of the file and that the encoding goroutines end.
func TestWriteParquetWriterFails(t *testing.T) {
	f := oddBars(3*ParquetRowGroupRows + 10)
	var full bytes.Buffer
	if err := WriteParquet(&full, f); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for _, n := range []int{0, 3, 100, full.Len() / 3, full.Len() - 10} {
		err := WriteParquet(&failingWriter{n: n}, f)
		if !errors.Is(err, errDiskFull) {
			t.Errorf("writer failing after %d bytes: error %v", n, err)
		}
	}
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after failed writes, %d before", g, before)
	}
}
