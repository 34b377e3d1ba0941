package scripts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// faultFiles are the scripts in testdata/faults, which end the process
// that runs them whatever recovers, each with the fault it must be
// reported as on its first line ("// want: ...").
func faultFiles(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "faults", "*.go"))
	if len(files) == 0 {
		t.Fatal("no fault scripts in testdata/faults")
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		out[f] = strings.TrimPrefix(first, "// want: ")
	}
	return out
}

// The test binary runs a script as an evaluator when asked; Supervise
// watches it die for real and reports the fault, not the crash dump.
func TestSuperviseFaults(t *testing.T) {
	if file := os.Getenv("WORKBENCH_TEST_EVAL"); file != "" {
		if !IsEvaluator() {
			t.Fatal("not an evaluator")
		}
		in, err := New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(os.Stderr, "script err:", in.RunFile(context.Background(), file))
		return
	}
	for file, want := range faultFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSuperviseFaults$")
			cmd.Env = append(os.Environ(), "WORKBENCH_TEST_EVAL="+file, EvaluatorEnv+"=")
			var out, errb bytes.Buffer
			cmd.Stdout = &out
			code, fault, err := Supervise(cmd, &errb)
			if err != nil {
				t.Fatal(err)
			}
			if fault == nil || !strings.HasPrefix(fault.Error(), want) {
				t.Fatalf("code %d fault %v, want %q; stderr:\n%s", code, fault, want, errb.String())
			}
			if out.String() != "before\n" {
				t.Fatalf("stdout %q", out.String())
			}
			if strings.Contains(errb.String(), "goroutine ") || strings.Contains(errb.String(), "fatal error") {
				t.Fatalf("crash dump passed through:\n%s", errb.String())
			}
		})
	}
}

// Stderr that merely looks like a crash report passes through when the
// process ends normally.
func TestSuperviseCrashLookalike(t *testing.T) {
	cmd := exec.Command("sh", "-c", `echo "fatal error: not really" >&2; echo "panic: neither" >&2; exit 2`)
	var errb bytes.Buffer
	code, fault, err := Supervise(cmd, &errb)
	if err != nil {
		t.Skipf("no sh: %v", err)
	}
	// Exit 2 with such lines is what a crash looks like: a fault.
	if fault == nil || fault.What != "fatal error: not really" || code != 2 {
		t.Fatalf("code %d fault %v", code, fault)
	}
	cmd = exec.Command("sh", "-c", `echo "fatal error: a line a script printed" >&2; echo after >&2; exit 0`)
	errb.Reset()
	code, fault, err = Supervise(cmd, &errb)
	if err != nil || fault != nil || code != 0 || errb.String() != "fatal error: a line a script printed\nafter\n" {
		t.Fatalf("code %d fault %v err %v stderr %q", code, fault, err, errb.String())
	}
}
