package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/feeds/venuefake"
	"workbench/frames"
	"workbench/fsp"
	"workbench/internal/oracle"
)

// backtestStore imports the oracle's hourly BTC bars into a fresh store.
func backtestStore(t *testing.T) string {
	t.Helper()
	f, err := frames.ReadCSVFile(oracle.Path(t, "ohlcv", "binance_BTCUSDT_1h_2024-08.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f.Period = 3600
	dir := t.TempDir()
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("btcusdt.spot.binance", f); err != nil {
		t.Fatal(err)
	}
	return dir
}

// backtestFill is a fill of the --json report.
type backtestFill struct {
	Time             string
	Side             string
	Price, Size, Fee string
}

// ninetyFivePercent is the built-in sma-cross's entry: 95% of the equity
// at the signal bar's close.
func ninetyFivePercent(equity, close float64) float64 { return 0.95 * equity / close }

// checkSMACrossFills replays an SMA(10)/SMA(30) crossover of closes (long
// or flat, entering with units(equity, close) at the signal bar) over
// bars with fsp.SMA and checks the fills against it: each at the open of
// the bar after the signal moved slipTicks ticks against the order, sized
// to within a lot, a taker fee of feeBps of the notional. It returns the cash and position after the fills and the
// number of closed round trips.
func checkSMACrossFills(t *testing.T, bars *frames.OHLCV, fills []backtestFill, cash0 decimal.Decimal, feeBps int64, slipTicks int64, tick decimal.Decimal, lot float64, units func(equity, close float64) float64) (cash, pos decimal.Decimal, trips int) {
	t.Helper()
	fast, slow := fsp.SMA(bars.Close, 10), fsp.SMA(bars.Close, 30)
	type signal struct {
		bar int
		buy bool
	}
	var want []signal
	primed, long := false, false
	for i := 29; i+1 < bars.Len(); i++ {
		l := fast[i] > slow[i]
		if (!primed && l) || (primed && l != long) {
			want = append(want, signal{i + 1, l})
		}
		primed, long = true, l
	}
	if len(fills) != len(want) {
		t.Fatalf("%d fills, the crossover signals %d", len(fills), len(want))
	}
	cash, pos = cash0, decimal.Zero
	k := 0
	for i := 0; i < bars.Len() && k < len(want); i++ {
		equity := cash.InexactFloat64() + pos.InexactFloat64()*bars.Close[i]
		for k < len(want) && want[k].bar == i+1 {
			w, f := want[k], fills[k]
			next := w.bar
			price, _ := decimal.NewFromString(f.Price)
			size, _ := decimal.NewFromString(f.Size)
			fee, _ := decimal.NewFromString(f.Fee)
			at := time.Unix(bars.Time[next], 0).UTC().Format(time.RFC3339)
			side := map[bool]string{true: "buy", false: "sell"}[w.buy]
			slip := tick.Mul(decimal.NewFromInt(slipTicks))
			if !w.buy {
				slip = slip.Neg()
			}
			if wantPrice := decimal.NewFromFloat(bars.Open[next]).Add(slip); f.Time != at || f.Side != side || !price.Equal(wantPrice) {
				t.Fatalf("fill %d: %+v, want a %s at %s at %s (the open %v and %d ticks against)", k, f, side, at, wantPrice, bars.Open[next], slipTicks)
			}
			if w.buy {
				if u := units(equity, bars.Close[i]); math.Abs(size.InexactFloat64()-u) > lot {
					t.Errorf("fill %d buys %s, want %v (equity %v, close %v)", k, size, u, equity, bars.Close[i])
				}
			} else if !size.Equal(pos) {
				t.Errorf("fill %d sells %s, want the whole position %s", k, size, pos)
			}
			if wantFee := size.Mul(price).Mul(decimal.New(feeBps, -4)); !fee.Equal(wantFee) {
				t.Errorf("fill %d fee %s, want %d bps of %s × %s = %s", k, fee, feeBps, size, price, wantFee)
			}
			notional := size.Mul(price)
			if w.buy {
				cash, pos = cash.Sub(notional), pos.Add(size)
			} else {
				cash, pos = cash.Add(notional), pos.Sub(size)
				trips++
			}
			cash = cash.Sub(fee)
			k++
		}
	}
	return cash, pos, trips
}

// The built-in crossover over four weeks of real BTC hours: the fills are
// the ones a replay with fsp.SMA makes, and the report's cash, equity,
// position and round trips are what those fills leave.
func TestBacktestCommandBuiltinStrategy(t *testing.T) {
	store := backtestStore(t)
	out := filepath.Join(t.TempDir(), "bt")
	args := []string{"backtest", "--store", store, "--fqme", "btcusdt.spot.binance", "--period", "1h",
		"--strategy", "sma-cross", "--taker-bps", "10", "--price-tick", "0.01", "--size-tick", "0.00001",
		"--calendar", "crypto", "--from", "2024-08-02", "--to", "2024-08-30", "-o", out, "--json"}
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Start, End  string
		Bars        int
		FinalCash   string `json:"final_cash"`
		FinalEquity string `json:"final_equity"`
		Stats       struct {
			Trades int    `json:"trades"`
			Fills  int    `json:"fills"`
			Fees   string `json:"fees"`
		}
		Positions []struct {
			FQME string
			Size string
		}
		Fills []backtestFill
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	if rep.Start != "2024-08-02T00:00:00Z" || rep.End != "2024-08-30T00:00:00Z" || rep.Bars != 28*24 {
		t.Fatalf("window %s .. %s, %d bars; want Aug 2 .. Aug 30, 672 bars", rep.Start, rep.End, rep.Bars)
	}
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2024, 8, 2, 0, 0, 0, 0, time.UTC).Unix()
	bars, err := st.ReadRange("btcusdt.spot.binance", 3600, from, from+28*86400)
	if err != nil {
		t.Fatal(err)
	}
	cash, pos, trips := checkSMACrossFills(t, bars, rep.Fills, decimal.NewFromInt(100000), 10, 0, decimal.New(1, -2), 1e-5, ninetyFivePercent)
	fees := decimal.Zero
	for _, f := range rep.Fills {
		fee, _ := decimal.NewFromString(f.Fee)
		fees = fees.Add(fee)
	}
	equity := cash.Add(pos.Mul(decimal.NewFromFloat(bars.Close[bars.Len()-1])))
	for _, c := range []struct {
		name, got string
		want      decimal.Decimal
	}{{"final_cash", rep.FinalCash, cash}, {"final_equity", rep.FinalEquity, equity}, {"stats.fees", rep.Stats.Fees, fees}} {
		if g, err := decimal.NewFromString(c.got); err != nil || !g.Equal(c.want) {
			t.Errorf("%s %q, replay %s", c.name, c.got, c.want)
		}
	}
	if rep.Stats.Trades != trips || rep.Stats.Fills != len(rep.Fills) || trips < 3 {
		t.Errorf("%d round trips and %d fills reported, replay %d and %d", rep.Stats.Trades, rep.Stats.Fills, trips, len(rep.Fills))
	}
	if len(rep.Positions) != 1 || rep.Positions[0].Size != pos.String() {
		t.Errorf("positions %+v, replay holds %s", rep.Positions, pos)
	}

	first, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, []byte(stdout)) {
		t.Fatal("report.json differs from the --json output")
	}
	// Same inputs, same bytes.
	code, _, stderr = runCLI(t, args...)
	if code != 0 {
		t.Fatal(stderr)
	}
	again, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if !bytes.Equal(first, again) {
		t.Fatal("a second run wrote a different report")
	}
	// The text report, printed without --json and written as report.txt,
	// carries the same equity and fills.
	txt, err := os.ReadFile(filepath.Join(out, "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCLI(t, append(args[:len(args)-3], "-o", "")...)
	if code != 0 {
		t.Fatalf("text output: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"equity          100000.00 -> " + equity.StringFixed(2),
		fmt.Sprintf("fills / fees    %d / %s", len(rep.Fills), fees.StringFixed(2)),
		fmt.Sprintf("round trips     %d,", trips),
	} {
		if !strings.Contains(stdout, want) || !strings.Contains(string(txt), want) {
			t.Errorf("text report lacks %q:\nprinted:\n%s\nreport.txt:\n%s", want, stdout, txt)
		}
	}
}

func TestBacktestCommandErrors(t *testing.T) {
	store := backtestStore(t)
	base := []string{"backtest", "--store", store, "-o", ""}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--period", "1h", "--strategy", "sma-cross"}, 2, "--fqme"},
		{[]string{"--fqme", "btcusdt.spot.binance", "--strategy", "sma-cross"}, 2, "--period"},
		{[]string{"--fqme", "btcusdt.spot.binance", "--period", "1h"}, 2, "--strategy"},
		{[]string{"--fqme", "btcusdt.spot.binance", "--period", "1h", "--strategy", "nope"}, 2, "unknown strategy"},
		{[]string{"--fqme", "btcusdt.spot.binance", "--period", "1h", "--strategy", "sma-cross", "--from", "yesterday"}, 2, "--from"},
		{[]string{"--fqme", "btcusdt.spot.binance", "--period", "1h", "--strategy", "sma-cross", "--volume-share", "2"}, 2, "--volume-share"},
		{[]string{"--fqme", "btcusdt.spot.binance", "--period", "1m", "--strategy", "sma-cross"}, 1, "btcusdt.spot.binance"},
		{[]string{"--fqme", "btcusdt.spot.binance", "--period", "1h", "--strategy", "sma-cross", "--from", "2030-01-01"}, 1, "no bars"},
	} {
		code, _, stderr := runCLI(t, append(base, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d naming %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

// hourBars aggregates bars into clock hours (epoch multiples of 3600):
// first open, highest high, lowest low, last close, summed volume.
func hourBars(f *frames.OHLCV) *frames.OHLCV {
	h := frames.New(3600, 0)
	for i := 0; i < f.Len(); i++ {
		t := f.Time[i] - f.Time[i]%3600
		n := h.Len()
		if n == 0 || h.Time[n-1] != t {
			h.Add(t, f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i])
			continue
		}
		h.High[n-1] = math.Max(h.High[n-1], f.High[i])
		h.Low[n-1] = math.Min(h.Low[n-1], f.Low[i])
		h.Close[n-1] = f.Close[i]
		h.Volume[n-1] += f.Volume[i]
	}
	return h
}

// The demo step backtests every demo market on hours made from its stored
// minutes: each report's fills are a crossover replay with one tick of
// slippage and 10 bps fees on the market's tick and lot, and its final cash
// and equity are what those fills leave.
func TestDemoBacktestStep(t *testing.T) {
	dir := t.TempDir()
	d := &demoRun{out: &bytes.Buffer{}, Dir: dir, StoreDir: filepath.Join(dir, "store")}
	st, err := frames.OpenStore(d.StoreDir)
	if err != nil {
		t.Fatal(err)
	}
	from := int64(1764547200) // 2025-12-01
	minutes := map[string]*frames.OHLCV{}
	for _, m := range feeds.DemoMarkets() {
		minutes[m.FQME] = feeds.GenerateBars(m, from, from+14*86400)
		if err := st.Write(m.FQME, minutes[m.FQME]); err != nil {
			t.Fatal(err)
		}
		d.Markets = append(d.Markets, demoMarket{FQME: m.FQME, Period: m.Period, Calendar: m.Calendar})
	}
	if err := demoBacktest(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	out := d.out.(*bytes.Buffer).String()
	for _, m := range feeds.DemoMarkets() {
		b, err := os.ReadFile(filepath.Join(dir, "backtest", m.FQME, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Bars        int
			FinalCash   string `json:"final_cash"`
			FinalEquity string `json:"final_equity"`
			Stats       struct {
				Trades int `json:"trades"`
			}
			Fills   []backtestFill
			Rejects []struct{ Reason string }
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		hours := hourBars(minutes[m.FQME])
		if rep.Bars != hours.Len() || len(rep.Rejects) != 0 {
			t.Fatalf("%s: %d bars, rejects %v; %d hours in the minutes", m.FQME, rep.Bars, rep.Rejects, hours.Len())
		}
		cash, pos, trips := checkSMACrossFills(t, hours, rep.Fills, decimal.NewFromInt(100000), 10, 1, decimal.NewFromFloat(m.Tick), m.Lot, ninetyFivePercent)
		equity := cash.Add(pos.Mul(decimal.NewFromFloat(hours.Close[hours.Len()-1])))
		if rep.FinalCash != cash.String() || rep.FinalEquity != equity.String() || rep.Stats.Trades != trips {
			t.Errorf("%s: cash %s, equity %s, %d round trips; replay %s, %s, %d", m.FQME, rep.FinalCash, rep.FinalEquity, rep.Stats.Trades, cash, equity, trips)
		}
		ret := equity.InexactFloat64()/100000 - 1
		row := fmt.Sprintf("%-28s %6d %8.2f%%", m.FQME, trips, 100*ret)
		if !strings.Contains(out, row) {
			t.Errorf("summary lacks %q:\n%s", row, out)
		}
	}
	empty := &demoRun{out: &bytes.Buffer{}, Dir: dir}
	if err := demoBacktest(context.Background(), empty); err != nil {
		t.Fatal(err)
	}
}

// The same crossover as a script in each of the shapes a strategy file may
// take trades identically.
func TestBacktestCommandScriptStrategies(t *testing.T) {
	store := backtestStore(t)
	core := `
		if n >= 10 {
			fast -= ring[(i+20)%30]
		}
		if n >= 30 {
			slow -= ring[i]
		} else {
			n++
		}
		ring[i] = x
		i++
		if i == 30 {
			i = 0
		}
		fast += x
		slow += x
		target := 0.0
		if n == 30 && fast*30 > slow*10 {
			target = 0.01
		}`
	state := `
	var ring [30]float64
	n, i := 0, 0
	fast, slow := 0.0, 0.0`
	scripts := map[string]string{
		"onbar.go": `package main

import (
	"workbench/feeds"
	"workbench/paper"
)

var (
	ring       [30]float64
	n, i       int
	fast, slow float64
)

func OnBar(c *paper.Context, b feeds.BarEvent) {
	x := b.Bar.Close` + core + `
	c.Target(b.FQME, target)
}
`,
		"run.go": `package main

import "workbench/paper"

func Run(c *paper.Context) {
	fqme := c.Markets()[0]` + state + `
	for {
		x, ok := c.NextClose()
		if !ok {
			return
		}` + core + `
		c.Target(fqme, target)
	}
}
`,
		"targets.go": `package main

import "workbench/frames"

func Targets(bars *frames.OHLCV) []float64 {
	out := make([]float64, bars.Len())` + state + `
	for k, x := range bars.Close {` + core + `
		out[k] = target
	}
	return out
}
`,
	}
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.Read("btcusdt.spot.binance", 3600)
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for _, name := range []string{"onbar.go", "run.go", "targets.go"} {
		dir := t.TempDir()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(scripts[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out")
		code, stdout, stderr := runCLI(t, "backtest", path, "--store", store, "--fqme", "btcusdt.spot.binance",
			"--period", "1h", "--price-tick", "0.01", "--size-tick", "0.00001", "--taker-bps", "10", "-o", out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s%s", name, code, stdout, stderr)
		}
		var rep struct {
			Fills []json.RawMessage
		}
		b, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		fills, _ := json.Marshal(rep.Fills)
		var bf []backtestFill
		if err := json.Unmarshal(fills, &bf); err != nil {
			t.Fatal(err)
		}
		// The scripts hold 0.01 BTC while the crossover is long.
		checkSMACrossFills(t, all, bf, decimal.NewFromInt(100000), 10, 0, decimal.New(1, -2), 1e-9,
			func(float64, float64) float64 { return 0.01 })
		if len(rep.Fills) < 4 {
			t.Fatalf("%s: %d fills", name, len(rep.Fills))
		}
		if first == nil {
			first = fills
		} else if !bytes.Equal(first, fills) {
			t.Fatalf("%s trades differently from onbar.go", name)
		}
		for _, f := range []string{"trades_paper_backtest.toml", "account.paper.backtest.toml"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.go")
	os.WriteFile(bad, []byte("package main\n\nfunc Hello() {}\n"), 0o644)
	code, _, stderr := runCLI(t, "backtest", bad, "--store", store, "--fqme", "btcusdt.spot.binance", "--period", "1h", "-o", "")
	if code != 1 || !strings.Contains(stderr, "no strategy found") {
		t.Fatalf("a file without a strategy: exit %d, %s", code, stderr)
	}
}

// ticksStore writes an hour of a venue tape into a fresh store twice over:
// its 1-minute bars and its trades in the tick store.
func ticksStore(t *testing.T, fq string) (dir string, bars *frames.OHLCV, trades []feeds.Trade) {
	t.Helper()
	start := time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC).Unix()
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: fq, Seed: 11, Start: start * 1e9, Price: 100, Tick: 0.01,
		Lot: 0.001, MeanGap: 3 * time.Second})
	bars = tape.Bars(60, start, start+3600, false)
	trades = tape.Trades(start*1e9, (start+3600)*1e9)
	dir = t.TempDir()
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(fq, bars); err != nil {
		t.Fatal(err)
	}
	ticks := &frames.Ticks{}
	for _, tr := range trades {
		ticks.Add(tr.Time, tr.Price, tr.Size, int8(tr.Side), tr.ID)
	}
	if _, err := st.AppendTrades(fq, ticks); err != nil {
		t.Fatal(err)
	}
	return dir, bars, trades
}

// A limit buy placed at the first bar's close, then a limit sell once the
// buy has filled in full, each 5 ticks away from the close. With --ticks
// the engine fills them on the stored prints, which the test replays by the
// rules of a limit on a tape without quotes: the first print after the
// order is live fills it at the print if it reaches the limit (taker);
// later prints fill it at the limit when they trade through it (maker);
// each print fills at most its own size.
func TestBacktestCommandTicks(t *testing.T) {
	const fq = "btcusdt.spot.venuefake"
	store, bars, trades := ticksStore(t, fq)
	script := filepath.Join(t.TempDir(), "limits.go")
	if err := os.WriteFile(script, []byte(`package main

import (
	"math"

	"workbench/feeds"
	"workbench/paper"
)

var state int

func OnBar(c *paper.Context, b feeds.BarEvent) {
	switch {
	case state == 0:
		c.LimitOrder(b.FQME, 0.5, math.Round(b.Bar.Close*100-5)/100)
		state = 1
	case state == 1 && c.Position(b.FQME) > 0.4999:
		c.LimitOrder(b.FQME, -0.5, math.Round(b.Bar.Close*100+5)/100)
		state = 2
	}
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"backtest", script, "--store", store, "--fqme", fq, "--period", "1m",
		"--price-tick", "0.01", "--size-tick", "0.001", "-o", "", "--json"}
	code, stdout, stderr := runCLI(t, append(args, "--ticks")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct{ Fills []backtestFill }
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}

	// The replay: bar k's close is (Time[k]+60)·1e9; prints at a close
	// come after it. Sizes in lots of 0.001.
	var want []backtestFill
	fill := func(live int64, buy bool, px float64) int64 {
		first, left := true, int64(500)
		side := map[bool]string{true: "buy", false: "sell"}[buy]
		for _, tr := range trades {
			if tr.Time < live {
				continue
			}
			reach := buy && tr.Price <= px || !buy && tr.Price >= px
			through := buy && tr.Price < px || !buy && tr.Price > px
			price, ok := px, !first && through
			if first {
				price, ok = tr.Price, reach
			}
			first = false
			if !ok {
				continue
			}
			lots := min(left, int64(math.Round(tr.Size*1000)))
			left -= lots
			want = append(want, backtestFill{Time: time.Unix(0, tr.Time).UTC().Format(time.RFC3339Nano), Side: side,
				Price: decimal.NewFromFloat(price).StringFixed(2), Size: decimal.New(lots, -3).String()})
			if left == 0 {
				return tr.Time
			}
		}
		t.Fatal("the tape never fills the order")
		return 0
	}
	closeAt := func(k int) int64 { return (bars.Time[k] + 60) * 1e9 }
	done := fill(closeAt(0), true, math.Round(bars.Close[0]*100-5)/100)
	k := 0
	for closeAt(k) <= done {
		k++
	}
	fill(closeAt(k), false, math.Round(bars.Close[k]*100+5)/100)
	if len(rep.Fills) != len(want) || len(want) < 4 {
		t.Fatalf("fills %+v\nwant %+v", rep.Fills, want)
	}
	for i, w := range want {
		g := rep.Fills[i]
		gp, _ := decimal.NewFromString(g.Price)
		wp, _ := decimal.NewFromString(w.Price)
		gs, _ := decimal.NewFromString(g.Size)
		ws, _ := decimal.NewFromString(w.Size)
		if g.Time != w.Time || g.Side != w.Side || !gp.Equal(wp) || !gs.Equal(ws) {
			t.Errorf("fill %d: %+v, want %+v", i, g, w)
		}
	}

	// Without --ticks the same strategy fills on the bars' intrabar path,
	// at times that are not the prints'.
	code, stdout, stderr = runCLI(t, args...)
	if code != 0 {
		t.Fatalf("bars: exit %d: %s", code, stderr)
	}
	var barRep struct{ Fills []backtestFill }
	if err := json.Unmarshal([]byte(stdout), &barRep); err != nil {
		t.Fatal(err)
	}
	if len(barRep.Fills) == 0 {
		t.Fatal("the bars' path filled nothing")
	}
	prints := map[string]bool{}
	for _, tr := range trades {
		prints[time.Unix(0, tr.Time).UTC().Format(time.RFC3339Nano)] = true
	}
	for _, f := range barRep.Fills {
		if prints[f.Time] {
			t.Errorf("the bars' path filled at a print's time, %s", f.Time)
		}
	}
}

func TestBacktestCommandTicksMissing(t *testing.T) {
	store := backtestStore(t)
	code, _, stderr := runCLI(t, "backtest", "--store", store, "--fqme", "btcusdt.spot.binance", "--period", "1h",
		"--strategy", "sma-cross", "--ticks", "-o", "")
	if code != 1 || !strings.Contains(stderr, "btcusdt.spot.binance: no trades or quotes stored from 2024-08-01T00:00:00Z") ||
		!strings.Contains(stderr, "record --trades") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// spoiltStore is a store holding synthetic one-minute bars of fq whose
// bar 100 has a NaN close, as a damaged file or feed gives.
func spoiltStore(t *testing.T, fq string) (string, int64) {
	t.Helper()
	from, _ := frames.ParseTime("2026-01-01")
	bars := feeds.GenerateBars(syntheticMarket(fq, 60), from, from+600*60)
	bars.Close[100] = math.NaN()
	dir := t.TempDir()
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(fq, bars); err != nil {
		t.Fatal(err)
	}
	return dir, bars.Time[100]
}

// TestBacktestCommandInvalidBars: a NaN close stops the backtest naming
// the market, the bar's time and the field; --skip-invalid runs without it
// and counts it in the text and JSON reports.
func TestBacktestCommandInvalidBars(t *testing.T) {
	const fq = "btcusdt.spot.synthetic"
	store, at := spoiltStore(t, fq)
	when := time.Unix(at, 0).UTC().Format(time.RFC3339)
	base := []string{"backtest", "--strategy", "sma-cross", "--fqme", fq, "--period", "1m", "--store", store, "-o", ""}
	code, _, stderr := runCLI(t, base...)
	if code != 1 || !strings.Contains(stderr, fq+" bar "+when+": field close: NaN is not a finite number") ||
		!strings.Contains(stderr, "--skip-invalid") || strings.Contains(stderr, "panic") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr := runCLI(t, append(base, "--skip-invalid")...)
	if code != 0 || !strings.Contains(stdout, "invalid bars    1 skipped (first: "+fq+" bar "+when+": field close") {
		t.Fatalf("--skip-invalid: exit %d: %s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, append(base, "--skip-invalid", "--json")...)
	var j struct {
		Bars        int `json:"bars"`
		SkippedBars int `json:"skipped_bars"`
		Skipped     []struct {
			Time, Field string
		} `json:"skipped"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &j) != nil || j.SkippedBars != 1 || j.Bars != 599 ||
		len(j.Skipped) != 1 || j.Skipped[0].Time != when || j.Skipped[0].Field != "close" {
		t.Fatalf("--skip-invalid --json: exit %d, %+v: %s", code, j, stderr)
	}
}

// TestBacktestRunawayStrategyStopsOnInterrupt sends Ctrl-C to a real
// `workbench backtest` whose script's OnBar never returns: the command
// ends, exit 1, saying so.
func TestBacktestRunawayStrategyStopsOnInterrupt(t *testing.T) {
	const fq = "btcusdt.spot.synthetic"
	dir := t.TempDir()
	from, _ := frames.ParseTime("2026-01-01")
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(fq, feeds.GenerateBars(syntheticMarket(fq, 60), from, from+600*60)); err != nil {
		t.Fatal(err)
	}
	script := writeRunaway(t, dir)
	interruptRunaway(t, "backtest", script, "--fqme", fq, "--period", "1m", "--store", dir, "-o", "")
}

// writeRunaway writes a strategy script whose OnBar, at the tenth bar,
// prints "looping" and never returns.
func writeRunaway(t *testing.T, dir string) string {
	t.Helper()
	script := filepath.Join(dir, "runaway.go")
	err := os.WriteFile(script, []byte(`package main

import (
	"fmt"
	"io"

	"workbench/feeds"
	"workbench/paper"
)

func OnBar(c *paper.Context, b feeds.BarEvent) {
	if b.Index == 10 {
		fmt.Println("looping")
		n := 0
		for {
			n++
		}
	}
}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return script
}

// interruptRunaway runs the workbench binary with args until the runaway
// script says it loops, sends it Ctrl-C and checks that it ends, exit 1,
// saying it was interrupted. It returns what it printed.
func interruptRunaway(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(workbenchBinary(t), args...)
	var stderr bytes.Buffer
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var out strings.Builder
	rd := bufio.NewReader(stdout)
	for {
		line, err := rd.ReadString('\n')
		out.WriteString(line)
		if line == "looping\n" {
			break
		}
		if err != nil {
			t.Fatalf("the script did not reach its loop: %v\n%s%s", err, out.String(), stderr.String())
		}
	}
	// The rest of the output, until the process ends and closes the pipe;
	// Wait only after that.
	var rest bytes.Buffer
	exited := make(chan error, 1)
	go func() {
		io.Copy(&rest, rd)
		exited <- cmd.Wait()
	}()
	time.Sleep(200 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-exited:
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30s after Ctrl-C")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("after Ctrl-C: %v, stderr %q", err, stderr.String())
	}
	t.Logf("ended %v after Ctrl-C", time.Since(sent).Round(time.Millisecond))
	return out.String() + rest.String()
}
