//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// redirectOutput points the process's descriptors 1 and 2 at f (compiled
// code writes to them directly) and returns what points them back; a
// descriptor it cannot save stays as it was.
func redirectOutput(f *os.File) (restore func()) {
	var saved []int
	for _, fd := range []int{1, 2} {
		s, err := unix.Dup(fd)
		if err != nil {
			break
		}
		saved = append(saved, s)
		unix.Dup2(int(f.Fd()), fd)
	}
	return func() {
		for i, s := range saved {
			unix.Dup2(s, i+1)
			unix.Close(s)
		}
	}
}
