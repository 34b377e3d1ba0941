package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/mkt"
	"workbench/paper"
)

func init() {
	register(&command{
		name:  "backtest",
		usage: "backtest FILE.go|--strategy NAME --fqme F[,F...] --period P [--set k=v] [--from T --to T] [--ticks] [--json] [-o DIR]",
		summary: "replay stored bars of one or more markets through the paper clearing engine and a strategy " +
			"(a Go script or a built-in); print the statistics and write the report, equity curve, ledger and account to -o DIR",
		run: runBacktest,
	})
}

// backtestOpts are the flags that shape the simulated exchange.
type backtestOpts struct {
	cash                          string
	makerBps, takerBps            float64
	feePerUnit, feeMin            string
	slipTicks, slipBps, impact    float64
	touchProb, slipProb, volShare float64
	latency                       time.Duration
	seed                          uint64
	calendar                      string
	priceTick, sizeTick           string
	skipInvalid                   bool
}

func (o *backtestOpts) config() (paper.BacktestConfig, error) {
	var cfg paper.BacktestConfig
	cash, err := decimal.NewFromString(o.cash)
	if err != nil || cash.Sign() <= 0 {
		return cfg, usagef("--cash %q: want a positive number", o.cash)
	}
	fees := paper.BpsFees(o.makerBps, o.takerBps)
	for _, f := range []struct {
		name, v string
		dst     *decimal.Decimal
	}{{"--fee-unit", o.feePerUnit, &fees.PerUnit}, {"--fee-min", o.feeMin, &fees.Minimum}} {
		if f.v == "" {
			continue
		}
		x, err := decimal.NewFromString(f.v)
		if err != nil || x.Sign() < 0 {
			return cfg, usagef("%s %q: want a number ≥ 0", f.name, f.v)
		}
		*f.dst = x
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"--touch-prob", o.touchProb}, {"--slip-prob", o.slipProb}, {"--volume-share", o.volShare}} {
		if p.v < 0 || p.v > 1 {
			return cfg, usagef("%s %g: want a value in [0, 1]", p.name, p.v)
		}
	}
	if o.latency < 0 {
		return cfg, usagef("--latency %s: want a duration ≥ 0", o.latency)
	}
	switch o.calendar {
	case "", "crypto", "us-equity", "cme":
	default:
		return cfg, usagef("--calendar %q: want crypto, us-equity or cme", o.calendar)
	}
	cfg = paper.BacktestConfig{
		Cash:     cash,
		Fees:     fees,
		Slippage: paper.Slippage{Ticks: o.slipTicks, Bps: o.slipBps, Impact: o.impact},
		Fill:     paper.FillModel{ProbFillOnTouch: o.touchProb, ProbSlippage: o.slipProb, VolumeShare: o.volShare},
		Latency:  paper.Latency{Order: int64(o.latency), Cancel: int64(o.latency)},
		Seed:     o.seed,
		Calendar: o.calendar,

		SkipInvalid: o.skipInvalid,
	}
	return cfg, nil
}

// market resolves an fqme to a MktPair with the ticks from the flags.
func (o *backtestOpts) market(fqme string) (mkt.MktPair, error) {
	p, err := mkt.ParseFQME(fqme)
	if err != nil {
		return p, usagef("--fqme %q: %v", fqme, err)
	}
	syntheticTicks(&p)
	return p, o.overrideTicks(&p)
}

// overrideTicks sets p's ticks given by --price-tick and --size-tick.
func (o *backtestOpts) overrideTicks(p *mkt.MktPair) error {
	for _, t := range []struct {
		name, v string
		dst     *decimal.Decimal
	}{{"--price-tick", o.priceTick, &p.PriceTick}, {"--size-tick", o.sizeTick, &p.SizeTick}} {
		if t.v == "" {
			continue
		}
		x, err := decimal.NewFromString(t.v)
		if err != nil || x.Sign() <= 0 {
			return usagef("%s %q: want a positive number", t.name, t.v)
		}
		*t.dst = x
	}
	return nil
}

// syntheticTicks gives the demo's synthetic markets the generator's price
// tick and lot, so that orders and fills are on them (a future trades whole
// contracts); other markets keep what their fqme gives.
func syntheticTicks(p *mkt.MktPair) {
	for _, m := range feeds.DemoMarkets() {
		if m.FQME == p.FQME() {
			p.PriceTick, p.SizeTick = decimal.NewFromFloat(m.Tick), decimal.NewFromFloat(m.Lot)
		}
	}
}

// series reads the markets of a comma-separated fqme list from the store
// at period (derived from a finer series where needed) over [from, to),
// with their ticks: what a backtest and a sweep run on.
// barSource is where a command reads its markets' bars: the store, or
// in tests a store that counts the reads.
type barSource interface {
	ReadRangeAs(fqme string, period, from, to int64) (*frames.OHLCV, int64, error)
}

// series reads each market once; a sweep's backtests all share the bars,
// read-only.
func (o *backtestOpts) series(store barSource, fqmes string, period, from, to int64) ([]paper.Series, error) {
	var out []paper.Series
	for _, fq := range strings.Split(fqmes, ",") {
		fq = strings.TrimSpace(fq)
		pair, err := o.market(fq)
		if err != nil {
			return nil, err
		}
		bars, _, err := store.ReadRangeAs(fq, period, from, to)
		if err != nil {
			return nil, err
		}
		if bars.Len() == 0 {
			return nil, fmt.Errorf("%s %s: no bars in the chosen time range", fq, frames.FormatPeriod(period))
		}
		out = append(out, paper.Series{Market: pair, Bars: bars})
	}
	return out, nil
}

func (o *backtestOpts) register(fs interface {
	StringVar(*string, string, string, string)
	Float64Var(*float64, string, float64, string)
	DurationVar(*time.Duration, string, time.Duration, string)
	Uint64Var(*uint64, string, uint64, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.StringVar(&o.cash, "cash", "100000", "starting `CASH` of the one account all markets share")
	fs.Float64Var(&o.makerBps, "maker-bps", 0, "maker fee in basis points of the notional")
	fs.Float64Var(&o.takerBps, "taker-bps", 0, "taker fee in basis points of the notional")
	fs.StringVar(&o.feePerUnit, "fee-unit", "", "fee per unit traded")
	fs.StringVar(&o.feeMin, "fee-min", "", "minimum fee per fill")
	fs.Float64Var(&o.slipTicks, "slip-ticks", 0, "slippage of taker fills in price ticks")
	fs.Float64Var(&o.slipBps, "slip-bps", 0, "slippage of taker fills in basis points")
	fs.Float64Var(&o.impact, "impact", 0, "market impact: price moves impact·(size/volume)² against taker fills")
	fs.Float64Var(&o.touchProb, "touch-prob", 0, "probability that a touch (no trade-through) fills a resting limit")
	fs.Float64Var(&o.slipProb, "slip-prob", 0, "probability that a taker fill slips one more tick")
	fs.Float64Var(&o.volShare, "volume-share", 0, "cap fills at this share of each bar's volume (0: no cap)")
	fs.DurationVar(&o.latency, "latency", 0, "order, cancel and amend latency in event time")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the engine's random draws")
	fs.StringVar(&o.calendar, "calendar", "", "annualise returns by `CAL`: crypto, us-equity or cme (default: as observed)")
	fs.StringVar(&o.priceTick, "price-tick", "", "price tick of the markets (default: from the fqme, else none)")
	fs.StringVar(&o.sizeTick, "size-tick", "", "size tick of the markets (default: from the fqme, else 1e-8)")
	fs.BoolVar(&o.skipInvalid, "skip-invalid", false, "skip bars nothing may trade on (a price not finite, ≤ 0 or beyond the price tick's range; "+
		"high/low not bounding the bar) and count them in the report, instead of stopping at the first")
}

// skipHint adds to an invalid bar's error the flag that skips such bars.
func skipHint(err error) error {
	var be *paper.BarError
	if errors.As(err, &be) {
		return fmt.Errorf("%w (--skip-invalid skips such bars and counts them)", err)
	}
	return err
}

// strategyGrace is how long a command waits, after Ctrl-C, for a strategy
// to return control before it gives up on it.
const strategyGrace = time.Second

// untilDone runs f and returns what it returns, or an error once ctx is
// done and f has not returned within strategyGrace. The runners check ctx
// between bars, but a strategy stuck in its own loop (a runaway OnBar, a
// script's for {}) never gives them the chance, and Ctrl-C must still end
// the command; f is left behind in a process about to exit.
func untilDone[T any](ctx context.Context, what string, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
	}
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(strategyGrace):
		var zero T
		return zero, fmt.Errorf("%s: interrupted: the strategy did not return within %v (a runaway OnBar?)", what, strategyGrace)
	}
}

func runBacktest(ctx context.Context, e *env, args []string) error {
	c := commands["backtest"]
	fs := e.flags(c)
	var opts backtestOpts
	opts.register(fs)
	fqmes := fs.String("fqme", "", "market(s) to trade, comma-separated `F[,F...]`")
	var period periodFlag
	fs.Var(&period, "period", "bar `P`eriod: 60, 1m, 1h, 1d")
	strategy := fs.String("strategy", "", "built-in strategy `NAME` ("+strings.Join(paper.BuiltinStrategies(), ", ")+")")
	var sets listFlag
	fs.Var(&sets, "set", "set a strategy parameter, `name=value` (repeatable)")
	from := fs.String("from", "", "first bar `T`ime (RFC 3339, YYYY-MM-DD or epoch seconds)")
	to := fs.String("to", "", "end `T`ime, exclusive")
	ticks := fs.Bool("ticks", false, "fill orders on the stored trades and quotes (workbench record --trades) instead of inside the bars")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	out := fs.String("o", "backtest-out", "output `DIR` for report.json, report.txt, equity.csv and the ledger and account files (\"\": none)")
	chartFmt := fs.String("chart", "png", "chart `FORMAT` of each market written to -o DIR: png, svg, pdf or none")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if *fqmes == "" {
		return usagef("backtest: --fqme is required")
	}
	if !slices.Contains(backtestChartFormats, *chartFmt) {
		return usagef("backtest --chart %q: want png, svg, pdf or none", *chartFmt)
	}
	if period.secs <= 0 {
		return usagef("backtest: --period is required")
	}
	strat, err := chooseStrategy(ctx, e, pos, *strategy, sets)
	if err != nil {
		return err
	}
	fromT, err := parseTimeFlag("--from", *from, 0)
	if err != nil {
		return err
	}
	toT, err := parseTimeFlag("--to", *to, 1<<62)
	if err != nil {
		return err
	}
	if fromT >= toT {
		return usagef("backtest: --from must be before --to")
	}
	cfg, err := opts.config()
	if err != nil {
		return err
	}
	store, err := frames.OpenStore(e.storeDir())
	if err != nil {
		return err
	}
	if cfg.Series, err = opts.series(store, *fqmes, period.secs, fromT, toT); err != nil {
		return err
	}
	if *ticks {
		for i := range cfg.Series {
			if err := readTicks(store, &cfg.Series[i]); err != nil {
				return err
			}
		}
	}
	res, err := untilDone(ctx, "backtest", func() (*paper.Result, error) { return paper.BacktestContext(ctx, cfg, strat) })
	if err != nil {
		return skipHint(err)
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fmt.Errorf("backtest: %w", err)
		}
		if err := res.WriteFiles(*out); err != nil {
			return err
		}
		if err := writeBacktestCharts(*out, *chartFmt, res); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if *asJSON {
		err = res.WriteJSON(&buf)
	} else {
		err = res.WriteText(&buf)
		if err == nil && *out != "" {
			fmt.Fprintf(&buf, "  report in       %s\n", *out)
		}
	}
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(buf.Bytes())
	return err
}

// readTicks loads the stored trades and quotes of sr's market over its
// bars' span, so the clearing engine matches orders against them (and the
// bars only drive the strategy).
func readTicks(store *frames.Store, sr *paper.Series) error {
	fq := sr.Market.FQME()
	b := sr.Bars
	from, to := b.Time[0]*1e9, (b.Time[b.Len()-1]+b.Period)*1e9
	trades, err := store.ReadTrades(fq, from, to)
	if err != nil {
		return fmt.Errorf("backtest --ticks: %w", err)
	}
	quotes, err := store.ReadQuotes(fq, from, to)
	if err != nil {
		return fmt.Errorf("backtest --ticks: %w", err)
	}
	if trades.Len() == 0 && quotes.Len() == 0 {
		return fmt.Errorf("backtest --ticks: %s: no trades or quotes stored from %s to %s (in %s; record them with workbench record --trades)",
			fq, time.Unix(0, from).UTC().Format(time.RFC3339), time.Unix(0, to).UTC().Format(time.RFC3339),
			filepath.Join(store.Dir(), "ticks", fq))
	}
	sr.Trades = make([]feeds.Trade, trades.Len())
	for i := range sr.Trades {
		sr.Trades[i] = feeds.Trade{Time: trades.Time[i], FQME: fq, Price: trades.Price[i], Size: trades.Size[i],
			Side: feeds.Side(trades.Side[i]), ID: trades.ID[i]}
	}
	sr.Quotes = make([]feeds.Quote, quotes.Len())
	for i := range sr.Quotes {
		sr.Quotes[i] = feeds.Quote{Time: quotes.Time[i], FQME: fq, Bid: quotes.Bid[i], Ask: quotes.Ask[i],
			BidSize: quotes.BidSize[i], AskSize: quotes.AskSize[i]}
	}
	return nil
}

// chooseStrategy picks the strategy from a script file or a built-in name.
func chooseStrategy(ctx context.Context, e *env, files []string, name string, sets []string) (paper.Strategy, error) {
	switch {
	case len(files) > 1:
		return nil, usagef("backtest: one strategy file at a time, got %d", len(files))
	case len(files) == 1 && name != "":
		return nil, usagef("backtest: give a strategy file or --strategy, not both")
	case len(files) == 1:
		return loadStrategyFile(ctx, e, files[0], sets)
	case name == "":
		return nil, usagef("backtest: give a strategy file or --strategy NAME (%s)", strings.Join(paper.BuiltinStrategies(), ", "))
	}
	return builtinWith(name, sets)
}

// parseTimeFlag reads a time flag (see frames.ParseTime); empty gives def.
func parseTimeFlag(flagName, s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	t, err := frames.ParseTime(s)
	if err != nil {
		return 0, usagef("%s: %v", flagName, err)
	}
	return t, nil
}

// loadStrategyFile interprets a strategy script (see scripts.StrategyShapes).
func loadStrategyFile(ctx context.Context, e *env, path string, sets []string) (paper.Strategy, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	return scriptWith(ctx, e, path, sets)
}
