package sweep

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/shopspring/decimal"

	"workbench/paper"
)

// Columns are the names of a results table's columns: one per parameter,
// fqme, then the keys of a backtest report's stats object. A parameter
// named like another column is an error.
func (c *Config) Columns() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(n string) error {
		if seen[n] {
			return &paper.ParamError{Name: n, Problem: "a parameter may not be named like a column of the results (fqme or a statistic)"}
		}
		seen[n] = true
		out = append(out, n)
		return nil
	}
	for _, a := range c.Grid {
		add(a.Param.Name)
	}
	for _, n := range append([]string{"fqme"}, statNames()...) {
		if err := add(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func statNames() []string {
	cols := paper.StatColumns()
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// StatIndex is the position of a statistic in Row.Stats, or an error
// listing the numeric statistics.
func StatIndex(name string) (int, error) {
	var names []string
	for i, c := range paper.StatColumns() {
		if c.Name == name && c.Kind != paper.DecimalStat {
			return i, nil
		}
		if c.Kind != paper.DecimalStat {
			names = append(names, c.Name)
		}
	}
	return 0, fmt.Errorf("unknown metric %q (one of %v)", name, names)
}

// Metric is a row's value of statistic k as a float (NaN where undefined).
func (r Row) Metric(k int) float64 {
	if r.Err != "" {
		return math.NaN()
	}
	switch x := r.Stats[k].(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return math.NaN()
}

// Sorted returns the rows in job order.
func Sorted(rows map[int]Row) []Row {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Job < out[j].Job })
	return out
}

// Best orders rows by statistic k, best (highest) first; undefined values
// go last and ties keep job order.
func Best(rows []Row, k int) []Row {
	out := append([]Row(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Metric(k), out[j].Metric(k)
		if math.IsNaN(b) {
			return !math.IsNaN(a)
		}
		return a > b
	})
	return out
}

// Cell formats a value for the CSV table: parameters as --set reads them,
// floats in the shortest form that reads back exactly, undefined as empty.
func Cell(v any) string {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case decimal.Decimal:
		return x.String()
	}
	return paper.FormatParam(v)
}

// Cells are a row's values in Columns' order, formatted as in the CSV.
func (c *Config) Cells(r Row) []string {
	combo, si := c.Job(r.Job)
	var out []string
	for _, s := range c.Grid.At(combo) {
		out = append(out, Cell(s.Value))
	}
	out = append(out, c.Series[si].Market.FQME())
	if r.Err != "" {
		return append(out, make([]string, len(paper.StatColumns()))...)
	}
	for _, v := range r.Stats {
		out = append(out, Cell(v))
	}
	return out
}

// WriteCSV writes rows (in job order) as CSV with a header.
func (c *Config) WriteCSV(w io.Writer, rows []Row) error {
	cols, err := c.Columns()
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(cols)
	for _, r := range rows {
		cw.Write(c.Cells(r))
	}
	cw.Flush()
	return cw.Error()
}

// WriteParquet writes rows as parquet, columns in Columns' order: int and
// float parameters as INT64 and DOUBLE, durations and strings as strings,
// bools as BOOLEAN; statistics as optional DOUBLE (null where undefined),
// INT64, and money as its exact decimal string, all null in a failed row.
func (c *Config) WriteParquet(w io.Writer, rows []Row) error {
	cols, err := c.Columns()
	if err != nil {
		return err
	}
	var fields []reflect.StructField
	field := func(name string, t reflect.Type, opt bool) {
		tag := name
		if opt {
			tag += ",optional"
		}
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("F%d", len(fields)), Type: t,
			Tag: reflect.StructTag(fmt.Sprintf(`parquet:%q`, tag))})
	}
	str, i64, f64, bl := reflect.TypeOf(""), reflect.TypeOf(int64(0)), reflect.TypeOf(0.0), reflect.TypeOf(false)
	for _, a := range c.Grid {
		t := str
		switch a.Param.Kind {
		case paper.IntParam:
			t = i64
		case paper.FloatParam:
			t = f64
		case paper.BoolParam:
			t = bl
		}
		field(cols[len(fields)], t, false)
	}
	field("fqme", str, false)
	for _, s := range paper.StatColumns() {
		switch s.Kind {
		case paper.FloatStat:
			field(s.Name, reflect.PointerTo(f64), true)
		case paper.IntStat:
			field(s.Name, reflect.PointerTo(i64), true)
		default:
			field(s.Name, reflect.PointerTo(str), true)
		}
	}
	t := reflect.StructOf(fields)
	pw := parquet.NewWriter(w, parquet.SchemaOf(reflect.New(t).Interface()))
	v := reflect.New(t)
	for _, r := range rows {
		e := v.Elem()
		combo, si := c.Job(r.Job)
		k := 0
		for _, s := range c.Grid.At(combo) {
			switch x := s.Value.(type) {
			case time.Duration:
				e.Field(k).SetString(x.String())
			default:
				e.Field(k).Set(reflect.ValueOf(x))
			}
			k++
		}
		e.Field(k).SetString(c.Series[si].Market.FQME())
		k++
		for n := range paper.StatColumns() {
			f := e.Field(k + n)
			f.SetZero()
			if r.Err != "" {
				continue
			}
			switch x := r.Stats[n].(type) {
			case float64:
				if !math.IsNaN(x) && !math.IsInf(x, 0) {
					f.Set(reflect.ValueOf(&x))
				}
			case int64:
				f.Set(reflect.ValueOf(&x))
			case decimal.Decimal:
				d := x.String()
				f.Set(reflect.ValueOf(&d))
			}
		}
		if err := pw.Write(v.Interface()); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// Journal is the file a sweep appends each finished row to, so that an
// interrupted sweep resumes where it stopped. Its first line names the
// sweep (Config.Key); a rerun with another key refuses it.
type Journal struct {
	f *os.File
	w *bufio.Writer
}

type journalHead struct {
	Sweep string `json:"sweep"`
}

type journalRow struct {
	Job    int        `json:"job"`
	Err    string     `json:"err,omitempty"`
	Stats  []string   `json:"stats"`
	Blocks [][]string `json:"blocks"`
}

// exact formats a float so that it reads back bit for bit (NaN and ±Inf too).
func exact(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// OpenJournal opens (creating it if need be) the journal at path for the
// sweep key, and returns the rows it already holds. A last line cut short
// by a crash is dropped.
func OpenJournal(path, key string) (*Journal, map[int]Row, error) {
	rows := map[int]Row{}
	cols := paper.StatColumns()
	j, err := openLines(path, key, func(l []byte) error {
		var jr journalRow
		if err := json.Unmarshal(l, &jr); err != nil {
			return err
		}
		r, err := jr.row(cols)
		if err != nil {
			return err
		}
		rows[r.Job] = r
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return j, rows, nil
}

// openLines opens an append-only file of JSON lines whose first line names
// the work it is for (key), passes each complete line after it to read,
// and drops a last line torn by a crash, so that it is written again.
func openLines(path, key string, read func([]byte) error) (*Journal, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("journal: %w", err)
	}
	keep := 0
	if len(data) > 0 {
		lines := bytes.SplitAfter(data, []byte("\n"))
		var h journalHead
		if err := json.Unmarshal(lines[0], &h); err != nil || !bytes.HasSuffix(lines[0], []byte("\n")) {
			return nil, fmt.Errorf("journal %s line 1: not a sweep journal", path)
		}
		if h.Sweep != key {
			return nil, fmt.Errorf("journal %s holds the rows of another sweep (other strategy, grid, data or settings): "+
				"choose another -o or remove it", path)
		}
		keep = len(lines[0])
		for n, l := range lines[1:] {
			if !bytes.HasSuffix(l, []byte("\n")) {
				break // torn by a crash: that work runs again
			}
			if err := read(l); err != nil {
				return nil, fmt.Errorf("journal %s line %d: %w", path, n+2, err)
			}
			keep += len(l)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := f.Truncate(int64(keep)); err == nil {
		_, err = f.Seek(int64(keep), io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{f: f, w: bufio.NewWriter(f)}
	if keep == 0 {
		b, _ := json.Marshal(journalHead{Sweep: key})
		if err := j.writeLine(b); err != nil {
			f.Close()
			return nil, err
		}
	}
	return j, nil
}

func (jr journalRow) row(cols []paper.StatColumn) (Row, error) {
	r := Row{Job: jr.Job, Err: jr.Err}
	if r.Err != "" {
		return r, nil
	}
	var err error
	if r.Stats, err = decodeStats(cols, jr.Stats); err != nil {
		return r, err
	}
	for _, b := range jr.Blocks {
		if len(b) != 5 {
			return r, fmt.Errorf("a block of %d moments, want 5", len(b))
		}
		var x [5]float64
		for i, s := range b {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return r, fmt.Errorf("block: %w", err)
			}
			x[i] = f
		}
		r.Blocks = append(r.Blocks, Moments{x[0], x[1], x[2], x[3], x[4]})
	}
	return r, nil
}

// encodeStats formats statistics (Stats.Values' order) so that
// decodeStats reads them back bit for bit.
func encodeStats(vals []any) []string {
	var out []string
	for _, v := range vals {
		switch x := v.(type) {
		case float64:
			out = append(out, exact(x))
		case decimal.Decimal:
			out = append(out, x.String())
		default:
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

func decodeStats(cols []paper.StatColumn, ss []string) ([]any, error) {
	if len(ss) != len(cols) {
		return nil, fmt.Errorf("%d statistics, want %d", len(ss), len(cols))
	}
	out := make([]any, len(ss))
	for i, s := range ss {
		var err error
		switch cols[i].Kind {
		case paper.FloatStat:
			out[i], err = strconv.ParseFloat(s, 64)
		case paper.IntStat:
			out[i], err = strconv.ParseInt(s, 10, 64)
		default:
			out[i], err = decimal.NewFromString(s)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cols[i].Name, err)
		}
	}
	return out, nil
}

// EncodeRow writes a row as one line of JSON that DecodeRow reads back
// bit for bit (the journal's lines, and a worker's results).
func EncodeRow(r Row) ([]byte, error) {
	jr := journalRow{Job: r.Job, Err: r.Err, Stats: encodeStats(r.Stats)}
	for _, b := range r.Blocks {
		jr.Blocks = append(jr.Blocks, []string{exact(b.N), exact(b.S1), exact(b.S2), exact(b.S3), exact(b.S4)})
	}
	return json.Marshal(jr)
}

// DecodeRow reads a row EncodeRow wrote.
func DecodeRow(b []byte) (Row, error) {
	var jr journalRow
	if err := json.Unmarshal(b, &jr); err != nil {
		return Row{}, err
	}
	return jr.row(paper.StatColumns())
}

// Append writes a finished row and flushes it to the file.
func (j *Journal) Append(r Row) error {
	line, err := EncodeRow(r)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return j.writeLine(line)
}

// writeLine appends a line and flushes it to the file.
func (j *Journal) writeLine(b []byte) error {
	j.w.Write(append(b, '\n'))
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }
