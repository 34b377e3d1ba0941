package paper

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/internal/oracle"
)

func pikerLedger(t *testing.T) string {
	return oracle.Path(t, "raw", "piker", "trades_binance_paper.toml")
}

// piker's own paper ledger (147 trades): re-saving it unchanged reproduces
// the file byte for byte, and replaying it gives the positions of
// piker-notes §7.11 (cost 0, where our average equals piker's ppu).
func TestLedgerPiker(t *testing.T) {
	path := pikerLedger(t)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := LoadLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 147 || l.Broker != "binance" || l.Account != "paper" {
		t.Fatalf("loaded %d trades, broker %q account %q", l.Len(), l.Broker, l.Account)
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), orig) {
		a, b := buf.String(), string(orig)
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Fatalf("re-save differs at byte %d: got %q, want %q", i, a[i:min(len(a), i+80)], b[i:min(len(b), i+80)])
	}
	txs := l.Transactions()
	for i := 1; i < len(txs); i++ {
		if txs[i].Time.Before(txs[i-1].Time) {
			t.Fatalf("transaction %d out of time order", i)
		}
	}
	pos, err := l.Positions(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		n         int
		size, avg string
	}{
		"btcusdt.spot.binance":       {89, "0.55246", "27202.8636"},
		"ethusdt.spot.binance":       {12, "2.9145", "2050.1476"},
		"dogeusdt.spot.binance":      {18, "786537", "0.080232"},
		"btcusdt.usdtm.perp.binance": {12, "0.165", "30374.8167"},
		"xrpusdt.spot.binance":       {16, "0", "0"},
	}
	if len(pos) != len(want) {
		t.Errorf("%d positions, want %d", len(pos), len(want))
	}
	count := map[string]int{}
	for _, tx := range txs {
		count[tx.FQME]++
	}
	for fq, w := range want {
		p := pos[fq]
		if p == nil {
			t.Errorf("no position %s", fq)
			continue
		}
		if count[fq] != w.n {
			t.Errorf("%s: %d trades, want %d", fq, count[fq], w.n)
		}
		if !p.Size().Equal(dec(w.size)) {
			t.Errorf("%s: size %s, want %s", fq, p.Size(), w.size)
		}
		places := int32(len(w.avg) - strings.IndexByte(w.avg, '.') - 1)
		if got := p.AvgPrice().Round(places); !got.Equal(dec(w.avg)) {
			t.Errorf("%s: avg %s, want ≈ %s", fq, p.AvgPrice(), w.avg)
		}
	}
}

// A ledger we write reads back to the same transactions and re-saves to the
// same bytes, through Save's atomic write; numbers a float64 cannot hold stay exact.
func TestLedgerRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, LedgerFileName("paper", "bt"))
	l := NewLedger(path, "paper", "bt")
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	txs := []Transaction{
		{TID: "b", FQME: "ethusdt.spot.binance", Time: t0.Add(time.Minute), Size: dec("-0.5"), Price: dec("2250.25"), Cost: dec("0.225025")},
		{TID: "a", FQME: "btcusdt.spot.binance", Time: t0, Size: dec("0.04"), Price: dec("28374.85"), Cost: dec("0")},
		{TID: "weird id", FQME: "mnq.cme.20230616.ib", Time: t0.Add(1500 * time.Nanosecond), Size: dec("3"), Price: dec("13000.25"),
			Cost: dec("0.123456789012345678901"), Expiry: "20230616"},
		{TID: "c", FQME: "btcusdt.spot.binance", Time: t0.Add(time.Hour).In(time.FixedZone("", -5*3600)), Size: dec("-0.00001"), Price: dec("1e17"), Cost: dec("1.5")},
	}
	for _, tx := range txs {
		if err := l.Add(tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Add(txs[0]); err != nil {
		t.Errorf("re-adding the same transaction: %v", err)
	}
	changed := txs[0]
	changed.Size = dec("-1")
	if err := l.Add(changed); err == nil {
		t.Error("a tid with other values was accepted")
	}
	if err := l.Save(); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	back, err := LoadLedger(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, first)
	}
	got := back.Transactions()
	order := []string{"a", "weird id", "b", "c"}
	for i, tx := range got {
		if tx.TID != order[i] {
			t.Fatalf("order %d: %s, want %s", i, tx.TID, order[i])
		}
		var orig Transaction
		for _, o := range txs {
			if o.TID == tx.TID {
				orig = o
			}
		}
		if !sameTx(tx, orig) {
			t.Errorf("round trip of %s: got %+v, want %+v", tx.TID, tx, orig)
		}
	}
	if err := back.Save(); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if !bytes.Equal(first, second) {
		t.Errorf("re-save differs:\n%s\n---\n%s", first, second)
	}
	if !strings.Contains(string(first), `cost = "0.123456789012345678901"`) || !strings.Contains(string(first), `["weird id"]`) {
		t.Errorf("file:\n%s", first)
	}
	if !strings.Contains(string(first), `dt = "2024-01-02T03:04:05.000001500+00:00"`) || !strings.Contains(string(first), "size = -1e-05") {
		t.Errorf("file:\n%s", first)
	}
}

func TestLedgerMissingFileIsEmpty(t *testing.T) {
	l, err := LoadLedger(filepath.Join(t.TempDir(), "trades_kraken_paper.toml"))
	if err != nil || l.Len() != 0 || l.Broker != "kraken" {
		t.Fatalf("%+v %v", l, err)
	}
}

func TestLedgerErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{"[x]\ntid = \"x\"\nsize = 1\nprice = 2\ncost = 0\ndt = \"yesterday\"\nfqme = \"a.b\"\n", `[x] field dt: "yesterday" is not an ISO-8601 time`},
		{"[x]\ntid = \"x\"\nprice = 2\ndt = \"2023-03-29T21:14:52+00:00\"\nfqme = \"a.b\"\n", "[x] field size: missing"},
		{"[x]\ntid = \"x\"\nsize = 1\nprice = 2\ndt = \"2023-03-29T21:14:52+00:00\"\nfqme = \"a.b\"\nnote = \"hi\"\n", "[x] field note: unknown key"},
		{"[x]\ntid = \"y\"\nsize = 1\nprice = 2\ndt = \"2023-03-29T21:14:52+00:00\"\nfqme = \"a.b\"\n", `[x] field tid: tid "y" differs`},
		{"[x]\ntid = \"x\"\nsize = \"lots\"\nprice = 2\ndt = \"2023-03-29T21:14:52+00:00\"\nfqme = \"a.b\"\n", `[x] field size: "lots" is not a number`},
		{"[x\n", "trades_a_b.toml: toml:"},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "trades_a_b.toml")
		if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadLedger(path)
		var le *LedgerError
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), path) || !errors.As(err, &le) {
			t.Errorf("%q: error %v, want it to start with the file and contain %q", c.body, err, c.want)
		}
	}
}

// A legacy fqsn key and an integer tid are kept as written.
func TestLedgerLegacyKeys(t *testing.T) {
	body := "[7]\ntid = 7\nfqsn = \"xbtusd.spot.kraken\"\nsize = 1.0\nprice = 30000\ncost = 0.5\ndt = \"2022-01-01T00:00:00+00:00\"\n"
	path := filepath.Join(t.TempDir(), "trades_kraken_paper.toml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := LoadLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	tx := l.Transactions()[0]
	if tx.FQME != "xbtusd.spot.kraken" || tx.TID != "7" || !tx.Cost.Equal(decimal.RequireFromString("0.5")) {
		t.Errorf("%+v", tx)
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil || buf.String() != body {
		t.Errorf("re-save:\n%s", buf.String())
	}
}

// Any input either fails with an error or loads into a ledger whose saved
// form loads back to the same transactions and saves to the same bytes.
func FuzzLedgerRead(f *testing.F) {
	f.Add([]byte("[a]\ntid = \"a\"\nsize = 0.04\nprice = 28374.85\ncost = 0\ndt = \"2023-03-29T21:14:52.646556+00:00\"\nbs_mktid = \"btcusdt.spot.binance\"\nfqme = \"btcusdt.spot.binance\"\n"))
	f.Add([]byte("[7]\ntid = 7\nfqsn = \"x.y\"\nsize = -1e-05\nprice = \"1.000000000000000000001\"\ndt = 2023-01-01T00:00:00Z\n"))
	f.Add([]byte("[\"a b\"]\ntid = \"a b\"\nsize = 1\nprice = 1\ndt = \"2023-01-01T00:00:00.5-05:00\"\nfqme = \"q\\u0001.r\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := NewLedger("fuzz.toml", "", "")
		if l.read(data) != nil {
			return
		}
		var first bytes.Buffer
		if _, err := l.WriteTo(&first); err != nil {
			t.Fatal(err)
		}
		back := NewLedger("fuzz.toml", "", "")
		if err := back.read(first.Bytes()); err != nil {
			t.Fatalf("saved ledger does not load: %v\n%s", err, first.String())
		}
		a, b := l.Transactions(), back.Transactions()
		if len(a) != len(b) {
			t.Fatalf("%d transactions, %d after a round trip", len(a), len(b))
		}
		for i := range a {
			if !sameTx(a[i], b[i]) {
				t.Fatalf("transaction %d: %+v became %+v", i, a[i], b[i])
			}
		}
		var second bytes.Buffer
		if _, err := back.WriteTo(&second); err != nil || !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("re-save differs:\n%s\n---\n%s", first.String(), second.String())
		}
	})
}

// piker-notes §7 test case 7 (iter_by_dt): dt, datetime and time keys sort together.
func TestLedgerTimeKeys(t *testing.T) {
	body := "[a]\nsize = 1\nprice = 1\ndt = \"2023-01-02\"\nfqme = \"x.y\"\n\n" +
		"[b]\nsize = 1\nprice = 1\ntime = 0\nfqme = \"x.y\"\n\n" +
		"[c]\nsize = 1\nprice = 1\ndatetime = \"2022-01-01\"\nfqme = \"x.y\"\n\n" +
		"[d]\nsize = 1\nprice = 1\ntime = 1\ndatetime = \"2021-01-01T00:00:00\"\nfqme = \"x.y\"\n"
	path := filepath.Join(t.TempDir(), "trades_x_y.toml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := LoadLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tx := range l.Transactions() {
		got = append(got, tx.TID)
	}
	if strings.Join(got, ",") != "b,d,c,a" {
		t.Errorf("order %v, want b (1970), d (2021, datetime over time), c (2022), a (2023)", got)
	}
	if _, err := l.WriteTo(&bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
}
