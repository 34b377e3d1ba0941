//go:build !unix

package main

import "os"

// redirectOutput points os.Stdout and os.Stderr at f and returns what
// points them back. Without dup2, output written to the descriptors
// directly still shows.
func redirectOutput(f *os.File) (restore func()) {
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = f, f
	return func() { os.Stdout, os.Stderr = stdout, stderr }
}
