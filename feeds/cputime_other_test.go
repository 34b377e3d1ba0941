//go:build !unix

package feeds_test

import "time"

// processCPU is unknown here; benchmarks then report no per-CPU rate.
func processCPU() time.Duration { return 0 }
