// Command fsp measures workbench's indicators over ten million bars against
// TA-Lib's C library and github.com/markcheno/go-talib, in one run on one
// machine, and our streaming twins against our batch functions.
//
// Without the `talib` build tag the TA-Lib C column is empty; run.sh builds
// TA-Lib from the sources in the npm `talib` package (v1.1.6) into a temp
// folder and runs this with the tag.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"syscall"
	"text/tabwriter"
	"time"
)

// bars is the benchmark input: a random walk with a range and volume.
type bars struct{ o, h, l, c, v []float64 }

// makeBars builds n bars from a SplitMix64 random walk with a fixed seed.
func makeBars(n int) *bars {
	b := &bars{make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)}
	state := uint64(20240101)
	next := func() float64 { // uniform in [0, 1)
		state += 0x9e3779b97f4a7c15
		z := state
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		z ^= z >> 31
		return float64(z>>11) / (1 << 53)
	}
	price := 100.0
	for i := range b.c {
		open := price
		price *= math.Exp((next() - 0.5) * 0.01)
		b.o[i], b.c[i] = open, price
		b.h[i] = max(open, price) * (1 + next()*0.003)
		b.l[i] = min(open, price) * (1 - next()*0.003)
		b.v[i] = 1 + next()*1000
	}
	return b
}

// case_ is one indicator measured five ways: ours is our To function into
// buffers allocated once (like with like against TA-Lib C), alloc our
// allocating function; nil functions are skipped.
type case_ struct {
	name                                 string
	ours, alloc, stream, talibC, goTalib func()
}

// cpuTime is the CPU time the process has used, every thread included (so
// the garbage collector's share of our allocations counts). On a shared,
// loaded machine it is far steadier than the wall clock, which also counts
// the time spent waiting for a CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure returns the least CPU time of runs calls of each function (nil
// ones give 0). The calls are interleaved round by round, so a slow spell
// of the shared machine costs every column alike rather than the first
// one. Each timed call follows an untimed one and a collection: the heap
// then holds the memory the call needs, as in back-to-back runs, instead
// of faulting fresh pages in after another function's turn (which made
// go-talib's allocating MACD ten times slower from one run to the next),
// and one call's garbage is not another's cost.
func measure(runs int, fs ...func()) []time.Duration {
	d := make([]time.Duration, len(fs))
	for i := range d {
		d[i] = time.Duration(math.MaxInt64)
	}
	for range runs {
		for i, f := range fs {
			if f == nil {
				continue
			}
			f()
			runtime.GC()
			t := cpuTime()
			f()
			d[i] = min(d[i], cpuTime()-t)
		}
	}
	for i, f := range fs {
		if f == nil {
			d[i] = 0
		}
	}
	return d
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(d)/1e6)
}

func ratio(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func main() {
	n := flag.Int("bars", 10_000_000, "number of bars")
	runs := flag.Int("runs", 3, "timed runs per measurement (the best counts)")
	only := flag.String("only", "", "measure only the indicator of this name")
	flag.Parse()
	b := makeBars(*n)
	fmt.Printf("%d bars, least CPU time of %d runs, %s/%s, %d CPUs, TA-Lib C: %s\n",
		*n, *runs, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), talibCStatus())
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "indicator\tours ms\tTA-Lib C ms\tgo-talib ms\tours/C\tgo-talib/ours\tstream ms\tstream/batch\talloc ms\t")
	for _, c := range cases(b) {
		if *only != "" && c.name != *only {
			continue
		}
		d := measure(*runs, c.ours, c.talibC, c.goTalib, c.stream, c.alloc)
		ours, cT, goT, st, al := d[0], d[1], d[2], d[3], d[4]
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.name, ms(ours), ms(cT), ms(goT),
			ratio(ours, cT), ratio(goT, ours), ms(st), ratio(st, ours), ms(al))
	}
	w.Flush()
	fmt.Printf("sink %g\n", sink)
}
