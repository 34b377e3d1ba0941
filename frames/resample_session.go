package frames

import (
	"fmt"
	"time"
)

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
// (Tuesday's date after a Monday holiday), whether or not the data has it.
//
// Bars outside every session are kept: one between a session's close and
// the following local midnight (after-hours trading, CME's daily halt)
// joins that session's bar; any other (pre-market, a weekend) joins the
// next session's. Crypto's sessions are UTC days, so its daily bars are
// Resample's and its weeks start on Monday 00:00 UTC. Any other period and
// a nil calendar give Resample's epoch-aligned buckets (weeks starting on
// Thursday, the epoch's weekday).
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
	a := sessionAssigner{sess: cal.Sessions(ts[0]-Week, ts[n-1]+Week+1), loc: cal.Location(), name: cal.Name(), week: period == Week}
	s, until, err := a.assign(ts[0])
	if err != nil {
		return nil, err
	}
	out := New(period, len(a.sess)+1)
	key, label := a.key(s), a.label(s)
	b := bucketBar{op[0], hi[0], lo[0], cl[0], vo[0]}
	prev := ts[0]
	for i := 1; i < n; i++ {
		t := ts[i]
		if t <= prev {
			return nil, fmt.Errorf("resample: row %d: time %d is not after the previous bar's %d (sort or merge first)", i, t, prev)
		}
		prev = t
		// Bars before until belong where the last one did: one comparison
		// for most bars.
		if t >= until {
			if s, until, err = a.assign(t); err != nil {
				return nil, err
			}
			if next := a.key(s); next != key {
				out.Add(label, b.o, b.h, b.l, b.c, b.v)
				key, label = next, a.label(s)
				b = bucketBar{op[i], hi[i], lo[i], cl[i], vo[i]}
				continue
			}
		}
		b.add(hi[i], lo[i], cl[i], vo[i])
	}
	out.Add(label, b.o, b.h, b.l, b.c, b.v)
	return out, nil
}

// sessionAssigner finds the session a bar belongs to, for times visited in
// ascending order.
type sessionAssigner struct {
	sess []Session
	loc  *time.Location
	name string
	week bool
	k    int // the first session that may still be open
}

// assign returns the index of the session t belongs to and the instant
// until which later bars belong to it too.
func (a *sessionAssigner) assign(t int64) (int, int64, error) {
	for a.k < len(a.sess) && a.sess[a.k].Close <= t {
		a.k++
	}
	if a.k == len(a.sess) {
		return 0, 0, fmt.Errorf("resample: no %s session at or after %s", a.name, formatBarTime(t, 60))
	}
	next := a.sess[a.k]
	if t >= next.Open || a.k == 0 {
		return a.k, next.Close, nil
	}
	// Between two sessions: with the earlier one until its local midnight.
	if tail := a.midnightAfter(a.sess[a.k-1].Close); t < tail {
		return a.k - 1, min(tail, next.Open), nil
	}
	return a.k, next.Close, nil
}

func (a *sessionAssigner) midnightAfter(t int64) int64 {
	y, m, d := time.Unix(t, 0).In(a.loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, a.loc).Unix()
}

// key is the bar a session's trades go to: its trade date, or its week.
func (a *sessionAssigner) key(s int) int64 {
	if a.week {
		return weekOf(a.sess[s].Day)
	}
	return a.sess[s].Day
}

// label is the time of that bar: the trade date, or the calendar's first
// session of the week.
func (a *sessionAssigner) label(s int) int64 {
	if !a.week {
		return a.sess[s].Day
	}
	w := weekOf(a.sess[s].Day)
	for s > 0 && weekOf(a.sess[s-1].Day) == w {
		s--
	}
	return a.sess[s].Day
}

// weekOf is the Monday (00:00 UTC) of the week holding trade date day.
func weekOf(day int64) int64 {
	// 1970-01-01 was a Thursday: shift so weeks start on Monday.
	return FloorTime(day+3*Day, Week) - 3*Day
}
