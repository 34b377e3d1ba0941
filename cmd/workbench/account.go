package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/mkt"
	"workbench/paper"
)

func init() {
	register(&command{
		name:    "account",
		usage:   "account [BROKER.ACCT] [--ledger FILE] [--accounts DIR] [--json]",
		summary: "show an account's open positions (size, average and break-even price, cost basis, unrealized PnL at the last stored close) from its ledger in the accounts folder next to the store",
		run:     runAccount,
	})
}

type accountView struct {
	Broker    string         `json:"broker"`
	Account   string         `json:"account"`
	Source    string         `json:"source"`
	Trades    int            `json:"trades"`
	Realized  string         `json:"realized"`
	Fees      string         `json:"fees"`
	Positions []positionView `json:"positions"`
}

type positionView struct {
	FQME       string  `json:"fqme"`
	Size       string  `json:"size"`
	AvgPrice   string  `json:"avg_price"`
	BreakEven  string  `json:"break_even"`
	CostBasis  string  `json:"cost_basis"`
	Mark       *string `json:"mark"`
	MarkTime   *string `json:"mark_time"`
	Unrealized *string `json:"unrealized"`
	Realized   string  `json:"realized"`
	Fees       string  `json:"fees"`

	mkt  mkt.MktPair
	pos  *paper.Position
	mark *decimal.Decimal
}

// accountHelp is the long help of workbench account --help.
const accountHelp = `Positions come from the transactions ledger trades_<broker>_<acct>.toml
(piker's layout), replayed in time order; when there is no ledger, from the
account file account.<broker>.<acct>.toml. Both live in the accounts folder:
--accounts, else a folder named "accounts" next to the store folder (the
store's parent folder, e.g. ~/.local/share/workbench/accounts), so that one
--store or config setting moves data and accounts together. Without
BROKER.ACCT every account in the folder is shown; --ledger FILE reads that
ledger instead.

The mark is the last close stored for the market (the latest bar of any
period); without stored bars mark and unrealized PnL print as "-" (null in
--json). Break-even is avg + (fees − realized PnL since the position opened)/size.`

func runAccount(ctx context.Context, e *env, args []string) error {
	c := commands["account"]
	fs := e.flags(c)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: workbench %s\n\n%s\n\n%s\n\nflags:\n", c.usage, c.summary, accountHelp)
		fs.PrintDefaults()
	}
	ledger := fs.String("ledger", "", "ledger `FILE` to read instead of the accounts folder's")
	dir := fs.String("accounts", "", "accounts `DIR` (default: \"accounts\" next to the store folder)")
	asJSON := fs.Bool("json", false, "print JSON (exact decimal strings)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("account: want at most one BROKER.ACCT, got %q", pos)
	}
	folder := accountsFolder(e, *dir)
	var views []accountView
	switch {
	case *ledger != "":
		if _, err := os.Stat(*ledger); err != nil {
			return fmt.Errorf("account: ledger %w", err)
		}
		v, err := ledgerView(*ledger)
		if err != nil {
			return err
		}
		views = append(views, v)
	case len(pos) == 1:
		broker, acct, ok := strings.Cut(pos[0], ".")
		if !ok || broker == "" || acct == "" || strings.ContainsAny(pos[0], `/\`) {
			return usagef("account: %q is not BROKER.ACCT (e.g. binance.paper)", pos[0])
		}
		v, found, err := accountFromFolder(folder, broker, acct)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("account %s.%s: neither %s nor %s in %s", broker, acct,
				paper.LedgerFileName(broker, acct), paper.AccountFileName(broker, acct), folder)
		}
		views = append(views, v)
	default:
		names, err := accountNames(folder)
		if err != nil {
			return err
		}
		for _, n := range names {
			v, _, err := accountFromFolder(folder, n[0], n[1])
			if err != nil {
				return err
			}
			views = append(views, v)
		}
	}
	if err := markViews(e.storeDir(), views); err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			Accounts []accountView `json:"accounts"`
		}{views}
		if out.Accounts == nil {
			out.Accounts = []accountView{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(views) == 0 {
		fmt.Fprintf(e.stdout, "no accounts in %s\n", folder)
		return nil
	}
	for i, v := range views {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		writeAccountView(e.stdout, v)
	}
	return nil
}

// accountNames lists (broker, account) pairs with a ledger or account file in dir.
func accountNames(dir string) ([][2]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("accounts %s: %w", dir, err)
	}
	seen := map[[2]string]bool{}
	var out [][2]string
	for _, ent := range ents {
		name := ent.Name()
		if ent.IsDir() || !strings.HasSuffix(name, ".toml") {
			continue
		}
		base := strings.TrimSuffix(name, ".toml")
		var b, a string
		var ok bool
		switch {
		case strings.HasPrefix(base, "trades_"):
			b, a, ok = strings.Cut(strings.TrimPrefix(base, "trades_"), "_")
		case strings.HasPrefix(base, "account."):
			b, a, ok = strings.Cut(strings.TrimPrefix(base, "account."), ".")
		}
		if k := [2]string{b, a}; ok && b != "" && a != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0]+"."+out[i][1] < out[j][0]+"."+out[j][1] })
	return out, nil
}

func accountFromFolder(dir, broker, acct string) (accountView, bool, error) {
	lp := filepath.Join(dir, paper.LedgerFileName(broker, acct))
	if _, err := os.Stat(lp); err == nil {
		v, err := ledgerView(lp)
		return v, true, err
	}
	ap := filepath.Join(dir, paper.AccountFileName(broker, acct))
	if _, err := os.Stat(ap); err != nil {
		return accountView{}, false, nil
	}
	a, err := paper.LoadAccountFile(ap)
	if err != nil {
		return accountView{}, true, err
	}
	return makeView(broker, acct, ap, 0, a), true, nil
}

func ledgerView(path string) (accountView, error) {
	l, err := paper.LoadLedger(path)
	if err != nil {
		return accountView{}, err
	}
	a, err := paper.AccountFromLedger(l, decimal.Zero, nil)
	if err != nil {
		return accountView{}, err
	}
	return makeView(l.Broker, l.Account, path, l.Len(), a), nil
}

func makeView(broker, acct, source string, trades int, a *paper.Account) accountView {
	v := accountView{Broker: broker, Account: acct, Source: source, Trades: trades,
		Realized: a.Realized().String(), Fees: a.Fees().String(), Positions: []positionView{}}
	for _, p := range a.Positions() {
		v.Positions = append(v.Positions, positionView{FQME: p.FQME(), Size: p.Size().String(),
			AvgPrice: p.AvgPrice().String(), BreakEven: p.BreakEven().String(), CostBasis: p.CostBasis().String(),
			Realized: p.Realized().String(), Fees: p.Fees().String(), mkt: p.Mkt, pos: p})
	}
	return v
}

// storedMarks finds the mark of each market: the last close stored for it,
// from the series (of any period) whose last bar closes latest, and that
// close's time (epoch s). Markets without stored bars have none.
type storedMarks struct {
	st   *frames.Store
	best map[string]frames.SeriesInfo
}

func openMarks(storeDir string) (*storedMarks, error) {
	st, err := frames.OpenStore(storeDir)
	if err != nil {
		return nil, err
	}
	series, err := st.List()
	if err != nil {
		return nil, err
	}
	best := map[string]frames.SeriesInfo{}
	for _, s := range series {
		if s.Problem != "" || s.Rows == 0 {
			continue
		}
		if b, ok := best[s.FQME]; !ok || s.Last+s.Period > b.Last+b.Period {
			best[s.FQME] = s
		}
	}
	return &storedMarks{st: st, best: best}, nil
}

// mark is a market's last stored close and its time, if there is one.
func (sm *storedMarks) mark(fqme string) (float64, int64, bool, error) {
	s, ok := sm.best[fqme]
	if !ok {
		return 0, 0, false, nil
	}
	f, err := sm.st.Read(s.FQME, s.Period)
	if err != nil {
		return 0, 0, false, fmt.Errorf("mark for %s: %w", fqme, err)
	}
	n := f.Len()
	if n == 0 {
		return 0, 0, false, nil
	}
	return f.Close[n-1], f.Time[n-1] + f.Period, true, nil
}

// markViews sets each position's mark to the last close stored for its
// market (see storedMarks).
func markViews(storeDir string, views []accountView) error {
	sm, err := openMarks(storeDir)
	if err != nil {
		return err
	}
	for i := range views {
		for j := range views[i].Positions {
			p := &views[i].Positions[j]
			c, at, ok, err := sm.mark(p.FQME)
			if err != nil {
				return fmt.Errorf("account: %w", err)
			}
			if !ok {
				continue
			}
			m := decimal.NewFromFloat(c)
			t := time.Unix(at, 0).UTC().Format(time.RFC3339)
			u := p.pos.Unrealized(m).String()
			ms := m.String()
			p.mark, p.Mark, p.MarkTime, p.Unrealized = &m, &ms, &t, &u
		}
	}
	return nil
}

func writeAccountView(w io.Writer, v accountView) {
	src := "account file"
	if v.Trades > 0 || strings.HasPrefix(filepath.Base(v.Source), "trades_") {
		src = fmt.Sprintf("ledger, %s trades", humanCount(int64(v.Trades)))
	}
	fmt.Fprintf(w, "%s.%s  (%s: %s)\n", v.Broker, v.Account, src, v.Source)
	if len(v.Positions) == 0 {
		fmt.Fprintln(w, "no open positions")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		// tabwriter aligns every column right; padding the market names keeps them left-aligned
		width := 0
		for _, p := range v.Positions {
			width = max(width, len(p.FQME))
		}
		fmt.Fprintf(tw, "%-*s\tsize\tavg price\tbreak-even\tcost basis\tmark\tunrealized\t\n", width, "market")
		total, marked := decimal.Zero, 0
		for _, p := range v.Positions {
			mark, unreal := "-", "-"
			if p.mark != nil {
				u := p.pos.Unrealized(*p.mark)
				total = total.Add(u)
				marked++
				mark, unreal = humanPrice(*p.mark, p.mkt.PriceTick), humanMoney(u)
			}
			fmt.Fprintf(tw, "%-*s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", width, p.FQME, p.pos.Size().String(),
				humanPrice(p.pos.AvgPrice(), p.mkt.PriceTick), humanPrice(p.pos.BreakEven(), p.mkt.PriceTick),
				humanMoney(p.pos.CostBasis()), mark, unreal)
		}
		tw.Flush()
		if marked > 0 {
			fmt.Fprintf(w, "unrealized %s at the last stored closes", humanMoney(total))
			if marked < len(v.Positions) {
				fmt.Fprintf(w, " (%d of %d positions marked)", marked, len(v.Positions))
			}
			fmt.Fprintln(w)
		}
	}
	r, _ := decimal.NewFromString(v.Realized)
	f, _ := decimal.NewFromString(v.Fees)
	fmt.Fprintf(w, "realized %s, fees %s\n", humanMoney(r), humanMoney(f))
}

// humanPrice rounds a price to its tick's decimals when the tick is known,
// else to 2 decimals above 100, 4 above 1 and 6 significant digits below.
func humanPrice(p, tick decimal.Decimal) string {
	if tick.Sign() > 0 {
		return groupThousands(p.StringFixed(mkt.DecDigits(tick)))
	}
	a := p.Abs()
	switch {
	case a.GreaterThanOrEqual(decimal.NewFromInt(100)):
		return groupThousands(p.StringFixed(2))
	case a.GreaterThanOrEqual(decimal.NewFromInt(1)):
		return p.StringFixed(4)
	case a.IsZero():
		return "0"
	}
	// the first significant digit is at 10^(exponent + digits − 1)
	first := a.Exponent() + int32(a.NumDigits()) - 1
	return p.Round(5 - first).String()
}

// humanMoney writes an amount to the cent with thousands separators.
func humanMoney(d decimal.Decimal) string { return groupThousands(d.StringFixed(2)) }

func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return sign + b.String()
}

// accountsFolder is --accounts, else "accounts" next to the store folder.
func accountsFolder(e *env, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return filepath.Join(filepath.Dir(filepath.Clean(e.storeDir())), "accounts")
}
