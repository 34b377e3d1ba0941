//go:build unix

// Package cputime reads the CPU time the process has used, for benchmarks
// on a machine shared with other work: a rate per CPU second says what the
// code costs, where a rate per wall second says how busy the machine was.
package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU time (user and system) the process has used; 0 when
// it cannot be read.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
