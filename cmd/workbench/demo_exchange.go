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

// demoRecordFor is how long (wall) the demo records before paper trading.
const demoRecordFor = 2 * time.Second

// demoExchangeFeed starts a local Binance (binancefake) and uses it as a
// user would the real one: `workbench record` stores its bars for a while,
// `workbench paper --feed binance` paper-trades its live trades (recording
// the bars it trades on), `workbench store gaps` shows what the series
// lacks (the minutes between the two, and minutes without trades, which
// Binance has no bar for), and `workbench store fill` asks the exchange for
// them. The series that results is checked against the exchange's klines.
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
	e := &env{stdin: d.env.stdin, stdout: d.out, stderr: d.env.stderr}
	urls := []string{"--rest-url", srv.RESTURL(), "--ws-url", srv.WSURL(), "--store", d.StoreDir}

	fmt.Fprintf(d.out, "\n$ workbench record --fqme %s --period 1m   (for %v)\n", demoExchangeFQME, demoRecordFor)
	rctx, cancel := context.WithTimeout(ctx, demoRecordFor)
	err = runRecord(rctx, e, append([]string{"--fqme", demoExchangeFQME, "--period", "1m"}, urls...))
	cancel()
	if err != nil && ctx.Err() == nil {
		return err
	}

	fmt.Fprintf(d.out, "\n$ workbench paper --strategy sma-cross --fqme %s --period 1m --bars %d\n", demoExchangeFQME, demoExchangeBars)
	accounts := filepath.Join(d.Dir, "accounts")
	err = runPaper(ctx, e, append([]string{
		"--strategy", "sma-cross", "--fqme", demoExchangeFQME, "--period", "1m",
		"--bars", fmt.Sprint(demoExchangeBars), "--status", "10",
		"--taker-bps", "10", "--accounts", accounts, "--acct", "exchange"}, urls...))
	if err != nil {
		return err
	}
	gaps := func() error {
		fmt.Fprintf(d.out, "\n$ workbench store gaps %s --period 1m\n", demoExchangeFQME)
		return runStoreGaps(ctx, e, []string{demoExchangeFQME, "--period", "1m", "--calendar", "crypto", "--store", d.StoreDir})
	}
	if err := gaps(); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\n$ workbench store fill %s --period 1m\n", demoExchangeFQME)
	if err := runStoreFill(ctx, e, append([]string{demoExchangeFQME, "--period", "1m", "--calendar", "crypto"}, urls...)); err != nil {
		return err
	}
	if err := gaps(); err != nil {
		return err
	}
	// The audit: what the store holds is what the exchange itself reports.
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
	first, end := bars.Time[0], bars.Time[bars.Len()-1]+60
	want := srv.TrueBars(demoExchangeFQME, 60, first, end)
	same := want.Len() == bars.Len()
	for i := 0; same && i < want.Len(); i++ {
		same = want.At(i) == bars.At(i)
	}
	if !same {
		return fmt.Errorf("the stored bars (%d) differ from the exchange's klines (%d) from %d to %d", bars.Len(), want.Len(), first, end)
	}
	fmt.Fprintf(d.out, "\nthe %d stored bars of %s from %s to %s equal the exchange's own klines: the gaps left are minutes without trades\n",
		bars.Len(), demoExchangeFQME, time.Unix(first, 0).UTC().Format(time.RFC3339), time.Unix(end, 0).UTC().Format(time.RFC3339))
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
