package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strings"
	"time"

	"workbench/feeds"
	"workbench/frames"
	"workbench/fsp"
	"workbench/plots"
)

func init() {
	register(&command{
		name: "live",
		usage: "live F[,F…] --period P [--ind SPECS] [--overlay pin|first|none [--percent]] [--time-axis index|linear] [--feed synthetic [--every DUR] | --feed binance|kraken [--rest-url U] [--ws-url U]] " +
			"[--bars N] [--poll DUR] [--addr 127.0.0.1:PORT] [--no-browser]",
		summary: "a live chart window in the browser (127.0.0.1, token-protected) that draws new bars as they reach the store, come from the synthetic generator, " +
			"or form from an exchange's trades (--feed binance|kraken, also picked by the fqme's venue token: the stored history first, then the forming bar " +
			"redrawn as each trade arrives); each market in a chart of its own with --ind's indicators (on the candles or in panes below, kept current bar by bar), " +
			"or all in one with --overlay; the crosshair's legend shows every value, drag pans, the wheel zooms, r resets",
		run: runLive,
	})
}

func runLive(ctx context.Context, e *env, args []string) error {
	c := commands["live"]
	fs := e.flags(c)
	var period periodFlag
	fs.Var(&period, "period", "bar `P`eriod of the series (1m, 1h, 1d)")
	nbars := fs.Int("bars", 5000, "load the last `N` bars of each market")
	poll := fs.Duration("poll", 2*time.Second, "how often to look for new bars in the store")
	addr := fs.String("addr", "127.0.0.1:0", "loopback `ADDR`ess to serve on (port 0 picks a free one)")
	noBrowser := fs.Bool("no-browser", false, "print the URL instead of opening a browser")
	vf := addVenueFlags(fs)
	every := fs.Duration("every", time.Second, "wall time between synthetic bars")
	ind := fs.String("ind", "", "indicator `SPECS` drawn on each market's chart, e.g. \"sma(20),rsi(14),macd(12,26,9)\"")
	overlay := fs.String("overlay", "", "draw all markets in one chart, scaled by `METHOD`: pin, first or none")
	percent := fs.Bool("percent", false, "draw the --overlay as cumulative log returns in percent")
	timeAxis := addTimeAxisFlag(fs)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	feed := &vf.feed
	var names []string
	for _, p := range pos {
		for _, f := range strings.Split(p, ",") {
			if f = strings.TrimSpace(f); f != "" {
				names = append(names, f)
			}
		}
	}
	switch {
	case len(names) == 0:
		return usagef("name at least one market (F[,F…])")
	case period.secs == 0:
		return usagef("--period is required")
	case *nbars <= 0:
		return usagef("--bars %d: must be positive", *nbars)
	case *poll <= 0:
		return usagef("--poll %v: must be positive", *poll)
	case *every <= 0:
		return usagef("--every %v: must be positive", *every)
	case *percent && *overlay == "":
		return usagef("live --percent: only with --overlay")
	case *ind != "" && *overlay != "":
		return usagef("live --ind: indicators draw on a single market's chart, not an --overlay")
	}
	switch *overlay {
	case "", plots.OverlayPin, plots.OverlayFirst, plots.OverlayNone:
	default:
		return usagef("live --overlay %q: want pin, first or none", *overlay)
	}
	var specs []*fsp.Spec
	if *ind != "" {
		if specs, err = fsp.Parse(*ind); err != nil {
			return usagef("live --ind: %v", err)
		}
	}
	var venue feeds.Venue
	if *feed != "" && *feed != "synthetic" {
		name, fqs, err := vf.venueFQMEs(names)
		if err != nil {
			return err
		}
		if venue, err = e.openVenue(vf, name); err != nil {
			return fmt.Errorf("--feed: %w", err)
		}
		names = fqs
		for _, fq := range names {
			if _, err := venue.Market(ctx, fq); err != nil {
				return fmt.Errorf("live: %w", err)
			}
		}
	}
	store, err := frames.OpenStore(e.storeDir())
	if err != nil {
		return err
	}
	var charts []*plots.Chart
	var derive []func()
	allBars := make([]*frames.OHLCV, len(names))
	last := make([]int64, len(names))
	gens := make([]*feeds.Synthetic, len(names))
	pending := make([]frames.Bar, len(names)) // each generator's next bar
	for i, fq := range names {
		// Any period the stored data supports, as other commands: 1h from 1m.
		f, _, err := store.ReadRangeAs(fq, period.secs, math.MinInt64, math.MaxInt64)
		switch {
		case err == nil:
		case *feed == "synthetic" && errors.Is(err, frames.ErrNotFound):
			f = nil
		case venue != nil && errors.Is(err, frames.ErrNotFound):
			f = frames.New(period.secs, 0) // nothing stored yet: the exchange's bars only
		default:
			return fmt.Errorf("live %s: %w", fq, err)
		}
		if *feed == "synthetic" {
			f, gens[i], pending[i] = syntheticHistory(fq, period.secs, f, *nbars, time.Now().Unix())
		}
		if n := f.Len(); n > *nbars {
			f = f.Rows(n-*nbars, n).Clone()
		}
		if f.Len() > 0 {
			last[i] = f.Time[f.Len()-1]
		}
		allBars[i] = f
		if *overlay == "" {
			c := marketChart([]string{fq}, []*frames.OHLCV{f}, chartOptions{title: fq + " " + frames.FormatPeriod(period.secs), ind: specs, linear: timeAxis.linear})
			charts, derive = append(charts, c), append(derive, indicatorRefresh(c, f, specs))
		}
	}
	if *overlay != "" {
		charts = append(charts, marketChart(names, allBars, chartOptions{overlay: *overlay, percent: *percent, linear: timeAxis.linear,
			title: strings.Join(names, ", ") + " " + frames.FormatPeriod(period.secs)}))
	}
	l, err := plots.NewLive(charts...)
	if err != nil {
		return err
	}
	for i, fn := range derive {
		if fn != nil {
			l.Derive(i, fn)
		}
	}
	l.Out = e.stdout
	if *noBrowser {
		url, err := l.Start(*addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "chart window: %s\n", url)
	} else if _, err := l.Show(*addr); err != nil {
		return err
	}
	defer l.Close()
	if venue != nil {
		return liveVenue(ctx, e.stdout, l, venue, names, period.secs)
	}
	if *feed == "synthetic" {
		fmt.Fprintf(e.stdout, "streaming synthetic %s bars of %s, one every %v; Ctrl-C stops\n",
			frames.FormatPeriod(period.secs), strings.Join(names, ", "), *every)
		tick := time.NewTicker(*every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
			for i, fq := range names {
				if err := l.Append(fq, pending[i]); err != nil {
					return err
				}
				pending[i] = gens[i].Next()
			}
		}
	}
	fmt.Fprintf(e.stdout, "watching %s for new %s bars every %v; Ctrl-C stops\n",
		strings.Join(names, ", "), frames.FormatPeriod(period.secs), *poll)
	tick := time.NewTicker(*poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		for i, fq := range names {
			// The last bar may still be forming: read it again with the new ones.
			f, _, err := store.ReadRangeAs(fq, period.secs, last[i], math.MaxInt64)
			if err != nil {
				fmt.Fprintf(e.stderr, "live %s: %v\n", fq, err)
				continue
			}
			for k := 0; k < f.Len(); k++ {
				if err := l.Append(fq, f.At(k)); err != nil {
					return err
				}
				last[i] = f.Time[k]
			}
		}
	}
}

// indicatorRefresh recomputes the indicator lines marketChart drew for
// specs over f (found by their column names), for Live.Derive after bars
// were added; nil without specs. Recomputing the whole series costs
// O(bars) per bar, a fraction of a millisecond for the bars a live chart
// holds, and stays right when a backfilled bar lands in the middle.
func indicatorRefresh(c *plots.Chart, f *frames.OHLCV, specs []*fsp.Spec) func() {
	if len(specs) == 0 {
		return nil
	}
	lines := map[string]*plots.Series{}
	for _, p := range c.Panes {
		for _, s := range p.Series {
			if s.Bars == nil {
				lines[s.Name] = s
			}
		}
	}
	return func() {
		for _, sp := range specs {
			outs := sp.Compute(f)
			for k, name := range sp.Columns() {
				if s := lines[name]; s != nil {
					s.Time, s.Y = f.Time, outs[k]
				}
			}
		}
	}
}

// syntheticMarket is the demo market named fq at the given period, or a
// made-up crypto-hours market seeded from the name.
func syntheticMarket(fq string, period int64) feeds.SyntheticMarket {
	for _, m := range feeds.DemoMarkets() {
		if m.FQME == fq {
			m.Period = period
			return m
		}
	}
	h := fnv.New64a()
	h.Write([]byte(fq))
	return feeds.SyntheticMarket{FQME: fq, Calendar: "crypto", Period: period, Seed: int64(h.Sum64() >> 1),
		Price: 100, Tick: 0.01, Lot: 0.001, Volatility: 0.001, Volume: 10}
}

// syntheticHistory gives a market's history and a generator that carries
// on from it: the stored bars when there are any (the generator opening at
// the last close), else nbars periods generated up to now. It also returns
// the generator's first bar to stream.
func syntheticHistory(fq string, period int64, stored *frames.OHLCV, nbars int, now int64) (*frames.OHLCV, *feeds.Synthetic, frames.Bar) {
	m := syntheticMarket(fq, period)
	if n := stored.Len(); n > 0 {
		m.Price = stored.Close[n-1]
		g := feeds.NewSynthetic(m, stored.Time[n-1]+period)
		return stored, g, g.Next()
	}
	g := feeds.NewSynthetic(m, now-int64(nbars)*period)
	f := frames.New(period, nbars)
	for {
		b := g.Next()
		if b.Time >= now {
			return f, g, b
		}
		f.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
	}
}

// liveVenue draws the exchange's bars of names as its trades form them:
// the forming bar is redrawn on every trade, and a closed bar is drawn
// once more as it closed (the last trades of its minute may come after a
// later one's). A line per market tells the forming bar at most once a
// second.
func liveVenue(ctx context.Context, w io.Writer, l *plots.Live, venue feeds.Venue, names []string, period int64) error {
	vb, err := newVenueBars(names, period, venue.EmptyBars(), venueGrace)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "streaming %s trades of %s into %s bars; Ctrl-C stops\n", venue.Name(), strings.Join(names, ", "), frames.FormatPeriod(period))
	told := map[string]time.Time{}
	untold := map[string]feeds.BarEvent{}
	tell := func() {
		for fq, b := range untold {
			if now := time.Now(); now.Sub(told[fq]) >= time.Second {
				told[fq] = now
				delete(untold, fq)
				fmt.Fprintf(w, "forming %s %s o %g h %g l %g c %g v %g\n", fq, time.Unix(b.Bar.Time, 0).UTC().Format(time.RFC3339),
					b.Bar.Open, b.Bar.High, b.Bar.Low, b.Bar.Close, b.Bar.Volume)
			}
		}
	}
	onForming := func(b feeds.BarEvent) error {
		untold[b.FQME] = b
		tell()
		return l.Append(b.FQME, b.Bar)
	}
	onBar := func(b feeds.BarEvent) (bool, error) { return false, l.Append(b.FQME, b.Bar) }
	onStatus := func(st feeds.Status) {
		if st.Kind == feeds.Disconnected {
			fmt.Fprintf(w, "feed disconnected (%v): reconnecting\n", st.Err)
		}
	}
	return venueStream(ctx, venue, vb, 100*time.Millisecond, venueHooks{forming: onForming, bar: onBar, status: onStatus, tick: tell})
}
