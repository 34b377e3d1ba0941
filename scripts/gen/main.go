// Command gen writes the interpreter's symbol tables and doc-comment index
// for the packages scripts can import: yaegi's extract output for each
// package (one file per package) and docs.go, a map from "pkg.Name" and
// "pkg.Type.Method" to the declaration and its doc comment, for :doc.
//
// Usage (from scripts/): go run ./gen -o symbols [PKG...]; with no packages
// it writes the set scripts load (Packages).
//
// A package that does not compile is reported and skipped (its previous file
// is kept) unless -strict is given, so generation can run while packages are
// still being written.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/traefik/yaegi/extract"
)

// Packages are the compiled packages scripts can import besides the
// standard library.
var Packages = []string{
	"workbench/frames", "workbench/fsp", "workbench/paper", "workbench/feeds", "workbench/plots", "workbench/mkt",
	"workbench/display",
	"github.com/go-gota/gota/dataframe", "github.com/go-gota/gota/series",
	"gonum.org/v1/gonum/floats", "gonum.org/v1/gonum/stat", "gonum.org/v1/gonum/mat",
	"github.com/shopspring/decimal",
}

func main() {
	out := flag.String("o", "symbols", "output `DIR`; its base name is the package name")
	strict := flag.Bool("strict", false, "fail when a package cannot be extracted")
	flag.Parse()
	pkgs := flag.Args()
	if len(pkgs) == 0 {
		pkgs = Packages
	}
	if err := run(*out, *strict, pkgs); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// buildLine matches the Go-version build constraint extract stamps on
// packages whose path has no dot (it takes them for standard library), which
// would silently drop our symbols under another toolchain.
var buildLine = regexp.MustCompile(`(?m)^//( \+build|go:build) .*\n`)

func run(out string, strict bool, pkgs []string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	name := filepath.Base(out)
	ext := extract.Extractor{Dest: name}
	var failed []string
	for _, p := range pkgs {
		var buf bytes.Buffer
		ip, err := ext.Extract(p, "", &buf)
		if err != nil {
			failed = append(failed, p)
			fmt.Fprintf(os.Stderr, "gen: skipping %s: %v\n", p, err)
			continue
		}
		src, err := format.Source(buildLine.ReplaceAll(buf.Bytes(), nil))
		if err != nil {
			return fmt.Errorf("format %s: %w", p, err)
		}
		base := filepath.Join(out, strings.NewReplacer("/", "-", ".", "_", "~", "_").Replace(ip))
		if err := os.WriteFile(base+".go", src, 0o644); err != nil {
			return err
		}
		docs := map[string]string{}
		if err := collectDocs(p, docs); err != nil {
			return fmt.Errorf("docs of %s: %w", p, err)
		}
		if err := writeDocs(base+"_doc.go", name, p, docs); err != nil {
			return err
		}
	}
	if strict && len(failed) > 0 {
		return fmt.Errorf("could not extract %s", strings.Join(failed, ", "))
	}
	return nil
}

// collectDocs adds the exported declarations of package path to docs, keyed
// by the package's name as scripts write it ("frames.OHLCV.Add").
func collectDocs(path string, docs map[string]string) error {
	dirb, err := exec.Command("go", "list", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		return fmt.Errorf("go list: %w", err)
	}
	dir := strings.TrimSpace(string(dirb))
	fset := token.NewFileSet()
	// Only the files this build compiles: gonum, for one, declares methods
	// twice behind build tags, and the docs must not depend on which wins.
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
		ok, err := build.Default.MatchFile(dir, fi.Name())
		return err == nil && ok && !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		return err
	}
	for pname, p := range pkgs {
		if strings.HasSuffix(pname, "_test") || pname == "main" {
			continue
		}
		d := doc.New(p, path, 0)
		add := func(key string, decl ast.Node, text string) {
			var b bytes.Buffer
			if fd, ok := decl.(*ast.FuncDecl); ok {
				c := *fd
				c.Body, c.Doc = nil, nil
				decl = &c
			}
			if gd, ok := decl.(*ast.GenDecl); ok {
				c := *gd
				c.Doc = nil
				decl = &c
			}
			if err := printer.Fprint(&b, fset, decl); err != nil {
				return
			}
			s := b.String()
			if t := strings.TrimSpace(text); t != "" {
				s += "\n\n" + t
			}
			docs[key] = s
		}
		add(d.Name, &ast.GenDecl{Tok: token.PACKAGE}, d.Doc)
		docs[d.Name] = "package " + d.Name + " // import \"" + path + "\"\n\n" + strings.TrimSpace(d.Doc)
		for _, f := range d.Funcs {
			add(d.Name+"."+f.Name, f.Decl, f.Doc)
		}
		values := func(vs []*doc.Value) {
			for _, v := range vs {
				for _, n := range v.Names {
					if ast.IsExported(n) {
						add(d.Name+"."+n, v.Decl, v.Doc)
					}
				}
			}
		}
		values(d.Consts)
		values(d.Vars)
		for _, t := range d.Types {
			add(d.Name+"."+t.Name, t.Decl, t.Doc)
			values(t.Consts)
			values(t.Vars)
			for _, f := range t.Funcs {
				add(d.Name+"."+f.Name, f.Decl, f.Doc)
			}
			for _, m := range t.Methods {
				add(d.Name+"."+t.Name+"."+m.Name, m.Decl, m.Doc)
			}
		}
	}
	return nil
}

func writeDocs(path, pkg, importPath string, docs map[string]string) error {
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by scripts/gen from %s; DO NOT EDIT.\n\npackage %s\n\n", importPath, pkg)
	b.WriteString("func init() {\n\tfor k, v := range map[string]string{\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "\t\t%q: %q,\n", k, docs[k])
	}
	b.WriteString("\t} {\n\t\tDocs[k] = v\n\t}\n}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}
