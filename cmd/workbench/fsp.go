package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"workbench/frames"
	"workbench/fsp"
	"workbench/internal/atomicfile"
)

func init() {
	register(&command{
		name:  "fsp",
		usage: "fsp FILE|FQME [--period P] --ind 'rsi(14),ema(20),macd(12,26,9)' -o OUT.csv|OUT.parquet|- (or: fsp --list)",
		summary: "compute indicators over a bar file (.csv or .parquet) or a stored series and write time plus one " +
			"column per indicator output",
		run: runFSP,
	})
}

func runFSP(ctx context.Context, e *env, args []string) error {
	c := commands["fsp"]
	fs := e.flags(c)
	var period periodFlag
	fs.Var(&period, "period", "bar period `P` (60, 1m, 1h, 1d): of the stored series to read, or to resample a file to")
	ind := fs.String("ind", "", "indicator `SPECS`, comma-separated: rsi(14),ema(20,rsi(14)),macd(12,26,9) (see --list)")
	out := fs.String("o", "", "output `FILE`: .csv or .parquet, or - for CSV on stdout")
	list := fs.Bool("list", false, "list the indicators with their parameters and outputs")
	align := addAlignFlags(fs)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if *list {
		for _, d := range fsp.Defs() {
			fmt.Fprintf(e.stdout, "%-60s %s\n", d.Usage(), d.Doc)
		}
		return nil
	}
	if len(pos) != 1 {
		return usagef("want one FILE or FQME, got %d arguments", len(pos))
	}
	if strings.TrimSpace(*ind) == "" {
		return usagef("--ind is required: indicator specs such as 'rsi(14),macd(12,26,9)' (fsp --list shows them all)")
	}
	specs, err := fsp.Parse(*ind)
	if err != nil {
		return usagef("--ind: %v", err)
	}
	if *out == "" {
		return usagef("-o is required: the output .csv or .parquet file, or - for CSV on stdout")
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if *out == "-" {
		ext = ".csv"
	} else if ext != ".csv" && ext != ".parquet" {
		return usagef("-o %q: want a .csv or .parquet file, or - for CSV on stdout", *out)
	}
	f, err := loadBars(e, pos[0], period.secs, align)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	cas, err := fsp.AttachSpecs(f, specs)
	if err != nil {
		return usagef("--ind: %v", err)
	}
	tab := fspTable{time: cas.Time(), names: cas.Columns()}
	for _, name := range tab.names {
		tab.cols = append(tab.cols, cas.Column(name))
	}
	if *out == "-" {
		return tab.writeCSV(e.stdout)
	}
	write := tab.writeCSV
	if ext == ".parquet" {
		write = tab.writeParquet
	}
	if err := atomicfile.Write(*out, 0o644, write); err != nil {
		return fmt.Errorf("fsp -o %s: %w", *out, err)
	}
	fmt.Fprintf(e.stdout, "wrote %d bars × %d columns (%s) to %s\n", len(tab.time), len(tab.names), strings.Join(tab.names, ", "), *out)
	return nil
}

// loadBars reads src as a .csv or .parquet bar file when it names one,
// otherwise as an FQME from the store (which needs the period). A file is
// resampled to period when one is given and differs from the file's.
func loadBars(e *env, src string, period int64, align alignFlags) (*frames.OHLCV, error) {
	switch strings.ToLower(filepath.Ext(src)) {
	case ".csv", ".parquet":
		var f *frames.OHLCV
		var err error
		if strings.EqualFold(filepath.Ext(src), ".csv") {
			f, err = frames.ReadCSVFile(src)
		} else {
			f, err = frames.ReadParquetFile(src)
		}
		if err != nil {
			return nil, fmt.Errorf("fsp %s: %w", src, err)
		}
		cal, err := align.resolve("")
		if err != nil {
			return nil, err
		}
		if period > 0 && period != f.Period {
			if f, err = f.ResampleIn(period, cal); err != nil {
				return nil, fmt.Errorf("fsp %s --period %s: %w", src, frames.FormatPeriod(period), err)
			}
		}
		return f, nil
	}
	if period <= 0 {
		return nil, usagef("--period is required to read %s from the store (or give a .csv or .parquet file)", src)
	}
	st, err := frames.OpenStore(e.storeDir())
	if err != nil {
		return nil, fmt.Errorf("fsp: %w", err)
	}
	cal, err := align.resolve(src)
	if err != nil {
		return nil, err
	}
	f, _, err := st.ReadRangeAsIn(src, period, math.MinInt64, math.MaxInt64, cal)
	if errors.Is(err, frames.ErrNotFound) {
		return nil, fmt.Errorf("fsp: no %s series of %s in the store %s (workbench store ls lists them): %w",
			frames.FormatPeriod(period), src, e.storeDir(), err)
	}
	if err != nil {
		return nil, fmt.Errorf("fsp %s: %w", src, err)
	}
	return f, nil
}

// fspTable is the output: bar times and named columns of equal length.
type fspTable struct {
	time  []int64
	names []string
	cols  [][]float64
}

// writeCSV writes a header "time,<names>" and one row per bar; a NaN (no
// value yet) is an empty cell and numbers are shortest round-trip decimals.
func (t *fspTable) writeCSV(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString("time")
	for _, n := range t.names {
		bw.WriteByte(',')
		bw.WriteString(n)
	}
	bw.WriteByte('\n')
	var buf []byte
	for i, tm := range t.time {
		buf = strconv.AppendInt(buf[:0], tm, 10)
		for _, c := range t.cols {
			buf = append(buf, ',')
			if v := c[i]; !math.IsNaN(v) {
				buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			}
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeParquet writes a required INT64 time column (epoch seconds) and one
// optional DOUBLE column per output, null where the output is NaN.
func (t *fspTable) writeParquet(w io.Writer) error {
	group := parquet.Group{"time": parquet.Leaf(parquet.Int64Type)}
	for _, n := range t.names {
		group[n] = parquet.Optional(parquet.Leaf(parquet.DoubleType))
	}
	schema := parquet.NewSchema("fsp", group)
	// The schema orders columns by name; find each one's leaf index.
	idx := map[string]int{}
	for i, path := range schema.Columns() {
		idx[path[0]] = i
	}
	order := make([]int, len(t.names)+1) // order[k]: where value k of a row goes
	order[0] = idx["time"]
	for k, n := range t.names {
		order[k+1] = idx[n]
	}
	pw := parquet.NewWriter(w, schema)
	rows := make([]parquet.Row, 0, 4096)
	flush := func() error {
		if _, err := pw.WriteRows(rows); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
		rows = rows[:0]
		return nil
	}
	for i, tm := range t.time {
		row := make(parquet.Row, len(order))
		row[order[0]] = parquet.Int64Value(tm).Level(0, 0, order[0])
		for k, c := range t.cols {
			col := order[k+1]
			if v := c[i]; math.IsNaN(v) {
				row[col] = parquet.NullValue().Level(0, 0, col)
			} else {
				row[col] = parquet.DoubleValue(v).Level(0, 1, col)
			}
		}
		if rows = append(rows, row); len(rows) == cap(rows) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}
