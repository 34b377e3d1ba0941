package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	// The venues, registered with feeds for OpenVenue.
	_ "workbench/feeds/binance"
	_ "workbench/feeds/kraken"
	"workbench/feeds/record"
	"workbench/frames"
)

const (
	recordUsage   = "record --fqme F[,F...] [--period P] [--trades] [--quotes] [--feed VENUE] [--rest-url URL] [--ws-url URL]"
	recordSummary = "record a venue's live bars into the store, continuing each stored series without a hole " +
		"(what the stream misses is fetched); Ctrl-C stops with every closed bar written"
)

func init() {
	register(&command{name: "record", usage: recordUsage, summary: recordSummary, run: runRecord})
}

func runRecord(ctx context.Context, e *env, args []string) error {
	fs := e.flags(commands["record"])
	fqmeList := fs.String("fqme", "", "markets to record (`F[,F...]`), comma separated, all of one venue")
	period := periodFlag{secs: 60}
	fs.Var(&period, "period", "bar `PERIOD` (1s, 1m, 5m …)")
	trades := fs.Bool("trades", false, "also store every trade in the tick store")
	quotes := fs.Bool("quotes", false, "also store every L1 quote in the tick store")
	vf := addVenueFlags(fs)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (markets go in --fqme)", pos[0])
	}
	var list []string
	for _, f := range strings.Split(*fqmeList, ",") {
		if f = strings.TrimSpace(f); f != "" {
			list = append(list, f)
		}
	}
	if len(list) == 0 {
		return usagef("--fqme is required")
	}
	venue, fqmes, st, err := e.openVenueStore(vf, list)
	if err != nil {
		return err
	}
	name := venue.Name()
	cfg := record.Config{FQMEs: fqmes, Period: period.secs, Trades: *trades, Quotes: *quotes,
		OnAppend: e.recordProgress()}
	rec, err := record.NewRecorder(venue, st, cfg)
	if err != nil {
		return err
	}
	// Interrupt is main's; a service manager stops with SIGTERM.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(e.stdout, "recording %s %s from %s into %s (Ctrl-C stops)\n", strings.Join(fqmes, ", "),
		frames.FormatPeriod(period.secs), name, st.Dir())
	rerr := rec.Run(ctx)
	for _, s := range rec.Stats() {
		last := "none"
		if s.Last > 0 {
			last = time.Unix(s.Last, 0).UTC().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(e.stdout, "%s: %d bars stored (%d new, %d corrected), last %s; %d trades, %d duplicates dropped, "+
			"%d gaps and %d late trades fetched again (%d bars from history), %d malformed messages\n",
			s.FQME, s.Appended, s.Written, s.Corrected, last, s.Trades, s.Duplicates, s.Gaps, s.Late, s.Fetched, s.Malformed)
	}
	if rerr != nil && errors.Is(rerr, context.Canceled) {
		return nil
	}
	return rerr
}

// recordProgress prints a line per store append.
func (e *env) recordProgress() func(string, *frames.OHLCV, record.MarketStats) {
	var mu sync.Mutex
	return func(fqme string, bars *frames.OHLCV, s record.MarketStats) {
		mu.Lock()
		defer mu.Unlock()
		n := bars.Len()
		fmt.Fprintf(e.stdout, "%s %s: +%d bars %s .. %s (%d stored)\n", time.Now().Format("15:04:05"), fqme, n,
			time.Unix(bars.Time[0], 0).UTC().Format("2006-01-02 15:04:05"),
			time.Unix(bars.Time[n-1], 0).UTC().Format("15:04:05"), s.Appended)
	}
}
