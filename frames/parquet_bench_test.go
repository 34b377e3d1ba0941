package frames

import (
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchBars makes n one-minute bars shaped like an exchange's history: a
// cent-rounded random walk with volatility clusters and about one outage
// per thousand bars (the same shape bench/cmd/storebench measures).
func benchBars(n int) *OHLCV {
	rng := rand.New(rand.NewPCG(42, 7))
	f := New(60, n)
	t := int64(1_500_000_000)
	price, vol := 30000.0, 0.0005
	for i := 0; i < n; i++ {
		if rng.IntN(1000) == 0 {
			t += 60 * int64(1+rng.IntN(120))
		}
		if rng.IntN(500) == 0 {
			vol = 0.0002 + rng.Float64()*0.002
		}
		open := price
		c := math.Round(open*(1+vol*rng.NormFloat64())*100) / 100
		h := math.Round(math.Max(open, c)*(1+vol*math.Abs(rng.NormFloat64()))*100) / 100
		l := math.Round(math.Min(open, c)*(1-vol*math.Abs(rng.NormFloat64()))*100) / 100
		v := math.Round(rng.ExpFloat64()*1e4) / 1e4
		f.Add(t, open, h, l, c, v)
		price = c
		t += 60
	}
	return f
}

// Anchors: bench/cmd/storebench compares these paths with DuckDB's COPY …
// (FORMAT parquet, COMPRESSION zstd) and read_parquet on 10 M bars.
func BenchmarkWriteParquet(b *testing.B) {
	f := benchBars(1 << 21)
	b.SetBytes(int64(f.Len()) * 48)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteParquet(io.Discard, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadParquetFile(b *testing.B) {
	f := benchBars(1 << 21)
	path := filepath.Join(b.TempDir(), "bars.parquet")
	if err := WriteParquetFile(path, f); err != nil {
		b.Fatal(err)
	}
	if st, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(st.Size())/float64(f.Len()), "filebytes/bar")
	}
	b.SetBytes(int64(f.Len()) * 48)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ReadParquetFile(path); err != nil {
			b.Fatal(err)
		}
	}
}
