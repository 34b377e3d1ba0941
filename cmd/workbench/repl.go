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
	if !interactive {
		return replLines(e.stdin, r)
	}
	return replTerminal(ctx, e, r)
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

func replTerminal(ctx context.Context, e *env, r *scripts.REPL) error {
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

	fmt.Fprintln(e.stdout, "workbench: Go with frames, fsp, paper, feeds, plots, mkt, decimal, gota and gonum imported; :help for help")
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
