//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd || solaris

package frames

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// crossProcessLocks says whether lockFile excludes other processes here.
const crossProcessLocks = true

// lockFile takes an exclusive flock on f. With wait false it reports false
// instead of blocking when another open file holds the lock. flock belongs to
// the open file, so the kernel drops it when the holder dies.
func lockFile(f *os.File, wait bool) (bool, error) {
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		err := unix.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EINTR):
			continue
		case !wait && errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		}
		return false, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
}

func unlockFile(f *os.File) error {
	if err := unix.Flock(int(f.Fd()), unix.LOCK_UN); err != nil {
		return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
	return nil
}
