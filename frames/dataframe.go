package frames

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)

// DataFrameOption adds optional columns to OHLCV.DataFrame.
type DataFrameOption func(*dataFrameOptions)

type dataFrameOptions struct{ datetime, diffs bool }

// WithDatetime adds a "dt" column: the bar time as RFC 3339 in UTC.
func WithDatetime() DataFrameOption {
	return func(o *dataFrameOptions) { o.datetime = true }
}

// WithDiffs adds piker's with_dts columns for eyeballing gaps: dt, time_prev
// (the previous bar's time), s_diff (seconds since it), dt_prev and dt_diff
// (the step as a duration such as "1m0s"). The first row's previous-bar
// columns are NA.
func WithDiffs() DataFrameOption {
	return func(o *dataFrameOptions) { o.diffs = true }
}

// DataFrame copies the series into a gota DataFrame with columns time (int),
// open, high, low, close and volume (float), plus any optional columns. Gota
// boxes every value: use it for notebook-style work, not on hot paths.
func (f *OHLCV) DataFrame(opts ...DataFrameOption) dataframe.DataFrame {
	var o dataFrameOptions
	for _, opt := range opts {
		opt(&o)
	}
	n := f.Len()
	ts := make([]int, n)
	for i := range ts {
		ts[i] = int(f.Time[i])
	}
	cols := []series.Series{
		series.New(ts, series.Int, "time"),
		series.New(f.Open, series.Float, "open"),
		series.New(f.High, series.Float, "high"),
		series.New(f.Low, series.Float, "low"),
		series.New(f.Close, series.Float, "close"),
		series.New(f.Volume, series.Float, "volume"),
	}
	if o.datetime || o.diffs {
		dt := make([]string, n)
		for i := range dt {
			dt[i] = isoTime(f.Time[i])
		}
		cols = append(cols, series.New(dt, series.String, "dt"))
	}
	if o.diffs {
		prev := make([]any, n)
		diff := make([]any, n)
		dtPrev := make([]string, n)
		dtDiff := make([]string, n)
		for i := range prev {
			if i == 0 {
				dtPrev[i], dtDiff[i] = "NaN", "NaN" // gota's NA marker for strings
				continue
			}
			prev[i] = int(f.Time[i-1])
			diff[i] = int(f.Time[i] - f.Time[i-1])
			dtPrev[i] = isoTime(f.Time[i-1])
			dtDiff[i] = (time.Duration(f.Time[i]-f.Time[i-1]) * time.Second).String()
		}
		cols = append(cols,
			series.New(prev, series.Int, "time_prev"),
			series.New(diff, series.Int, "s_diff"),
			series.New(dtPrev, series.String, "dt_prev"),
			series.New(dtDiff, series.String, "dt_diff"))
	}
	return dataframe.New(cols...)
}

func isoTime(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

// FromDataFrame builds a series from a DataFrame's time, open, high, low,
// close and volume columns (found by name, case-insensitively, with the same
// aliases as ReadCSV; other columns are ignored). Time may be an int or
// whole-number float column of epoch seconds, or a string column of dates
// or epoch numbers as ReadCSV reads them. Rows keep the frame's order; Period
// is detected. A missing or mistyped column, or an NA time, is an error
// naming the column (and the row).
func FromDataFrame(df dataframe.DataFrame) (*OHLCV, error) {
	if df.Err != nil {
		return nil, fmt.Errorf("from dataframe: the frame carries an error: %w", df.Err)
	}
	names := df.Names()
	var idx [6]int
	for k := range idx {
		idx[k] = -1
	}
	for i, name := range names {
		n := strings.ToLower(strings.TrimSpace(name))
		k, ok := csvAliases[n]
		if !ok || (idx[k] >= 0 && strings.ToLower(names[idx[k]]) == csvColumns[k]) {
			continue // an exact name beats an alias
		}
		idx[k] = i
	}
	for k, c := range idx {
		if c < 0 {
			return nil, fmt.Errorf("from dataframe: no %s column (columns: %s)", csvColumns[k], strings.Join(names, ", "))
		}
	}
	n := df.Nrow()
	f := &OHLCV{Time: make([]int64, n)}
	tcol := df.Col(names[idx[0]])
	if err := dataFrameTimes(tcol, f.Time); err != nil {
		return nil, fmt.Errorf("from dataframe: column %s: %w", tcol.Name, err)
	}
	dst := [...]*[]float64{nil, &f.Open, &f.High, &f.Low, &f.Close, &f.Volume}
	for k := 1; k < 6; k++ {
		col := df.Col(names[idx[k]])
		if t := col.Type(); t != series.Float && t != series.Int {
			return nil, fmt.Errorf("from dataframe: column %s has type %s, want float or int", col.Name, t)
		}
		*dst[k] = col.Float() // NA reads as NaN, which Validate reports
	}
	f.Period = DetectPeriod(f.Time)
	return f, nil
}

func dataFrameTimes(s series.Series, out []int64) error {
	var tp timeParser
	for i := range out {
		e := s.Elem(i)
		if e.IsNA() {
			return fmt.Errorf("row %d: time is NA", i)
		}
		switch s.Type() {
		case series.Int:
			v, err := e.Int()
			if err != nil {
				return fmt.Errorf("row %d: %w", i, err)
			}
			out[i] = int64(v)
		case series.Float:
			v := e.Float()
			if v != math.Trunc(v) || math.Abs(v) >= 9e18 {
				return fmt.Errorf("row %d: time %v is not a whole number of seconds", i, v)
			}
			out[i] = int64(v)
		case series.String:
			t, err := tp.parse(strings.TrimSpace(e.String()))
			if err != nil {
				return fmt.Errorf("row %d: %w", i, err)
			}
			out[i] = t
		default:
			return fmt.Errorf("has type %s, want int, float or string", s.Type())
		}
	}
	if s.Type() == series.String { // epochs of a unit the whole column decides
		if _, _, terr := epochSeconds(out, true); terr != nil {
			return fmt.Errorf("row %d: %s", terr.row, terr.msg)
		}
	}
	return nil
}
