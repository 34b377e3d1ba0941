package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"workbench/frames"
	"workbench/plots"
)

func init() {
	register(&command{
		name:    "live",
		usage:   "live F[,F…] --period P [--bars N] [--poll DUR] [--addr 127.0.0.1:PORT] [--no-browser]",
		summary: "a live chart window in the browser (127.0.0.1, token-protected) that draws new bars as they reach the store; drag pans, the wheel zooms, r resets",
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
		return usagef("live: name at least one market (F[,F…])")
	case period.secs == 0:
		return usagef("live: --period is required")
	case *nbars <= 0 || *poll <= 0:
		return usagef("live: --bars and --poll must be positive")
	}
	store, err := frames.OpenStore(e.storeDir())
	if err != nil {
		return err
	}
	var charts []*plots.Chart
	last := make([]int64, len(names))
	for i, fq := range names {
		f, err := store.Read(fq, period.secs)
		if err != nil {
			return fmt.Errorf("live %s: %w", fq, err)
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
			f, err := store.ReadRange(fq, period.secs, last[i], 1<<62)
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
