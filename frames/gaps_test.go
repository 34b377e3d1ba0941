package frames

import (
	"encoding/json"
	"os"
	"testing"

	"workbench/internal/oracle"
)

// gapsManifestFile is one file's entry in oracles/data/parquet/MANIFEST.json.
type gapsManifestFile struct {
	File string          `json:"file"`
	Gaps json.RawMessage `json:"gaps"`
	Dups []struct {
		Time   int64 `json:"time"`
		Copies int   `json:"copies"`
	} `json:"duplicates"`
}

type gapsManifestGap struct {
	After   int64 `json:"after"`  // last bar before the gap
	Before  int64 `json:"before"` // first bar after it
	Missing int64 `json:"missing_bars"`
}

func gapsManifestEntry(t *testing.T, file string) gapsManifestFile {
	t.Helper()
	raw, err := os.ReadFile(oracle.Path(t, "parquet", "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Files []gapsManifestFile `json:"files"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if f.File == file {
			return f
		}
	}
	t.Fatalf("MANIFEST.json has no %s", file)
	return gapsManifestFile{}
}

// gapCount reads a manifest "gaps" value that is a summary {count, first_5}.
func gapCount(t *testing.T, raw json.RawMessage) (int, []gapsManifestGap) {
	t.Helper()
	var s struct {
		Count  int               `json:"count"`
		First5 []gapsManifestGap `json:"first_5"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s.Count, s.First5
}

func TestFindGapsGoogDailyUSEquity(t *testing.T) {
	f, err := ReadCSVFile(oracle.Path(t, "ohlcv", "goog_daily_2004-2008.csv"))
	if err != nil {
		t.Fatal(err)
	}
	r := FindGaps(f, USEquity)
	if r.Summary.Unexpected != 0 {
		t.Errorf("GOOG daily under us-equity: %d unexpected gaps, want 0:\n%s", r.Summary.Unexpected, r)
	}
	count, first5 := gapCount(t, gapsManifestEntry(t, "parquet/duckdb/goog_daily.parquet").Gaps)
	if r.Summary.Gaps != count || r.Summary.MarketClosed != count {
		t.Errorf("GOOG daily: %d gaps (%d market closed), manifest says %d", r.Summary.Gaps, r.Summary.MarketClosed, count)
	}
	for i, g := range first5 {
		if i < len(r.Gaps) && (r.Gaps[i].LastBar != g.After || r.Gaps[i].NextBar != g.Before || r.Gaps[i].Slots != g.Missing) {
			t.Errorf("gap %d = %+v, manifest %+v", i, r.Gaps[i], g)
		}
	}
	if !r.Clean() {
		t.Errorf("GOOG daily should be clean:\n%s", r)
	}
	// Without the calendar every weekend is a hole in the data.
	if c := FindGaps(f, Crypto); c.Summary.Unexpected != count {
		t.Errorf("GOOG daily under crypto: %d unexpected, want %d", c.Summary.Unexpected, count)
	}
}

func TestFindGapsCME6E(t *testing.T) {
	f, err := ReadCSVFile(oracle.Path(t, "ohlcv", "cme_6EH4_1m_2024-01.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// 6E is a currency future: cme-fx, which trades through MLK Day 2024
	// (the tape runs to 16:00 CT) where equity index futures halt at 12:00.
	r := FindGaps(f, CMEFX)
	count, first5 := gapCount(t, gapsManifestEntry(t, "parquet/duckdb/cme_6EH4_1m.rg2048.parquet").Gaps)
	if r.Summary.Gaps != count {
		t.Errorf("6E: %d gaps, manifest says %d", r.Summary.Gaps, count)
	}
	for i, g := range first5 {
		if r.Gaps[i].LastBar != g.After || r.Gaps[i].NextBar != g.Before || r.Gaps[i].Missing != g.Missing {
			t.Errorf("gap %d = %+v, manifest %+v", i, r.Gaps[i], g)
		}
	}
	spanning := 0
	for _, g := range r.Gaps {
		// A gap spans a halt or a weekend when the calendar is closed at
		// some instant inside it.
		closedInside := false
		for ts := g.LastBar + 60; ts < g.NextBar; ts += 60 {
			if !CMEFX.IsOpen(ts) {
				closedInside = true
				break
			}
		}
		if !closedInside {
			if g.Kind != GapUnexpected {
				t.Errorf("gap inside a session %+v should be unexpected", g)
			}
			continue
		}
		spanning++
		if g.Kind != GapMarketClosed {
			t.Errorf("gap across a halt or weekend %s -> %s is %s", formatBarTime(g.LastBar, 60), formatBarTime(g.NextBar, 60), g.Kind)
		}
	}
	// Four weekends and eighteen daily halts in January 2024's data.
	if spanning != 22 || r.Summary.MarketClosed != 22 {
		t.Errorf("%d gaps span a closure, %d market closed; want 22", spanning, r.Summary.MarketClosed)
	}
	if r.Summary.NoTrades == 0 {
		t.Errorf("6E overnight one-minute holes should read as plausibly no trades:\n%s", r)
	}
}

func TestFindGapsDuplicatesNullsOrder(t *testing.T) {
	f := New(60, 0)
	add := func(ts int64, px, v float64) { f.Add(ts, px, px, px, px, v) }
	add(600, 1, 1)
	add(660, 1, 1)
	add(660, 1, 1)  // identical copy
	add(720, 2, 1)  //
	add(720, 2, 5)  // conflicting copy
	add(0, 0, 0)    // zero time and prices
	add(780, 0, 0)  // all prices zero
	add(700, 3, 1)  // out of order
	add(1080, 3, 1) // 4 missing
	r := FindGaps(f, nil)
	s := r.Summary
	if s.Duplicates != 2 || s.DuplicateRows != 2 || s.Conflicting != 1 || s.NullRows != 2 || s.OutOfOrder != 1 || s.Gaps != 1 {
		t.Fatalf("summary %+v\n%s", s, r)
	}
	if g := r.Gaps[0]; g.LastBar != 780 || g.NextBar != 1080 || g.Missing != 4 || g.Kind != GapUnexpected {
		t.Errorf("gap %+v", g)
	}
	if r.NullRows[0].Row != 5 || r.NullRows[1].Row != 6 || r.OutOfOrder[0].Row != 7 {
		t.Errorf("rows: null %+v, out of order %+v", r.NullRows, r.OutOfOrder)
	}
}

// BenchmarkFindGaps10M scans 10M one-minute bars with a gap every 10,000
// bars, the "gap scan of 10M bars" measurement (compare with
// DuckDB's LAG query in bench/).
func BenchmarkFindGaps10M(b *testing.B) {
	const n = 10_000_000
	f := &OHLCV{Period: 60, Time: make([]int64, n)}
	ts := int64(1_600_000_000)
	for i := range f.Time {
		if i%10_000 == 9_999 {
			ts += 5 * 60
		}
		f.Time[i] = ts
		ts += 60
	}
	// The scan reads prices only to find null rows; one shared column of
	// ones keeps the benchmark's memory to two columns.
	ones := make([]float64, n)
	for i := range ones {
		ones[i] = 1
	}
	f.Open, f.High, f.Low, f.Close, f.Volume = ones, ones, ones, ones, ones
	b.SetBytes(16 * n)
	b.ResetTimer()
	for b.Loop() {
		r := FindGaps(f, CME)
		if r.Summary.Gaps < 999 {
			b.Fatalf("found %d gaps", r.Summary.Gaps)
		}
	}
}

// The manifest lists the deliberate gaps and duplicates of the
// binance_1m.gaps_dups files; FindGaps must find exactly those.
func TestFindGapsBinanceGapsDups(t *testing.T) {
	for _, file := range []string{"parquet/duckdb/binance_1m.gaps_dups.parquet", "parquet/hyparquet/binance_1m.gaps_dups.parquet"} {
		t.Run(file, func(t *testing.T) {
			m := gapsManifestEntry(t, file)
			var want []gapsManifestGap
			if err := json.Unmarshal(m.Gaps, &want); err != nil {
				t.Fatal(err)
			}
			f, err := ReadParquetFile(oracle.Path(t, file))
			if err != nil {
				t.Fatal(err)
			}
			r := FindGaps(f, Crypto)
			if len(r.Gaps) != len(want) {
				t.Fatalf("%d gaps, manifest lists %d:\n%s", len(r.Gaps), len(want), r)
			}
			for i, g := range r.Gaps {
				w := want[i]
				if g.LastBar != w.After || g.NextBar != w.Before || g.Missing != w.Missing || g.Kind != GapUnexpected {
					t.Errorf("gap %d = %+v, manifest %+v", i, g, w)
				}
			}
			if len(r.Duplicates) != len(m.Dups) {
				t.Fatalf("%d duplicates, manifest lists %d:\n%s", len(r.Duplicates), len(m.Dups), r)
			}
			for i, d := range r.Duplicates {
				if d.Time != m.Dups[i].Time || d.Copies != m.Dups[i].Copies {
					t.Errorf("duplicate %d = %+v, manifest %+v", i, d, m.Dups[i])
				}
			}
			// The README says only the 11:40 copy differs from its original.
			if r.Summary.Conflicting != 1 || !r.Duplicates[2].Conflicting {
				t.Errorf("conflicting duplicates: %+v", r.Duplicates)
			}
			if r.Summary.NullRows != 0 || r.Summary.OutOfOrder != 0 {
				t.Errorf("summary %+v", r.Summary)
			}
		})
	}
}
