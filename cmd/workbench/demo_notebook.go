package main

import (
	"context"
	"os"
	"path/filepath"

	"workbench/examples"
)

func init() {
	registerDemoStep(demoStep{order: 60, name: "notebook report", run: demoNotebook})
}

// demoNotebook runs the example study notebook over the demo store and
// writes report.html (the notebook itself is saved beside it as report.go).
func demoNotebook(ctx context.Context, d *demoRun) error {
	src := filepath.Join(d.Dir, "report.go")
	if err := os.WriteFile(src, examples.Notebook, 0o644); err != nil {
		return err
	}
	var args []string
	for _, m := range d.Markets {
		args = append(args, m.FQME+"="+m.Calendar)
	}
	return writeNotebook(ctx, src, filepath.Join(d.Dir, "report.html"), d.StoreDir, false, args, d.out)
}
