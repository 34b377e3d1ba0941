package scripts

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
)

// EvaluatorEnv is set in the environment of a process that evaluates
// scripts under a supervisor; it holds the supervisor's journal file for
// the REPL ("" for a one-shot run).
const EvaluatorEnv = "WORKBENCH_EVALUATOR"

// MaxStack is the evaluator's Go stack limit: deep recursion in a script
// ends the evaluator with "stack overflow" at this depth rather than after
// growing a goroutine's stack to the runtime's 1 GB default.
const MaxStack = 64 << 20

// IsEvaluator reports whether this process runs under a supervisor, and
// then sets its limits. It takes EvaluatorEnv out of the environment, so
// that a workbench a script starts supervises its own evaluator.
func IsEvaluator() bool {
	evaluatorOnce.Do(func() {
		evaluatorJournal, isEvaluator = os.LookupEnv(EvaluatorEnv)
		if isEvaluator {
			os.Unsetenv(EvaluatorEnv)
			debug.SetMaxStack(MaxStack)
		}
	})
	return isEvaluator
}

// EvaluatorJournal is the REPL session journal the supervisor handed this
// evaluator ("" outside a supervised REPL).
func EvaluatorJournal() string {
	IsEvaluator()
	return evaluatorJournal
}

var (
	evaluatorOnce    sync.Once
	isEvaluator      bool
	evaluatorJournal string
)

// Fault is the end of an evaluator process by what no recover catches: a
// Go fatal error (stack overflow, out of memory, concurrent map writes), a
// panic in a goroutine the interpreter does not run (a time.AfterFunc
// callback), or a signal.
type Fault struct {
	// What is the runtime's words: "fatal error: stack overflow",
	// "panic: boom", "killed by signal: killed".
	What string
	// Hint says what in a script does that.
	Hint string
}

func (f *Fault) Error() string {
	if f.Hint == "" {
		return f.What
	}
	return f.What + " (" + f.Hint + ")"
}

// crashStart matches the first line of the Go runtime's report of a fatal
// error or an unrecovered panic.
var crashStart = regexp.MustCompile(`^(fatal error: |panic: |runtime: |unexpected fault address |SIGSEGV|SIGBUS|goroutine \d+ \[)`)

// hints explain the runtime's words in a script's terms.
var hints = []struct{ in, hint string }{
	{"stack overflow", fmt.Sprintf("recursion too deep: the evaluator's stack is limited to %d MB", MaxStack>>20)},
	{"out of memory", "an allocation larger than the machine can give, such as make([]byte, 1<<40)"},
	{"concurrent map", "a map used by several goroutines at once: guard it with a sync.Mutex"},
	{"panic: ", "a panic in a goroutine the interpreter does not run, such as a time.AfterFunc callback: recover inside the callback"},
}

// Supervise runs cmd, an evaluator, and waits for it. Its stderr passes
// to stderr line by line, except the Go runtime's crash report, which comes
// back as a *Fault instead; code is the process's exit code when it ended
// by itself. cmd.Stderr must be unset.
func Supervise(cmd *exec.Cmd, stderr io.Writer) (code int, fault *Fault, err error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, nil, err
	}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return 0, nil, err
	}
	pw.Close()
	var report bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		filterCrash(pr, stderr, &report)
	}()
	waitErr := cmd.Wait()
	wg.Wait()
	pr.Close()
	state := cmd.ProcessState
	if state == nil {
		return 0, nil, waitErr
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		stderr.Write(report.Bytes())
		return 0, &Fault{What: "killed by signal: " + ws.Signal().String(), Hint: signalHint(ws.Signal())}, nil
	}
	code = state.ExitCode()
	if f := parseCrash(report.String()); f != nil && code == 2 {
		return code, f, nil
	}
	// Text that only looked like a crash report was the script's own.
	stderr.Write(report.Bytes())
	return code, nil, nil
}

func signalHint(s os.Signal) string {
	if s == syscall.SIGKILL {
		return "the system's out-of-memory killer, or kill -9"
	}
	return ""
}

// filterCrash copies r to w line by line until a line opens a crash report;
// from there on it keeps the text in report.
func filterCrash(r io.Reader, w io.Writer, report *bytes.Buffer) {
	br := bufio.NewReader(r)
	held := false
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if !held && crashStart.MatchString(line) {
				held = true
			}
			if held {
				report.WriteString(line)
			} else {
				io.WriteString(w, line)
			}
		}
		if err != nil {
			return
		}
	}
}

// parseCrash finds the fault in a Go crash report: its first "fatal
// error:" line, else its first "panic:" line.
func parseCrash(report string) *Fault {
	var what string
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, "fatal error: ") {
			what = strings.TrimSpace(l)
			break
		}
		if what == "" && strings.HasPrefix(l, "panic: ") {
			what, _, _ = strings.Cut(strings.TrimSpace(l), " [recovered")
		}
	}
	if what == "" {
		return nil
	}
	f := &Fault{What: what}
	for _, h := range hints {
		if strings.Contains(what, h.in) {
			f.Hint = h.hint
			break
		}
	}
	return f
}
