package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"workbench/internal/natstest"
)

// writerScript is sweepScript that, with fast=6, writes to the bars the
// jobs of a sweep share: without protection every job after it would
// read the changed closes.
var writerScript = strings.Replace(sweepScript, "\tif n < Params.Slow {\n", "\tif Params.Fast == 6 && n > 0 {\n\t\tbars.Close[n-1] = 1\n\t}\n\tif n < Params.Slow {\n", 1)

// checkSharedWrite compares the results of a sweep of writerScript (in
// dir got) with those of sweepScript (in dir want): the rows of fast=6
// are failed, every other row is the same to the byte.
func checkSharedWrite(t *testing.T, want, got, summary, script string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("bars are shared read-only on unix only")
	}
	a, b := readCSV(t, filepath.Join(want, "results.csv")), readCSV(t, filepath.Join(got, "results.csv"))
	if len(a) != len(b) || len(a) != 9 {
		t.Fatalf("%d and %d CSV records, want 9", len(a), len(b))
	}
	failed := 0
	for i := range a {
		if i > 0 && a[i][0] == "6" {
			if a[i][3] == "" || strings.Join(b[i][3:], "") != "" {
				t.Errorf("row %v: want the clean sweep's stats and none from the writer, got %v", a[i], b[i])
			}
			failed++
			continue
		}
		if strings.Join(a[i], ",") != strings.Join(b[i], ",") {
			t.Errorf("row %d: %v, want %v", i, b[i], a[i])
		}
	}
	if failed != 2 {
		t.Fatalf("%d rows of fast=6, want 2", failed)
	}
	for _, s := range []string{"2 of 8 backtests failed", script, "fast=6 slow=", "wrote to the sweep's shared bars, which are read-only"} {
		if !strings.Contains(summary, s) {
			t.Errorf("the summary does not say %q:\n%s", s, summary)
		}
	}
}

// writerSweeps writes the clean sweep script and the writer into a
// directory and runs the clean one locally into want: the rows every
// sweep of the writer must match outside the writer's own.
func writerSweeps(t *testing.T) (store, dir, clean, writer, want string) {
	store, dir = backtestStore(t), t.TempDir()
	clean, writer, want = filepath.Join(dir, "clean.go"), filepath.Join(dir, "writer.go"), filepath.Join(dir, "want")
	for path, src := range map[string]string{clean: sweepScript, writer: writerScript} {
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, se := runCLI(t, sweepArgs(store, clean, want, 1)...); code != 0 {
		t.Fatalf("clean sweep: %s", se)
	}
	return store, dir, clean, writer, want
}

// A script that writes to the bars in a sweep fails those jobs with an
// error naming it, the combination and the write; the other jobs read the
// bars as they are in the store. A plain backtest has bars of its own and
// may write to them.
func TestSweepScriptWritingToSharedBars(t *testing.T) {
	store, dir, _, writer, want := writerSweeps(t)
	// The same writer as a type NewStrategy returns.
	typed := filepath.Join(dir, "typed.go")
	os.WriteFile(typed, []byte(strings.Replace(writerScript, "func OnBar(", "func onBar(", 1)+`
type strategy struct{}

func (strategy) OnBar(c *paper.Context, b feeds.BarEvent) { onBar(c, b) }

func NewStrategy() paper.Strategy { return strategy{} }
`), 0o644)
	for _, script := range []string{writer, typed} {
		// One worker runs the jobs in order: the rows after fast=6's
		// would be the first to see a change.
		got := filepath.Join(dir, "got-"+filepath.Base(script))
		code, so, se := runCLI(t, sweepArgs(store, script, got, 1)...)
		if code != 0 {
			t.Fatalf("sweep of %s: exit %d: %s", script, code, se)
		}
		checkSharedWrite(t, want, got, so, script)
	}
	code, _, se := runCLI(t, "backtest", writer, "--store", store, "--fqme", "btcusdt.spot.binance", "--period", "1h",
		"--set", "fast=6", "--json", "-o", "")
	if code != 0 {
		t.Fatalf("a plain backtest of the writer: exit %d: %s", code, se)
	}
}

// The same through a NATS worker that keeps the series between sweeps: the
// writer's jobs fail, and a clean sweep after it on the same worker reads
// the kept series unchanged.
func TestNATSWorkerScriptWritingToSharedBars(t *testing.T) {
	url := natstest.Start(t)
	store, dir, clean, writer, want := writerSweeps(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wlog := inProcessWorker(t, ctx, url, "--keep-series", "1")
	sweepNATS := func(script, out string) string {
		var so, se bytes.Buffer
		if code := run(ctx, append(sweepArgs(store, script, out, 1), "--nats", url), strings.NewReader(""), &so, &se); code != 0 {
			t.Fatalf("nats sweep of %s: exit %d: %s\nworker: %s", script, code, se.String(), wlog.String())
		}
		return so.String()
	}
	got := filepath.Join(dir, "got")
	checkSharedWrite(t, want, got, sweepNATS(writer, got), writer)
	again := filepath.Join(dir, "again")
	sweepNATS(clean, again)
	for _, name := range []string{"results.csv", "results.parquet"} {
		a, _ := os.ReadFile(filepath.Join(want, name))
		b, err := os.ReadFile(filepath.Join(again, name))
		if err != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s: the clean sweep after the writer differs from the local one (%v)", name, err)
		}
	}
}
