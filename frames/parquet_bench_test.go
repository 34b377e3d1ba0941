package frames_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"workbench/feeds"
	"workbench/frames"
)

// benchBars makes about n one-minute bars of the demo's synthetic crypto
// market, the series bench/cmd/storebench measures.
func benchBars(n int) *frames.OHLCV {
	m := feeds.DemoMarkets()[0]
	start := int64(1_500_000_000)
	return feeds.GenerateBars(m, start, start+int64(n)*m.Period)
}

// Anchors: bench/cmd/storebench compares these paths with DuckDB's COPY …
// (FORMAT parquet, COMPRESSION zstd) and read_parquet on 10 M bars.
func BenchmarkWriteParquet(b *testing.B) {
	f := benchBars(1 << 21)
	b.SetBytes(int64(f.Len()) * 48)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := frames.WriteParquet(io.Discard, f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadParquetFile(b *testing.B) {
	f := benchBars(1 << 21)
	path := filepath.Join(b.TempDir(), "bars.parquet")
	if err := frames.WriteParquetFile(path, f); err != nil {
		b.Fatal(err)
	}
	if st, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(st.Size())/float64(f.Len()), "filebytes/bar")
	}
	b.SetBytes(int64(f.Len()) * 48)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := frames.ReadParquetFile(path); err != nil {
			b.Fatal(err)
		}
	}
}
