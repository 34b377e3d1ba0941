//go:build unix

package feeds_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) the test process has used:
// on a machine shared with other work, the rate per CPU second says what
// the code costs where the rate per wall second says how busy the machine
// was.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
