package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"

	"github.com/chzyer/readline"
	"golang.org/x/term"

	"workbench/scripts"
)

func init() {
	register(&command{
		name:    "repl",
		usage:   "repl (the default when no command is given)",
		summary: "interactive Go prompt with every workbench package imported (:help inside)",
		run:     runREPL,
	})
}

func runREPL(ctx context.Context, e *env, args []string) error {
	fs := e.flags(commands["repl"])
	if _, err := e.parse(fs, args); err != nil {
		return err
	}
	if selfExe != "" {
		return superviseREPL(ctx, e, args)
	}
	inFile, interactive := e.stdin.(*os.File)
	interactive = interactive && term.IsTerminal(int(inFile.Fd()))
	color := false
	if f, ok := e.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		color = os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	}
	r, err := scripts.NewREPL(scripts.Options{
		Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr,
		Args: []string{"workbench"}, StoreDir: e.storeDir(),
	}, color)
	if err != nil {
		return err
	}
	restored := false
	if journal := scripts.EvaluatorJournal(); journal != "" {
		if interactive {
			// Under a supervisor stderr reaches the terminal through it,
			// later than the prompt on stdout: the REPL's own messages go
			// to stdout, in order.
			r.Err = e.stdout
		}
		if restored, err = restore(r.Err, r, journal); err != nil {
			return err
		}
	}
	if !interactive {
		if scripts.IsEvaluator() {
			// The next evaluator, after a fault, reads on from the next
			// line: this one must not have read past the line it runs.
			return replLines(oneByte{e.stdin}, r)
		}
		return replLines(e.stdin, r)
	}
	return replTerminal(ctx, e, r, !restored)
}

// superviseREPL runs the REPL in an evaluator process and, when a fault
// ends it, starts another that restores the session from the journal of
// inputs that succeeded (scripts package doc). The terminal is the
// evaluator's; this process only watches.
func superviseREPL(ctx context.Context, e *env, args []string) error {
	jf, err := os.CreateTemp("", "workbench-session-*.journal")
	if err != nil {
		return fmt.Errorf("repl: session journal: %w", err)
	}
	journal := jf.Name()
	jf.Close()
	defer os.Remove(journal)
	var tty *term.State
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty, _ = term.GetState(int(f.Fd()))
	}
	var lastSize int64 = -1
	for failures := 0; ; {
		cmd := evaluator(context.WithoutCancel(ctx), e, "repl", args, journal)
		code, fault, err := scripts.Supervise(cmd, e.stderr)
		if err != nil {
			return fmt.Errorf("repl: %w", err)
		}
		if fault == nil {
			if code != 0 {
				return &scripts.ExitError{Code: code}
			}
			return nil
		}
		if tty != nil {
			term.Restore(int(e.stdin.(*os.File).Fd()), tty)
		}
		// A session whose replay itself ends the interpreter would loop.
		size := int64(-1)
		if st, err := os.Stat(journal); err == nil {
			size = st.Size()
		}
		if size == lastSize {
			failures++
		} else {
			failures = 0
		}
		lastSize = size
		if failures >= 2 {
			return fmt.Errorf("repl: %v, again while restoring the session: giving up", fault)
		}
		fmt.Fprintf(e.stderr, "\nworkbench: the last input ended the interpreter: %v\nrestoring the session...\n", fault)
	}
}

// restore replays the journal of a session a fault ended, with the
// process's output silenced, and opens it for this session's inputs. It
// reports whether there was a session to restore.
func restore(w io.Writer, r *scripts.REPL, journal string) (bool, error) {
	f, err := os.OpenFile(journal, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return false, fmt.Errorf("repl: session journal: %w", err)
	}
	restored := false
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		restored = true
		var n int
		var rerr error
		silenced(func() { n, rerr = r.Replay(context.Background(), f) })
		if rerr != nil {
			fmt.Fprintf(w, "workbench: %v\n", rerr)
		}
		fmt.Fprintf(w, "session restored: %d inputs replayed\n", n)
	}
	r.Journal = f
	return restored, nil
}

// oneByte reads one byte at a time, so a bufio.Scanner on it never reads
// past the line it returns.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// replLines runs piped input line by line, without prompts.
func replLines(in io.Reader, r *scripts.REPL) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		if r.Line(context.Background(), sc.Text()) {
			return nil
		}
	}
	return sc.Err()
}

// interrupter cancels the running evaluation on SIGINT. The process-wide
// context main passes in is cancelled by the first Ctrl-C for good, so the
// REPL listens itself and gives each evaluation its own context.
type interrupter struct {
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (it *interrupter) start() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	it.mu.Lock()
	it.cancel = cancel
	it.mu.Unlock()
	return ctx, func() {
		it.mu.Lock()
		it.cancel = nil
		it.mu.Unlock()
		cancel()
	}
}

func (it *interrupter) interrupt() {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.cancel != nil {
		it.cancel()
	}
}

func replTerminal(ctx context.Context, e *env, r *scripts.REPL, banner bool) error {
	hist := filepath.Join(xdgDir("XDG_STATE_HOME", filepath.Join(".local", "state")), "workbench", "history")
	if err := os.MkdirAll(filepath.Dir(hist), 0o755); err != nil {
		hist = "" // no history rather than no REPL
	}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          r.Prompt(),
		HistoryFile:     hist,
		HistoryLimit:    10000,
		AutoComplete:    r,
		InterruptPrompt: "^C",
		EOFPrompt:       "",
		Stdout:          e.stdout,
		Stderr:          e.stderr,
	})
	if err != nil {
		return fmt.Errorf("repl: %w", err)
	}
	defer rl.Close()

	var it interrupter
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		for range sig {
			it.interrupt()
		}
	}()

	if banner {
		fmt.Fprintln(e.stdout, "workbench: Go with frames, fsp, paper, feeds, plots, mkt, decimal, gota and gonum imported; :help for help")
	}
	for {
		rl.SetPrompt(r.Prompt())
		line, err := rl.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			r.Discard()
			continue
		case errors.Is(err, io.EOF):
			fmt.Fprintln(e.stdout)
			return nil
		case err != nil:
			return fmt.Errorf("repl: %w", err)
		}
		evalCtx, done := it.start()
		quit := r.Line(evalCtx, line)
		done()
		if quit {
			return nil
		}
	}
}
