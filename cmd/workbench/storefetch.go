package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"workbench/feeds"
	"workbench/feeds/record"
	"workbench/frames"
)

const (
	storeFetchUsage   = "store fetch F --period P --from T [--to T] [--feed VENUE] [--rest-url URL] [--ws-url URL] [--json]"
	storeFetchSummary = "download a market's bars from its venue's REST history into the store, paged and resumable " +
		"(a second run fetches only what the store lacks); says what the exchange has no bars for"
	storeFillUsage   = "store fill F --period P [--feed VENUE] [--calendar C] [--rest-url URL] [--ws-url URL] [--json]"
	storeFillSummary = "close the unexpected gaps `store gaps` finds in a series with bars from its venue; " +
		"says what each gap got and what the exchange does not have"
)

func init() {
	storeCommands["fetch"] = storeCommand{usage: storeFetchUsage, summary: storeFetchSummary, run: runStoreFetch}
	storeCommands["fill"] = storeCommand{usage: storeFillUsage, summary: storeFillSummary, run: runStoreFill}
}

func runStoreFetch(ctx context.Context, e *env, args []string) error {
	fs := e.storeFlags("fetch", storeFetchUsage, storeFetchSummary)
	var period periodFlag
	fs.Var(&period, "period", "bar `PERIOD` (1s, 1m, 1h, 1d …); periods the venue's bars do not serve are built from its trades")
	fromS := fs.String("from", "", "first bar `T`ime (RFC 3339, YYYY-MM-DD or epoch seconds)")
	toS := fs.String("to", "", "end `T`ime, exclusive (default: now)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	vf := addVenueFlags(fs)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("want exactly one market F, got %d arguments", len(pos))
	case period.secs == 0:
		return usagef("--period is required")
	case *fromS == "":
		return usagef("--from is required")
	}
	from, err := parseTimeFlag("--from", *fromS, 0)
	if err != nil {
		return err
	}
	to, err := parseTimeFlag("--to", *toS, time.Now().Unix())
	if err != nil {
		return err
	}
	if from >= to {
		return usagef("--from %s is not before --to %s", *fromS, time.Unix(to, 0).UTC().Format(time.RFC3339))
	}
	venue, fqmes, st, err := e.openVenueStore(vf, pos)
	if err != nil {
		return err
	}
	fqme, err := canonicalFQME(ctx, venue, fqmes[0])
	if err != nil {
		return err
	}
	prog, done := e.fetchProgress(fqme)
	h := record.History{Venue: venue, Store: st, Progress: prog}
	rep, ferr := h.Fetch(ctx, fqme, period.secs, from, to)
	done()
	if *asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		rep.WriteText(e.stdout)
	}
	return ferr
}

func runStoreFill(ctx context.Context, e *env, args []string) error {
	fs := e.storeFlags("fill", storeFillUsage, storeFillSummary)
	var period periodFlag
	fs.Var(&period, "period", "bar `PERIOD` of the series (60, 1m, 1h, 1d); may be left out when the store holds one period of F")
	calName := fs.String("calendar", "", "market `CALENDAR`: "+strings.Join(frames.CalendarNames(), ", ")+
		" (default: inferred from the fqme's venue)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	vf := addVenueFlags(fs)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one market F, got %d arguments", len(pos))
	}
	venue, fqmes, st, err := e.openVenueStore(vf, pos)
	if err != nil {
		return err
	}
	cname := *calName
	if cname == "" {
		if cname = calendarForFQME(fqmes[0]); cname == "" {
			return usagef("cannot tell the calendar of %q from its venue: give --calendar %s", fqmes[0], strings.Join(frames.CalendarNames(), "|"))
		}
	}
	cal, err := frames.CalendarByName(cname)
	if err != nil {
		return usagef("--calendar: %v", err)
	}
	fqme, err := canonicalFQME(ctx, venue, fqmes[0])
	if err != nil {
		return err
	}
	p := period.secs
	if p == 0 {
		if p, err = onlyPeriod(st, fqme); err != nil {
			return err
		}
	}
	h := record.History{Venue: venue, Store: st}
	rep, ferr := h.Fill(ctx, fqme, p, cal)
	if *asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		rep.WriteText(e.stdout)
	}
	return ferr
}

// canonicalFQME is the venue's own spelling of a market, which names its
// series in the store (Kraken's xbtusdt is btcusdt).
func canonicalFQME(ctx context.Context, venue feeds.Venue, fqme string) (string, error) {
	m, err := venue.Market(ctx, fqme)
	if err != nil {
		return "", err
	}
	return m.FQME(), nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// fetchProgress shows a fetch's progress: a bar on a terminal, a plain line
// per tenth otherwise. done ends the display.
func (e *env) fetchProgress(fqme string) (func(record.Progress), func()) {
	if out, ok := e.stdout.(*os.File); ok && term.IsTerminal(int(out.Fd())) {
		var bar *progressbar.ProgressBar
		return func(p record.Progress) {
				if bar == nil {
					bar = progressbar.NewOptions64(p.Total,
						progressbar.OptionSetWriter(out),
						progressbar.OptionSetDescription("fetching "+fqme),
						progressbar.OptionSetWidth(30),
						progressbar.OptionShowCount(),
						progressbar.OptionThrottle(100*time.Millisecond),
						progressbar.OptionClearOnFinish(),
					)
				}
				bar.Set64(p.Done)
			}, func() {
				if bar != nil {
					bar.Finish()
				}
			}
	}
	shown := int64(-1)
	return func(p record.Progress) {
		if p.Total == 0 {
			return
		}
		if tenth := p.Done * 10 / p.Total; tenth > shown {
			shown = tenth
			fmt.Fprintf(e.stderr, "fetching %s: %d%% (%d of %d bar slots, %d bars)\n", fqme, tenth*10, p.Done, p.Total, p.Bars)
		}
	}, func() {}
}
