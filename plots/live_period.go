package plots

import (
	"fmt"
	"log/slog"
	"net/http"

	"workbench/frames"
)

// SetPeriod shows every chart's bars resampled to period seconds (first
// open, extremes, last close, summed volume per bucket), or as they were
// given with 0. It applies to the whole window, since charts may share bar
// series. The bars given stay the source: bars appended later go to them
// and the bucket holding each is resampled again. Derived series are
// recomputed (Derive) and pages reload.
func (l *Live) SetPeriod(period int64) error {
	if period < 0 {
		return fmt.Errorf("live period %d: want a positive number of seconds, or 0 for the bars as given", period)
	}
	l.data.Lock()
	var frs []*frames.OHLCV
	seen := map[*frames.OHLCV]bool{}
	for _, lc := range l.charts {
		for _, p := range lc.c.Panes {
			for _, s := range p.Series {
				if s.Bars != nil && !seen[s.Bars] {
					seen[s.Bars] = true
					frs = append(frs, s.Bars)
				}
			}
		}
	}
	// Resample everything before changing anything: a period that does not
	// suit one series leaves the window as it was.
	next := make([]*frames.OHLCV, len(frs))
	for k, f := range frs {
		src := l.base[f]
		if src == nil {
			src = f
		}
		if period == 0 {
			next[k] = src.Clone()
			continue
		}
		r, err := src.Resample(period)
		if err != nil {
			l.data.Unlock()
			return fmt.Errorf("live period %s: %w", frames.FormatPeriod(period), err)
		}
		next[k] = r
	}
	for k, f := range frs {
		switch {
		case period == 0:
			delete(l.base, f) // f holds the bars as given again
		case l.base[f] == nil:
			l.base[f] = f.Clone()
		}
		*f = *next[k]
	}
	l.period = period
	for i, lc := range l.charts {
		if lc.derive != nil {
			lc.derive()
		}
		lc.resetView()
		lc.version++
		l.publish(i, lc, 0, true)
	}
	l.data.Unlock()
	l.notify()
	return nil
}

// insert puts b into f, or with a period set into f's source bars and the
// bucket holding b into f; it reports whether f changed and the time of
// the row of f that b went to.
func (l *Live) insert(f *frames.OHLCV, b frames.Bar) (bool, int64) {
	src := l.base[f]
	if src == nil {
		return insertBar(f, b), b.Time
	}
	t0 := frames.FloorTime(b.Time, l.period)
	if !insertBar(src, b) {
		return false, t0
	}
	i0, i1 := span(src.Time, t0, t0+l.period)
	r, err := src.Rows(i0, i1).Resample(l.period)
	if err != nil || r.Len() != 1 {
		// Not expected: the rows of one bucket of bars in time order.
		slog.Error("live: resampling a bucket", "time", t0, "rows", i1-i0, "err", err)
		return false, t0
	}
	return insertBar(f, r.At(0)), t0
}

// periodHandler switches the window's period (POST period=5m; "" for the
// bars as given).
func (l *Live) periodHandler(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var p int64
	if s := r.URL.Query().Get("period"); s != "" {
		var err error
		if p, err = frames.ParsePeriod(s); err != nil {
			http.Error(w, "period: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	if err := l.SetPeriod(p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// periodChoices are the periods the page offers: the usual ones that are
// multiples of every bar series' own period and coarser than the finest.
func (l *Live) periodChoices() []string {
	var steps []int64
	for _, lc := range l.charts {
		for _, p := range lc.c.Panes {
			for _, s := range p.Series {
				if s.Bars == nil {
					continue
				}
				f := s.Bars
				if b := l.base[f]; b != nil {
					f = b
				}
				step := f.Period
				if step <= 0 {
					step = frames.DetectPeriod(f.Time)
				}
				if step > 0 {
					steps = append(steps, step)
				}
			}
		}
	}
	var out []string
	for _, p := range []int64{60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400} {
		ok := len(steps) > 0
		for _, s := range steps {
			ok = ok && p%s == 0 && p > s
		}
		if ok {
			out = append(out, frames.FormatPeriod(p))
		}
	}
	return out
}
