package examples_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"workbench/fsp"
	"workbench/internal/oracle"
)

// ledgerFill is one entry of the trades ledger the backtest example writes.
type ledgerFill struct {
	FQME  string  `toml:"fqme"`
	TID   string  `toml:"tid"`
	Size  float64 `toml:"size"`
	Price float64 `toml:"price"`
	Cost  float64 `toml:"cost"`
	DT    string  `toml:"dt"`
}

// The backtest example's report is checked against a replay done here from
// first principles: the SMA(10)/SMA(30) crossover recomputed with fsp.SMA
// says at which bars the strategy must trade (at the next bar's open, half
// the equity, 10 bps taker fee); the ledger's fills must be exactly those;
// cash, equity, the equity curve, the drawdown, round trips and wins are
// then recomputed from the fills and the closes and compared with what the
// example printed and wrote to report.json and equity.csv.
func TestBacktestExample(t *testing.T) {
	storeDir := testStore(t)
	dir := filepath.Join(t.TempDir(), "report")
	out := runExample(t, "backtest/main.go", storeDir, markets[0], "1h", dir)
	if !strings.Contains(out, "report in "+dir) {
		t.Fatalf("output does not name the report folder %s:\n%s", dir, out)
	}
	bars := storedHours(t, storeDir)
	n := bars.Len()

	// The fills the strategy must make: a change of the long state (or the
	// first bar with both averages, when long) at bar i trades at bar i+1's open.
	type want struct {
		bar              int
		buy              bool
		sizeFromEquityAt int
	}
	fast, slow := fsp.SMA(bars.Close, 10), fsp.SMA(bars.Close, 30)
	var wants []want
	primed, long := false, false
	for i := 29; i+1 < n; i++ {
		l := fast[i] > slow[i]
		if primed && l == long {
			continue
		}
		if primed || l {
			wants = append(wants, want{bar: i + 1, buy: l, sizeFromEquityAt: i})
		}
		primed, long = true, l
	}

	var ledger map[string]ledgerFill
	if _, err := toml.DecodeFile(filepath.Join(dir, "trades_paper_backtest.toml"), &ledger); err != nil {
		t.Fatal(err)
	}
	fills := make([]ledgerFill, 0, len(ledger))
	for _, f := range ledger {
		fills = append(fills, f)
	}
	sort.Slice(fills, func(i, j int) bool { return fills[i].DT < fills[j].DT })
	if len(fills) != len(wants) {
		t.Fatalf("%d fills in the ledger, the crossover signals %d", len(fills), len(wants))
	}

	// Replay: cash and position after each fill, equity at each bar's close.
	initial := decimal.NewFromInt(100000)
	cash, pos := initial, decimal.Zero
	fee := decimal.New(1, -3) // 10 bps
	sizeTick := decimal.New(1, -3)
	equity := make([]float64, n)
	k := 0
	var feesTotal decimal.Decimal
	var entry decimal.Decimal // cost of the open round trip, fees included
	trips, wins := 0, 0
	for i := 0; i < n; i++ {
		for k < len(wants) && wants[k].bar == i {
			w, f := wants[k], fills[k]
			when := time.Unix(bars.Time[i], 0).UTC().Format("2006-01-02T15:04:05+00:00")
			if f.DT != when || f.FQME != markets[0] {
				t.Fatalf("fill %d (%s) at %s on %s, want bar %d at %s", k, f.TID, f.DT, f.FQME, i, when)
			}
			price, size, cost := decimal.NewFromFloat(f.Price), decimal.NewFromFloat(f.Size), decimal.NewFromFloat(f.Cost)
			// The open rounded to the 0.01 tick against the order.
			wantPrice := decimal.NewFromFloat(bars.Open[i]).RoundFloor(2)
			if w.buy {
				wantPrice = decimal.NewFromFloat(bars.Open[i]).RoundCeil(2)
			}
			if !price.Equal(wantPrice) {
				t.Errorf("fill %d at %s, want bar %d's open %v rounded against the order: %s", k, price, i, bars.Open[i], wantPrice)
			}
			if w.buy != size.IsPositive() {
				t.Errorf("fill %d size %s, want a buy: %v", k, size, w.buy)
			}
			if w.buy {
				// Half the equity at the signal bar's close, in lots of 0.001.
				units := equity[w.sizeFromEquityAt] * 0.5 / bars.Close[w.sizeFromEquityAt]
				if d := math.Abs(f.Size - units); d > sizeTick.InexactFloat64() {
					t.Errorf("fill %d buys %v, want half the equity %v / close %v = %v", k, f.Size, equity[w.sizeFromEquityAt], bars.Close[w.sizeFromEquityAt], units)
				}
			} else if !size.Neg().Equal(pos) {
				t.Errorf("fill %d sells %s, want the whole position %s", k, size.Neg(), pos)
			}
			if wantCost := size.Abs().Mul(price).Mul(fee); !cost.Equal(wantCost) {
				t.Errorf("fill %d fee %s, want 10 bps of %s × %s = %s", k, cost, size.Abs(), price, wantCost)
			}
			notional := size.Mul(price)
			cash = cash.Sub(notional).Sub(cost)
			feesTotal = feesTotal.Add(cost)
			if w.buy {
				entry = notional.Add(cost)
			} else {
				trips++
				if pnl := notional.Neg().Sub(cost).Sub(entry); pnl.IsPositive() {
					wins++
				}
			}
			pos = pos.Add(size)
			k++
		}
		equity[i] = cash.InexactFloat64() + pos.InexactFloat64()*bars.Close[i]
	}
	finalEquity := cash.Add(pos.Mul(decimal.NewFromFloat(bars.Close[n-1])))

	// report.json
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Bars        int    `json:"bars"`
		InitialCash string `json:"initial_cash"`
		FinalCash   string `json:"final_cash"`
		FinalEquity string `json:"final_equity"`
		Stats       struct {
			TotalReturn float64 `json:"total_return"`
			MaxDrawdown float64 `json:"max_drawdown"`
			Trades      int     `json:"trades"`
			Wins        int     `json:"wins"`
			Fees        string  `json:"fees"`
			Fills       int     `json:"fills"`
		} `json:"stats"`
		Positions []struct {
			FQME string `json:"fqme"`
			Size string `json:"size"`
		} `json:"positions"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	decEq := func(name, got string, want decimal.Decimal) {
		t.Helper()
		g, err := decimal.NewFromString(got)
		if err != nil || !g.Equal(want) {
			t.Errorf("report.json %s = %q, replay of the fills gives %s", name, got, want)
		}
	}
	if rep.Bars != n {
		t.Errorf("report.json bars %d, store has %d", rep.Bars, n)
	}
	decEq("initial_cash", rep.InitialCash, initial)
	decEq("final_cash", rep.FinalCash, cash)
	decEq("final_equity", rep.FinalEquity, finalEquity)
	decEq("stats.fees", rep.Stats.Fees, feesTotal)
	if rep.Stats.Fills != len(fills) || rep.Stats.Trades != trips || rep.Stats.Wins != wins {
		t.Errorf("report.json fills/trades/wins %d/%d/%d, replay %d/%d/%d", rep.Stats.Fills, rep.Stats.Trades, rep.Stats.Wins, len(fills), trips, wins)
	}
	if len(rep.Positions) != 1 || rep.Positions[0].FQME != markets[0] {
		t.Fatalf("report.json positions %+v", rep.Positions)
	}
	decEq("positions[0].size", rep.Positions[0].Size, pos)
	fe := finalEquity.InexactFloat64()
	if got, want := rep.Stats.TotalReturn, fe/100000-1; math.Abs(got-want) > 1e-12 {
		t.Errorf("total return %v, replay %v", got, want)
	}
	peak, mdd := 100000.0, 0.0
	for _, v := range equity {
		peak = math.Max(peak, v)
		mdd = math.Max(mdd, (peak-v)/peak)
	}
	if math.Abs(rep.Stats.MaxDrawdown-mdd) > 1e-9 {
		t.Errorf("max drawdown %v, replay %v", rep.Stats.MaxDrawdown, mdd)
	}

	// equity.csv: one row per bar, stamped at the bar's close.
	rows := oracle.CSVRows(t, filepath.Join(dir, "equity.csv"))
	if len(rows) != n+1 || strings.Join(rows[0], ",") != "time,equity" {
		t.Fatalf("equity.csv has %d rows (header %v), want a header and %d bars", len(rows), rows[0], n)
	}
	for i, row := range rows[1:] {
		when := time.Unix(bars.Time[i]+3600, 0).UTC().Format(time.RFC3339)
		v, err := strconv.ParseFloat(row[1], 64)
		if row[0] != when || err != nil || math.Abs(v-equity[i]) > 1e-6 {
			t.Fatalf("equity.csv row %d = %v, replay %s,%v", i+2, row, when, equity[i])
		}
	}

	// The printed summary (report.txt is the same text).
	txt, err := os.ReadFile(filepath.Join(dir, "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, string(txt)) {
		t.Errorf("report.txt is not what the example printed:\n%s\nprinted:\n%s", txt, out)
	}
	for _, line := range []string{
		fmt.Sprintf("equity          100000.00 -> %s", finalEquity.StringFixed(2)),
		fmt.Sprintf("(%d bars)", n),
		fmt.Sprintf("round trips     %d, %d won", trips, wins),
		fmt.Sprintf("fills / fees    %d / %s", len(fills), feesTotal.StringFixed(2)),
		fmt.Sprintf("open position   %s %s at ", markets[0], pos),
	} {
		if !strings.Contains(out, line) {
			t.Errorf("printed report lacks %q:\n%s", line, out)
		}
	}
	if m := regexp.MustCompile(`total return +(-?[0-9.]+)%`).FindStringSubmatch(out); m == nil || m[1] != strconv.FormatFloat(100*(fe/100000-1), 'f', 2, 64) {
		t.Errorf("printed total return %v, replay %.2f%%", m, 100*(fe/100000-1))
	}
}
