package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"time"

	"workbench/feeds"
	"workbench/frames"
	"workbench/plots"
)

func init() {
	register(&command{
		name:    "live",
		usage:   "live F[,F…] --period P [--feed synthetic [--every DUR]] [--bars N] [--poll DUR] [--addr 127.0.0.1:PORT] [--no-browser]",
		summary: "a live chart window in the browser (127.0.0.1, token-protected) that draws new bars as they reach the store or come from the synthetic generator; drag pans, the wheel zooms, r resets",
		run:     runLive,
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
	feed := fs.String("feed", "", "where new bars come from: the store (default) or synthetic (the demo generator, one bar per --every)")
	every := fs.Duration("every", time.Second, "wall time between synthetic bars")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
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
	case *feed != "" && *feed != "synthetic":
		return usagef("live --feed %q: want synthetic (or no --feed for the store)", *feed)
	}
	store, err := frames.OpenStore(e.storeDir())
	if err != nil {
		return err
	}
	var charts []*plots.Chart
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
		charts = append(charts, marketChart([]string{fq}, []*frames.OHLCV{f},
			chartOptions{title: fq + " " + frames.FormatPeriod(period.secs)}))
	}
	l, err := plots.NewLive(charts...)
	if err != nil {
		return err
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
