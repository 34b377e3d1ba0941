package scripts

import (
	"context"
	"io"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// evalSeeds are inputs that once crashed or wedged yaegi, plus ordinary
// ones for the fuzzer to mutate.
var evalSeeds = []string{
	"for i := range 10 { _ = i }",
	"n := 3\nfor i := range n { _ = i }",
	"f := func(yield func(int) bool) {}\nfor x := range f { _ = x }",
	"import \"sync/atomic\"\nvar p atomic.Pointer[int]",
	"type B[T any] struct{ v T }\nvar b B[int]\nb.v = 1",
	"func G[T int | float64](a, b T) T { if a > b { return a }; return b }\nG(1, 2)",
	"x := min(1, 2)",
	"var m map[string]int\nm[\"a\"] = 1",
	"var p *struct{ X int }\np.X = 1",
	"a := []int{1}\n_ = a[5]",
	"z := 0\n_ = 1 / z",
	"panic(\"boom\")",
	"go func() { panic(\"in goroutine\") }()",
	"func r(n int) int { return r(n + 1) }\nr(0)",
	"for {}",
	"import \"os\"\nos.Exit(1)",
	"ch := make(chan int)\n<-ch",
	"import \"workbench/frames\"\nf := frames.New(60, 0)\nf.Add(60, 1, 2, 0, 1, 5)\nf.Len()",
	"import \"github.com/shopspring/decimal\"\ndecimal.RequireFromString(\"x\")",
	"type S struct{ A int }\nfunc (s S) String() string { return \"s\" }\nS{1}",
	"var x interface{} = 1\n_ = x.(string)",
	"s := []int{}\nfor i := 0; i < 10; i++ { s = append(s, i) }\ns",
	"switch x := 5; { case x > 3: println(\"big\") }",
	"select {}",
	"defer func() { recover() }()\npanic(1)",
	"label: for { break label }",
	"func (",
	"}}}{{{",
	"package main\nfunc main() { panic(2) }",
}

// evalNeverCrashes runs src in a fresh interpreter under a short deadline.
// Any error is fine; a panic escaping Eval, or Eval not returning soon after
// the deadline, is not.
func evalNeverCrashes(t *testing.T, src string) {
	in, err := New(Options{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.Eval(ctx, src)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("Eval did not return for %q", src)
	}
}

func FuzzEval(f *testing.F) {
	for _, s := range evalSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		evalNeverCrashes(t, src)
	})
}

// fragments are pieces of Go that generated snippets are glued from,
// well-formed or not.
var fragments = []string{
	"x := 1", "x++", "var s []int", "s = append(s, x)", "_ = s[x]", "m := map[int]int{}", "m[x] = x",
	"for i := range x {", "for i := 0; i < x; i++ {", "}", "{", "if x > 0 {", "} else {", "go func() {", "}()",
	"defer func() { recover() }()", "panic(x)", "func f() int {", "return x", "f()", "type T struct{ A int }",
	"var t *T", "t.A = 1", "import \"fmt\"", "fmt.Println(x)", "x = x / 0", "ch := make(chan int, 1)", "ch <- 1",
	"<-ch", "close(ch)", "var i interface{} = x", "_ = i.(string)", "type G[T any] struct{ v T }", "var g G[int]",
	"switch {", "case x > 1:", "default:", "select {", "case <-ch:", "for {", "break", "continue", "goto L", "L:",
	"func(yield func(int) bool) {}", "x := min(x, 2)", "import \"sync/atomic\"", "var ap atomic.Pointer[int]",
}

// Generated snippets never take the host down.
func TestEvalGeneratedSnippets(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	n := 300
	if testing.Short() {
		n = 50
	}
	for _, s := range evalSeeds {
		evalNeverCrashes(t, s)
	}
	for k := 0; k < n; k++ {
		var b strings.Builder
		for j := 0; j < 1+r.Intn(8); j++ {
			b.WriteString(fragments[r.Intn(len(fragments))])
			b.WriteByte('\n')
		}
		evalNeverCrashes(t, b.String())
	}
}
