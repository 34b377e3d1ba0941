package paper

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/mkt"
)

func TestAccountCashAndEquity(t *testing.T) {
	a := NewAccount("paper", "test", dec("10000"))
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i, f := range []struct{ fq, size, price, cost string }{
		{"btcusdt.spot.binance", "0.1", "60000", "6"},
		{"ethusdt.spot.binance", "-2", "3000", "1.2"},
		{"btcusdt.spot.binance", "-0.05", "62000", "3.1"},
	} {
		if err := a.Apply(Transaction{TID: f.fq + f.size, FQME: f.fq, Time: t0.Add(time.Duration(i) * time.Minute),
			Size: dec(f.size), Price: dec(f.price), Cost: dec(f.cost)}); err != nil {
			t.Fatal(err)
		}
	}
	// 10000 − 6000 − 6 + 6000 − 1.2 + 3100 − 3.1
	wantDec(t, "cash", a.Cash, "13089.7")
	wantDec(t, "realized", a.Realized(), "100")
	wantDec(t, "fees", a.Fees(), "10.3")
	marks := map[string]decimal.Decimal{"btcusdt.spot.binance": dec("61000"), "ethusdt.spot.binance": dec("2900")}
	eq, err := a.Equity(marks)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "equity", eq, "10339.7")
	un, _ := a.Unrealized(marks)
	wantDec(t, "unrealized", un, "250") // 0.05×1000 + (−2)×(−100)
	wantDec(t, "initial + realized − fees + unrealized", a.Initial.Add(a.Realized()).Sub(a.Fees()).Add(un), eq.String())
	if _, err := a.Equity(map[string]decimal.Decimal{}); err == nil || !strings.Contains(err.Error(), "no mark for open position btcusdt.spot.binance") {
		t.Errorf("missing mark: %v", err)
	}
	if err := a.Apply(Transaction{TID: "bad", FQME: "nobroker", Size: dec("1"), Price: dec("1")}); err == nil {
		t.Error("bad fqme accepted")
	}
	wantDec(t, "cash after rejected", a.Cash, "13089.7")
}

// The account file holds open positions with their clears since they last
// opened (a flip keeps its fill with the residual); it reloads to the same
// positions and re-saves byte for byte; flat positions leave no table.
func TestAccountFileRoundTrip(t *testing.T) {
	a := NewAccount("paper", "acct", dec("0"))
	m, _ := mkt.ParseFQME("btcusdt.spot.binance")
	m.PriceTick, m.SizeTick, m.Dst.AType = dec("0.01"), dec("0.00001"), mkt.CryptoCurrency
	a.AddMarket(m)
	t0 := time.Date(2023, 3, 29, 21, 14, 52, 646556000, time.UTC)
	fills := []struct{ fq, size, price, cost string }{
		{"btcusdt.spot.binance", "0.04", "28374.85", "0"},
		{"btcusdt.spot.binance", "-0.04", "28400", "0"}, // flat: earlier clears drop
		{"btcusdt.spot.binance", "0.02", "28000", "0.5"},
		{"btcusdt.spot.binance", "0.01", "28300", "0.25"},
		{"mnq.cme.20230616.ib", "2", "13000.25", "1"},
		{"mnq.cme.20230616.ib", "-5", "13010", "3"}, // flip to −3
		{"xrpusdt.spot.binance", "100", "0.5", "0"},
		{"xrpusdt.spot.binance", "-100", "0.6", "0"},
	}
	for i, f := range fills {
		if err := a.Apply(Transaction{TID: string(rune('a' + i)), FQME: f.fq, Time: t0.Add(time.Duration(i) * time.Hour),
			Size: dec(f.size), Price: dec(f.price), Cost: dec(f.cost)}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), AccountFileName("paper", "acct"))
	if err := a.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	want := `["btcusdt.spot.binance"]
bs_mktid = "btcusdt.spot.binance"
asset_type = "crypto_currency"
price_tick = 0.01
size_tick = 1e-05
clears = [
{ ppu = 28000, cumsize = 0.02, price = 28000, size = 0.02, cost = 0.5, dt = "2023-03-29T23:14:52.646556+00:00", tid = "c" },
{ ppu = 28100, cumsize = 0.03, price = 28300, size = 0.01, cost = 0.25, dt = "2023-03-30T00:14:52.646556+00:00", tid = "d" },
]

["mnq.cme.20230616.ib"]
bs_mktid = "mnq.cme.20230616.ib"
asset_type = "unknown"
price_tick = 0
size_tick = 0
expiry = "20230616"
clears = [
{ ppu = 13010, cumsize = -3, price = 13010, size = -5, cost = 3, dt = "2023-03-30T02:14:52.646556+00:00", tid = "f" },
]
`
	if string(first) != want {
		t.Fatalf("account file:\n%s\nwant:\n%s", first, want)
	}
	b, err := LoadAccountFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.Broker != "paper" || b.Name != "acct" || len(b.Positions()) != 2 {
		t.Fatalf("loaded %+v", b)
	}
	for _, p := range a.Positions() {
		q := b.Position(p.FQME())
		if !q.Size().Equal(p.Size()) || !q.AvgPrice().Equal(p.AvgPrice()) || !q.BreakEven().Equal(p.BreakEven()) || !q.OpenFees().Equal(p.OpenFees()) {
			t.Errorf("%s: reloaded size %s avg %s be %s, want %s %s %s", p.FQME(), q.Size(), q.AvgPrice(), q.BreakEven(), p.Size(), p.AvgPrice(), p.BreakEven())
		}
	}
	var again bytes.Buffer
	if _, err := b.WriteTo(&again); err != nil || again.String() != want {
		t.Errorf("re-save:\n%s", again.String())
	}
	// the flip's open fee share: 3 of 5 units of a 3 fee
	wantDec(t, "mnq open fees", b.Position("mnq.cme.20230616.ib").OpenFees(), "1.8")
}

func TestAccountFileErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{"[\"a.b\"]\nclears = [\n{ cumsize = 2, price = 1, size = 1, dt = \"2023-01-01T00:00:00+00:00\", tid = \"x\" },\n]\n",
			`[a.b] field clears[0].cumsize: 2, but the clears sum to 1`},
		{"[\"a.b\"]\nclears = [\n{ cumsize = 1, price = 1, size = 1, dt = \"soon\", tid = \"x\" },\n]\n", `field clears[0].dt: "soon"`},
		{"[\"a.b\"]\nprice_tick = \"x\"\nclears = []\n", "[a.b] field price_tick"},
		{"[\"a.b\"]\nclears = []\n", "position is flat"},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "account.paper.x.toml")
		if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadAccountFile(path)
		if err == nil || !strings.HasPrefix(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

func TestAccountFromPikerLedger(t *testing.T) {
	l, err := LoadLedger(pikerLedger(t))
	if err != nil {
		t.Fatal(err)
	}
	a, err := AccountFromLedger(l, dec("100000"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(a.Positions()); n != 4 {
		t.Errorf("%d open positions, want 4 (xrp is flat)", n)
	}
	path := filepath.Join(t.TempDir(), AccountFileName(a.Broker, a.Name))
	if err := a.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	b, err := LoadAccountFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range a.Positions() {
		if q := b.Position(p.FQME()); q == nil || !q.Size().Equal(p.Size()) || !q.AvgPrice().Equal(p.AvgPrice()) {
			t.Errorf("%s did not survive the account file", p.FQME())
		}
	}
}

// Any account file either fails with an error or loads into positions that
// save and load back to the same file.
func FuzzAccountRead(f *testing.F) {
	f.Add([]byte("[\"mnq.cme.20230616.ib\"]\nbs_mktid = \"mnq.cme.20230616.ib\"\nasset_type = \"future\"\nprice_tick = 0.25\nsize_tick = 1\nexpiry = \"20230616\"\nclears = [\n{ ppu = 13010, cumsize = -3, price = 13010, size = -5, cost = 3, dt = \"2023-03-30T02:14:52.646556+00:00\", tid = \"f\" },\n]\n"))
	f.Add([]byte("[\"btcusdt.spot.binance\"]\nbsuid = \"x\"\nprice_tick_size = 0.01\nlot_tick_size = 1e-05\nclears = [\n{ cumsize = 0.1, price = 1, size = 0.1, dt = \"2023-01-01T00:00:00+00:00\", tid = \"a\" },\n{ cumsize = 0.05, price = 2, size = -0.05, cost = 0.5, dt = \"2023-01-02T00:00:00+00:00\", tid = \"b\" },\n]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := readAccount(NewAccount("p", "a", decimal.Zero), "fuzz.toml", data)
		if err != nil {
			return
		}
		var first, second bytes.Buffer
		if _, err := a.WriteTo(&first); err != nil {
			t.Fatal(err)
		}
		b, err := readAccount(NewAccount("p", "a", decimal.Zero), "fuzz.toml", first.Bytes())
		if err != nil {
			t.Fatalf("saved account does not load: %v\n%s", err, first.String())
		}
		if _, err := b.WriteTo(&second); err != nil || !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("re-save differs:\n%s\n---\n%s", first.String(), second.String())
		}
	})
}

// The account invariant on piker's real ledger, marked at each market's last
// traded price: cash + ΣQ×mark = initial + realized − fees + unrealized.
func TestAccountInvariantPikerLedger(t *testing.T) {
	l, err := LoadLedger(pikerLedger(t))
	if err != nil {
		t.Fatal(err)
	}
	a, err := AccountFromLedger(l, dec("250000"), nil)
	if err != nil {
		t.Fatal(err)
	}
	marks := map[string]decimal.Decimal{}
	cash := dec("250000")
	for _, tx := range l.Transactions() {
		marks[tx.FQME] = tx.Price
		cash = cash.Sub(tx.Size.Mul(tx.Price)).Sub(tx.Cost)
	}
	wantDec(t, "cash", a.Cash, cash.String())
	eq, err := a.Equity(marks)
	if err != nil {
		t.Fatal(err)
	}
	un, err := a.Unrealized(marks)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "equity", eq, a.Initial.Add(a.Realized()).Sub(a.Fees()).Add(un).String())
}
