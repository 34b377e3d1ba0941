package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the CLI in process and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	code, _, stderr := runCLI(t, "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for name, c := range commands {
		if c.summary == "" || !strings.HasPrefix(c.usage, name) {
			t.Errorf("command %s: summary %q, usage %q", name, c.summary, c.usage)
		}
		code, _, stderr := runCLI(t, "help", name)
		if code != 0 || !strings.Contains(stderr, "usage: workbench "+c.usage) {
			t.Errorf("help %s: code %d, %q", name, code, stderr)
		}
	}
	code, _, stderr := runCLI(t, "--help")
	if code != 0 || !strings.Contains(stderr, "demo") {
		t.Fatalf("--help: code %d, %q", code, stderr)
	}
}

func TestStoreDirPrecedence(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(tmp, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(tmp, "nocfg"))
	t.Setenv("WORKBENCH_STORE", "")
	e := &env{}
	if got, want := e.storeDir(), filepath.Join(tmp, "data", "workbench", "store"); got != want {
		t.Errorf("default store %q, want %q", got, want)
	}
	t.Setenv("WORKBENCH_STORE", "/from/env")
	if got := e.storeDir(); got != "/from/env" {
		t.Errorf("env store %q", got)
	}
	cfg := filepath.Join(tmp, "c.toml")
	if err := os.WriteFile(cfg, []byte("store = \"/from/config\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.configFlag = cfg
	if err := e.loadConfig(); err != nil {
		t.Fatal(err)
	}
	if got := e.storeDir(); got != "/from/config" {
		t.Errorf("config store %q", got)
	}
	e.storeFlag = "/from/flag"
	if got := e.storeDir(); got != "/from/flag" {
		t.Errorf("flag store %q", got)
	}
}

func TestBadConfigNamesFileAndKey(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(cfg, []byte("stroe = \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &env{configFlag: cfg}
	err := e.loadConfig()
	if err == nil || !strings.Contains(err.Error(), cfg) || !strings.Contains(err.Error(), "stroe") {
		t.Fatalf("got %v", err)
	}
	if err := os.WriteFile(cfg, []byte("store = [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.loadConfig(); err == nil || !strings.Contains(err.Error(), cfg) {
		t.Fatalf("broken TOML: got %v", err)
	}
}

// A bad flag gets one error line naming it and the usage line, not the
// whole help twice; -h still shows the flags.
func TestBadFlagSaysItOnce(t *testing.T) {
	code, _, stderr := runCLI(t, "chart", "--bogus")
	if code != 2 || strings.Count(stderr, "-bogus") != 1 || strings.Contains(stderr, "flags:") ||
		!strings.HasPrefix(stderr, "workbench chart: flag provided but not defined: -bogus\nusage: workbench chart ") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "chart", "-h")
	if code != 0 || !strings.Contains(stderr, "flags:") || !strings.Contains(stderr, "-dpi") {
		t.Fatalf("-h: exit %d, stderr %q", code, stderr)
	}
}

// --version and version print what the go tool reads from the same binary
// (`go version -m`): the module version, the VCS revision when stamped, and
// the Go version.
func TestVersion(t *testing.T) {
	bin := workbenchBinary(t)
	meta, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Skipf("go version -m: %v", err)
	}
	want := map[string]string{}
	for _, l := range strings.Split(string(meta), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			want["mod"] = f[2]
		case len(f) >= 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			want["rev"] = strings.TrimPrefix(f[1], "vcs.revision=")
		case len(f) == 2 && strings.HasSuffix(f[0], ":"):
			want["go"] = f[1]
		}
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		s := string(out)
		if !strings.HasPrefix(s, "workbench "+want["mod"]+" (") || !strings.HasSuffix(s, " "+want["go"]+"\n") ||
			(want["rev"] != "" && !strings.Contains(s, want["rev"])) || (want["rev"] == "" && !strings.Contains(s, "no VCS revision")) {
			t.Fatalf("%v printed %q; go version -m says %v", args, s, want)
		}
	}
}
