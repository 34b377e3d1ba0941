// Command workbench is the CLI and REPL of the workbench: see README.md and
// `workbench help`.
//
// Each subcommand lives in its own file and registers itself in init, so
// capabilities add commands without touching this one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"

	"workbench/scripts"
)

// command is one subcommand. run gets the arguments after the command name.
type command struct {
	name    string
	usage   string // e.g. "store ls [--json]"
	summary string
	// run executes the command; a *usageError makes the process exit 2.
	run func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("workbench: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// usageError is a mistake in how the command was called (exit code 2).
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if !scripts.IsEvaluator() {
		// Only the real command supervises: a test calling run in its own
		// process has no workbench executable to start.
		selfExe, _ = os.Executable()
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// selfExe is this executable when it may start evaluator processes.
var selfExe string

// evaluator returns the command that runs `workbench name args...` as an
// evaluator process under this one (see the scripts package), with the
// command's streams, or nil where this process must evaluate itself: it is
// the evaluator, or there is no executable to start. journal is the REPL's
// session journal ("" otherwise).
func evaluator(ctx context.Context, e *env, name string, args []string, journal string) *exec.Cmd {
	if selfExe == "" {
		return nil
	}
	cmd := exec.CommandContext(ctx, selfExe, append([]string{name}, args...)...)
	// Ctrl-C reaches the evaluator from the terminal; a supervisor
	// interrupted otherwise passes it on and waits.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.Env = append(os.Environ(), scripts.EvaluatorEnv+"="+journal)
	cmd.Stdin, cmd.Stdout = e.stdin, e.stdout
	return cmd
}

// superviseOnce runs a one-shot evaluator (run, notebook) to its end: its
// exit code becomes ours, and a fault becomes an error naming file.
func superviseOnce(cmd *exec.Cmd, e *env, file string) error {
	code, fault, err := scripts.Supervise(cmd, e.stderr)
	switch {
	case err != nil:
		return err
	case fault != nil:
		return fmt.Errorf("%s: the script ended the interpreter: %w", file, fault)
	case code != 0:
		// The evaluator said why already.
		return &scripts.ExitError{Code: code}
	}
	return nil
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel()})))
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	name := "repl"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		name, args = "help", args[1:]
	} else if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		name, args = "version", args[1:]
	} else if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		if len(args) > 0 {
			if c, ok := commands[args[0]]; ok {
				e.commandHelp(c)
				return 0
			}
		}
		e.help()
		return 0
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "workbench: unknown command %q\n\n", name)
		e.help()
		return 2
	}
	err := c.run(ctx, e, args)
	var ue *usageError
	var exit *scripts.ExitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		// A script's os.Exit(n) is the script's answer, not our error.
		return exit.Code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "workbench %s\nusage: workbench %s\n", named(c.name, err), c.usage)
		return 2
	default:
		fmt.Fprintf(stderr, "workbench %s\n", named(c.name, err))
		return 1
	}
}

// named is err's message opening with the command's name once: errors
// often already open with it ("backtest: …", "sweep --top -2: …").
func named(name string, err error) string {
	msg := err.Error()
	if !strings.HasPrefix(msg, name+":") && !strings.HasPrefix(msg, name+" ") {
		msg = name + ": " + msg
	}
	return msg
}

func init() {
	register(&command{
		name:    "version",
		usage:   "version (also: workbench --version)",
		summary: "print the module version and the VCS revision this binary was built from",
		run: func(ctx context.Context, e *env, args []string) error {
			if _, err := e.parse(e.flags(commands["version"]), args); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, version())
			return nil
		},
	})
}

// version describes the build: "workbench v1.2.3 (rev abc123…, 2026-01-02T…,
// modified) go1.26", from what the go tool stamped into the binary.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "workbench (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var vcs []string
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if r := settings["vcs.revision"]; r != "" {
		vcs = append(vcs, settings["vcs"]+" "+r)
	}
	if t := settings["vcs.time"]; t != "" {
		vcs = append(vcs, t)
	}
	if settings["vcs.modified"] == "true" {
		vcs = append(vcs, "modified")
	}
	if len(vcs) == 0 {
		vcs = append(vcs, "no VCS revision: built outside a checkout, or with -buildvcs=false")
	}
	return fmt.Sprintf("workbench %s (%s) %s", v, strings.Join(vcs, ", "), bi.GoVersion)
}

func logLevel() slog.Level {
	if os.Getenv("WORKBENCH_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

func (e *env) help() {
	w := e.stderr
	fmt.Fprintln(w, "workbench — research and trade markets from a Go REPL\n\nusage: workbench [COMMAND] [FLAGS]   (no command opens the REPL)\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nglobal flags (every command): --store DIR, --config FILE\n`workbench COMMAND --help` shows a command's flags.")
}

func (e *env) commandHelp(c *command) {
	fmt.Fprintf(e.stderr, "usage: workbench %s\n\n%s\n", c.usage, c.summary)
}
