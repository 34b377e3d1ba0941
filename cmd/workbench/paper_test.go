package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/paper"
	"workbench/scripts"
)

var (
	fillLine   = regexp.MustCompile(`(?m)^fill (\S+) (\S+) (buy|sell) (\S+) (\S+) @ (\S+) fee (\S+)$`)
	equityLine = regexp.MustCompile(`(?m)^  equity +(\S+) -> (\S+)$`)
)

// printedFills parses the fill lines paper prints into transactions.
func printedFills(t *testing.T, out string) []paper.Transaction {
	t.Helper()
	var txs []paper.Transaction
	for _, m := range fillLine.FindAllStringSubmatch(out, -1) {
		tm, err := time.Parse(time.RFC3339, m[2])
		if err != nil {
			t.Fatal(err)
		}
		size, price, fee := decimal.RequireFromString(m[4]), decimal.RequireFromString(m[6]), decimal.RequireFromString(m[7])
		if m[3] == "sell" {
			size = size.Neg()
		}
		txs = append(txs, paper.Transaction{TID: m[1], Time: tm, FQME: m[5], Size: size, Price: price, Cost: fee})
	}
	return txs
}

func sameTransactions(t *testing.T, what string, got, want []paper.Transaction) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d transactions, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.TID != w.TID || !g.Time.Equal(w.Time) || g.FQME != w.FQME || !g.Size.Equal(w.Size) ||
			!g.Price.Equal(w.Price) || !g.Cost.Equal(w.Cost) {
			t.Fatalf("%s: transaction %d is %+v, want %+v", what, i, g, w)
		}
	}
}

func loadLedgerTxs(t *testing.T, dir, acct string) []paper.Transaction {
	t.Helper()
	l, err := paper.LoadLedger(filepath.Join(dir, paper.LedgerFileName("paper", acct)))
	if err != nil {
		t.Fatal(err)
	}
	return l.Transactions()
}

const paperStart = "2026-01-01T00:00:00Z"

// crossScript is a NewStrategy-shaped script that reads the history
// through Context.Bars, which a paper session grows bar by bar.
const crossScript = `package main

import (
	"workbench/feeds"
	"workbench/paper"
)

type cross struct{ fast, slow int }

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func (s *cross) OnBar(c *paper.Context, b feeds.BarEvent) {
	bars := c.Bars(b.FQME)
	n := bars.Len()
	if n < s.slow {
		return
	}
	if mean(bars.Close[n-s.fast:]) > mean(bars.Close[n-s.slow:]) {
		c.Target(b.FQME, 0.5)
	} else {
		c.Target(b.FQME, 0)
	}
}

func NewStrategy() paper.Strategy { return &cross{fast: 10, slow: 30} }
`

// TestPaperScriptMatchesBacktest paper trades strategy scripts on the
// synthetic feed and checks their fills and final equity against a
// backtest of the same script on the generated bars of the same span.
func TestPaperScriptMatchesBacktest(t *testing.T) {
	cross := filepath.Join(t.TempDir(), "cross.go")
	if err := os.WriteFile(cross, []byte(crossScript), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, script string
		nbars        int
	}{
		{"OnBar functions", filepath.Join("..", "..", "examples", "strategy", "rsi_revert.go"), 6000},
		{"NewStrategy", cross, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) { paperMatchesBacktest(t, tc.script, tc.nbars) })
	}
}

func paperMatchesBacktest(t *testing.T, script string, nbars int) {
	const fq = "btcusdt.spot.synthetic"
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "paper", script, "--feed", "synthetic", "--fqme", fq, "--every", "1us",
		"--bars", strconv.Itoa(nbars), "--start", paperStart, "--taker-bps", "5", "--slip-ticks", "2", "--slip-prob", "0.4",
		"--accounts", dir, "--acct", "script", "--status", "100", "--store", filepath.Join(dir, "store"))
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}

	from, _ := frames.ParseTime(paperStart)
	opts := backtestOpts{cash: "100000", takerBps: 5, slipTicks: 2, slipProb: 0.4, seed: 1}
	cfg, err := opts.config()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := opts.market(fq)
	if err != nil {
		t.Fatal(err)
	}
	// The span the session streamed: its first nbars bars (the feed leaves
	// some out, as a flaky one would).
	g := feeds.NewSynthetic(syntheticMarket(fq, 60), from)
	var last frames.Bar
	for range nbars {
		last = g.Next()
	}
	bars := feeds.GenerateBars(syntheticMarket(fq, 60), from, last.Time+60)
	if bars.Len() != nbars {
		t.Fatalf("generated %d bars, want %d", bars.Len(), nbars)
	}
	cfg.Series = []paper.Series{{Market: pair, Bars: bars}}
	strat, err := scripts.LoadStrategy(context.Background(), script, scripts.Options{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := paper.Backtest(cfg, strat)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Fills) < 20 {
		t.Fatalf("the backtest has %d fills: too few to compare", len(want.Fills))
	}
	sameTransactions(t, "printed fills", printedFills(t, stdout), want.Transactions())
	sameTransactions(t, "ledger", loadLedgerTxs(t, dir, "script"), want.Transactions())
	m := equityLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no equity line in:\n%s", stdout)
	}
	if w := want.FinalEquity().StringFixed(2); m[2] != w {
		t.Fatalf("final equity %s, the backtest's %s", m[2], w)
	}
}

func TestPaperBuiltinLedgerAndAccount(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	code, stdout, stderr := runCLI(t, "paper", "--strategy", "sma-cross", "--feed", "synthetic",
		"--fqme", "btcusdt.spot.synthetic", "--every", "1ms", "--bars", "300", "--start", paperStart,
		"--accounts", dir, "--store", store)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	printed := printedFills(t, stdout)
	if len(printed) < 4 {
		t.Fatalf("%d fills printed:\n%s", len(printed), stdout)
	}
	ledger := loadLedgerTxs(t, dir, "session")
	sameTransactions(t, "ledger against printed fills", ledger, printed)
	if n := strings.Count(stdout, "\nbar "); n != 300 {
		t.Errorf("%d status lines, want 300", n)
	}
	for _, want := range []string{"Sharpe", "round trips", "fills / fees"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("statistics lack %q:\n%s", want, stdout)
		}
	}
	held := decimal.Zero
	for _, tx := range ledger {
		held = held.Add(tx.Size)
	}
	if held.IsZero() {
		t.Fatal("the session ends flat: pick a span that leaves a position open")
	}
	code, stdout, stderr = runCLI(t, "account", "paper.session", "--accounts", dir, "--store", store, "--json")
	if code != 0 {
		t.Fatalf("account: exit %d: %s%s", code, stdout, stderr)
	}
	var out struct {
		Accounts []struct {
			Broker, Account string
			Positions       []struct {
				FQME string `json:"fqme"`
				Size string `json:"size"`
			} `json:"positions"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	if len(out.Accounts) != 1 || len(out.Accounts[0].Positions) != 1 {
		t.Fatalf("account: %s", stdout)
	}
	p := out.Accounts[0].Positions[0]
	if p.FQME != "btcusdt.spot.synthetic" || !decimal.RequireFromString(p.Size).Equal(held) {
		t.Fatalf("account position %s %s, the ledger holds %s", p.FQME, p.Size, held)
	}
	// The account file alone (as while the session runs) says the same.
	a, err := paper.LoadAccountFile(filepath.Join(dir, paper.AccountFileName("paper", "session")))
	if err != nil {
		t.Fatal(err)
	}
	if pos := a.Position("btcusdt.spot.synthetic"); pos == nil || !pos.Size().Equal(held) {
		t.Fatalf("account file position %v, want %s", pos, held)
	}
	// A second session does not overwrite the first one's ledger.
	code, _, stderr = runCLI(t, "paper", "--strategy", "sma-cross", "--feed", "synthetic",
		"--fqme", "btcusdt.spot.synthetic", "--every", "1ms", "--bars", "3", "--accounts", dir, "--store", store)
	if code == 0 || !strings.Contains(stderr, "exists") {
		t.Fatalf("second session into the same account: exit %d, %s", code, stderr)
	}
}

// TestPaperStopsOnCancel stands for Ctrl-C: the session stops, the
// statistics print and the ledger holds what was printed.
func TestPaperStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"paper", "--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic",
		"--every", "1ms", "--start", paperStart, "--accounts", dir, "--store", filepath.Join(dir, "store")},
		strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	s := out.String()
	if !strings.Contains(s, "stopped") || !equityLine.MatchString(s) {
		t.Fatalf("no stop and statistics in:\n%s", s)
	}
	sameTransactions(t, "ledger against printed fills", loadLedgerTxs(t, dir, "session"), printedFills(t, s))
}

func TestPaperErrors(t *testing.T) {
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.go")
	err := os.WriteFile(targets, []byte(`package main

import "workbench/frames"

func Targets(bars *frames.OHLCV) []float64 { return make([]float64, bars.Len()) }
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"--every", "1ms", "--bars", "2", "--accounts", dir, "--store", filepath.Join(dir, "store")}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--strategy", "sma-cross", "--feed", "binance", "--fqme", "btcusdt.spot.synthetic"}, 2, "--feed"},
		{[]string{"--strategy", "sma-cross", "--fqme", "btcusdt.spot.synthetic"}, 2, "--feed"},
		{[]string{"--strategy", "sma-cross", "--feed", "synthetic"}, 2, "--fqme"},
		{[]string{"--strategy", "nope", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic"}, 2, "--strategy"},
		{[]string{"--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic"}, 2, "--strategy"},
		{[]string{"--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic", "--bars", "-1"}, 2, "--bars"},
		{[]string{"--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic", "--every", "0s"}, 2, "--every"},
		{[]string{"--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic", "--acct", "a/b"}, 2, "--acct"},
		{[]string{"--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic", "--start", "soon"}, 2, "--start"},
		{[]string{"--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic", "--cash", "-5"}, 2, "--cash"},
		{[]string{"--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "not an fqme"}, 2, "--fqme"},
		{[]string{targets, "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic"}, 1, "Targets strategy"},
	} {
		args := append(append([]string{"paper"}, base...), tc.args...)
		code, stdout, stderr := runCLI(t, args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d (want %d), stderr %q (want %q), stdout %q", tc.args, code, tc.code, stderr, tc.want, stdout)
		}
	}
}
