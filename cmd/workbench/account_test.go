package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/internal/oracle"
	"workbench/paper"
)

type accountJSON struct {
	Accounts []struct {
		Broker, Account, Source string
		Trades                  int
		Realized, Fees          string
		Positions               []struct {
			FQME       string  `json:"fqme"`
			Size       string  `json:"size"`
			AvgPrice   string  `json:"avg_price"`
			BreakEven  string  `json:"break_even"`
			CostBasis  string  `json:"cost_basis"`
			Mark       *string `json:"mark"`
			MarkTime   *string `json:"mark_time"`
			Unrealized *string `json:"unrealized"`
		}
	}
}

// accountsSetup lays out root/store and root/accounts with piker's paper
// ledger, and stores hourly bars for btcusdt.spot.binance only.
func accountsSetup(t *testing.T) (store, accounts string) {
	t.Helper()
	root := t.TempDir()
	store, accounts = filepath.Join(root, "store"), filepath.Join(root, "accounts")
	if err := os.MkdirAll(accounts, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(oracle.Path(t, "raw", "piker", "trades_binance_paper.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(accounts, "trades_binance_paper.toml"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	f := frames.New(3600, 0)
	f.Add(1700000000, 29000, 30500, 28900, 30100, 12)
	f.Add(1700003600, 30100, 30200, 29800, 30000, 9)
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("btcusdt.spot.binance", f); err != nil {
		t.Fatal(err)
	}
	return store, accounts
}

func TestAccountCommandPikerLedgerJSON(t *testing.T) {
	store, _ := accountsSetup(t)
	code, stdout, stderr := runCLI(t, "account", "binance.paper", "--store", store, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out accountJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	// The open positions are the markets whose ledger sizes do not sum to
	// zero, each that sum.
	var ledger map[string]struct {
		FQME string  `toml:"fqme"`
		Size float64 `toml:"size"`
	}
	if _, err := toml.DecodeFile(oracle.Path(t, "raw", "piker", "trades_binance_paper.toml"), &ledger); err != nil {
		t.Fatal(err)
	}
	sums := map[string]decimal.Decimal{}
	for _, tx := range ledger {
		sums[tx.FQME] = sums[tx.FQME].Add(decimal.NewFromFloat(tx.Size))
	}
	open := 0
	for _, v := range sums {
		if !v.IsZero() {
			open++
		}
	}
	if len(out.Accounts) != 1 || out.Accounts[0].Trades != len(ledger) || len(out.Accounts[0].Positions) != open {
		t.Fatalf("%d accounts, want 1 with the ledger's %d trades and %d open positions: %+v", len(out.Accounts), len(ledger), open, out)
	}
	for _, p := range out.Accounts[0].Positions {
		if got, err := decimal.NewFromString(p.Size); err != nil || !got.Equal(sums[p.FQME]) {
			t.Errorf("%s size %s, the ledger's sizes sum to %s", p.FQME, p.Size, sums[p.FQME])
		}
	}
	// piker-notes §7.11: btcusdt.spot ends at 0.55246 @ ≈27202.8636; marked at the last stored close 30000
	for _, p := range out.Accounts[0].Positions {
		if p.FQME != "btcusdt.spot.binance" {
			if p.Mark != nil || p.Unrealized != nil {
				t.Errorf("%s has a mark without stored bars", p.FQME)
			}
			continue
		}
		if p.Size != "0.55246" || !decimal.RequireFromString(p.AvgPrice).Round(4).Equal(decimal.RequireFromString("27202.8636")) {
			t.Errorf("btc position %+v", p)
		}
		if p.Mark == nil || *p.Mark != "30000" || *p.MarkTime != time.Unix(1700007200, 0).UTC().Format(time.RFC3339) {
			t.Fatalf("mark %v at %v", p.Mark, p.MarkTime)
		}
		u := decimal.RequireFromString(*p.Unrealized)
		approx := decimal.RequireFromString("0.55246").Mul(decimal.RequireFromString("30000").Sub(decimal.RequireFromString("27202.8636")))
		if u.Sub(approx).Abs().GreaterThan(decimal.RequireFromString("0.001")) {
			t.Errorf("unrealized %s, want ≈ %s", u, approx)
		}
	}
}

func TestAccountCommandHuman(t *testing.T) {
	store, accounts := accountsSetup(t)
	code, stdout, stderr := runCLI(t, "account", "--store", store)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"binance.paper  (ledger, 147 trades: " + filepath.Join(accounts, "trades_binance_paper.toml"),
		"btcusdt.spot.binance", "0.55246", "27,202.86", "30,000", "1,545.31", "unrealized 1,545.31 at the last stored closes (1 of 4 positions marked)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, "ethusdt.spot.binance") && !strings.HasSuffix(strings.TrimSpace(line), "-           -") {
			t.Errorf("unmarked position line %q", line)
		}
	}
}

// An account file written by the paper package (e.g. by a backtest) is read
// when there is no ledger, and --ledger reads any ledger file.
func TestAccountCommandAccountFileAndLedgerFlag(t *testing.T) {
	store, accounts := accountsSetup(t)
	l, err := paper.LoadLedger(filepath.Join(accounts, "trades_binance_paper.toml"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := paper.AccountFromLedger(l, decimal.Zero, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if err := a.SaveFile(filepath.Join(other, paper.AccountFileName("binance", "paper"))); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "account", "binance.paper", "--accounts", other, "--store", store)
	if code != 0 || !strings.Contains(stdout, "(account file: "+filepath.Join(other, paper.AccountFileName("binance", "paper"))+")") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	// The account file holds the positions the ledger replays to: the same
	// table rows (sizes, prices, cost basis, marks) from either source.
	_, fromLedger, _ := runCLI(t, "account", "binance.paper", "--store", store)
	rows := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "market ") || strings.Contains(l, ".binance ") {
				out = append(out, l)
			}
		}
		return out
	}
	if a, b := rows(stdout), rows(fromLedger); len(a) != 5 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("positions from the account file:\n%s\nfrom the ledger:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	code, stdout, stderr = runCLI(t, "account", "--ledger", filepath.Join(accounts, "trades_binance_paper.toml"), "--store", store, "--json")
	if code != 0 || !strings.Contains(stdout, `"trades": 147`) {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
}

func TestAccountCommandErrors(t *testing.T) {
	store, accounts := accountsSetup(t)
	if code, _, stderr := runCLI(t, "account", "binance", "--store", store); code != 2 || !strings.Contains(stderr, `"binance" is not BROKER.ACCT`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "account", "kraken.paper", "--store", store); code != 1 || !strings.Contains(stderr, "neither trades_kraken_paper.toml nor account.kraken.paper.toml in "+accounts) {
		t.Errorf("exit %d: %s", code, stderr)
	}
	bad := filepath.Join(accounts, "trades_bad_acct.toml")
	if err := os.WriteFile(bad, []byte("[x]\ntid = \"x\"\nsize = 1\nprice = 1\ndt = \"never\"\nfqme = \"a.b\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "account", "bad.acct", "--store", store); code != 1 || !strings.Contains(stderr, bad+": [x] field dt") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	code, stdout, _ := runCLI(t, "account", "--store", filepath.Join(t.TempDir(), "empty", "store"), "--json")
	if code != 0 || strings.TrimSpace(stdout) != "{\n  \"accounts\": []\n}" {
		t.Errorf("empty folder: exit %d %q", code, stdout)
	}
}
