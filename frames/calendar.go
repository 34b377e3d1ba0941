package frames

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	// Calendars need America/New_York and America/Chicago on machines without
	// a zoneinfo database (scratch containers, Windows).
	_ "time/tzdata"
)

// Session is one open interval of a market, [Open, Close) in epoch seconds.
type Session struct {
	Open, Close int64
}

// Calendar says when a market trades. Gap classification asks it how many
// bars a closed-looking stretch should have held; the synthetic generator asks
// it where the next bar goes.
type Calendar interface {
	// Name is the name CalendarByName knows it by.
	Name() string
	// IsOpen reports whether the market trades at instant t (epoch seconds).
	IsOpen(t int64) bool
	// Sessions returns the open intervals overlapping [from, to), clipped to
	// it, in time order and not overlapping.
	Sessions(from, to int64) []Session
}

// calendarNames lists the calendars CalendarByName knows, for error messages.
var calendarNames = []string{"crypto", "us-equity", "cme"}

// CalendarNames returns the names CalendarByName accepts.
func CalendarNames() []string { return append([]string(nil), calendarNames...) }

// CalendarByName returns a market calendar: "crypto" (always open),
// "us-equity" (NYSE regular sessions) or "cme" (CME Globex).
func CalendarByName(name string) (Calendar, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "crypto", "24/7", "always":
		return Crypto, nil
	case "us-equity", "nyse", "nasdaq":
		return USEquity, nil
	case "cme", "globex":
		return CME, nil
	}
	return nil, fmt.Errorf("calendar %q: unknown; valid calendars are %s", name, strings.Join(calendarNames, ", "))
}

// Crypto is the 24/7 calendar: every instant is open, so every gap is unexpected.
var Crypto Calendar = alwaysOpen{}

type alwaysOpen struct{}

func (alwaysOpen) Name() string      { return "crypto" }
func (alwaysOpen) IsOpen(int64) bool { return true }
func (alwaysOpen) Sessions(from, to int64) []Session {
	if from >= to {
		return nil
	}
	return []Session{{from, to}}
}

// USEquity is the NYSE regular session, 09:30–16:00 America/New_York, closed
// on weekends, NYSE holidays and special closures, closing at 13:00 on the
// customary early-close days. A daily bar stands for its trading day: a bar
// [t, t+period) is expected when it overlaps a session.
var USEquity Calendar = &dailySessions{name: "us-equity", loc: mustLoad("America/New_York"), session: nyseSession}

// CME is CME Globex: Sunday 17:00 to Friday 16:00 America/Chicago with a
// daily 16:00–17:00 halt; the session of trading day D opens at 17:00 the
// evening before. Globex does not open for New Year's Day and Christmas.
var CME Calendar = &dailySessions{name: "cme", loc: mustLoad("America/Chicago"), session: cmeSession}

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is embedded, so this only happens with a broken build.
		panic(fmt.Sprintf("frames: time zone %s: %v", name, err))
	}
	return loc
}

// dailySessions is a calendar with at most one session per trading day,
// given in local wall-clock time so daylight saving is handled by time.Date.
type dailySessions struct {
	name string
	loc  *time.Location
	// session returns trading day d's session or ok=false if it does not trade.
	session func(d civilDate, loc *time.Location) (s Session, ok bool)
}

func (c *dailySessions) Name() string { return c.name }

func (c *dailySessions) IsOpen(t int64) bool {
	d := dateOf(t, c.loc)
	// A session can start the evening before its trading day (CME).
	for _, day := range [...]civilDate{d, d.addDays(1)} {
		if s, ok := c.session(day, c.loc); ok && s.Open <= t && t < s.Close {
			return true
		}
	}
	return false
}

func (c *dailySessions) Sessions(from, to int64) []Session {
	if from >= to {
		return nil
	}
	var out []Session
	last := dateOf(to, c.loc).addDays(1)
	for d := dateOf(from, c.loc); !last.before(d); d = d.addDays(1) {
		s, ok := c.session(d, c.loc)
		if !ok || s.Close <= from || s.Open >= to {
			continue
		}
		out = append(out, Session{max(s.Open, from), min(s.Close, to)})
	}
	return out
}

// civilDate is a calendar day without a zone.
type civilDate struct {
	Y int
	M time.Month
	D int
}

func dateOf(t int64, loc *time.Location) civilDate {
	y, m, d := time.Unix(t, 0).In(loc).Date()
	return civilDate{y, m, d}
}

func (d civilDate) addDays(n int) civilDate {
	y, m, dd := time.Date(d.Y, d.M, d.D+n, 12, 0, 0, 0, time.UTC).Date()
	return civilDate{y, m, dd}
}

func (d civilDate) before(o civilDate) bool {
	if d.Y != o.Y {
		return d.Y < o.Y
	}
	if d.M != o.M {
		return d.M < o.M
	}
	return d.D < o.D
}

func (d civilDate) weekday() time.Weekday {
	return time.Date(d.Y, d.M, d.D, 12, 0, 0, 0, time.UTC).Weekday()
}

func (d civilDate) at(hour, minute int, loc *time.Location) int64 {
	return time.Date(d.Y, d.M, d.D, hour, minute, 0, 0, loc).Unix()
}

func (d civilDate) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Y, d.M, d.D) }

// dayKind is what a holiday table says about a weekday.
type dayKind uint8

const (
	dayClosed     dayKind = iota + 1
	dayEarlyClose         // closes early (13:00 New York for NYSE)
)

// holidayTable builds a year's exceptional days once per year and caches them.
type holidayTable struct {
	mu    sync.Mutex
	years map[int]map[civilDate]dayKind
	build func(year int) map[civilDate]dayKind
}

func (h *holidayTable) kind(d civilDate) dayKind {
	h.mu.Lock()
	defer h.mu.Unlock()
	y, ok := h.years[d.Y]
	if !ok {
		if h.years == nil {
			h.years = map[int]map[civilDate]dayKind{}
		}
		y = h.build(d.Y)
		h.years[d.Y] = y
	}
	return y[d]
}

// days lists a year's exceptional days in order, for tests and documentation.
func (h *holidayTable) days(year int, want dayKind) []civilDate {
	var out []civilDate
	for d, k := range h.build(year) {
		if k == want {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].before(out[j]) })
	return out
}

// nthWeekday is the n-th (1-based) weekday wd of a month; n = -1 is the last.
func nthWeekday(year int, m time.Month, wd time.Weekday, n int) civilDate {
	if n < 0 {
		last := civilDate{year, m + 1, 1}.addDays(-1)
		back := (int(last.weekday()) - int(wd) + 7) % 7
		return last.addDays(-back)
	}
	first := civilDate{year, m, 1}
	fwd := (int(wd) - int(first.weekday()) + 7) % 7
	return first.addDays(fwd + 7*(n-1))
}

// easter is Easter Sunday in the Gregorian calendar (anonymous algorithm).
func easter(year int) civilDate {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return civilDate{year, time.Month(month), day}
}

// observed moves a fixed-date holiday that falls on a weekend to the nearest
// weekday: Saturday to Friday, Sunday to Monday.
func observed(d civilDate) civilDate {
	switch d.weekday() {
	case time.Saturday:
		return d.addDays(-1)
	case time.Sunday:
		return d.addDays(1)
	}
	return d
}
