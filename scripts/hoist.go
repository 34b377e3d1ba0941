package scripts

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"reflect"
	"strconv"

	"github.com/traefik/yaegi/stdlib"

	"workbench/scripts/symbols"
)

// Definitions hoisted out of the loop. yaegi allocates a new variable each
// time `x := e` or `var x T` runs (a closure could hold the old one), which
// in OnBar's loop is once per bar; and an assignment, unlike a definition,
// lets a call or an arithmetic operation write its result straight into
// the variable. So before OnBar's body becomes the loop's body, each
// variable it defines that nothing can hold beyond its bar — no closure
// (see inlinable), no address taken, explicitly or by a pointer method —
// is declared once before the loop under a name of its own (_wbHoistN,
// which keeps shadowing as it was), and its definition becomes an
// assignment: `x := e` and `var x T = e` assign e, `var x T` assigns T's
// zero value, as each run of the definition would. The variable's type is
// the script's type check's, with the compiled packages known from their
// symbols (symbolImporter). A definition whose variables are not all such,
// or whose type the loop's function cannot name, stays a definition; and
// nothing is hoisted if the check found an error inside OnBar's body or a
// name it did not resolve.

// hoistDefs rewrites on's body as above, and as splitAssigns and
// readBarInPlace say, and returns the declarations to put before the
// loop. f is the file of on, as the rewrites left it.
func (in *Interp) hoistDefs(f *ast.File, on *ast.FuncDecl) []ast.Spec {
	fset := in.yi.FileSet()
	pre, err := parser.ParseFile(fset, "_wbprelude.go", prelude, 0)
	if err != nil {
		return nil
	}
	body := on.Body
	clean := true
	im := newSymbolImporter(stdlib.Symbols, symbols.Symbols, in.sessionSymbols(), runtimeSymbols)
	im.used, im.selected = usedNames(f, pre)
	conf := types.Config{
		Importer: im,
		Error: func(err error) {
			if te, ok := err.(types.Error); !ok || te.Pos >= body.Pos() && te.Pos < body.End() {
				clean = false
			}
		},
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{},
		Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}, Implicits: map[ast.Node]types.Object{}}
	main, _ := conf.Check("main", fset, []*ast.File{f, pre}, info)
	if !clean || main == nil {
		return nil
	}
	h := &hoister{im: im, info: info, main: main, imports: map[string]string{}, escapes: map[types.Object]bool{},
		names: map[types.Object]string{}, zeros: map[string]string{}}
	for _, p := range on.Type.Params.List {
		for _, n := range p.Names {
			h.params = append(h.params, n.Name)
		}
	}
	for _, spec := range f.Imports {
		var pn *types.PkgName
		if spec.Name != nil {
			pn, _ = info.Defs[spec.Name].(*types.PkgName)
		} else {
			pn, _ = info.Implicits[spec].(*types.PkgName)
		}
		if pn != nil && pn.Name() != "_" && pn.Name() != "." {
			h.imports[pn.Imported().Path()] = pn.Name()
		}
	}
	specs := h.hoist(body)
	if len(on.Type.Params.List) == 2 {
		if b := paramName(on.Type.Params.List[1]); b != nil {
			h.readBarInPlace(body, info.Defs[b])
		}
	}
	return specs
}

// readBarInPlace makes a body that only reads fields of the bar b read
// them from the loop's batch, _wbBars[_wbK].F, so that the loop need not
// copy each bar into b.
func (h *hoister) readBarInPlace(body *ast.BlockStmt, b types.Object) {
	if b == nil || h.escapes[b] {
		return
	}
	written := func(x ast.Expr) bool { id := root(x); return id != nil && h.object(id) == b }
	var sels []*ast.SelectorExpr
	reads := 0
	ok := true
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				ok = ok && !written(l)
			}
		case *ast.IncDecStmt:
			ok = ok && !written(n.X)
		case *ast.RangeStmt:
			ok = ok && (n.Tok != token.ASSIGN || !written(n.Key) && (n.Value == nil || !written(n.Value)))
		case *ast.UnaryExpr:
			ok = ok && (n.Op != token.AND || !written(n.X))
		case *ast.SelectorExpr:
			if id, isId := n.X.(*ast.Ident); isId && h.object(id) == b {
				sel, found := h.info.Selections[n]
				ok = ok && found && sel.Kind() == types.FieldVal
				sels = append(sels, n)
			}
		case *ast.Ident:
			if h.object(n) == b {
				reads++
			}
		}
		return ok
	})
	if !ok || reads != len(sels) {
		return // b is written, or used whole
	}
	for _, s := range sels {
		pos := s.X.Pos()
		s.X = &ast.IndexExpr{X: ident(pos, "_wbBars"), Lbrack: pos, Index: ident(pos, "_wbK"), Rbrack: pos}
	}
}

type hoister struct {
	im      *symbolImporter
	info    *types.Info
	main    *types.Package
	imports map[string]string // the file's name of each package it imports
	params  []string          // OnBar's parameter names, which hide names at the loop's top
	escapes map[types.Object]bool
	names   map[types.Object]string // the hoisted variables' new names
	zeros   map[string]string       // a zero variable by type
	specs   []ast.Spec
}

func (h *hoister) hoist(body *ast.BlockStmt) []ast.Spec {
	h.findEscapes(body)
	var defines []*ast.AssignStmt
	var decls []*ast.DeclStmt
	skip := map[ast.Stmt]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.TypeSwitchStmt:
			skip[n.Assign] = true // its variable is one per clause
		case *ast.CommClause:
			skip[n.Comm] = true
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE && !skip[n] && h.canHoist(n.Lhs) {
				defines = append(defines, n)
			}
		case *ast.DeclStmt:
			if g, ok := n.Decl.(*ast.GenDecl); ok && g.Tok == token.VAR && h.canHoistDecl(g) {
				decls = append(decls, n)
			}
		}
		return true
	})
	pos := body.Lbrace
	for _, s := range defines {
		h.declare(s.Lhs, pos)
	}
	for _, d := range decls {
		for _, s := range d.Decl.(*ast.GenDecl).Specs {
			h.declare(identExprs(s.(*ast.ValueSpec).Names), pos)
		}
	}
	if len(h.names) == 0 || !h.allResolved(body) {
		h.splitAssigns(body)
		return nil
	}
	for _, s := range defines {
		s.Tok = token.ASSIGN
	}
	assigns := map[ast.Stmt]ast.Stmt{}
	for _, d := range decls {
		assigns[d] = h.assignDecl(d)
	}
	replaceStmts(body, func(s ast.Stmt) ast.Stmt {
		if a, ok := assigns[s]; ok {
			return a
		}
		return s
	})
	ast.Inspect(body, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if name, ok := h.names[h.object(id)]; ok {
				id.Name = name
			}
		}
		return true
	})
	h.splitAssigns(body)
	return h.specs
}

// splitAssigns writes `a, b = x, y` as `a = x; b = y` where that is the
// same: yaegi copies the values of a multiple assignment to new variables
// first, in case it is a swap, which costs several times two assignments.
// The left side must be variables, the right side expressions that
// neither call nor panic, and none may read a variable assigned before it.
func (h *hoister) splitAssigns(body *ast.BlockStmt) {
	replaceStmts(body, func(s ast.Stmt) ast.Stmt {
		a, ok := s.(*ast.AssignStmt)
		if !ok || a.Tok != token.ASSIGN || len(a.Lhs) < 2 || len(a.Lhs) != len(a.Rhs) {
			return s
		}
		assigned := map[types.Object]bool{}
		for i, l := range a.Lhs {
			id, ok := l.(*ast.Ident)
			if !ok {
				return s
			}
			if !h.plain(a.Rhs[i], assigned) {
				return s
			}
			if id.Name != "_" {
				v, ok := h.object(id).(*types.Var)
				if !ok {
					return s
				}
				assigned[v] = true
			}
		}
		out := &ast.BlockStmt{Lbrace: a.Pos(), Rbrace: a.End()}
		for i := range a.Lhs {
			out.List = append(out.List, &ast.AssignStmt{Lhs: a.Lhs[i : i+1], TokPos: a.TokPos, Tok: token.ASSIGN, Rhs: a.Rhs[i : i+1]})
		}
		return out
	})
}

// plain reports whether x reads no variable in assigned, calls nothing and
// cannot panic: names, constants, operators other than division and
// shifts, and fields not reached through a pointer.
func (h *hoister) plain(x ast.Expr, assigned map[types.Object]bool) bool {
	ok := true
	ast.Inspect(x, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			ok = ok && !assigned[h.object(n)]
		case nil, *ast.BasicLit, *ast.ParenExpr:
		case *ast.UnaryExpr:
			ok = ok && n.Op != token.AND && n.Op != token.ARROW
		case *ast.BinaryExpr:
			ok = ok && n.Op != token.QUO && n.Op != token.REM && n.Op != token.SHL && n.Op != token.SHR
		case *ast.SelectorExpr:
			if sel, found := h.info.Selections[n]; found {
				ok = ok && sel.Kind() == types.FieldVal && !sel.Indirect()
			} else {
				_, pkg := h.object(root(n)).(*types.PkgName)
				ok = ok && pkg
			}
		default:
			ok = false
		}
		return ok
	})
	return ok
}

// findEscapes marks the variables whose address the body may take.
func (h *hoister) findEscapes(body *ast.BlockStmt) {
	mark := func(x ast.Expr) {
		if id := root(x); id != nil {
			h.escapes[h.object(id)] = true
		}
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				mark(n.X)
			}
		case *ast.SliceExpr:
			if t := h.info.TypeOf(n.X); t == nil || !isSliceOrString(t) {
				mark(n.X) // slicing an array takes its address
			}
		case *ast.SelectorExpr:
			sel, ok := h.info.Selections[n]
			if !ok || sel.Kind() != types.MethodVal {
				break
			}
			_, ptrRecv := sel.Obj().Type().(*types.Signature).Recv().Type().(*types.Pointer)
			if t := h.info.TypeOf(n.X); ptrRecv && (t == nil || !isPointer(t)) {
				mark(n.X)
			}
		}
		return true
	})
}

func isSliceOrString(t types.Type) bool {
	switch u := t.Underlying().(type) {
	case *types.Slice:
		return true
	case *types.Basic:
		return u.Info()&types.IsString != 0
	}
	return false
}

func isPointer(t types.Type) bool { _, ok := t.Underlying().(*types.Pointer); return ok }

func (h *hoister) object(id *ast.Ident) types.Object {
	if o := h.info.Defs[id]; o != nil {
		return o
	}
	return h.info.Uses[id]
}

// canHoist reports whether every variable the names define can be hoisted.
func (h *hoister) canHoist(names []ast.Expr) bool {
	for _, x := range names {
		id, ok := x.(*ast.Ident)
		if !ok {
			return false
		}
		if id.Name == "_" {
			continue
		}
		v, ok := h.info.Defs[id].(*types.Var)
		if !ok {
			if h.info.Defs[id] == nil && h.info.Uses[id] != nil {
				continue // redeclared by :=: assigned already
			}
			return false
		}
		if h.escapes[v] || h.typeExpr(v.Type()) == "" {
			return false
		}
	}
	return true
}

func (h *hoister) canHoistDecl(g *ast.GenDecl) bool {
	for _, s := range g.Specs {
		vs := s.(*ast.ValueSpec)
		if len(vs.Values) > 0 && len(vs.Values) != len(vs.Names) && len(vs.Values) != 1 {
			return false
		}
		if !h.canHoist(identExprs(vs.Names)) {
			return false
		}
	}
	return true
}

func identExprs(ids []*ast.Ident) []ast.Expr {
	out := make([]ast.Expr, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// declare names the new variables among names and declares them.
func (h *hoister) declare(names []ast.Expr, pos token.Pos) {
	for _, x := range names {
		if v, ok := h.info.Defs[x.(*ast.Ident)].(*types.Var); ok {
			name := "_wbHoist" + strconv.Itoa(len(h.names)+1)
			h.names[v] = name
			h.specs = append(h.specs, h.varSpec(name, v.Type(), pos))
		}
	}
}

func (h *hoister) varSpec(name string, t types.Type, pos token.Pos) ast.Spec {
	x, _ := parser.ParseExpr(h.typeExpr(t))
	setPos(x, pos)
	return &ast.ValueSpec{Names: []*ast.Ident{ident(pos, name)}, Type: x}
}

// setPos moves every node of a parsed type to pos, where errors name OnBar.
func setPos(x ast.Node, pos token.Pos) {
	ast.Inspect(x, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			n.NamePos = pos
		case *ast.StarExpr:
			n.Star = pos
		case *ast.ArrayType:
			n.Lbrack = pos
		case *ast.BasicLit:
			n.ValuePos = pos
		case *ast.MapType:
			n.Map = pos
		case *ast.ChanType:
			n.Begin, n.Arrow = pos, token.NoPos
		case *ast.FuncType:
			n.Func = pos
		case *ast.StructType:
			n.Struct = pos
		case *ast.InterfaceType:
			n.Interface = pos
		case *ast.FieldList:
			n.Opening, n.Closing = pos, pos
		case *ast.IndexExpr:
			n.Lbrack, n.Rbrack = pos, pos
		case *ast.IndexListExpr:
			n.Lbrack, n.Rbrack = pos, pos
		case *ast.Ellipsis:
			n.Ellipsis = pos
		}
		return true
	})
}

// assignDecl is the assignment a hoisted var declaration becomes.
func (h *hoister) assignDecl(d *ast.DeclStmt) ast.Stmt {
	pos := d.Pos()
	var out []ast.Stmt
	for _, s := range d.Decl.(*ast.GenDecl).Specs {
		vs := s.(*ast.ValueSpec)
		a := &ast.AssignStmt{Lhs: identExprs(vs.Names), TokPos: pos, Tok: token.ASSIGN, Rhs: vs.Values}
		if len(vs.Values) == 0 {
			for _, n := range vs.Names {
				a.Rhs = append(a.Rhs, ident(pos, h.zero(h.info.Defs[n], pos)))
			}
		}
		out = append(out, a)
	}
	if len(out) == 1 {
		return out[0]
	}
	// A block declares nothing here: every name in it is hoisted.
	return &ast.BlockStmt{Lbrace: pos, List: out, Rbrace: d.End()}
}

// zero names a variable, never assigned, holding the zero value of obj's
// type (of a blank name: any zero value will do).
func (h *hoister) zero(obj types.Object, pos token.Pos) string {
	var t types.Type = types.Typ[types.Int]
	if obj != nil {
		t = obj.Type()
	}
	key := h.typeExpr(t)
	name, ok := h.zeros[key]
	if !ok {
		name = "_wbZero" + strconv.Itoa(len(h.zeros)+1)
		h.zeros[key] = name
		h.specs = append(h.specs, h.varSpec(name, t, pos))
	}
	return name
}

// typeExpr is t written as the loop's function can name it, "" if it cannot.
func (h *hoister) typeExpr(t types.Type) string {
	ok := true
	s := types.TypeString(t, func(p *types.Package) string {
		if p == h.main {
			return ""
		}
		name, found := h.imports[p.Path()]
		ok = ok && found
		return name
	})
	if !ok || !h.nameable(t, map[types.Type]bool{}) {
		return ""
	}
	x, err := parser.ParseExpr(s)
	if err != nil {
		return ""
	}
	if anyIdent(x, func(id *ast.Ident) bool { return h.hidden(id.Name) }) {
		return ""
	}
	return s
}

func (h *hoister) hidden(name string) bool {
	for _, p := range h.params {
		if p == name {
			return true
		}
	}
	return false
}

// nameable reports whether t's written form means t outside OnBar: no
// invalid part, no type declared inside a function, no unexported field or
// method of another package outside a named type.
func (h *hoister) nameable(t types.Type, seen map[types.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	switch t := t.(type) {
	case *types.Basic:
		return t.Kind() != types.Invalid && t.Info()&types.IsUntyped == 0
	case *types.Named:
		o := t.Obj()
		if o.Pkg() == nil {
			return true // error
		}
		if o.Pkg() == h.main && o.Parent() != o.Pkg().Scope() {
			return false // declared in a function
		}
		if o.Pkg() != h.main {
			// The interpreter names a compiled type by its package's symbol.
			if v, ok := h.im.syms[o.Pkg().Path()][o.Name()]; !ok || v.Kind() != reflect.Pointer || !v.IsNil() || v.Type().Elem().Name() != o.Name() {
				return false
			}
		}
		for i := 0; i < t.TypeArgs().Len(); i++ {
			if !h.nameable(t.TypeArgs().At(i), seen) {
				return false
			}
		}
		return true
	case *types.Alias:
		return t.Obj().Pkg() == nil && h.nameable(types.Unalias(t), seen) // any
	case *types.Pointer:
		return h.nameable(t.Elem(), seen)
	case *types.Slice:
		return h.nameable(t.Elem(), seen)
	case *types.Array:
		return h.nameable(t.Elem(), seen)
	case *types.Chan:
		return h.nameable(t.Elem(), seen)
	case *types.Map:
		return h.nameable(t.Key(), seen) && h.nameable(t.Elem(), seen)
	case *types.Signature:
		return t.TypeParams() == nil && h.nameable(t.Params(), seen) && h.nameable(t.Results(), seen)
	case *types.Tuple:
		for i := 0; i < t.Len(); i++ {
			if !h.nameable(t.At(i).Type(), seen) {
				return false
			}
		}
		return true
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			f := t.Field(i)
			if (!f.Exported() && f.Pkg() != h.main) || !h.nameable(f.Type(), seen) {
				return false
			}
		}
		return true
	case *types.Interface:
		for i := 0; i < t.NumExplicitMethods(); i++ {
			m := t.ExplicitMethod(i)
			if (!m.Exported() && m.Pkg() != h.main) || !h.nameable(m.Type(), seen) {
				return false
			}
		}
		for i := 0; i < t.NumEmbeddeds(); i++ {
			if !h.nameable(t.EmbeddedType(i), seen) {
				return false
			}
		}
		return true
	}
	return false
}

// allResolved reports whether every use of a hoisted variable's old name
// in body is resolved, so that the renaming misses none.
func (h *hoister) allResolved(body *ast.BlockStmt) bool {
	old := map[string]bool{}
	for o := range h.names {
		old[o.Name()] = true
	}
	return !anyIdent(body, func(id *ast.Ident) bool { return old[id.Name] && h.object(id) == nil })
}
