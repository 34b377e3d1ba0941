package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// demoStep is one part of `workbench demo`. Capabilities register steps in
// init; they run in ascending order, each seeing what earlier ones made.
type demoStep struct {
	order int
	name  string
	run   func(ctx context.Context, d *demoRun) error
}

// demoRun is the state the demo's steps share.
type demoRun struct {
	env *env
	out io.Writer
	// Dir is the demo's output folder; StoreDir (Dir/store) holds its market data.
	Dir, StoreDir string
	// Markets are the fqmes the generator wrote, with their bar period in seconds.
	Markets []demoMarket
}

type demoMarket struct {
	FQME     string
	Period   int64
	Calendar string // crypto, us-equity or cme
}

var demoSteps []demoStep

func registerDemoStep(s demoStep) { demoSteps = append(demoSteps, s) }

func init() {
	register(&command{
		name:    "demo",
		usage:   "demo [-o DIR]",
		summary: "generate synthetic markets and run the whole workbench over them: gaps, indicators, a backtest, charts and a report",
		run:     runDemo,
	})
}

func runDemo(ctx context.Context, e *env, args []string) error {
	c := commands["demo"]
	fs := e.flags(c)
	out := fs.String("o", "", "output `DIR` (default: a new temporary folder)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		// A folder given without -o would otherwise be ignored and the
		// demo written to a temporary folder instead.
		return usagef("unexpected argument %q (the output folder is -o DIR)", pos[0])
	}
	dir := *out
	if dir == "" {
		d, err := os.MkdirTemp("", "workbench-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		dir = d
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo %s: %w", dir, err)
	}
	d := &demoRun{env: e, out: e.stdout, Dir: dir, StoreDir: filepath.Join(dir, "store")}
	steps := append([]demoStep(nil), demoSteps...)
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].order < steps[j].order })
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(d.out, "\n== %s ==\n", s.name)
		if err := s.run(ctx, d); err != nil {
			return fmt.Errorf("demo %s: %w", s.name, err)
		}
	}
	fmt.Fprintf(d.out, "\ndemo output in %s\n", dir)
	return nil
}
