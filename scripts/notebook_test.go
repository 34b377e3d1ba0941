package scripts

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testNotebook = `//go:build ignore

package main

import (
	"fmt"
	"workbench/frames"
	"workbench/plots"
	"workbench/session"
)

// %% [markdown]
// # A study
// Closes of a **tiny** frame, with ` + "`SMA`" + `.
// - one
// - two

// %% Build a frame
f := frames.New(3600, 0)
for i := 0; i < 30; i++ {
	f.Add(int64(i)*3600, 1, 2, 0.5, float64(i%7), 10)
}
fmt.Println("rows", f.Len())

// %% The frame as a table
f

// %% A chart
c := plots.NewChart("closes")
c.AddPane("price", 1).Line("close", f.Time, f.Close)
if err := c.Save(session.Path("closes.png")); err != nil {
	panic(err)
}

// %% Fails
var m map[string]int
m["x"] = 1

// %% After the failure
fmt.Println("still here")
`

func parseTestNotebook(t *testing.T) *Notebook {
	nb := ParseNotebook("study.go", []byte(testNotebook))
	if len(nb.Cells) != 7 {
		t.Fatalf("%d cells", len(nb.Cells))
	}
	return nb
}

func TestNotebookParse(t *testing.T) {
	nb := parseTestNotebook(t)
	md := nb.Cells[1]
	if !md.Markdown || !strings.HasPrefix(md.Source, "# A study\nCloses of a **tiny**") {
		t.Fatalf("markdown cell %+v", md)
	}
	c := nb.Cells[2]
	if c.Title != "Build a frame" || c.Line != 19 || !strings.HasPrefix(c.Source, "f := frames.New") {
		t.Fatalf("code cell %+v", c)
	}
	if strings.Contains(nb.Cells[0].Source, "go:build") {
		t.Fatal("build line kept")
	}
}

func TestNotebookRunStopsAtFailure(t *testing.T) {
	nb := parseTestNotebook(t)
	dir := t.TempDir()
	err := nb.Run(context.Background(), NotebookOptions{ImageDir: dir})
	if !errors.Is(err, ErrCellFailed) || !strings.Contains(err.Error(), "cell 6 (line 36)") {
		t.Fatalf("run: %v", err)
	}
	if got := nb.Cells[2].Output; got != "rows 30\n" {
		t.Fatalf("output %q", got)
	}
	if !nb.Cells[3].Table.IsValid() || !strings.Contains(nb.Cells[3].Value, "30 rows") {
		t.Fatalf("table cell value %q", nb.Cells[3].Value)
	}
	if len(nb.Cells[4].Images) != 1 || filepath.Base(nb.Cells[4].Images[0]) != "closes.png" {
		t.Fatalf("images %v", nb.Cells[4].Images)
	}
	var se *Error
	if !errors.As(nb.Cells[5].Err, &se) || se.File != "study.go" || se.Line < 36 || se.Line > 37 {
		t.Fatalf("failing cell error %v", nb.Cells[5].Err)
	}
	if nb.Cells[6].Ran {
		t.Fatal("cell after the failure ran")
	}

	var html bytes.Buffer
	if err := nb.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	s := html.String()
	for _, want := range []string{"<h2>A study</h2>", "<strong>tiny</strong>", "<li>two</li>", "rows 30", "OHLCV 1h, 30 rows", "data:image/png;base64,", "assignment to entry in nil map", "not run"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestNotebookKeepGoingMarkdown(t *testing.T) {
	nb := parseTestNotebook(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "report_files")
	os.MkdirAll(img, 0o755)
	err := nb.Run(context.Background(), NotebookOptions{ImageDir: img, KeepGoing: true})
	if !errors.Is(err, ErrCellFailed) {
		t.Fatalf("run: %v", err)
	}
	if nb.Cells[6].Output != "still here\n" {
		t.Fatalf("cell after failure: %q", nb.Cells[6].Output)
	}
	var md bytes.Buffer
	if err := nb.WriteMarkdown(&md, dir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "![closes.png](report_files/closes.png)") || !strings.Contains(md.String(), "**Error:**") {
		t.Fatalf("markdown:\n%s", md.String())
	}
}

// A notebook that is a valid Go file keeps its statement cells in main.
func TestNotebookCellsInMain(t *testing.T) {
	src := "package main\n\nimport \"fmt\"\n\nfunc main() {\n\t// %% One\n\tx := 40\n\tfmt.Println(\"x\", x)\n\n\t// %% Two\n\tx + 2\n}"
	nb := ParseNotebook("nb.go", []byte(src))
	if len(nb.Cells) != 3 || nb.Cells[1].Source != "x := 40\nfmt.Println(\"x\", x)" || nb.Cells[2].Line != 11 {
		t.Fatalf("cells %+v", nb.Cells)
	}
	if err := nb.Run(context.Background(), NotebookOptions{}); err != nil {
		t.Fatal(err)
	}
	// Cell one ends in fmt.Println: its output shows, its byte count does not.
	if nb.Cells[1].Output != "x 40\n" || nb.Cells[1].Value != "" || nb.Cells[2].Value != "42" {
		t.Fatalf("outputs %q %q %q", nb.Cells[1].Output, nb.Cells[1].Value, nb.Cells[2].Value)
	}
}

// A cell of bare statements may declare functions before using them.
func TestNotebookMixedCell(t *testing.T) {
	src := "package main\n\n// %% Mixed\nfunc twice(v int) int { return 2 * v }\n\nfunc half(v int) int { return v / 2 }\nhalf(twice(21))\n"
	nb := ParseNotebook("nb.go", []byte(src))
	if err := nb.Run(context.Background(), NotebookOptions{}); err != nil {
		t.Fatal(err)
	}
	if v := nb.Cells[1].Value; v != "21" {
		t.Fatalf("value %q", v)
	}
}
