package frames

import "math"

// deriveBars reads fqme's src bars and aggregates those of the buckets
// opening in [from, to) into period bars, along cal's sessions for daily
// and weekly bars (ResampleIn).
func (s *Store) deriveBars(fqme string, src, period, from, to int64, cal Calendar) (*OHLCV, error) {
	if cal == nil || (period != Day && period != Week) {
		raw, err := s.ReadRange(fqme, src, CeilTime(from, period), CeilTime(to, period))
		if err != nil {
			return nil, err
		}
		return raw.Resample(period)
	}
	// A session bar holds source bars from the evening before its label
	// to up to a week after it: read a week more on each side, then keep
	// the bars labelled in [from, to).
	raw, err := s.ReadRange(fqme, src, satAdd(from, -2*Week), satAdd(to, 2*Week))
	if err != nil {
		return nil, err
	}
	out, err := raw.ResampleIn(period, cal)
	if err != nil {
		return nil, err
	}
	return out.Slice(from, to), nil
}

// satAdd is a + b clamped to the int64 range, so open range ends stay open.
func satAdd(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}
