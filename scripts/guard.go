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

// guard rejects what yaegi v0.16.1 cannot run and would fail on badly
// (a panic, a broken session): range over an integer or a function (Go 1.22
// and 1.23 syntax), and compiled generic functions or types, which extract
// cannot export. The range checks type-check f on its own, so a range over a
// variable defined in an earlier input is left to explain, which maps
// yaegi's "nil type" back to the same message.
func guard(fset *token.FileSet, f *ast.File, bin map[string]map[string]reflect.Value) error {
	imports := map[string]string{} // local name → path
	for _, is := range f.Imports {
		p, err := strconv.Unquote(is.Path.Value)
		if err != nil {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if is.Name != nil {
			name = is.Name.Name
		}
		imports[name] = p
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "gc", func(string) (io.ReadCloser, error) { return nil, errNoImport }),
		Error:    func(error) {},
	}
	conf.Check("main", fset, []*ast.File{f}, info)

	var bad error
	ast.Inspect(f, func(n ast.Node) bool {
		if bad != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.RangeStmt:
			if tv, ok := info.Types[n.X]; ok && tv.Type != nil {
				switch u := tv.Type.Underlying().(type) {
				case *types.Basic:
					if u.Info()&types.IsInteger != 0 {
						bad = unsupported(fset, n.Pos(), "range over an integer (Go 1.22) is not supported by the interpreter; write for i := 0; i < n; i++")
					}
				case *types.Signature:
					bad = unsupported(fset, n.Pos(), "range over a function (Go 1.23 iterators) is not supported by the interpreter; call the function with a callback")
				}
			}
			if lit, ok := n.X.(*ast.BasicLit); ok && lit.Kind == token.INT {
				bad = unsupported(fset, n.Pos(), "range over an integer (Go 1.22) is not supported by the interpreter; write for i := 0; i < n; i++")
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

const rangeMsg = "range over an integer or a function (Go 1.22+ syntax) is not supported by the interpreter; write a counted loop, or call the function with a callback"

// rangeError names the range statement on line, or the first one in f when
// line is 0: the usual cause of yaegi's "nil type" when the guard could not
// see the ranged value's type. It is nil when f has no such statement.
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
