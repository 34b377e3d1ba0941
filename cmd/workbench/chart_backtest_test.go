package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/internal/chartpix"
)

// stopScript buys every 24 bars with a sell stop 0.5% under the close, and
// sells at market 15 bars later if the stop has not fired: fills of all
// four kinds (buy, sell, stop sell; no stop buy) on real BTC hours.
const stopScript = `package main

import (
	"workbench/feeds"
	"workbench/paper"
)

var n int

func OnBar(c *paper.Context, b feeds.BarEvent) {
	n++
	switch n % 24 {
	case 5:
		c.Buy(b.FQME, 0.01)
		c.StopOrder(b.FQME, -0.01, b.Bar.Close*0.995)
	case 20:
		if open := c.OpenOrders(b.FQME); len(open) > 0 {
			for _, o := range open {
				c.Cancel(o.ID)
			}
			c.Sell(b.FQME, 0.01)
		}
	}
}
`

// A backtest writes chart.png: every fill of the ledger is marked on its
// bar at its price (a buy's ▲ tip and body below it, a sell's ▼ above), in
// the colour of its kind, stop fills apart; equity and drawdown panes
// follow. Found in the pixels with the layout in chart_layout.json.
func TestBacktestChartMarksFills(t *testing.T) {
	store := backtestStore(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "stops.go")
	if err := os.WriteFile(script, []byte(stopScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bt")
	code, stdout, stderr := runCLI(t, "backtest", "--store", store, "--fqme", "btcusdt.spot.binance", "--period", "1h",
		"--price-tick", "0.01", "--size-tick", "0.00001", "--from", "2024-08-02", "--to", "2024-08-16", "-o", out, "--json", script)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Fills []struct {
			Time, Side, Price, Order string
		}
		Orders []struct {
			ID, Type string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "chart_layout.json"))
	if err != nil {
		t.Fatal(err)
	}
	var layout []backtestChartFile
	if err := json.Unmarshal(raw, &layout); err != nil || len(layout) != 1 || layout[0].File != "chart.png" || len(layout[0].Panes) != 3 {
		t.Fatalf("chart_layout.json %s: %v", raw, err)
	}
	price := layout[0].Panes[0]
	if !price.XIndex {
		t.Fatalf("price pane %+v: want bars by index", price)
	}
	if price.Series[0] != "btcusdt.spot.binance" || layout[0].Panes[1].Series[0] != "equity" || layout[0].Panes[2].Series[0] != "drawdown %" {
		t.Fatalf("panes %+v", layout[0].Panes)
	}
	img := readPNG(t, filepath.Join(out, "chart.png"))
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2024, 8, 2, 0, 0, 0, 0, time.UTC).Unix()
	bars, err := st.ReadRange("btcusdt.spot.binance", 3600, from, from+14*86400)
	if err != nil {
		t.Fatal(err)
	}
	colour := map[string][3]float64{}
	for i, name := range price.Series {
		colour[name] = hexRGB(t, price.Colors[i])
	}
	stop := map[string]bool{}
	for _, o := range rep.Orders {
		stop[o.ID] = o.Type == "stop"
	}
	fills, marked := map[string]int{}, map[string]int{}
	for _, f := range rep.Fills {
		tm, err := time.Parse(time.RFC3339Nano, f.Time)
		if err != nil {
			t.Fatalf("fill time %q: %v", f.Time, err)
		}
		p, err := strconv.ParseFloat(f.Price, 64)
		if err != nil {
			t.Fatal(err)
		}
		kind := f.Side
		if stop[f.Order] {
			kind = "stop " + kind
		}
		fills[kind]++
		c, ok := colour[kind]
		if !ok {
			t.Fatalf("no %q series in the legend %v", kind, price.Series)
		}
		if chartpix.FillMarked(img, price, bars, tm.Unix(), p, f.Side == "sell", c) {
			marked[kind]++
		}
	}
	if fills["buy"] < 10 || fills["sell"] < 1 || fills["stop sell"] < 3 {
		t.Fatalf("fills %v: the script should have made buys, sells and stop sells", fills)
	}
	for k, n := range fills {
		// A later marker on the same bar may cover one.
		if marked[k] < n*9/10 {
			t.Errorf("%s: %d of %d fills marked at their bar and price", k, marked[k], n)
		}
	}
}

// A run over two markets writes one chart per market, each marking only
// its own market's fills, in the format --chart asks for, and breaks the
// report down by market: each market's fills, fees and PnL as summed here
// from the report's own fills and positions, the PnLs adding up to the
// change in equity to the last digit; a bad --chart is a usage error.
func TestBacktestChartPerMarket(t *testing.T) {
	store := backtestStore(t)
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.Read("btcusdt.spot.binance", 3600)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("ethusdt.spot.binance", f); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bt")
	args := []string{"backtest", "--store", store, "--fqme", "btcusdt.spot.binance,ethusdt.spot.binance", "--period", "1h",
		"--strategy", "sma-cross", "--price-tick", "0.01", "--size-tick", "0.00001", "--taker-bps", "7.5", "--from", "2024-08-02", "--to", "2024-08-16",
		"-o", out, "--json"}
	code, stdout, stderr := runCLI(t, append(args, "--chart", "svg")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		InitialCash decimal.Decimal `json:"initial_cash"`
		FinalEquity decimal.Decimal `json:"final_equity"`
		Fills       []struct {
			FQME, Side       string
			Price, Size, Fee decimal.Decimal
		}
		Trades []struct {
			FQME string
			PnL  decimal.Decimal
		}
		Positions []struct {
			FQME      string
			Size      decimal.Decimal
			LastClose float64 `json:"last_close"`
		}
		PerMarket map[string]struct {
			Fills    int
			Trades   int
			Fees     decimal.Decimal
			TradePnL decimal.Decimal `json:"trade_pnl"`
			PnL      decimal.Decimal
			Return   decimal.Decimal
		} `json:"per_market"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	fills, trades := map[string]int{}, map[string]int{}
	fees, cash, tradePnL := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for _, f := range rep.Fills {
		fills[f.FQME]++
		fees[f.FQME] = fees[f.FQME].Add(f.Fee)
		n := f.Price.Mul(f.Size)
		if f.Side == "buy" {
			n = n.Neg()
		}
		cash[f.FQME] = cash[f.FQME].Add(n).Sub(f.Fee)
	}
	for _, tr := range rep.Trades {
		trades[tr.FQME]++
		tradePnL[tr.FQME] = tradePnL[tr.FQME].Add(tr.PnL)
	}
	for _, p := range rep.Positions {
		cash[p.FQME] = cash[p.FQME].Add(p.Size.Mul(decimal.NewFromFloat(p.LastClose)))
	}
	if len(rep.PerMarket) != 2 {
		t.Fatalf("per_market %+v: want both markets", rep.PerMarket)
	}
	total := decimal.Zero
	for fq, m := range rep.PerMarket {
		total = total.Add(m.PnL)
		if m.Fills != fills[fq] || m.Trades != trades[fq] || !m.Fees.Equal(fees[fq]) || !m.PnL.Equal(cash[fq]) ||
			!m.TradePnL.Equal(tradePnL[fq]) || !m.Return.Equal(m.PnL.DivRound(rep.InitialCash, 10)) {
			t.Errorf("%s: per_market %+v; the report's fills give %d fills, %d round trips (pnl %s), fees %s, pnl %s",
				fq, m, fills[fq], trades[fq], tradePnL[fq], fees[fq], cash[fq])
		}
	}
	if want := rep.FinalEquity.Sub(rep.InitialCash); !total.Equal(want) {
		t.Errorf("per-market pnl adds up to %s, equity changed by %s", total, want)
	}
	txt, err := os.ReadFile(filepath.Join(out, "report.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for fq, m := range rep.PerMarket {
		if !strings.Contains(string(txt), fq+"  ") || !strings.Contains(string(txt), "pnl "+m.PnL.StringFixed(2)) {
			t.Errorf("report.txt lacks the line of %s (pnl %s):\n%s", fq, m.PnL.StringFixed(2), txt)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "chart_layout.json"))
	if err != nil {
		t.Fatal(err)
	}
	var layout []backtestChartFile
	if err := json.Unmarshal(raw, &layout); err != nil || len(layout) != 2 {
		t.Fatalf("chart_layout.json %s: %v", raw, err)
	}
	for _, l := range layout {
		if l.File != "chart_"+l.FQME+".svg" || l.Panes[0].Series[0] != l.FQME || fills[l.FQME] == 0 {
			t.Errorf("chart %+v; %d fills of %s", l, fills[l.FQME], l.FQME)
		}
		b, err := os.ReadFile(filepath.Join(out, l.File))
		if err != nil || !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "backtest "+l.FQME) {
			t.Errorf("%s: not an SVG chart of %s (%v)", l.File, l.FQME, err)
		}
	}
	if code, _, stderr := runCLI(t, append(args, "--chart", "gif")...); code != 2 || !strings.Contains(stderr, "--chart") {
		t.Errorf("--chart gif: exit %d, %s", code, stderr)
	}
}
