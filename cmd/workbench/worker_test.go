package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"workbench/internal/natstest"
)

// slowScript is the sweep script with a pause in Start, so that each job
// takes long enough for a worker to be killed in the middle of one.
var slowScript = strings.Replace(sweepScript, `var sums = map[string][]float64{}`, `func Start(c *paper.Context) error {
	time.Sleep(150 * time.Millisecond)
	return nil
}`, 1)

// Three worker processes share a sweep through an embedded nats-server;
// one is killed with SIGKILL in the middle of a job. Its jobs are
// redelivered after the ack deadline, and the results equal the local
// sweep's byte for byte.
func TestSweepOnNATSWithAKilledWorker(t *testing.T) {
	bin := workbenchBinary(t)
	url := natstest.Start(t)
	store := backtestStore(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "slow.go")
	src := strings.Replace(slowScript, "import (\n", "import (\n\t\"time\"\n", 1)
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "local")
	if code, _, se := runCLI(t, sweepArgs(store, script, local, 2)...); code != 0 {
		t.Fatalf("local sweep: %s", se)
	}
	var workers []*exec.Cmd
	var logs []*syncBuffer
	for i := range 3 {
		cmd := exec.Command(bin, "worker", "--nats", url, "--concurrency", "2", "--ack-wait", "1s")
		if i == 0 {
			cmd.Env = append(os.Environ(), "WORKBENCH_DEBUG=1") // it logs each job it takes
		}
		var buf syncBuffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		workers, logs = append(workers, cmd), append(logs, &buf)
	}
	t.Cleanup(func() {
		for _, w := range workers {
			w.Process.Kill()
			w.Wait()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	remote := filepath.Join(dir, "remote")
	done := make(chan struct{})
	var code int
	var so, se string
	go func() {
		defer close(done)
		var out, errb bytes.Buffer
		code = run(ctx, append(sweepArgs(store, script, remote, 1), "--nats", url), strings.NewReader(""), &out, &errb)
		so, se = out.String(), errb.String()
	}()
	// Worker 0 has taken a job: each sleeps 150 ms in Start, so it dies
	// holding it.
	for !strings.Contains(logs[0].String(), "sweep worker: job") {
		select {
		case <-done:
			t.Fatalf("the sweep ended before worker 0 took a job: %s %s", so, se)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := workers[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := workers[0].Wait()
	if ws, ok := err.(*exec.ExitError); !ok || ws.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("worker 0 ended with %v, not killed (log: %s)", err, logs[0])
	}
	<-done
	if code != 0 {
		t.Fatalf("nats sweep: exit %d\n%s\n%s", code, so, se)
	}
	for _, name := range []string{"results.csv", "results.parquet"} {
		a, _ := os.ReadFile(filepath.Join(local, name))
		b, err := os.ReadFile(filepath.Join(remote, name))
		if err != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%s: the NATS sweep's differs from the local one (%v)", name, err)
		}
	}
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
