package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/internal/oracle"
	"workbench/mkt"
	"workbench/paper"
)

// TestDemoEndToEnd runs `workbench demo` as a user does and checks what it
// leaves behind against independent facts: the generator's own bars, the
// exchange calendars' closures, and files that decode.
func TestDemoEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runCLI(t, "demo", "-o", dir)
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, step := range []string{"synthetic store", "gap reports", "indicator study", "backtest", "paper trading", "exchange feed", "charts", "notebook report", "parameter sweep"} {
		if !strings.Contains(stdout, "== "+step+" ==") {
			t.Errorf("demo output lacks step %q", step)
		}
	}

	checkDemoPaper(t, dir, stdout)
	checkDemoExchange(t, dir, stdout)
	checkDemoSweep(t, dir, stdout)

	st, err := frames.OpenStore(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range feeds.DemoMarkets() {
		got, err := st.Read(m.FQME, m.Period)
		if err != nil {
			t.Fatalf("%s: %v", m.FQME, err)
		}
		want := feeds.GenerateBars(m, demoFrom, demoTo)
		if got.Len() != want.Len() || got.Len() == 0 {
			t.Fatalf("%s: %d bars stored, generator made %d", m.FQME, got.Len(), want.Len())
		}
		for i := range want.Len() {
			if got.Time[i] != want.Time[i] || got.Close[i] != want.Close[i] || got.Volume[i] != want.Volume[i] {
				t.Fatalf("%s row %d: stored %d %v %v, generated %d %v %v", m.FQME, i,
					got.Time[i], got.Close[i], got.Volume[i], want.Time[i], want.Close[i], want.Volume[i])
			}
		}
		checkDemoOutputs(t, dir, m.FQME, m.Calendar, got)
	}

	// Martin Luther King Jr. Day 2026-01-19: the equity's report must call
	// the whole long weekend closed, not missing data.
	var rep struct {
		Gaps []struct {
			LastBar int64  `json:"last_bar"`
			NextBar int64  `json:"next_bar"`
			Kind    string `json:"kind"`
		} `json:"gaps"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "gaps", "acme.nasdaq.synthetic.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	holiday := time.Date(2026, 1, 19, 15, 0, 0, 0, time.UTC).Unix()
	found := false
	for _, g := range rep.Gaps {
		if g.LastBar < holiday && holiday < g.NextBar {
			found = true
			if g.Kind != "market-closed" {
				t.Errorf("gap over MLK day classified %q", g.Kind)
			}
		}
	}
	if !found {
		t.Error("no gap over MLK day in the equity's report")
	}

	checkDemoCharts(t, dir, st)
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(html, []byte("<img")); n < 3 {
		t.Errorf("report.html has %d images, want the notebook's 3", n)
	}
	if !strings.Contains(stdout, "0 failed") {
		t.Errorf("notebook cells failed:\n%s", stdout)
	}
}

// checkDemoOutputs checks what the demo wrote for one market against the
// bars it stored: the gap report's gaps lie between consecutive stored
// bars and (on the 24/7 crypto calendar) are every place two bars are more
// than a minute apart; the indicator file has a row per stored bar and its
// cumulative log return is ln(close/first close); the backtest ran on the
// clock hours of the minutes, and its ledger holds the report's fills.
func checkDemoOutputs(t *testing.T, dir, fqme, calendar string, bars *frames.OHLCV) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "gaps", fqme+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Bars    int `json:"bars"`
		Summary struct {
			MissingBars int64 `json:"missing_bars"`
		} `json:"summary"`
		Gaps []struct {
			LastBar int64 `json:"last_bar"`
			NextBar int64 `json:"next_bar"`
			LastRow int   `json:"last_row"`
			Missing int64 `json:"missing_bars"`
			Kind    string
		} `json:"gaps"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Bars != bars.Len() {
		t.Errorf("%s gap report counts %d bars, the store holds %d", fqme, rep.Bars, bars.Len())
	}
	var missing int64
	for _, g := range rep.Gaps {
		if g.LastRow < 0 || g.LastRow+1 >= bars.Len() || bars.Time[g.LastRow] != g.LastBar || bars.Time[g.LastRow+1] != g.NextBar {
			t.Fatalf("%s gap %+v is not between two consecutive stored bars", fqme, g)
		}
		missing += g.Missing
	}
	if missing != rep.Summary.MissingBars {
		t.Errorf("%s: gaps miss %d bars, the summary says %d", fqme, missing, rep.Summary.MissingBars)
	}
	if calendar == "crypto" {
		k := 0
		for i := 1; i < bars.Len(); i++ {
			if d := bars.Time[i] - bars.Time[i-1]; d > 60 {
				if k >= len(rep.Gaps) || rep.Gaps[k].LastRow != i-1 || rep.Gaps[k].Missing != d/60-1 {
					t.Fatalf("%s: %d minutes missing after row %d, not gap %d of the report", fqme, d/60-1, i-1, k)
				}
				k++
			}
		}
		if k != len(rep.Gaps) || k == 0 {
			t.Errorf("%s: %d runs of missing minutes, the report lists %d gaps", fqme, k, len(rep.Gaps))
		}
	}

	rows := oracle.CSVRows(t, filepath.Join(dir, "indicators", fqme+".csv"))
	col := slices.Index(rows[0], "cumlogret")
	if len(rows) != bars.Len()+1 || rows[0][0] != "time" || col < 0 {
		t.Fatalf("%s indicators: %d rows, header %v; want time, cumlogret and a row per stored bar (%d)", fqme, len(rows)-1, rows[0], bars.Len())
	}
	for i, r := range rows[1:] {
		ts, err1 := strconv.ParseInt(r[0], 10, 64)
		v, err2 := strconv.ParseFloat(r[col], 64)
		want := math.Log(bars.Close[i] / bars.Close[0])
		if err1 != nil || err2 != nil || ts != bars.Time[i] || math.Abs(v-want) > 1e-9 {
			t.Fatalf("%s indicators row %d: time %s cumlogret %s; stored bar %d, ln(close/first close) %v", fqme, i+2, r[0], r[col], bars.Time[i], want)
		}
	}

	hours := map[int64]bool{}
	for _, ts := range bars.Time {
		hours[ts-ts%3600] = true
	}
	raw, err = os.ReadFile(filepath.Join(dir, "backtest", fqme, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bt struct {
		Bars  int
		Fills []struct{ Size string }
	}
	if err := json.Unmarshal(raw, &bt); err != nil {
		t.Fatal(err)
	}
	var ledger map[string]struct{ Size float64 }
	if _, err := toml.DecodeFile(filepath.Join(dir, "backtest", fqme, "trades_paper_backtest.toml"), &ledger); err != nil {
		t.Fatal(err)
	}
	if bt.Bars != len(hours) || len(bt.Fills) == 0 || len(ledger) != len(bt.Fills) {
		t.Errorf("%s backtest: %d bars, %d fills, %d in the ledger; want the %d clock hours of the minutes and every fill in the ledger", fqme, bt.Bars, len(bt.Fills), len(ledger), len(hours))
	}
}

// checkDemoPaper checks the paper-trading step: every fill it printed is in
// its ledger, in order, and the ledger's net size is the open position the
// statistics report.
func checkDemoPaper(t *testing.T, dir, stdout string) {
	t.Helper()
	step := stdout[strings.Index(stdout, "== paper trading =="):]
	step = step[:strings.Index(step, "\n== ")] // up to the next step
	var printed []string
	for _, line := range strings.Split(step, "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[0] == "fill" {
			sign := ""
			if f[3] == "sell" {
				sign = "-"
			}
			printed = append(printed, f[5]+" "+sign+f[4]+" @ "+f[7])
		}
	}
	led, err := paper.LoadLedger(filepath.Join(dir, "accounts", "trades_paper_demo.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var booked []string
	net := decimal.Zero
	for _, tx := range led.Transactions() {
		booked = append(booked, tx.FQME+" "+tx.Size.String()+" @ "+tx.Price.String())
		net = net.Add(tx.Size)
	}
	if len(printed) == 0 || strings.Join(printed, "\n") != strings.Join(booked, "\n") {
		t.Fatalf("paper fills printed:\n%s\nledger:\n%s", strings.Join(printed, "\n"), strings.Join(booked, "\n"))
	}
	if !net.IsZero() && !strings.Contains(step, "open position   btcusdt.spot.synthetic "+net.String()+" at") {
		t.Errorf("ledger nets %s, statistics say:\n%s", net, step)
	}
}

// checkDemoExchange: the demo's exchange step recorded, paper-traded and
// filled one series from its fake Binance, and the store holds exactly the
// fake's true bars (its tape, bucketed, no bar for a quiet minute) over the
// series' span; its output shows each command's part.
func checkDemoExchange(t *testing.T, dir, stdout string) {
	t.Helper()
	st, err := frames.OpenStore(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Read(demoExchangeFQME, 60)
	if err != nil {
		t.Fatalf("exchange step: %v", err)
	}
	first, end := got.Time[0], got.Time[got.Len()-1]+60
	want := demoExchangeTape().Bars(60, first, end, false)
	if want.Len() != got.Len() || got.Len() <= demoExchangeBars {
		t.Fatalf("exchange step: %d bars stored, the tape has %d in [%d, %d); want more than the paper session's %d",
			got.Len(), want.Len(), first, end, demoExchangeBars)
	}
	for i := range want.Len() {
		if got.At(i) != want.At(i) {
			t.Fatalf("exchange step bar %d: stored %+v, the tape's %+v", i, got.At(i), want.At(i))
		}
	}
	if (end-first)/60 == int64(got.Len()) {
		t.Fatalf("no quiet minute in the span: the gap report shows nothing")
	}
	sec := stdout[strings.Index(stdout, "== exchange feed =="):]
	sec = sec[:strings.Index(sec, "\n== ")]
	for _, w := range []string{
		"$ workbench record", demoExchangeFQME + ": +",
		fmt.Sprintf("(%d bars)", demoExchangeBars),
		"$ workbench store fill", "the exchange does not have (no trades)",
		fmt.Sprintf("the %d stored bars of %s", got.Len(), demoExchangeFQME),
	} {
		if !strings.Contains(sec, w) {
			t.Errorf("exchange step output lacks %q:\n%s", w, sec)
		}
	}
}

// checkDemoSweep checks the sweep step: results.csv has one row per
// combination of its 4 × 3 grid, its best row's statistics are those of a
// plain backtest of the best parameters run here, the heatmap draws a grid
// of coloured cells, and the report embeds it.
func checkDemoSweep(t *testing.T, dir, stdout string) {
	t.Helper()
	rows := oracle.CSVRows(t, filepath.Join(dir, "sweep", "results.csv"))
	head := rows[0]
	col := func(name string) int {
		i := slices.Index(head, name)
		if i < 0 {
			t.Fatalf("results.csv header %v lacks %q", head, name)
		}
		return i
	}
	fastC, slowC, fqC, retC := col("fast"), col("slow"), col("fqme"), col("total_return")
	seen := map[string]bool{}
	best, bestRet := -1, math.Inf(-1)
	for i, r := range rows[1:] {
		seen[r[fastC]+","+r[slowC]] = true
		v, err := strconv.ParseFloat(r[retC], 64)
		if err != nil {
			t.Fatalf("results.csv row %d: total_return %q: %v", i+2, r[retC], err)
		}
		if v > bestRet {
			best, bestRet = i+1, v
		}
	}
	if len(rows)-1 != 12 || len(seen) != 12 {
		t.Fatalf("results.csv: %d rows, %d distinct (fast, slow); want the 12 of fast 5:20:5 × slow 30,45,60", len(rows)-1, len(seen))
	}
	for _, f := range []string{"5", "10", "15", "20"} {
		for _, s := range []string{"30", "45", "60"} {
			if !seen[f+","+s] {
				t.Errorf("results.csv lacks fast=%s slow=%s", f, s)
			}
		}
	}

	br := rows[best]
	fast, _ := strconv.Atoi(br[fastC])
	slow, _ := strconv.Atoi(br[slowC])
	st, err := frames.OpenStore(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	minutes, err := st.Read(br[fqC], 60)
	if err != nil {
		t.Fatal(err)
	}
	bars, err := minutes.Resample(3600)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := mkt.ParseFQME(br[fqC])
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range feeds.DemoMarkets() {
		if m.FQME == br[fqC] {
			pair.PriceTick, pair.SizeTick = decimal.NewFromFloat(m.Tick), decimal.NewFromFloat(m.Lot)
		}
	}
	res, err := paper.Backtest(paper.BacktestConfig{
		Series:   []paper.Series{{Market: pair, Bars: bars}},
		Cash:     decimal.NewFromInt(100000),
		Fees:     paper.BpsFees(0, 10),
		Slippage: paper.Slippage{Ticks: 1},
		Seed:     1,
		Calendar: "crypto",
	}, paper.NewSMACross(fast, slow))
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := res.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var rep struct{ Stats map[string]json.RawMessage }
	if err := json.Unmarshal(js.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Stats) != len(head)-3 {
		t.Errorf("results.csv has %d statistics, a backtest report %d", len(head)-3, len(rep.Stats))
	}
	for k, raw := range rep.Stats {
		want := strings.Trim(string(raw), `"`)
		if want == "null" {
			want = ""
		}
		if got := br[col(k)]; got != want {
			t.Errorf("best row fast=%d slow=%d: %s = %q in results.csv, %q in a plain backtest", fast, slow, k, got, want)
		}
	}
	if cmd := fmt.Sprintf("--set fast=%d --set slow=%d", fast, slow); !strings.Contains(stdout, cmd) {
		t.Errorf("demo output lacks the best row's backtest command (%s)", cmd)
	}

	raw, err := os.ReadFile(filepath.Join(dir, "sweep", "heatmap.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("heatmap.png: %v", err)
	}
	if n := heatmapCells(img); n < 2 || n > 12 {
		t.Errorf("heatmap.png: %d distinct coloured cells, want 2..12 for 12 combinations", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep", "results.parquet")); err != nil {
		t.Error(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	sec := html[max(0, bytes.Index(html, []byte(`id="sweep"`))):]
	if !bytes.Contains(html, []byte(`id="sweep"`)) || !bytes.Contains(sec, []byte("data:image/png;base64,"+base64.StdEncoding.EncodeToString(raw))) {
		t.Error("report.html lacks the sweep section with the heatmap")
	}
}

// heatmapCells counts the distinct colours, other than white, that fill a
// run of at least a tenth of the image's width on at least a tenth of its
// rows: a heatmap's cells, not its axes, labels, legend or the blended
// edges between cells.
func heatmapCells(img image.Image) int {
	b := img.Bounds()
	minRun := b.Dx() / 10
	rows := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		colours := map[color.RGBA]bool{}
		run, prev := 0, color.RGBA{}
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}
			if c == prev {
				run++
			} else {
				run, prev = 1, c
			}
			if run >= minRun && c != (color.RGBA{255, 255, 255, 255}) {
				colours[c] = true
			}
		}
		for c := range colours {
			rows[c]++
		}
	}
	n := 0
	for _, k := range rows {
		if k >= b.Dy()/10 {
			n++
		}
	}
	return n
}
