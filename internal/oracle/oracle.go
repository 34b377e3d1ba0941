// Package oracle finds the external references in ../shared/oracles/data for
// tests. Outside CI a missing folder skips the test with a message; under
// CI=true it fails, so no test passes by finding nothing.
package oracle

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the absolute path of shared/oracles/data, or skips (fails under CI) when absent.
func Dir(t testing.TB) string {
	t.Helper()
	d, ok := find()
	if ok {
		return d
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("../shared/oracles/data not found beside the checkout (set WORKBENCH_SHARED); required under CI=true")
	}
	t.Skip("../shared/oracles/data not found beside the checkout; set WORKBENCH_SHARED to its shared/ folder")
	return ""
}

// Path joins parts under Dir.
func Path(t testing.TB, parts ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, parts...)...)
}

func find() (string, bool) {
	if s := os.Getenv("WORKBENCH_SHARED"); s != "" {
		d := filepath.Join(s, "oracles", "data")
		return d, isDir(d)
	}
	_, file, _, _ := runtime.Caller(0)
	// internal/oracle/oracle.go → module root → ../shared
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	d := filepath.Join(filepath.Dir(root), "shared", "oracles", "data")
	return d, isDir(d)
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
