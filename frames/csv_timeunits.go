package frames

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A plain integer time column (CSV epochs, a parquet INT64 without a
// TIMESTAMP type) does not say its unit. Each value's magnitude does: below
// 1e11 is seconds (1e11 s is the year 5138, 1e11 ms is 1973), then
// milliseconds, microseconds, nanoseconds. The column's unit is decided from
// all of its values, not the first: it is the unit most values have. A value
// of another magnitude is read in its own unit when that puts it among the
// column's other times (a seconds file with one row in milliseconds), and
// named in a ReadWarning; otherwise it is an error naming the row (a 0 in a
// column of milliseconds: 1970 either way, decades from the rest).

type timeUnit uint8

const (
	unitSeconds timeUnit = iota
	unitMillis
	unitMicros
	unitNanos
)

var (
	unitDivs  = [...]int64{1, 1e3, 1e6, 1e9}
	unitNames = [...]string{"seconds", "milliseconds", "microseconds", "nanoseconds"}
)

// maxEpochSeconds bounds times in seconds: larger integers are read as
// milliseconds, and a date beyond it is refused so that what WriteCSV writes
// always reads back the same.
const maxEpochSeconds = 1e11

// oddSlack is how far outside the span of the column's other times a value
// read in its own unit may fall and still count as one of them.
const oddSlack = 7 * 86400

func unitOf(n int64) timeUnit {
	switch {
	case n >= maxEpochSeconds*1e6 || n <= -maxEpochSeconds*1e6:
		return unitNanos
	case n >= maxEpochSeconds*1e3 || n <= -maxEpochSeconds*1e3:
		return unitMicros
	case n >= maxEpochSeconds || n <= -maxEpochSeconds:
		return unitMillis
	}
	return unitSeconds
}

// ReadWarning is something a reader accepted but a person should check: a
// time read in another unit than the rest of its column.
type ReadWarning struct {
	File   string // the file, when reading one
	Line   int    // 1-based CSV line, 0 for parquet
	Row    int64  // 1-based parquet row, 0 for CSV
	Column string
	Msg    string
}

func (w ReadWarning) String() string {
	var b strings.Builder
	if w.File != "" {
		b.WriteString(w.File + ": ")
	}
	switch {
	case w.Line > 0:
		b.WriteString("line " + strconv.Itoa(w.Line) + ": ")
	case w.Row > 0:
		b.WriteString("row " + strconv.FormatInt(w.Row, 10) + ": ")
	}
	if w.Column != "" {
		b.WriteString("column " + w.Column + ": ")
	}
	b.WriteString(w.Msg)
	return b.String()
}

// logWarnings reports warnings of readers whose callers cannot receive
// them, so that nothing read in an unexpected unit goes unsaid.
func logWarnings(ws []ReadWarning) {
	for _, w := range ws {
		slog.Warn(w.String())
	}
}

// oddTime is a value read in another unit than its column's.
type oddTime struct {
	row  int // 0-based
	raw  int64
	unit timeUnit
	secs int64
}

// timeUnitError is a time value that cannot be placed: its row (0-based)
// and why.
type timeUnitError struct {
	row int
	msg string
}

func isoSeconds(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

// epochSeconds converts a column of integer times of unknown unit to epoch
// seconds in place (see the rule above). exact refuses a value that is not a
// whole second (CSV); otherwise times are floored (parquet). It returns the
// values read in another unit than the column's, and the column's unit.
func epochSeconds(t []int64, exact bool) ([]oddTime, timeUnit, *timeUnitError) {
	if len(t) == 0 {
		return nil, unitSeconds, nil
	}
	lo, hi := t[0], t[0]
	for _, v := range t {
		lo, hi = min(lo, v), max(hi, v)
	}
	// The usual case, one unit throughout: the bounds tell.
	if u := unitOf(lo); u == unitOf(hi) && (u == unitSeconds || (lo < 0) == (hi < 0)) {
		return nil, u, convertTimes(t, u, exact)
	}
	var counts [len(unitDivs)]int
	for _, v := range t {
		counts[unitOf(v)]++
	}
	col := unitOf(t[0])
	for u, c := range counts {
		if c > counts[col] {
			col = timeUnit(u)
		}
	}
	// The column's span, less its outer percent at each end so that a few
	// corrupt values cannot stretch it to take in anything.
	secs := make([]int64, 0, counts[col])
	for _, v := range t {
		if unitOf(v) == col {
			secs = append(secs, floorDiv(v, unitDivs[col]))
		}
	}
	slices.Sort(secs)
	lo, hi = secs[len(secs)/100], secs[len(secs)-1-len(secs)/100]
	slack := max(hi-lo, oddSlack)
	var odd []oddTime
	for i, v := range t {
		u := unitOf(v)
		if u == col {
			continue
		}
		s := floorDiv(v, unitDivs[u])
		if s < lo-slack || s > hi+slack {
			return nil, col, &timeUnitError{i, fmt.Sprintf(
				"time %d is %s by its magnitude (%s), far from the rest of the column, which is in %s (%s to %s): mixed or implausible time units",
				v, unitNames[u], isoSeconds(s), unitNames[col], isoSeconds(lo), isoSeconds(hi))}
		}
		odd = append(odd, oddTime{i, v, u, s})
	}
	if err := convertTimes(t, col, exact); err != nil {
		return nil, col, err
	}
	for _, o := range odd {
		if exact && o.raw%unitDivs[o.unit] != 0 {
			return nil, col, notWhole(o.row, o.raw, o.unit)
		}
		t[o.row] = o.secs
	}
	return odd, col, nil
}

// convertTimes divides a column of one unit down to seconds; values of
// other magnitudes are left for the caller.
func convertTimes(t []int64, u timeUnit, exact bool) *timeUnitError {
	div := unitDivs[u]
	if div == 1 {
		return nil
	}
	for i, v := range t {
		if unitOf(v) != u {
			continue
		}
		if exact && v%div != 0 {
			return notWhole(i, v, u)
		}
		t[i] = floorDiv(v, div)
	}
	return nil
}

func notWhole(row int, v int64, u timeUnit) *timeUnitError {
	return &timeUnitError{row, fmt.Sprintf("%q is not a whole number of seconds (it reads as %s)", strconv.FormatInt(v, 10), unitNames[u])}
}

func (o oddTime) warning(col timeUnit) string {
	return fmt.Sprintf("time %d read as %s (%s); the rest of the column is in %s", o.raw, unitNames[o.unit], isoSeconds(o.secs), unitNames[col])
}
