package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"workbench/feeds"
	"workbench/frames"
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
		Start string
		Bars  int
		Stats struct {
			Trades int     `json:"trades"`
			Sharpe float64 `json:"sharpe"`
			Fees   string  `json:"fees"`
		}
		Fills []struct{ Price, Fee string }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, stdout)
	}
	if rep.Start != "2024-08-02T00:00:00Z" || rep.Bars != 28*24 || rep.Stats.Trades == 0 || len(rep.Fills) == 0 || rep.Stats.Fees == "0" {
		t.Fatalf("report %+v", rep)
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
	for _, name := range []string{"report.txt", "equity.csv"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Fatalf("%s: %v", name, err)
		}
	}
	code, stdout, stderr = runCLI(t, "backtest", "--store", store, "--fqme", "btcusdt.spot.binance", "--period", "1h",
		"--strategy", "sma-cross", "-o", "")
	if code != 0 || !strings.Contains(stdout, "Sharpe") || !strings.Contains(stdout, "max drawdown") {
		t.Fatalf("text output: exit %d\n%s%s", code, stdout, stderr)
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

// The demo step backtests every demo market from the store and writes a
// report for each.
func TestDemoBacktestStep(t *testing.T) {
	dir := t.TempDir()
	d := &demoRun{out: &bytes.Buffer{}, Dir: dir, StoreDir: filepath.Join(dir, "store")}
	st, err := frames.OpenStore(d.StoreDir)
	if err != nil {
		t.Fatal(err)
	}
	from := int64(1764547200) // 2025-12-01
	for _, m := range feeds.DemoMarkets() {
		if err := st.Write(m.FQME, feeds.GenerateBars(m, from, from+14*86400)); err != nil {
			t.Fatal(err)
		}
		d.Markets = append(d.Markets, demoMarket{FQME: m.FQME, Period: m.Period, Calendar: m.Calendar})
	}
	if err := demoBacktest(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	out := d.out.(*bytes.Buffer).String()
	for _, m := range d.Markets {
		if !strings.Contains(out, m.FQME) {
			t.Errorf("summary lacks %s:\n%s", m.FQME, out)
		}
		b, err := os.ReadFile(filepath.Join(dir, "backtest", m.FQME, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Bars    int
			Fills   []struct{ Price string }
			Rejects []struct{ Reason string }
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Bars == 0 || len(rep.Fills) == 0 || len(rep.Rejects) != 0 {
			t.Errorf("%s: %d bars, %d fills, rejects %v", m.FQME, rep.Bars, len(rep.Fills), rep.Rejects)
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
