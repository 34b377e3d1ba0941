package scripts

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"
)

// Each program in testdata/gosem must print under the interpreter exactly
// what `go run` prints: the go tool is the reference for Go 1.22 semantics.
func TestGoSemanticsMatchGoRun(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: no reference to compare with")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "gosem", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in testdata/gosem: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cmd := exec.Command(goTool, "run", file)
			want, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go run %s: %v\n%s", file, err, want)
			}
			var out bytes.Buffer
			in, err := New(Options{Stdout: &out, Stderr: &out})
			if err != nil {
				t.Fatal(err)
			}
			if err := in.RunFile(context.Background(), file); err != nil {
				t.Fatalf("interpreter: %v\noutput so far:\n%s", err, out.String())
			}
			if out.String() != string(want) {
				t.Fatalf("interpreter printed\n%s\ngo run printed\n%s", out.String(), want)
			}
		})
	}
}

// At the prompt, the rewrites see the session: a range over a variable
// from an earlier input, and a min the session defined itself.
func TestGoSemanticsAtThePrompt(t *testing.T) {
	in, out := newTest(t)
	eval(t, in, "n := 4")
	eval(t, in, "total := 0\nfor i := range n { total += i }")
	if got := eval(t, in, "total"); got != 6 {
		t.Fatalf("total %v", got)
	}
	eval(t, in, "var fs []func() int\nfor i := 0; i < 3; i++ { fs = append(fs, func() int { return i }) }")
	if got := eval(t, in, "fs[0]() + 10*fs[1]() + 100*fs[2]()"); got != 210 {
		t.Fatalf("closures over a loop variable: %v", got)
	}
	if got := eval(t, in, "max(n, 9, 2)"); got != 9 {
		t.Fatalf("max %v", got)
	}
	eval(t, in, `func min(a, b string) string { return "mine" }`)
	if got := eval(t, in, `min("x", "y")`); got != "mine" {
		t.Fatalf("the session's own min: %v", got)
	}
	if out.Len() > 0 {
		t.Fatalf("output %q", out.String())
	}
}
