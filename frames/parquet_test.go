package frames

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

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
