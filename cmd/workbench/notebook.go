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
		name:  "notebook",
		usage: "notebook FILE.go|FILE.ipynb [-o report.html|report.md|run.ipynb] [--keep-going] [-- ARGS...] | notebook --convert FILE.go|FILE.ipynb -o OUT.ipynb|OUT.go",
		summary: "run a Go file split into cells by // %% lines, or a Jupyter notebook, and write a report with each cell's code, output, tables and charts " +
			"(HTML, Markdown or an executed .ipynb); --convert turns a .go notebook into .ipynb and back without running it",
		run: runNotebook,
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
	out := fs.String("o", "", "report `FILE`: .html (self-contained), .md (images in FILE_files/) or .ipynb (executed); default FILE.html beside the notebook")
	keep := fs.Bool("keep-going", false, "run the cells after a failing one")
	convert := fs.Bool("convert", false, "convert the notebook to -o's form (.go or .ipynb) without running it")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one notebook FILE.go or FILE.ipynb")
	}
	if *convert {
		return convertNotebook(pos[0], *out, e.stdout)
	}
	if cmd := evaluator(ctx, e, "notebook", all, ""); cmd != nil {
		return superviseOnce(cmd, e, pos[0])
	}
	return writeNotebook(ctx, pos[0], *out, e.storeDir(), *keep, scriptArgs, e.stdout)
}

// writeNotebook runs the notebook at path and writes its report to out; the
// report is written even when a cell failed, and then the error is returned.
func writeNotebook(ctx context.Context, path, out, storeDir string, keepGoing bool, args []string, w io.Writer) error {
	nb, err := readNotebook(path)
	if err != nil {
		return err
	}
	if out == "" {
		out = strings.TrimSuffix(path, filepath.Ext(path)) + ".html"
	}
	outExt := strings.ToLower(filepath.Ext(out))
	markdown := outExt == ".md"
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
	runErr := nb.Run(ctx, scripts.NotebookOptions{ImageDir: imgDir, KeepGoing: keepGoing, StoreDir: storeDir, Args: args})
	if runErr != nil && !errors.Is(runErr, scripts.ErrCellFailed) {
		return runErr
	}
	err = atomicfile.Write(out, 0o644, func(f io.Writer) error {
		switch outExt {
		case ".md":
			return nb.WriteMarkdown(f, filepath.Dir(out))
		case ".ipynb":
			return nb.WriteIPynb(f)
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

// readNotebook parses a .go notebook or a Jupyter .ipynb one.
func readNotebook(path string) (*scripts.Notebook, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(path), ".ipynb") {
		return scripts.ParseIPynb(path, src)
	}
	return scripts.ParseNotebook(path, src), nil
}

// convertNotebook writes the notebook at path as out (.go or .ipynb), cells
// and Markdown as they are, without running it.
func convertNotebook(path, out string, w io.Writer) error {
	nb, err := readNotebook(path)
	if err != nil {
		return err
	}
	var write func(io.Writer) error
	switch strings.ToLower(filepath.Ext(out)) {
	case ".ipynb":
		write = nb.WriteIPynb
	case ".go":
		write = nb.WriteGo
	default:
		return usagef("notebook --convert -o %q: want a .go or .ipynb file", out)
	}
	if err := atomicfile.Write(out, 0o644, write); err != nil {
		return fmt.Errorf("notebook %s: %w", out, err)
	}
	fmt.Fprintf(w, "notebook %s: %d cells; wrote %s\n", path, len(nb.Cells), out)
	return nil
}
