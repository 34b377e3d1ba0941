package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

// TestPaperBooksSurviveKill kills a real `workbench paper` at random
// instants, twenty times, resuming the account each time: every fill it
// printed is in the ledger, the next start removes the temporary files a
// write in progress leaves and rebuilds the account file from the ledger,
// and at the end the account file and the ledger agree.
func TestPaperBooksSurviveKill(t *testing.T) {
	bin := workbenchBinary(t)
	dir := t.TempDir()
	accts, store := filepath.Join(dir, "accounts"), filepath.Join(dir, "store")
	args := []string{"paper", "--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic",
		"--every", "200us", "--status", "1000", "--taker-bps", "5", "--accounts", accts, "--acct", "kill", "--store", store, "--resume"}
	ledgerPath := filepath.Join(accts, paper.LedgerFileName("paper", "kill"))
	acctPath := filepath.Join(accts, paper.AccountFileName("paper", "kill"))
	rng := rand.New(rand.NewPCG(5, 8))
	printed := 0
	for i := 0; i < 20; i++ {
		cmd := exec.Command(bin, args...)
		var mu sync.Mutex
		var out bytes.Buffer
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		copied := make(chan struct{})
		go func() {
			defer close(copied)
			buf := make([]byte, 4096)
			for {
				n, err := pipe.Read(buf)
				mu.Lock()
				out.Write(buf[:n])
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
		// Let it print a few fills, then kill it at a random instant.
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			n := strings.Count(out.String(), "\nfill ")
			mu.Unlock()
			if n >= 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(30000)) * time.Microsecond)
		cmd.Process.Kill()
		<-copied
		cmd.Wait()
		// Only whole lines were printed; a line cut by the kill is not one.
		text := out.String()
		text = text[:strings.LastIndexByte(text, '\n')+1]
		fills := printedFills(t, text)
		if len(fills) == 0 {
			t.Fatalf("run %d printed no fill before the kill:\n%s", i, text)
		}
		printed += len(fills)
		ledger := map[string]paper.Transaction{}
		for _, tx := range loadLedgerTxs(t, accts, "kill") {
			ledger[tx.TID] = tx
		}
		for _, f := range fills {
			if l, ok := ledger[f.TID]; !ok {
				t.Fatalf("run %d: printed fill %s is not in the ledger", i, f.TID)
			} else {
				sameTransactions(t, "printed fill against the ledger", []paper.Transaction{l}, []paper.Transaction{f})
			}
		}
		// What a write cut short leaves: the next start must remove it.
		stale := filepath.Join(accts, "."+filepath.Base(acctPath)+".tmp-12345")
		if err := os.WriteFile(stale, []byte("[torn"), 0o644); err != nil {
			t.Fatal(err)
		}
		// A short run to the end: the start repairs, the run saves.
		code, stdout, stderr := runCLI(t, append(args, "--bars", "1", "--every", "1ms")...)
		if code != 0 {
			t.Fatalf("run %d, resuming: exit %d: %s%s", i, code, stdout, stderr)
		}
		ents, _ := os.ReadDir(accts)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Fatalf("run %d: %s left after a clean start and end", i, e.Name())
			}
		}
		booksAgree(t, ledgerPath, acctPath)
	}
	if printed < 40 {
		t.Fatalf("only %d fills printed over 20 runs: the kills did not land among trades", printed)
	}
}

// booksAgree checks that the account file holds exactly the open positions
// the ledger replays to.
func booksAgree(t *testing.T, ledgerPath, acctPath string) {
	t.Helper()
	l, err := paper.LoadLedger(ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := paper.AccountFromLedger(l, decimal.Zero, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := paper.LoadAccountFile(acctPath)
	if err != nil {
		t.Fatal(err)
	}
	if d := accountsDiffer(got, want); d != "" {
		t.Fatalf("account file and ledger: %s", d)
	}
}

// accountsDiffer says how two accounts' open positions differ ("" if not).
func accountsDiffer(a, b *paper.Account) string {
	pa, pb := a.Positions(), b.Positions()
	if len(pa) != len(pb) {
		return fmt.Sprintf("%d open positions against %d", len(pa), len(pb))
	}
	for i := range pa {
		if pa[i].FQME() != pb[i].FQME() || !pa[i].Size().Equal(pb[i].Size()) || !pa[i].AvgPrice().Equal(pb[i].AvgPrice()) {
			return fmt.Sprintf("%s %s at %s against %s %s at %s", pa[i].FQME(), pa[i].Size(), pa[i].AvgPrice(),
				pb[i].FQME(), pb[i].Size(), pb[i].AvgPrice())
		}
	}
	return ""
}

// TestPaperResumeContinuesTheAccount runs a session that ends holding a
// position, then resumes the account: the second session starts from the
// ledger's position and cash, its transactions join the ledger under ids
// of their own, the bars go on from the stored close (the mark `workbench
// account` values the position at), and account file, ledger, session
// report and `workbench account` agree.
func TestPaperResumeContinuesTheAccount(t *testing.T) {
	const fq = "btcusdt.spot.synthetic"
	dir := t.TempDir()
	accts, storeDir := filepath.Join(dir, "accounts"), filepath.Join(dir, "store")
	from, _ := frames.ParseTime(paperStart)
	m := syntheticMarket(fq, 60)
	m.Price = 5000 // far from the generator's own start, 100
	stored := feeds.GenerateBars(m, from, from+300*60)
	st, err := frames.OpenStore(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(fq, stored); err != nil {
		t.Fatal(err)
	}
	mark := stored.Close[stored.Len()-1]
	start := time.Unix(from+300*60, 0).UTC().Format(time.RFC3339)
	base := []string{"paper", "--strategy", "buy-hold", "--feed", "synthetic", "--fqme", fq, "--every", "1ms", "--taker-bps", "5",
		"--accounts", accts, "--acct", "res", "--store", storeDir}
	code, stdout, stderr := runCLI(t, append(base, "--bars", "5", "--start", start)...)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	first := printedFills(t, stdout)
	if len(first) != 1 {
		t.Fatalf("buy-hold printed %d fills:\n%s", len(first), stdout)
	}
	if p := first[0].Price.InexactFloat64(); math.Abs(p/mark-1) > 0.01 {
		t.Fatalf("bought at %v: the bars did not go on from the stored close %v", p, mark)
	}

	code, _, stderr = runCLI(t, append(base, "--bars", "5")...)
	if code != 1 || !strings.Contains(stderr, "--resume") {
		t.Fatalf("an existing ledger without --resume: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCLI(t, append(base, "--bars", "5", "--resume", "--start", paperStart)...)
	if code != 2 || !strings.Contains(stderr, "last transaction") {
		t.Fatalf("resuming before the ledger's last transaction: exit %d, %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, append(base, "--bars", "40", "--resume", "--cash", "100000")...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s%s", code, stdout, stderr)
	}
	held := first[0].Size
	cash := decimal.NewFromInt(100000).Sub(first[0].Size.Mul(first[0].Price)).Sub(first[0].Cost)
	if want := fmt.Sprintf("resuming with 1 transactions from the ledger: cash %s\n  position %s %s\n", cash.StringFixed(2), fq, held); !strings.Contains(stdout, want) {
		t.Fatalf("resumed session does not start from the ledger (want %q):\n%s", want, stdout)
	}
	txs := loadLedgerTxs(t, accts, "res")
	sum := decimal.Zero
	for _, tx := range txs {
		sum = sum.Add(tx.Size)
	}
	second := printedFills(t, stdout)
	if len(txs) != 1+len(second) {
		t.Fatalf("ledger holds %d transactions, the sessions printed 1 and %d", len(txs), len(second))
	}
	for _, f := range second {
		if !strings.HasPrefix(f.TID, "r1.") {
			t.Errorf("resumed session's transaction %s: want ids of its own, r1.…", f.TID)
		}
	}
	if want := fmt.Sprintf("open position   %s %s at ", fq, sum); !strings.Contains(stdout, want) {
		t.Fatalf("session report lacks %q (the ledger's position):\n%s", want, stdout)
	}
	booksAgree(t, filepath.Join(accts, paper.LedgerFileName("paper", "res")), filepath.Join(accts, paper.AccountFileName("paper", "res")))
	code, stdout, stderr = runCLI(t, "account", "paper.res", "--accounts", accts, "--store", storeDir, "--json")
	if code != 0 {
		t.Fatalf("account: exit %d: %s%s", code, stdout, stderr)
	}
	var out struct {
		Accounts []struct {
			Positions []struct {
				Size string  `json:"size"`
				Mark *string `json:"mark"`
			} `json:"positions"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out.Accounts) != 1 || len(out.Accounts[0].Positions) != 1 {
		t.Fatalf("account: %v\n%s", err, stdout)
	}
	p := out.Accounts[0].Positions[0]
	if !decimal.RequireFromString(p.Size).Equal(sum) || p.Mark == nil || !decimal.RequireFromString(*p.Mark).Equal(decimal.NewFromFloat(mark)) {
		t.Fatalf("account shows %s marked at %v; the ledger holds %s, the stored close is %v", p.Size, p.Mark, sum, mark)
	}
}

// TestPaperRunawayStrategyStopsOnInterrupt: Ctrl-C ends a real `workbench
// paper` whose script loops forever in OnBar, and the fills it printed
// before are in the ledger.
func TestPaperRunawayStrategyStopsOnInterrupt(t *testing.T) {
	dir := t.TempDir()
	script := writeRunaway(t, dir)
	out := interruptRunaway(t, "paper", script, "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic", "--every", "1ms",
		"--start", paperStart, "--accounts", dir, "--acct", "runaway", "--store", filepath.Join(dir, "store"))
	if !strings.Contains(out, "paper trading") {
		t.Fatalf("no session started:\n%s", out)
	}
	sameTransactions(t, "ledger against printed fills", loadLedgerTxs(t, dir, "runaway"), printedFills(t, out))
}

// TestPaperStartRebuildsTheAccount leaves the books as a crash between
// the ledger's write and the account file's leaves them (the account a
// transaction behind) and starts a session that stops before its first
// bar: the start alone makes the account file agree with the ledger.
func TestPaperStartRebuildsTheAccount(t *testing.T) {
	dir := t.TempDir()
	books := []string{"--accounts", dir, "--acct", "crash", "--store", filepath.Join(dir, "store")}
	session := []string{"paper", "--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic"}
	args := append(append(session, "--every", "1ms", "--bars", "300", "--start", paperStart), books...)
	if code, stdout, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	lp, ap := filepath.Join(dir, paper.LedgerFileName("paper", "crash")), filepath.Join(dir, paper.AccountFileName("paper", "crash"))
	l, err := paper.LoadLedger(lp)
	if err != nil {
		t.Fatal(err)
	}
	txs := l.Transactions()
	behind := paper.NewLedger(lp, "paper", "crash")
	for _, tx := range txs[:len(txs)-1] {
		if err := behind.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	stale, err := paper.AccountFromLedger(behind, decimal.Zero, nil)
	if err != nil {
		t.Fatal(err)
	}
	full, err := paper.AccountFromLedger(l, decimal.Zero, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accountsDiffer(stale, full) == "" {
		t.Fatal("the last transaction does not change the positions: a stale account file would pass")
	}
	if err := stale.SaveFile(ap); err != nil {
		t.Fatal(err)
	}
	// Ctrl-C before the first bar of an hourly feed: nothing trades, nothing is saved at the end.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out, errb bytes.Buffer
	resume := append(append(session, "--every", "1h", "--resume"), books...)
	if code := run(ctx, resume, strings.NewReader(""), &out, &errb); code != 0 || !strings.Contains(out.String(), "no bar came") {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	booksAgree(t, lp, ap)
}
