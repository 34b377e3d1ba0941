package scripts

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkNew is the in-process cost of a ready interpreter.
func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := New(Options{Stdout: io.Discard, Stderr: io.Discard}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewREPL adds the REPL's default imports.
func BenchmarkNewREPL(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := NewREPL(Options{Stdout: io.Discard, Stderr: io.Discard}, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScriptCallsCompiled is an interpreted loop calling a compiled
// function (frames.FormatPeriod) b.N times; compare the empty loop.
func BenchmarkScriptCallsCompiled(b *testing.B) {
	in, _ := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	ctx := context.Background()
	if _, err := in.Eval(ctx, "import \"workbench/frames\"\nfunc loop(n int) { for i := 0; i < n; i++ { frames.FormatPeriod(60) } }"); err != nil {
		b.Fatal(err)
	}
	v, err := in.Eval(ctx, "loop")
	if err != nil {
		b.Fatal(err)
	}
	loop := v.Interface().(func(int))
	b.ResetTimer()
	loop(b.N)
}

// BenchmarkScriptEmptyLoop is the interpreted loop alone.
func BenchmarkScriptEmptyLoop(b *testing.B) {
	in, _ := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	ctx := context.Background()
	if _, err := in.Eval(ctx, "func loop(n int) { s := 0; for i := 0; i < n; i++ { s += i } }"); err != nil {
		b.Fatal(err)
	}
	v, _ := in.Eval(ctx, "loop")
	loop := v.Interface().(func(int))
	b.ResetTimer()
	loop(b.N)
}

// BenchmarkCompiledCallsScript is compiled code calling a script callback.
func BenchmarkCompiledCallsScript(b *testing.B) {
	in, _ := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	ctx := context.Background()
	if _, err := in.Eval(ctx, "func onBar(close float64) float64 { return close * 2 }"); err != nil {
		b.Fatal(err)
	}
	v, _ := in.Eval(ctx, "onBar")
	fn := v.Interface().(func(float64) float64)
	b.ResetTimer()
	s := 0.0
	for i := 0; i < b.N; i++ {
		s += fn(float64(i))
	}
	_ = s
}

// BenchmarkEvalExpr is one REPL round trip: parse, guard, compile, run.
func BenchmarkEvalExpr(b *testing.B) {
	in, _ := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	ctx := context.Background()
	in.Eval(ctx, "x := 20")
	for i := 0; i < b.N; i++ {
		if _, err := in.Eval(ctx, "x*2 + 2"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkREPLLineJournal is one REPL input with the session journal a
// supervised REPL keeps, against the same input without it (the anchor).
func BenchmarkREPLLineJournal(b *testing.B) {
	dir := b.TempDir()
	for _, journaled := range []bool{false, true} {
		name := "no-journal"
		if journaled {
			name = "journal"
		}
		b.Run(name, func(b *testing.B) {
			r, err := NewREPL(Options{Stdout: io.Discard, Stderr: io.Discard}, false)
			if err != nil {
				b.Fatal(err)
			}
			if journaled {
				f, err := os.Create(filepath.Join(dir, "journal"))
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				r.Journal = f
			}
			ctx := context.Background()
			r.Line(ctx, "x := 0")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.Line(ctx, "x = x + 1")
			}
		})
	}
}
