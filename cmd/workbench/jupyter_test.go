package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debianPython is the interpreter Debian's Jupyter packages live in; the
// first python3 on the PATH may be another one.
const debianPython = "/usr/bin/python3"

// needJupyter skips (fails under CI=true) when Debian's python3 lacks
// jupyter_client or the other modules named.
func needJupyter(t *testing.T, modules ...string) {
	t.Helper()
	imports := "import " + strings.Join(append([]string{"jupyter_client"}, modules...), ", ")
	if out, err := exec.Command(debianPython, "-c", imports).CombinedOutput(); err != nil {
		msg := "Jupyter tests need " + debianPython + " with " + strings.Join(append([]string{"jupyter_client"}, modules...), ", ") +
			" (apt-get install python3-jupyter-client python3-nbclient python3-nbformat jupyter-nbconvert): " + strings.TrimSpace(string(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// installKernel installs the built workbench as kernel name under prefix
// and returns its kernel.json path.
func installKernel(t *testing.T, bin, prefix, name string, extra ...string) string {
	t.Helper()
	args := append([]string{"jupyter", "install", "--prefix", prefix, "--name", name}, extra...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("workbench %v: %v\n%s", args, err, out)
	}
	return filepath.Join(prefix, "share", "jupyter", "kernels", name, "kernel.json")
}

func TestJupyterInstallKernelspec(t *testing.T) {
	bin := workbenchBinary(t)
	prefix := t.TempDir()
	path := installKernel(t, bin, prefix, "wb")
	var spec struct {
		Argv          []string `json:"argv"`
		DisplayName   string   `json:"display_name"`
		Language      string   `json:"language"`
		InterruptMode string   `json:"interrupt_mode"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	want := []string{bin, "jupyter", "kernel", "-f", "{connection_file}"}
	if strings.Join(spec.Argv, " ") != strings.Join(want, " ") || spec.Language != "go" || spec.DisplayName != "Go (workbench)" {
		t.Errorf("kernel.json = %s", b)
	}
	for _, logo := range []string{"logo-32x32.png", "logo-64x64.png"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), logo)); err != nil {
			t.Errorf("logo: %v", err)
		}
	}
	needJupyter(t)
	// Jupyter itself finds it.
	cmd := exec.Command(debianPython, "-c",
		"from jupyter_client.kernelspec import KernelSpecManager as K; s = K().get_kernel_spec('wb'); print(s.display_name, s.language, s.resource_dir)")
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("KernelSpecManager: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "Go (workbench) go "+filepath.Dir(path) {
		t.Errorf("Jupyter sees %q", got)
	}
}

// TestJupyterClientProtocol runs kernel/testdata/smoke.py: jupyter_client
// starts the installed kernel and checks execution, streaming, errors,
// completion, inspection, is_complete, history, interrupts by signal and
// by interrupt_request with state kept, stop_on_error, a bad HMAC being
// dropped, restart and shutdown.
func TestJupyterClientProtocol(t *testing.T) {
	needJupyter(t, "zmq")
	bin := workbenchBinary(t)
	prefix := t.TempDir()
	installKernel(t, bin, prefix, "wb")
	msgSpec := installKernel(t, bin, prefix, "wb-msg")
	setInterruptMode(t, msgSpec, "message")
	script, err := filepath.Abs(filepath.Join("..", "..", "kernel", "testdata", "smoke.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(debianPython, script, "wb", "wb-msg")
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"),
		"JUPYTER_RUNTIME_DIR="+t.TempDir(), "WORKBENCH_STORE="+t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("smoke.py: %v", err)
	}
	if !strings.Contains(string(out), "ok done") {
		t.Fatal("smoke.py did not finish")
	}
}

func setInterruptMode(t *testing.T, path, mode string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	spec["interrupt_mode"] = mode
	if b, err = json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
