package frames

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// RowError is one problem found in one bar by Validate. Row is the 0-based
// bar index, or -1 for a problem with a whole column (a length mismatch).
type RowError struct {
	Row     int
	Time    int64
	Field   string // time, open, high, low, close or volume
	Problem string
}

func (e RowError) Error() string {
	if e.Row < 0 {
		return fmt.Sprintf("column %s: %s", e.Field, e.Problem)
	}
	return fmt.Sprintf("row %d (%s): field %s: %s", e.Row,
		time.Unix(e.Time, 0).UTC().Format(time.RFC3339), e.Field, e.Problem)
}

// Validate checks every bar and reports each problem it finds, in row order,
// without changing or dropping anything: values must be finite, prices
// (open, high, low, close) positive, low ≤ min(open, close), high ≥
// max(open, close), low ≤ high, volume ≥ 0, and time strictly ascending. A
// nil result means the series is valid.
//
// A valid series costs one branch-light pass over the columns; only a series
// with a problem is walked again to word each one.
func (f *OHLCV) Validate() []RowError {
	if f == nil {
		return nil
	}
	if errs := f.lengthErrors(); errs != nil || f.valid() {
		return errs
	}
	return f.problems()
}

// CheckLengths reports the first column whose length differs from the
// time column's (a RowError with Row -1), or nil: the one check of Validate
// that costs nothing per bar.
func (f *OHLCV) CheckLengths() error {
	if errs := f.lengthErrors(); errs != nil {
		return errs[0]
	}
	return nil
}

func (f *OHLCV) lengthErrors() []RowError {
	var errs []RowError
	n := len(f.Time)
	for _, c := range [...]struct {
		name string
		v    []float64
	}{{"open", f.Open}, {"high", f.High}, {"low", f.Low}, {"close", f.Close}, {"volume", f.Volume}} {
		if len(c.v) != n {
			errs = append(errs, RowError{Row: -1, Field: c.name,
				Problem: fmt.Sprintf("has %d values but time has %d", len(c.v), n)})
		}
	}
	return errs
}

// problems words every problem of a series whose columns have one length.
func (f *OHLCV) problems() []RowError {
	var errs []RowError
	for i := range f.Time {
		t := f.Time[i]
		if i > 0 && t <= f.Time[i-1] {
			what := "out of order"
			if t == f.Time[i-1] {
				what = "duplicate"
			}
			errs = append(errs, RowError{i, t, "time",
				fmt.Sprintf("%s: %d is not after the previous bar's %d", what, t, f.Time[i-1])})
		}
		errs = f.At(i).Problems(i, errs)
	}
	return errs
}

// Valid reports whether a bar passes Validate's rules for one bar (all but
// the order of times).
func (b Bar) Valid() bool { return ValidBar(b.Open, b.High, b.Low, b.Close, b.Volume) }

// Problems appends to errs each problem of the bar by Validate's rules for
// one bar, naming it as row (its index in its series).
func (b Bar) Problems(row int, errs []RowError) []RowError {
	t := b.Time
	o, h, l, c, v := b.Open, b.High, b.Low, b.Close, b.Volume
	names := [...]string{"open", "high", "low", "close", "volume"}
	finite := true
	for k, x := range [...]float64{o, h, l, c, v} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			finite = false
			errs = append(errs, RowError{row, t, names[k], fmtNum(x) + " is not a finite number"})
		}
	}
	if !finite {
		return errs // comparisons with NaN or Inf would only repeat the problem
	}
	for k, x := range [...]float64{o, h, l, c} {
		if x <= 0 {
			errs = append(errs, RowError{row, t, names[k], "price " + fmtNum(x) + " is not positive"})
		}
	}
	if lo := math.Min(o, c); l > lo {
		errs = append(errs, RowError{row, t, "low",
			fmt.Sprintf("low %s is above min(open, close) %s", fmtNum(l), fmtNum(lo))})
	}
	if hi := math.Max(o, c); h < hi {
		errs = append(errs, RowError{row, t, "high",
			fmt.Sprintf("high %s is below max(open, close) %s", fmtNum(h), fmtNum(hi))})
	}
	if l > h {
		errs = append(errs, RowError{row, t, "low",
			fmt.Sprintf("low %s is above high %s", fmtNum(l), fmtNum(h))})
	}
	if v < 0 {
		errs = append(errs, RowError{row, t, "volume", fmt.Sprintf("volume %s is negative", fmtNum(v))})
	}
	return errs
}

// ValidBar is Bar.Valid on a bar's values, for a loop over columns that
// keeps them in registers (a Bar, six words, lives in memory). Its rules are
// comparisons, which NaN fails: a finite, positive low at or below every
// other price bounds them all from below; a finite high bounds them from
// above.
func ValidBar(o, h, l, c, v float64) bool {
	return l > 0 && l <= o && l <= c && h >= o && h >= c && h <= math.MaxFloat64 && v >= 0 && v <= math.MaxFloat64
}

// valid is Validate's rules in one pass of comparisons: true when every
// bar passes.
func (f *OHLCV) valid() bool {
	n := len(f.Time)
	tm, op, hi, lo, cl, vol := f.Time[:n], f.Open[:n], f.High[:n], f.Low[:n], f.Close[:n], f.Volume[:n]
	for i := 0; i < n; i++ {
		if !ValidBar(op[i], hi[i], lo[i], cl[i], vol[i]) || i > 0 && tm[i] <= tm[i-1] {
			return false
		}
	}
	return true
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
