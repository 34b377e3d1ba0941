package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"workbench/frames"
)

const (
	storeGapsUsage   = "store gaps F [--period P] [--calendar crypto|us-equity|cme…] [--all] [--json] [--tz ZONE]"
	storeGapsSummary = "find gaps, duplicate times, null and out-of-order rows in a series and classify each gap " +
		"against the market's calendar (market closed, or unexpected: missing data or plausibly no trades)"
)

func init() {
	storeCommands["gaps"] = storeCommand{usage: storeGapsUsage, summary: storeGapsSummary, run: runStoreGaps}
}

// calendarForFQME infers the calendar from the fqme (see
// frames.CalendarNameForFQME); "" when it cannot tell.
func calendarForFQME(fqme string) string { return frames.CalendarNameForFQME(fqme) }

// gapsJSON is the JSON shape of one series' gap report.
type gapsJSON struct {
	FQME string `json:"fqme"`
	frames.GapReport
}

func runStoreGaps(_ context.Context, e *env, args []string) error {
	fs := e.storeFlags("gaps", storeGapsUsage, storeGapsSummary)
	var period periodFlag
	fs.Var(&period, "period", "bar `PERIOD` of the series (60, 1m, 1h, 1d); may be left out when the store holds one period of F")
	calName := fs.String("calendar", "", "market `CALENDAR`: "+strings.Join(frames.CalendarNames(), ", ")+
		" (default: inferred from the fqme's venue)")
	all := fs.Bool("all", false, "list market-closed gaps too, not just the unexpected ones")
	asJSON := fs.Bool("json", false, "print the report as JSON (times in UTC epoch seconds)")
	tz := fs.String("tz", "", "show times in `ZONE` (IANA name or UTC; default: the exchange's zone, UTC for crypto)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one market F, got %d arguments", len(pos))
	}
	fqme := pos[0]
	name := *calName
	if name == "" {
		if name = calendarForFQME(fqme); name == "" {
			return usagef("cannot tell the calendar of %q from its venue: give --calendar %s", fqme, strings.Join(frames.CalendarNames(), "|"))
		}
	}
	cal, err := frames.CalendarByName(name)
	if err != nil {
		return usagef("--calendar: %v", err)
	}
	loc, err := zoneFlag(*tz, cal)
	if err != nil {
		return err
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	p := period.secs
	if p == 0 {
		if p, err = onlyPeriod(st, fqme); err != nil {
			return err
		}
	}
	f, err := st.Read(fqme, p)
	if err != nil {
		return err
	}
	r := frames.FindGaps(f, cal)
	if *asJSON {
		return writeGapsJSON(e.stdout, fqme, r)
	}
	fmt.Fprintf(e.stdout, "%s: ", fqme)
	r.WriteTableIn(e.stdout, *all, loc)
	return nil
}

// onlyPeriod is the period of fqme's single series in the store.
func onlyPeriod(st *frames.Store, fqme string) (int64, error) {
	list, err := st.List()
	if err != nil {
		return 0, err
	}
	var periods []string
	var p int64
	for _, s := range list {
		if s.FQME == fqme {
			periods = append(periods, frames.FormatPeriod(s.Period))
			p = s.Period
		}
	}
	sort.Strings(periods)
	switch len(periods) {
	case 0:
		return 0, fmt.Errorf("store %s: no series for %s (see `workbench store ls`)", st.Dir(), fqme)
	case 1:
		return p, nil
	}
	return 0, usagef("%s has several periods (%s): give --period", fqme, strings.Join(periods, ", "))
}

func writeGapsJSON(w io.Writer, fqme string, r frames.GapReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(gapsJSON{FQME: fqme, GapReport: r})
}
