package frames

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// ConflictPolicy says which bar Merge keeps when two bars share a time but
// differ in a value.
type ConflictPolicy int

const (
	// KeepNewest keeps the bar from the newer series (the default): a later
	// download corrects an earlier one.
	KeepNewest ConflictPolicy = iota
	// KeepOldest keeps the bar already stored.
	KeepOldest
	// FailOnConflict makes Merge return an error wrapping ErrConflict.
	FailOnConflict
)

// ErrConflict is wrapped by Merge's error under FailOnConflict.
var ErrConflict = errors.New("conflicting bars")

// MergeOptions tunes Merge. The zero value keeps the newest bar on conflict.
type MergeOptions struct {
	OnConflict ConflictPolicy
}

// Conflict is a pair of bars with the same time and different values. Old
// is the bar from the receiver (or the earlier row of the same input), New
// the bar from the newer series (or the later row).
type Conflict struct {
	Time     int64
	Old, New Bar
}

func (c Conflict) String() string {
	return fmt.Sprintf("%s: old %v, new %v", time.Unix(c.Time, 0).UTC().Format(time.RFC3339), c.Old, c.New)
}

// MergeReport tells what Merge did.
type MergeReport struct {
	Rows       int        // bars in the result
	Added      int        // bars whose time the receiver did not have
	Duplicates int        // identical duplicate bars dropped
	Conflicts  []Conflict // same time, different values; resolved by the policy
	Resorted   bool       // an input was not strictly ascending and was sorted
}

// Merge returns the union of f and newer by time, strictly ascending, in new
// arrays (neither input is changed). A bar present in both with identical
// values is kept once; bars with the same time and different values are
// listed in the report and resolved by opt.OnConflict. Inputs out of order
// are sorted first; duplicates inside one input are handled the same way,
// its later row counting as the newer. Series of different non-zero periods
// do not merge.
func (f *OHLCV) Merge(newer *OHLCV, opt MergeOptions) (*OHLCV, MergeReport, error) {
	var rep MergeReport
	if f == nil {
		f = &OHLCV{}
	}
	if newer == nil {
		newer = &OHLCV{}
	}
	if err := f.checkColumns(); err != nil {
		return nil, rep, fmt.Errorf("merge: receiver: %w", err)
	}
	if err := newer.checkColumns(); err != nil {
		return nil, rep, fmt.Errorf("merge: newer series: %w", err)
	}
	period := f.Period
	if newer.Period != 0 {
		if period != 0 && period != newer.Period {
			return nil, rep, fmt.Errorf("merge: period %s does not match the receiver's %s",
				FormatPeriod(newer.Period), FormatPeriod(period))
		}
		period = newer.Period
	}
	a := normalize(f, opt.OnConflict, &rep)
	b := normalize(newer, opt.OnConflict, &rep)
	out := New(period, a.Len()+b.Len())
	switch {
	case b.Len() == 0 || a.Len() == 0 || b.Time[0] > a.Time[a.Len()-1]:
		out.appendRows(a, 0, a.Len())
		out.appendRows(b, 0, b.Len())
	case b.Time[b.Len()-1] < a.Time[0]:
		out.appendRows(b, 0, b.Len())
		out.appendRows(a, 0, a.Len())
	default:
		mergeSorted(out, a, b, opt.OnConflict, &rep)
	}
	rep.Rows = out.Len()
	rep.Added = out.Len() - a.Len()
	if opt.OnConflict == FailOnConflict && len(rep.Conflicts) > 0 {
		return nil, rep, fmt.Errorf("merge: %d %w, the first at %s", len(rep.Conflicts), ErrConflict,
			time.Unix(rep.Conflicts[0].Time, 0).UTC().Format(time.RFC3339))
	}
	return out, rep, nil
}

// mergeSorted merges two strictly ascending series into out.
func mergeSorted(out, a, b *OHLCV, policy ConflictPolicy, rep *MergeReport) {
	i, j := 0, 0
	for i < a.Len() && j < b.Len() {
		ta, tb := a.Time[i], b.Time[j]
		switch {
		case ta < tb:
			// Copy the whole run of a before tb at once.
			k := i + sort.Search(a.Len()-i, func(k int) bool { return a.Time[i+k] >= tb })
			out.appendRows(a, i, k)
			i = k
		case tb < ta:
			k := j + sort.Search(b.Len()-j, func(k int) bool { return b.Time[j+k] >= ta })
			out.appendRows(b, j, k)
			j = k
		default:
			oldBar, newBar := a.At(i), b.At(j)
			keep := oldBar
			if !sameBar(oldBar, newBar) {
				rep.Conflicts = append(rep.Conflicts, Conflict{ta, oldBar, newBar})
				if policy == KeepNewest {
					keep = newBar
				}
			} else {
				rep.Duplicates++
			}
			out.Add(keep.Time, keep.Open, keep.High, keep.Low, keep.Close, keep.Volume)
			i++
			j++
		}
	}
	out.appendRows(a, i, a.Len())
	out.appendRows(b, j, b.Len())
}

// normalize returns f itself when it is strictly ascending, otherwise a
// stably sorted copy with duplicate times collapsed (reported in rep).
func normalize(f *OHLCV, policy ConflictPolicy, rep *MergeReport) *OHLCV {
	strict, sorted := true, true
	for i := 1; i < len(f.Time); i++ {
		if f.Time[i] <= f.Time[i-1] {
			strict = false
			if f.Time[i] < f.Time[i-1] {
				sorted = false
				break
			}
		}
	}
	if strict {
		return f
	}
	idx := make([]int, f.Len())
	for i := range idx {
		idx[i] = i
	}
	if !sorted {
		rep.Resorted = true
		sort.SliceStable(idx, func(x, y int) bool { return f.Time[idx[x]] < f.Time[idx[y]] })
	}
	out := New(f.Period, f.Len())
	for _, i := range idx {
		bar := f.At(i)
		last := out.Len() - 1
		if last < 0 || out.Time[last] != bar.Time {
			out.Add(bar.Time, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume)
			continue
		}
		kept := out.At(last)
		if sameBar(kept, bar) {
			rep.Duplicates++
			continue
		}
		rep.Conflicts = append(rep.Conflicts, Conflict{bar.Time, kept, bar})
		if policy == KeepNewest {
			out.Open[last], out.High[last], out.Low[last] = bar.Open, bar.High, bar.Low
			out.Close[last], out.Volume[last] = bar.Close, bar.Volume
		}
	}
	return out
}

// sameBar compares values, counting two NaNs as the same value.
func sameBar(x, y Bar) bool {
	eq := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	return x.Time == y.Time && eq(x.Open, y.Open) && eq(x.High, y.High) && eq(x.Low, y.Low) &&
		eq(x.Close, y.Close) && eq(x.Volume, y.Volume)
}

func (f *OHLCV) appendRows(src *OHLCV, i, j int) {
	f.Time = append(f.Time, src.Time[i:j]...)
	f.Open = append(f.Open, src.Open[i:j]...)
	f.High = append(f.High, src.High[i:j]...)
	f.Low = append(f.Low, src.Low[i:j]...)
	f.Close = append(f.Close, src.Close[i:j]...)
	f.Volume = append(f.Volume, src.Volume[i:j]...)
}

// checkColumns reports columns whose length differs from Time's; operations
// that index by row would otherwise panic on such a series.
func (f *OHLCV) checkColumns() error {
	n := len(f.Time)
	for _, c := range [...]struct {
		name string
		v    []float64
	}{{"open", f.Open}, {"high", f.High}, {"low", f.Low}, {"close", f.Close}, {"volume", f.Volume}} {
		if len(c.v) != n {
			return fmt.Errorf("column %s has %d values but time has %d", c.name, len(c.v), n)
		}
	}
	return nil
}
