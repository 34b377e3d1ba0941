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
// without changing or dropping anything: values must be finite, low ≤
// min(open, close), high ≥ max(open, close), low ≤ high, volume ≥ 0, and time
// strictly ascending. A nil result means the series is valid.
func (f *OHLCV) Validate() []RowError {
	var errs []RowError
	if f == nil {
		return nil
	}
	n := len(f.Time)
	cols := [...]struct {
		name string
		v    []float64
	}{{"open", f.Open}, {"high", f.High}, {"low", f.Low}, {"close", f.Close}, {"volume", f.Volume}}
	for _, c := range cols {
		if len(c.v) != n {
			errs = append(errs, RowError{Row: -1, Field: c.name,
				Problem: fmt.Sprintf("has %d values but time has %d", len(c.v), n)})
		}
	}
	if errs != nil {
		return errs
	}
	for i := 0; i < n; i++ {
		t := f.Time[i]
		if i > 0 && t <= f.Time[i-1] {
			what := "out of order"
			if t == f.Time[i-1] {
				what = "duplicate"
			}
			errs = append(errs, RowError{i, t, "time",
				fmt.Sprintf("%s: %d is not after the previous bar's %d", what, t, f.Time[i-1])})
		}
		o, h, l, c, v := f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i]
		finite := true
		for k, x := range [...]float64{o, h, l, c, v} {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				finite = false
				errs = append(errs, RowError{i, t, cols[k].name, fmtNum(x) + " is not a finite number"})
			}
		}
		if !finite {
			continue // comparisons with NaN or Inf would only repeat the problem
		}
		if lo := math.Min(o, c); l > lo {
			errs = append(errs, RowError{i, t, "low",
				fmt.Sprintf("low %s is above min(open, close) %s", fmtNum(l), fmtNum(lo))})
		}
		if hi := math.Max(o, c); h < hi {
			errs = append(errs, RowError{i, t, "high",
				fmt.Sprintf("high %s is below max(open, close) %s", fmtNum(h), fmtNum(hi))})
		}
		if l > h {
			errs = append(errs, RowError{i, t, "low",
				fmt.Sprintf("low %s is above high %s", fmtNum(l), fmtNum(h))})
		}
		if v < 0 {
			errs = append(errs, RowError{i, t, "volume", fmt.Sprintf("volume %s is negative", fmtNum(v))})
		}
	}
	return errs
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
