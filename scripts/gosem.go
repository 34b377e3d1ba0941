package scripts

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"reflect"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/interp"
)

// Go 1.22 semantics on a Go 1.21 interpreter. yaegi v0.16.1 shares one
// loop variable across iterations, has no range over an integer and no min,
// max or clear builtins; rather than let a script print 3 3 3 where go run
// prints 0 1 2, the source is rewritten before yaegi sees it:
//
//   - a loop variable a closure, a & or a method value could capture gets a
//     per-iteration copy (`v := v` at the top of the body; a 3-clause loop
//     also copies it back before the post statement, at the body's end and
//     at each continue), so loops that capture nothing run unchanged;
//   - `for i := range n` becomes a counted loop over n evaluated once;
//   - min and max call generic helpers the prelude declares, with constant
//     arguments last (yaegi infers a type parameter from the first
//     argument only) and constant calls folded; clear calls a reflect
//     helper;
//   - `defer f(x)` and `defer v.M(x)` defer `_wbDefer(f, x)()`, a call
//     bound when the defer runs: yaegi keeps references to the function's
//     variables and reads them only at return, so `x := 1; defer
//     fmt.Println(x); x = 2` printed 2, and deferred calls in a loop all
//     saw the last iteration. A named function without arguments stays as
//     it is outside loops, so that recover in it works; so does a closure
//     (see bindDefer).
//
// New nodes take the positions of the nodes they replace, so errors still
// name the script's lines.

// prelude declares the helpers of the rewrites in every session, in a file
// of its own so that its import does not become the session's: generic min
// and max, and one of each per basic type (_wbMin_float64).
var prelude = preludeHead + typedMinMax()

func typedMinMax() string {
	var b strings.Builder
	for _, t := range []string{"int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "float32", "float64", "string"} {
		for _, f := range []struct{ name, op string }{{"Min", "<"}, {"Max", ">"}} {
			fmt.Fprintf(&b, "\nfunc _wb%s_%s(x, y %s) %s {\n\tif x != x || !(y != y || y %s x) {\n\t\treturn x\n\t}\n\treturn y\n}\n", f.name, t, t, t, f.op)
		}
		fmt.Fprintf(&b, "\nfunc _wbSame_%s(x %s) %s { return x }\n", t, t, t)
	}
	return b.String()
}

const preludeHead = `package main

import (
	_wbreflect "reflect"
	_wbruntime "workbench/wbruntime"
)

// Variables, not wrappers: an interpreted function passed through an
// interpreted any parameter would reach Bind as yaegi's node, not a func.
var _wbDefer, _wbDeferSpread = _wbruntime.Bind, _wbruntime.BindSpread

type _wbOrdered interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64 | ~string
}

func _wbMin[T _wbOrdered](x, y T) T {
	if x != x || !(y != y || y < x) {
		return x
	}
	return y
}

func _wbMax[T _wbOrdered](x, y T) T {
	if x != x || !(y != y || y > x) {
		return x
	}
	return y
}

func _wbSame[T _wbOrdered](x T) T { return x }

func _wbClear(x any) { _wbreflect.ValueOf(x).Clear() }
`

// modernize applies the rewrites to f. info holds what the guard's type
// check learnt; globals are the session's variables from earlier inputs and
// defined the names earlier inputs declared, which shadow builtins. It
// returns the loops given per-iteration copies: at the top level of
// interactive input yaegi keeps a variable in one global slot, so those must
// run inside a function (see wrapCompoundStatements).
//
// A construct yaegi would run wrongly and no rewrite fixes is an *Error.
func modernize(fset *token.FileSet, f *ast.File, info *types.Info, globals func() map[string]reflect.Value, defined map[string]bool) (map[ast.Stmt]bool, error) {
	m := &modernizer{info: info, globals: globals, defined: defined, cont: map[*ast.BranchStmt][]ast.Stmt{}, copied: map[ast.Stmt]bool{}}
	m.builtins(f)
	m.defers(f)
	if m.bad != nil {
		return nil, unsupported(fset, m.bad.Pos(), "defer of a closure over a variable of the loop it is in: the interpreter "+
			"would run every such call with the loop's last values; defer a named function with the values as arguments, defer f(i)")
	}
	// Loops are rewritten innermost first, so an outer loop's analysis sees
	// the inner loop's final form.
	var loops []ast.Stmt
	labels := map[ast.Stmt]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.LabeledStmt:
			labels[n.Stmt] = n.Label.Name
		case *ast.ForStmt, *ast.RangeStmt:
			loops = append(loops, n.(ast.Stmt))
		}
		return true
	})
	repl := map[ast.Stmt]ast.Stmt{}
	for i := len(loops) - 1; i >= 0; i-- {
		switch l := loops[i].(type) {
		case *ast.ForStmt:
			m.forLoop(l, labels[l])
		case *ast.RangeStmt:
			if r := m.rangeLoop(l); r != nil {
				repl[l] = r
			}
		}
	}
	replaceStmts(f, func(s ast.Stmt) ast.Stmt {
		switch x := s.(type) {
		case *ast.LabeledStmt:
			// A loop evaluating its bound first keeps its label.
			if b, ok := repl[x.Stmt].(*ast.BlockStmt); ok {
				delete(repl, x.Stmt)
				x.Stmt = b.List[1]
				b.List[1] = x
				return b
			}
		case *ast.BranchStmt:
			if pre, ok := m.cont[x]; ok {
				delete(m.cont, x) // the block holds x: replace it once
				return &ast.BlockStmt{Lbrace: x.Pos(), List: append(pre, x), Rbrace: x.End()}
			}
		}
		if r, ok := repl[s]; ok {
			return r
		}
		return s
	})
	return m.copied, nil
}

type modernizer struct {
	info    *types.Info
	globals func() map[string]reflect.Value
	defined map[string]bool
	n       int                            // names made so far
	cont    map[*ast.BranchStmt][]ast.Stmt // statements to run before a continue
	copied  map[ast.Stmt]bool              // loops given per-iteration copies
	bad     *ast.DeferStmt                 // a defer no rewrite makes right
}

func (m *modernizer) name(base string) string {
	m.n++
	return fmt.Sprintf("_wb%s%d", base, m.n)
}

// forLoop gives `for i := a; cond; post` a per-iteration i when the body
// may capture it: the loop runs on a hidden variable that the body copies
// in at its top and back at its end and before each continue.
func (m *modernizer) forLoop(l *ast.ForStmt, label string) {
	init, ok := l.Init.(*ast.AssignStmt)
	if !ok || init.Tok != token.DEFINE {
		return
	}
	vars := loopVars(init.Lhs)
	captured := false
	for _, v := range vars {
		captured = captured || captures(l.Body, v.Obj)
	}
	if !captured {
		return
	}
	pos := l.Body.Lbrace
	var in, back []ast.Stmt
	for _, v := range vars {
		hidden := m.name("Loop_" + v.Name)
		rename(l.Cond, v.Obj, hidden)
		rename(l.Post, v.Obj, hidden)
		in = append(in, define(pos, v.Name, ident(pos, hidden)))
		back = append(back, &ast.AssignStmt{Lhs: []ast.Expr{ident(pos, hidden)}, TokPos: pos, Tok: token.ASSIGN, Rhs: []ast.Expr{ident(pos, v.Name)}})
		v.Name = hidden
	}
	for _, c := range continuesOf(l.Body, label) {
		m.cont[c] = append(m.cont[c], back...)
	}
	l.Body.List = append(append(in, l.Body.List...), back...)
	m.copied[l] = true
}

// rangeLoop gives a range loop per-iteration variables when the body may
// capture them, and rewrites a range over an integer into a counted loop,
// which it returns to replace l when it needs a block of its own.
func (m *modernizer) rangeLoop(l *ast.RangeStmt) ast.Stmt {
	if m.isInteger(l.X) {
		return m.rangeInt(l)
	}
	if l.Tok != token.DEFINE {
		return nil
	}
	var in []ast.Stmt
	for _, v := range loopVars([]ast.Expr{l.Key, l.Value}) {
		if captures(l.Body, v.Obj) {
			in = append(in, define(l.Body.Lbrace, v.Name, ident(l.Body.Lbrace, v.Name)))
		}
	}
	l.Body.List = append(in, l.Body.List...)
	if len(in) > 0 {
		m.copied[l] = true
	}
	return nil
}

// rangeInt rewrites `for i := range n { body }` into
//
//	for _wbN, i := n, n-n; i < _wbN; i++ { body }
//
// n-n being n's type's zero, or, when the body may capture or change i, a
// loop on a hidden counter that sets i at the top of each iteration, as Go
// does. An n that may have side effects is evaluated once, before a loop
// in a block of its own.
func (m *modernizer) rangeInt(l *ast.RangeStmt) ast.Stmt {
	pos := l.For
	n := l.X
	var pre ast.Stmt
	if !pure(n) {
		bound := m.name("N")
		pre = define(pos, bound, n)
		n = ident(pos, bound)
	}
	bound, counter := m.name("N"), m.name("I")
	var key *ast.Ident
	if id, ok := l.Key.(*ast.Ident); ok && id.Name != "_" {
		key = id
	}
	zero := ast.Expr(&ast.BinaryExpr{X: n, OpPos: pos, Op: token.SUB, Y: n})
	if key != nil && l.Tok == token.ASSIGN {
		// i = range 10 gives the constant i's type.
		zero = &ast.BinaryExpr{X: ident(pos, key.Name), OpPos: pos, Op: token.SUB, Y: ident(pos, key.Name)}
		n = &ast.BinaryExpr{X: zero, OpPos: pos, Op: token.ADD, Y: n}
	}
	var body []ast.Stmt
	switch {
	case key != nil && l.Tok == token.DEFINE && !captures(l.Body, key.Obj) && !assigned(l.Body, key.Obj):
		counter = key.Name
	case key != nil:
		body = append(body, &ast.AssignStmt{Lhs: []ast.Expr{ident(pos, key.Name)}, TokPos: pos, Tok: l.Tok, Rhs: []ast.Expr{ident(pos, counter)}})
	}
	loop := &ast.ForStmt{
		For:  pos,
		Init: &ast.AssignStmt{Lhs: []ast.Expr{ident(pos, bound), ident(pos, counter)}, TokPos: pos, Tok: token.DEFINE, Rhs: []ast.Expr{n, zero}},
		Cond: &ast.BinaryExpr{X: ident(pos, counter), OpPos: pos, Op: token.LSS, Y: ident(pos, bound)},
		Post: &ast.IncDecStmt{X: ident(pos, counter), TokPos: pos, Tok: token.INC},
		Body: &ast.BlockStmt{Lbrace: l.Body.Lbrace, List: append(body, l.Body.List...), Rbrace: l.Body.Rbrace},
	}
	var out ast.Stmt = loop
	if pre != nil {
		out = &ast.BlockStmt{Lbrace: pos, List: []ast.Stmt{pre, loop}, Rbrace: l.End()}
	}
	if len(body) > 0 {
		m.copied[out] = true
	}
	return out
}

// isInteger reports whether x is known to be an integer: from the type
// check, or for what it could not see, a len or cap call or a session
// variable from an earlier input.
func (m *modernizer) isInteger(x ast.Expr) bool {
	if tv, ok := m.info.Types[x]; ok && tv.Type != nil {
		if b, ok := tv.Type.Underlying().(*types.Basic); ok {
			return b.Info()&types.IsInteger != 0
		}
		if tv.Type != types.Typ[types.Invalid] {
			return false
		}
	}
	switch x := ast.Unparen(x).(type) {
	case *ast.BasicLit:
		return x.Kind == token.INT
	case *ast.CallExpr:
		id, ok := x.Fun.(*ast.Ident)
		return ok && id.Obj == nil && (id.Name == "len" || id.Name == "cap") && !m.defined[id.Name]
	case *ast.Ident:
		if v, ok := m.globals()[x.Name]; ok && x.Obj == nil && v.IsValid() {
			switch v.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
				return true
			}
		}
	}
	return false
}

// defers binds the function and arguments of the defer statements that
// need it when the statement runs (see the top of the file).
func (m *modernizer) defers(f *ast.File) {
	// loop is the outermost loop around n in its function, nil outside
	// loops.
	var walk func(n ast.Node, loop ast.Node)
	walk = func(n ast.Node, loop ast.Node) {
		ast.Inspect(n, func(c ast.Node) bool {
			switch c := c.(type) {
			case *ast.FuncLit:
				if c != n {
					walk(c.Body, nil)
					return false
				}
			case *ast.ForStmt, *ast.RangeStmt:
				if loop == nil && c != n {
					walk(c, c)
					return false
				}
			case *ast.DeferStmt:
				if lit, ok := ast.Unparen(c.Call.Fun).(*ast.FuncLit); ok && loop != nil && m.bad == nil && perIteration(c.Call, lit, loop) {
					m.bad = c
				}
				m.bindDefer(c, loop != nil)
			}
			return true
		})
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
			walk(fd.Body, nil)
		} else {
			walk(d, nil)
		}
	}
}

// perIteration reports whether a deferred call of the closure lit uses a
// variable declared in loop: a new one each iteration in Go, one slot in
// yaegi, read only when the deferred calls run.
func perIteration(call *ast.CallExpr, lit *ast.FuncLit, loop ast.Node) bool {
	found := false
	ast.Inspect(call, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if !ok || id.Obj == nil || id.Obj.Kind != ast.Var || found {
			return !found
		}
		d, ok := id.Obj.Decl.(ast.Node)
		if ok && d.Pos() >= loop.Pos() && d.Pos() < loop.End() && !(d.Pos() >= lit.Pos() && d.Pos() < lit.End()) {
			found = true
		}
		return !found
	})
	return found
}

// bindDefer rewrites a defer of a declared function or a method. A
// closure the deferring function made is left alone: called through
// reflect while yaegi runs that function's deferred calls, it deadlocks on
// the function's frame.
func (m *modernizer) bindDefer(d *ast.DeferStmt, inLoop bool) {
	call := d.Call
	switch fn := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		if fn.Obj == nil && builtinCallees[fn.Name] && !m.defined[fn.Name] {
			return // not a value; yaegi evaluates builtins' arguments at once
		}
		if fn.Obj != nil && fn.Obj.Kind == ast.Var {
			return
		}
		if len(call.Args) == 0 && !inLoop {
			return
		}
	case *ast.SelectorExpr:
	default:
		return
	}
	helper := "_wbDefer"
	if call.Ellipsis.IsValid() {
		helper = "_wbDeferSpread"
	}
	bind := &ast.CallExpr{Fun: ident(call.Pos(), helper), Lparen: call.Lparen, Args: append([]ast.Expr{call.Fun}, call.Args...), Rparen: call.Rparen}
	d.Call = &ast.CallExpr{Fun: bind, Lparen: call.Rparen, Rparen: call.Rparen}
}

// bindCall is the compiled side of _wbDefer: fn and args are copies made
// when the defer statement runs; the call happens when the function
// returns. With spread the last argument is the slice of a variadic call
// f(xs...).
func bindCall(spread bool, fn any, args []any) func() {
	f := reflect.ValueOf(fn)
	t := f.Type()
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		var pt reflect.Type
		if t.IsVariadic() && i >= t.NumIn()-1 && !spread {
			pt = t.In(t.NumIn() - 1).Elem()
		} else {
			pt = t.In(i)
		}
		if a == nil {
			in[i] = reflect.Zero(pt)
			continue
		}
		v := reflect.ValueOf(a)
		if !v.Type().AssignableTo(pt) && v.Type().ConvertibleTo(pt) {
			v = v.Convert(pt)
		}
		in[i] = v
	}
	return func() {
		if spread {
			f.CallSlice(in)
		} else {
			f.Call(in)
		}
	}
}

// runtimeSymbols is the package the prelude imports for its compiled
// helpers.
var runtimeSymbols = interp.Exports{"workbench/wbruntime/wbruntime": {
	"Bind":       reflect.ValueOf(func(fn any, args ...any) func() { return bindCall(false, fn, args) }),
	"BindSpread": reflect.ValueOf(func(fn any, args ...any) func() { return bindCall(true, fn, args) }),
}}

// builtins rewrites calls of the min, max and clear builtins into calls of
// the prelude's helpers.
func (m *modernizer) builtins(f *ast.File) {
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		id, ok := call.Fun.(*ast.Ident)
		if !ok || !m.isBuiltin(id) {
			return true
		}
		switch id.Name {
		case "clear":
			id.Name = "_wbClear"
		case "min", "max":
			m.minMax(call, id)
		}
		return true
	})
}

func (m *modernizer) isBuiltin(id *ast.Ident) bool {
	if id.Name != "min" && id.Name != "max" && id.Name != "clear" {
		return false
	}
	if m.defined[id.Name] {
		return false
	}
	if obj, ok := m.info.Uses[id]; ok {
		_, b := obj.(*types.Builtin)
		return b
	}
	return id.Obj == nil
}

// minMax rewrites min(a, b, c) into _wbMin(_wbMin(a, b), c). A constant
// call becomes its value converted to its type (a conversion is a call, so
// the node keeps its kind), a single argument the identity helper's call.
func (m *modernizer) minMax(call *ast.CallExpr, id *ast.Ident) {
	if tv, ok := m.info.Types[call]; ok && tv.Value != nil {
		if lit, typ := constLit(call.Pos(), tv); lit != nil {
			*call = ast.CallExpr{Fun: ident(id.Pos(), typ), Lparen: call.Lparen, Args: []ast.Expr{lit}, Rparen: call.Rparen}
			return
		}
	}
	helper := "_wbMin"
	if id.Name == "max" {
		helper = "_wbMax"
	}
	if len(call.Args) == 1 {
		helper = "_wbSame"
	}
	// yaegi cannot assign a generic call's result to a variable at the top
	// level ("nil reflect type"): where the type is known, call the helper
	// for it instead, converting from and to a type defined on it.
	basic, named := m.minMaxType(call)
	if basic != "" {
		helper += "_" + basic
		if named != "" {
			for i, a := range call.Args {
				if tv, ok := m.info.Types[a]; !ok || tv.Value == nil {
					call.Args[i] = &ast.CallExpr{Fun: ident(a.Pos(), basic), Lparen: a.Pos(), Args: []ast.Expr{a}, Rparen: a.End()}
				}
			}
		}
	}
	// Constants have no side effects, so moving them last keeps the order
	// in which the others are evaluated.
	var args, consts []ast.Expr
	for _, a := range call.Args {
		if tv, ok := m.info.Types[a]; (ok && tv.Value != nil) || isLit(a) {
			consts = append(consts, a)
		} else {
			args = append(args, a)
		}
	}
	args = append(args, consts...)
	acc := &ast.CallExpr{Fun: ident(id.Pos(), helper), Lparen: call.Lparen, Args: args[:min(2, len(args))], Rparen: call.Rparen}
	for _, a := range args[min(2, len(args)):] {
		acc = &ast.CallExpr{Fun: ident(id.Pos(), helper), Lparen: call.Lparen, Args: []ast.Expr{acc, a}, Rparen: call.Rparen}
	}
	if named != "" {
		acc = &ast.CallExpr{Fun: ident(id.Pos(), named), Lparen: call.Lparen, Args: []ast.Expr{acc}, Rparen: call.Rparen}
	}
	*call = *acc
}

// minMaxType is the basic type of a min or max call, and the name of the
// script's package-level type defined on it when the call has that type:
// from the type check, or from a session variable among the arguments.
func (m *modernizer) minMaxType(call *ast.CallExpr) (basic, named string) {
	tv, ok := m.info.Types[call]
	if ok && tv.Type != nil {
		t := tv.Type
		if n, ok := t.(*types.Named); ok {
			obj := n.Obj()
			if obj.Pkg() == nil || obj.Parent() != obj.Pkg().Scope() {
				return "", ""
			}
			named, t = obj.Name(), n.Underlying()
		}
		if b, ok := t.(*types.Basic); ok && b.Info()&types.IsOrdered != 0 && b.Info()&types.IsUntyped == 0 {
			return types.Typ[b.Kind()].Name(), named
		}
		if t != types.Typ[types.Invalid] {
			return "", ""
		}
	}
	for _, a := range call.Args {
		if id, ok := ast.Unparen(a).(*ast.Ident); ok && id.Obj == nil {
			if v, ok := m.globals()[id.Name]; ok && v.IsValid() && v.Type().PkgPath() == "" && orderedKinds[v.Kind()] {
				return v.Type().Name(), ""
			}
		}
	}
	return "", ""
}

// orderedKinds are the kinds of the basic types min and max take.
var orderedKinds = map[reflect.Kind]bool{
	reflect.Int: true, reflect.Int8: true, reflect.Int16: true, reflect.Int32: true, reflect.Int64: true,
	reflect.Uint: true, reflect.Uint8: true, reflect.Uint16: true, reflect.Uint32: true, reflect.Uint64: true,
	reflect.Uintptr: true, reflect.Float32: true, reflect.Float64: true, reflect.String: true,
}

// constLit is a constant's literal and the name of the type to convert it
// to: its own, or an untyped constant's default type.
func constLit(pos token.Pos, tv types.TypeAndValue) (ast.Expr, string) {
	b, ok := tv.Type.(*types.Basic)
	if !ok {
		return nil, ""
	}
	if b.Info()&types.IsUntyped != 0 {
		b = types.Default(b).(*types.Basic)
	}
	v := tv.Value
	switch v.Kind() {
	case constant.Int:
		return &ast.BasicLit{ValuePos: pos, Kind: token.INT, Value: v.ExactString()}, b.Name()
	case constant.Float:
		f, _ := constant.Float64Val(v)
		return &ast.BasicLit{ValuePos: pos, Kind: token.FLOAT, Value: strconv.FormatFloat(f, 'g', -1, 64)}, b.Name()
	case constant.String:
		return &ast.BasicLit{ValuePos: pos, Kind: token.STRING, Value: strconv.Quote(constant.StringVal(v))}, b.Name()
	}
	return nil, ""
}

// isLit reports a literal number or string, possibly negated.
func isLit(x ast.Expr) bool {
	switch x := ast.Unparen(x).(type) {
	case *ast.BasicLit:
		return true
	case *ast.UnaryExpr:
		return (x.Op == token.SUB || x.Op == token.ADD) && isLit(x.X)
	}
	return false
}

// pure reports an expression that can be evaluated twice without a side
// effect: names, field selections, literals, len, cap and arithmetic on
// them.
func pure(x ast.Expr) bool {
	switch x := ast.Unparen(x).(type) {
	case *ast.Ident, *ast.BasicLit:
		return true
	case *ast.SelectorExpr:
		return pure(x.X)
	case *ast.UnaryExpr:
		return x.Op != token.ARROW && pure(x.X)
	case *ast.BinaryExpr:
		return pure(x.X) && pure(x.Y)
	case *ast.CallExpr:
		id, ok := x.Fun.(*ast.Ident)
		return ok && id.Obj == nil && (id.Name == "len" || id.Name == "cap") && len(x.Args) == 1 && pure(x.Args[0])
	}
	return false
}

// loopVars are the named variables among a loop's keys.
func loopVars(xs []ast.Expr) []*ast.Ident {
	var out []*ast.Ident
	for _, x := range xs {
		if id, ok := x.(*ast.Ident); ok && id.Name != "_" && id.Obj != nil {
			out = append(out, id)
		}
	}
	return out
}

// uses reports whether n mentions the variable obj.
func uses(n ast.Node, obj *ast.Object) bool {
	return anyIdent(n, func(id *ast.Ident) bool { return id.Obj == obj })
}

// anyIdent reports whether an identifier in n satisfies is.
func anyIdent(n ast.Node, is func(*ast.Ident) bool) bool {
	found := false
	ast.Inspect(n, func(c ast.Node) bool {
		if id, ok := c.(*ast.Ident); ok && is(id) {
			found = true
		}
		return !found
	})
	return found
}

// root is the variable an lvalue or operand is part of: v in v, v.f, v[i].
func root(x ast.Expr) *ast.Ident {
	for {
		switch e := x.(type) {
		case *ast.Ident:
			return e
		case *ast.ParenExpr:
			x = e.X
		case *ast.SelectorExpr:
			x = e.X
		case *ast.IndexExpr:
			x = e.X
		default:
			return nil
		}
	}
}

// captures reports whether body may keep a reference to the variable obj
// beyond the iteration: a closure using it, its address (explicit, by
// slicing an array, or by a method value or call on it).
func captures(body *ast.BlockStmt, obj *ast.Object) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			found = found || uses(n, obj)
			return false
		case *ast.UnaryExpr:
			if r := root(n.X); n.Op == token.AND && r != nil && r.Obj == obj {
				found = true
			}
		case *ast.SliceExpr:
			if r := root(n.X); r != nil && r.Obj == obj {
				found = true
			}
		case *ast.SelectorExpr:
			if r := root(n.X); r != nil && r.Obj == obj {
				found = true
			}
		}
		return !found
	})
	return found
}

// assigned reports whether body assigns to the variable obj.
func assigned(body *ast.BlockStmt, obj *ast.Object) bool {
	found := false
	is := func(x ast.Expr) bool { id, ok := x.(*ast.Ident); return ok && id.Obj == obj }
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE {
				for _, l := range n.Lhs {
					found = found || is(l)
				}
			}
		case *ast.IncDecStmt:
			found = found || is(n.X)
		case *ast.RangeStmt:
			if n.Tok == token.ASSIGN {
				found = found || is(n.Key) || is(n.Value)
			}
		}
		return !found
	})
	return found
}

// rename renames the uses of the variable obj in n.
func rename(n ast.Node, obj *ast.Object, name string) {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return
	}
	ast.Inspect(n, func(c ast.Node) bool {
		if id, ok := c.(*ast.Ident); ok && id.Obj == obj {
			id.Name = name
		}
		return true
	})
}

// continuesOf lists the continue statements in body that continue the loop
// it is the body of (labelled label, "" if none).
func continuesOf(body *ast.BlockStmt, label string) []*ast.BranchStmt {
	var out []*ast.BranchStmt
	var walk func(n ast.Node, nested bool)
	walk = func(n ast.Node, nested bool) {
		ast.Inspect(n, func(c ast.Node) bool {
			switch c := c.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ForStmt:
				walk(c.Body, true)
				return false
			case *ast.RangeStmt:
				walk(c.Body, true)
				return false
			case *ast.BranchStmt:
				if c.Tok == token.CONTINUE && ((c.Label == nil && !nested) || (c.Label != nil && c.Label.Name == label && label != "")) {
					out = append(out, c)
				}
			}
			return true
		})
	}
	walk(body, false)
	return out
}

// replaceStmts replaces each statement s of every statement list in n by
// fn(s).
func replaceStmts(n ast.Node, fn func(ast.Stmt) ast.Stmt) {
	list := func(l []ast.Stmt) {
		for i, s := range l {
			l[i] = fn(s)
		}
	}
	ast.Inspect(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BlockStmt:
			list(x.List)
		case *ast.CaseClause:
			list(x.Body)
		case *ast.CommClause:
			list(x.Body)
		case *ast.LabeledStmt:
			x.Stmt = fn(x.Stmt)
		}
		return true
	})
}

func ident(pos token.Pos, name string) *ast.Ident { return &ast.Ident{NamePos: pos, Name: name} }

func define(pos token.Pos, name string, x ast.Expr) ast.Stmt {
	return &ast.AssignStmt{Lhs: []ast.Expr{ident(pos, name)}, TokPos: pos, Tok: token.DEFINE, Rhs: []ast.Expr{x}}
}
