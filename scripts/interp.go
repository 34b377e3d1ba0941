// Package scripts runs Go scripts on yaegi with every workbench package, gota,
// gonum and decimal importable: the interpreter with its guards, the REPL,
// saved scripts, notebooks and strategies loaded from scripts.
//
// yaegi can be taken down, or left in a bad state, by some inputs (see the
// dependency probe §5), so every evaluation here is parsed and checked first,
// runs under a context and a recover, and comes back as an error naming the
// script's file and line.
//
// Scripts mean what Go 1.22+ means although yaegi v0.16.1 implements Go
// 1.21: the source is rewritten before yaegi sees it (gosem.go) for
// per-iteration loop variables, range over an integer and the min, max and
// clear builtins; testdata/gosem holds programs whose output must equal
// `go run`'s.
//
// # Surviving any script
//
// Some faults no recover catches: a Go fatal error (deep recursion's stack
// overflow, an allocation the machine cannot give such as make([]byte,
// 1<<40), concurrent map writes) or a panic in a goroutine the interpreter
// does not run (a time.AfterFunc callback). They end the process, so the
// process that evaluates must not be the one the user keeps: the command
// (workbench run, notebook, the REPL) starts itself again as an evaluator
// (EvaluatorEnv set; IsEvaluator lowers its stack limit to MaxStack so
// runaway recursion ends in a fraction of a second) and Supervise waits for
// it, passing its streams through but turning the runtime's crash report
// into a *Fault ("fatal error: stack overflow" and what causes it). A
// one-shot run then ends with one line naming the script and the fault.
// The REPL evaluator appends each input that succeeded to a journal
// (REPL.Journal); after a fault the supervisor starts a new evaluator,
// which replays the journal with its output silenced (REPL.Replay) and
// carries on with the same definitions. Replay runs those inputs again, so
// their side effects (files written, time slept) happen again; piped input
// is read a byte at a time so the next evaluator starts at the next line.
//
// The cost is one process start per run (BenchmarkRunEmptyScript against
// the same run with EvaluatorEnv set) and, per REPL input, a journal write.
// In-process guards were the alternative and cover less: a recursion-depth
// counter in yaegi's call path needs a fork of yaegi, a memory limit
// (debug.SetMemoryLimit) does not stop a single huge make, and nothing in a
// process survives concurrent map writes.
package scripts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/scanner"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"

	"workbench/scripts/symbols"
)

//go:generate go run ./gen -o symbols

// Options configures an interpreter. Nil streams default to the process's.
type Options struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Args is os.Args as the script sees it.
	Args []string
	// OutDir is where session.Path puts files a script writes (a notebook's
	// image folder); "" is the working folder.
	OutDir string
	// StoreDir is the store folder session.StoreDir reports.
	StoreDir string
}

// Interp is one interpreter session. Definitions persist across Eval calls
// until Reset. It is not safe for concurrent use.
type Interp struct {
	opts Options
	yi   *interp.Interpreter
	tap  *panicTap

	mu    sync.Mutex
	ctx   context.Context // of the running evaluation, for session.Context
	mains int             // func mains renamed so far
	// defined holds the top-level names earlier inputs declared, which
	// shadow the builtins the rewrites replace.
	defined map[string]bool
	// file is the last file evaluated whole (LoadFile, RunFile) as it
	// compiled, after the rewrites: a strategy's OnBar is taken from it
	// (see onBarLoop).
	file *ast.File
}

// Error is an error in a script, at a position in it.
type Error struct {
	File string // "" for interactive input
	Line int
	Msg  string
	// Trace lists the interpreted call stack of a panic, innermost first, as
	// "file:line: function"; Error shows it when it has more than one frame.
	Trace []string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	f := e.File
	if f == "" {
		f = "input"
	}
	s := fmt.Sprintf("%s:%d: %s", f, e.Line, e.Msg)
	if len(e.Trace) > 1 {
		s += "\n\tat " + strings.Join(e.Trace, "\n\tat ")
	}
	return s
}

// ExitError is a script's call of os.Exit: the interpreter turns it into a
// panic that ends only the script.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

var exitRE = regexp.MustCompile(`^os\.Exit\((-?\d+)\)$`)

// Imports are the packages every session can use, by import path.
var Imports = []string{
	"workbench/frames", "workbench/fsp", "workbench/paper", "workbench/feeds", "workbench/plots", "workbench/mkt",
	"workbench/display",
	"workbench/session",
	"github.com/go-gota/gota/dataframe", "github.com/go-gota/gota/series",
	"gonum.org/v1/gonum/floats", "gonum.org/v1/gonum/stat", "gonum.org/v1/gonum/mat",
	"github.com/shopspring/decimal",
}

// New returns an interpreter with the standard library and the workbench
// symbols loaded.
func New(opts Options) (*Interp, error) {
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Args == nil {
		opts.Args = []string{"script"}
	}
	in := &Interp{opts: opts, tap: &panicTap{w: opts.Stderr}}
	if err := in.Reset(); err != nil {
		return nil, err
	}
	return in, nil
}

// Reset drops every definition and starts a fresh session.
func (in *Interp) Reset() error {
	yi := interp.New(interp.Options{
		Stdin: in.opts.Stdin, Stdout: in.opts.Stdout, Stderr: in.tap,
		Args: in.opts.Args, Env: os.Environ(), Unrestricted: true,
	})
	for _, m := range []interp.Exports{stdlib.Symbols, symbols.Symbols, in.sessionSymbols(), runtimeSymbols, convertHook} {
		if err := yi.Use(m); err != nil {
			return fmt.Errorf("scripts: loading symbols: %w", err)
		}
	}
	// yaegi leaves os.Stdout and os.Stderr the process's unless they are
	// files; a notebook capturing output needs them to be its writers.
	streams := map[string]reflect.Value{}
	if _, ok := in.opts.Stdout.(*os.File); !ok {
		w := in.opts.Stdout
		streams["Stdout"] = reflect.ValueOf(&w).Elem()
	}
	if _, ok := in.opts.Stderr.(*os.File); !ok {
		w := in.opts.Stderr
		streams["Stderr"] = reflect.ValueOf(&w).Elem()
	}
	if len(streams) > 0 {
		if err := yi.Use(interp.Exports{"os/os": streams}); err != nil {
			return fmt.Errorf("scripts: redirecting streams: %w", err)
		}
	}
	in.yi = yi
	in.defined, in.file = map[string]bool{}, nil
	f, err := parser.ParseFile(yi.FileSet(), "_wbprelude.go", prelude, 0)
	if err == nil {
		var prog *interp.Program
		if prog, err = yi.CompileAST(f); err == nil {
			_, err = yi.Execute(prog)
		}
	}
	if err != nil {
		return fmt.Errorf("scripts: the prelude: %w", err)
	}
	return nil
}

// sessionSymbols is the package "workbench/session": what a script needs
// from the command running it.
func (in *Interp) sessionSymbols() interp.Exports {
	dir, store := in.opts.OutDir, in.opts.StoreDir
	return interp.Exports{"workbench/session/session": {
		"OutDir":   reflect.ValueOf(func() string { return dir }),
		"StoreDir": reflect.ValueOf(func() string { return store }),
		"Path": reflect.ValueOf(func(name string) string {
			if dir == "" || filepath.IsAbs(name) {
				return name
			}
			return filepath.Join(dir, name)
		}),
		"Context": reflect.ValueOf(in.context),
	}}
}

// SessionDocs documents the session package for :doc.
var SessionDocs = map[string]string{
	"session":          "package session // import \"workbench/session\"\n\nWhat a script needs from the command running it: where to write files, the store folder, and the context to hand to long compiled calls so Ctrl-C stops them.",
	"session.Path":     "func Path(name string) string\n\nPath is where to write a file a report should show: name inside the notebook's output folder (unchanged outside notebooks, or when absolute).",
	"session.OutDir":   "func OutDir() string\n\nOutDir is the notebook's output folder, \"\" outside notebooks.",
	"session.StoreDir": "func StoreDir() string\n\nStoreDir is the store folder of the command (--store, config, $WORKBENCH_STORE or the XDG default).",
	"session.Context":  "func Context() context.Context\n\nContext is cancelled when the user interrupts the running evaluation (Ctrl-C): pass it to long compiled calls.",
}

func (in *Interp) context() context.Context {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.ctx == nil {
		return context.Background()
	}
	return in.ctx
}

// Symbols reports the packages and the names each exports, by import path,
// for completion.
func (in *Interp) Symbols() map[string][]string {
	out := map[string][]string{}
	for path, syms := range in.binaryPackages() {
		for name := range syms {
			out[path] = append(out[path], name)
		}
	}
	return out
}

// Eval evaluates interactive input: declarations, statements or an
// expression, keeping what it defines. The value is the last expression's.
func (in *Interp) Eval(ctx context.Context, src string) (reflect.Value, error) {
	return in.EvalAt(ctx, "", 1, src)
}

// EvalAt is Eval for src that starts at line first of file, so errors name
// the file's lines (a notebook cell, a loaded file).
func (in *Interp) EvalAt(ctx context.Context, file string, first int, src string) (reflect.Value, error) {
	if first < 1 {
		first = 1
	}
	segs := splitInput(src)
	if segs == nil {
		return in.eval(ctx, file, strings.Repeat("\n", first-1)+src, true, true)
	}
	var v reflect.Value
	for _, sg := range segs {
		var err error
		if v, err = in.eval(ctx, file, strings.Repeat("\n", first-1+sg.line)+sg.src, true, true); err != nil {
			return v, err
		}
	}
	return v, nil
}

// segment is a run of lines of interactive input, from line (0-based).
type segment struct {
	line int
	src  string
}

// splitInput cuts input that mixes declarations and statements (a func
// followed by code using it, as notebook cells often do) into runs that
// parse on their own, longest first. It returns nil when src parses whole,
// or when it cannot be cut, leaving the error to the interpreter.
func splitInput(src string) []segment {
	if parsesAlone(src) {
		return nil
	}
	lines := strings.Split(src, "\n")
	if len(lines) > 300 {
		return nil // the search is quadratic; long inputs are files, not cells
	}
	var segs []segment
	for i := 0; i < len(lines); {
		end := -1
		for j := len(lines); j > i; j-- {
			if parsesAlone(strings.Join(lines[i:j], "\n")) {
				end = j
				break
			}
		}
		if end < 0 {
			return nil
		}
		segs = append(segs, segment{line: i, src: strings.Join(lines[i:end], "\n")})
		i = end
	}
	return segs
}

// parsesAlone reports whether src is complete interactive input by itself:
// declarations, or statements.
func parsesAlone(src string) bool {
	fs := token.NewFileSet()
	switch firstToken(src) {
	case token.PACKAGE:
		_, err := parser.ParseFile(fs, "", src, 0)
		return err == nil
	case token.CONST, token.FUNC, token.IMPORT, token.TYPE, token.VAR:
		if _, err := parser.ParseFile(fs, "", "package main;"+src, 0); err == nil {
			return true
		}
	}
	_, err := parser.ParseFile(fs, "", wrapInMain(src), 0)
	return err == nil
}

// RunFile evaluates a whole Go file, running its main function if it has one.
func (in *Interp) RunFile(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = in.eval(ctx, path, string(b), false, true)
	return err
}

// LoadFile evaluates a whole Go file for its declarations, without running
// its main function.
func (in *Interp) LoadFile(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, err = in.eval(ctx, path, string(b), false, false)
	return err
}

// eval parses, guards, compiles and runs src. inc means interactive input,
// which may be bare declarations or statements. A func main that src
// declares runs once, after the declarations, when runMain is set.
func (in *Interp) eval(ctx context.Context, file, src string, inc, runMain bool) (res reflect.Value, err error) {
	// Interactive input always compiles as the session's one source file:
	// yaegi scopes imports by file name, and a notebook cell or a :load must
	// see the session's imports. file only names positions in errors.
	name := file
	if inc || name == "" {
		name = interp.DefaultSourceName
	}
	node, f, err := in.parse(name, src, inc)
	if err != nil {
		// The main wrapper's closing brace sits on the line after src.
		return res, in.wrap(file, err, strings.Count(src, "\n")+1)
	}
	info := typeCheck(in.yi.FileSet(), f)
	if err := guard(in.yi.FileSet(), f, info, in.binaryPackages()); err != nil {
		return res, in.wrap(file, err, 0)
	}
	declared := topLevelNames(node, f)
	copied, err := modernize(in.yi.FileSet(), f, info, in.globals, in.defined)
	if err != nil {
		return res, in.wrap(file, err, 0)
	}
	protectGoroutines(f)
	if b, ok := node.(*ast.BlockStmt); ok {
		wrapCompoundStatements(b, copied)
	}
	// yaegi runs a package main's func main after every later evaluation
	// once it exists; under another name it runs once, here, or never.
	mainName := ""
	if fd := mainDecl(f); fd != nil && node == ast.Node(f) {
		in.mains++
		mainName = fmt.Sprintf("_wbMain%d", in.mains)
		fd.Name.Name = mainName
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	in.mu.Lock()
	in.ctx = ctx
	in.mu.Unlock()
	in.tap.begin()
	defer func() { in.tap.end() }()
	prog, err := in.compile(ctx, node)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return res, err
		}
		// yaegi crashes on a file that uses a package it does not import;
		// interactive input may use the session's earlier imports.
		if !inc && strings.HasPrefix(err.Error(), "interpreter failure") {
			if e := missingImport(in.yi.FileSet(), f, file, in.binaryPackages()); e != nil {
				return res, e
			}
		}
		return res, in.explain(file, f, err)
	}
	for _, n := range declared {
		in.defined[n] = true
	}
	res, err = in.yi.ExecuteWithContext(ctx, prog)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return reflect.Value{}, err
		}
		return res, in.explain(file, f, err)
	}
	if !inc {
		in.file = f
	}
	if mainName != "" && runMain {
		return in.eval(ctx, file, mainName+"()", true, false)
	}
	return res, nil
}

// topLevelNames lists the names an input declares for the session: the
// file's declarations, or for statements (node is main's body) the
// variables they define.
func topLevelNames(node ast.Node, f *ast.File) []string {
	var out []string
	specs := func(gd *ast.GenDecl) {
		for _, s := range gd.Specs {
			switch s := s.(type) {
			case *ast.ValueSpec:
				for _, n := range s.Names {
					out = append(out, n.Name)
				}
			case *ast.TypeSpec:
				out = append(out, s.Name.Name)
			}
		}
	}
	if b, ok := node.(*ast.BlockStmt); ok {
		for _, st := range b.List {
			switch st := st.(type) {
			case *ast.AssignStmt:
				if st.Tok == token.DEFINE {
					for _, l := range st.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							out = append(out, id.Name)
						}
					}
				}
			case *ast.DeclStmt:
				specs(st.Decl.(*ast.GenDecl))
			}
		}
		return out
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			specs(d)
		}
	}
	return out
}

// globals are the session's variables; yaegi's Globals panics on a symbol
// a failed compile left without a slot, and then there are none to show.
func (in *Interp) globals() (g map[string]reflect.Value) {
	defer func() {
		if recover() != nil {
			g = nil
		}
	}()
	return in.yi.Globals()
}

func mainDecl(f *ast.File) *ast.FuncDecl {
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			return fd
		}
	}
	return nil
}

// compile runs yaegi's type analysis under a recover (some inputs make it
// panic instead of returning an error) and the context.
func (in *Interp) compile(ctx context.Context, node ast.Node) (*interp.Program, error) {
	type result struct {
		prog *interp.Program
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.err = fmt.Errorf("interpreter failure: %v", p)
			}
			done <- r
		}()
		r.prog, r.err = in.yi.CompileAST(node)
	}()
	select {
	case r := <-done:
		return r.prog, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// parse parses src the way the interpreter will run it. For interactive
// input that is a file, bare declarations, or statements wrapped in a main
// function (returned as its body). f is the whole file, for the guard.
func (in *Interp) parse(name, src string, inc bool) (ast.Node, *ast.File, error) {
	fset := in.yi.FileSet()
	mode := parser.DeclarationErrors | parser.ParseComments
	if !inc {
		f, err := parser.ParseFile(fset, name, src, mode)
		return f, f, err
	}
	switch firstToken(src) {
	case token.PACKAGE:
		f, err := parser.ParseFile(fset, name, src, mode)
		return f, f, err
	case token.CONST, token.FUNC, token.IMPORT, token.TYPE, token.VAR:
		f, err := parser.ParseFile(fset, name, "package main;"+src, mode)
		if err == nil {
			return f, f, nil
		}
		if fm, err2 := parser.ParseFile(fset, name, wrapInMain(src), mode); err2 == nil {
			return mainBody(fm), fm, nil
		}
		return nil, nil, err
	}
	f, err := parser.ParseFile(fset, name, wrapInMain(src), mode)
	if err != nil {
		return nil, nil, err
	}
	return mainBody(f), f, nil
}

// wrapInMain keeps src's line numbers: the wrapper shares its first line.
func wrapInMain(src string) string { return "package main; func main() {" + src + "\n}" }

func mainBody(f *ast.File) ast.Node { return f.Decls[len(f.Decls)-1].(*ast.FuncDecl).Body }

func firstToken(src string) token.Token {
	var s scanner.Scanner
	fs := token.NewFileSet()
	s.Init(fs.AddFile("", -1, len(src)), []byte(src), nil, 0)
	_, tok, _ := s.Scan()
	return tok
}

// Complete reports whether src is complete input rather than the start of a
// longer one (an open brace, parenthesis or raw string), so the REPL knows
// whether to read another line.
func Complete(src string) bool {
	var s scanner.Scanner
	fs := token.NewFileSet()
	unterminated := false
	s.Init(fs.AddFile("", -1, len(src)), []byte(src), func(_ token.Position, msg string) {
		if strings.Contains(msg, "raw string literal not terminated") || strings.Contains(msg, "comment not terminated") {
			unterminated = true
		}
	}, 0)
	depth := 0
	for {
		_, tok, _ := s.Scan()
		switch tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			depth--
		}
		if tok == token.EOF {
			break
		}
	}
	return !unterminated && depth <= 0
}

// binaryPackages maps each compiled package's import path to its symbols.
func (in *Interp) binaryPackages() map[string]map[string]reflect.Value {
	out := map[string]map[string]reflect.Value{}
	for k, v := range stdlib.Symbols {
		out[strings.TrimSuffix(k, "/"+filepath.Base(k))] = v
	}
	for k, v := range symbols.Symbols {
		out[strings.TrimSuffix(k, "/"+filepath.Base(k))] = v
	}
	for k, v := range in.sessionSymbols() {
		out[strings.TrimSuffix(k, "/"+filepath.Base(k))] = v
	}
	return out
}

// posRE matches the "file:line:col: " prefix of yaegi's errors (the file is
// dropped when it is the default source name).
var posRE = regexp.MustCompile(`^(?:(.*?):)?(\d+):(\d+): (.*)$`)

// wrap turns a parse or guard error into an *Error; lines past last (when
// not 0) are the wrapper's and are reported as last.
func (in *Interp) wrap(file string, err error, last int) error {
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		line := e.Pos.Line
		if last > 0 && line > last {
			line = last
		}
		return &Error{File: file, Line: line, Msg: e.Msg}
	}
	var se *Error
	if errors.As(err, &se) {
		se.File = file
		return se
	}
	return err
}

// explain turns a compile or run error into an *Error with the script's
// position: from the error text, or for a panic from the positions yaegi
// reported while unwinding.
func (in *Interp) explain(file string, f *ast.File, err error) error {
	var p interp.Panic
	if errors.As(err, &p) {
		if m := exitRE.FindStringSubmatch(panicText(p.Value)); m != nil {
			code, _ := strconv.Atoi(m[1])
			return &ExitError{Code: code}
		}
		msg := panicText(p.Value)
		trace := in.tap.trace()
		e := &Error{File: file, Msg: "panic: " + goRuntimeError(msg)}
		for _, t := range trace {
			if m := posRE.FindStringSubmatch(t); m != nil {
				line, _ := strconv.Atoi(m[2])
				fn := strings.TrimSuffix(strings.TrimPrefix(m[4], "panic: "), "(...)")
				e.Trace = append(e.Trace, fmt.Sprintf("%s:%d: %s", displayFile(file), line, fn))
				if e.Line == 0 {
					e.Line = line
				}
			}
		}
		if indexRE.MatchString(msg) && len(e.Trace) <= 1 {
			e.Msg += in.indexDetail(f, e.Line)
		}
		return e
	}
	msg := err.Error()
	if m := posRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[2])
		if m[4] == "nil type" {
			if e := rangeError(in.yi.FileSet(), f, file, line); e != nil {
				return e
			}
		}
		msg := m[4]
		if msg == "constant definition loop" {
			msg += " (an interpreter limitation: for a value from a compiled call at the top level, declare it with its type, var x T = ...)"
		}
		return &Error{File: file, Line: line, Msg: msg}
	}
	if msg == "nil type" || strings.HasPrefix(msg, "interpreter failure") {
		if e := rangeError(in.yi.FileSet(), f, file, 0); e != nil {
			return e
		}
	}
	return &Error{File: file, Msg: msg}
}

// yaegi's reflect-level panics for what Go reports as runtime errors.
var (
	zeroValueRE = regexp.MustCompile(`^reflect: call of reflect\.Value\.\w+ on zero Value$|^reflect\.Value\.Call: call of nil function$`)
	indexRE     = regexp.MustCompile(`^reflect: (slice|array|string) index out of range$`)
	sliceRE     = regexp.MustCompile(`^reflect\.Value\.Slice3?: slice index out of bounds$`)
)

// goRuntimeError says a panic yaegi raised through reflect in Go's words.
func goRuntimeError(msg string) string {
	switch {
	case zeroValueRE.MatchString(msg):
		return "runtime error: invalid memory address or nil pointer dereference"
	case indexRE.MatchString(msg):
		return "runtime error: index out of range"
	case sliceRE.MatchString(msg):
		return "runtime error: slice bounds out of range"
	}
	return msg
}

// indexDetail is Go's " [i] with length n" for the index expression on line
// that is out of range, found by evaluating its operands again: only for a
// panic at the top level, where they are the session's variables, and only
// operands without side effects.
func (in *Interp) indexDetail(f *ast.File, line int) string {
	fset := in.yi.FileSet()
	detail := ""
	ast.Inspect(f, func(n ast.Node) bool {
		ix, ok := n.(*ast.IndexExpr)
		if !ok || detail != "" {
			return detail == ""
		}
		if fset.Position(ix.Pos()).Line != line || !pure(ix.X) || !pure(ix.Index) {
			return true
		}
		var b strings.Builder
		if format.Node(&b, fset, ix.X) != nil {
			return true
		}
		x := b.String()
		b.Reset()
		if format.Node(&b, fset, ix.Index) != nil {
			return true
		}
		i, ok1 := in.evalInt("int(" + b.String() + ")")
		size, ok2 := in.evalInt("len(" + x + ")")
		if ok1 && ok2 && (i < 0 || i >= size) {
			detail = fmt.Sprintf(" [%d] with length %d", i, size)
		}
		return true
	})
	return detail
}

// evalInt evaluates a side-effect-free int expression in the session.
func (in *Interp) evalInt(src string) (n int64, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	v, err := in.yi.Eval(src)
	if err != nil || !v.IsValid() || !v.CanInt() {
		return 0, false
	}
	return v.Int(), true
}

func displayFile(f string) string {
	if f == "" {
		return "input"
	}
	return f
}

// panicText renders a recovered value; yaegi hands some back as a
// reflect.Value of the original.
func panicText(v any) string {
	if rv, ok := v.(reflect.Value); ok && rv.IsValid() && rv.CanInterface() {
		v = rv.Interface()
	}
	return fmt.Sprint(v)
}

// panicTap passes the interpreter's stderr through, except the
// "file:line:col: panic: fn(...)" lines yaegi writes while a panic unwinds,
// which it keeps for the error instead.
type panicTap struct {
	w      io.Writer
	mu     sync.Mutex
	on     bool
	buf    bytes.Buffer
	traces []string
}

var panicLine = regexp.MustCompile(`^(?:.*?:)?\d+:\d+: panic`)

func (t *panicTap) begin() {
	t.mu.Lock()
	t.on, t.traces = true, nil
	t.mu.Unlock()
}

func (t *panicTap) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on = false
	if t.buf.Len() > 0 {
		t.w.Write(t.buf.Bytes())
		t.buf.Reset()
	}
}

func (t *panicTap) trace() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.traces...)
}

func (t *panicTap) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.on {
		return t.w.Write(p)
	}
	t.buf.Write(p)
	for {
		b := t.buf.Bytes()
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		line := string(b[:i])
		t.buf.Next(i + 1)
		if panicLine.MatchString(line) {
			t.traces = append(t.traces, line)
			continue
		}
		if _, err := io.WriteString(t.w, line+"\n"); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}
