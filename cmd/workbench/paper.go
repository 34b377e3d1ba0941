package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
		usage: "paper FILE.go|--strategy NAME [--set k=v] --feed synthetic --fqme F[,F...] [--period P] [--every DUR] [--bars N] " +
			"[--start T] [--cash C] [--taker-bps B ...] [--accounts DIR] [--acct NAME] [--resume] [--skip-invalid]",
		summary: "paper trade a strategy (the same script or built-in a backtest runs) on a live feed (synthetic: bars from --start, " +
			"default now, one period per --every); each closed bar is " +
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
	feed := fs.String("feed", "", "where bars come from: synthetic (the demo generator, one bar per --every)")
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
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *feed == "":
		return usagef("paper: --feed is required (synthetic)")
	case *feed != "synthetic":
		return usagef("paper --feed %q: want synthetic (the only feed so far)", *feed)
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
	strat, err := chooseStrategy(ctx, e, pos, *strategy, sets)
	if err != nil {
		return err
	}
	startT, err := parseTimeFlag("--start", *start, time.Now().Unix())
	if err != nil {
		return err
	}
	startT = startT / period.secs * period.secs
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
	for _, fq := range strings.Split(*fqmes, ",") {
		fq = strings.TrimSpace(fq)
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
	sess, err := paper.NewSession(cfg, period.secs, startT, strat)
	if err != nil {
		return err
	}
	// The account file is rebuilt from the ledger, the source of truth,
	// whatever state a crash left it in.
	if err := book.save(nil); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "paper trading %s on synthetic %s bars from %s, one every %v; ledger %s; Ctrl-C stops\n",
		*fqmes, frames.FormatPeriod(period.secs), time.Unix(startT, 0).UTC().Format(time.RFC3339), *every, book.ledger.Path)
	if len(cfg.Opening) > 0 {
		fmt.Fprintf(e.stdout, "resuming with %d transactions from the ledger: cash %.2f\n", len(cfg.Opening), sess.Cash())
		for _, p := range book.markets {
			if pos := sess.Position(p.FQME()); pos != 0 {
				fmt.Fprintf(e.stdout, "  position %s %g\n", p.FQME(), pos)
			}
		}
	}
	_, err = untilDone(ctx, "paper", func() (struct{}, error) {
		return struct{}{}, streamSynthetic(ctx, e.stdout, sess, book, gens, *every, *nbars, *statusEvery)
	})
	if err != nil {
		return skipHint(err)
	}
	if sess.Bars() == 0 {
		fmt.Fprintln(e.stdout, "no bar came: nothing traded")
		return nil
	}
	res, err := sess.Close()
	if err != nil {
		return err
	}
	if err := book.save(sess.Transactions()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\naccount %s.%s\n", paperBroker, *acct)
	return res.WriteText(e.stdout)
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
		if fills := sess.Fills(); len(fills) > 0 {
			// A fill is printed once it is in the ledger on disk.
			txs := sess.Transactions()
			unsaved := book.saved
			if err := book.save(txs); err != nil {
				return err
			}
			for _, tx := range txs[unsaved:] {
				side := "buy"
				if tx.Size.Sign() < 0 {
					side = "sell"
				}
				fmt.Fprintf(w, "fill %s %s %s %s %s @ %s fee %s\n", book.tid(tx), tx.Time.Format(time.RFC3339),
					side, tx.Size.Abs(), tx.FQME, tx.Price, tx.Cost)
			}
		}
		if (n+1)%statusEvery == 0 {
			fmt.Fprintf(w, "bar %s %s | cash %.2f equity %.2f\n", time.Unix(first, 0).UTC().Format(time.RFC3339),
				strings.Join(status, ", "), sess.Cash(), sess.Equity())
		}
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
