package main

import (
	"context"
	"os"

	"workbench/scripts"
)

func init() {
	register(&command{
		name:    "run",
		usage:   "run FILE.go [-- ARGS...]",
		summary: "run a Go script (package main) in the interpreter; ARGS become its os.Args[1:]",
		run:     runScript,
	})
}

func runScript(ctx context.Context, e *env, args []string) error {
	all := args
	// Everything after "--" belongs to the script, flags included.
	var scriptArgs []string
	for i, a := range args {
		if a == "--" {
			args, scriptArgs = args[:i], args[i+1:]
			break
		}
	}
	fs := e.flags(commands["run"])
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	pos = append(pos, scriptArgs...)
	if len(pos) == 0 {
		return usagef("missing script file")
	}
	path := pos[0]
	if _, err := os.Stat(path); err != nil {
		return err
	}
	if cmd := evaluator(ctx, e, "run", all, ""); cmd != nil {
		return superviseOnce(cmd, e, path)
	}
	in, err := scripts.New(scripts.Options{
		Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr,
		Args:     append([]string{path}, pos[1:]...),
		StoreDir: e.storeDir(),
	})
	if err != nil {
		return err
	}
	return in.RunFile(ctx, path)
}
