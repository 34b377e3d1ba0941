package frames

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// Calendars need America/New_York and America/Chicago on machines without
	// a zoneinfo database (scratch containers, Windows).
	_ "time/tzdata"
)

// Session is one open interval of a market, [Open, Close) in epoch seconds
// (UTC). A session interrupted by a halt is two Session values with the
// same Day.
type Session struct {
	Open, Close int64
	// Day is the trade date the session belongs to, as 00:00 UTC of that
	// date in the exchange's calendar (CME's session opening Sunday 17:00
	// Chicago has Monday's Day). Daily bars are labelled with it.
	Day int64
	// Special says how the session differs from the calendar's regular
	// hours; 0 for a regular session.
	Special Special
	// note indexes sessionNotes; a number rather than a string keeps
	// Session free of pointers, so long session lists cost the GC nothing.
	note uint16
}

// Note says why the session is special ("day after Thanksgiving"); "" for
// a regular session.
func (s Session) Note() string {
	notes.RLock()
	defer notes.RUnlock()
	return notes.list[s.note]
}

// notes interns the reasons of special sessions; index 0 is "".
var notes = struct {
	sync.RWMutex
	list  []string
	index map[string]uint16
}{list: []string{""}, index: map[string]uint16{"": 0}}

func noteID(s string) uint16 {
	notes.Lock()
	defer notes.Unlock()
	if id, ok := notes.index[s]; ok {
		return id
	}
	if len(notes.list) > 0xffff {
		panic("frames: more than 65535 distinct session notes")
	}
	id := uint16(len(notes.list))
	notes.list = append(notes.list, s)
	notes.index[s] = id
	return id
}

// Local returns the session's open and close in loc (the calendar's
// Location for the exchange's own wall clock).
func (s Session) Local(loc *time.Location) (open, close time.Time) {
	return time.Unix(s.Open, 0).In(loc), time.Unix(s.Close, 0).In(loc)
}

// Date is the session's trade date, YYYY-MM-DD.
func (s Session) Date() string { return time.Unix(s.Day, 0).UTC().Format(time.DateOnly) }

// Special is a set of ways a session departs from the regular hours.
type Special uint8

// The kinds of special session.
const (
	// EarlyClose: the session closes before the regular time.
	EarlyClose Special = 1 << iota
	// LateOpen: the session opens after the regular time.
	LateOpen
	// LateClose: the session was extended past the regular close.
	LateClose
	// Halt: trading stopped inside the session and resumed (the session is
	// split in two at the halt).
	Halt
)

var specialNames = []struct {
	s    Special
	name string
}{{LateOpen, "late-open"}, {EarlyClose, "early-close"}, {LateClose, "late-close"}, {Halt, "halt"}}

// String names the kinds, joined by "+"; "" for a regular session.
func (s Special) String() string {
	var parts []string
	for _, n := range specialNames {
		if s&n.s != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "+")
}

// MarshalText writes the String form, so JSON shows "early-close".
func (s Special) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the String form back.
func (s *Special) UnmarshalText(b []byte) error {
	*s = 0
	for _, part := range strings.Split(string(b), "+") {
		if part == "" {
			continue
		}
		found := false
		for _, n := range specialNames {
			if n.name == part {
				*s |= n.s
				found = true
			}
		}
		if !found {
			return fmt.Errorf("special session kind %q: unknown; valid kinds are late-open, early-close, late-close, halt", part)
		}
	}
	return nil
}

// Holiday is a weekday on which a market holds no session.
type Holiday struct {
	// Day is the date as 00:00 UTC of the exchange-local date.
	Day  int64
	Note string
}

// Date is the holiday's date, YYYY-MM-DD.
func (h Holiday) Date() string { return time.Unix(h.Day, 0).UTC().Format(time.DateOnly) }

// Calendar says when a market trades. Gap classification asks it how many
// bars a closed-looking stretch should have held; the synthetic generator asks
// it where the next bar goes; session resampling asks it where a trading day
// starts and ends.
type Calendar interface {
	// Name is the name CalendarByName knows it by.
	Name() string
	// Location is the exchange's time zone (UTC for crypto).
	Location() *time.Location
	// IsOpen reports whether the market trades at instant t (epoch seconds).
	IsOpen(t int64) bool
	// Sessions returns the sessions overlapping [from, to), whole (not
	// clipped to the range), in time order and not overlapping.
	Sessions(from, to int64) []Session
	// Holidays returns the weekdays in [from, to) (by their local midnight)
	// on which the market does not open.
	Holidays(from, to int64) []Holiday
}

// calendarNames lists the calendars CalendarByName knows, for error messages.
var calendarNames = []string{"crypto", "us-equity", "cme", "cme-equity", "cme-fx", "cme-rates"}

// CalendarNames returns the names CalendarByName accepts.
func CalendarNames() []string { return append([]string(nil), calendarNames...) }

// CalendarByName returns a market calendar: "crypto" (always open),
// "us-equity" (NYSE regular sessions), "cme-equity", "cme-fx", "cme-rates"
// (CME Globex by product group) or "cme" (= cme-equity).
func CalendarByName(name string) (Calendar, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "crypto", "24/7", "always":
		return Crypto, nil
	case "us-equity", "nyse", "nasdaq":
		return USEquity, nil
	case "cme", "globex":
		return CME, nil
	case "cme-equity":
		return CMEEquity, nil
	case "cme-fx":
		return CMEFX, nil
	case "cme-rates":
		return CMERates, nil
	}
	return nil, fmt.Errorf("calendar %q: unknown; valid calendars are %s", name, strings.Join(calendarNames, ", "))
}

// Crypto is the 24/7 calendar: every instant is open, so every gap is
// unexpected. Its sessions are the UTC days, so daily bars are UTC days.
var Crypto Calendar = alwaysOpen{}

type alwaysOpen struct{}

func (alwaysOpen) Name() string                    { return "crypto" }
func (alwaysOpen) Location() *time.Location        { return time.UTC }
func (alwaysOpen) IsOpen(int64) bool               { return true }
func (alwaysOpen) Holidays(int64, int64) []Holiday { return nil }
func (alwaysOpen) Sessions(from, to int64) []Session {
	// The window every calendar answers for; it also bounds the loop.
	from, to = max(from, calendarFirstT), min(to, calendarEndT)
	if from >= to {
		return nil
	}
	var out []Session
	for d := FloorTime(from, 86400); d < to; d += 86400 {
		out = append(out, Session{Open: d, Close: d + 86400, Day: d})
	}
	return out
}

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is embedded, so this only happens with a broken build.
		panic(fmt.Sprintf("frames: time zone %s: %v", name, err))
	}
	return loc
}

// clock is a local wall-clock time as seconds after midnight.
type clock int32

// noClock marks "the calendar's regular time" in a dayRule.
const noClock clock = -1

func hm(h, m int) clock { return clock(h*3600 + m*60) }

func (c clock) String() string {
	if c%60 != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", c/3600, c/60%60, c%60)
	}
	return fmt.Sprintf("%02d:%02d", c/3600, c/60%60)
}

// dayRule is what a calendar's rules say about one weekday that is not a
// regular session.
type dayRule struct {
	closed bool
	// open and close override the regular times (noClock keeps them).
	open, close clock
	// haltFrom < haltTo: trading stopped in between.
	haltFrom, haltTo clock
	note             string
}

func closedDay(note string) dayRule {
	return dayRule{closed: true, open: noClock, close: noClock, note: note}
}

func closeAt(c clock, note string) dayRule {
	return dayRule{open: noClock, close: c, note: note}
}

func openAt(c clock, note string) dayRule {
	return dayRule{open: c, close: noClock, note: note}
}

// ruleCalendar is a calendar given as data: regular local hours, Monday to
// Friday, plus a function listing a year's exceptional days (derived from
// holiday rules and an ad hoc table). Sessions are built once per span of
// years and kept, so queries are a binary search.
type ruleCalendar struct {
	name        string
	loc         *time.Location
	open, close clock
	// openDayBefore: the session of trade date D opens on D-1 (CME Globex).
	openDayBefore bool
	year          func(year int) map[civilDate]dayRule

	mu    sync.Mutex // serialises building
	built atomic.Pointer[calendarSpan]
}

// calendarSpan holds every session and holiday of trade dates in years
// [y0, y1].
type calendarSpan struct {
	y0, y1   int
	sessions []Session
	holidays []Holiday
}

// Calendars answer for trade dates in these years; outside them the market
// is closed (crypto: has no sessions).
const (
	calendarFirstYear = 1900
	calendarLastYear  = 2199
	calendarFirstT    = -2208988800 // 1900-01-01 00:00 UTC
	calendarEndT      = 7258118400  // 2200-01-01 00:00 UTC
)

func (c *ruleCalendar) Name() string             { return c.name }
func (c *ruleCalendar) Location() *time.Location { return c.loc }

func (c *ruleCalendar) IsOpen(t int64) bool {
	s := c.span(t, t+1)
	i := sort.Search(len(s.sessions), func(i int) bool { return s.sessions[i].Close > t })
	return i < len(s.sessions) && s.sessions[i].Open <= t
}

func (c *ruleCalendar) Sessions(from, to int64) []Session {
	if from >= to {
		return nil
	}
	ss := c.span(from, to).sessions
	i := sort.Search(len(ss), func(i int) bool { return ss[i].Close > from })
	j := i + sort.Search(len(ss)-i, func(k int) bool { return ss[i+k].Open >= to })
	return append([]Session(nil), ss[i:j]...)
}

func (c *ruleCalendar) Holidays(from, to int64) []Holiday {
	if from >= to {
		return nil
	}
	hs := c.span(from, to).holidays
	i := sort.Search(len(hs), func(i int) bool { return c.midnight(hs[i]) >= from })
	j := i + sort.Search(len(hs)-i, func(k int) bool { return c.midnight(hs[i+k]) >= to })
	return append([]Holiday(nil), hs[i:j]...)
}

// midnight is the instant the holiday's local day starts.
func (c *ruleCalendar) midnight(h Holiday) int64 {
	y, m, d := time.Unix(h.Day, 0).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc).Unix()
}

// span returns built sessions covering every trade date whose session can
// overlap [from, to).
func (c *ruleCalendar) span(from, to int64) *calendarSpan {
	y0 := yearIn(from, c.loc)
	// A session opens at most a day before its trade date.
	y1 := yearIn(to+2*86400, c.loc)
	if s := c.built.Load(); s != nil && s.y0 <= y0 && y1 <= s.y1 {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.built.Load()
	if s != nil && s.y0 <= y0 && y1 <= s.y1 {
		return s
	}
	// Build whole decades, and only the ones not built yet, so a scan
	// walking forward through the years builds each year once.
	y0, y1 = y0-(y0%10+10)%10, y1-(y1%10+10)%10+9
	if s == nil {
		s = c.build(y0, y1)
	} else {
		if y0 < s.y0 {
			s = joinSpans(c.build(y0, s.y0-1), s)
		}
		if y1 > s.y1 {
			s = joinSpans(s, c.build(s.y1+1, y1))
		}
	}
	c.built.Store(s)
	return s
}

// joinSpans appends b (the years after a's) to a in new slices: readers may
// still hold a's.
func joinSpans(a, b *calendarSpan) *calendarSpan {
	return &calendarSpan{y0: a.y0, y1: b.y1,
		sessions: append(append(make([]Session, 0, len(a.sessions)+len(b.sessions)), a.sessions...), b.sessions...),
		holidays: append(append(make([]Holiday, 0, len(a.holidays)+len(b.holidays)), a.holidays...), b.holidays...)}
}

func yearIn(t int64, loc *time.Location) int {
	// Clamp first: time.Unix of extreme values gives years that overflow.
	t = min(max(t, calendarFirstT), calendarEndT)
	return min(max(time.Unix(t, 0).In(loc).Year(), calendarFirstYear), calendarLastYear)
}

func (c *ruleCalendar) build(y0, y1 int) *calendarSpan {
	s := &calendarSpan{y0: y0, y1: y1}
	for y := y0; y <= y1; y++ {
		rules := c.year(y)
		for d := (civilDate{y, time.January, 1}); d.Y == y; d = d.addDays(1) {
			if wd := d.weekday(); wd == time.Saturday || wd == time.Sunday {
				continue
			}
			day := time.Date(d.Y, d.M, d.D, 0, 0, 0, 0, time.UTC).Unix()
			r, special := rules[d]
			if r.closed {
				s.holidays = append(s.holidays, Holiday{Day: day, Note: r.note})
				continue
			}
			s.sessions = c.appendSession(s.sessions, d, day, r, special)
		}
	}
	return s
}

func (c *ruleCalendar) appendSession(out []Session, d civilDate, day int64, r dayRule, special bool) []Session {
	openDay := d
	if c.openDayBefore {
		openDay = d.addDays(-1)
	}
	o, cl := c.open, c.close
	var kind Special
	if special {
		if r.open != noClock {
			o = r.open
			kind |= LateOpen
		}
		if r.close != noClock {
			cl = r.close
			if cl < c.close {
				kind |= EarlyClose
			} else {
				kind |= LateClose
			}
		}
	}
	sess := Session{Open: openDay.at(o, c.loc), Close: d.at(cl, c.loc), Day: day, Special: kind}
	if r.note != "" && special {
		sess.note = noteID(r.note)
	}
	if special && r.haltFrom < r.haltTo {
		sess.Special |= Halt
		second := sess
		sess.Close = d.at(r.haltFrom, c.loc)
		second.Open = d.at(r.haltTo, c.loc)
		return append(out, sess, second)
	}
	return append(out, sess)
}

// civilDate is a calendar day without a zone.
type civilDate struct {
	Y int
	M time.Month
	D int
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

func (d civilDate) at(c clock, loc *time.Location) int64 {
	return time.Date(d.Y, d.M, d.D, 0, 0, int(c), 0, loc).Unix()
}

func (d civilDate) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Y, d.M, d.D) }

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

// usHolidays are the US holidays both NYSE and CME rules start from, for
// year: each date as observed, with its name.
type usHolidays struct {
	newYear      civilDate // zero when Jan 1 is a Saturday (not observed)
	mlk          civilDate // zero before 1998 (markets opened)
	presidents   civilDate
	goodFriday   civilDate
	memorial     civilDate
	juneteenth   civilDate // zero before 2022
	independence civilDate
	labor        civilDate
	thanksgiving civilDate
	christmas    civilDate
}

func usHolidaysOf(year int) usHolidays {
	h := usHolidays{
		presidents:   nthWeekday(year, time.February, time.Monday, 3),
		goodFriday:   easter(year).addDays(-2),
		memorial:     nthWeekday(year, time.May, time.Monday, -1),
		independence: observed(civilDate{year, time.July, 4}),
		labor:        nthWeekday(year, time.September, time.Monday, 1),
		thanksgiving: nthWeekday(year, time.November, time.Thursday, 4),
		christmas:    observed(civilDate{year, time.December, 25}),
	}
	// A Saturday New Year's Day is not observed on the Friday before: that
	// Friday closes the old year's books (NYSE Rule 51; CME follows).
	if ny := (civilDate{year, time.January, 1}); ny.weekday() != time.Saturday {
		h.newYear = observed(ny)
	}
	if year >= 1998 {
		h.mlk = nthWeekday(year, time.January, time.Monday, 3)
	}
	if year >= 2022 {
		h.juneteenth = observed(civilDate{year, time.June, 19})
	}
	return h
}

// each calls f for each observed holiday except Good Friday, whose rules
// differ most between exchanges, with its name ("… (observed)" when a
// weekend moved it).
func (h usHolidays) each(f func(d civilDate, name string)) {
	for _, x := range []struct {
		d          civilDate
		name       string
		month, day int // the fixed date, for the holidays that have one
	}{
		{h.newYear, "New Year's Day", 1, 1}, {h.mlk, "Martin Luther King Jr. Day", 0, 0},
		{h.presidents, "Washington's Birthday", 0, 0}, {h.memorial, "Memorial Day", 0, 0},
		{h.juneteenth, "Juneteenth", 6, 19}, {h.independence, "Independence Day", 7, 4},
		{h.labor, "Labor Day", 0, 0}, {h.thanksgiving, "Thanksgiving Day", 0, 0},
		{h.christmas, "Christmas Day", 12, 25},
	} {
		if x.d.Y == 0 {
			continue
		}
		if x.month != 0 && (int(x.d.M) != x.month || x.d.D != x.day) {
			x.name += " (observed)"
		}
		f(x.d, x.name)
	}
}

// adHoc is one row of a calendar's table of special days.
type adHoc struct {
	d    civilDate
	rule dayRule
}

// applyAdHoc overwrites year's rules with the table's rows of that year.
func applyAdHoc(days map[civilDate]dayRule, year int, table []adHoc) {
	for _, a := range table {
		if a.d.Y == year {
			days[a.d] = a.rule
		}
	}
}
