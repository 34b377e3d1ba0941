package scripts

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"path"
	"reflect"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/interp"
)

// symbolImporter gives go/types the compiled packages a script imports, as
// the interpreter sees them: built from their exported symbols (reflect
// values), so that a type check knows the type of b.Bar.Close or of
// c.Position(fq). A package the symbols do not hold is an error, and what
// depends on it stays untyped.
type symbolImporter struct {
	syms map[string]map[string]reflect.Value // by import path
	// used, when set, holds the names the files use of each package:
	// others are left out, since making them costs more than the check.
	used map[string]map[string]bool
	// selected, when set, holds every name the files select (x.Name):
	// only methods of those names are made. A missing method can only make
	// the check fail, which leaves OnBar as it is.
	selected map[string]bool
	names    map[string]string // package names by import path
	pkgs     map[string]*types.Package
	named    map[reflect.Type]*types.Named
	done     map[string]bool // packages whose scope is filled
}

func newSymbolImporter(exports ...interp.Exports) *symbolImporter {
	im := &symbolImporter{syms: map[string]map[string]reflect.Value{}, names: map[string]string{},
		pkgs: map[string]*types.Package{}, named: map[reflect.Type]*types.Named{}, done: map[string]bool{}}
	for _, ex := range exports {
		for k, v := range ex {
			p := path.Dir(k)
			im.syms[p], im.names[p] = v, path.Base(k)
		}
	}
	return im
}

// usedNames lists the names files use of each package they import, by
// path, and every name they select; nil if a file imports one with a dot.
func usedNames(files ...*ast.File) (used map[string]map[string]bool, selected map[string]bool) {
	out, selected := map[string]map[string]bool{}, map[string]bool{}
	for _, f := range files {
		paths := map[string]string{}
		for _, spec := range f.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return nil, nil
			}
			name := path.Base(p)
			if spec.Name != nil {
				name = spec.Name.Name
			}
			if name == "." {
				return nil, nil
			}
			paths[name] = p
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				selected[sel.Sel.Name] = true
				if id, ok := sel.X.(*ast.Ident); ok && paths[id.Name] != "" {
					p := paths[id.Name]
					if out[p] == nil {
						out[p] = map[string]bool{}
					}
					out[p][sel.Sel.Name] = true
				}
			}
			return true
		})
	}
	return out, selected
}

var constantValue = reflect.TypeOf((*constant.Value)(nil)).Elem()

func (im *symbolImporter) Import(p string) (*types.Package, error) {
	syms, ok := im.syms[p]
	if !ok {
		return nil, errNoImport
	}
	pkg := im.pkg(p)
	if im.done[p] {
		return pkg, nil
	}
	im.done[p] = true
	for name, v := range syms {
		if strings.HasPrefix(name, "_") || !v.IsValid() {
			continue // yaegi's interface wrappers
		}
		if im.used != nil && !im.used[p][name] {
			continue
		}
		var obj types.Object
		switch t := v.Type(); {
		case t.Kind() == reflect.Pointer && v.IsNil():
			typ := im.typ(t.Elem())
			if n, ok := typ.(*types.Named); ok && n.Obj().Name() == name && n.Obj().Pkg() == pkg {
				obj = n.Obj()
			} else {
				obj = types.NewTypeName(token.NoPos, pkg, name, typ) // an alias
			}
		case t.Kind() == reflect.Pointer:
			obj = types.NewVar(token.NoPos, pkg, name, im.typ(t.Elem()))
		case t.Kind() == reflect.Func:
			obj = types.NewFunc(token.NoPos, pkg, name, im.typ(t).(*types.Signature))
		case t.Implements(constantValue):
			c := v.Interface().(constant.Value)
			kinds := map[constant.Kind]types.BasicKind{constant.Bool: types.UntypedBool, constant.String: types.UntypedString,
				constant.Int: types.UntypedInt, constant.Float: types.UntypedFloat, constant.Complex: types.UntypedComplex}
			if k, ok := kinds[c.Kind()]; ok {
				obj = types.NewConst(token.NoPos, pkg, name, types.Typ[k], c)
			}
		default:
			if c := constOf(v); c != nil {
				obj = types.NewConst(token.NoPos, pkg, name, im.typ(t), c)
			} else {
				obj = types.NewVar(token.NoPos, pkg, name, im.typ(t))
			}
		}
		if obj != nil {
			pkg.Scope().Insert(obj)
		}
	}
	pkg.MarkComplete()
	return pkg, nil
}

// constOf is a typed constant's value, nil for a value of another kind.
func constOf(v reflect.Value) constant.Value {
	switch v.Kind() {
	case reflect.Bool:
		return constant.MakeBool(v.Bool())
	case reflect.String:
		return constant.MakeString(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return constant.MakeInt64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return constant.MakeUint64(v.Uint())
	case reflect.Float32, reflect.Float64:
		return constant.MakeFloat64(v.Float())
	}
	return nil
}

func (im *symbolImporter) pkg(p string) *types.Package {
	if pkg, ok := im.pkgs[p]; ok {
		return pkg
	}
	name, ok := im.names[p]
	if !ok {
		name = path.Base(p)
	}
	pkg := types.NewPackage(p, name)
	im.pkgs[p] = pkg
	return pkg
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// typ is t as go/types sees it.
func (im *symbolImporter) typ(t reflect.Type) types.Type {
	switch {
	case t == errorType:
		return types.Universe.Lookup("error").Type()
	case t.Name() == "":
		return im.under(t, nil)
	case t.PkgPath() == "": // predeclared
		if k, ok := basicKinds[t.Kind()]; ok {
			return types.Typ[k]
		}
		return types.Typ[types.Invalid]
	}
	if n, ok := im.named[t]; ok {
		return n
	}
	pkg := im.pkg(t.PkgPath())
	n := types.NewNamed(types.NewTypeName(token.NoPos, pkg, t.Name(), nil), nil, nil)
	im.named[t] = n
	n.SetUnderlying(im.under(t, pkg))
	if t.Kind() != reflect.Interface {
		pt := reflect.PointerTo(t)
		for i := 0; i < pt.NumMethod(); i++ {
			m := pt.Method(i)
			if im.selected != nil && !im.selected[m.Name] {
				continue
			}
			var recv types.Type = n
			if _, ok := t.MethodByName(m.Name); !ok {
				recv = types.NewPointer(n)
			}
			sig := im.sig(m.Type, 1, types.NewVar(token.NoPos, pkg, "", recv))
			n.AddMethod(types.NewFunc(token.NoPos, pkg, m.Name, sig))
		}
	}
	return n
}

var basicKinds = map[reflect.Kind]types.BasicKind{
	reflect.Bool: types.Bool, reflect.Int: types.Int, reflect.Int8: types.Int8, reflect.Int16: types.Int16,
	reflect.Int32: types.Int32, reflect.Int64: types.Int64, reflect.Uint: types.Uint, reflect.Uint8: types.Uint8,
	reflect.Uint16: types.Uint16, reflect.Uint32: types.Uint32, reflect.Uint64: types.Uint64, reflect.Uintptr: types.Uintptr,
	reflect.Float32: types.Float32, reflect.Float64: types.Float64, reflect.Complex64: types.Complex64,
	reflect.Complex128: types.Complex128, reflect.String: types.String, reflect.UnsafePointer: types.UnsafePointer,
}

// under is t's structure; pkg is the package of its name, if it has one.
func (im *symbolImporter) under(t reflect.Type, pkg *types.Package) types.Type {
	switch t.Kind() {
	case reflect.Pointer:
		return types.NewPointer(im.typ(t.Elem()))
	case reflect.Slice:
		return types.NewSlice(im.typ(t.Elem()))
	case reflect.Array:
		return types.NewArray(im.typ(t.Elem()), int64(t.Len()))
	case reflect.Map:
		return types.NewMap(im.typ(t.Key()), im.typ(t.Elem()))
	case reflect.Chan:
		dirs := map[reflect.ChanDir]types.ChanDir{reflect.BothDir: types.SendRecv, reflect.SendDir: types.SendOnly, reflect.RecvDir: types.RecvOnly}
		return types.NewChan(dirs[t.ChanDir()], im.typ(t.Elem()))
	case reflect.Func:
		return im.sig(t, 0, nil)
	case reflect.Struct:
		fields := make([]*types.Var, t.NumField())
		tags := make([]string, t.NumField())
		for i := range fields {
			f := t.Field(i)
			fp := pkg
			if f.PkgPath != "" {
				fp = im.pkg(f.PkgPath)
			}
			fields[i], tags[i] = types.NewField(token.NoPos, fp, f.Name, im.typ(f.Type), f.Anonymous), string(f.Tag)
		}
		return types.NewStruct(fields, tags)
	case reflect.Interface:
		var methods []*types.Func
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			mp := pkg
			if m.PkgPath != "" {
				mp = im.pkg(m.PkgPath)
			}
			methods = append(methods, types.NewFunc(token.NoPos, mp, m.Name, im.sig(m.Type, 0, nil)))
		}
		return types.NewInterfaceType(methods, nil).Complete()
	}
	if k, ok := basicKinds[t.Kind()]; ok {
		return types.Typ[k]
	}
	return types.Typ[types.Invalid]
}

// sig is the signature of the function type t, its first skip inputs
// dropped (a method's receiver).
func (im *symbolImporter) sig(t reflect.Type, skip int, recv *types.Var) *types.Signature {
	var in, out []*types.Var
	for i := skip; i < t.NumIn(); i++ {
		in = append(in, types.NewParam(token.NoPos, nil, "", im.typ(t.In(i))))
	}
	for i := 0; i < t.NumOut(); i++ {
		out = append(out, types.NewParam(token.NoPos, nil, "", im.typ(t.Out(i))))
	}
	return types.NewSignatureType(recv, nil, nil, types.NewTuple(in...), types.NewTuple(out...), t.IsVariadic())
}
