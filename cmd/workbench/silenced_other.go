//go:build !unix

package main

import "os"

// silenced runs fn with os.Stdout and os.Stderr on the null device: a
// replayed input's prints were seen the first time. Without dup2, output
// written to the descriptors directly still shows.
func silenced(fn func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fn()
		return
	}
	defer null.Close()
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = null, null
	defer func() { os.Stdout, os.Stderr = stdout, stderr }()
	fn()
}
