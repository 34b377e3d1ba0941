// Package frames holds OHLCV history as columns: one typed slice per field,
// a parquet store of such series, CSV import and export, a bridge to gota
// dataframes, time slicing, gap detection and market calendars.
//
// Time is epoch seconds, ascending. Nothing on a hot path boxes values; the
// gota bridge copies on purpose and is for notebook-style work only.
package frames

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OHLCV is a bar series in columns. All six slices have the same length.
type OHLCV struct {
	// Period is the bar length in seconds (60 for one-minute bars); 0 if unknown.
	Period int64
	Time   []int64 // epoch seconds, strictly ascending in a valid series
	Open   []float64
	High   []float64
	Low    []float64
	Close  []float64
	Volume []float64
}

// New returns an empty series with room for n bars.
func New(period int64, n int) *OHLCV {
	return &OHLCV{
		Period: period,
		Time:   make([]int64, 0, n),
		Open:   make([]float64, 0, n),
		High:   make([]float64, 0, n),
		Low:    make([]float64, 0, n),
		Close:  make([]float64, 0, n),
		Volume: make([]float64, 0, n),
	}
}

// Len is the number of bars.
func (f *OHLCV) Len() int {
	if f == nil {
		return 0
	}
	return len(f.Time)
}

// Add appends one bar at the end without any check; Merge is the checked way
// to combine series.
func (f *OHLCV) Add(t int64, open, high, low, close, volume float64) {
	f.Time = append(f.Time, t)
	f.Open = append(f.Open, open)
	f.High = append(f.High, high)
	f.Low = append(f.Low, low)
	f.Close = append(f.Close, close)
	f.Volume = append(f.Volume, volume)
}

// Bar is one row of a series, for code that wants a row at a time.
type Bar struct {
	Time                           int64
	Open, High, Low, Close, Volume float64
}

// At returns bar i.
func (f *OHLCV) At(i int) Bar {
	return Bar{f.Time[i], f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i]}
}

// Rows returns bars [i, j) as a view sharing the column arrays.
func (f *OHLCV) Rows(i, j int) *OHLCV {
	return &OHLCV{
		Period: f.Period,
		Time:   f.Time[i:j:j],
		Open:   f.Open[i:j:j],
		High:   f.High[i:j:j],
		Low:    f.Low[i:j:j],
		Close:  f.Close[i:j:j],
		Volume: f.Volume[i:j:j],
	}
}

// Clone returns a deep copy.
func (f *OHLCV) Clone() *OHLCV {
	return &OHLCV{
		Period: f.Period,
		Time:   append([]int64(nil), f.Time...),
		Open:   append([]float64(nil), f.Open...),
		High:   append([]float64(nil), f.High...),
		Low:    append([]float64(nil), f.Low...),
		Close:  append([]float64(nil), f.Close...),
		Volume: append([]float64(nil), f.Volume...),
	}
}

// String summarises the series in one line: period, rows and time span.
func (f *OHLCV) String() string {
	if f.Len() == 0 {
		return fmt.Sprintf("OHLCV[%s, 0 rows]", FormatPeriod(f.Period))
	}
	return fmt.Sprintf("OHLCV[%s, %d rows, %s .. %s]", FormatPeriod(f.Period), f.Len(),
		time.Unix(f.Time[0], 0).UTC().Format(time.RFC3339),
		time.Unix(f.Time[f.Len()-1], 0).UTC().Format(time.RFC3339))
}

var periodUnits = []struct {
	suffix string
	secs   int64
}{{"w", 7 * 86400}, {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}}

// ParsePeriod reads a bar period: "60", "60s", "1m", "1h", "1d", "1w".
func ParsePeriod(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	mult := int64(1)
	for _, u := range periodUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.secs
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("period %q: want a positive count of seconds or a count with s, m, h, d or w (60, 1m, 4h, 1d)", s)
	}
	return n * mult, nil
}

// FormatPeriod writes a period in its largest whole unit: 60 → "1m".
func FormatPeriod(p int64) string {
	if p <= 0 {
		return "?"
	}
	for _, u := range periodUnits {
		if p%u.secs == 0 {
			return strconv.FormatInt(p/u.secs, 10) + u.suffix
		}
	}
	return strconv.FormatInt(p, 10) + "s"
}
