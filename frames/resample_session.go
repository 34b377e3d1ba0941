package frames

import "fmt"

// Session-aligned periods: a trading day and a trading week.
const (
	Day  int64 = 86400
	Week int64 = 7 * 86400
)

// ResampleIn aggregates the series into bars of period aligned to cal's
// sessions. A daily bar (period Day) holds one session and is labelled by
// its trade date (00:00 UTC of that date): CME's session that opens Sunday
// 17:00 Chicago is Monday's bar, a session split by a halt is one bar. A
// weekly bar (Week) holds the sessions of one Monday-to-Sunday week of trade
// dates and is labelled by the calendar's first session of that week
// (Tuesday's date after a Monday holiday), whether or not the data has it. A bar outside every session (extended hours) joins the
// next session's bar, so nothing is dropped. Crypto's sessions are UTC
// days, so its daily bars are Resample's and its weeks start on Monday
// 00:00 UTC. Any other period and a nil calendar give Resample's
// epoch-aligned buckets (weeks starting on Thursday, the epoch's weekday).
//
// Aggregation and errors are Resample's: first open, highest high, lowest
// low, last close, summed volume; NaN sticks; time must ascend.
func (f *OHLCV) ResampleIn(period int64, cal Calendar) (*OHLCV, error) {
	if cal == nil || (period != Day && period != Week) {
		return f.Resample(period)
	}
	if err := f.checkColumns(); err != nil {
		return nil, fmt.Errorf("resample: %w", err)
	}
	src := f.Period
	if src == 0 {
		src = DetectPeriod(f.Time)
	}
	if src >= period {
		return nil, fmt.Errorf("resample: target period %s is not coarser than the series' period %s",
			FormatPeriod(period), FormatPeriod(src))
	}
	n := f.Len()
	if n == 0 {
		return New(period, 0), nil
	}
	ts, op, hi, lo, cl, vo := f.Time, f.Open, f.High, f.Low, f.Close, f.Volume
	// Sessions from a week before the first bar (the first week's start)
	// to a week past the last (every bar has a next session).
	sess := cal.Sessions(ts[0]-Week, ts[n-1]+Week+1)
	k := 0
	label := func(t int64) (int64, error) {
		for k < len(sess) && sess[k].Close <= t {
			k++
		}
		if k == len(sess) {
			return 0, fmt.Errorf("resample: no %s session at or after %s", cal.Name(), formatBarTime(t, 60))
		}
		if period == Week {
			return weekOf(sess[k].Day), nil
		}
		return sess[k].Day, nil
	}
	// firstOfWeek is the Day of the calendar's first session in sess[k]'s
	// week.
	firstOfWeek := func() int64 {
		j := k
		for j > 0 && weekOf(sess[j-1].Day) == weekOf(sess[k].Day) {
			j--
		}
		return sess[j].Day
	}
	key, err := label(ts[0])
	if err != nil {
		return nil, err
	}
	out := New(period, len(sess)+1)
	firstDay := firstOfWeek()
	// end is the current session's close, kept in a register: most bars
	// fall in the current session and cost one comparison.
	end := sess[k].Close
	o, h, l, c, v := op[0], hi[0], lo[0], cl[0], vo[0]
	prev := ts[0]
	for i := 1; i < n; i++ {
		t := ts[i]
		if t <= prev {
			return nil, fmt.Errorf("resample: row %d: time %d is not after the previous bar's %d (sort or merge first)", i, t, prev)
		}
		prev = t
		if t >= end {
			next, err := label(t)
			if err != nil {
				return nil, err
			}
			end = sess[k].Close
			if next != key {
				out.Add(barLabel(period, key, firstDay), o, h, l, c, v)
				key, firstDay = next, firstOfWeek()
				o, h, l, c, v = op[i], hi[i], lo[i], cl[i], vo[i]
				continue
			}
		}
		if x := hi[i]; x > h || x != x {
			h = x
		}
		if x := lo[i]; x < l || x != x {
			l = x
		}
		c = cl[i]
		v += vo[i]
	}
	out.Add(barLabel(period, key, firstDay), o, h, l, c, v)
	return out, nil
}

// weekOf is the Monday (00:00 UTC) of the week holding trade date day.
func weekOf(day int64) int64 {
	// 1970-01-01 was a Thursday: shift so weeks start on Monday.
	return floorTo(day+3*Day, Week) - 3*Day
}

// barLabel: a daily bar is its trade date, a weekly bar its first session's.
func barLabel(period, key, firstDay int64) int64 {
	if period == Week {
		return firstDay
	}
	return key
}
