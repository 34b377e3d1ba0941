package frames

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ParseError is a bad cell or line in a CSV file, modelled on encoding/csv's:
// it says where (file, line, column) and what is wrong.
type ParseError struct {
	File   string // file name, when reading a file
	Line   int    // 1-based line of the record
	Column int    // 1-based field index, 0 when the whole line is at fault
	Name   string // the column's role (time, open, …), when known
	Err    error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	switch {
	case e.Name != "":
		b.WriteString("column " + e.Name + ": ")
	case e.Column > 0:
		b.WriteString("column " + strconv.Itoa(e.Column) + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// csvColumns are the fields in the order a headerless file carries them.
var csvColumns = [...]string{"time", "open", "high", "low", "close", "volume"}

// csvAliases maps lower-case header names to a field index in csvColumns.
var csvAliases = map[string]int{
	"time": 0, "timestamp": 0, "timestamp_utc": 0, "date": 0, "datetime": 0, "date_time": 0,
	"open_time": 0, "opentime": 0, "ts": 0,
	"open": 1, "o": 1,
	"high": 2, "h": 2,
	"low": 3, "l": 3,
	"close": 4, "c": 4,
	"volume": 5, "vol": 5, "v": 5,
}

// ReadCSVFile reads an OHLCV CSV file (see ReadCSV); errors name the file.
// Times read in another unit than the rest of their column are logged;
// ReadCSVFileWithWarnings returns them instead.
func ReadCSVFile(path string) (*OHLCV, error) {
	f, warns, err := ReadCSVFileWithWarnings(path)
	logWarnings(warns)
	return f, err
}

// ReadCSVFileWithWarnings is ReadCSVFile returning, rather than logging, the
// lines whose time it read in another unit than the rest of the column.
func ReadCSVFileWithWarnings(path string) (*OHLCV, []ReadWarning, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	f, warns, err := ReadCSVWithWarnings(fh)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.File = path
			return nil, nil, pe
		}
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range warns {
		warns[i].File = path
	}
	return f, warns, nil
}

// ReadCSV reads OHLCV bars from CSV. A header row is optional: when the first
// row names columns (case-insensitive: time/timestamp/date/datetime/open_time,
// open, high, low, close, volume/vol; other columns are ignored) the columns
// are found by name, otherwise the first six columns are taken as time, open,
// high, low, close, volume (so Binance's headerless kline dumps read as they
// are). Time may be epoch seconds, milliseconds, microseconds or nanoseconds
// (the unit decided from the whole column's magnitudes: below 1e11 is
// seconds; a row of another magnitude is read in its own unit when that puts
// it among the others, and is an error otherwise) or a date: RFC 3339,
// "2006-01-02", "2006-01-02 15:04:05" and their variants, read as UTC when no
// zone is given. Rows are kept in file order and nothing is dropped; Period
// is the most common step. Bad cells and lines longer than 64 KiB give a
// *ParseError naming line and column. Times read in another unit than the
// rest of their column are logged (see ReadCSVWithWarnings).
func ReadCSV(r io.Reader) (*OHLCV, error) {
	f, warns, err := ReadCSVWithWarnings(r)
	logWarnings(warns)
	return f, err
}

// maxCSVLine bounds the length of a CSV line. A bar takes a hundred bytes or
// so; without a bound one endless line (a binary file, a file without line
// breaks) would be held in memory whole.
const maxCSVLine = 1 << 16

// ReadCSVWithWarnings is ReadCSV returning, rather than logging, the lines
// whose time it read in another unit than the rest of the column.
func ReadCSVWithWarnings(r io.Reader) (*OHLCV, []ReadWarning, error) {
	cr := csv.NewReader(bufio.NewReaderSize(&lineLimiter{r: r}, 1<<16))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, nil, &ParseError{Line: 1, Err: errors.New("empty input: want a header or rows of time, open, high, low, close, volume")}
	}
	if err != nil {
		return nil, nil, csvSyntaxError(err)
	}
	idx, header, err := csvHeader(rec)
	if err != nil {
		return nil, nil, &ParseError{Line: 1, Err: err}
	}
	f := New(0, 1024)
	rd := csvRows{cr: cr, idx: idx}
	for _, c := range idx {
		rd.need = max(rd.need, c+1)
	}
	if !header {
		if err := rd.add(f, rec); err != nil {
			return nil, nil, err
		}
	}
	for {
		rec, err = cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, csvSyntaxError(err)
		}
		if err := rd.add(f, rec); err != nil {
			return nil, nil, err
		}
	}
	// f.Time holds integers of unknown unit (and dates, in seconds) until
	// the whole column is seen.
	odd, unit, terr := epochSeconds(f.Time, true)
	if terr != nil {
		return nil, nil, &ParseError{Line: rd.lines.line(terr.row), Column: idx[0] + 1, Name: "time", Err: errors.New(terr.msg)}
	}
	var warns []ReadWarning
	for _, o := range odd {
		warns = append(warns, ReadWarning{Line: rd.lines.line(o.row), Column: "time", Msg: o.warning(unit)})
	}
	f.Period = DetectPeriod(f.Time)
	return f, warns, nil
}

// csvRows turns records into bars.
type csvRows struct {
	cr    *csv.Reader
	idx   [6]int
	need  int
	tp    timeParser
	vals  [6]float64
	lines lineIndex
}

func (rd *csvRows) add(f *OHLCV, rec []string) error {
	line, _ := rd.cr.FieldPos(0)
	if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
		return &ParseError{Line: line, Err: errors.New("blank line")}
	}
	idx := &rd.idx
	if len(rec) < rd.need {
		missing := 0
		for k, c := range idx {
			if c >= len(rec) {
				missing = k
				break
			}
		}
		return &ParseError{Line: line, Column: idx[missing] + 1, Name: csvColumns[missing],
			Err: fmt.Errorf("missing: the row has %d fields, want at least %d", len(rec), rd.need)}
	}
	cell := func(k int) string { return strings.TrimSpace(rec[idx[k]]) }
	t, err := rd.tp.parse(cell(0))
	if err != nil {
		return &ParseError{Line: line, Column: idx[0] + 1, Name: "time", Err: err}
	}
	for k := 1; k < 6; k++ {
		s := cell(k)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return &ParseError{Line: line, Column: idx[k] + 1, Name: csvColumns[k], Err: fmt.Errorf("%q is not a number", s)}
		}
		rd.vals[k] = v
	}
	rd.lines.add(f.Len(), line)
	f.Add(t, rd.vals[1], rd.vals[2], rd.vals[3], rd.vals[4], rd.vals[5])
	return nil
}

// lineIndex maps rows to the lines they start on, storing only where the
// step from one row to the next is not one line (quoted line breaks).
type lineIndex struct {
	rows, lines []int
	last        int
}

func (x *lineIndex) add(row, line int) {
	if len(x.rows) == 0 || line != x.last+1 {
		x.rows = append(x.rows, row)
		x.lines = append(x.lines, line)
	}
	x.last = line
}

func (x *lineIndex) line(row int) int {
	k := sort.Search(len(x.rows), func(i int) bool { return x.rows[i] > row }) - 1
	if k < 0 {
		return 0
	}
	return x.lines[k] + row - x.rows[k]
}

// lineLimiter fails a read once a line grows past maxCSVLine, naming it.
type lineLimiter struct {
	r    io.Reader
	line int // lines completed
	run  int // bytes of the current line so far
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			l.run += n - i
			break
		}
		if l.run+j > maxCSVLine {
			l.run += j
			break
		}
		l.run = 0
		l.line++
		i += j + 1
	}
	if l.run > maxCSVLine {
		return n, &ParseError{Line: l.line + 1, Err: fmt.Errorf("line is longer than %d bytes; not a CSV of bars?", maxCSVLine)}
	}
	return n, err
}

// csvHeader returns where each field lives and whether rec is a header row.
func csvHeader(rec []string) (idx [6]int, header bool, err error) {
	for k := range idx {
		idx[k] = -1
	}
	for i, name := range rec {
		n := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
		k, ok := csvAliases[n]
		if !ok {
			continue
		}
		header = true
		if idx[k] >= 0 {
			return idx, true, fmt.Errorf("header: columns %d (%q) and %d (%q) both give %s",
				idx[k]+1, rec[idx[k]], i+1, name, csvColumns[k])
		}
		idx[k] = i
	}
	if !header {
		for k := range idx {
			idx[k] = k
		}
		return idx, false, nil
	}
	var missing []string
	for k, c := range idx {
		if c < 0 {
			missing = append(missing, csvColumns[k])
		}
	}
	if missing != nil {
		return idx, true, fmt.Errorf("header %q has no column for %s", strings.Join(rec, ","), strings.Join(missing, ", "))
	}
	return idx, true, nil
}

func csvSyntaxError(err error) error {
	var ce *csv.ParseError
	if errors.As(err, &ce) {
		return &ParseError{Line: ce.Line, Err: fmt.Errorf("%w (at character %d)", ce.Err, ce.Column)}
	}
	return err
}

// timeParser remembers the last date layout that worked, so a file of dates
// costs one parse attempt per row.
type timeParser struct{ layout string }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02",
	"20060102",
}

func (p *timeParser) parse(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty time")
	}
	if n, ok := p.epoch(s); ok {
		return n, nil
	}
	c := s[0]
	if c != '-' && c != '+' && (c < '0' || c > '9') {
		return 0, fmt.Errorf("%q is not a time (want epoch seconds or milliseconds, or a date like 2006-01-02 or 2006-01-02T15:04:05Z)", s)
	}
	if p.layout != "" {
		if t, err := time.Parse(p.layout, s); err == nil {
			return dateSeconds(s, t)
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			p.layout = l
			return dateSeconds(s, t)
		}
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("%q is not a whole number of seconds or milliseconds", s)
	}
	return 0, fmt.Errorf("%q is not a time (want epoch seconds or milliseconds, or a date like 2006-01-02 or 2006-01-02T15:04:05Z)", s)
}

// epoch reads an integer epoch time as it is: its unit is decided with the
// rest of the column (see epochSeconds).
func (p *timeParser) epoch(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// "1.7e9" and "1700000000.0" are whole numbers too.
		v, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || v != math.Trunc(v) || math.Abs(v) >= 9e18 {
			return 0, false
		}
		n = int64(v)
	}
	return n, true
}

func dateSeconds(s string, t time.Time) (int64, error) {
	if t.Nanosecond() != 0 {
		return 0, fmt.Errorf("%q has a fraction of a second; bar times are whole seconds", s)
	}
	u := t.Unix()
	if u >= maxEpochSeconds || u <= -maxEpochSeconds {
		return 0, fmt.Errorf("%q is too far from 1970 to tell apart from epoch milliseconds", s)
	}
	return u, nil
}

// WriteCSVFile writes the series to path as CSV (see WriteCSV).
func (f *OHLCV) WriteCSVFile(path string) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.WriteCSV(fh); err != nil {
		fh.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WriteCSV writes a header "time,open,high,low,close,volume" and one row per
// bar: time in epoch seconds, values in the shortest decimal that reads back
// to the same float64, so ReadCSV(WriteCSV(f)) gives f's values bit for bit.
func (f *OHLCV) WriteCSV(w io.Writer) error {
	if err := f.checkColumns(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	buf := make([]byte, 0, 128)
	buf = append(buf, "time,open,high,low,close,volume\n"...)
	for i := range f.Time {
		buf = strconv.AppendInt(buf, f.Time[i], 10)
		for _, v := range [...]float64{f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i]} {
			buf = append(buf, ',')
			buf = appendNum(buf, v)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
	}
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	return bw.Flush()
}

// appendNum writes plain decimals for everyday magnitudes (22351900, not
// 2.23519e+07) and exponents only where plain would be long; both are exact.
func appendNum(b []byte, v float64) []byte {
	if a := math.Abs(v); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
