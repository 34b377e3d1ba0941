package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	headless "workbench/internal/chromium"
)

const cliNotebook = `//go:build ignore

package main

import (
	"fmt"
	"workbench/frames"
	"workbench/plots"
	"workbench/session"
)

// %% [markdown]
// # Closes
// A **small** frame and its chart.

// %% Frame
f := frames.New(60, 0)
for i := 0; i < 50; i++ {
	f.Add(int64(i)*60, 1, 2, 0.5, float64(i%9), 10)
}
fmt.Println("bars:", f.Len())
f

// %% Chart
c := plots.NewChart("closes")
c.AddPane("price", 1).Line("close", f.Time, f.Close)
c.Save(session.Path("closes.png"))
`

func writeNotebookFile(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "study.go")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNotebookHTMLInChromium(t *testing.T) {
	nbFile := writeNotebookFile(t, cliNotebook)
	out := filepath.Join(t.TempDir(), "report.html")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"notebook", nbFile, "-o", out}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("code %d: %s %s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "3 code cells, 3 ran, 0 failed, 1 images") {
		t.Fatalf("summary %q", stdout.String())
	}

	ctx := headless.Context(t)
	var widths []int
	var text string
	var rows int
	err := chromedp.Run(ctx,
		chromedp.Navigate("file://"+out),
		chromedp.WaitReady("body"),
		chromedp.Evaluate(`Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)`, &widths),
		chromedp.Evaluate(`document.body.innerText`, &text),
		chromedp.Evaluate(`document.querySelectorAll("table.frame tr").length`, &rows),
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(widths) != 1 || widths[0] < 100 {
		t.Fatalf("embedded images decode to widths %v", widths)
	}
	for _, want := range []string{"Closes", "bars: 50", "OHLCV 1m, 50 rows"} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	if rows != 12 { // header, 5 head rows, the elision, 5 tail rows
		t.Errorf("table has %d rows", rows)
	}
}

func TestNotebookMarkdownAndFailure(t *testing.T) {
	src := strings.Replace(cliNotebook, "// %% Chart", "// %% Broken\nundefinedThing()\n\n// %% Chart", 1)
	nbFile := writeNotebookFile(t, src)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.md")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"notebook", nbFile, "-o", out}, strings.NewReader(""), &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "undefined: undefinedThing") {
		t.Fatalf("code %d stderr %q", code, stderr.String())
	}
	md, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "_not run_") || strings.Contains(string(md), "![closes.png]") {
		t.Fatalf("stopped run report:\n%s", md)
	}
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"notebook", "--keep-going", nbFile, "-o", out}, strings.NewReader(""), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("keep-going code %d", code)
	}
	md, _ = os.ReadFile(out)
	if !strings.Contains(string(md), "![closes.png](report_files/closes.png)") {
		t.Fatalf("keep-going report:\n%s", md)
	}
	if fi, err := os.Stat(filepath.Join(dir, "report_files", "closes.png")); err != nil || fi.Size() == 0 {
		t.Fatalf("image beside the report: %v", err)
	}
}

// A .go notebook converts to .ipynb and back with its cells, and the
// .ipynb runs to an executed .ipynb that Jupyter's nbformat accepts.
func TestNotebookIPynbBothWays(t *testing.T) {
	nbFile := writeNotebookFile(t, cliNotebook)
	dir := t.TempDir()
	ipy, goBack, executed := filepath.Join(dir, "study.ipynb"), filepath.Join(dir, "back.go"), filepath.Join(dir, "run.ipynb")
	for _, args := range [][]string{
		{"notebook", "--convert", nbFile, "-o", ipy},
		{"notebook", "--convert", ipy, "-o", goBack},
		{"notebook", ipy, "-o", executed},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("workbench %v: exit %d\n%s%s", args, code, stdout.String(), stderr.String())
		}
	}
	orig, err := readNotebook(nbFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{ipy, goBack, executed} {
		nb, err := readNotebook(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(nb.Cells) != len(orig.Cells) {
			t.Fatalf("%s: %d cells, want %d", p, len(nb.Cells), len(orig.Cells))
		}
		for i, c := range nb.Cells {
			o := orig.Cells[i]
			if c.Markdown != o.Markdown || c.Title != o.Title || c.Source != o.Source {
				t.Errorf("%s cell %d: {%v %q %q}, want {%v %q %q}", p, i+1, c.Markdown, c.Title, c.Source, o.Markdown, o.Title, o.Source)
			}
		}
	}
	b, err := os.ReadFile(executed)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cells []struct {
			Outputs []struct {
				Type string            `json:"output_type"`
				Text []string          `json:"text"`
				Data map[string]string `json:"data"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	frame, chart := doc.Cells[2].Outputs, doc.Cells[3].Outputs
	if len(frame) != 2 || strings.Join(frame[0].Text, "") != "bars: 50\n" || !strings.Contains(frame[1].Data["text/html"], "<table") {
		t.Errorf("frame cell outputs %+v", frame)
	}
	if len(chart) == 0 || chart[0].Type != "display_data" || chart[0].Data["image/png"] == "" {
		t.Errorf("chart cell outputs: %d", len(chart))
	}

	t.Run("nbformat", func(t *testing.T) {
		needJupyter(t, "nbformat")
		for _, p := range []string{ipy, executed} {
			out, err := exec.Command(debianPython, "-c", "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')", p).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "valid" {
				t.Errorf("nbformat %s: %v\n%s", p, err, out)
			}
		}
	})
}
