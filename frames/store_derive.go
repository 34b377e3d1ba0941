package frames

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
)

// Periods lists the bar periods stored for fqme, ascending.
func (s *Store) Periods(fqme string) ([]int64, error) {
	pattern := filepath.Join(s.dir, globEscape(fqme)+".ohlcv*s.parquet")
	names, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("store %s: %s: %w", s.dir, fqme, err)
	}
	var out []int64
	for _, n := range names {
		fq, p, ok := ParseSeriesFileName(filepath.Base(n))
		if ok && fq == fqme {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// globEscape quotes the pattern characters a market name could hold.
func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

// ReadRangeAs loads the bars of fqme at period with from ≤ time < to, as
// ReadRange would from a stored series of that period. When none is stored
// it derives one: it resamples the coarsest stored series whose period
// divides period (one-minute bars make an hourly series), so people can ask
// for any period their data supports. It returns the period actually read.
//
// The derived bars are the ones the stored series would hold: daily and
// weekly bars follow the sessions of the calendar CalendarForFQME infers
// (see ReadRangeAsIn), other buckets are epoch-aligned, and only buckets
// opening in [from, to) are included, each aggregated from all of its
// source bars.
func (s *Store) ReadRangeAs(fqme string, period, from, to int64) (*OHLCV, int64, error) {
	return s.ReadRangeAsIn(fqme, period, from, to, CalendarForFQME(fqme))
}

// ReadRangeAsIn is ReadRangeAs with daily and weekly bars derived along
// cal's sessions (OHLCV.ResampleIn); a nil cal or Crypto keeps UTC buckets.
func (s *Store) ReadRangeAsIn(fqme string, period, from, to int64, cal Calendar) (*OHLCV, int64, error) {
	f, err := s.ReadRange(fqme, period, from, to)
	if err == nil || !errors.Is(err, ErrNotFound) || period <= 0 {
		return f, period, err
	}
	stored, lerr := s.Periods(fqme)
	if lerr != nil {
		return nil, 0, lerr
	}
	src := int64(0)
	for _, p := range stored {
		if p < period && period%p == 0 {
			src = p
		}
	}
	if src == 0 {
		if len(stored) == 0 {
			return nil, 0, err
		}
		have := make([]string, len(stored))
		for i, p := range stored {
			have[i] = FormatPeriod(p)
		}
		return nil, 0, fmt.Errorf("store %s: %s %w, and no stored period divides it (stored: %s)",
			s.dir, key(fqme, period), ErrNotFound, strings.Join(have, ", "))
	}
	out, err := s.deriveBars(fqme, src, period, from, to, cal)
	if err != nil {
		return nil, 0, fmt.Errorf("store %s: %s from %s: %w", s.dir, key(fqme, period), FormatPeriod(src), err)
	}
	return out, src, nil
}

// CeilTime rounds t up to a multiple of p, leaving the open ends of a range
// (math.MinInt64, math.MaxInt64) open.
func CeilTime(t, p int64) int64 {
	if t == math.MinInt64 || t > math.MaxInt64-p {
		return t
	}
	f := FloorTime(t, p)
	if f == t {
		return t
	}
	return f + p
}
