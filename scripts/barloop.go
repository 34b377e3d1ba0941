package scripts

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"reflect"

	"workbench/paper"
)

// OnBar as a loop. A call from compiled code into an interpreted function
// costs yaegi several times what a typical OnBar's body does (a frame, the
// arguments converted through reflect, a recover), so a strategy script's
// OnBar is also compiled into a paper.BarLoop: the body inlined into a loop
// over a batch of bars,
//
//	func _wbOnBarLoop(c *paper.Context, _wbBars []feeds.BarEvent, _wbAt []int) {
//		var ( _wbHoist1 float64; … ) // the body's local variables (see hoistDefs)
//		var b feeds.BarEvent
//	_wbBar:
//		for _wbK := _wbAt[0]; _wbK < _wbAt[1]; _wbK++ {
//			_wbAt[0] = _wbK
//			b = _wbBars[_wbK]
//			… OnBar's body, each return a continue _wbBar …
//		}
//	}
//
// with OnBar's parameter names and types, which a backtest calls once per
// batch; a body that only reads fields of b reads them as _wbBars[_wbK].F,
// without the copy. The body is taken as it compiled, after the rewrites, and compiled
// again on its own; its nodes keep their positions, so errors and panics
// still name the script's file and OnBar's lines.
//
// A body runs in the loop as in a call only if nothing in it outlives its
// iteration or sees the function around it, so OnBar stays the only way
// the script runs bar by bar when its body defers, recovers, makes a
// closure or a goroutine, jumps with goto, or assigns or takes the address
// of a parameter; inlinable says why not.
const loopName = "_wbOnBarLoop"

// onBarLoop compiles the session's OnBar (from the file LoadFile read) into
// a paper.BarLoop, or says why it cannot.
func (in *Interp) onBarLoop(ctx context.Context) (paper.BarLoop, error) {
	f := in.file
	in.file = nil // its OnBar's returns are rewritten below
	var on *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "OnBar" {
			on = fd
		}
	}
	if on == nil {
		return nil, errors.New("no func OnBar")
	}
	if in.defined[loopName] || in.defined["int"] {
		return nil, fmt.Errorf("the script declares %s or int", loopName)
	}
	if err := inlinable(on); err != nil {
		return nil, err
	}
	fn := loopDecl(on, in.hoistDefs(f, on))
	prog, err := in.compile(ctx, &ast.File{Package: f.Package, Name: f.Name, Decls: []ast.Decl{fn}})
	if err != nil {
		return nil, err
	}
	if _, err := in.yi.ExecuteWithContext(ctx, prog); err != nil {
		return nil, err
	}
	v, err := in.yi.Eval(loopName)
	if err != nil {
		return nil, err
	}
	var loop paper.BarLoop
	t := reflect.TypeOf(loop)
	if !v.IsValid() || !v.Type().ConvertibleTo(t) {
		return nil, fmt.Errorf("%s has type %v", loopName, v.Type())
	}
	return v.Convert(t).Interface().(paper.BarLoop), nil
}

// inlinable says why OnBar's body cannot run as a loop's body, or nil.
func inlinable(on *ast.FuncDecl) error {
	t := on.Type
	if on.Body == nil || t.TypeParams != nil || t.Results != nil || t.Params.NumFields() != 2 || len(t.Params.List) != 2 {
		return errors.New("OnBar is not func(c *paper.Context, b feeds.BarEvent)")
	}
	if typeName(t.Params.List[1].Type, 0) == nil {
		return errors.New("OnBar's bar parameter's type is not a type name")
	}
	ctx, bar := paramName(t.Params.List[0]), paramName(t.Params.List[1])
	// is reports whether x is the parameter p: by its resolution, or by
	// its name where a rewrite made the identifier.
	is := func(x ast.Expr, p *ast.Ident) bool {
		id := root(x)
		return p != nil && id != nil && (id.Obj == p.Obj || (id.Obj == nil && id.Name == p.Name))
	}
	var why string
	ast.Inspect(on.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			why = "a closure"
		case *ast.DeferStmt:
			why = "a defer"
		case *ast.GoStmt:
			why = "a go statement"
		case *ast.BranchStmt:
			if n.Tok == token.GOTO {
				why = "a goto"
			}
		case *ast.Ident:
			if n.Name == "recover" && n.Obj == nil {
				why = "recover"
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND && (is(n.X, ctx) || is(n.X, bar)) {
				why = "the address of a parameter"
			}
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if is(l, ctx) {
					why = "an assignment to " + ctx.Name
				}
			}
		case *ast.RangeStmt:
			if is(n.Key, ctx) || is(n.Value, ctx) {
				why = "an assignment to " + ctx.Name
			}
		}
		return why == ""
	})
	if why != "" {
		return fmt.Errorf("OnBar's body has %s", why)
	}
	return nil
}

// paramName is a parameter's name, nil for one unnamed or named _.
func paramName(f *ast.Field) *ast.Ident {
	if len(f.Names) == 1 && f.Names[0].Name != "_" {
		return f.Names[0]
	}
	return nil
}

// loopDecl writes OnBar's body into _wbOnBarLoop (see loopName), turning
// its returns into continues, and declares hoisted before the loop (see
// hoistDefs); new nodes take the position of the body's first statement,
// where yaegi places a panic in the function.
func loopDecl(on *ast.FuncDecl, hoisted []ast.Spec) *ast.FuncDecl {
	body := on.Body
	pos := body.Lbrace
	if len(body.List) > 0 {
		pos = body.List[0].Pos()
	}
	// Every use of a name is a node of its own.
	id := func(name string) *ast.Ident { return ident(pos, name) }
	k := func() ast.Expr { return id("_wbK") }
	at := func(i string) ast.Expr {
		return &ast.IndexExpr{X: id("_wbAt"), Lbrack: pos, Index: &ast.BasicLit{ValuePos: pos, Kind: token.INT, Value: i}, Rbrack: pos}
	}
	const label = "_wbBar"
	returns := false
	replaceStmts(body, func(s ast.Stmt) ast.Stmt {
		r, ok := s.(*ast.ReturnStmt)
		if !ok {
			return s
		}
		returns = true
		return &ast.BranchStmt{TokPos: r.Pos(), Tok: token.CONTINUE, Label: ident(r.Pos(), label)}
	})
	params := on.Type.Params.List
	list := []ast.Stmt{&ast.AssignStmt{Lhs: []ast.Expr{at("0")}, TokPos: pos, Tok: token.ASSIGN, Rhs: []ast.Expr{k()}}}
	var decls []ast.Stmt
	if len(hoisted) > 0 {
		decls = append(decls, &ast.DeclStmt{Decl: &ast.GenDecl{TokPos: pos, Tok: token.VAR, Lparen: pos, Specs: hoisted, Rparen: pos}})
	}
	if b := paramName(params[1]); b != nil && anyIdent(body, func(id *ast.Ident) bool { return id.Name == b.Name }) {
		// One variable for every bar, assigned, not defined: yaegi
		// allocates a variable each time a definition runs, and nothing
		// in the body can keep hold of this one (see inlinable).
		decls = append(decls, &ast.DeclStmt{Decl: &ast.GenDecl{TokPos: pos, Tok: token.VAR, Specs: []ast.Spec{
			&ast.ValueSpec{Names: []*ast.Ident{id(b.Name)}, Type: typeName(params[1].Type, pos)}}}})
		list = append(list, &ast.AssignStmt{Lhs: []ast.Expr{id(b.Name)}, TokPos: pos, Tok: token.ASSIGN,
			Rhs: []ast.Expr{&ast.IndexExpr{X: id("_wbBars"), Lbrack: pos, Index: k(), Rbrack: pos}}})
	}
	var loop ast.Stmt = &ast.ForStmt{
		For:  pos,
		Init: define(pos, "_wbK", at("0")),
		Cond: &ast.BinaryExpr{X: k(), OpPos: pos, Op: token.LSS, Y: at("1")},
		Post: &ast.IncDecStmt{X: k(), TokPos: pos, Tok: token.INC},
		Body: &ast.BlockStmt{Lbrace: pos, List: append(list, body.List...), Rbrace: body.Rbrace},
	}
	if returns {
		loop = &ast.LabeledStmt{Label: id(label), Colon: pos, Stmt: loop}
	}
	c := paramName(params[0])
	if c == nil {
		c = id("_wbC")
	}
	field := func(name *ast.Ident, typ ast.Expr) *ast.Field {
		return &ast.Field{Names: []*ast.Ident{name}, Type: typ}
	}
	return &ast.FuncDecl{
		Name: id(loopName),
		Type: &ast.FuncType{Func: pos, Params: &ast.FieldList{Opening: pos, List: []*ast.Field{
			field(id(c.Name), params[0].Type),
			field(id("_wbBars"), &ast.ArrayType{Lbrack: pos, Elt: params[1].Type}),
			field(id("_wbAt"), &ast.ArrayType{Lbrack: pos, Elt: id("int")}),
		}, Closing: pos}},
		Body: &ast.BlockStmt{Lbrace: pos, List: append(decls, loop), Rbrace: body.Rbrace},
	}
}

// typeName copies a type name, T or pkg.T, to pos; nil for another
// expression.
func typeName(x ast.Expr, pos token.Pos) ast.Expr {
	switch x := x.(type) {
	case *ast.Ident:
		return ident(pos, x.Name)
	case *ast.SelectorExpr:
		if pkg, ok := x.X.(*ast.Ident); ok {
			return &ast.SelectorExpr{X: ident(pos, pkg.Name), Sel: ident(pos, x.Sel.Name)}
		}
	}
	return nil
}
