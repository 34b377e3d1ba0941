package kernel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"workbench/display"
	"workbench/scripts"
)

// ScriptsEngine evaluates cells in a workbench REPL session: the same
// pre-imported packages, guards, completion and documentation as
// `workbench repl`, with values rendered by scripts.MIME.
type ScriptsEngine struct {
	opts    scripts.Options
	version string

	out   *streamSwitch
	errw  *streamSwitch
	stdin *inputReader
	repl  *scripts.REPL
	cell  int
}

// NewScriptsEngine starts a session over the store folder storeDir;
// version is the workbench version kernel_info reports.
func NewScriptsEngine(storeDir, version string) (*ScriptsEngine, error) {
	e := &ScriptsEngine{version: version, out: &streamSwitch{name: "stdout"}, errw: &streamSwitch{name: "stderr"}}
	e.stdin = &inputReader{out: e.out}
	e.opts = scripts.Options{Stdin: e.stdin, Stdout: e.out, Stderr: e.errw,
		Args: []string{"workbench-kernel"}, StoreDir: storeDir}
	if err := e.Restart(); err != nil {
		return nil, err
	}
	return e, nil
}

// Restart drops every definition: a fresh session.
func (e *ScriptsEngine) Restart() error {
	r, err := scripts.NewREPL(e.opts, false)
	if err != nil {
		return fmt.Errorf("kernel session: %w", err)
	}
	e.repl, e.cell = r, 0
	return nil
}

// Info describes the kernel.
func (e *ScriptsEngine) Info() Info { return NewScriptsInfo(e.version) }

// NewScriptsInfo is what kernel_info tells of a ScriptsEngine of version,
// wherever it runs.
func NewScriptsInfo(version string) Info {
	return Info{
		Implementation:        "workbench",
		ImplementationVersion: version,
		LanguageVersion:       strings.TrimPrefix(runtime.Version(), "go"),
		Banner: "workbench " + version + ": Go (yaegi) with frames, fsp, paper, plots, feeds, mkt, display imported.\n" +
			"Try: h, _ := frames.Load(\"btcusdt.spot.synthetic\", \"1h\"); h",
	}
}

// Execute runs one cell.
func (e *ScriptsEngine) Execute(ctx context.Context, code string, out Output) (Bundle, error) {
	e.cell++
	e.out.set(out)
	e.errw.set(out)
	e.stdin.buf = nil
	restore := display.SetSink(displaySink{out})
	defer func() {
		restore()
		e.out.set(nil)
		e.errw.set(nil)
	}()
	v, err := e.repl.Cell(ctx, fmt.Sprintf("cell[%d]", e.cell), code)
	if err != nil {
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return nil, &ExecError{Name: "Interrupted", Value: "interrupted; the session's definitions are kept",
				Traceback: []string{"interrupted"}}
		}
		name := "Error"
		var se *scripts.Error
		if errors.As(err, &se) {
			name = "ScriptError"
		}
		return nil, &ExecError{Name: name, Value: err.Error(), Traceback: strings.Split(err.Error(), "\n")}
	}
	if !v.IsValid() {
		return nil, nil
	}
	b := Bundle{}
	for k, x := range scripts.MIME(v) {
		b[k] = x
	}
	return b, nil
}

// Complete completes the word before cursor.
func (e *ScriptsEngine) Complete(code string, cursor int) ([]string, int, int) {
	rs := []rune(code)
	cursor = max(0, min(cursor, len(rs)))
	// Complete within the current line, as the REPL does.
	lineStart := cursor
	for lineStart > 0 && rs[lineStart-1] != '\n' {
		lineStart--
	}
	sufs, n := e.repl.Do(rs[lineStart:cursor], cursor-lineStart)
	start := cursor - n
	word := string(rs[start:cursor])
	matches := make([]string, 0, len(sufs))
	for _, s := range sufs {
		matches = append(matches, word+string(s))
	}
	// The REPL completes a member after its dot: the replaced range is the
	// member alone.
	return matches, start, cursor
}

// Inspect documents the dotted name around cursor.
func (e *ScriptsEngine) Inspect(code string, cursor int, detail int) (Bundle, bool) {
	name := nameAt([]rune(code), cursor)
	if name == "" {
		return nil, false
	}
	d := e.repl.Doc(name)
	if strings.HasPrefix(d, "no documentation for") {
		return nil, false
	}
	return Bundle{"text/plain": d}, true
}

func nameAt(rs []rune, cursor int) string {
	cursor = max(0, min(cursor, len(rs)))
	isName := func(r rune) bool { return r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
	i, j := cursor, cursor
	for i > 0 && isName(rs[i-1]) {
		i--
	}
	for j < len(rs) && isName(rs[j]) {
		j++
	}
	return strings.Trim(string(rs[i:j]), ".")
}

// IsComplete says whether code can run as it is.
func (e *ScriptsEngine) IsComplete(code string) (string, string) {
	if scripts.Complete(code) {
		return "complete", ""
	}
	return "incomplete", "\t"
}

// streamSwitch sends the interpreter's output to the running cell's
// stream as it is written, so a long cell shows its output while it runs.
type streamSwitch struct {
	name string
	mu   sync.Mutex
	out  Output
}

var _ io.Writer = (*streamSwitch)(nil)

func (s *streamSwitch) set(o Output) {
	s.mu.Lock()
	s.out = o
	s.mu.Unlock()
}

func (s *streamSwitch) Write(p []byte) (int, error) {
	s.mu.Lock()
	o := s.out
	s.mu.Unlock()
	if o != nil {
		o.Stream(s.name, string(p))
	}
	return len(p), nil
}

// inputReader is the session's standard input: each line a cell reads
// (fmt.Scanln and the like) is asked of the front end with an
// input_request; without allow_stdin the cell reads end of file.
type inputReader struct {
	out *streamSwitch
	buf []byte
}

func (r *inputReader) Read(p []byte) (int, error) {
	if len(r.buf) == 0 {
		r.out.mu.Lock()
		o := r.out.out
		r.out.mu.Unlock()
		if o == nil {
			return 0, io.EOF
		}
		line, err := o.Input("", false)
		if err != nil {
			return 0, io.EOF
		}
		r.buf = []byte(line + "\n")
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

type displaySink struct{ out Output }

func (d displaySink) Show(b display.Bundle) {
	kb := Bundle{}
	for k, v := range b {
		kb[k] = v
	}
	d.out.Display(kb, "", false)
}

func (d displaySink) Clear(wait bool) { d.out.Clear(wait) }
