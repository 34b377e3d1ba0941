#!/usr/bin/env bash
# Runs every fuzz target of the frames package for a while each (default
# 10m; any go duration: `frames/fuzz.sh 1m`) and prints each target's
# execution count. A failing input is saved under frames/testdata/fuzz/ by
# go test, and the script exits non-zero.
#
# Minimisation is bounded (-fuzzminimizetime): with go's default of 60 s per
# new input, the first minute of a run was all minimisation of the inputs
# that found new coverage, no execution was counted, and the fuzzer looked
# stalled after a few dozen.
set -uo pipefail
duration=${1:-10m}
parallel=${FUZZ_PARALLEL:-1}
cd "$(dirname "$0")/.."
targets=$(go test ./frames -list '^Fuzz' | grep '^Fuzz')
status=0
for t in $targets; do
	log=$(mktemp)
	go test ./frames -run '^$' -fuzz "^$t\$" -fuzztime "$duration" -fuzzminimizetime 200x -parallel "$parallel" >"$log" 2>&1
	rc=$?
	last=$(grep -o 'execs: [0-9]*' "$log" | tail -1)
	interesting=$(grep -o 'new interesting: [0-9]*' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "$t: ok, $duration, $last, $interesting"
	else
		echo "$t: FAILED after $last"
		tail -30 "$log"
		status=1
	fi
	rm -f "$log"
done
exit $status
