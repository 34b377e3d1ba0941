package frames

import "sort"

// Search returns the index of the first bar whose time is at or after t, or
// Len() if there is none. The series must be ascending in time.
func (f *OHLCV) Search(t int64) int {
	ts := f.times()
	return sort.Search(len(ts), func(i int) bool { return ts[i] >= t })
}

// IndexOf returns the index of the bar that opens exactly at t, or -1.
func (f *OHLCV) IndexOf(t int64) int {
	i := f.Search(t)
	if i < f.Len() && f.Time[i] == t {
		return i
	}
	return -1
}

// Slice returns the bars with from <= Time < to as a view sharing the column
// arrays (Clone it before changing values). The first bar returned is never
// before from: piker's slice_from_time pads one sample on the left on
// uniform data, which callers then mistook for the bar at from.
// An empty or inverted range gives an empty view.
func (f *OHLCV) Slice(from, to int64) *OHLCV {
	if f == nil {
		return &OHLCV{}
	}
	i := f.Search(from)
	j := i
	if to > from {
		ts := f.Time[i:]
		j = i + sort.Search(len(ts), func(k int) bool { return ts[k] >= to })
	}
	return f.Rows(i, j)
}

func (f *OHLCV) times() []int64 {
	if f == nil {
		return nil
	}
	return f.Time
}
