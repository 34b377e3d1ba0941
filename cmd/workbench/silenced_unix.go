//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// silenced runs fn with the process's stdout and stderr on /dev/null: a
// replayed input's prints were seen the first time, and compiled code
// writes to the descriptors directly.
func silenced(fn func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fn()
		return
	}
	defer null.Close()
	var saved [3]int
	for _, fd := range []int{1, 2} {
		if saved[fd], err = unix.Dup(fd); err != nil {
			fn()
			return
		}
		defer unix.Close(saved[fd])
		unix.Dup2(int(null.Fd()), fd)
	}
	defer func() {
		for _, fd := range []int{1, 2} {
			unix.Dup2(saved[fd], fd)
		}
	}()
	fn()
}
