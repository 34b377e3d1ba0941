package kernel

import (
	"context"
	"testing"
)

type nopOutput struct{}

func (nopOutput) Stream(string, string)              {}
func (nopOutput) Display(Bundle, string, bool)       {}
func (nopOutput) Clear(bool)                         {}
func (nopOutput) Input(string, bool) (string, error) { return "", ErrNoStdin }

// BenchmarkScriptsEngineExecute is the engine's share of a trivial cell's
// round trip (the kernel's is measured through Jupyter by
// BenchmarkJupyterKernel in cmd/workbench).
func BenchmarkScriptsEngineExecute(b *testing.B) {
	e, err := NewScriptsEngine(b.TempDir(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Execute(context.Background(), "1 + 1", nopOutput{}); err != nil {
			b.Fatal(err)
		}
	}
}
