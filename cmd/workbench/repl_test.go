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
	"testing"
	"time"

	"github.com/creack/pty"

	"workbench/scripts"
)

// buildBinary builds the workbench command once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func workbenchBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "workbench-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "workbench")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building workbench: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// ptyTerm is the REPL running in a pseudo-terminal, read as a person would.
type ptyTerm struct {
	t   *testing.T
	f   *os.File
	cmd *exec.Cmd
	mu  sync.Mutex
	buf bytes.Buffer
}

func startREPL(t *testing.T, state string) *ptyTerm {
	t.Helper()
	cmd := exec.Command(workbenchBinary(t))
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "TERM=xterm", "NO_COLOR=1")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	tm := &ptyTerm{t: t, f: f, cmd: cmd}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			tm.mu.Lock()
			tm.buf.Write(b[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		f.Close()
	})
	return tm
}

// waitFor waits until the screen output since the last wait contains s.
func (tm *ptyTerm) waitFor(s string) string {
	tm.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		tm.mu.Lock()
		out := tm.buf.String()
		if i := strings.Index(out, s); i >= 0 {
			tm.buf.Next(i + len(s))
			tm.mu.Unlock()
			return out[:i+len(s)]
		}
		tm.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.t.Fatalf("no %q on screen; got:\n%s", s, tm.buf.String())
	return ""
}

func (tm *ptyTerm) typeLine(s string) {
	tm.t.Helper()
	if _, err := io.WriteString(tm.f, s+"\r"); err != nil {
		tm.t.Fatal(err)
	}
}

func TestREPLInTerminal(t *testing.T) {
	state := t.TempDir()
	tm := startREPL(t, state)
	tm.waitFor("wb> ")
	tm.typeLine("x := 21")
	tm.waitFor("wb> ")
	tm.typeLine("func twice(v int) int {")
	tm.waitFor("...")
	tm.typeLine("return 2 * v }")
	tm.waitFor("wb> ")
	tm.typeLine("twice(x)")
	tm.waitFor("\n42\r\n")
	tm.waitFor("wb> ")

	// Tab completes a package member.
	io.WriteString(tm.f, "frames.FormatPer\t")
	tm.waitFor("FormatPeriod")
	tm.typeLine("(60)")
	tm.waitFor("\n\"1m\"\r\n")
	tm.waitFor("wb> ")

	// Ctrl-C stops a runaway loop and keeps the session.
	tm.typeLine("for {}")
	time.Sleep(300 * time.Millisecond)
	io.WriteString(tm.f, "\x03")
	tm.waitFor("interrupted")
	tm.waitFor("wb> ")
	tm.typeLine("twice(x) + 1")
	tm.waitFor("\n43\r\n")
	tm.waitFor("wb> ")

	tm.typeLine(":quit")
	done := make(chan error, 1)
	go func() { done <- tm.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal(":quit did not exit")
	}
	hist, err := os.ReadFile(filepath.Join(state, "workbench", "history"))
	if err != nil || !strings.Contains(string(hist), "twice(x) + 1") {
		t.Fatalf("history: %q %v", hist, err)
	}

	// A new session recalls the history with the up arrow.
	tm2 := startREPL(t, state)
	tm2.waitFor("wb> ")
	io.WriteString(tm2.f, "\x1b[A")
	tm2.waitFor(":quit")
	io.WriteString(tm2.f, "\x1b[A")
	tm2.waitFor("twice(x) + 1")
	io.WriteString(tm2.f, "\x04\x15") // clear the line
	tm2.typeLine("1 + 2")
	tm2.waitFor("\n3\r\n")
}

func TestREPLPipedInput(t *testing.T) {
	var out, errb bytes.Buffer
	in := strings.NewReader("a := 2\nfunc sq(v int) int {\n\treturn v * v\n}\nsq(a)\nnope\n:quit\nsq(3)\n")
	code := run(context.Background(), []string{"repl"}, in, &out, &errb)
	if code != 0 || out.String() != "4\n" || !strings.Contains(errb.String(), "undefined: nope") {
		t.Fatalf("code %d out %q err %q", code, out.String(), errb.String())
	}
}

// BenchmarkREPLStartup is the time from starting workbench in a terminal to
// its first prompt.
func BenchmarkREPLStartup(b *testing.B) {
	bin := benchBinary(b)
	state := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "TERM=xterm")
		f, err := pty.Start(cmd)
		if err != nil {
			b.Fatal(err)
		}
		var seen bytes.Buffer
		buf := make([]byte, 4096)
		for !strings.Contains(seen.String(), "wb> ") {
			n, err := f.Read(buf)
			if err != nil {
				b.Fatal(err)
			}
			seen.Write(buf[:n])
		}
		b.StopTimer()
		cmd.Process.Kill()
		cmd.Wait()
		f.Close()
		b.StartTimer()
	}
}

// BenchmarkRunEmptyScript is `workbench run` of a script that does nothing:
// supervised (the evaluator a child process), and in-process (the anchor:
// the same command as its own evaluator), so the ratio is the supervisor's
// cost per run.
func BenchmarkRunEmptyScript(b *testing.B) {
	bin := benchBinary(b)
	p := filepath.Join(b.TempDir(), "empty.go")
	os.WriteFile(p, []byte("package main\n\nfunc main() {}\n"), 0o644)
	for _, c := range []struct {
		name string
		env  []string
	}{{"supervised", nil}, {"in-process", []string{scripts.EvaluatorEnv + "="}}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(bin, "run", p)
				cmd.Env = append(os.Environ(), c.env...)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
			}
		})
	}
}

func benchBinary(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, "workbench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// A fault that ends the interpreter (each of the scripts package's fault
// scripts, loaded at the prompt) is reported, and the session comes back
// with its definitions.
func TestREPLSurvivesFaults(t *testing.T) {
	tm := startREPL(t, t.TempDir())
	tm.waitFor("wb> ")
	tm.typeLine("x := 21")
	tm.waitFor("wb> ")
	inputs := 1 // x + 1 is an input that succeeded too
	for file, want := range faultScripts(t) {
		tm.typeLine(":load " + file)
		tm.waitFor("before")
		tm.waitFor("the last input ended the interpreter: " + want)
		tm.waitFor(fmt.Sprintf("session restored: %d inputs replayed", inputs))
		inputs++
		tm.waitFor("wb> ")
		tm.typeLine("x + 1")
		tm.waitFor("\n22\r\n")
		tm.waitFor("wb> ")
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if s := tm.buf.String(); strings.Contains(s, "goroutine ") {
		t.Fatalf("crash dump on screen:\n%s", s)
	}
}

// Piped input goes on after a fault with the line after the one that
// caused it.
func TestREPLPipedSurvivesFault(t *testing.T) {
	cmd := exec.Command(workbenchBinary(t))
	cmd.Stdin = strings.NewReader("x := 2\nfunc down(n int) int { return down(n+1) + 1 }\ndown(0)\nx * 21\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	if out.String() != "42\n" || !strings.Contains(errb.String(), "fatal error: stack overflow") ||
		!strings.Contains(errb.String(), "session restored: 2 inputs replayed") {
		t.Fatalf("stdout %q stderr %q", out.String(), errb.String())
	}
}
