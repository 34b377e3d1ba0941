package paper

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/mkt"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

type fill struct{ size, price, cost string }

func applyAll(t *testing.T, p *Position, fills ...fill) {
	t.Helper()
	for i, f := range fills {
		tx := Transaction{TID: string(rune('a' + i)), Size: dec(f.size), Price: dec(f.price), Time: time.Unix(int64(i), 0)}
		if f.cost != "" {
			tx.Cost = dec(f.cost)
		}
		if err := p.Apply(tx); err != nil {
			t.Fatal(err)
		}
	}
}

func wantDec(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(dec(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func testPos(t *testing.T) *Position {
	m, err := mkt.ParseFQME("btcusdt.spot.binance")
	if err != nil {
		t.Fatal(err)
	}
	return NewPosition(m)
}

// piker-notes §7.11 example 1 (agrees with our rules: no fees).
func TestPositionExampleBuysPartialExit(t *testing.T) {
	p := testPos(t)
	applyAll(t, p, fill{"10", "100", ""})
	wantDec(t, "avg", p.AvgPrice(), "100")
	applyAll(t, p, fill{"10", "110", ""})
	wantDec(t, "avg", p.AvgPrice(), "105")
	applyAll(t, p, fill{"-5", "120", ""})
	wantDec(t, "avg", p.AvgPrice(), "105")
	wantDec(t, "size", p.Size(), "15")
	wantDec(t, "realized", p.Realized(), "75")
	applyAll(t, p, fill{"5", "90", ""})
	wantDec(t, "avg", p.AvgPrice(), "101.25")
	wantDec(t, "size", p.Size(), "20")
	// break-even: avg − realized since open / Q = 101.25 − 75/20
	wantDec(t, "break-even", p.BreakEven(), "97.5")
	wantDec(t, "unrealized@110", p.Unrealized(dec("110")), "175")
	wantDec(t, "cost basis", p.CostBasis(), "2025")
}

// piker-notes §7.11 example 2: piker folds entry and (estimated) exit fees
// into ppu, 100.2 then 105.2. Our average excludes fees (100, 105); piker's
// figure is our break-even with an exit fee equal to the entry fees.
func TestPositionExampleFees(t *testing.T) {
	p := testPos(t)
	applyAll(t, p, fill{"10", "100", "1"})
	wantDec(t, "avg", p.AvgPrice(), "100")
	wantDec(t, "break-even", p.BreakEven(), "100.1")
	wantDec(t, "piker ppu", p.BreakEvenAfterExit(p.OpenFees()), "100.2")
	applyAll(t, p, fill{"10", "110", "1"})
	wantDec(t, "avg", p.AvgPrice(), "105")
	wantDec(t, "break-even", p.BreakEven(), "105.1")
	wantDec(t, "piker ppu", p.BreakEvenAfterExit(p.OpenFees()), "105.2")
	wantDec(t, "fees", p.Fees(), "2")
}

// piker-notes §7.11 example 3 (flip). The last step closes a short to zero:
// piker reports ppu 0, we report no average (zero) as for every flat position.
func TestPositionExampleFlip(t *testing.T) {
	p := testPos(t)
	applyAll(t, p, fill{"10", "100", ""}, fill{"-15", "120", ""})
	wantDec(t, "size", p.Size(), "-5")
	wantDec(t, "avg", p.AvgPrice(), "120")
	wantDec(t, "realized", p.Realized(), "200")
	wantDec(t, "open realized", p.OpenRealized(), "0")
	if c := p.Clears(); len(c) != 1 || !c[0].CumSize.Equal(dec("-5")) || !c[0].Size.Equal(dec("-15")) {
		t.Errorf("clears after flip = %+v", c)
	}
	applyAll(t, p, fill{"-5", "110", ""})
	wantDec(t, "avg", p.AvgPrice(), "115")
	wantDec(t, "size", p.Size(), "-10")
	wantDec(t, "cost basis", p.CostBasis(), "-1150")
	wantDec(t, "unrealized@100", p.Unrealized(dec("100")), "150")
	applyAll(t, p, fill{"10", "100", ""})
	wantDec(t, "size", p.Size(), "0")
	wantDec(t, "avg", p.AvgPrice(), "0")
	wantDec(t, "realized", p.Realized(), "350")
	if !p.IsFlat() || len(p.Clears()) != 0 {
		t.Errorf("flat position keeps clears %v", p.Clears())
	}
}

// piker-notes §7.11 example 4: piker keeps ppu 100 after a long closes to zero;
// our rule says flat has no average, so only the restart is checked as given.
func TestPositionExampleCloseAndReopen(t *testing.T) {
	p := testPos(t)
	applyAll(t, p, fill{"10", "100", ""}, fill{"-10", "120", ""})
	wantDec(t, "avg when flat", p.AvgPrice(), "0")
	wantDec(t, "break-even when flat", p.BreakEven(), "0")
	applyAll(t, p, fill{"2", "50", ""})
	wantDec(t, "avg", p.AvgPrice(), "50")
	wantDec(t, "break-even", p.BreakEven(), "50")
	wantDec(t, "lifetime realized", p.Realized(), "200")
}

// piker-notes §7.11 example 5 (ledger_to_dfs): total PnL of the round trip is
// 2400 − 2100 − 3 fees = 297.
func TestPositionExampleRoundTripPnL(t *testing.T) {
	p := testPos(t)
	applyAll(t, p, fill{"10", "100", "1"}, fill{"10", "110", "1"})
	wantDec(t, "break-even", p.BreakEven(), "105.1")
	applyAll(t, p, fill{"-20", "120", "1"})
	wantDec(t, "realized − fees", p.Realized().Sub(p.Fees()), "297")
}

// A maker rebate is a negative fee: it lowers the break-even of a long by
// the rebate per unit and adds to the round trip's PnL.
func TestPositionMakerRebate(t *testing.T) {
	p := testPos(t)
	applyAll(t, p, fill{"10", "100", "-0.1"})
	wantDec(t, "fees", p.Fees(), "-0.1")
	wantDec(t, "break-even", p.BreakEven(), "99.99")
	applyAll(t, p, fill{"-10", "101", "-0.101"})
	wantDec(t, "realized − fees", p.Realized().Sub(p.Fees()), "10.201")
}

// A fill crossing zero splits its fee pro rata: 3 of 4 units close, 1 opens.
func TestPositionFlipFeeSplit(t *testing.T) {
	p := testPos(t)
	applyAll(t, p, fill{"3", "10", "0"}, fill{"-4", "12", "2"})
	wantDec(t, "open fees", p.OpenFees(), "0.5")
	wantDec(t, "fees", p.Fees(), "2")
	wantDec(t, "realized", p.Realized(), "6")
	// short 1 @ 12 with 0.5 fee: break-even 11.5
	wantDec(t, "break-even", p.BreakEven(), "11.5")
	applyAll(t, p, fill{"-2", "9", "0.25"})
	wantDec(t, "avg", p.AvgPrice(), "10")
	wantDec(t, "break-even", p.BreakEven(), "9.75")
}

func TestPositionRejects(t *testing.T) {
	p := testPos(t)
	for _, c := range []struct {
		tx   Transaction
		want string
	}{
		{Transaction{TID: "z", Price: dec("1")}, "transaction z: size is zero"},
		{Transaction{TID: "e", Size: dec("1"), Price: dec("1"), Etype: "transfer"}, `etype "transfer"`},
		{Transaction{TID: "m", FQME: "ethusdt.spot.binance", Size: dec("1"), Price: dec("1")}, "is for market ethusdt.spot.binance"},
	} {
		err := p.Apply(c.tx)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Apply(%+v) = %v, want %q", c.tx, err, c.want)
		}
	}
	if !p.IsFlat() || !p.Fees().IsZero() {
		t.Error("rejected transactions changed the position")
	}
}

// Over random fill sequences, in several markets sharing one cash balance:
// cash + Σ Q×mark = initial + realized − fees + unrealized, to the last digit.
func TestPositionAccountInvariant(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	fqmes := []string{"btcusdt.spot.binance", "ethusdt.spot.binance", "mnq.cme.20230616.ib"}
	for run := 0; run < 200; run++ {
		initial := decimal.New(rng.Int63n(1e6), 0)
		cash := initial
		pos := map[string]*Position{}
		for _, f := range fqmes {
			m, _ := mkt.ParseFQME(f)
			pos[f] = NewPosition(m)
		}
		n := 1 + rng.Intn(40)
		for i := 0; i < n; i++ {
			f := fqmes[rng.Intn(len(fqmes))]
			size := decimal.New(rng.Int63n(2001)-1000, -int32(rng.Intn(4)))
			if size.IsZero() {
				continue
			}
			price := decimal.New(1+rng.Int63n(1e6), -int32(rng.Intn(5)))
			cost := decimal.New(rng.Int63n(500), -int32(rng.Intn(4)))
			if err := pos[f].Apply(Transaction{TID: "t", FQME: f, Size: size, Price: price, Cost: cost}); err != nil {
				t.Fatal(err)
			}
			cash = cash.Sub(size.Mul(price)).Sub(cost)
			lhs, rhs := cash, initial
			for _, p := range pos {
				mark := decimal.New(1+rng.Int63n(1e6), -int32(rng.Intn(5)))
				lhs = lhs.Add(p.Size().Mul(mark))
				rhs = rhs.Add(p.Realized()).Sub(p.Fees()).Add(p.Unrealized(mark))
			}
			if !lhs.Equal(rhs) {
				t.Fatalf("run %d step %d: cash + ΣQ×mark = %s, initial + realized − fees + unrealized = %s", run, i, lhs, rhs)
			}
			for _, p := range pos {
				if p.IsFlat() != p.CostBasis().IsZero() || p.IsFlat() != (len(p.Clears()) == 0) {
					t.Fatalf("run %d step %d: flat %v basis %s clears %d", run, i, p.IsFlat(), p.CostBasis(), len(p.Clears()))
				}
			}
		}
	}
}

func ExamplePosition() {
	m, _ := mkt.ParseFQME("btcusdt.spot.binance")
	p := NewPosition(m)
	t0 := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	for i, f := range []struct{ size, price, fee string }{{"0.5", "40000", "20"}, {"0.5", "42000", "21"}, {"-0.25", "45000", "11.25"}} {
		_ = p.Apply(Transaction{TID: fmt.Sprint(i), FQME: m.FQME(), Time: t0.Add(time.Duration(i) * time.Hour),
			Size: dec(f.size), Price: dec(f.price), Cost: dec(f.fee)})
	}
	fmt.Println("size", p.Size(), "avg", p.AvgPrice(), "break-even", p.BreakEven().Round(2))
	fmt.Println("realized", p.Realized(), "fees", p.Fees(), "unrealized at 44000", p.Unrealized(dec("44000")))
	// Output:
	// size 0.75 avg 41000 break-even 39736.33
	// realized 1000 fees 52.25 unrealized at 44000 2250
}
