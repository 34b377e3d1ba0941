package scripts

import (
	"bytes"
	"context"
	"go/ast"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/mkt"
	"workbench/paper"
)

func loopConfig(t *testing.T, bars int) paper.BacktestConfig {
	t.Helper()
	pair, err := mkt.ParseFQME("btcusdt.spot.binance")
	if err != nil {
		t.Fatal(err)
	}
	pair.PriceTick, pair.SizeTick = decimal.RequireFromString("0.01"), decimal.RequireFromString("0.001")
	return paper.BacktestConfig{Series: []paper.Series{{Market: pair, Bars: walkBars(bars)}}, Fees: paper.BpsFees(2, 10), Calendar: "crypto"}
}

// run loads the strategy script at path into a fresh interpreter and
// backtests it, bar by bar (its OnBar called for each bar) or not (its
// OnBar inlined into a loop, which must have been possible); it returns
// the files the backtest writes, and the script's output.
func run(t *testing.T, cfg paper.BacktestConfig, path string, set []paper.Setting, barByBar bool) (files map[string][]byte, stdout, stderr string, err error) {
	t.Helper()
	var out, errs bytes.Buffer
	s, err := LoadStrategyWith(context.Background(), path, Options{Stdout: &out, Stderr: &errs}, set)
	if err != nil {
		t.Fatal(err)
	}
	f := s.(*paper.Funcs)
	if barByBar {
		f.LoopFunc = nil
	} else if f.LoopFunc == nil {
		t.Fatalf("%s: OnBar was not made a loop", path)
	}
	res, err := paper.Backtest(cfg, f)
	if err != nil {
		return nil, out.String(), errs.String(), err
	}
	dir := t.TempDir()
	if err := res.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	files = map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if files[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if len(res.Fills) < 20 {
		t.Fatalf("%s: only %d fills", path, len(res.Fills))
	}
	return files, out.String(), errs.String(), nil
}

// An OnBar script inlined into a loop writes the same report, ledger,
// account and equity curve, byte for byte, and prints the same output, as
// the same script called bar by bar: for the crossover, a strategy trading
// and reading the account on every bar, one returning from inside loops,
// a switch and a select, the RSI example with its fill handler and stop
// orders, and a crossover reading the parameters a sweep sets.
func TestBarLoopMatchesPerCall(t *testing.T) {
	cfg := loopConfig(t, 6000)
	params := filepath.Join(t.TempDir(), "params.go")
	if err := os.WriteFile(params, []byte(paramsScript), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		set  []paper.Setting
	}{
		{"../paper/testdata/sma_cross.go", nil}, {"testdata/strategy/every_bar.go", nil}, {"testdata/strategy/early_returns.go", nil},
		{"../examples/strategy/rsi_revert.go", nil}, {"testdata/strategy/locals.go", nil},
		// Settings are assigned after the file has loaded; the loop reads them as OnBar does.
		{params, []paper.Setting{{Name: "fast", Value: 5}, {Name: "slow", Value: 20}, {Name: "size", Value: 0.5}}},
	} {
		path := c.path
		want, wantOut, _, err := run(t, cfg, path, c.set, true)
		if err != nil {
			t.Fatalf("%s bar by bar: %v", path, err)
		}
		got, gotOut, _, err := run(t, cfg, path, c.set, false)
		if err != nil {
			t.Fatalf("%s as a loop: %v", path, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: files %d as a loop, %d bar by bar", path, len(got), len(want))
		}
		for name, b := range want {
			if !bytes.Equal(got[name], b) {
				t.Errorf("%s: %s differs as a loop:\n%.2000s\nbar by bar:\n%.2000s", path, name, got[name], b)
			}
		}
		if gotOut != wantOut {
			t.Errorf("%s printed\n%.2000s\nas a loop, and\n%.2000s\nbar by bar", path, gotOut, wantOut)
		}
	}
}

// A script's panic inside the loop ends the backtest with the error it
// ends it with bar by bar, naming the same bar, and the interpreter's
// report still names the script file and OnBar's first line: in a
// statement that calls, and in one that calls nothing (the loop tells the
// backtest its bar only before calls, and on the way out of a panic).
func TestBarLoopPanicNamesScript(t *testing.T) {
	cfg := loopConfig(t, 3000)
	for _, c := range []struct{ path, panic, line string }{
		{"testdata/strategy/panics.go", "index out of range", "panics.go:12:"},
		{"testdata/strategy/panics_quietly.go", "assignment to entry in nil map", "panics_quietly.go:16:"},
	} {
		_, _, wantErrs, want := run(t, cfg, c.path, nil, true)
		_, _, gotErrs, got := run(t, cfg, c.path, nil, false)
		if want == nil || got == nil || got.Error() != want.Error() || !strings.Contains(got.Error(), c.panic) {
			t.Fatalf("%s as a loop: %v; bar by bar: %v", c.path, got, want)
		}
		for _, errs := range []string{wantErrs, gotErrs} {
			if !strings.Contains(errs, c.line) {
				t.Errorf("the interpreter's report %q does not name %s, OnBar's first line", errs, c.line)
			}
		}
	}
}

// An OnBar whose body cannot run inside a loop is called bar by bar, and
// trades as it should: recovers.go, which recovers its own panics in a
// deferred closure, trades as the compiled crossover.
func TestBarLoopFallsBack(t *testing.T) {
	cfg := loopConfig(t, 3000)
	s, err := LoadStrategy(context.Background(), "testdata/strategy/recovers.go", Options{Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if s.(*paper.Funcs).LoopFunc != nil {
		t.Fatal("an OnBar with a deferred recover was made a loop")
	}
	got, err := paper.Backtest(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	want, err := paper.Backtest(cfg, &paper.SMACross{Fast: 10, Slow: 30, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Fills) < 20 || len(got.Fills) != len(want.Fills) || !got.FinalCash.Equal(want.FinalCash) {
		t.Fatalf("script: %d fills, cash %s; compiled: %d fills, cash %s", len(got.Fills), got.FinalCash, len(want.Fills), want.FinalCash)
	}
}

// Each body that would run differently inside a loop keeps OnBar bar by
// bar; the plain ones are made loops.
func TestBarLoopInlinable(t *testing.T) {
	const head = "package main\n\nimport (\n\t\"workbench/feeds\"\n\t\"workbench/paper\"\n)\n\nvar keep []func() float64\nvar bars []*feeds.BarEvent\nvar ctxs []**paper.Context\n\n"
	dir := t.TempDir()
	for i, c := range []struct {
		body string
		loop bool
	}{
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tif b.Index > 3 {\n\t\treturn\n\t}\n\tc.Target(b.FQME, 1)\n}\n", true},
		{"func OnBar(_ *paper.Context, _ feeds.BarEvent) {}\n", true},
		{"func OnBar(*paper.Context, feeds.BarEvent) {}\n", true},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tkeep = append(keep, func() float64 { return b.Bar.Close })\n}\n", false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tdefer c.Target(b.FQME, 0)\n}\n", false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tgo c.Markets()\n}\n", false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tif b.Index > 0 {\n\t\tgoto end\n\t}\nend:\n}\n", false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tbars = append(bars, &b)\n}\n", false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tctxs = append(ctxs, &c)\n}\n", false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tif b.Index > 0 {\n\t\tc = nil\n\t}\n}\n", false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tc, n := c, 1\n\t_ = n\n}\n", false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\t_ = recover()\n}\n", false},
	} {
		path := filepath.Join(dir, "s.go")
		if err := os.WriteFile(path, []byte(head+c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := LoadStrategy(context.Background(), path, Options{})
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if loop := s.(*paper.Funcs).LoopFunc != nil; loop != c.loop {
			t.Errorf("made a loop: %v, want %v, for\n%s", loop, c.loop, c.body)
		}
	}
}

// OnBar's definitions become assignments to variables declared before the
// loop, except those whose variable the body may hold beyond its bar or
// the loop cannot name the type of: the names still defined in the loop.
// The bar is copied into b only for a body that writes to it or uses it
// whole.
func TestBarLoopHoists(t *testing.T) {
	const head = "package main\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n\n\t\"workbench/feeds\"\n\t\"workbench/paper\"\n)\n\nvar keep []*float64\nvar sink string\n\n"
	dir := t.TempDir()
	for _, c := range []struct {
		body    string
		defined []string
		copies  bool
	}{
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tb.Bar.Close++\n\tsink = b.FQME\n}\n", nil, true},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tsink = fmt.Sprint(b)\n}\n", nil, true},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tx := b.Bar.Close\n\tvar n int\n\tfor i := 0; i < 2; i++ {\n\t\tn += i\n\t}\n\tfq, eq := b.FQME, c.Equity()\n\tc.Target(fq, x*eq*float64(n))\n}\n", nil, false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tx := b.Bar.Close\n\tkeep = append(keep, &x)\n}\n", []string{"x"}, false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tvar sb strings.Builder\n\tsb.WriteString(b.FQME)\n\tsink = sb.String()\n}\n", []string{"sb"}, false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\ttype pt struct{ x float64 }\n\tp := pt{b.Bar.Close}\n\tsink = b.FQME\n\t_ = p\n}\n", []string{"p"}, false},
		{"func OnBar(c *paper.Context, b feeds.BarEvent) {\n\tswitch v := any(b.Index).(type) {\n\tcase int:\n\t\tw := v + 1\n\t\t_ = w\n\t}\n}\n", []string{"v"}, false},
	} {
		path := filepath.Join(dir, "s.go")
		if err := os.WriteFile(path, []byte(head+c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		in, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := in.LoadFile(context.Background(), path); err != nil {
			t.Fatal(err)
		}
		var on *ast.FuncDecl
		for _, d := range in.file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "OnBar" {
				on = fd
			}
		}
		fn := loopDecl(on, in.hoistDefs(in.file, on))
		var defined []string
		copies := false
		ast.Inspect(fn.Body.List[len(fn.Body.List)-1], func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Name == "b" {
					copies = true
				}
				for _, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok && n.Tok == token.DEFINE && id.Name != "_wbK" {
						defined = append(defined, id.Name)
					}
				}
			case *ast.ValueSpec:
				for _, name := range n.Names {
					defined = append(defined, name.Name)
				}
			}
			return true
		})
		if !slices.Equal(defined, c.defined) || copies != c.copies {
			t.Errorf("defined in the loop: %q, want %q; copies the bar: %v, want %v; for\n%s", defined, c.defined, copies, c.copies, c.body)
		}
	}
}
