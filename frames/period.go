package frames

// DetectPeriod returns the most common positive step between consecutive
// times, the smaller step on a tie, or 0 when there is no positive step.
// Gaps, duplicates and out-of-order rows do not disturb it as long as
// regular steps are the majority.
func DetectPeriod(t []int64) int64 {
	counts := map[int64]int{}
	// Runs of equal steps are the normal case; count a run once per change so
	// a 10M-bar series costs one map update per gap, not per bar.
	var run int64
	n := 0
	flush := func() {
		if run > 0 {
			counts[run] += n
		}
	}
	for i := 1; i < len(t); i++ {
		d := t[i] - t[i-1]
		if d == run {
			n++
			continue
		}
		flush()
		run, n = d, 1
	}
	flush()
	var best int64
	bestN := 0
	for step, c := range counts {
		if c > bestN || (c == bestN && step < best) {
			best, bestN = step, c
		}
	}
	return best
}
