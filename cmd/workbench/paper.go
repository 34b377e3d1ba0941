package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/internal/atomicfile"
	"workbench/mkt"
	"workbench/paper"
)

func init() {
	register(&command{
		name: "paper",
		usage: "paper FILE.go|--strategy NAME [--set k=v] [--feed synthetic|binance|kraken] --fqme F[,F...] [--period P] [--every DUR] [--bars N] " +
			"[--start T] [--rest-url U] [--ws-url U] [--cash C] [--taker-bps B ...] [--accounts DIR] [--acct NAME] [--resume] [--skip-invalid] [--json] [--chart]",
		summary: "paper trade a strategy (the same script or built-in a backtest runs) on a live feed (synthetic: bars from --start, " +
			"default now, one period per --every; binance or kraken, also picked by the fqme's venue token: the exchange's trades " +
			"made into bars by exchange time, with the market's real tick, lot and minimum notional, and the bars traded on " +
			"appended to the store, so that a backtest --from START --to END replays the session's fills); each closed bar is " +
			"matched by the paper clearing engine, fills print as they happen and go to the ledger trades_paper_<acct>.toml " +
			"and account.paper.<acct>.toml in the accounts folder (see `workbench account paper.<acct>`); " +
			"Ctrl-C or --bars N stops and prints the session's statistics",
		run: runPaper,
	})
}

// paperBroker is the broker name of paper trading accounts.
const paperBroker = "paper"

func runPaper(ctx context.Context, e *env, args []string) error {
	c := commands["paper"]
	fs := e.flags(c)
	var opts backtestOpts
	opts.register(fs)
	strategy := fs.String("strategy", "", "built-in strategy `NAME` ("+strings.Join(paper.BuiltinStrategies(), ", ")+")")
	var sets listFlag
	fs.Var(&sets, "set", "set a strategy parameter, `name=value` (repeatable)")
	vf := addVenueFlags(fs)
	asJSON := fs.Bool("json", false, "print the session's result as JSON at the stop (as backtest --json; the progress goes to stderr)")
	fqmes := fs.String("fqme", "", "market(s) to trade, comma-separated `F[,F...]`")
	period := periodFlag{secs: 60}
	fs.Var(&period, "period", "bar `P`eriod of the feed: 1m, 1h, 1d")
	every := fs.Duration("every", time.Second, "wall time between synthetic bars")
	nbars := fs.Int("bars", 0, "stop after `N` bars (0: run until Ctrl-C)")
	start := fs.String("start", "", "open time `T` of the first synthetic bar (RFC 3339, YYYY-MM-DD or epoch seconds; default now)")
	accounts := fs.String("accounts", "", "accounts `DIR` (default: \"accounts\" next to the store folder)")
	acct := fs.String("acct", "session", "account `NAME`: the files are trades_paper_NAME.toml and account.paper.NAME.toml")
	statusEvery := fs.Int("status", 1, "print a status line every `N` bars")
	resume := fs.Bool("resume", false, "continue the account's existing ledger: start from its positions and cash (--cash less what it spent), "+
		"the synthetic bars from each market's last stored close")
	chart := fs.Bool("chart", false, "show the session in a live chart window (bars, fills at their prices, the position)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *fqmes == "":
		return usagef("paper: --fqme is required")
	case period.secs <= 0:
		return usagef("paper --period: want a positive period")
	case *every <= 0:
		return usagef("paper --every %v: must be positive", *every)
	case *nbars < 0:
		return usagef("paper --bars %d: must be ≥ 0", *nbars)
	case *statusEvery < 1:
		return usagef("paper --status %d: must be ≥ 1", *statusEvery)
	case *acct == "" || strings.ContainsAny(*acct, `/\._ `):
		return usagef("paper --acct %q: want a name without / \\ . _ or spaces", *acct)
	}
	var venue feeds.Venue
	markets := strings.Split(*fqmes, ",")
	for i := range markets {
		markets[i] = strings.TrimSpace(markets[i])
	}
	if vf.feed != "synthetic" {
		for _, fq := range markets {
			if strings.HasSuffix(strings.ToLower(fq), ".synthetic") {
				return usagef("paper --feed %q: %s is a market of the demo generator (--feed synthetic)", vf.feed, fq)
			}
		}
		name, fqs, err := vf.venueFQMEs(markets)
		if err != nil {
			return usagef("paper: %v (or --feed synthetic)", err)
		}
		if venue, err = e.openVenue(vf, name); err != nil {
			return fmt.Errorf("--feed: %w", err)
		}
		markets = fqs
	}
	out := e.stdout
	if *asJSON {
		out = e.stderr
	}
	strat, err := chooseStrategy(ctx, e, pos, *strategy, sets)
	if err != nil {
		return err
	}
	if *chart {
		var stop func() error
		if strat, stop, err = chartPaper(strat, markets, period.secs, out); err != nil {
			return err
		}
		defer stop()
	}
	if venue != nil && *start != "" {
		return usagef("paper --start: only with --feed synthetic (an exchange's bars start now)")
	}
	startT, err := parseTimeFlag("--start", *start, time.Now().Unix())
	if err != nil {
		return err
	}
	startT = startT / period.secs * period.secs
	if venue != nil {
		startT = 0 // the first whole bar the exchange closes
	}
	cfg, err := opts.config()
	if err != nil {
		return err
	}
	folder := accountsFolder(e, *accounts)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return fmt.Errorf("paper: %w", err)
	}
	book, err := openBook(folder, *acct, *resume)
	if err != nil {
		return err
	}
	if txs := book.ledger.Transactions(); len(txs) > 0 {
		// The ledger replays in time order: a resumed session trades after
		// its last transaction, so that the replay is the order it traded in.
		last := txs[len(txs)-1].Time.Unix()
		after := (last/period.secs + 1) * period.secs
		switch {
		case *start == "":
			startT = max(startT, after)
		case startT < after:
			return usagef("paper --start %s: the ledger's last transaction is at %s; resume from %s or later", *start,
				txs[len(txs)-1].Time.UTC().Format(time.RFC3339), time.Unix(after, 0).UTC().Format(time.RFC3339))
		}
	}
	marks, err := openMarks(e.storeDir())
	if err != nil {
		return fmt.Errorf("paper: %w", err)
	}
	var gens []*feeds.Synthetic
	for _, fq := range markets {
		if venue != nil {
			// The exchange's own tick, lot and minimum notional (the flags
			// may still override the ticks).
			pair, err := venue.Market(ctx, fq)
			if err != nil {
				return fmt.Errorf("paper: %w", err)
			}
			if err := opts.overrideTicks(&pair); err != nil {
				return err
			}
			book.markets = append(book.markets, pair)
			cfg.Series = append(cfg.Series, paper.Series{Market: pair})
			continue
		}
		pair, err := opts.market(fq)
		if err != nil {
			return err
		}
		book.markets = append(book.markets, pair)
		cfg.Series = append(cfg.Series, paper.Series{Market: pair})
		// The bars go on from the last stored close, the mark `workbench
		// account` values the same position at.
		m := syntheticMarket(fq, period.secs)
		if c, _, ok, err := marks.mark(fq); err != nil {
			return fmt.Errorf("paper: %w", err)
		} else if ok {
			m.Price = c
		}
		gens = append(gens, feeds.NewSynthetic(m, startT))
	}
	book.cash = cfg.Cash
	for _, tx := range book.ledger.Transactions() {
		for _, p := range book.markets {
			if strings.EqualFold(tx.FQME, p.FQME()) {
				tx.FQME = p.FQME()
				cfg.Opening = append(cfg.Opening, tx)
			}
		}
	}
	// The account file is rebuilt from the ledger, the source of truth,
	// whatever state a crash left it in.
	if err := book.save(nil); err != nil {
		return err
	}
	var sess *paper.Session
	if venue != nil {
		run := paperVenueRun{venue: venue, markets: book.markets, period: period.secs, start: startT, cfg: cfg, strat: strat,
			book: book, store: e.storeDir(), nbars: *nbars, statusEvery: *statusEvery, w: out}
		sess, err = untilDone(ctx, "paper", func() (*paper.Session, error) { return run.run(ctx) })
	} else {
		if sess, err = paper.NewSession(cfg, period.secs, startT, strat); err != nil {
			return err
		}
		fmt.Fprintf(out, "paper trading %s on synthetic %s bars from %s, one every %v; ledger %s; Ctrl-C stops\n",
			*fqmes, frames.FormatPeriod(period.secs), time.Unix(startT, 0).UTC().Format(time.RFC3339), *every, book.ledger.Path)
		printResume(out, sess, book, len(cfg.Opening))
		_, err = untilDone(ctx, "paper", func() (struct{}, error) {
			return struct{}{}, streamSynthetic(ctx, out, sess, book, gens, *every, *nbars, *statusEvery)
		})
	}
	if err != nil {
		return skipHint(err)
	}
	if sess == nil || sess.Bars() == 0 {
		fmt.Fprintln(out, "no bar came: nothing traded")
		return nil
	}
	res, err := sess.Close()
	if err != nil {
		return err
	}
	if err := book.save(sess.Transactions()); err != nil {
		return err
	}
	if venue != nil {
		fmt.Fprintf(out, "\nreplay: workbench backtest %s --fqme %s --period %s --from %s --to %s%s\n", strategyArg(pos, *strategy, sets),
			strings.Join(markets, ","), frames.FormatPeriod(period.secs), isoSecs(res.Start), isoSecs(res.End), tickArgs(book.markets))
	}
	if *asJSON {
		return res.WriteJSON(e.stdout)
	}
	fmt.Fprintf(out, "\naccount %s.%s\n", paperBroker, *acct)
	return res.WriteText(out)
}

// printResume tells what a resumed session starts from.
func printResume(w io.Writer, sess *paper.Session, book *paperBook, opening int) {
	if opening == 0 {
		return
	}
	fmt.Fprintf(w, "resuming with %d transactions from the ledger: cash %.2f\n", opening, sess.Cash())
	for _, p := range book.markets {
		if pos := sess.Position(p.FQME()); pos != 0 {
			fmt.Fprintf(w, "  position %s %g\n", p.FQME(), pos)
		}
	}
}

// strategyArg is the strategy and its parameters as a command line names them.
func strategyArg(files []string, name string, sets []string) string {
	s := "--strategy " + name
	if len(files) > 0 {
		s = files[0]
	}
	for _, kv := range sets {
		s += " --set " + kv
	}
	return s
}

// isoSecs formats epoch ns as RFC 3339 to the second.
func isoSecs(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339) }

// tickArgs are the backtest flags giving the markets' ticks, when all
// markets share them (a backtest takes one --price-tick for all).
func tickArgs(ms []mkt.MktPair) string {
	for _, m := range ms[1:] {
		if !m.PriceTick.Equal(ms[0].PriceTick) || !m.SizeTick.Equal(ms[0].SizeTick) {
			return ""
		}
	}
	return fmt.Sprintf(" --price-tick %s --size-tick %s", ms[0].PriceTick, ms[0].SizeTick)
}

// paperVenueRun is a paper session on an exchange's live trades.
type paperVenueRun struct {
	venue       feeds.Venue
	markets     []mkt.MktPair
	period      int64
	start       int64 // the first bar may open no earlier (s)
	cfg         paper.BacktestConfig
	strat       paper.Strategy
	book        *paperBook
	store       string
	nbars       int
	statusEvery int
	w           io.Writer
}

// venueGrace is how long after a bar's close (exchange time) trades of it
// may still arrive before it is handed on.
const venueGrace = 2 * time.Second

// run streams until ctx is done or nbars bars (of the first market) were
// traded, and returns the session (nil if no bar came). Every bar handed
// to the session is appended to the store first, so a backtest over the
// stored bars sees what the session saw.
func (r *paperVenueRun) run(ctx context.Context) (*paper.Session, error) {
	fqmes := make([]string, len(r.markets))
	for i, m := range r.markets {
		fqmes[i] = m.FQME()
	}
	vb, err := newVenueBars(fqmes, r.period, r.venue.EmptyBars(), venueGrace)
	if err != nil {
		return nil, err
	}
	store, err := frames.OpenStore(r.store)
	if err != nil {
		return nil, err
	}
	for _, m := range r.markets {
		fmt.Fprintf(r.w, "market %s: tick %s lot %s min notional %s\n", m.FQME(), m.PriceTick, m.SizeTick, m.MinNotional)
	}
	fmt.Fprintf(r.w, "paper trading %s on %s trades in %s bars (the first whole bar from now); ledger %s; bars to %s; Ctrl-C stops\n",
		strings.Join(fqmes, ", "), r.venue.Name(), frames.FormatPeriod(r.period), r.book.ledger.Path, store.Dir())
	var sess *paper.Session
	n := 0
	var status []string
	onBar := func(b feeds.BarEvent) (bool, error) {
		if b.Bar.Time < r.start {
			return false, nil
		}
		if sess == nil {
			if sess, err = paper.NewSession(r.cfg, r.period, b.Bar.Time, r.strat); err != nil {
				return true, err
			}
			printResume(r.w, sess, r.book, len(r.cfg.Opening))
		}
		f := frames.New(r.period, 1)
		f.Add(b.Bar.Time, b.Bar.Open, b.Bar.High, b.Bar.Low, b.Bar.Close, b.Bar.Volume)
		if _, err := store.Append(b.FQME, f); err != nil {
			return true, fmt.Errorf("paper: %w", err)
		}
		if err := sess.Push(b); err != nil {
			return true, err
		}
		if err := r.book.printFills(r.w, sess); err != nil {
			return true, err
		}
		status = append(status, fmt.Sprintf("%s close %g vol %g pos %g", b.FQME, b.Bar.Close, b.Bar.Volume, sess.Position(b.FQME)))
		if b.FQME != fqmes[len(fqmes)-1] {
			return false, nil
		}
		n++
		if n%r.statusEvery == 0 {
			fmt.Fprintf(r.w, "bar %s %s | cash %.2f equity %.2f\n", time.Unix(b.Bar.Time, 0).UTC().Format(time.RFC3339),
				strings.Join(status, ", "), sess.Cash(), sess.Equity())
		}
		status = status[:0]
		return r.nbars > 0 && n >= r.nbars, nil
	}
	onStatus := func(st feeds.Status) {
		switch st.Kind {
		case feeds.Disconnected:
			fmt.Fprintf(r.w, "feed disconnected (%v): reconnecting; trades until then may be missing from the bars\n", st.Err)
		case feeds.TradeGap:
			fmt.Fprintf(r.w, "feed %s: trades %d..%d missed (%s to %s): those bars lack them\n", st.FQME, st.FromID, st.ToID,
				isoSecs(st.From), isoSecs(st.To))
		}
	}
	err = venueStream(ctx, r.venue, vb, 100*time.Millisecond, venueHooks{bar: onBar, status: onStatus})
	fmt.Fprintln(r.w, "stopped")
	return sess, err
}

// streamSynthetic pushes the generators' bars into the session, one bar
// close every tick (the bars of all markets that close then), printing the
// fills and a status line and booking the fills, until ctx is done or
// nbars closes (0: no limit).
func streamSynthetic(ctx context.Context, w io.Writer, sess *paper.Session, book *paperBook,
	gens []*feeds.Synthetic, every time.Duration, nbars, statusEvery int) error {
	pending := make([]frames.Bar, len(gens))
	for i, g := range gens {
		pending[i] = g.Next()
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 0; nbars == 0 || n < nbars; n++ {
		select {
		case <-ctx.Done():
			fmt.Fprintln(w, "stopped")
			return nil
		case <-tick.C:
		}
		// The markets whose next bar closes first, in the order given, as
		// a backtest replays them.
		first := pending[0].Time
		for _, b := range pending {
			first = min(first, b.Time)
		}
		var status []string
		for i, g := range gens {
			if pending[i].Time != first {
				continue
			}
			fq := g.Market().FQME
			if err := sess.Push(feeds.BarEvent{FQME: fq, Bar: pending[i]}); err != nil {
				return err
			}
			status = append(status, fmt.Sprintf("%s close %g pos %g", fq, pending[i].Close, sess.Position(fq)))
			pending[i] = g.Next()
		}
		if err := book.printFills(w, sess); err != nil {
			return err
		}
		if (n+1)%statusEvery == 0 {
			fmt.Fprintf(w, "bar %s %s | cash %.2f equity %.2f\n", time.Unix(first, 0).UTC().Format(time.RFC3339),
				strings.Join(status, ", "), sess.Cash(), sess.Equity())
		}
	}
	return nil
}

// printFills books the session's new fills in the ledger and then prints
// them: a fill is printed once it is on disk.
func (b *paperBook) printFills(w io.Writer, sess *paper.Session) error {
	if len(sess.Fills()) == 0 {
		return nil
	}
	txs := sess.Transactions()
	unsaved := b.saved
	if err := b.save(txs); err != nil {
		return err
	}
	for _, tx := range txs[unsaved:] {
		side := "buy"
		if tx.Size.Sign() < 0 {
			side = "sell"
		}
		fmt.Fprintf(w, "fill %s %s %s %s %s @ %s fee %s\n", b.tid(tx), tx.Time.Format(time.RFC3339),
			side, tx.Size.Abs(), tx.FQME, tx.Price, tx.Cost)
	}
	return nil
}

// paperBook keeps a session's ledger and account file up to date. The
// ledger is the source of truth: it is written first, and the account file
// is rebuilt from it at every save and at every start, so a crash between
// the two writes leaves an account file the next start replaces.
type paperBook struct {
	ledger   *paper.Ledger
	acctPath string
	cash     decimal.Decimal
	markets  []mkt.MktPair
	// prefix keeps a resumed session's transaction ids apart from those
	// already in the ledger ("r<entries at the start>."; "" for a new
	// ledger): the ledger grows with every session that trades, so no two
	// sessions share one.
	prefix string
	saved  int // the session's transactions in the ledger
}

// openBook opens an account's books in folder, first removing the
// temporary files a crash in the middle of a write leaves behind. An
// existing ledger is an error unless resume.
func openBook(folder, acct string, resume bool) (*paperBook, error) {
	b := &paperBook{acctPath: filepath.Join(folder, paper.AccountFileName(paperBroker, acct))}
	lp := filepath.Join(folder, paper.LedgerFileName(paperBroker, acct))
	if err := removeTemps(folder, filepath.Base(lp), filepath.Base(b.acctPath)); err != nil {
		return nil, err
	}
	_, err := os.Stat(lp)
	switch {
	case err == nil && !resume:
		return nil, fmt.Errorf("paper: %s exists: --resume continues it, or choose another --acct", lp)
	case err == nil:
		if b.ledger, err = paper.LoadLedger(lp); err != nil {
			return nil, fmt.Errorf("paper: %w", err)
		}
		b.prefix = fmt.Sprintf("r%d.", b.ledger.Len())
	default:
		b.ledger = paper.NewLedger(lp, paperBroker, acct)
	}
	return b, nil
}

// removeTemps removes atomicfile's leftovers of the named files in dir.
func removeTemps(dir string, names ...string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("paper: %w", err)
	}
	for _, ent := range ents {
		for _, n := range names {
			if strings.HasPrefix(ent.Name(), "."+n+".tmp-") && atomicfile.IsTemp(ent.Name()) {
				if err := os.Remove(filepath.Join(dir, ent.Name())); err != nil {
					return fmt.Errorf("paper: %w", err)
				}
			}
		}
	}
	return nil
}

// tid is the ledger's id of one of the session's transactions.
func (b *paperBook) tid(tx paper.Transaction) string { return b.prefix + tx.TID }

// save adds the transactions the ledger lacks (txs are all of the
// session's, in order) and rewrites the ledger and then the account file,
// each atomically.
func (b *paperBook) save(txs []paper.Transaction) error {
	for _, tx := range txs[min(b.saved, len(txs)):] {
		tx.TID = b.tid(tx)
		if err := b.ledger.Add(tx); err != nil {
			return fmt.Errorf("paper: %w", err)
		}
	}
	b.saved = max(b.saved, len(txs))
	if err := b.ledger.Save(); err != nil {
		return fmt.Errorf("paper: %w", err)
	}
	a, err := paper.AccountFromLedger(b.ledger, b.cash, b.markets)
	if err != nil {
		return fmt.Errorf("paper: %w", err)
	}
	if err := a.SaveFile(b.acctPath); err != nil {
		return fmt.Errorf("paper: %w", err)
	}
	return nil
}

// venueBars turns a venue's live trades into the closed bars of a period,
// one feeds.Sampler per market, bucketed by exchange time. A bar is
// released once every market's sampler has passed its close, in order of
// close and then of the markets given, as a backtest replays them. The
// exchange's time between trades is the wall clock plus the skew the last
// trade showed (exchange time less receive time), less grace for trades
// still in flight, so a quiet market's bars close on time however fast the
// venue's clock runs. The first bucket is partial (the stream began within
// it): its bars are dropped. Not safe for concurrent use.
type venueBars struct {
	fqmes    []string
	samplers []*feeds.Sampler
	pns      int64 // period in ns
	grace    int64 // ns

	skew    int64 // exchange ns less receive ns of the last trade
	started bool
	whole   int64            // bars opening before it (s) are partial
	pending []feeds.BarEvent // closed, not yet released
}

// newVenueBars prepares the samplers of fqmes under the venue's empty-bar rule.
func newVenueBars(fqmes []string, period int64, empty feeds.EmptyBars, grace time.Duration) (*venueBars, error) {
	vb := &venueBars{fqmes: fqmes, pns: period * 1e9, grace: int64(grace)}
	for _, fq := range fqmes {
		s, err := feeds.NewSampler(fq, period, empty)
		if err != nil {
			return nil, err
		}
		vb.samplers = append(vb.samplers, s)
	}
	return vb, nil
}

// trade applies one trade received at recv (wall ns) and returns its
// market's forming bar.
func (vb *venueBars) trade(t feeds.Trade, recv int64) (feeds.BarEvent, bool) {
	i := slices.Index(vb.fqmes, t.FQME)
	if i < 0 {
		return feeds.BarEvent{}, false
	}
	if t.Recv == 0 {
		t.Recv = recv
	}
	vb.skew = t.Time - t.Recv
	if !vb.started {
		vb.started = true
		vb.whole = (t.Time/vb.pns + 1) * vb.pns / 1e9
	}
	vb.keep(vb.samplers[i].Add(t))
	return vb.samplers[i].Forming()
}

func (vb *venueBars) keep(bars []feeds.BarEvent) {
	for _, b := range bars {
		if b.Bar.Time >= vb.whole {
			vb.pending = append(vb.pending, b)
		}
	}
}

// exchangeNow is the venue's time at wall ns now, as the trades tell it.
func (vb *venueBars) exchangeNow(now int64) int64 { return now + vb.skew }

// release advances every sampler to the venue's time at wall ns now (less
// the grace) and returns the bars closed by then, in replay order.
func (vb *venueBars) release(now int64) []feeds.BarEvent {
	if !vb.started {
		return nil
	}
	cut := vb.exchangeNow(now) - vb.grace
	for _, s := range vb.samplers {
		vb.keep(s.Advance(cut))
	}
	rank := func(fq string) int { return slices.Index(vb.fqmes, fq) }
	slices.SortStableFunc(vb.pending, func(a, b feeds.BarEvent) int {
		if a.Time != b.Time {
			return cmp.Compare(a.Time, b.Time)
		}
		return cmp.Compare(rank(a.FQME), rank(b.FQME))
	})
	n := 0
	for n < len(vb.pending) && vb.pending[n].Time <= cut {
		n++
	}
	out := slices.Clone(vb.pending[:n])
	vb.pending = slices.Delete(vb.pending, 0, n)
	return out
}

// venueHooks are what venueStream tells; nil ones are not called.
type venueHooks struct {
	// forming gets a market's forming bar each time a trade revises it.
	forming func(feeds.BarEvent) error
	// bar gets each released closed bar; stop ends the stream.
	bar func(feeds.BarEvent) (stop bool, err error)
	// status gets the feed's connection news.
	status func(feeds.Status)
	// tick runs every tick, after the bars it released.
	tick func()
}

// venueStream runs venue's live trades of vb's markets through vb until
// ctx is done or a hook says stop. tick is how often (wall) bars are
// released without a trade. At the end the bars closed by then are
// released too.
func venueStream(ctx context.Context, venue feeds.Venue, vb *venueBars, tick time.Duration, h venueHooks) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan feeds.Event, 1024)
	done := make(chan error, 1)
	feed := venue.Feed(feeds.Subscription{FQMEs: vb.fqmes, Trades: true})
	go func() {
		done <- feed.Stream(sctx, func(ev feeds.Event) error {
			select {
			case events <- ev:
				return nil
			case <-sctx.Done():
				return sctx.Err()
			}
		})
	}()
	// Stopping: the feed ends first, so no trade is half applied.
	stop := func() error {
		cancel()
		err := <-done
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		return err
	}
	emit := func(now int64) (bool, error) {
		for _, b := range vb.release(now) {
			if s, err := h.bar(b); err != nil || s {
				return true, err
			}
		}
		return false, nil
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := stop(); err != nil {
				return err
			}
			_, err := emit(time.Now().UnixNano())
			return err
		case err := <-done:
			if ctx.Err() != nil { // stopped: the feed saw it first
				if errors.Is(err, context.Canceled) {
					err = nil
				}
				_, e := emit(time.Now().UnixNano())
				return errors.Join(err, e)
			}
			if err == nil {
				err = fmt.Errorf("%s feed: ended", venue.Name())
			}
			return err
		case ev := <-events:
			switch ev.Kind {
			case feeds.KindTrade:
				if f, ok := vb.trade(ev.Trade, time.Now().UnixNano()); ok && h.forming != nil {
					if err := h.forming(f); err != nil {
						return errors.Join(err, stop())
					}
				}
			case feeds.KindStatus:
				if h.status != nil {
					h.status(ev.Status)
				}
			}
		case <-t.C:
			if s, err := emit(time.Now().UnixNano()); err != nil || s {
				return errors.Join(err, stop())
			}
			if h.tick != nil {
				h.tick()
			}
		}
	}
}
