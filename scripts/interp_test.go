package scripts

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newTest(t *testing.T) (*Interp, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	in, err := New(Options{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	return in, &out
}

func eval(t *testing.T, in *Interp, src string) any {
	t.Helper()
	v, err := in.Eval(context.Background(), src)
	if err != nil {
		t.Fatalf("eval %q: %v", src, err)
	}
	if !v.IsValid() || !v.CanInterface() {
		return nil
	}
	return v.Interface()
}

func TestEvalKeepsDefinitions(t *testing.T) {
	in, out := newTest(t)
	eval(t, in, "x := 20")
	eval(t, in, "func double(v int) int { return 2 * v }")
	if got := eval(t, in, "double(x) + 2"); got != 42 {
		t.Fatalf("got %v", got)
	}
	eval(t, in, `import "fmt"`)
	eval(t, in, `fmt.Println("hello", x)`)
	if out.String() != "hello 20\n" {
		t.Fatalf("stdout %q", out.String())
	}
}

func TestWorkbenchPackagesImportable(t *testing.T) {
	in, _ := newTest(t)
	eval(t, in, `import (
	"workbench/frames"
	"github.com/shopspring/decimal"
	"gonum.org/v1/gonum/floats"
	"github.com/go-gota/gota/series"
)`)
	eval(t, in, `f := frames.New(60, 0)`)
	eval(t, in, `f.Add(60, 1, 2, 0.5, 1.5, 10)`)
	eval(t, in, `f.Add(120, 1.5, 3, 1, 2.5, 20)`)
	if got := eval(t, in, `floats.Sum(f.Close)`); got != 4.0 {
		t.Fatalf("sum of closes %v", got)
	}
	if got := eval(t, in, `decimal.RequireFromString("0.1").Add(decimal.RequireFromString("0.2")).String()`); got != "0.3" {
		t.Fatalf("decimal %v", got)
	}
	if got := eval(t, in, `series.Floats([]float64{1, 2}).Len()`); got != 2 {
		t.Fatalf("series %v", got)
	}
}

// Each of these made yaegi panic or fail obscurely (dependency probe §5);
// they must come back as errors naming the construct and the line, and the
// session must go on working.
func TestCrashInputsAreErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
		line            int
	}{
		{"deferred closure over a loop variable", "func f() {\n\tfor i := 0; i < 3; i++ {\n\t\tdefer func() { println(i) }()\n\t}\n}", "defer of a closure over a variable of the loop", 3},
		{"range func", "seq := func(yield func(int) bool) { yield(1) }\nfor x := range seq { _ = x }", "range over a function", 2},
		{"compiled generic type", "import \"sync/atomic\"\nvar p atomic.Pointer[int]", "atomic.Pointer is generic", 2},
		{"compiled generic func", "import \"gonum.org/v1/gonum/floats\"\n\nvar m = floats.Nope[int]", "floats.Nope is generic", 3},
	}
	in, _ := newTest(t)
	eval(t, in, "kept := 7")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := in.Eval(context.Background(), c.src)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want *Error, got %T %v", err, err)
			}
			if !strings.Contains(se.Msg, c.want) || se.Line != c.line {
				t.Fatalf("got %q (line %d), want %q on line %d", se.Msg, se.Line, c.want, c.line)
			}
			if got := eval(t, in, "kept + 1"); got != 8 {
				t.Fatalf("session lost: %v", got)
			}
		})
	}
}

// A range over a value the type check cannot see (the result of a
// compiled call) fails in yaegi with "nil type"; it is reported as the
// range statement, and the session goes on.
func TestRangeOverUnknownType(t *testing.T) {
	in, _ := newTest(t)
	eval(t, in, "n := 4")
	eval(t, in, `import "strings"`)
	_, err := in.Eval(context.Background(), "total := 0\nfor i := range strings.Count(\"aaa\", \"a\") { total += i }")
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "range over a value whose type is known only when the script runs") || se.Line != 2 {
		t.Fatalf("got %v", err)
	}
	if got := eval(t, in, "n * 2"); got != 8 {
		t.Fatalf("session lost: %v", got)
	}
}

func TestPanicBecomesErrorWithLine(t *testing.T) {
	in, out := newTest(t)
	eval(t, in, "func put(m map[string]int) {\n\tm[\"a\"] = 1\n}")
	_, err := in.EvalAt(context.Background(), "cell.go", 10, "var m map[string]int\nput(m)")
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("want *Error, got %T %v", err, err)
	}
	if !strings.Contains(se.Msg, "panic: assignment to entry in nil map") || se.Line == 0 || len(se.Trace) == 0 {
		t.Fatalf("got %+v", se)
	}
	if !strings.HasPrefix(se.Error(), "cell.go:") {
		t.Fatalf("error %q does not name the file", se.Error())
	}
	if strings.Contains(out.String(), "panic") {
		t.Fatalf("panic trace leaked to stderr: %q", out.String())
	}
	_, err = in.Eval(context.Background(), `panic("boom")`)
	if !errors.As(err, &se) || se.Msg != "panic: boom" || se.Line != 1 {
		t.Fatalf("got %v", err)
	}
	if got := eval(t, in, "1 + 1"); got != 2 {
		t.Fatal("session lost after panic")
	}
}

func TestCompileErrorLine(t *testing.T) {
	in, _ := newTest(t)
	_, err := in.EvalAt(context.Background(), "nb.go", 5, "a := 1\nb := a + \"x\"")
	var se *Error
	if !errors.As(err, &se) || se.Line != 6 || se.File != "nb.go" {
		t.Fatalf("got %#v", err)
	}
	_, err = in.Eval(context.Background(), "x := (")
	if !errors.As(err, &se) || se.Line != 1 {
		t.Fatalf("syntax error: %v", err)
	}
}

func TestCancelKeepsSession(t *testing.T) {
	in, _ := newTest(t)
	eval(t, in, "func fib(n int) int { if n < 2 { return n }; return fib(n-1) + fib(n-2) }")
	for _, src := range []string{"for {}", "i := 0\nfor { i++ }", "fib(60)"} {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		start := time.Now()
		_, err := in.Eval(ctx, src)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%q: got %v", src, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%q: cancellation took %v", src, d)
		}
		if got := eval(t, in, "fib(10)"); got != 55 {
			t.Fatalf("session lost after cancel: %v", got)
		}
	}
}

func TestRunFileArgs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hello.go")
	src := "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Println(os.Args[1:])\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	in, err := New(Options{Stdout: &out, Stderr: &out, Args: []string{path, "a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.RunFile(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if out.String() != "[a b]\n" {
		t.Fatalf("got %q", out.String())
	}
}

func TestComplete(t *testing.T) {
	for src, want := range map[string]bool{
		"x := 1":                   true,
		"func f() {":               false,
		"func f() {\n}":            true,
		"s := `abc":                false,
		"fmt.Println(1,":           false,
		"x := )":                   true, // an error, not an unfinished input
		"type T struct {\n\tA int": false,
		"":                         true,
	} {
		if got := Complete(src); got != want {
			t.Errorf("Complete(%q) = %v, want %v", src, got, want)
		}
	}
}

// A panic in a script's goroutine would end the process; it is reported
// instead, and go statements still evaluate their arguments at once.
func TestGoroutinePanicKeepsHost(t *testing.T) {
	in, out := newTest(t)
	eval(t, in, `import "time"`)
	eval(t, in, "go func() { panic(\"in a goroutine\") }()\ntime.Sleep(50 * time.Millisecond)")
	if !strings.Contains(out.String(), "panic in goroutine: in a goroutine") {
		t.Fatalf("output %q", out.String())
	}
	eval(t, in, "ch := make(chan int, 3)\nsend := func(v int) { ch <- v }\nfor i := 0; i < 3; i++ {\n\tgo send(i)\n}")
	if got := eval(t, in, "(<-ch) + (<-ch) + (<-ch)"); got != 3 {
		t.Fatalf("sum of sent loop indexes %v, want 0+1+2", got)
	}
}

func TestOSExitEndsOnlyTheScript(t *testing.T) {
	in, _ := newTest(t)
	eval(t, in, `import "os"`)
	_, err := in.Eval(context.Background(), "os.Exit(3)")
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 {
		t.Fatalf("got %v", err)
	}
	if got := eval(t, in, "2 + 2"); got != 4 {
		t.Fatal("session lost after os.Exit")
	}
}

// yaegi loses `a, b := f()` declared in a loop at the top level; the
// interpreter runs such statements in a function literal.
func TestMultiValueDefineInTopLevelLoop(t *testing.T) {
	in, out := newTest(t)
	eval(t, in, "import (\n\t\"fmt\"\n\t\"strings\"\n)")
	eval(t, in, "m := map[string]string{}")
	eval(t, in, "for _, s := range []string{\"a=1\", \"b=2\", \"c\"} {\n\tk, v, ok := strings.Cut(s, \"=\")\n\tif ok {\n\t\tm[k] = v\n\t}\n}")
	eval(t, in, "if k, v, ok := strings.Cut(\"x=9\", \"=\"); ok {\n\tfmt.Println(k, v)\n}")
	if got := eval(t, in, "len(m)"); got != 2 || out.String() != "x 9\n" {
		t.Fatalf("len(m) = %v, output %q", got, out.String())
	}
}

// session.Context is the running evaluation's context, for long compiled
// calls that should stop on Ctrl-C.
func TestSessionContextIsTheEvaluations(t *testing.T) {
	in, _ := newTest(t)
	eval(t, in, "import \"workbench/session\"")
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	want, _ := ctx.Deadline()
	v, err := in.Eval(ctx, "d, _ := session.Context().Deadline()\nd")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := v.Interface().(time.Time); !ok || !got.Equal(want) {
		t.Fatalf("deadline %v, want %v", v, want)
	}
}

// min at the top level made yaegi report a "constant definition loop"
// before min and max became the prelude's helpers.
func TestMinAtTopLevel(t *testing.T) {
	in, _ := newTest(t)
	eval(t, in, "x := min(1, 2)")
	eval(t, in, "y := max(x, 5)")
	if got := eval(t, in, "y"); got != 5 {
		t.Fatalf("got %v", got)
	}
}

// Input mixing declarations and statements runs as consecutive parts.
func TestMixedDeclarationsAndStatements(t *testing.T) {
	in, _ := newTest(t)
	v, err := in.EvalAt(context.Background(), "cell.go", 3, "func sq(x int) int {\n\treturn x * x\n}\n\ny := sq(4)\ntype P struct{ A int }\np := P{A: y}\np.A + 1")
	if err != nil || v.Interface() != 17 {
		t.Fatalf("got %v %v", v, err)
	}
	_, err = in.EvalAt(context.Background(), "cell.go", 3, "func f() int {\n\treturn 1\n}\n\nz := f() + \"x\"")
	var se *Error
	if !errors.As(err, &se) || se.Line != 7 {
		t.Fatalf("error in the second part: %v", err)
	}
}

// Panics yaegi raises through reflect read as Go's runtime errors, with
// the index and length where the operands are the session's variables.
func TestRuntimeErrorsInGoWords(t *testing.T) {
	in, _ := newTest(t)
	eval(t, in, "type T struct{ A int }\nvar p *T\nxs := []int{1, 2, 3}\ni := 5\nvar fn func()")
	eval(t, in, "func at(s []int, k int) int { return s[k] }")
	for src, want := range map[string]string{
		"p.A":         "panic: runtime error: invalid memory address or nil pointer dereference",
		"fn()":        "panic: runtime error: invalid memory address or nil pointer dereference",
		"xs[i]":       "panic: runtime error: index out of range [5] with length 3",
		"xs[len(xs)]": "panic: runtime error: index out of range [3] with length 3",
		"xs[-i+4]":    "panic: runtime error: index out of range [-1] with length 3",
		"\"ab\"[i-3]": "panic: runtime error: index out of range [2] with length 2",
		"at(xs, 7)":   "panic: runtime error: index out of range",
		"xs[1:i]":     "panic: runtime error: slice bounds out of range",
	} {
		_, err := in.Eval(context.Background(), src)
		var se *Error
		if !errors.As(err, &se) || se.Msg != want || se.Line != strings.Count(src, "\n")+1 {
			t.Errorf("%q: got %v, want %q on line %d", src, err, want, strings.Count(src, "\n")+1)
		}
	}
}
