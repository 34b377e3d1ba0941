package scripts

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"workbench/frames"
)

func newREPL(t *testing.T) (*REPL, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errb bytes.Buffer
	r, err := NewREPL(Options{Stdout: &out, Stderr: &errb}, false)
	if err != nil {
		t.Fatal(err)
	}
	return r, &out, &errb
}

func TestREPLMultiLineAndPrint(t *testing.T) {
	r, out, errb := newREPL(t)
	ctx := context.Background()
	for _, l := range []string{"func add(a,", "\tb int) int {", "\treturn a + b", "}"} {
		if r.Line(ctx, l) {
			t.Fatal("quit")
		}
	}
	r.Line(ctx, "add(40, 2)")
	r.Line(ctx, `decimal.RequireFromString("0.10").Mul(decimal.NewFromInt(3))`)
	r.Line(ctx, "xs := make([]int, 100)")
	r.Line(ctx, "xs")
	r.Line(ctx, `import "fmt"`)      // already imported: not an error
	r.Line(ctx, `fmt.Println("hi")`) // prints hi, not also its byte count
	r.Line(ctx, `fmt.Sprint("s")`)   // a value like any other
	r.Line(ctx, `n := 2; n * 21`)    // a trailing expression shows
	if errb.Len() > 0 {
		t.Fatalf("stderr: %s", errb.String())
	}
	want := "42\n0.3\n[0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 ... 80 more] (len 100)\nhi\n\"s\"\n42\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestREPLFrameTable(t *testing.T) {
	r, out, _ := newREPL(t)
	ctx := context.Background()
	r.Line(ctx, "f := frames.New(86400, 0)")
	r.Line(ctx, "for i := 0; i < 12; i++ { f.Add(int64(i)*86400, 1, 2, 0.5, float64(i), 10) }")
	r.Line(ctx, "f")
	s := out.String()
	for _, w := range []string{"OHLCV 1d, 12 rows", "1970-01-01", "1970-01-12", "..."} {
		if !strings.Contains(s, w) {
			t.Fatalf("frame table lacks %q:\n%s", w, s)
		}
	}
	if strings.Contains(s, "1970-01-06") {
		t.Fatalf("middle rows printed:\n%s", s)
	}
	// A sum with binary rounding noise prints as the number a person means;
	// small sizes stay in plain notation.
	out.Reset()
	r.Line(ctx, "g := frames.New(60, 0)")
	r.Line(ctx, "g.Add(0, 0.1+0.2, 457.62843+1e-13, 0.00001, 0.3, 123456789.5)")
	r.Line(ctx, "g")
	if s := out.String(); !strings.Contains(s, " 0.3 ") || !strings.Contains(s, " 457.62843 ") ||
		!strings.Contains(s, " 0.00001 ") || !strings.Contains(s, " 123456789.5") {
		t.Fatalf("numbers in the table:\n%s", s)
	}
}

// A list of records prints as a table: a column per exported field, the
// first and last rows of a long one.
func TestREPLRecordTable(t *testing.T) {
	r, out, errb := newREPL(t)
	ctx := context.Background()
	r.Line(ctx, "xs := make([]frames.SeriesInfo, 30)")
	r.Line(ctx, `for i := range xs { xs[i] = frames.SeriesInfo{FQME: fmt.Sprint("m", i), Period: 60, Rows: int64(i * 10)} }`)
	r.Line(ctx, "xs")
	if errb.Len() > 0 {
		t.Fatal(errb.String())
	}
	lines := strings.Split(out.String(), "\n")
	if lines[0] != "30 × frames.SeriesInfo" || !strings.Contains(lines[1], "FQME") || !strings.Contains(lines[1], "Rows") {
		t.Fatalf("table head:\n%s", out.String())
	}
	if f := strings.Fields(lines[2]); len(f) < 4 || f[0] != "0" || f[1] != "m0" || f[2] != "60" || f[3] != "0" {
		t.Fatalf("row 0: %q", lines[2])
	}
	if f := strings.Fields(lines[len(lines)-2]); len(f) < 4 || f[0] != "29" || f[1] != "m29" || f[3] != "290" {
		t.Fatalf("last row: %q", lines[len(lines)-2])
	}
	if strings.Contains(out.String(), "m15") || !strings.Contains(out.String(), "...") {
		t.Fatalf("middle rows printed:\n%s", out.String())
	}
}

func TestREPLCommands(t *testing.T) {
	r, out, errb := newREPL(t)
	ctx := context.Background()
	r.Line(ctx, ":doc frames.OHLCV.Add")
	if !strings.Contains(out.String(), "func (f *OHLCV) Add(") {
		t.Fatalf(":doc: %q", out.String())
	}
	out.Reset()
	r.Line(ctx, ":time 1 + 1")
	if !strings.HasPrefix(out.String(), "2\ntook ") {
		t.Fatalf(":time: %q", out.String())
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "lib.go")
	os.WriteFile(file, []byte("package main\n\nimport \"fmt\"\n\nfunc greet() string { return fmt.Sprint(\"hi\") }\n"), 0o644)
	r.Line(ctx, ":load "+file)
	out.Reset()
	r.Line(ctx, "greet()")
	if out.String() != "\"hi\"\n" || errb.Len() > 0 {
		t.Fatalf("after :load: %q %q", out.String(), errb.String())
	}
	r.Line(ctx, "kept := 1")
	r.Line(ctx, ":reset")
	errb.Reset()
	r.Line(ctx, "kept")
	if !strings.Contains(errb.String(), "undefined: kept") {
		t.Fatalf("after :reset: %q", errb.String())
	}
	if !r.Line(ctx, ":quit") {
		t.Fatal(":quit did not quit")
	}
}

func TestREPLCompletion(t *testing.T) {
	r, _, _ := newREPL(t)
	r.Line(context.Background(), "myFrame := 1")
	got := func(line string) []string {
		c, _ := r.Do([]rune(line), len(line))
		var s []string
		for _, x := range c {
			s = append(s, string(x))
		}
		return s
	}
	if c := got("frames.OpenSt"); len(c) != 1 || c[0] != "ore" {
		t.Fatalf("member completion %v", c)
	}
	if c := got("x := myF"); len(c) != 1 || c[0] != "rame" {
		t.Fatalf("session name completion %v", c)
	}
	if c := got("deci"); len(c) != 1 || c[0] != "mal" {
		t.Fatalf("package completion %v", c)
	}
	r.Line(context.Background(), "bars := frames.New(60, 0)")
	if c := got("bars.Clo"); len(c) != 2 || c[0] != "ne" || c[1] != "se" {
		t.Fatalf("member of a session value %v", c)
	}
	if c := got(":he"); len(c) != 1 || c[0] != "lp" {
		t.Fatalf("command completion %v", c)
	}
}

// A func main typed or loaded in a session runs once, not after every input.
func TestREPLMainRunsOnce(t *testing.T) {
	r, out, errb := newREPL(t)
	ctx := context.Background()
	r.Line(ctx, `func main() { fmt.Println("main ran") }`)
	r.Line(ctx, "x := 1")
	r.Line(ctx, "x + 1")
	if out.String() != "main ran\n2\n" || errb.Len() > 0 {
		t.Fatalf("out %q err %q", out.String(), errb.String())
	}
}

// The journal holds the inputs that succeeded; replaying it in a new
// session brings back their definitions (what a supervisor does after a
// fault ended the process).
func TestREPLJournalReplay(t *testing.T) {
	r, _, errb := newREPL(t)
	var journal bytes.Buffer
	r.Journal = &journal
	ctx := context.Background()
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.go")
	os.WriteFile(lib, []byte("package main\n\nfunc triple(v int) int { return 3 * v }\n"), 0o644)
	for _, l := range []string{"x := 20", "nope + 1", "func add(a, b int) int {", "return a + b", "}", ":load " + lib, `import "strconv"`, `panic("not kept")`} {
		r.Line(ctx, l)
	}
	if !strings.Contains(errb.String(), "undefined: nope") {
		t.Fatalf("stderr %q", errb.String())
	}
	r2, out2, errb2 := newREPL(t)
	n, err := r2.Replay(ctx, &journal)
	if err != nil || n != 4 {
		t.Fatalf("replayed %d, %v; stderr %q", n, err, errb2.String())
	}
	out2.Reset()
	r2.Line(ctx, "add(x, triple(1)) + len(strconv.Itoa(100))")
	if out2.String() != "26\n" || errb2.Len() > 0 {
		t.Fatalf("after replay: %q %q", out2.String(), errb2.String())
	}
}

// A call returning several values shows them all; a failed one shows its
// error, not "<nil frame>".
func TestREPLMultipleResults(t *testing.T) {
	store := t.TempDir()
	t.Setenv("WORKBENCH_STORE", store)
	_, want := frames.Load("nope.spot.x", "1h")
	if want == nil {
		t.Fatal("frames.Load of a missing series did not fail")
	}
	r, out, errb := newREPL(t)
	ctx := context.Background()
	r.Line(ctx, `frames.Load("nope.spot.x", "1h")`)
	r.Line(ctx, `import "strconv"`)
	r.Line(ctx, `strconv.Atoi("12")`)
	r.Line(ctx, `strconv.Atoi("x")`)
	r.Line(ctx, "st, _ := frames.OpenStore("+strconv.Quote(store)+")") // a method of a session variable
	r.Line(ctx, `st.Periods("nope.spot.x")`)
	_, atoiErr := strconv.Atoi("x")
	wantOut := "error: " + want.Error() + "\n12, <nil>\nerror: " + atoiErr.Error() + "\n[]int64(nil), <nil>\n"
	if out.String() != wantOut || errb.Len() > 0 {
		t.Fatalf("got %q (stderr %q), want %q...", out.String(), errb.String(), wantOut)
	}
}

// A chart prints as a summary of its panes and series.
func TestREPLChartSummary(t *testing.T) {
	r, out, errb := newREPL(t)
	ctx := context.Background()
	for _, l := range []string{
		"f := frames.New(60, 0)",
		"for i := range 5000 { f.Add(int64(i)*60, 1, 2, 0.5, 1.5, 10) }",
		`c := plots.NewChart("btc")`,
		`p := c.AddPane("price", 3)`,
		`s := p.Candles("btc", f)`,
		`l := p.Line("ema", f.Time, fsp.EMA(f.Close, 20))`,
		"c",
	} {
		r.Line(ctx, l)
	}
	want := "chart \"btc\": 1 panes, 1600×900\n  1. pane \"price\": candles \"btc\" (5000 bars), line \"ema\" (5000 points)\n"
	if out.String() != want || errb.Len() > 0 {
		t.Fatalf("got %q (stderr %q), want %q", out.String(), errb.String(), want)
	}
}
