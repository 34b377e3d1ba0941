// Command storebench measures the workbench parquet store against DuckDB on
// the same ten million one-minute bars, in one run, and prints the ratios
// the store's speed goals are stated in (see ../README.md).
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"workbench/feeds"
	"workbench/frames"
)

func main() {
	n := flag.Int("n", 10_000_000, "bars to generate")
	reps := flag.Int("reps", 3, "repetitions of each timing (the median is reported)")
	dir := flag.String("dir", "", "working folder for the parquet files (default: a temporary folder, removed at the end)")
	childLoad := flag.String("child-load", "", "internal: load this file and report peak memory")
	flag.Parse()
	if *childLoad != "" {
		childMemory(*childLoad)
		return
	}
	if err := bench(*n, *reps, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "storebench:", err)
		os.Exit(1)
	}
}

// generate makes about n one-minute bars of the demo's synthetic crypto
// market (a random walk with volatility clusters and runs of missing bars,
// as an exchange's history with outages); the workbench's own parquet
// benchmarks use the same series.
func generate(n int) *frames.OHLCV {
	m := feeds.DemoMarkets()[0]
	start := int64(1_500_000_000)
	return feeds.GenerateBars(m, start, start+int64(n)*m.Period)
}

type result struct {
	name string
	secs float64
}

// timeIt runs fn reps times after a GC and returns the median seconds.
func timeIt(reps int, fn func() error) (float64, error) {
	var ds []float64
	for i := 0; i < reps; i++ {
		runtime.GC()
		start := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start).Seconds())
	}
	sort.Float64s(ds)
	return ds[len(ds)/2], nil
}

func bench(n, reps int, dir string) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "storebench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	ours := filepath.Join(dir, "ours.parquet")
	duck := filepath.Join(dir, "duckdb.parquet")

	fmt.Printf("storebench: %d one-minute bars, median of %d runs, GOMAXPROCS %d, %s\n", n, reps, runtime.GOMAXPROCS(0), runtime.Version())
	start := time.Now()
	bars := generate(n)
	n = bars.Len()
	rawMiB := float64(n*48) / (1 << 20)
	fmt.Printf("generated %d bars (the demo's synthetic crypto market) in %.2f s; raw columns %.0f MiB\n\n", n, time.Since(start).Seconds(), rawMiB)

	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return err
	}
	defer connector.Close()
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxOpenConns(1)
	var version string
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&version); err != nil {
		return err
	}

	var res []result
	add := func(name string, reps int, fn func() error) (float64, error) {
		s, err := timeIt(reps, fn)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		res = append(res, result{name, s})
		fmt.Printf("  %-58s %8.3f s\n", name, s)
		return s, nil
	}

	fmt.Println("write")
	usWrite, err := add("us: WriteParquet (zstd, delta time) to a file", reps, func() error {
		fh, err := os.Create(ours)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(fh, 1<<20)
		if err := frames.WriteParquet(w, bars); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return fh.Close()
	})
	if err != nil {
		return err
	}
	if _, err := add("us: WriteParquetFile (same, atomic: temp file, fsync, rename)", reps, func() error {
		return frames.WriteParquetFile(ours, bars)
	}); err != nil {
		return err
	}
	ctas, err := add("duckdb: CREATE TABLE AS SELECT * FROM read_parquet(ours)", reps, func() error {
		_, err := db.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE bars AS SELECT * FROM read_parquet('%s')", ours))
		return err
	})
	if err != nil {
		return err
	}
	duckWrite, err := add("duckdb: COPY bars TO … (FORMAT parquet, COMPRESSION zstd)", reps, func() error {
		_, err := db.ExecContext(ctx, fmt.Sprintf("COPY bars TO '%s' (FORMAT parquet, COMPRESSION zstd)", duck))
		return err
	})
	if err != nil {
		return err
	}

	fmt.Println("load")
	// Every timed load drops its result before the next rep, as the DuckDB
	// loads do: a result kept alive through timeIt's GC would make the next
	// rep load into fresh memory and pay a page fault per 4 KiB, which on
	// this VM costs more than the decoding.
	usLoad, err := add("us: ReadParquetFile(ours) into columns", reps, func() error {
		f, err := frames.ReadParquetFile(ours)
		if err == nil && f.Len() != n {
			err = fmt.Errorf("read %d bars from our file, want %d", f.Len(), n)
		}
		return err
	})
	if err != nil {
		return err
	}
	loaded, err := frames.ReadParquetFile(ours)
	if err != nil {
		return err
	}
	if loaded.Len() != n || loaded.Close[n/2] != bars.Close[n/2] {
		return fmt.Errorf("our load read %d bars, want %d", loaded.Len(), n)
	}
	if _, err := add("us: ReadParquetFile(DuckDB's file) into columns", reps, func() error {
		f, err := frames.ReadParquetFile(duck)
		if err == nil && f.Len() != n {
			err = fmt.Errorf("read %d bars from DuckDB's file, want %d", f.Len(), n)
		}
		return err
	}); err != nil {
		return err
	}
	arrowLoad, arrowErr := 0.0, error(nil)
	if arrowSupported {
		arrowLoad, arrowErr = add("duckdb: read_parquet(ours) via Arrow into Go slices", reps, func() error {
			got, err := arrowLoadInto(ctx, connector, ours)
			if err == nil && got != n {
				err = fmt.Errorf("arrow load gave %d rows, want %d", got, n)
			}
			return err
		})
		if arrowErr != nil {
			return arrowErr
		}
	} else {
		fmt.Println("  duckdb Arrow load: skipped (build with -tags duckdb_arrow)")
	}

	fmt.Println("range read")
	mid := bars.Time[n/2]
	dayFrom := mid - mid%86400
	rangeRead, err := add("us: ReadParquetFileRange(ours, one UTC day)", max(reps, 9), func() error {
		f, err := frames.ReadParquetFileRange(ours, dayFrom, dayFrom+86400)
		if err == nil && (f.Len() == 0 || f.Len() > 1440) {
			err = fmt.Errorf("one day gave %d bars", f.Len())
		}
		return err
	})
	if err != nil {
		return err
	}

	fmt.Println("gap scan")
	var rep frames.GapReport
	usGaps, err := add("us: FindGaps(10M bars, crypto calendar)", reps, func() error {
		rep = frames.FindGaps(loaded, frames.Crypto)
		return nil
	})
	if err != nil {
		return err
	}
	var duckGapCount int
	duckGaps, err := add("duckdb: LAG(time) OVER (ORDER BY time) gap list, table bars", reps, func() error {
		rows, err := db.QueryContext(ctx, `SELECT prev, time FROM (SELECT time, LAG(time) OVER (ORDER BY time) AS prev FROM bars) WHERE time - prev > 60`)
		if err != nil {
			return err
		}
		defer rows.Close()
		duckGapCount = 0
		for rows.Next() {
			var a, b int64
			if err := rows.Scan(&a, &b); err != nil {
				return err
			}
			duckGapCount++
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	if len(rep.Gaps) != duckGapCount {
		return fmt.Errorf("FindGaps found %d gaps, DuckDB %d", len(rep.Gaps), duckGapCount)
	}

	fmt.Println("peak memory of a load (fresh subprocess)")
	hwm, base, err := measureChild(ours)
	if err != nil {
		return err
	}
	fmt.Printf("  VmHWM %.0f MiB (process before loading: %.0f MiB)\n", hwm, base)

	st, _ := os.Stat(ours)
	sd, _ := os.Stat(duck)
	fmt.Printf("\nfiles: ours %.1f MB, DuckDB's %.1f MB; %s; %d gaps found by both\n\n",
		float64(st.Size())/1e6, float64(sd.Size())/1e6, version, duckGapCount)
	fmt.Println("ratios (goal in brackets)")
	ratio := func(what string, r, goal float64) {
		verdict := "meets"
		if r > goal {
			verdict = "MISSES"
		}
		fmt.Printf("  %-56s %6.3f×  [≤ %.2f×] %s\n", what, r, goal, verdict)
	}
	ratio("write zstd / DuckDB COPY zstd", usWrite/duckWrite, 1.0)
	if arrowSupported {
		ratio("load / DuckDB Arrow load into Go slices", usLoad/arrowLoad, 0.25)
	}
	ratio("load / DuckDB CREATE TABLE AS read_parquet", usLoad/ctas, 1.0)
	ratio("one-day range read / full load", rangeRead/usLoad, 0.05)
	ratio("gap scan / DuckDB LAG query", usGaps/duckGaps, 0.1)
	ratio("peak memory of a load / raw column bytes", hwm/rawMiB, 1.5)
	fmt.Printf("  %-56s %6.3f×\n", "  (same, minus the process before loading)", (hwm-base)/rawMiB)
	return nil
}

// measureChild loads the file in a fresh copy of this program and returns
// its peak resident memory and its resident memory before loading, in MiB.
func measureChild(path string) (hwm, base float64, err error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	out, err := exec.Command(exe, "-child-load", path).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("memory subprocess: %v: %s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("memory subprocess said %q", out)
	}
	hwm, err1 := strconv.ParseFloat(f[0], 64)
	base, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("memory subprocess said %q", out)
	}
	return hwm / 1024, base / 1024, nil
}

// childMemory is the subprocess side: print VmHWM after the load and VmRSS
// before it, in KiB.
func childMemory(path string) {
	base := procStatus("VmRSS")
	f, err := frames.ReadParquetFile(path)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	hwm := procStatus("VmHWM")
	runtime.KeepAlive(f)
	fmt.Println(hwm, base)
}

func procStatus(key string) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return -1
}
