package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Error paths of the commands without a table of their own: each mistake
// exits 2 (usage) or 1 (failure) and its message names the flag, argument
// or file at fault, and a failure writes nothing it was asked to write.
func TestCommandErrorsNameTheirCause(t *testing.T) {
	store := t.TempDir()
	aFile := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(aFile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	nb := writeNotebookFile(t, cliNotebook)
	missing := filepath.Join(t.TempDir(), "missing.go")
	for _, c := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"run"}, 2, []string{"missing script file", "usage: workbench run"}},
		{[]string{"run", missing}, 1, []string{missing}},
		{[]string{"run", "--nope", missing}, 2, []string{"-nope"}},
		{[]string{"run", "--config", missing + ".toml", missing}, 1, []string{"config " + missing + ".toml"}},

		{[]string{"notebook"}, 2, []string{"one notebook FILE.go"}},
		{[]string{"notebook", nb, nb}, 2, []string{"one notebook FILE.go"}},
		{[]string{"notebook", missing}, 1, []string{missing}},
		{[]string{"notebook", "--bogus", nb}, 2, []string{"-bogus"}},
		{[]string{"notebook", nb, "-o", filepath.Join(aFile, "r.html")}, 1, []string{"notebook report " + filepath.Join(aFile, "r.html")}},

		{[]string{"live"}, 2, []string{"market", "usage: workbench live"}},
		{[]string{"live", "x.y"}, 2, []string{"--period"}},
		{[]string{"live", "x.y", "--period", "7q"}, 2, []string{"-period", `"7q"`}},
		{[]string{"live", "x.y", "--period", "1m", "--bars", "0"}, 2, []string{"--bars 0"}},
		{[]string{"live", "x.y", "--period", "1m", "--poll", "0s"}, 2, []string{"--poll 0s"}},
		{[]string{"live", "x.y", "--period", "1m", "--every", "-1s"}, 2, []string{"--every -1s"}},
		{[]string{"live", "x.y", "--period", "1m", "--feed", "nasdaq"}, 2, []string{"--feed", `"nasdaq"`}},
		{[]string{"live", "x.y", "--period", "1m", "--no-browser"}, 1, []string{"x.y", "1m", "not found"}},
		{[]string{"live", "x.y", "--period", "1m", "--percent"}, 2, []string{"--percent", "--overlay"}},
		{[]string{"live", "x.y", "--period", "1m", "--overlay", "log"}, 2, []string{"--overlay", `"log"`}},
		{[]string{"live", "x.y", "--period", "1m", "--overlay", "pin", "--ind", "rsi(14)"}, 2, []string{"--ind", "--overlay"}},
		{[]string{"live", "x.y", "--period", "1m", "--ind", "nosuch(3)"}, 2, []string{"--ind", "nosuch"}},

		{[]string{"demo", "out"}, 2, []string{`"out"`, "-o"}},
		{[]string{"demo", "-o", filepath.Join(aFile, "demo")}, 1, []string{filepath.Join(aFile, "demo")}},

		{[]string{"repl", "--bogus"}, 2, []string{"-bogus"}},
	} {
		args := append(c.args, "--store", store)
		if c.args[0] == "run" || c.args[0] == "notebook" {
			// Everything after the file may belong to the script; the
			// store flag goes first.
			args = append([]string{c.args[0], "--store", store}, c.args[1:]...)
		}
		code, stdout, stderr := runCLI(t, args...)
		ok := code == c.code
		for _, w := range c.want {
			ok = ok && strings.Contains(stderr, w)
		}
		if !ok {
			t.Errorf("%v: exit %d, stderr %q; want exit %d naming %q", c.args, code, stderr, c.code, c.want)
		}
		if c.args[0] == "demo" && code != 0 && stdout != "" {
			t.Errorf("%v: a refused demo ran anyway:\n%s", c.args, stdout)
		}
		// A failing command's message is printed once, not echoed by the
		// command and again by main.
		if strings.Contains(stderr, c.args[0]+": "+c.args[0]+": ") {
			t.Errorf("%v: the command's name is repeated in %q", c.args, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(aFile, "r.html")); err == nil {
		t.Error("a failed notebook report was written")
	}
}
