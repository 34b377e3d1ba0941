package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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

const chromium = "/usr/bin/chromium"

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

	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium missing at %s", chromium)
		}
		t.Skipf("chromium missing at %s", chromium)
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun)
	defer cancel()
	quiet := func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); !strings.Contains(msg, "could not unmarshal event") {
			t.Log(msg)
		}
	}
	ctx, cancel2 := chromedp.NewContext(actx, chromedp.WithErrorf(quiet))
	defer cancel2()
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	defer cancel3()
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
