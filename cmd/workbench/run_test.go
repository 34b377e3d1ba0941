package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func writeScript(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "script.go")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunScriptArgsAndOutput(t *testing.T) {
	p := writeScript(t, "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"workbench/frames\"\n)\n\nfunc main() {\n\tfmt.Println(os.Args[1:], frames.FormatPeriod(3600))\n}\n")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"run", p, "--", "x", "--flag"}, strings.NewReader(""), &out, &errb)
	if code != 0 || out.String() != "[x --flag] 1h\n" {
		t.Fatalf("code %d out %q err %q", code, out.String(), errb.String())
	}
}

func TestRunScriptErrorsNameFileAndLine(t *testing.T) {
	cases := map[string]string{
		// yaegi places a panic on the failing statement or the one before.
		"package main\n\nfunc main() {\n\tvar m map[string]int\n\tm[\"a\"] = 1\n}\n":                     `script\.go:[45]: panic: assignment to entry in nil map`,
		"package main\n\nfunc main() {\n\tx := 1 +\n}\n":                                                 `script\.go:5: expected operand`,
		"package main\n\nfunc main() {\n\tfor i := range func(func(int) bool) {} {\n\t\t_ = i\n\t}\n}\n": `script\.go:4: range over a function`,
		"package main\n\nfunc main() {\n\tundefinedCall()\n}\n":                                          `script\.go:4: undefined: undefinedCall`,
		"package main\n\nfunc main() {}\n\nfunc f(c *paper.Context) {}\n":                                `script\.go:5: undefined: paper \(missing import "workbench/paper"\)`,
	}
	for src, want := range cases {
		p := writeScript(t, src)
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"run", p}, strings.NewReader(""), &out, &errb)
		if code != 1 || !regexp.MustCompile(want).MatchString(errb.String()) {
			t.Errorf("%q: code %d stderr %q, want %q", src, code, errb.String(), want)
		}
	}
}

// A script's os.Exit code is the command's exit code, as with `go run`,
// and the interpreter's own "exit status" wording is not printed.
func TestRunScriptExitCode(t *testing.T) {
	for _, code := range []int{0, 3, 42} {
		p := writeScript(t, fmt.Sprintf("package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Println(\"before\")\n\tos.Exit(%d)\n\tfmt.Println(\"after\")\n}\n", code))
		var out, errb bytes.Buffer
		got := run(context.Background(), []string{"run", p}, strings.NewReader(""), &out, &errb)
		if got != code || out.String() != "before\n" || errb.Len() != 0 {
			t.Errorf("os.Exit(%d): code %d, stdout %q, stderr %q", code, got, out.String(), errb.String())
		}
	}
}

func TestRunScriptMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "x.go")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run"}, 2, "workbench run: missing script file\nusage: workbench run "},
		{[]string{"run", missing}, 1, "workbench run: stat " + missing + ": no such file or directory\n"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(""), &out, &errb)
		if code != c.code || !strings.HasPrefix(errb.String(), c.want) || out.Len() != 0 {
			t.Errorf("%v: code %d, stdout %q, stderr %q; want %d and %q", c.args, code, out.String(), errb.String(), c.code, c.want)
		}
	}
}

// faultScripts are the scripts package's scripts that end the process
// running them (a Go fatal error or a panic in a goroutine no recover
// covers), with the fault each must be reported as.
func faultScripts(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "scripts", "testdata", "faults", "*.go"))
	if len(files) == 0 {
		t.Fatal("no fault scripts in scripts/testdata/faults")
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		abs, _ := filepath.Abs(f)
		out[abs] = strings.TrimPrefix(first, "// want: ")
	}
	return out
}

// `workbench run` of a script that ends the interpreter ends with one line
// naming the script and the fault, exit 1, never a Go crash dump.
func TestRunSurvivesFaults(t *testing.T) {
	bin := workbenchBinary(t)
	for file, want := range faultScripts(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cmd := exec.Command(bin, "run", file)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			code := cmd.ProcessState.ExitCode()
			wantErr := "workbench run: " + file + ": the script ended the interpreter: " + want
			if code != 1 || out.String() != "before\n" || !strings.HasPrefix(errb.String(), wantErr) ||
				strings.Count(errb.String(), "\n") != 1 {
				t.Fatalf("exit %d (%v)\nstdout %q\nstderr %q\nwant stderr %q...", code, err, out.String(), errb.String(), wantErr)
			}
		})
	}
}
