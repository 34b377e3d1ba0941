package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"workbench/feeds"
	"workbench/frames"
	"workbench/internal/atomicfile"
)

func init() {
	registerDemoStep(demoStep{order: 10, name: "synthetic store", run: demoSyntheticStore})
	registerDemoStep(demoStep{order: 20, name: "gap reports", run: demoGapReports})
}

// The demo's fixed three weeks: fixed so every run writes the same bars, and
// chosen to hold a US holiday (Martin Luther King Jr. Day, 2026-01-19) that
// the equity's gap report shows as market closed.
var (
	demoFrom = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Unix()
	demoTo   = time.Date(2026, 1, 26, 0, 0, 0, 0, time.UTC).Unix()
)

// demoSyntheticStore writes each demo market's one-minute bars to the store.
func demoSyntheticStore(ctx context.Context, d *demoRun) error {
	st, err := frames.OpenStore(d.StoreDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%s .. %s, one-minute bars, into %s\n",
		time.Unix(demoFrom, 0).UTC().Format(time.DateOnly), time.Unix(demoTo, 0).UTC().Format(time.DateOnly), d.StoreDir)
	for _, m := range feeds.DemoMarkets() {
		if err := ctx.Err(); err != nil {
			return err
		}
		f := feeds.GenerateBars(m, demoFrom, demoTo)
		if err := st.Write(m.FQME, f); err != nil {
			return err
		}
		d.Markets = append(d.Markets, demoMarket{FQME: m.FQME, Period: m.Period, Calendar: m.Calendar})
		lo, hi := priceRange(f)
		fmt.Fprintf(d.out, "%-26s %-9s %7d bars  %10.2f .. %.2f\n", m.FQME, m.Calendar, f.Len(), lo, hi)
	}
	return nil
}

// priceRange is the lowest low and highest high; NaN for no bars.
func priceRange(f *frames.OHLCV) (lo, hi float64) {
	if f.Len() == 0 {
		return math.NaN(), math.NaN()
	}
	lo, hi = f.Low[0], f.High[0]
	for i := range f.Len() {
		lo, hi = min(lo, f.Low[i]), max(hi, f.High[i])
	}
	return lo, hi
}

// demoGapReports prints each market's gap report and writes it as JSON to
// Dir/gaps/<fqme>.json.
func demoGapReports(ctx context.Context, d *demoRun) error {
	st, err := frames.OpenStore(d.StoreDir)
	if err != nil {
		return err
	}
	dir := filepath.Join(d.Dir, "gaps")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("gap reports: %w", err)
	}
	for _, m := range d.Markets {
		if err := ctx.Err(); err != nil {
			return err
		}
		cal, err := frames.CalendarByName(m.Calendar)
		if err != nil {
			return fmt.Errorf("%s: %w", m.FQME, err)
		}
		f, err := st.Read(m.FQME, m.Period)
		if err != nil {
			return err
		}
		r := frames.FindGaps(f, cal)
		fmt.Fprintf(d.out, "\n%s: ", m.FQME)
		r.WriteTable(d.out, false)
		path := filepath.Join(dir, m.FQME+".json")
		err = atomicfile.Write(path, 0o644, func(w io.Writer) error { return writeGapsJSON(w, m.FQME, r) })
		if err != nil {
			return fmt.Errorf("gap report %s: %w", path, err)
		}
	}
	fmt.Fprintf(d.out, "\nJSON reports in %s (see also `workbench store gaps F --store %s --all`)\n", dir, d.StoreDir)
	return nil
}
