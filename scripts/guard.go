package scripts

import (
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// yaegiGeneric are standard packages yaegi carries as generic source, so
// their generic functions can be instantiated from scripts.
var yaegiGeneric = map[string]bool{"slices": true, "maps": true, "cmp": true}

// typeCheck type-checks f on its own, for the guard and the rewrites:
// imports are not resolved, so what depends on them, or on a variable from
// an earlier input, stays untyped.
func typeCheck(fset *token.FileSet, f *ast.File) *types.Info {
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "gc", func(string) (io.ReadCloser, error) { return nil, errNoImport }),
		Error:    func(error) {},
	}
	conf.Check("main", fset, []*ast.File{f}, info)
	return info
}

// guard rejects what yaegi v0.16.1 cannot run and would fail on badly
// (a panic, a broken session): range over a function (Go 1.23 syntax), and
// compiled generic functions or types, which extract cannot export. A range
// over a variable defined in an earlier input is left to explain, which maps
// yaegi's "nil type" back to the same message.
func guard(fset *token.FileSet, f *ast.File, info *types.Info, bin map[string]map[string]reflect.Value) error {
	imports := importNames(f)
	var bad error
	ast.Inspect(f, func(n ast.Node) bool {
		if bad != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.RangeStmt:
			if tv, ok := info.Types[n.X]; ok && tv.Type != nil {
				if _, ok := tv.Type.Underlying().(*types.Signature); ok {
					bad = unsupported(fset, n.Pos(), "range over a function (Go 1.23 iterators) is not supported by the interpreter; call the function with a callback")
				}
			}
		case *ast.IndexExpr:
			bad = genericUse(fset, n.X, imports, bin)
		case *ast.IndexListExpr:
			bad = genericUse(fset, n.X, imports, bin)
		}
		return true
	})
	return bad
}

// genericUse reports pkg.Name[...] where pkg is a compiled package that does
// not export Name: a generic function or type, which the interpreter cannot
// instantiate.
func genericUse(fset *token.FileSet, x ast.Expr, imports map[string]string, bin map[string]map[string]reflect.Value) error {
	sel, ok := x.(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return nil
	}
	path, ok := imports[id.Name]
	if !ok || yaegiGeneric[path] {
		return nil
	}
	syms, ok := bin[path]
	if !ok {
		return nil
	}
	if _, ok := syms[sel.Sel.Name]; ok {
		return nil
	}
	return unsupported(fset, x.Pos(), fmt.Sprintf("%s.%s is generic or not exported: compiled generic functions and types cannot be used from scripts", id.Name, sel.Sel.Name))
}

func unsupported(fset *token.FileSet, pos token.Pos, msg string) error {
	return &Error{Line: fset.Position(pos).Line, Msg: msg}
}

var errNoImport = errors.New("imports are not type-checked by the guard")

const rangeMsg = "range over a value whose type is known only when the script runs (an integer from a compiled call, or a function): " +
	"declare it with its type (var n int = ...) or write a counted loop; range over a function is not supported by the interpreter"

// rangeError names the range statement on line, or the first one in f when
// line is 0: the usual cause of yaegi's "nil type" when the type check could
// not see the ranged value's type, so the rewrite of a range over an integer
// could not apply. It is nil when f has no such statement.
func rangeError(fset *token.FileSet, f *ast.File, file string, line int) *Error {
	var e *Error
	ast.Inspect(f, func(n ast.Node) bool {
		if e != nil {
			return false
		}
		if r, ok := n.(*ast.RangeStmt); ok {
			l := fset.Position(r.Pos()).Line
			if line == 0 || l == line {
				e = &Error{File: file, Line: l, Msg: rangeMsg}
			}
		}
		return true
	})
	return e
}

// builtinCallees cannot be taken as values, so go statements calling them
// are left as they are.
var builtinCallees = map[string]bool{
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true, "delete": true,
	"imag": true, "len": true, "make": true, "max": true, "min": true, "new": true, "panic": true,
	"print": true, "println": true, "real": true, "recover": true,
}

// protectGoroutines rewrites each `go f(a, b)` in f into
//
//	{ fn, x, y := f, a, b; go func() { defer func() { if r := recover(); r != nil { println("panic in goroutine:", r) } }(); fn(x, y) }() }
//
// yaegi re-panics a goroutine's panic after its own recover, and a panic in
// a goroutine ends the process: this keeps the host alive and reports it.
// The function and arguments are still evaluated where the go statement
// is, as Go does.
func protectGoroutines(f *ast.File) {
	n := 0
	made := map[*ast.GoStmt]bool{} // the wrappers' own go statements
	wrap := func(g *ast.GoStmt) ast.Stmt {
		if made[g] {
			return g
		}
		w := protectGo(g, n)
		n++
		if b, ok := w.(*ast.BlockStmt); ok {
			made[b.List[1].(*ast.GoStmt)] = true
		}
		return w
	}
	rewrite := func(list []ast.Stmt) {
		for i, s := range list {
			if g, ok := s.(*ast.GoStmt); ok {
				list[i] = wrap(g)
			}
		}
	}
	ast.Inspect(f, func(node ast.Node) bool {
		switch x := node.(type) {
		case *ast.BlockStmt:
			rewrite(x.List)
		case *ast.CaseClause:
			rewrite(x.Body)
		case *ast.CommClause:
			rewrite(x.Body)
		case *ast.LabeledStmt:
			if g, ok := x.Stmt.(*ast.GoStmt); ok {
				x.Stmt = wrap(g)
			}
		}
		return true
	})
}

func protectGo(g *ast.GoStmt, n int) ast.Stmt {
	call := g.Call
	if id, ok := call.Fun.(*ast.Ident); ok && builtinCallees[id.Name] {
		return g
	}
	pos := g.Pos()
	id := func(name string) *ast.Ident { return &ast.Ident{NamePos: pos, Name: name} }
	fn := fmt.Sprintf("_wbGoFn%d", n)
	lhs, rhs := []ast.Expr{id(fn)}, []ast.Expr{call.Fun}
	var args []ast.Expr
	for i, a := range call.Args {
		name := fmt.Sprintf("_wbGoArg%d_%d", n, i)
		lhs, rhs = append(lhs, id(name)), append(rhs, a)
		args = append(args, id(name))
	}
	noParams := func() *ast.FuncType {
		return &ast.FuncType{Func: pos, Params: &ast.FieldList{Opening: pos, Closing: pos}}
	}
	report := &ast.IfStmt{
		If:   pos,
		Init: &ast.AssignStmt{Lhs: []ast.Expr{id("_wbGoR")}, TokPos: pos, Tok: token.DEFINE, Rhs: []ast.Expr{&ast.CallExpr{Fun: id("recover"), Lparen: pos, Rparen: pos}}},
		Cond: &ast.BinaryExpr{X: id("_wbGoR"), OpPos: pos, Op: token.NEQ, Y: id("nil")},
		Body: &ast.BlockStmt{Lbrace: pos, Rbrace: pos, List: []ast.Stmt{&ast.ExprStmt{X: &ast.CallExpr{
			Fun: id("println"), Lparen: pos, Rparen: pos,
			Args: []ast.Expr{&ast.BasicLit{ValuePos: pos, Kind: token.STRING, Value: `"panic in goroutine:"`}, id("_wbGoR")},
		}}}},
	}
	deferred := &ast.DeferStmt{Defer: pos, Call: &ast.CallExpr{
		Fun:    &ast.FuncLit{Type: noParams(), Body: &ast.BlockStmt{Lbrace: pos, Rbrace: pos, List: []ast.Stmt{report}}},
		Lparen: pos, Rparen: pos,
	}}
	inner := &ast.CallExpr{Fun: id(fn), Lparen: pos, Args: args, Ellipsis: call.Ellipsis, Rparen: pos}
	spawn := &ast.GoStmt{Go: pos, Call: &ast.CallExpr{
		Fun:    &ast.FuncLit{Type: noParams(), Body: &ast.BlockStmt{Lbrace: pos, Rbrace: pos, List: []ast.Stmt{deferred, &ast.ExprStmt{X: inner}}}},
		Lparen: pos, Rparen: pos,
	}}
	return &ast.BlockStmt{Lbrace: pos, Rbrace: g.End(), List: []ast.Stmt{
		&ast.AssignStmt{Lhs: lhs, TokPos: pos, Tok: token.DEFINE, Rhs: rhs},
		spawn,
	}}
}

// wrapCompoundStatements works around yaegi v0.16.1 losing variables that
// `a, b := f()` declares inside a loop, if or switch at the top level of
// interactive input ("undefined: a"), and sharing one slot among the
// per-iteration copies of a loop variable there (the loops in copied).
// Such a statement declares nothing outside itself, so running it inside
// `func() { ... }()` changes nothing else, and inside functions yaegi gets
// it right.
func wrapCompoundStatements(body *ast.BlockStmt, copied map[ast.Stmt]bool) {
	for i, s := range body.List {
		switch s.(type) {
		case *ast.ForStmt, *ast.RangeStmt, *ast.IfStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.BlockStmt, *ast.LabeledStmt:
		default:
			continue
		}
		if !hasMultiDefine(s) && !copied[s] {
			continue
		}
		pos := s.Pos()
		body.List[i] = &ast.ExprStmt{X: &ast.CallExpr{
			Fun: &ast.FuncLit{
				Type: &ast.FuncType{Func: pos, Params: &ast.FieldList{Opening: pos, Closing: pos}},
				Body: &ast.BlockStmt{Lbrace: pos, List: []ast.Stmt{s}, Rbrace: s.End()},
			},
			Lparen: s.End(), Rparen: s.End(),
		}}
	}
}

// hasMultiDefine reports a `a, b := f()` in s outside function literals.
func hasMultiDefine(s ast.Stmt) bool {
	found := false
	ast.Inspect(s, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE && len(x.Lhs) > 1 && len(x.Rhs) == 1 {
				found = true
			}
		}
		return !found
	})
	return found
}

// importNames maps the names f's imports are used by to their paths.
func importNames(f *ast.File) map[string]string {
	names := map[string]string{}
	for _, is := range f.Imports {
		p, err := strconv.Unquote(is.Path.Value)
		if err != nil {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if is.Name != nil {
			name = is.Name.Name
		}
		names[name] = p
	}
	return names
}

// missingImport finds the first use of a known package's name that is
// neither imported by f nor declared in it, as in "func Run(c
// *paper.Context)" without importing workbench/paper.
func missingImport(fset *token.FileSet, f *ast.File, file string, bin map[string]map[string]reflect.Value) *Error {
	imported := importNames(f)
	known := map[string]string{} // package name → import path
	for p := range bin {
		known[p[strings.LastIndex(p, "/")+1:]] = p
	}
	var e *Error
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if e != nil || !ok {
			return e == nil
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || imported[id.Name] != "" || id.Obj != nil {
			return true
		}
		if p, ok := known[id.Name]; ok {
			e = &Error{File: file, Line: fset.Position(id.Pos()).Line, Msg: fmt.Sprintf("undefined: %s (missing import %q)", id.Name, p)}
		}
		return true
	})
	return e
}
