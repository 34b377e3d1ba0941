package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"workbench/internal/atomicfile"
	"workbench/scripts"
)

func init() {
	register(&command{
		name:    "notebook",
		usage:   "notebook FILE.go [-o report.html|report.md] [--keep-going] [-- ARGS...]",
		summary: "run a Go file split into cells by // %% lines and write a report with each cell's code, output, tables and charts",
		run:     runNotebook,
	})
}

func runNotebook(ctx context.Context, e *env, args []string) error {
	all := args
	var scriptArgs []string
	for i, a := range args {
		if a == "--" {
			args, scriptArgs = args[:i], args[i+1:]
			break
		}
	}
	fs := e.flags(commands["notebook"])
	out := fs.String("o", "", "report `FILE`: .html (self-contained) or .md (images in FILE_files/); default FILE.html beside the notebook")
	keep := fs.Bool("keep-going", false, "run the cells after a failing one")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one notebook FILE.go")
	}
	if cmd := evaluator(ctx, e, "notebook", all, ""); cmd != nil {
		return superviseOnce(cmd, e, pos[0])
	}
	return writeNotebook(ctx, pos[0], *out, e.storeDir(), *keep, scriptArgs, e.stdout)
}

// writeNotebook runs the notebook at path and writes its report to out; the
// report is written even when a cell failed, and then the error is returned.
func writeNotebook(ctx context.Context, path, out, storeDir string, keepGoing bool, args []string, w io.Writer) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if out == "" {
		out = strings.TrimSuffix(path, filepath.Ext(path)) + ".html"
	}
	markdown := strings.EqualFold(filepath.Ext(out), ".md")
	var imgDir string
	if markdown {
		imgDir = strings.TrimSuffix(out, filepath.Ext(out)) + "_files"
		if err := os.MkdirAll(imgDir, 0o755); err != nil {
			return err
		}
	} else {
		imgDir, err = os.MkdirTemp("", "workbench-notebook-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(imgDir)
	}
	nb := scripts.ParseNotebook(path, src)
	runErr := nb.Run(ctx, scripts.NotebookOptions{ImageDir: imgDir, KeepGoing: keepGoing, StoreDir: storeDir, Args: args})
	if runErr != nil && !errors.Is(runErr, scripts.ErrCellFailed) {
		return runErr
	}
	err = atomicfile.Write(out, 0o644, func(f io.Writer) error {
		if markdown {
			return nb.WriteMarkdown(f, filepath.Dir(out))
		}
		return nb.WriteHTML(f)
	})
	if err != nil {
		return fmt.Errorf("notebook report %s: %w", out, err)
	}
	code, ran, failed, images := 0, 0, 0, 0
	for _, c := range nb.Cells {
		if c.Markdown {
			continue
		}
		code++
		if c.Ran {
			ran++
		}
		if c.Err != nil {
			failed++
		}
		images += len(c.Images)
	}
	fmt.Fprintf(w, "notebook %s: %d code cells, %d ran, %d failed, %d images; wrote %s\n", path, code, ran, failed, images, out)
	return runErr
}
