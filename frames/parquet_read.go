package frames

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// ReadParquetFile reads an OHLCV parquet file written by us, DuckDB, polars,
// pandas/arrow or piker (see ReadParquet). Times read in another unit than
// the rest of their column are logged; ReadParquetFileWithWarnings returns
// them instead.
func ReadParquetFile(path string) (*OHLCV, error) {
	f, warns, err := readParquetFile(path, math.MinInt64, math.MaxInt64)
	logWarnings(warns)
	return f, err
}

// ReadParquetFileWithWarnings is ReadParquetFile returning, rather than
// logging, the times it read in another unit than the rest of their column.
func ReadParquetFileWithWarnings(path string) (*OHLCV, []ReadWarning, error) {
	return readParquetFile(path, math.MinInt64, math.MaxInt64)
}

// ReadParquetFileRange reads the bars with from ≤ time < to, decoding only
// the row groups whose time statistics overlap the range.
func ReadParquetFileRange(path string, from, to int64) (*OHLCV, error) {
	f, warns, err := readParquetFile(path, from, to)
	logWarnings(warns)
	return f, err
}

func readParquetFile(path string, from, to int64) (*OHLCV, []ReadWarning, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		return nil, nil, &ParquetError{File: path, Err: errors.New("is a folder, not a parquet file")}
	}
	out, warns, err := readParquet(fh, st.Size(), from, to)
	for i := range warns {
		warns[i].File = path
	}
	if err != nil {
		var pe *ParquetError
		if errors.As(err, &pe) && pe.File == "" {
			pe.File = path
			return nil, nil, pe
		}
		return nil, nil, &ParquetError{File: path, Err: err}
	}
	return out, warns, nil
}

// ReadParquet reads a flat parquet table of bars. It finds the columns by
// name, case-insensitively and with the aliases CSV headers allow (ts,
// timestamp, date, o, h, l, c, vol, …); a leading `index` column and any
// other columns are ignored. Time may be INT64 epoch seconds (or
// milliseconds, µs or ns, the unit decided from the whole column's
// magnitudes as for CSV), DOUBLE epoch seconds (piker's older files), a
// TIMESTAMP in ms, µs or ns with or without time zone, or a DATE; it is
// floored to epoch seconds. Prices and volume may be DOUBLE, FLOAT or
// integers. Pages may be uncompressed, snappy, gzip, brotli, zstd or LZ4_RAW,
// data page v1 or v2, PLAIN, dictionary, DELTA_BINARY_PACKED or
// BYTE_STREAM_SPLIT encoded. Every page's checksum, when it has one, is
// checked, and every column must hold exactly the footer's rows. Nulls are
// an error, never silently zeroed. The period comes from our footer metadata
// or is detected from the times. Times read in another unit than the rest of
// their column are logged (see ReadParquetWithWarnings).
func ReadParquet(r io.ReaderAt, size int64) (*OHLCV, error) {
	f, warns, err := readParquet(r, size, math.MinInt64, math.MaxInt64)
	logWarnings(warns)
	return f, err
}

// ReadParquetWithWarnings is ReadParquet returning, rather than logging, the
// rows whose time it read in another unit than the rest of the column.
func ReadParquetWithWarnings(r io.ReaderAt, size int64) (*OHLCV, []ReadWarning, error) {
	return readParquet(r, size, math.MinInt64, math.MaxInt64)
}

// ReadParquetRange is ReadParquet for the bars with from ≤ time < to,
// decoding only the row groups whose time statistics overlap the range.
func ReadParquetRange(r io.ReaderAt, size int64, from, to int64) (*OHLCV, error) {
	f, warns, err := readParquet(r, size, from, to)
	logWarnings(warns)
	return f, err
}

// columnSpec is how one of our six fields is stored in a file.
type columnSpec struct {
	leaf  int    // leaf column index in the file
	name  string // name in the file
	kind  format.Type
	scale float64 // decimal scale divisor for integer prices; 1 otherwise
	// time only: how to turn stored integers into seconds.
	div, mul int64
	byMag    bool // plain integer or DOUBLE: unit decided by magnitude, as CSV does
	required bool // REQUIRED: pages hold values only, no levels
}

// maxRowsPerByte bounds the rows a file may claim for its size. Constant
// columns under dictionary runs and zstd come nowhere near 1024 rows a byte
// (our own writer packs 75 a byte); a larger claim is a corrupt footer.
const maxRowsPerByte = 1024

func readParquet(r io.ReaderAt, size int64, from, to int64) (out *OHLCV, warns []ReadWarning, err error) {
	// Belt and braces: a decoder panic on input no check foresaw is reported
	// as a corrupt file rather than taking the program down.
	defer func() {
		if p := recover(); p != nil {
			out, warns, err = nil, nil, fmt.Errorf("corrupt parquet data (decoder failed: %v)", p)
		}
	}()
	meta, err := readFooter(r, size)
	if err != nil {
		return nil, nil, err
	}
	specs, leaves, err := resolveColumns(meta.Schema)
	if err != nil {
		return nil, nil, err
	}
	period := int64(0)
	for _, kv := range meta.KeyValueMetadata {
		if kv.Key == periodKey {
			if p, perr := strconv.ParseInt(kv.Value, 10, 64); perr == nil && p > 0 {
				period = p
			}
		}
	}

	type job struct {
		group   int
		off     int64 // first row in the output
		fileRow int64 // first row in the file
		rows    int64
	}
	var jobs []job
	var total, fileRow int64
	ranged := from != math.MinInt64 || to != math.MaxInt64
	prune := ranged && prunable(meta.RowGroups, specs[0])
	for g := range meta.RowGroups {
		rg := &meta.RowGroups[g]
		n := rg.NumRows
		if len(rg.Columns) != leaves {
			return nil, nil, fmt.Errorf("corrupt footer: row group %d has %d column chunks, the schema %d columns", g, len(rg.Columns), leaves)
		}
		if n < 0 || n > size*maxRowsPerByte {
			return nil, nil, fmt.Errorf("corrupt footer: row group %d claims %d rows in a file of %d bytes", g, n, size)
		}
		for _, spec := range specs {
			if v := rg.Columns[spec.leaf].MetaData.NumValues; v != n {
				return nil, nil, &ParquetError{Column: spec.name, Err: fmt.Errorf("corrupt footer: row group %d has %d rows but the column %d values", g, n, v)}
			}
		}
		rowsBefore := fileRow
		fileRow += n
		if n == 0 {
			continue
		}
		if prune {
			if to <= from {
				continue
			}
			if lo, hi, ok := timeBounds(rg, specs[0]); ok && (hi < from || lo >= to) {
				continue
			}
		}
		jobs = append(jobs, job{g, total, rowsBefore, n})
		total += n
		if total > size*maxRowsPerByte+1<<16 {
			return nil, nil, fmt.Errorf("corrupt footer: %d rows cannot fit in %d bytes", total, size)
		}
	}
	// Every page header must agree with the footer before the rows are
	// allocated: a footer claiming millions of rows for a few pages of bars
	// is caught here, having read a few hundred bytes.
	var hdr []byte
	for _, j := range jobs {
		for _, spec := range specs {
			var n int64
			n, hdr, err = scanChunk(r, size, &meta.RowGroups[j.group].Columns[spec.leaf], hdr)
			if err == nil && n != j.rows {
				err = fmt.Errorf("its pages hold %d values, the footer says %d rows", n, j.rows)
			}
			if err != nil {
				return nil, nil, &ParquetError{Column: spec.name, Err: fmt.Errorf("row group %d: %w", j.group, err)}
			}
		}
	}

	out = &OHLCV{
		Period: period,
		Time:   make([]int64, total),
		Open:   make([]float64, total),
		High:   make([]float64, total),
		Low:    make([]float64, total),
		Close:  make([]float64, total),
		Volume: make([]float64, total),
	}
	floats := [5][]float64{out.Open, out.High, out.Low, out.Close, out.Volume}

	// One task per (row group, column), spread over the CPUs: decoding and
	// decompression dominate and columns are independent.
	type task struct{ ji, col int }
	tasks := make(chan task)
	errs := make([]error, len(jobs)*6)
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(jobs)*6)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s pageScratch
			defer s.close()
			for t := range tasks {
				errs[t.ji*6+t.col] = func() (err error) {
					spec, j := specs[t.col], jobs[t.ji]
					defer func() {
						if p := recover(); p != nil {
							err = fmt.Errorf("corrupt data (decoder failed: %v)", p)
						}
						if err != nil {
							err = inColumn(err, spec.name, j.group)
						}
					}()
					cc := &meta.RowGroups[j.group].Columns[spec.leaf]
					switch {
					case t.col > 0:
						return readColumnChunk(r, size, cc, spec, floats[t.col-1][j.off:j.off+j.rows], j.fileRow, &s)
					case spec.kind == format.Double:
						return readFloatTimes(r, size, cc, spec, out.Time[j.off:j.off+j.rows], j.fileRow, &s)
					}
					return readColumnChunk(r, size, cc, spec, out.Time[j.off:j.off+j.rows], j.fileRow, &s)
				}()
			}
		}()
	}
	for i := range jobs {
		for c := 0; c < 6; c++ {
			tasks <- task{i, c}
		}
	}
	close(tasks)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, nil, e
		}
	}

	// fileRowOf is the 1-based row in the file of output row i.
	fileRowOf := func(i int) int64 {
		k := sort.Search(len(jobs), func(k int) bool { return jobs[k].off > int64(i) }) - 1
		return jobs[k].fileRow + int64(i) - jobs[k].off + 1
	}
	if specs[0].byMag {
		odd, unit, terr := epochSeconds(out.Time, false)
		if terr != nil {
			return nil, nil, &ParquetError{Column: specs[0].name, Row: fileRowOf(terr.row), Err: errors.New(terr.msg)}
		}
		for _, o := range odd {
			warns = append(warns, ReadWarning{Row: fileRowOf(o.row), Column: specs[0].name, Msg: o.warning(unit)})
		}
	} else {
		scaleTimes(out.Time, specs[0])
	}
	for c := 1; c < 6; c++ {
		if s := specs[c].scale; s != 1 {
			col := floats[c-1]
			for i := range col {
				col[i] /= s
			}
		}
	}
	if ranged {
		out = cutRange(out, from, to)
	}
	if out.Period == 0 {
		out.Period = DetectPeriod(out.Time)
	}
	return out, warns, nil
}

// inColumn names the column (and row group) an error happened in.
func inColumn(err error, column string, group int) error {
	var pe *ParquetError
	if errors.As(err, &pe) {
		if pe.Column == "" {
			pe.Column = column
		}
		return pe
	}
	return &ParquetError{Column: column, Err: fmt.Errorf("row group %d: %w", group, err)}
}

// readFloatTimes reads a DOUBLE time column of epoch seconds (piker's older
// files) as integers, for epochSeconds to place; a time that is not a
// finite number within int64 is an error naming its row.
func readFloatTimes(r io.ReaderAt, size int64, cc *format.ColumnChunk, spec columnSpec, dst []int64, base int64, s *pageScratch) error {
	tmp := make([]float64, len(dst))
	if err := readColumnChunk(r, size, cc, spec, tmp, base, s); err != nil {
		return err
	}
	for i, v := range tmp {
		if !(v > -9e18 && v < 9e18) {
			return &ParquetError{Row: base + int64(i) + 1, Err: fmt.Errorf("time %v is not a number of epoch seconds", v)}
		}
		dst[i] = int64(math.Floor(v))
	}
	return nil
}

// scaleTimes turns times of a declared unit (TIMESTAMP, DATE) into epoch
// seconds in place.
func scaleTimes(t []int64, spec columnSpec) {
	switch {
	case spec.mul != 1:
		for i, v := range t {
			t[i] = v * spec.mul
		}
	case spec.div != 1:
		for i, v := range t {
			t[i] = floorDiv(v, spec.div)
		}
	}
}

// schemaColumn is a top-level column of a file's schema.
type schemaColumn struct {
	elem  *format.SchemaElement
	leaf  int  // its (first) leaf's index among the row groups' column chunks
	group bool // a nested group rather than a leaf
}

// schemaColumns walks the schema tree (a flat list in depth-first order,
// each group followed by its NumChildren children) and returns the top-level
// columns and the number of leaves, having checked that the tree is whole.
func schemaColumns(schema []format.SchemaElement) ([]schemaColumn, int, error) {
	if len(schema) == 0 || !schema[0].NumChildren.Valid || schema[0].NumChildren.V < 0 {
		return nil, 0, errors.New("corrupt footer: no schema")
	}
	var top []schemaColumn
	pos, leaves := 1, 0
	var walk func(n, depth int) error
	walk = func(n, depth int) error {
		if depth > thriftMaxDepth {
			return errors.New("corrupt footer: schema nests too deep")
		}
		for k := 0; k < n; k++ {
			if pos >= len(schema) {
				return errors.New("corrupt footer: the schema ends early")
			}
			e := &schema[pos]
			pos++
			kids := 0
			if e.NumChildren.Valid {
				kids = int(e.NumChildren.V)
			}
			if kids < 0 || kids > len(schema)-pos {
				return fmt.Errorf("corrupt footer: schema element %q claims %d children", e.Name, kids)
			}
			if depth == 0 {
				top = append(top, schemaColumn{e, leaves, kids > 0})
			}
			if kids == 0 {
				leaves++
				continue
			}
			if err := walk(kids, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(int(schema[0].NumChildren.V), 0); err != nil {
		return nil, 0, err
	}
	if pos != len(schema) {
		return nil, 0, fmt.Errorf("corrupt footer: %d schema elements lie outside the schema tree", len(schema)-pos)
	}
	return top, leaves, nil
}

// resolveColumns maps our six fields to the file's leaf columns, and
// returns the number of leaves.
func resolveColumns(schema []format.SchemaElement) ([6]columnSpec, int, error) {
	var specs [6]columnSpec
	found := [6]bool{}
	cols, leaves, err := schemaColumns(schema)
	if err != nil {
		return specs, 0, err
	}
	for _, col := range cols {
		name := col.elem.Name
		field, ok := csvAliases[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			continue
		}
		if col.group || (col.elem.RepetitionType.Valid && col.elem.RepetitionType.V == format.Repeated) {
			return specs, 0, &ParquetError{Column: name, Err: errors.New("is nested or repeated; want a flat column of numbers")}
		}
		if found[field] {
			return specs, 0, &ParquetError{Column: name, Err: fmt.Errorf("is a second %s column (the first is %q)", csvColumns[field], specs[field].name)}
		}
		spec, err := columnSpecOf(col.elem, field)
		if err != nil {
			return specs, 0, &ParquetError{Column: name, Err: err}
		}
		spec.leaf = col.leaf
		spec.required = !col.elem.RepetitionType.Valid || col.elem.RepetitionType.V == format.Required
		specs[field] = spec
		found[field] = true
	}
	var missing []string
	for f, ok := range found {
		if !ok {
			missing = append(missing, csvColumns[f])
		}
	}
	if len(missing) > 0 {
		var have []string
		for _, col := range cols {
			have = append(have, col.elem.Name)
		}
		return specs, 0, fmt.Errorf("missing column(s) %s (the file has %s)", strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	return specs, leaves, nil
}

func columnSpecOf(e *format.SchemaElement, field int) (columnSpec, error) {
	if !e.Type.Valid {
		return columnSpec{}, errors.New("has no physical type")
	}
	spec := columnSpec{name: e.Name, kind: e.Type.V, scale: 1, div: 1, mul: 1}
	lt := e.LogicalType.Value
	var ct deprecated.ConvertedType = -1
	if e.ConvertedType.Valid {
		ct = e.ConvertedType.V
	}
	if field == 0 {
		switch spec.kind {
		case format.Int64, format.Int32:
		case format.Double:
			if lt == nil && ct == -1 {
				spec.byMag = true
				return spec, nil
			}
			fallthrough
		default:
			return spec, fmt.Errorf("time has type %s; want INT64 epoch seconds, a TIMESTAMP or DOUBLE epoch seconds", typeName(e))
		}
		switch v := lt.(type) {
		case *format.TimestampType:
			switch v.Unit.Value.(type) {
			case *format.MilliSeconds:
				spec.div = 1e3
			case *format.MicroSeconds:
				spec.div = 1e6
			case *format.NanoSeconds:
				spec.div = 1e9
			default:
				return spec, fmt.Errorf("time is a TIMESTAMP of unknown unit %s", &v.Unit)
			}
		case *format.DateType:
			spec.mul = 86400
		case *format.IntType:
			spec.byMag = true
		case nil:
			switch ct {
			case deprecated.TimestampMillis:
				spec.div = 1e3
			case deprecated.TimestampMicros:
				spec.div = 1e6
			case deprecated.Date:
				spec.mul = 86400
			case -1, deprecated.Int64, deprecated.Int32:
				spec.byMag = true
			default:
				return spec, fmt.Errorf("time has type %s; want INT64 epoch seconds or a TIMESTAMP", typeName(e))
			}
		default:
			return spec, fmt.Errorf("time has type %s; want INT64 epoch seconds or a TIMESTAMP", typeName(e))
		}
		return spec, nil
	}
	switch spec.kind {
	case format.Double, format.Float:
		return spec, nil
	case format.Int32, format.Int64:
		scale := int32(0)
		switch v := lt.(type) {
		case *format.DecimalType:
			scale = v.Scale
		case *format.IntType:
		case nil:
			switch {
			case ct == deprecated.Decimal && e.Scale.Valid:
				scale = e.Scale.V
			case ct == -1, ct >= deprecated.Uint8 && ct <= deprecated.Int64:
			default:
				return spec, fmt.Errorf("%s has type %s; want a number", csvColumns[field], typeName(e))
			}
		default:
			return spec, fmt.Errorf("%s has type %s; want a number", csvColumns[field], typeName(e))
		}
		if scale < 0 || scale > 18 {
			return spec, fmt.Errorf("%s has decimal scale %d", csvColumns[field], scale)
		}
		spec.scale = math.Pow10(int(scale))
		return spec, nil
	}
	return spec, fmt.Errorf("%s has type %s; want DOUBLE, FLOAT or an integer", csvColumns[field], typeName(e))
}

func typeName(e *format.SchemaElement) string {
	s := e.Type.V.String()
	if e.LogicalType.Value != nil {
		return s + " (" + e.LogicalType.String() + ")"
	}
	return s
}

// rawTimeBounds reads a row group's time statistics as stored.
func rawTimeBounds(rg *format.RowGroup, spec columnSpec) (lo, hi int64, ok bool) {
	if spec.leaf >= len(rg.Columns) {
		return 0, 0, false
	}
	st := &rg.Columns[spec.leaf].MetaData.Statistics
	minB, maxB := st.MinValue, st.MaxValue
	if minB == nil || maxB == nil {
		minB, maxB = st.Min, st.Max
	}
	switch {
	case spec.kind == format.Int64 && len(minB) == 8 && len(maxB) == 8:
		return int64(binary.LittleEndian.Uint64(minB)), int64(binary.LittleEndian.Uint64(maxB)), true
	case spec.kind == format.Int32 && len(minB) == 4 && len(maxB) == 4:
		return int64(int32(binary.LittleEndian.Uint32(minB))), int64(int32(binary.LittleEndian.Uint32(maxB))), true
	}
	return 0, 0, false
}

// oneUnit reports whether a and b, and so everything between them, have
// the same magnitude unit.
func oneUnit(a, b int64) (timeUnit, bool) {
	u := unitOf(a)
	return u, unitOf(b) == u && (u == unitSeconds || (a < 0) == (b < 0))
}

// timeBounds reads a row group's time statistics, in seconds.
func timeBounds(rg *format.RowGroup, spec columnSpec) (lo, hi int64, ok bool) {
	a, b, ok := rawTimeBounds(rg, spec)
	if !ok {
		return 0, 0, false
	}
	div := spec.div
	if spec.byMag {
		u, same := oneUnit(a, b)
		if !same {
			return 0, 0, false
		}
		div = unitDivs[u]
	}
	return floorDiv(a, div) * spec.mul, floorDiv(b, div) * spec.mul, true
}

// prunable reports whether row groups may be skipped by their statistics.
// A column whose unit its magnitudes decide is pruned only when every
// group's statistics show one and the same unit, so that a range read
// decides the unit as a whole read would.
func prunable(groups []format.RowGroup, spec columnSpec) bool {
	if !spec.byMag {
		return true
	}
	unit := timeUnit(255)
	for g := range groups {
		if groups[g].NumRows == 0 {
			continue
		}
		a, b, ok := rawTimeBounds(&groups[g], spec)
		if !ok {
			return false
		}
		u, same := oneUnit(a, b)
		if !same || (unit != 255 && u != unit) {
			return false
		}
		unit = u
	}
	return true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// littleEndian is whether this machine stores numbers as PLAIN parquet
// does, so that a page can be decompressed straight into a column's memory.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
