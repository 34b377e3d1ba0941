package scripts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-gota/gota/dataframe"

	"workbench/display"
	"workbench/frames"
)

// A notebook is a Go file split into cells by lines starting "// %%"; text
// after the marker titles the cell. "// %% [markdown]" starts a prose cell
// whose comment lines are Markdown. Code before the first marker (the
// package clause and imports) is a cell too.
//
// So that a notebook stays a valid Go file (gofmt, editors, `workbench run`),
// statement cells may sit inside func main: its "func main() {" and closing
// "}" lines are dropped and its body runs cell by cell at the top level, so
// later cells see earlier cells' variables. Cells of bare top-level
// statements work too. A "//go:build ..." line (typically ignore, to keep
// the go tool from compiling a notebook that imports workbench/session) is
// dropped.

// Cell is one notebook cell and, after Run, what it produced.
type Cell struct {
	Markdown bool
	Title    string
	Line     int // first line of Source in the file
	Source   string
	// Name is the file name errors in the cell give, when not the
	// notebook's (a Jupyter notebook's cells are numbered: "study.ipynb#3").
	Name string

	Ran    bool
	Output string         // what the cell printed
	Value  string         // its last expression's value, formatted
	Table  reflect.Value  // a frame or dataframe value, for a table
	Bundle display.Bundle // the value as Jupyter shows it (MIME)
	Images []string       // files under the image folder the cell wrote
	Err    error
	Took   time.Duration
}

// Notebook is a parsed notebook.
type Notebook struct {
	File  string
	Cells []*Cell
}

var (
	cellMarker  = regexp.MustCompile(`^//\s*%%(.*)$`)
	buildIgnore = regexp.MustCompile(`^//go:build\s`)
)

// ParseNotebook splits src (the contents of file) into cells.
func ParseNotebook(file string, src []byte) *Notebook {
	nb := &Notebook{File: file}
	lines := strings.Split(strings.TrimRight(string(src), "\n"), "\n")
	unwrapMain(src, lines)
	cur := &Cell{Line: 1}
	var body []string
	flush := func() {
		cur.Source = strings.TrimRight(strings.Join(body, "\n"), "\n")
		if strings.TrimSpace(cur.Source) != "" {
			if cur.Markdown {
				cur.Source = markdownText(body)
			}
			nb.Cells = append(nb.Cells, cur)
		}
		body = nil
	}
	for i, l := range lines {
		m := cellMarker.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			if buildIgnore.MatchString(l) {
				l = ""
			}
			body = append(body, l)
			continue
		}
		flush()
		rest := strings.TrimSpace(m[1])
		md := strings.HasPrefix(rest, "[markdown]")
		if md {
			rest = strings.TrimSpace(strings.TrimPrefix(rest, "[markdown]"))
		}
		cur = &Cell{Markdown: md, Title: rest, Line: i + 2}
	}
	flush()
	return nb
}

// unwrapMain blanks the "func main() {" and closing "}" lines of a
// notebook that is a valid Go file with its cells in main, and dedents the
// body by one tab, keeping line numbers.
func unwrapMain(src []byte, lines []string) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || fd.Name.Name != "main" || fd.Body == nil {
			continue
		}
		open, end := fset.Position(fd.Pos()).Line-1, fset.Position(fd.Body.Rbrace).Line-1
		if fset.Position(fd.Body.Lbrace).Line-1 != open || strings.TrimSpace(lines[open]) != "func main() {" || strings.TrimSpace(lines[end]) != "}" {
			return
		}
		lines[open], lines[end] = "", ""
		for i := open + 1; i < end; i++ {
			lines[i] = strings.TrimPrefix(lines[i], "\t")
		}
		return
	}
}

// markdownText strips the comment markers of a prose cell.
func markdownText(lines []string) string {
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "// "):
			out = append(out, t[3:])
		case strings.HasPrefix(t, "//"):
			out = append(out, t[2:])
		default:
			out = append(out, t)
		}
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// NotebookOptions configures Run.
type NotebookOptions struct {
	// ImageDir receives the files cells write through session.Path; images
	// among them are attached to the cell that wrote them.
	ImageDir string
	// KeepGoing runs the cells after a failing one.
	KeepGoing bool
	StoreDir  string
	Args      []string
}

// ErrCellFailed is returned (wrapped) by Run when a cell failed.
var ErrCellFailed = errors.New("notebook cell failed")

// Run runs the code cells in order in one interpreter, recording each
// cell's output, value, images and error. A failing cell stops the run
// unless KeepGoing; the error names the first failing cell.
func (nb *Notebook) Run(ctx context.Context, opts NotebookOptions) error {
	out := &switchWriter{}
	in, err := New(Options{
		Stdin: strings.NewReader(""), Stdout: out, Stderr: out,
		Args: append([]string{nb.File}, opts.Args...), OutDir: opts.ImageDir, StoreDir: opts.StoreDir,
	})
	if err != nil {
		return err
	}
	var first error
	for i, c := range nb.Cells {
		if c.Markdown {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		before := imageSnapshot(opts.ImageDir)
		var buf bytes.Buffer
		out.set(&buf)
		start := time.Now()
		file := nb.File
		if c.Name != "" {
			file = c.Name
		}
		v, err := in.EvalAt(ctx, file, c.Line, c.Source)
		c.Took = time.Since(start)
		out.set(nil)
		c.Ran = true
		c.Output = buf.String()
		c.Images = newImages(opts.ImageDir, before)
		if err != nil {
			c.Err = err
			if first == nil {
				first = fmt.Errorf("%w: cell %d (line %d): %v", ErrCellFailed, i+1, c.Line, err)
			}
			if !opts.KeepGoing {
				return first
			}
			continue
		}
		if lastIsExpr(c.Source) && v.IsValid() {
			c.Value = Format(v, false)
			c.Bundle = MIME(v)
			if isTable(v) {
				c.Table = v
			}
		}
	}
	return first
}

func isTable(v reflect.Value) bool {
	if !v.CanInterface() {
		return false
	}
	switch x := v.Interface().(type) {
	case *frames.OHLCV:
		return x != nil
	case dataframe.DataFrame, *dataframe.DataFrame:
		return true
	}
	return false
}

// lastIsExpr reports whether the input ends with an expression statement,
// whose value a notebook or the REPL shows (`st, _ := open(); st.List()`
// shows the list), unless it is a fmt.Print call.
func lastIsExpr(src string) bool {
	if segs := splitInput(src); segs != nil {
		src = segs[len(segs)-1].src
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", wrapInMain(src), 0)
	if err != nil {
		return false
	}
	list := mainBody(f).(*ast.BlockStmt).List
	if len(list) == 0 {
		return false
	}
	es, ok := list[len(list)-1].(*ast.ExprStmt)
	return ok && !isPrint(es.X)
}

// isPrint reports whether e is a call of fmt's Print or Fprint functions:
// their byte count and error are not what a person printed them for.
func isPrint(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "fmt" && (strings.HasPrefix(sel.Sel.Name, "Print") || strings.HasPrefix(sel.Sel.Name, "Fprint"))
}

// switchWriter sends the interpreter's output to the running cell.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

type fileStamp struct {
	mod  time.Time
	size int64
}

var imageExt = map[string]string{".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}

func imageSnapshot(dir string) map[string]fileStamp {
	out := map[string]fileStamp{}
	if dir == "" {
		return out
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return out
	}
	for _, e := range ents {
		if _, ok := imageExt[strings.ToLower(filepath.Ext(e.Name()))]; !ok || e.IsDir() {
			continue
		}
		if fi, err := e.Info(); err == nil {
			out[e.Name()] = fileStamp{fi.ModTime(), fi.Size()}
		}
	}
	return out
}

// newImages lists, sorted, the images in dir that are new or changed since
// the snapshot.
func newImages(dir string, before map[string]fileStamp) []string {
	var out []string
	for name, st := range imageSnapshot(dir) {
		if old, ok := before[name]; !ok || old != st {
			out = append(out, filepath.Join(dir, name))
		}
	}
	sort.Strings(out)
	return out
}
