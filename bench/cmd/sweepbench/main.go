// Command sweepbench is issue 15's sweep benchmark: an SMA crossover over
// a grid of combinations on one market of one-minute bars, run three ways
// by the workbench binary — one backtest after another (`sweep --workers
// 1`), on every core (`sweep`), and through an embedded nats-server to two
// `workbench worker` processes (`sweep --nats`) — for the strategy as a
// script and as the compiled sma-cross. Every run must write the same
// results.csv to the byte, and DuckDB must read its results.parquet as the
// same table; it prints the times, the ratios (all cores vs
// one after another, NATS vs local) and bars/s against backtrader's
// documented 15–35 k bars/s.
//
//	cd bench && go run ./cmd/sweepbench                      # 400 × 1 M: the size
//	cd bench && go run ./cmd/sweepbench -combos 8 -bars 20000 # a quick check
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"workbench/feeds"
	"workbench/frames"
	"workbench/internal/natstest"
)

// crossScript is paper.SMACross as a strategy script, with the same
// parameters and the same arithmetic, so that its sweep's statistics must
// equal the compiled strategy's.
const crossScript = `package main

import (
	"workbench/feeds"
	"workbench/paper"
)

var Params = struct {
	Fast int ` + "`param:\"fast\"`" + `
	Slow int ` + "`param:\"slow\"`" + `
}{10, 30}

var (
	ring         []float64
	n, i         int
	fast, slow   float64
	long, primed bool
)

func OnBar(c *paper.Context, b feeds.BarEvent) {
	if ring == nil {
		ring = make([]float64, Params.Slow)
	}
	x := b.Bar.Close
	sl, fa := Params.Slow, Params.Fast
	if n >= fa {
		k := i + sl - fa
		if k >= sl {
			k -= sl
		}
		fast -= ring[k]
	}
	if n >= sl {
		slow -= ring[i]
	} else {
		n++
	}
	ring[i] = x
	i++
	if i == sl {
		i = 0
	}
	fast += x
	slow += x
	if n < sl {
		return
	}
	l := fast*float64(sl) > slow*float64(fa)
	if primed && l == long {
		return
	}
	was := primed
	primed, long = true, l
	if !was && !l {
		return
	}
	if l {
		c.Target(b.FQME, c.Equity()*0.95/float64(1)/x)
	} else {
		c.Target(b.FQME, 0)
	}
}
`

// backtraderLow and backtraderHigh are backtrader's documented speed, bars
// per second on one core.
const backtraderLow, backtraderHigh = 15_000, 35_000

func main() {
	combos := flag.Int("combos", 400, "parameter combinations (fast × slow)")
	bars := flag.Int("bars", 1_000_000, "one-minute bars of the market")
	bin := flag.String("bin", "", "workbench binary (default: built from the repository)")
	workerConc := flag.Int("worker-concurrency", max(1, runtime.NumCPU()/2), "jobs each of the two NATS workers runs at once")
	only := flag.String("only", "script,compiled", "strategies to run: script, compiled or both")
	flag.Parse()
	if *combos < 1 || *bars < 1000 || *workerConc < 1 {
		fmt.Fprintln(os.Stderr, "sweepbench: want -combos ≥ 1, -bars ≥ 1000 and -worker-concurrency ≥ 1")
		os.Exit(2)
	}
	if err := bench(*combos, *bars, *bin, *workerConc, strings.Split(*only, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "sweepbench:", err)
		os.Exit(1)
	}
}

// grid splits n combinations into a fast × slow grid, as square as n's
// divisors allow, every fast window below every slow one.
func grid(n int) (fast, slow string) {
	a := 1
	for d := 1; d*d <= n; d++ {
		if n%d == 0 {
			a = d
		}
	}
	b := n / a
	fast = fmt.Sprintf("fast=5:%d:5", 5*a)
	slow = fmt.Sprintf("slow=%d:%d:10", 5*a+10, 5*a+10*b)
	return fast, slow
}

type run struct {
	name string
	secs float64
	csv  []byte
}

func bench(combos, nbars int, bin string, workerConc int, only []string) error {
	dir, err := os.MkdirTemp("", "sweepbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		if bin, err = build(dir); err != nil {
			return err
		}
	}
	m := feeds.DemoMarkets()[0]
	start := int64(1_500_000_000)
	b := feeds.GenerateBars(m, start, start+int64(nbars)*m.Period)
	storeDir := filepath.Join(dir, "store")
	store, err := frames.OpenStore(storeDir)
	if err != nil {
		return err
	}
	if err := store.Write(m.FQME, b); err != nil {
		return err
	}
	script := filepath.Join(dir, "cross.go")
	if err := os.WriteFile(script, []byte(crossScript), 0o644); err != nil {
		return err
	}
	ns, err := natstest.Serve(filepath.Join(dir, "nats"))
	if err != nil {
		return err
	}
	defer ns.Shutdown()
	url := ns.ClientURL()
	workers, stopWorkers, err := startWorkers(bin, url, workerConc, dir)
	if err != nil {
		return err
	}
	defer stopWorkers()

	fastAx, slowAx := grid(combos)
	total := float64(combos) * float64(b.Len())
	fmt.Printf("sweepbench: %d combinations (%s, %s) × %d one-minute bars of %s = %.3g bar-steps; %d CPUs; NATS: 2 workers × %d\n",
		combos, fastAx, slowAx, b.Len(), m.FQME, total, runtime.NumCPU(), workerConc)
	common := []string{"--store", storeDir, "--fqme", m.FQME, "--period", "1m", "--param", fastAx, "--param", slowAx,
		"--taker-bps", "10", "--calendar", m.Calendar,
		"--price-tick", strconv.FormatFloat(m.Tick, 'f', -1, 64), "--size-tick", strconv.FormatFloat(m.Lot, 'f', -1, 64)}
	var tables [][]byte
	for _, strat := range only {
		var which []string
		switch strings.TrimSpace(strat) {
		case "script":
			which = []string{script}
		case "compiled":
			which = []string{"--strategy", "sma-cross"}
		default:
			return fmt.Errorf("-only %q: want script or compiled", strat)
		}
		var runs []run
		for _, mode := range []struct {
			name  string
			extra []string
		}{
			{"one after another", []string{"--workers", "1"}},
			{"all cores", []string{"--workers", "0"}},
			{"NATS, 2 workers", []string{"--nats", url}},
		} {
			out := filepath.Join(dir, fmt.Sprintf("%s-%d", strat, len(runs)))
			args := append(append(append([]string{"sweep"}, which...), common...), mode.extra...)
			args = append(args, "-o", out)
			w0, err := cpuOf(workers)
			if err != nil {
				return err
			}
			t0 := time.Now()
			cpu, err := runQuiet(bin, args, filepath.Join(dir, "sweep.log"))
			if err != nil {
				return fmt.Errorf("%s %s: %w", strat, mode.name, err)
			}
			secs := time.Since(t0).Seconds()
			w1, err := cpuOf(workers)
			if err != nil {
				return err
			}
			cpu += w1 - w0
			csv, err := os.ReadFile(filepath.Join(out, "results.csv"))
			if err != nil {
				return err
			}
			if err := checkDuckDB(filepath.Join(out, "results.parquet"), filepath.Join(out, "results.csv")); err != nil {
				return fmt.Errorf("%s %s: results.parquet: %w", strat, mode.name, err)
			}
			runs = append(runs, run{mode.name, secs, csv})
			fmt.Printf("  %-8s %-18s %8.2f s  %6.3g bars/s (%.3g per CPU); %7.2f CPU s, %6.3g bars per CPU s\n",
				strat, mode.name, secs, total/secs, total/secs/float64(runtime.NumCPU()), cpu, total/cpu)
		}
		for _, r := range runs[1:] {
			if !bytes.Equal(r.csv, runs[0].csv) {
				return fmt.Errorf("%s: results.csv of %q differs from %q's", strat, r.name, runs[0].name)
			}
		}
		serial, local, remote := runs[0].secs, runs[1].secs, runs[2].secs
		fmt.Printf("  %-8s results.csv identical in all three, results.parquet read by DuckDB equal to it; all cores %.2f× one after another; NATS %.2f× the local sweep's time (%+.1f ms per job)\n",
			strat, serial/local, remote/local, (remote-local)*1000/float64(combos))
		fmt.Printf("  %-8s one after another %.3g bars/s = %.1f–%.1f× backtrader's 15–35 k bars/s; all cores %.1f–%.1f×\n",
			strat, total/serial, total/serial/backtraderHigh, total/serial/backtraderLow, total/local/backtraderHigh, total/local/backtraderLow)
		tables = append(tables, runs[0].csv)
	}
	if len(tables) == 2 {
		fmt.Printf("  script and compiled results.csv identical: %v\n", bytes.Equal(tables[0], tables[1]))
	}
	return nil
}

// build compiles the workbench binary from the repository this module
// replaces workbench with.
func build(dir string) (string, error) {
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "workbench").Output()
	if err != nil {
		return "", fmt.Errorf("locating the workbench module: %w", err)
	}
	bin := filepath.Join(dir, "workbench")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/workbench")
	cmd.Dir = strings.TrimSpace(string(root))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building workbench: %w", err)
	}
	return bin, nil
}

// runQuiet runs the binary with its output going to log, which is shown
// when it fails, and returns the CPU seconds it used: on a busy machine
// they say more than the wall time.
func runQuiet(bin string, args []string, log string) (float64, error) {
	f, err := os.Create(log)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(log)
		return 0, fmt.Errorf("%w\n%s", err, out)
	}
	return (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), nil
}

// cpuOf is the CPU seconds running processes have used so far, from
// /proc/PID/stat (utime and stime, in the ABI's fixed 100 ticks a second).
func cpuOf(cmds []*exec.Cmd) (float64, error) {
	total := 0.0
	for _, c := range cmds {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.Process.Pid))
		if err != nil {
			return 0, fmt.Errorf("worker CPU time: %w", err)
		}
		// Fields after the command name (which may hold spaces) in parens:
		// state is the first, utime and stime the 12th and 13th.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			return 0, fmt.Errorf("worker CPU time: /proc/%d/stat has %d fields", c.Process.Pid, len(f))
		}
		for _, s := range f[11:13] {
			ticks, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, fmt.Errorf("worker CPU time: %w", err)
			}
			total += ticks / 100
		}
	}
	return total, nil
}

// startWorkers starts the two worker processes and returns them and what
// stops them.
func startWorkers(bin, url string, conc int, dir string) ([]*exec.Cmd, func(), error) {
	var cmds []*exec.Cmd
	stop := func() {
		for _, c := range cmds {
			c.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { c.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				c.Process.Kill()
				<-done
			}
		}
	}
	for i := range 2 {
		log, err := os.Create(filepath.Join(dir, fmt.Sprintf("worker%d.log", i)))
		if err != nil {
			stop()
			return nil, nil, err
		}
		c := exec.Command(bin, "worker", "--nats", url, "--concurrency", strconv.Itoa(conc))
		c.Stdout, c.Stderr = log, log
		if err := c.Start(); err != nil {
			log.Close()
			stop()
			return nil, nil, fmt.Errorf("worker: %w", err)
		}
		log.Close()
		cmds = append(cmds, c)
	}
	return cmds, stop, nil
}
