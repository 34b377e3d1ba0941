package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"time"

	"workbench/feeds"
	"workbench/frames"
)

// History downloads a venue's bars into the store.
type History struct {
	Venue feeds.Venue
	Store *frames.Store
	// Retries is how many times a failing request is tried again, resuming
	// after the last bar received (default 5); Backoff the first wait,
	// doubling each time (default 1 s).
	Retries int
	Backoff time.Duration
	// Sleep waits d or until ctx is done (default: a timer); tests make
	// it instant.
	Sleep func(ctx context.Context, d time.Duration) error
	// Batch is how many bars are appended to the store at once (default
	// 50000): a crash loses at most one batch, which a second run fetches.
	// Each append rewrites the series file, so batches are large: a year
	// of minutes is 11 appends, not one per page as piker's backfill.
	Batch int
	// Progress, when set, is called after each page.
	Progress func(Progress)
}

// Progress is how far a fetch is, in bar slots of the ranges it asks for.
type Progress struct {
	FQME        string
	Done, Total int64
	Bars        int // bars received so far
}

// Report tells what a Fetch asked of the venue and what it got.
type Report struct {
	FQME   string `json:"fqme"`
	Period int64  `json:"period"`
	From   int64  `json:"from"`
	To     int64  `json:"to"`
	// Source is "bars" (the venue's own bars) or "trades" (bars built
	// from its trades, for periods its bars do not serve).
	Source string `json:"source"`
	// Requested are the ranges the store lacked and the venue was asked
	// for; Stored how many bars of [From, To) the store had already.
	Requested []Range `json:"requested"`
	Stored    int     `json:"stored"`
	// Fetched bars came from the venue; Added of them were new to the
	// store; Corrected replaced a stored bar that differed.
	Fetched   int `json:"fetched"`
	Added     int `json:"added"`
	Corrected int `json:"corrected"`
	// Empty are intervals the exchange has no bar for: nobody traded (or
	// the market did not exist yet). Not an error.
	Empty []Range `json:"empty"`
	// KnownEmpty are intervals not asked for because an earlier fetch
	// found the exchange has no bars there.
	KnownEmpty []Range `json:"known_empty"`
	// Unclosed is the part of the range after the venue's latest closed
	// bar: not there yet, or no trades since.
	Unclosed *Range `json:"unclosed,omitempty"`
	Retries  int    `json:"retries"`
}

func (h *History) defaults() History {
	c := *h
	if c.Retries <= 0 {
		c.Retries = 5
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.Sleep == nil {
		c.Sleep = feeds.WallClock.Sleep
	}
	if c.Batch <= 0 {
		c.Batch = 50000
	}
	return c
}

// Fetch downloads fqme's bars of period opening in [from, to) (epoch s)
// from venue into store, asking only for what the store lacks; see
// History.Fetch.
func Fetch(ctx context.Context, venue feeds.Venue, store *frames.Store, fqme string, period, from, to int64,
	progress func(Progress)) (Report, error) {
	h := History{Venue: venue, Store: store, Progress: progress}
	return h.Fetch(ctx, fqme, period, from, to)
}

// Fetch downloads the bars of period opening in [from, to) that the store
// lacks, oldest first, appending them in batches. Bars come from the
// venue's bar history when it serves the period, else they are built from
// its trades. A failing request is retried from the bar after the last one
// received; if it keeps failing Fetch returns the error with everything
// received before stored, so running it again fetches only the rest.
func (h *History) Fetch(ctx context.Context, fqme string, period, from, to int64) (Report, error) {
	c := h.defaults()
	rep := Report{FQME: fqme, Period: period, Source: c.source(period), Requested: []Range{}, Empty: []Range{}, KnownEmpty: []Range{}}
	if err := c.checkPeriod(period); err != nil {
		return rep, err
	}
	from, to = frames.CeilTime(from, period), frames.CeilTime(to, period)
	rep.From, rep.To = from, to
	if from >= to {
		return rep, fmt.Errorf("fetch %s: empty range: from %s is not before to %s", fqme, formatTime(from, period), formatTime(to, period))
	}
	stored, err := c.Store.Read(fqme, period)
	if errors.Is(err, frames.ErrNotFound) {
		stored, err = frames.New(period, 0), nil
	}
	if err != nil {
		return rep, err
	}
	known, err := loadEmpty(c.Store, fqme, period)
	if err != nil {
		return rep, err
	}
	i, j := searchTime(stored.Time, from), searchTime(stored.Time, to)
	rep.Stored = j - i
	lacking := missingSlots(stored.Time[i:j], period, from, to)
	rep.Requested = subtract(lacking, known)
	rep.KnownEmpty = subtract(lacking, rep.Requested)
	var total int64
	for _, r := range rep.Requested {
		total += r.Slots(period)
	}
	latest := int64(math.MinInt64)
	if n := stored.Len(); n > 0 {
		latest = stored.Time[n-1]
	}
	w := c.newWriter(fqme, period)
	var done int64
	var got []Range // slots the venue returned bars for
	var ferr error
	var covered []Range // the part of the requested ranges the venue answered for
	for _, r := range rep.Requested {
		k := searchTime(stored.Time, r.From)
		prev := math.NaN()
		if k > 0 {
			prev = stored.Close[k-1]
		}
		reached := r.From
		retries, err := c.fetchRange(ctx, fqme, period, r, prev, func(f *frames.OHLCV) error {
			if f.Len() == 0 {
				return nil
			}
			reached = f.Time[f.Len()-1] + period
			rep.Fetched += f.Len()
			got = append(got, slotRanges(f.Time, period)...)
			latest = max(latest, f.Time[f.Len()-1])
			if c.Progress != nil {
				c.Progress(Progress{FQME: fqme, Done: done + (f.Time[f.Len()-1]+period-r.From)/period, Total: total, Bars: rep.Fetched})
			}
			return w.add(f)
		})
		rep.Retries += retries
		if err == nil {
			err = w.flush()
		} else {
			err = errors.Join(err, w.flush())
		}
		rep.Added, rep.Corrected = w.added, w.corrected
		if err != nil {
			covered = append(covered, Range{r.From, reached})
			ferr = fmt.Errorf("fetch %s %s, %s: %w", fqme, frames.FormatPeriod(period), r.Format(period), err)
			break
		}
		covered = append(covered, r)
		done += r.Slots(period)
		if c.Progress != nil {
			c.Progress(Progress{FQME: fqme, Done: done, Total: total, Bars: rep.Fetched})
		}
	}
	// A slot the venue returned nothing for is empty only before a bar it
	// has closed; after the latest one it may just not be closed yet.
	for _, r := range subtract(union(covered), union(got)) {
		if r.To <= latest {
			rep.Empty = append(rep.Empty, r)
		} else if rep.Unclosed == nil {
			rep.Unclosed = &Range{r.From, to}
		}
	}
	return rep, errors.Join(ferr, addEmpty(c.Store, fqme, period, rep.Empty))
}

func searchTime(t []int64, x int64) int {
	i, _ := slices.BinarySearch(t, x)
	return i
}

// slotRanges turns ascending bar times into the ranges of slots they fill.
func slotRanges(t []int64, period int64) []Range {
	var out []Range
	for _, x := range t {
		if n := len(out); n > 0 && out[n-1].To == x {
			out[n-1].To = x + period
			continue
		}
		out = append(out, Range{x, x + period})
	}
	return out
}

func (h *History) source(period int64) string {
	if slices.Contains(h.Venue.BarPeriods(), period) {
		return "bars"
	}
	return "trades"
}

// checkPeriod refuses periods neither the venue's bars nor bars built from
// its trades can give.
func (h *History) checkPeriod(period int64) error {
	if period < 1 {
		return fmt.Errorf("%s: period %d s: want at least one second", h.Venue.Name(), period)
	}
	_, err := feeds.NewSampler(h.Venue.Name(), period, h.Venue.EmptyBars())
	return err
}

// fetchRange calls sink with the bars opening in r, retrying failed
// requests from where they stopped. It returns how many retries it took.
func (h *History) fetchRange(ctx context.Context, fqme string, period int64, r Range, prevClose float64,
	sink func(*frames.OHLCV) error) (int, error) {
	cur := r.From
	trades := h.source(period) == "trades"
	retries := 0
	for attempt := 0; ; attempt++ {
		before := cur
		var err error
		if !trades {
			err = h.Venue.Bars(ctx, fqme, period, cur, r.To, func(f *frames.OHLCV) error {
				f = within(f, cur, r.To)
				if n := f.Len(); n > 0 {
					cur = f.Time[n-1] + period
				}
				return sink(f)
			})
		} else {
			err = h.tradeBars(ctx, fqme, period, &cur, &prevClose, r.To, sink)
		}
		if err == nil {
			return retries, nil
		}
		var se sinkError
		if errors.As(err, &se) || ctx.Err() != nil {
			return retries, err
		}
		if cur > before {
			attempt = 0 // it got further: the count is of failures in a row
		}
		if attempt >= h.Retries {
			return retries, err
		}
		retries++
		d := h.Backoff << attempt
		slog.Warn("venue request failed; retrying", "venue", h.Venue.Name(), "fqme", fqme,
			"from", formatTime(cur, period), "attempt", attempt+1, "wait", d, "err", err)
		if err := h.Sleep(ctx, d); err != nil {
			return retries, err
		}
	}
}

// sinkError marks a failure of the store, not of the venue: not retried.
type sinkError struct{ err error }

func (e sinkError) Error() string { return e.err.Error() }
func (e sinkError) Unwrap() error { return e.err }

// tradeBars builds the bars of the slots from *next to to from the
// venue's trades with the sampler, advancing *next and *prevClose past the
// bars it hands to sink (so a retry resumes at the bar that was forming).
// The bar forming at to closes only when a trade at or after to proves it
// closed, which is why trades are read one period beyond it. On a flat
// venue the empty slots before the first trade get flat bars at prevClose.
func (h *History) tradeBars(ctx context.Context, fqme string, period int64, next *int64, prevClose *float64, to int64,
	sink func(*frames.OHLCV) error) error {
	empty := h.Venue.EmptyBars()
	s := newSampler(fqme, period, empty)
	pns := period * 1e9
	emit := func(out *frames.OHLCV) error {
		if out.Len() == 0 {
			return nil
		}
		if empty == feeds.FlatBar && out.Time[0] > *next {
			lead := frames.New(period, 0)
			addFlat(lead, *next, out.Time[0], period, *prevClose)
			out = appendRows(lead, out)
		}
		*next, *prevClose = out.Time[out.Len()-1]+period, out.Close[out.Len()-1]
		if err := sink(out); err != nil {
			return sinkError{err}
		}
		return nil
	}
	return h.Venue.Trades(ctx, fqme, *next*1e9, (to+period)*1e9, func(trades []feeds.Trade) error {
		out := frames.New(period, 0)
		for _, tr := range trades {
			if frames.FloorTime(tr.Time, pns)/1e9 >= to {
				addEvents(out, s.Advance(to*1e9))
				break
			}
			addEvents(out, s.Add(tr))
		}
		return emit(out)
	})
}

// within is the rows of f with from ≤ time < to.
func within(f *frames.OHLCV, from, to int64) *frames.OHLCV {
	i, j := searchTime(f.Time, from), searchTime(f.Time, to)
	if i == 0 && j == f.Len() {
		return f
	}
	g := f.Rows(i, j)
	g.Period = f.Period
	return g
}

// writer appends bars to a series in batches.
type writer struct {
	st               *frames.Store
	fqme             string
	batch            int
	buf              *frames.OHLCV
	added, corrected int
}

func (h *History) newWriter(fqme string, period int64) *writer {
	return &writer{st: h.Store, fqme: fqme, batch: h.Batch, buf: frames.New(period, 0)}
}

func (w *writer) add(f *frames.OHLCV) error {
	appendRows(w.buf, f)
	if w.buf.Len() >= w.batch {
		if err := w.flush(); err != nil {
			return sinkError{err}
		}
	}
	return nil
}

func (w *writer) flush() error {
	if w.buf.Len() == 0 {
		return nil
	}
	rep, err := w.st.Append(w.fqme, w.buf)
	if err != nil {
		return err
	}
	w.added += rep.Added
	w.corrected += len(rep.Conflicts)
	w.buf = frames.New(w.buf.Period, 0)
	return nil
}

// WriteText writes the report as a person reads it.
func (r Report) WriteText(w io.Writer) {
	p := r.Period
	fmt.Fprintf(w, "%s %s, %s .. %s (from the venue's %s)\n", r.FQME, frames.FormatPeriod(p),
		formatTime(r.From, p), formatTime(r.To-p, p), r.Source)
	fmt.Fprintf(w, "stored before: %d bars; asked for %d ranges (%d slots); fetched %d bars, %d new, %d corrected",
		r.Stored, len(r.Requested), totalSlots(r.Requested, p), r.Fetched, r.Added, r.Corrected)
	if r.Retries > 0 {
		fmt.Fprintf(w, ", %d requests retried", r.Retries)
	}
	fmt.Fprintln(w)
	writeEmpty(w, r.Empty, p, "the exchange has no bars (no trades)")
	writeEmpty(w, r.KnownEmpty, p, "not asked again, the exchange had no bars")
	if r.Unclosed != nil {
		fmt.Fprintf(w, "not closed at the venue yet (or no trades since its latest bar): %s\n", r.Unclosed.Format(p))
	}
}

func totalSlots(rs []Range, p int64) int64 {
	var n int64
	for _, r := range rs {
		n += r.Slots(p)
	}
	return n
}

// writeEmpty lists rs under a heading, the first few in full.
func writeEmpty(w io.Writer, rs []Range, p int64, what string) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "%s: %d bars in %d intervals\n", what, totalSlots(rs, p), len(rs))
	const show = 10
	for i, r := range rs {
		if i == show {
			fmt.Fprintf(w, "  ... and %d more\n", len(rs)-show)
			break
		}
		fmt.Fprintf(w, "  %s\n", r.Format(p))
	}
}
