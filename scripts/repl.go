package scripts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"workbench/scripts/symbols"
)

// replImports are imported in every REPL session, so people can type
// frames.New(...) or fmt.Println at once.
var replImports = append([]string{"fmt", "math", "strings", "time", "sort", "os", "context"}, Imports...)

// REPL is the interactive session: it collects lines until the input is
// complete, runs commands and Go, and prints results readably. The terminal
// side (line editing, history, Ctrl-C) belongs to the caller.
type REPL struct {
	In       *Interp
	Out, Err io.Writer
	// Color prints errors in red.
	Color bool

	// Journal, when set, receives each input that ran without error (and
	// :load and :reset), one JSON string a line: what Replay needs to
	// rebuild the session in a new process after a fault ended this one.
	Journal io.Writer

	pending  []string
	imported map[string]string // local name → import path
	names    map[string]bool   // defined in the session
}

// record appends a successful input to the journal. A journal that cannot
// be written loses only the ability to restore, so it is reported once and
// dropped.
func (r *REPL) record(src string) {
	if r.Journal == nil {
		return
	}
	b, _ := json.Marshal(src)
	if _, err := r.Journal.Write(append(b, '\n')); err != nil {
		r.printErr(fmt.Errorf("session journal: %w (a fault will not be able to restore this session)", err))
		r.Journal = nil
	}
}

// Replay runs the inputs of a journal Record wrote, in order, and reports
// how many ran without error. Their output goes where the session's goes;
// a caller restoring a session silences it first.
func (r *REPL) Replay(ctx context.Context, journal io.Reader) (int, error) {
	j := r.Journal
	r.Journal = nil // it holds these already
	defer func() { r.Journal = j }()
	dec := json.NewDecoder(journal)
	ok := 0
	for {
		var src string
		if err := dec.Decode(&src); err == io.EOF {
			return ok, nil
		} else if err != nil {
			return ok, fmt.Errorf("session journal, input %d: %w", ok+1, err)
		}
		var failed bool
		if strings.HasPrefix(src, ":") {
			failed = r.commandFailed(ctx, src)
		} else {
			failed = !r.run(ctx, src, false)
		}
		if !failed {
			ok++
		}
	}
}

func (r *REPL) commandFailed(ctx context.Context, line string) bool {
	var buf strings.Builder
	errw := r.Err
	r.Err = &buf
	defer func() { r.Err = errw }()
	r.command(ctx, line)
	return buf.Len() > 0
}

// NewREPL starts a session with the usual packages imported.
func NewREPL(opts Options, color bool) (*REPL, error) {
	in, err := New(opts)
	if err != nil {
		return nil, err
	}
	r := &REPL{In: in, Out: opts.Stdout, Err: opts.Stderr, Color: color}
	if r.Out == nil {
		r.Out = os.Stdout
	}
	if r.Err == nil {
		r.Err = os.Stderr
	}
	if err := r.importDefaults(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *REPL) importDefaults() error {
	r.imported = map[string]string{}
	r.names = map[string]bool{}
	have := r.In.Symbols()
	var b strings.Builder
	b.WriteString("import (\n")
	for _, p := range replImports {
		if _, ok := have[p]; !ok {
			continue // a package not generated yet
		}
		fmt.Fprintf(&b, "\t%q\n", p)
		r.imported[path.Base(p)] = p
	}
	b.WriteString(")")
	_, err := r.In.Eval(context.Background(), b.String())
	return err
}

// Prompt is the prompt for the next line.
func (r *REPL) Prompt() string {
	if len(r.pending) > 0 {
		return "...  "
	}
	return "wb> "
}

// Discard drops an unfinished multi-line input (Ctrl-C at the prompt).
func (r *REPL) Discard() { r.pending = nil }

// Line takes one line of input. It runs the input once it is complete and
// reports whether the user asked to quit.
func (r *REPL) Line(ctx context.Context, line string) (quit bool) {
	if len(r.pending) == 0 && strings.HasPrefix(strings.TrimSpace(line), ":") {
		return r.command(ctx, strings.TrimSpace(line))
	}
	r.pending = append(r.pending, line)
	src := strings.Join(r.pending, "\n")
	if !Complete(src) {
		return false
	}
	r.pending = nil
	if strings.TrimSpace(src) == "" {
		return false
	}
	r.run(ctx, src, false)
	return false
}

const replHelp = `Type Go: declarations, statements or an expression (its value is printed).
Input continues over several lines until braces and parentheses close.
Imported already: %s.
Commands:
  :help         this text
  :load FILE    run a Go file in this session (its main runs if it has one)
  :reset        forget every definition
  :doc NAME     documentation of an exported name, e.g. :doc frames.OHLCV.Add
  :time EXPR    evaluate and print how long it took
  :quit         leave (also Ctrl-D)
Ctrl-C stops a running evaluation and keeps the session; Tab completes names.
Try:
  st, _ := frames.OpenStore(session.StoreDir()); st.List()   the stored series
  h, _ := frames.Load("btcusdt.spot.synthetic", "1h")        one of them (1h derived from 1m)
  fsp.RSI(h.Close, 14)                                       an indicator, as TA-Lib computes it
  h.DataFrame().Describe()                                   gota statistics of the columns
`

func (r *REPL) command(ctx context.Context, line string) bool {
	cmd, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case ":quit", ":q", ":exit":
		return true
	case ":help", ":h":
		names := make([]string, 0, len(r.imported))
		for n := range r.imported {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(r.Out, replHelp, strings.Join(names, ", "))
	case ":reset":
		if err := r.In.Reset(); err != nil {
			r.printErr(err)
			return false
		}
		if err := r.importDefaults(); err != nil {
			r.printErr(err)
			return false
		}
		r.record(":reset")
		fmt.Fprintln(r.Out, "session reset")
	case ":load":
		if arg == "" {
			r.printErr(errors.New(":load needs a FILE"))
			return false
		}
		b, err := os.ReadFile(arg)
		if err != nil {
			r.printErr(err)
			return false
		}
		src := string(b)
		if firstToken(src) == token.PACKAGE {
			// A saved script: its package clause would clash with the
			// session's, and its imports are checked against ours.
			src = stripPackage(src)
		}
		src = r.dropImported(src)
		if _, err := r.In.EvalAt(ctx, arg, 1, src); err != nil {
			r.printErr(err)
			return false
		}
		r.learnNames(src)
		r.record(":load " + arg)
		fmt.Fprintf(r.Out, "loaded %s\n", arg)
	case ":doc":
		fmt.Fprintln(r.Out, r.doc(arg))
	case ":time":
		if arg == "" {
			r.printErr(errors.New(":time needs an expression"))
			return false
		}
		r.run(ctx, arg, true)
	default:
		r.printErr(fmt.Errorf("unknown command %s (try :help)", cmd))
	}
	return false
}

// stripPackage blanks the package clause, keeping line numbers.
func stripPackage(src string) string {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly)
	if err != nil {
		return src
	}
	end := int(f.Name.End()) - 1
	start := int(f.Package) - 1
	return src[:start] + strings.Repeat(" ", end-start) + src[end:]
}

// dropImported blanks the import specs the session already has under the
// same name (importing twice is an error in the interpreter), keeping line
// numbers, and records the new ones.
func (r *REPL) dropImported(src string) string {
	const pre = "package main;"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", pre+src, parser.ImportsOnly)
	if err != nil {
		return src
	}
	b := []byte(src)
	blank := func(from, to token.Pos) {
		s, e := fset.Position(from).Offset-len(pre), fset.Position(to).Offset-len(pre)
		for i := s; i < e && i < len(b); i++ {
			if b[i] != '\n' {
				b[i] = ' '
			}
		}
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		for _, sp := range gd.Specs {
			is := sp.(*ast.ImportSpec)
			p, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				continue
			}
			name := path.Base(p)
			if is.Name != nil {
				name = is.Name.Name
			}
			if r.imported[name] != p {
				r.imported[name] = p
				continue
			}
			if gd.Lparen.IsValid() {
				blank(is.Pos(), is.End())
			} else {
				blank(gd.Pos(), gd.End())
			}
		}
	}
	return string(b)
}

// run evaluates src and prints its value when it is an expression. It
// reports whether src ran without error.
func (r *REPL) run(ctx context.Context, src string, timed bool) bool {
	isImport := firstToken(src) == token.IMPORT
	if isImport {
		src = r.dropImported(src)
		if strings.TrimSpace(src) == "" {
			return true
		}
	}
	show := lastIsExpr(src)
	multi := 0
	if show && !timed {
		src, multi = r.captureResults(src)
	}
	start := time.Now()
	v, err := r.In.Eval(ctx, src)
	took := time.Since(start)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			r.printErr(errors.New("interrupted"))
			return false
		}
		r.printErr(err)
		return false
	}
	r.learnNames(src)
	r.record(src)
	switch {
	case multi > 0 && v.IsValid():
		fmt.Fprintln(r.Out, formatResults(v, r.Color))
	case show && v.IsValid():
		fmt.Fprintln(r.Out, Format(v, r.Color))
	}
	if timed {
		fmt.Fprintf(r.Out, "took %v\n", took.Round(time.Microsecond))
	}
	return true
}

// captureResults rewrites src whose last statement calls a compiled
// function or a method of a session variable returning several values, so
// that its value holds them all (yaegi keeps only the first, and
// frames.Load's error would be lost behind "<nil frame>"). It returns src
// unchanged and 0 otherwise. The rewrite stays on the call's lines.
func (r *REPL) captureResults(src string) (string, int) {
	const pre = "package main; func main() {"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", wrapInMain(src), 0)
	if err != nil {
		return src, 0
	}
	list := mainBody(f).(*ast.BlockStmt).List
	es, ok := list[len(list)-1].(*ast.ExprStmt)
	if !ok {
		return src, 0
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok {
		return src, 0
	}
	n := r.results(call)
	if n < 2 {
		return src, 0
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("_wbR%d", i)
	}
	start, end := fset.Position(call.Pos()).Offset-len(pre), fset.Position(call.End()).Offset-len(pre)
	vars := strings.Join(names, ", ")
	return src[:start] + "func() []any { " + vars + " := " + src[start:end] + "; return []any{" + vars + "} }()" + src[end:], n
}

// results is how many values call returns when the callee is a compiled
// package's function or a method of a session variable, else 0.
func (r *REPL) results(call *ast.CallExpr) int {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return 0
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return 0
	}
	var fn reflect.Value
	if p, ok := r.imported[id.Name]; ok {
		fn = r.In.binaryPackages()[p][sel.Sel.Name]
	} else if v, ok := r.In.globals()[id.Name]; ok && v.IsValid() {
		if fn = v.MethodByName(sel.Sel.Name); !fn.IsValid() && v.CanAddr() {
			fn = v.Addr().MethodByName(sel.Sel.Name)
		}
	}
	if !fn.IsValid() || fn.Kind() != reflect.Func {
		return 0
	}
	return fn.Type().NumOut()
}

// formatResults prints the values of a call returning several: a failed
// call (a non-nil error last, the others zero) as its error alone.
func formatResults(v reflect.Value, color bool) string {
	n := v.Len()
	last := v.Index(n - 1).Elem()
	if last.IsValid() {
		if _, isErr := last.Interface().(error); isErr {
			zero := true
			for i := 0; i < n-1; i++ {
				e := v.Index(i).Elem()
				zero = zero && (!e.IsValid() || e.IsZero())
			}
			if zero {
				return Format(last, color)
			}
		}
	}
	parts := make([]string, n)
	sep := ", "
	for i := range parts {
		parts[i] = Format(v.Index(i).Elem(), color)
		if strings.Contains(parts[i], "\n") {
			sep = "\n"
		}
	}
	return strings.Join(parts, sep)
}

func (r *REPL) printErr(err error) {
	msg := err.Error()
	if r.Color {
		msg = "\x1b[31m" + msg + "\x1b[0m"
	}
	fmt.Fprintln(r.Err, msg)
}

// learnNames remembers the names src defines, for completion.
func (r *REPL) learnNames(src string) {
	fset := token.NewFileSet()
	add := func(id *ast.Ident) {
		if id != nil && id.Name != "_" {
			r.names[id.Name] = true
		}
	}
	if f, err := parser.ParseFile(fset, "", "package main;"+src, 0); err == nil {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					add(d.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							add(n)
						}
					case *ast.TypeSpec:
						add(s.Name)
					}
				}
			}
		}
		return
	}
	f, err := parser.ParseFile(fset, "", wrapInMain(src), 0)
	if err != nil {
		return
	}
	for _, st := range mainBody(f).(*ast.BlockStmt).List {
		switch st := st.(type) {
		case *ast.AssignStmt:
			if st.Tok == token.DEFINE {
				for _, l := range st.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						add(id)
					}
				}
			}
		case *ast.DeclStmt:
			if gd, ok := st.Decl.(*ast.GenDecl); ok {
				for _, s := range gd.Specs {
					switch s := s.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							add(n)
						}
					case *ast.TypeSpec:
						add(s.Name)
					}
				}
			}
		}
	}
}

// doc is the :doc text of name ("frames.OHLCV", "frames.OHLCV.Add", or a
// session package name alone).
func (r *REPL) doc(name string) string {
	if name == "" {
		return "usage: :doc NAME, e.g. :doc frames.ReadCSVFile"
	}
	if d, ok := symbols.Docs[name]; ok {
		return d
	}
	if d, ok := SessionDocs[name]; ok {
		return d
	}
	var near []string
	low := strings.ToLower(name)
	for k := range symbols.Docs {
		if strings.HasPrefix(strings.ToLower(k), low) || strings.EqualFold(k[strings.LastIndex(k, ".")+1:], name) {
			near = append(near, k)
		}
	}
	sort.Strings(near)
	if len(near) > 20 {
		near = append(near[:20], "...")
	}
	if len(near) > 0 {
		return fmt.Sprintf("no documentation for %s; did you mean: %s", name, strings.Join(near, ", "))
	}
	return "no documentation for " + name
}

// Do implements readline's AutoCompleter: it completes commands, package
// names, their members and names defined in the session. It returns the
// suffixes to insert and how many runes before pos they extend.
func (r *REPL) Do(line []rune, pos int) ([][]rune, int) {
	head := string(line[:pos])
	if strings.HasPrefix(head, ":") && !strings.Contains(head, " ") {
		return suffixes([]string{":help", ":load", ":reset", ":doc", ":time", ":quit"}, head)
	}
	i := len(head)
	for i > 0 {
		c := rune(head[i-1])
		if c != '.' && c != '_' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			break
		}
		i--
	}
	word := head[i:]
	if strings.HasPrefix(head, ":doc ") {
		return suffixes(r.docNames(), word)
	}
	if pkg, member, ok := strings.Cut(word, "."); ok {
		if strings.Contains(member, ".") {
			return nil, 0
		}
		p, found := r.imported[pkg]
		if !found {
			return suffixes(r.memberNames(pkg), member)
		}
		var names []string
		for _, n := range r.In.Symbols()[p] {
			if ast.IsExported(n) {
				names = append(names, n)
			}
		}
		return suffixes(names, member)
	}
	var names []string
	for n := range r.imported {
		names = append(names, n)
	}
	for n := range r.names {
		names = append(names, n)
	}
	return suffixes(names, word)
}

// memberNames lists the exported fields and methods of the session
// variable name, from its current value.
func (r *REPL) memberNames(name string) []string {
	v, ok := r.In.globals()[name]
	if !ok || !v.IsValid() {
		return nil
	}
	var out []string
	t := v.Type()
	for i := 0; i < t.NumMethod(); i++ {
		out = append(out, t.Method(i).Name)
	}
	if t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				out = append(out, f.Name)
			}
		}
	}
	return out
}

func (r *REPL) docNames() []string {
	out := make([]string, 0, len(symbols.Docs)+len(SessionDocs))
	for k := range symbols.Docs {
		out = append(out, k)
	}
	for k := range SessionDocs {
		out = append(out, k)
	}
	return out
}

// suffixes returns, sorted, what completes word to each candidate with it as
// a prefix, and the length of word.
func suffixes(cands []string, word string) ([][]rune, int) {
	sort.Strings(cands)
	var out [][]rune
	last := ""
	for _, c := range cands {
		if c != last && strings.HasPrefix(c, word) {
			out = append(out, []rune(c[len(word):]))
		}
		last = c
	}
	return out, len([]rune(word))
}
