package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"workbench/internal/oracle"
)

// storeWithFile makes a store holding one oracle parquet file under a
// piker-style name, as another writer would have left it.
func storeWithFile(t *testing.T, src, fqme string, period int) string {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	name := filepath.Join(dir, fqme+".ohlcv"+strconv.Itoa(period)+"s.parquet")
	if err := os.WriteFile(name, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStoreGapsFindsManifestGapsAndDuplicates(t *testing.T) {
	dir := storeWithFile(t, oracle.Path(t, "parquet", "duckdb", "binance_1m.gaps_dups.parquet"), "btcusdt.spot.binance", 60)
	raw, err := os.ReadFile(oracle.Path(t, "parquet", "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Other entries hold a summary object under "gaps", so find ours first.
	var manifest struct {
		Files []json.RawMessage `json:"files"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	var want struct {
		File string `json:"file"`
		Gaps []struct {
			After, Before int64
			Missing       int64 `json:"missing_bars"`
		} `json:"gaps"`
		Dups []struct {
			Time   int64 `json:"time"`
			Copies int   `json:"copies"`
		} `json:"duplicates"`
	}
	for _, f := range manifest.Files {
		if strings.Contains(string(f), `"parquet/duckdb/binance_1m.gaps_dups.parquet"`) {
			if err := json.Unmarshal(f, &want); err != nil {
				t.Fatal(err)
			}
		}
	}
	if want.File == "" {
		t.Fatal("MANIFEST.json has no binance_1m.gaps_dups entry")
	}

	// The calendar comes from the venue: binance trades 24/7.
	code, out, errOut := runCLI(t, "store", "gaps", "btcusdt.spot.binance", "--store", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got gapsJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Calendar != "crypto" || got.FQME != "btcusdt.spot.binance" || len(got.Gaps) != len(want.Gaps) || len(got.Duplicates) != len(want.Dups) {
		t.Fatalf("report %+v, manifest %+v", got, want)
	}
	for i, g := range got.Gaps {
		if g.LastBar != want.Gaps[i].After || g.NextBar != want.Gaps[i].Before || g.Missing != want.Gaps[i].Missing {
			t.Errorf("gap %d: %+v, manifest %+v", i, g, want.Gaps[i])
		}
	}
	for i, d := range got.Duplicates {
		if d.Time != want.Dups[i].Time || d.Copies != want.Dups[i].Copies {
			t.Errorf("duplicate %d: %+v, manifest %+v", i, d, want.Dups[i])
		}
	}

	code, out, _ = runCLI(t, "store", "gaps", "btcusdt.spot.binance", "--period", "1m", "--store", dir)
	if code != 0 || !strings.Contains(out, "3 unexpected") || !strings.Contains(out, "2024-09-21 16:39") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}
}

func TestStoreGapsCMECalendarFromVenue(t *testing.T) {
	dir := storeWithFile(t, oracle.Path(t, "parquet", "duckdb", "cme_6EH4_1m.rg2048.parquet"), "6eh4.cme.ib", 60)
	code, out, errOut := runCLI(t, "store", "gaps", "6eh4.cme.ib", "--store", dir, "--all")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Weekends and daily halts are listed with --all and are market closed,
	// in Chicago time unless --tz says otherwise; 6E is a currency future.
	if !strings.Contains(out, "calendar cme-fx") || !strings.Contains(out, "22 market closed") ||
		!strings.Contains(out, "last bar (Chicago)") || !strings.Contains(out, "2024-01-05 15:59      2024-01-07 17:00") {
		t.Errorf("report:\n%s", out)
	}
	code, out, _ = runCLI(t, "store", "gaps", "6eh4.cme.ib", "--store", dir, "--all", "--tz", "UTC")
	if code != 0 || !strings.Contains(out, "2024-01-05 21:59      2024-01-07 23:00") {
		t.Errorf("report in UTC (exit %d):\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "store", "gaps", "6eh4.cme.ib", "--store", dir, "--tz", "Moon/Base"); code != 2 ||
		!strings.Contains(errOut, "--tz") {
		t.Errorf("bad --tz: exit %d, %s", code, errOut)
	}
}

func TestStoreGapsUsageErrors(t *testing.T) {
	dir := storeWithFile(t, oracle.Path(t, "parquet", "duckdb", "goog_daily.parquet"), "goog.xyz.yahoo", 86400)
	code, _, errOut := runCLI(t, "store", "gaps", "goog.xyz.yahoo", "--store", dir)
	if code != 2 || !strings.Contains(errOut, "--calendar") {
		t.Errorf("unknown venue without --calendar: exit %d, %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "store", "gaps", "goog.xyz.yahoo", "--store", dir, "--calendar", "lse")
	if code != 2 || !strings.Contains(errOut, "crypto, us-equity, cme") {
		t.Errorf("bad --calendar: exit %d, %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "store", "gaps", "nope.cme.ib", "--store", dir)
	if code != 1 || !strings.Contains(errOut, "nope.cme.ib") {
		t.Errorf("missing series: exit %d, %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "store", "gaps", "goog.xyz.yahoo", "--store", dir, "--calendar", "us-equity")
	if code != 0 || !strings.Contains(out, "0 unexpected") || !strings.Contains(out, "225 market closed") {
		t.Errorf("GOOG daily under us-equity: exit %d\n%s%s", code, out, errOut)
	}
}
