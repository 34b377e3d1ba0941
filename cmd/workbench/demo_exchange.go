package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"workbench/feeds/binance/binancefake"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

func init() {
	registerDemoStep(demoStep{order: 47, name: "exchange feed", run: demoExchangeFeed})
}

// The demo's exchange is a local binancefake: its venue clock starts at
// demoExchangeStart and runs demoExchangeSpeed× the wall clock, so that a
// session of demoExchangeBars one-minute bars takes seconds.
const (
	demoExchangeFQME  = "btcusdt.spot.binance"
	demoExchangeSpeed = 600
	demoExchangeBars  = 60
)

// demoExchangeStart is the fake's venue time at the start, 2025-01-01
// 00:00:20 UTC: inside a minute, so the session's first bar is partial and
// dropped, as it is on a real exchange.
var demoExchangeStart = time.Date(2025, 1, 1, 0, 0, 20, 0, time.UTC).UnixNano()

// demoExchangeTape is the fake's one market: deterministic trades about
// every 3 s with one minute in five quiet (Binance has no bar for it).
func demoExchangeTape() *venuefake.Tape {
	return venuefake.NewTape(venuefake.TapeConfig{FQME: demoExchangeFQME, Seed: 2025, Start: demoExchangeStart - int64(time.Hour),
		Price: 94000, Tick: 0.01, Lot: 0.00001, MeanGap: 3 * time.Second, QuietEvery: 5})
}

// demoExchangeFeed starts a local Binance (binancefake) and paper-trades
// its live trades with `workbench paper --feed binance`, which records the
// bars it trades on into the demo store; then `workbench store gaps` looks
// at the recorded series: the quiet minutes are the exchange's own gaps.
//
// Seam for the recorder (workbench record, store fill): a step of order 46
// records from the same kind of server before this one, and `store fill`
// after the gaps shows that the exchange has nothing for those minutes.
func demoExchangeFeed(ctx context.Context, d *demoRun) error {
	srv, err := binancefake.New(binancefake.Options{
		Markets: []binancefake.Market{{Tape: demoExchangeTape()}},
		Clock:   venuefake.NewClock(demoExchangeStart, demoExchangeSpeed),
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(d.out, "a local Binance at %s (venue clock %s, %d× the wall clock)\n", srv.RESTURL(),
		time.Unix(0, demoExchangeStart).UTC().Format(time.RFC3339), demoExchangeSpeed)
	// The fake's market info goes to the demo's own cache, not the user's.
	restore := setEnvFor("XDG_CACHE_HOME", filepath.Join(d.Dir, "cache"))
	defer restore()
	accounts := filepath.Join(d.Dir, "accounts")
	e := &env{stdin: d.env.stdin, stdout: d.out, stderr: d.env.stderr}
	err = runPaper(ctx, e, []string{
		"--strategy", "sma-cross", "--fqme", demoExchangeFQME, "--period", "1m",
		"--rest-url", srv.RESTURL(), "--ws-url", srv.WSURL(), "--bars", fmt.Sprint(demoExchangeBars), "--status", "10",
		"--taker-bps", "10", "--accounts", accounts, "--acct", "exchange", "--store", d.StoreDir,
	})
	if err != nil {
		return err
	}
	st, err := frames.OpenStore(d.StoreDir)
	if err != nil {
		return err
	}
	bars, err := st.Read(demoExchangeFQME, 60)
	if err != nil {
		return err
	}
	if bars.Len() == 0 {
		return fmt.Errorf("no bar recorded")
	}
	first, last := bars.Time[0], bars.Time[bars.Len()-1]
	fmt.Fprintf(d.out, "recorded %d one-minute bars of %s from %s to %s into %s\n", bars.Len(), demoExchangeFQME,
		time.Unix(first, 0).UTC().Format(time.RFC3339), time.Unix(last+60, 0).UTC().Format(time.RFC3339), d.StoreDir)
	fmt.Fprintf(d.out, "\nthe recorded series' gaps (Binance has no bar for a minute without trades):\n")
	if err := runStoreGaps(ctx, e, []string{demoExchangeFQME, "--period", "1m", "--calendar", "crypto", "--store", d.StoreDir}); err != nil {
		return err
	}
	// The audit: what was recorded is what the exchange itself reports.
	want := srv.TrueBars(demoExchangeFQME, 60, first, last+60)
	same := want.Len() == bars.Len()
	for i := 0; same && i < want.Len(); i++ {
		same = want.At(i) == bars.At(i)
	}
	if !same {
		return fmt.Errorf("the recorded bars (%d) differ from the exchange's klines (%d) over the same span", bars.Len(), want.Len())
	}
	fmt.Fprintf(d.out, "\nthe %d recorded bars equal the exchange's own klines over the span: the gaps are minutes without trades\n", bars.Len())
	return nil
}

// setEnvFor sets an environment variable until the returned func restores it.
func setEnvFor(key, value string) func() {
	old, had := os.LookupEnv(key)
	os.Setenv(key, value)
	return func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	}
}
