package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"workbench/frames"
)

func init() {
	register(&command{
		name:  "calendar",
		usage: "calendar NAME --from T --to T [--json] [--tz ZONE]",
		summary: "list a market's sessions between two dates (open and close in the exchange's zone and UTC), " +
			"marking early closes, late opens, halts and holidays; NAME is one of " + strings.Join(frames.CalendarNames(), ", "),
		run: runCalendar,
	})
}

// calendarRowJSON is one line of `calendar --json`: a session or a holiday.
// Times are UTC epoch seconds.
type calendarRowJSON struct {
	Date    string         `json:"date"`
	Open    int64          `json:"open,omitempty"`
	Close   int64          `json:"close,omitempty"`
	Closed  bool           `json:"closed,omitempty"`
	Special frames.Special `json:"special,omitempty"`
	Note    string         `json:"note,omitempty"`
}

// maxCalendarSpan bounds --from..--to so a typo cannot ask for millions of
// crypto days.
const maxCalendarSpan = 200 * 366 * 86400

func runCalendar(_ context.Context, e *env, args []string) error {
	fs := e.flags(commands["calendar"])
	from := fs.String("from", "", "first `DATE` (RFC 3339 or YYYY-MM-DD, UTC)")
	to := fs.String("to", "", "end `DATE`, exclusive")
	asJSON := fs.Bool("json", false, "print JSON rows (times in UTC epoch seconds)")
	tz := fs.String("tz", "", "show times in `ZONE` (IANA name, e.g. Europe/London; default: the exchange's zone)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one calendar NAME (%s), got %d arguments", strings.Join(frames.CalendarNames(), ", "), len(pos))
	}
	cal, err := frames.CalendarByName(pos[0])
	if err != nil {
		return usagef("%v", err)
	}
	if *from == "" || *to == "" {
		return usagef("--from and --to are required")
	}
	fromT, err := parseTimeFlag("--from", *from, 0)
	if err != nil {
		return err
	}
	toT, err := parseTimeFlag("--to", *to, 0)
	if err != nil {
		return err
	}
	if fromT >= toT {
		return usagef("--from %s must be before --to %s", *from, *to)
	}
	if toT-fromT > maxCalendarSpan {
		return usagef("--from %s --to %s: at most 200 years at a time", *from, *to)
	}
	loc, err := zoneFlag(*tz, cal)
	if err != nil {
		return err
	}
	rows := calendarRows(cal, fromT, toT)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Calendar string            `json:"calendar"`
			Zone     string            `json:"zone"`
			Rows     []calendarRowJSON `json:"sessions"`
		}{cal.Name(), cal.Location().String(), rows})
	}
	zone := zoneAbbrev(loc)
	fmt.Fprintf(e.stdout, "%-10s  %-16s  %-16s  %-16s  %-16s  %s\n", "date", "open ("+zone+")",
		"close ("+zone+")", "open (UTC)", "close (UTC)", "special")
	for _, r := range rows {
		if r.Closed {
			fmt.Fprintf(e.stdout, "%-10s  %-16s  %-16s  %-16s  %-16s  closed: %s\n", r.Date, "-", "-", "-", "-", r.Note)
			continue
		}
		mark := r.Special.String()
		if r.Note != "" {
			mark += ": " + r.Note
		}
		fmt.Fprintf(e.stdout, "%-10s  %-16s  %-16s  %-16s  %-16s  %s\n", r.Date,
			fmtTime(r.Open, loc), fmtTime(r.Close, loc), fmtTime(r.Open, time.UTC), fmtTime(r.Close, time.UTC), mark)
	}
	return nil
}

// calendarRows merges sessions and holidays in date order.
func calendarRows(cal frames.Calendar, from, to int64) []calendarRowJSON {
	var rows []calendarRowJSON
	for _, s := range cal.Sessions(from, to) {
		rows = append(rows, calendarRowJSON{Date: s.Date(), Open: s.Open, Close: s.Close, Special: s.Special, Note: s.Note()})
	}
	for _, h := range cal.Holidays(from, to) {
		rows = append(rows, calendarRowJSON{Date: h.Date(), Closed: true, Note: h.Note})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Date < rows[j].Date })
	return rows
}

// zoneFlag resolves --tz: empty means the calendar's own zone.
func zoneFlag(name string, cal frames.Calendar) (*time.Location, error) {
	if name == "" {
		if cal == nil {
			return time.UTC, nil
		}
		return cal.Location(), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, usagef("--tz %q: %v (want an IANA zone such as America/New_York, or UTC)", name, err)
	}
	return loc, nil
}

// zoneAbbrev shortens a zone for a column header: America/New_York is
// New_York.
func zoneAbbrev(loc *time.Location) string {
	name := loc.String()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func fmtTime(t int64, loc *time.Location) string {
	return time.Unix(t, 0).In(loc).Format("2006-01-02 15:04")
}

// alignFlags are the flags of commands that aggregate bars into days or
// weeks: which calendar's sessions to follow, or plain UTC buckets.
type alignFlags struct {
	calendar, align *string
}

func addAlignFlags(fs *flag.FlagSet) alignFlags {
	return alignFlags{
		calendar: fs.String("calendar", "", "market `CALENDAR` whose sessions daily and weekly bars follow: "+
			strings.Join(frames.CalendarNames(), ", ")+" (default: inferred from the fqme; none for a file)"),
		align: fs.String("align", "session", "`ALIGN` daily and weekly bars to the calendar's sessions (session) or to UTC midnight (utc)"),
	}
}

// resolve reads the flags for market fqme ("" for a file): nil means
// UTC buckets.
func (a alignFlags) resolve(fqme string) (frames.Calendar, error) {
	switch *a.align {
	case "utc":
		return nil, nil
	case "session":
	default:
		return nil, usagef("--align %q: want session or utc", *a.align)
	}
	if *a.calendar != "" {
		cal, err := frames.CalendarByName(*a.calendar)
		if err != nil {
			return nil, usagef("--calendar: %v", err)
		}
		return cal, nil
	}
	return frames.CalendarForFQME(fqme), nil
}
