package frames

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"workbench/internal/oracle"
)

func TestStoreLifecycle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := st.List(); err != nil || len(l) != 0 {
		t.Fatalf("empty store lists %v, %v", l, err)
	}
	if _, err := st.Read("btcusdt.spot.binance", 60); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing series: %v, want ErrNotFound", err)
	}
	bars, err := ReadCSVFile(oracle.Path(t, "ohlcv", "binance_BTCUSDT_1m_2024-09-21.csv"))
	if err != nil {
		t.Fatal(err)
	}
	daily, err := ReadCSVFile(oracle.Path(t, "ohlcv", "goog_daily_2004-2008.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("btcusdt.spot.binance", bars); err != nil {
		t.Fatal(err)
	}
	if err := st.Write("goog.nasdaq", daily); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "btcusdt.spot.binance.ohlcv60s.parquet")); err != nil {
		t.Fatalf("piker file name: %v", err)
	}
	got, err := st.Read("btcusdt.spot.binance", 60)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBars(t, got, bars)
	if got.Period != 60 {
		t.Errorf("period %d", got.Period)
	}
	from, to := bars.Time[100], bars.Time[200]
	part, err := st.ReadRange("btcusdt.spot.binance", 60, from, to)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBars(t, part, bars.Slice(from, to))
	if part.Len() != 100 || part.Time[0] != from {
		t.Errorf("range [%d,%d): %d bars from %d", from, to, part.Len(), part.Time[0])
	}

	// Leftovers of an interrupted atomic write and foreign files are not series.
	for _, name := range []string{".btcusdt.spot.binance.ohlcv60s.parquet.tmp-123", "notes.txt", "x.parquet"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("list %+v, want 2 series", list)
	}
	b := list[0]
	if b.FQME != "btcusdt.spot.binance" || b.Period != 60 || b.Rows != 1440 || b.First != bars.Time[0] ||
		b.Last != bars.Time[1439] || b.Bytes == 0 || b.Problem != "" {
		t.Errorf("list entry %+v", b)
	}
	if g := list[1]; g.FQME != "goog.nasdaq" || g.Period != 86400 || g.Rows != int64(daily.Len()) {
		t.Errorf("list entry %+v", g)
	}

	// Append: an overlapping second half with one corrected bar.
	newer := bars.Rows(1000, 1440).Clone()
	newer.Close[0] += 1
	extra := bars.Time[1439] + 60
	newer.Add(extra, 1, 2, 0.5, 1.5, 10)
	old := bars.Rows(0, 1200).Clone()
	if err := st.Write("btcusdt.spot.binance", old); err != nil {
		t.Fatal(err)
	}
	rep, err := st.Append("btcusdt.spot.binance", newer)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 1441 || rep.Added != 241 || rep.Duplicates != 199 || len(rep.Conflicts) != 1 {
		t.Errorf("append report %+v", rep)
	}
	got, err = st.Read("btcusdt.spot.binance", 60)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != 1441 || got.Close[1000] != bars.Close[1000]+1 || got.Time[1440] != extra {
		t.Errorf("after append: %d bars, close[1000] %v", got.Len(), got.Close[1000])
	}
	// Append to a missing series creates it.
	if _, err := st.Append("eth.new", bars.Rows(0, 10)); err != nil {
		t.Fatal(err)
	}

	if err := st.Delete("goog.nasdaq", 86400); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete("goog.nasdaq", 86400); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := st.Read("goog.nasdaq", 86400); !errors.Is(err, ErrNotFound) {
		t.Errorf("read after delete: %v", err)
	}
}

func TestStoreListsForeignAndBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	src := oracle.Path(t, "parquet", "duckdb", "binance_1m.ts_ms.parquet")
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// A DuckDB file with millisecond timestamps dropped into the store.
	if err := os.WriteFile(filepath.Join(dir, "btcusdt.binance.ohlcv60s.parquet"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.x.ohlcv60s.parquet"), raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	list, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%+v", list)
	}
	if list[0].FQME != "bad.x" || list[0].Problem == "" {
		t.Errorf("truncated file: %+v", list[0])
	}
	if g := list[1]; g.Rows != 1440 || g.First != 1726876800 || g.Last != 1726963140 || g.Problem != "" {
		t.Errorf("duckdb file: %+v", g)
	}
	f, err := st.ReadRange("btcusdt.binance", 60, 1726876800+3600, 1726876800+7200)
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 60 || f.Time[0] != 1726876800+3600 {
		t.Errorf("range of a ms-timestamp file: %d bars", f.Len())
	}
	if _, err := st.Read("bad.x", 60); err == nil || !strings.Contains(err.Error(), "bad.x.ohlcv60s.parquet") {
		t.Errorf("reading a truncated file: %v", err)
	}
}

func TestParseSeriesFileName(t *testing.T) {
	for _, c := range []struct {
		name   string
		fqme   string
		period int64
		ok     bool
	}{
		{"btcusdt.spot.binance.ohlcv60s.parquet", "btcusdt.spot.binance", 60, true},
		{"mnq.cme.20230616.ib.ohlcv1s.parquet", "mnq.cme.20230616.ib", 1, true},
		{"x.ohlcv0s.parquet", "", 0, false},
		{"x.ohlcv60.parquet", "", 0, false},
		{"ohlcv60s.parquet", "", 0, false},
		{"x.ohlcv60s.csv", "", 0, false},
	} {
		fqme, p, ok := ParseSeriesFileName(c.name)
		if fqme != c.fqme || p != c.period || ok != c.ok {
			t.Errorf("%s: %q %d %v", c.name, fqme, p, ok)
		}
	}
}
