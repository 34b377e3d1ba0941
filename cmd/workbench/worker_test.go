package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"workbench/frames"
	"workbench/internal/natstest"
	"workbench/internal/oracle"
	"workbench/sweep"
	"workbench/sweep/natsq"
)

// writeSlowScript writes to dir the sweep script with a pause of the given
// milliseconds in Start, so that each job takes long enough for a worker
// to be stopped in the middle of one, and returns its path.
func writeSlowScript(t *testing.T, dir string, ms int) string {
	t.Helper()
	script := filepath.Join(dir, "slow.go")
	src := strings.Replace(sweepScript, `var sums = map[string][]float64{}`, fmt.Sprintf(`func Start(c *paper.Context) error {
	time.Sleep(%d * time.Millisecond)
	return nil
}`, ms), 1)
	src = strings.Replace(src, "import (\n", "import (\n\t\"time\"\n", 1)
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return script
}

// natsSweep is a sweep of the slow script run on NATS: its local
// results, and the NATS sweep started in the background.
type natsSweep struct {
	url, local, remote string
	done               chan struct{}
	code               int
	stdout, stderr     string
}

// startNATSSweep runs the sweep of a script that pauses ms milliseconds in
// each job locally, then starts the same sweep on an embedded nats-server
// with the extra flags; timeout bounds the NATS sweep.
func startNATSSweep(t *testing.T, ms int, timeout time.Duration, extra ...string) *natsSweep {
	t.Helper()
	s := &natsSweep{url: natstest.Start(t), done: make(chan struct{})}
	store := backtestStore(t)
	dir := t.TempDir()
	script := writeSlowScript(t, dir, ms)
	s.local, s.remote = filepath.Join(dir, "local"), filepath.Join(dir, "remote")
	if code, _, se := runCLI(t, sweepArgs(store, script, s.local, 2)...); code != 0 {
		t.Fatalf("local sweep: %s", se)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	go func() {
		defer close(s.done)
		defer cancel()
		var out, errb bytes.Buffer
		s.code = run(ctx, append(append(sweepArgs(store, script, s.remote, 1), "--nats", s.url), extra...), strings.NewReader(""), &out, &errb)
		s.stdout, s.stderr = out.String(), errb.String()
	}()
	t.Cleanup(func() { cancel(); <-s.done })
	return s
}

// startWorker starts a worker process logging each job it takes.
// inProcessWorker runs a worker in this process until the test ends (it must
// then exit 0); its log is what it wrote.
func inProcessWorker(t *testing.T, ctx context.Context, url string, args ...string) *syncBuffer {
	wctx, stop := context.WithCancel(ctx)
	wlog := new(syncBuffer)
	stopped := make(chan int)
	go func() {
		stopped <- run(wctx, append([]string{"worker", "--nats", url}, args...), strings.NewReader(""), wlog, wlog)
	}()
	t.Cleanup(func() {
		stop()
		if code := <-stopped; code != 0 {
			t.Errorf("worker: exit %d\n%s", code, wlog.String())
		}
	})
	return wlog
}

func startWorker(t *testing.T, url string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(workbenchBinary(t), append([]string{"worker", "--nats", url}, args...)...)
	cmd.Env = append(os.Environ(), "WORKBENCH_DEBUG=1")
	var buf syncBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, &buf
}

// waitForJob returns once one of the workers' logs shows it has taken a
// job, with that worker's index.
func (s *natsSweep) waitForJob(t *testing.T, logs ...*syncBuffer) int {
	t.Helper()
	// A log line can trail the sweep's end: a second more to read it.
	var ended time.Time
	for {
		for i, l := range logs {
			if strings.Contains(l.String(), "sweep worker: job") {
				return i
			}
		}
		if !ended.IsZero() && time.Since(ended) > time.Second {
			t.Fatalf("the sweep ended before the worker took a job: %s %s", s.stdout, s.stderr)
		}
		select {
		case <-s.done:
			if ended.IsZero() {
				ended = time.Now()
			}
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// finish waits for the NATS sweep and compares its files with the local
// sweep's.
func (s *natsSweep) finish(t *testing.T) {
	t.Helper()
	<-s.done
	if s.code != 0 {
		t.Fatalf("nats sweep: exit %d\n%s\n%s", s.code, s.stdout, s.stderr)
	}
	for _, name := range []string{"results.csv", "results.parquet"} {
		a, _ := os.ReadFile(filepath.Join(s.local, name))
		b, err := os.ReadFile(filepath.Join(s.remote, name))
		if err != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%s: the NATS sweep's differs from the local one (%v)", name, err)
		}
	}
}

// Three worker processes share a sweep through an embedded nats-server;
// one is killed with SIGKILL in the middle of a job. Its jobs are
// redelivered after the ack deadline, and the results equal the local
// sweep's byte for byte.
func TestSweepOnNATSWithAKilledWorker(t *testing.T) {
	// The coordinator's deadline is the workers': whichever connects last
	// sets the consumer's.
	s := startNATSSweep(t, 150, 2*time.Minute, "--ack-wait", "1s")
	var workers []*exec.Cmd
	var logs []*syncBuffer
	for range 3 {
		w, log := startWorker(t, s.url, "--concurrency", "2", "--ack-wait", "1s")
		workers, logs = append(workers, w), append(logs, log)
	}
	// The first worker to take a job is killed: each job sleeps 150 ms in
	// Start, so it dies holding it. (Which one it is depends on how fast
	// each process started.)
	k := s.waitForJob(t, logs...)
	if err := workers[k].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := workers[k].Wait()
	if ws, ok := err.(*exec.ExitError); !ok || ws.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("worker %d ended with %v, not killed (log: %s)", k, err, logs[k])
	}
	s.finish(t)
	// However often a job ran, each worker fetched the one series once.
	for i, l := range logs {
		if n := strings.Count(l.String(), "sweep worker: series fetched"); n > 1 {
			t.Errorf("worker %d fetched the series %d times", i, n)
		}
	}
}

// SIGINT or SIGTERM stops a worker cleanly: with time to spare it finishes its
// running jobs, with none (--grace 0s) it hands them back; either way it
// exits 0 and the jobs it held go to the next worker at once, not after
// the ack deadline (10 minutes here, longer than the sweep may take, which
// is a few seconds on a quiet machine and may be a minute on a loaded
// one). Each job pauses a second, so a job a worker is seen to start is
// still running when the signal comes.
func TestWorkerStopsOnSignal(t *testing.T) {
	s := startNATSSweep(t, 1000, 2*time.Minute, "--ack-wait", "10m")
	patient, plog := startWorker(t, s.url, "--concurrency", "2", "--grace", "30s", "--ack-wait", "10m")
	hasty, hlog := startWorker(t, s.url, "--concurrency", "2", "--grace", "0s", "--ack-wait", "10m")
	s.waitForJob(t, plog)
	s.waitForJob(t, hlog)
	// Ctrl-C and a supervisor's SIGTERM stop a worker alike.
	if err := patient.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := hasty.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, w := range []*exec.Cmd{patient, hasty} {
		log := []*syncBuffer{plog, hlog}[i]
		if err := w.Wait(); err != nil {
			t.Fatalf("worker %d after SIGTERM: %v\n%s", i, err, log)
		}
		if !strings.Contains(log.String(), "worker: stopped") {
			t.Fatalf("worker %d did not say it stopped:\n%s", i, log)
		}
	}
	if strings.Contains(plog.String(), "handed back") || !strings.Contains(plog.String(), "waiting for the running jobs") {
		t.Errorf("the worker with 30s of grace did not finish its jobs:\n%s", plog)
	}
	if !strings.Contains(hlog.String(), "outlived the grace period, handed back") {
		t.Errorf("the worker without grace did not hand its running job back:\n%s", hlog)
	}
	startWorker(t, s.url, "--concurrency", "2")
	s.finish(t)
}

// syncBuffer is a bytes.Buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A worker fetches a series from the object store once while it keeps it:
// with room for two, the least recently used goes when a third comes, and
// jobs that want a series being fetched wait for that one fetch.
func TestWorkerKeepsRecentSeries(t *testing.T) {
	ctx := context.Background()
	q, err := natsq.Connect(ctx, natstest.Start(t), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	src, err := frames.ReadCSVFile(oracle.Path(t, "ohlcv", "binance_BTCUSDT_1h_2024-08.csv"))
	if err != nil {
		t.Fatal(err)
	}
	hashes := map[string]string{}
	want := map[string][32]byte{}
	for k, name := range []string{"a", "b", "c", "d"} {
		b := src.Rows(k*100, k*100+100).Clone()
		var buf bytes.Buffer
		if err := frames.WriteParquet(&buf, b); err != nil {
			t.Fatal(err)
		}
		if hashes[name], err = q.PutBlob(ctx, buf.Bytes(), time.Hour); err != nil {
			t.Fatal(err)
		}
		want[name] = digest(b)
	}
	w := &worker{q: q}
	var mu sync.Mutex
	fetched := map[string]int{}
	names := map[string]string{}
	for n, h := range hashes {
		names[h] = n
	}
	c := &sweep.SeriesCache{Keep: 2, Load: func(ctx context.Context, hash string) (*frames.OHLCV, error) {
		mu.Lock()
		fetched[names[hash]]++
		mu.Unlock()
		return w.fetchSeries(ctx, hash)
	}}
	get := func(name string) {
		s, done, err := c.Get(ctx, hashes[name], 3600)
		if err != nil {
			t.Fatal(err)
		}
		defer done()
		if digest(s.Bars) != want[name] || s.Bars.Period != 3600 {
			t.Errorf("series %s came back other than stored (period %d)", name, s.Bars.Period)
		}
	}
	// a b a: b is the least recent when c comes; then a stays and b returns.
	for _, name := range []string{"a", "b", "a", "c", "a", "b"} {
		get(name)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); get("d") }()
	}
	wg.Wait()
	if fmt.Sprint(fetched) != "map[a:1 b:2 c:1 d:1]" {
		t.Fatalf("fetches %v, want a once, b twice (dropped for c), c and d once", fetched)
	}
}

// A NATS sweep stopped with Ctrl-C withdraws its queued jobs, so workers
// spend nothing on it if it is never rerun; rerun, it resumes with the
// rows it had and those its workers finished meanwhile, and writes what
// an uninterrupted sweep writes.
func TestNATSSweepInterruptedLeavesNoJobs(t *testing.T) {
	url := natstest.Start(t)
	store := backtestStore(t)
	dir := t.TempDir()
	script := writeSlowScript(t, dir, 200)
	local, remote := filepath.Join(dir, "local"), filepath.Join(dir, "remote")
	if code, _, se := runCLI(t, sweepArgs(store, script, local, 2)...); code != 0 {
		t.Fatalf("local sweep: %s", se)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wlog := inProcessWorker(t, ctx, url, "--concurrency", "1")
	args := append(sweepArgs(store, script, remote, 1), "--nats", url)
	sctx, interrupt := context.WithCancel(ctx)
	ended := make(chan struct{})
	var code int
	var serr bytes.Buffer
	go func() {
		defer close(ended)
		code = run(sctx, args, strings.NewReader(""), io.Discard, &serr)
	}()
	// Two rows in the journal (after its header line): the sweep is under
	// way, six of its eight jobs left.
	for {
		j, _ := os.ReadFile(filepath.Join(remote, "journal.jsonl"))
		if bytes.Count(j, []byte("\n")) >= 3 {
			break
		}
		select {
		case <-ended:
			t.Fatalf("the sweep ended before it was interrupted: exit %d: %s", code, serr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	interrupt()
	<-ended
	if code != 1 || !strings.Contains(serr.String(), "interrupted") {
		t.Fatalf("interrupted sweep: exit %d: %s", code, serr.String())
	}
	if n := natstest.Count(t, url, natsq.JobsStream, natsq.JobsSubject+".>"); n != 0 {
		t.Fatalf("the interrupted sweep left %d jobs queued", n)
	}
	var so, se bytes.Buffer
	if code := run(ctx, args, strings.NewReader(""), &so, &se); code != 0 {
		t.Fatalf("rerun: exit %d: %s\nworker: %s", code, se.String(), wlog.String())
	}
	if !strings.Contains(so.String(), "resumed)") {
		t.Errorf("the rerun resumed nothing:\n%s", so.String())
	}
	for _, name := range []string{"results.csv", "results.parquet"} {
		a, _ := os.ReadFile(filepath.Join(local, name))
		b, err := os.ReadFile(filepath.Join(remote, name))
		if err != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%s: the resumed NATS sweep's differs from the local one (%v)", name, err)
		}
	}
	if n := natstest.Count(t, url, natsq.JobsStream, natsq.JobsSubject+".>"); n != 0 {
		t.Fatalf("the finished sweep left %d jobs queued", n)
	}
}

// A NATS sweep whose jobs no worker takes within --nats-keep stops with an
// error saying so, and leaves nothing queued.
func TestNATSSweepGivesUpAfterKeep(t *testing.T) {
	url := natstest.Start(t)
	store := backtestStore(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "cross.go")
	os.WriteFile(script, []byte(sweepScript), 0o644)
	code, _, se := runCLI(t, append(sweepArgs(store, script, filepath.Join(dir, "out"), 1), "--nats", url, "--nats-keep", "1s")...)
	if code != 1 || !strings.Contains(se, "--nats-keep 1s passed before every job ran") {
		t.Fatalf("exit %d: %s", code, se)
	}
	if n := natstest.Count(t, url, natsq.JobsStream, natsq.JobsSubject+".>"); n != 0 {
		t.Fatalf("the sweep left %d jobs queued", n)
	}
}
