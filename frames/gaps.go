package frames

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// GapKind says whether a gap is explained by the market's calendar.
type GapKind string

const (
	// GapMarketClosed is a gap in which the calendar expected no bar at all.
	GapMarketClosed GapKind = "market-closed"
	// GapUnexpected is a gap holding at least one bar slot in an open session.
	GapUnexpected GapKind = "unexpected"
)

// Causes given to unexpected gaps.
const (
	// CauseNoTrades: a short gap among quiet bars in a feed that leaves
	// empty intervals out, plausibly nobody traded.
	CauseNoTrades = "no-trades"
	// CauseMissingData: anything else; the bars should be there.
	CauseMissingData = "missing-data"
)

// noTradesMaxBars is the longest run of missing intraday bars still read as
// "nobody traded" rather than lost data.
const noTradesMaxBars = 5

// reportListCap bounds the null-row and out-of-order lists of a report (their
// counts stay exact): a series that is wholly unsorted would otherwise
// produce one entry per row.
const reportListCap = 1000

// Gap is a step between two consecutive bars longer than the period.
type Gap struct {
	// LastBar is the time of the last bar before the gap, NextBar the time of
	// the first bar after it; LastRow is LastBar's row.
	LastBar int64 `json:"last_bar"`
	NextBar int64 `json:"next_bar"`
	LastRow int   `json:"last_row"`
	// Duration is NextBar - LastBar in seconds.
	Duration int64 `json:"duration_s"`
	// Slots is the number of period-sized bar slots strictly between the two
	// bars; Missing is how many of those the calendar expected (slots that
	// overlap an open session).
	Slots   int64   `json:"slots"`
	Missing int64   `json:"missing_bars"`
	Kind    GapKind `json:"kind"`
	// Cause, for unexpected gaps only: CauseNoTrades or CauseMissingData.
	Cause string `json:"cause,omitempty"`
}

// Duplicate is a time that appears in consecutive rows more than once.
type Duplicate struct {
	Time int64 `json:"time"`
	// Row is the first copy's row.
	Row    int `json:"row"`
	Copies int `json:"copies"`
	// Conflicting is true when the copies' prices or volumes differ.
	Conflicting bool `json:"conflicting"`
}

// RowIssue is a null or out-of-order row.
type RowIssue struct {
	Row     int    `json:"row"`
	Time    int64  `json:"time"`
	Problem string `json:"problem"`
}

// GapSummary counts what a GapReport found.
type GapSummary struct {
	Gaps         int `json:"gaps"`
	MarketClosed int `json:"market_closed"`
	Unexpected   int `json:"unexpected"`
	NoTrades     int `json:"no_trades"`
	MissingData  int `json:"missing_data"`
	// MissingBars sums Missing over the unexpected gaps.
	MissingBars int64 `json:"missing_bars"`
	Duplicates  int   `json:"duplicates"`
	// DuplicateRows counts the extra copies (rows beyond the first).
	DuplicateRows int `json:"duplicate_rows"`
	Conflicting   int `json:"conflicting_duplicates"`
	NullRows      int `json:"null_rows"`
	OutOfOrder    int `json:"out_of_order"`
}

// GapReport is what FindGaps finds in a series.
type GapReport struct {
	Calendar string `json:"calendar"`
	Period   int64  `json:"period_s"`
	Bars     int    `json:"bars"`
	First    int64  `json:"first"`
	Last     int64  `json:"last"`

	Summary    GapSummary  `json:"summary"`
	Gaps       []Gap       `json:"gaps"`
	Duplicates []Duplicate `json:"duplicates"`
	// NullRows are rows with a zero time or all four prices zero; OutOfOrder
	// rows have a time before the latest time seen. Each list keeps at most
	// reportListCap entries; Summary has the full counts.
	NullRows   []RowIssue `json:"null_rows"`
	OutOfOrder []RowIssue `json:"out_of_order"`
}

// Clean reports whether the series has no unexpected gap, duplicate, null
// or out-of-order row.
func (r *GapReport) Clean() bool {
	s := r.Summary
	return s.Unexpected == 0 && s.Duplicates == 0 && s.NullRows == 0 && s.OutOfOrder == 0
}

// FindGaps scans f once and reports every gap (a step longer than the
// period), duplicate time, null row and out-of-order row, classifying each
// gap against cal (nil means 24/7). The period is f.Period, or the detected
// one when that is 0. Regular steps cost one comparison; the calendar is
// consulted only at gaps.
func FindGaps(f *OHLCV, cal Calendar) GapReport {
	if cal == nil {
		cal = Crypto
	}
	r := GapReport{Calendar: cal.Name(), Period: f.Period, Bars: f.Len(),
		Gaps: []Gap{}, Duplicates: []Duplicate{}, NullRows: []RowIssue{}, OutOfOrder: []RowIssue{}}
	if r.Period <= 0 {
		r.Period = DetectPeriod(f.Time)
	}
	n := f.Len()
	if n == 0 {
		return r
	}
	p := r.Period
	t := f.Time
	var nullTime []int
	q := quietness{f: f}

	prev, prevRow := int64(0), -1
	for i, ti := range t {
		if ti-prev == p && prevRow >= 0 {
			prev, prevRow = ti, i
			continue
		}
		switch d := ti - prev; {
		case ti == 0:
			nullTime = append(nullTime, i)
		case prevRow < 0:
			prev, prevRow = ti, i
		case d > p && p > 0:
			r.Gaps = append(r.Gaps, classifyGap(cal, p, prev, ti, prevRow, i, &q))
			prev, prevRow = ti, i
		case d == 0:
			r.addDuplicate(f, prevRow, i)
		case d < 0:
			r.Summary.OutOfOrder++
			if len(r.OutOfOrder) < reportListCap {
				r.OutOfOrder = append(r.OutOfOrder, RowIssue{i, ti,
					fmt.Sprintf("time %s is before the previous latest %s", formatBarTime(ti, p), formatBarTime(prev, p))})
			}
		default: // a step shorter than the period: an off-grid bar, not a gap
			prev, prevRow = ti, i
		}
	}
	r.findNullRows(f, nullTime)
	r.First, r.Last = firstLast(t)
	for _, g := range r.Gaps {
		r.Summary.Gaps++
		if g.Kind == GapMarketClosed {
			r.Summary.MarketClosed++
			continue
		}
		r.Summary.Unexpected++
		r.Summary.MissingBars += g.Missing
		if g.Cause == CauseNoTrades {
			r.Summary.NoTrades++
		} else {
			r.Summary.MissingData++
		}
	}
	return r
}

func firstLast(t []int64) (first, last int64) {
	for _, v := range t {
		if v != 0 {
			first = v
			break
		}
	}
	for i := len(t) - 1; i >= 0; i-- {
		if t[i] != 0 {
			return first, t[i]
		}
	}
	return first, last
}

func (r *GapReport) addDuplicate(f *OHLCV, first, i int) {
	conflict := f.Open[i] != f.Open[first] || f.High[i] != f.High[first] || f.Low[i] != f.Low[first] ||
		f.Close[i] != f.Close[first] || f.Volume[i] != f.Volume[first]
	r.Summary.DuplicateRows++
	if k := len(r.Duplicates) - 1; k >= 0 && r.Duplicates[k].Row == first {
		d := &r.Duplicates[k]
		d.Copies++
		if conflict && !d.Conflicting {
			d.Conflicting = true
			r.Summary.Conflicting++
		}
		return
	}
	r.Duplicates = append(r.Duplicates, Duplicate{Time: f.Time[i], Row: first, Copies: 2, Conflicting: conflict})
	r.Summary.Duplicates++
	if conflict {
		r.Summary.Conflicting++
	}
}

// findNullRows merges the zero-time rows found by the time scan with rows
// whose four prices are all zero. Checking Open first keeps this a single
// cheap pass over one column on clean data.
func (r *GapReport) findNullRows(f *OHLCV, nullTime []int) {
	k := 0
	for i, o := range f.Open {
		if o != 0 {
			continue
		}
		for ; k < len(nullTime) && nullTime[k] < i; k++ {
			r.addNull(nullTime[k], 0, "zero time")
		}
		if f.High[i] == 0 && f.Low[i] == 0 && f.Close[i] == 0 {
			if k < len(nullTime) && nullTime[k] == i {
				r.addNull(i, 0, "zero time and all prices zero")
				k++
				continue
			}
			r.addNull(i, f.Time[i], "all prices zero")
		}
	}
	for ; k < len(nullTime); k++ {
		r.addNull(nullTime[k], 0, "zero time")
	}
}

func (r *GapReport) addNull(row int, t int64, problem string) {
	r.Summary.NullRows++
	if len(r.NullRows) < reportListCap {
		r.NullRows = append(r.NullRows, RowIssue{row, t, problem})
	}
}

// classifyGap counts the bar slots of the gap (last, next) that overlap an
// open session and names the gap's kind and cause.
func classifyGap(cal Calendar, p, last, next int64, lastRow, nextRow int, q *quietness) Gap {
	g := Gap{LastBar: last, NextBar: next, LastRow: lastRow, Duration: next - last,
		Slots: (next - last - 1) / p}
	g.Missing = expectedSlots(cal, p, last, next)
	if g.Missing == 0 {
		g.Kind = GapMarketClosed
		return g
	}
	g.Kind = GapUnexpected
	g.Cause = CauseMissingData
	if p < 86400 && g.Missing <= noTradesMaxBars && q.quiet(lastRow, nextRow) {
		g.Cause = CauseNoTrades
	}
	return g
}

// expectedSlots counts the slots last+k·p (k ≥ 1, before next) whose bar
// [t, t+p) overlaps one of cal's sessions.
func expectedSlots(cal Calendar, p, last, next int64) int64 {
	kEnd := (next - last - 1) / p // last slot index
	if kEnd < 1 {
		return 0
	}
	var count, done int64 // done: highest slot index already counted
	for _, s := range cal.Sessions(last+p, last+kEnd*p+p) {
		// Slot k overlaps [s.Open, s.Close) when last+k·p < s.Close and
		// last+k·p+p > s.Open.
		lo := divFloor(s.Open-last-p, p) + 1
		hi := divFloor(s.Close-last-1, p)
		lo = max(lo, 1, done+1)
		hi = min(hi, kEnd)
		if hi >= lo {
			count += hi - lo + 1
			done = hi
		}
	}
	return count
}

func divFloor(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// quietness decides whether the bars around a gap look like a market where
// an empty interval is normal: the feed never writes zero-volume bars (so an
// interval without trades leaves a hole) and both neighbours trade no more
// than the series' lower quartile. It looks at the data only once, lazily.
type quietness struct {
	f         *OHLCV
	ready     bool
	fillsZero bool
	low       float64
}

func (q *quietness) quiet(a, b int) bool {
	if !q.ready {
		q.ready = true
		vol := q.f.Volume
		for _, v := range vol {
			if v == 0 {
				q.fillsZero = true
				break
			}
		}
		// A strided sample is plenty for a quartile and keeps this cheap on
		// 10M-bar series.
		step := max(1, len(vol)/4096)
		sample := make([]float64, 0, len(vol)/step+1)
		for i := 0; i < len(vol); i += step {
			sample = append(sample, vol[i])
		}
		sort.Float64s(sample)
		if len(sample) > 0 {
			q.low = sample[len(sample)/4]
		}
	}
	return !q.fillsZero && q.f.Volume[a] <= q.low && q.f.Volume[b] <= q.low
}

// String is the report as a person reads it: a summary, then the unexpected
// gaps, duplicates, null and out-of-order rows.
func (r GapReport) String() string {
	var b strings.Builder
	r.WriteTable(&b, false)
	return b.String()
}

// WriteTable writes the report with times in UTC; all includes the
// market-closed gaps.
func (r GapReport) WriteTable(w io.Writer, all bool) { r.WriteTableIn(w, all, time.UTC) }

// WriteTableIn writes the report with intraday times in loc (the
// exchange's zone, say); daily bars keep their date labels.
func (r GapReport) WriteTableIn(w io.Writer, all bool, loc *time.Location) {
	if loc == nil {
		loc = time.UTC
	}
	zone := loc.String()
	s := r.Summary
	p := r.Period
	formatBarTime := func(t, period int64) string { return formatBarTimeIn(t, period, loc) }
	span := ""
	if r.Bars > 0 {
		span = fmt.Sprintf(", %s .. %s", formatBarTime(r.First, p), formatBarTime(r.Last, p))
		if loc != time.UTC && p < 86400 {
			span += " " + zone
		}
	}
	fmt.Fprintf(w, "%d bars of %s, calendar %s%s\n", r.Bars, FormatPeriod(p), r.Calendar, span)
	fmt.Fprintf(w, "gaps: %d (%d market closed, %d unexpected: %d missing data, %d plausibly no trades; %d bars missing)\n",
		s.Gaps, s.MarketClosed, s.Unexpected, s.MissingData, s.NoTrades, s.MissingBars)
	fmt.Fprintf(w, "duplicates: %d times (%d extra rows, %d conflicting); null rows: %d; out of order: %d\n",
		s.Duplicates, s.DuplicateRows, s.Conflicting, s.NullRows, s.OutOfOrder)
	shown := 0
	for _, g := range r.Gaps {
		if !all && g.Kind == GapMarketClosed {
			continue
		}
		if shown == 0 {
			fmt.Fprintf(w, "\n%-20s  %-20s  %9s  %7s  %s\n", "last bar ("+zoneLabel(zone)+")", "next bar", "duration", "missing", "kind")
		}
		shown++
		kind := string(g.Kind)
		if g.Cause != "" {
			kind += " (" + g.Cause + ")"
		}
		fmt.Fprintf(w, "%-20s  %-20s  %9s  %7d  %s\n", formatBarTime(g.LastBar, p), formatBarTime(g.NextBar, p),
			formatSpan(g.Duration), g.Missing, kind)
	}
	for i, d := range r.Duplicates {
		if i == 0 {
			fmt.Fprintf(w, "\n%-20s  %6s  %6s  %s\n", "duplicate ("+zoneLabel(zone)+")", "row", "copies", "copies differ")
		}
		fmt.Fprintf(w, "%-20s  %6d  %6d  %v\n", formatBarTime(d.Time, p), d.Row, d.Copies, d.Conflicting)
	}
	for _, list := range []struct {
		title string
		rows  []RowIssue
		total int
	}{{"null rows", r.NullRows, s.NullRows}, {"out-of-order rows", r.OutOfOrder, s.OutOfOrder}} {
		if len(list.rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", list.title)
		for _, x := range list.rows {
			fmt.Fprintf(w, "row %d: %s\n", x.Row, x.Problem)
		}
		if list.total > len(list.rows) {
			fmt.Fprintf(w, "... and %d more\n", list.total-len(list.rows))
		}
	}
}

func formatBarTime(t, period int64) string { return formatBarTimeIn(t, period, time.UTC) }

// zoneLabel shortens a zone name for a column header: "America/Chicago"
// becomes "Chicago".
func zoneLabel(zone string) string {
	if i := strings.LastIndexByte(zone, '/'); i >= 0 {
		return zone[i+1:]
	}
	return zone
}

// formatBarTimeIn shows an intraday bar's time in loc; a daily bar's time
// is its date label and stays as it is.
func formatBarTimeIn(t, period int64, loc *time.Location) string {
	if period >= 86400 && t%86400 == 0 {
		return time.Unix(t, 0).UTC().Format("2006-01-02")
	}
	u := time.Unix(t, 0).In(loc)
	switch {
	case period%60 == 0 && t%60 == 0:
		return u.Format("2006-01-02 15:04")
	}
	return u.Format("2006-01-02 15:04:05")
}

// formatSpan writes a duration in its two largest units: 1d2h, 1h1m, 6m.
func formatSpan(s int64) string {
	units := []struct {
		n    int64
		name string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}
	var parts []string
	for _, u := range units {
		if s >= u.n && len(parts) < 2 {
			parts = append(parts, fmt.Sprintf("%d%s", s/u.n, u.name))
			s %= u.n
		} else if len(parts) > 0 {
			break
		}
	}
	if len(parts) == 0 {
		return "0s"
	}
	return strings.Join(parts, "")
}
