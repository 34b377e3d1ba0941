package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"workbench/feeds/binance/binancefake"
	"workbench/feeds/kraken/krakenfake"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

// recordProcess is a `workbench record` process against a binancefake.
type recordProcess struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan error
}

func startRecord(t *testing.T, srv *binancefake.Server, dir string) *recordProcess {
	t.Helper()
	cmd := exec.Command(workbenchBinary(t), "record", "--fqme", "btcusdt.spot.binance", "--period", "1m",
		"--store", dir, "--rest-url", srv.RESTURL(), "--ws-url", srv.WSURL())
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &recordProcess{cmd: cmd, lines: make(chan string, 1000), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	return p
}

// waitAppends reads the output until n appends were reported.
func (p *recordProcess) waitAppends(t *testing.T, n int) []string {
	t.Helper()
	var seen []string
	deadline := time.After(30 * time.Second)
	for appends := 0; appends < n; {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("record ended early:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.Contains(l, "btcusdt.spot.binance: +") {
				appends++
			}
		case <-deadline:
			t.Fatalf("no %d appends in 30 s:\n%s", n, strings.Join(seen, "\n"))
		}
	}
	return seen
}

// stop signals the process and waits for it to end, returning its exit
// code and the rest of its output.
func (p *recordProcess) stop(t *testing.T, sig os.Signal) (int, string) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	var rest []string
	timeout := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if ok {
				rest = append(rest, l)
				continue
			}
			err := <-p.done
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			return code, strings.Join(rest, "\n")
		case <-timeout:
			t.Fatalf("record did not stop within 15 s of %v", sig)
		}
	}
}

func recordFake(t *testing.T) (*binancefake.Server, *venuefake.Tape) {
	t.Helper()
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: "btcusdt.spot.binance", Seed: 9, Start: day0 * 1e9,
		Price: 42000, Tick: 0.01, Lot: 0.00001, QuietEvery: 8})
	srv, err := binancefake.New(binancefake.Options{Markets: []binancefake.Market{{Tape: tape}},
		Clock: venuefake.NewClock((day0+86400)*1e9, 300)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, tape
}

func checkStored(t *testing.T, dir string, tape *venuefake.Tape) *frames.OHLCV {
	t.Helper()
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Read("btcusdt.spot.binance", 60)
	if err != nil {
		t.Fatal(err)
	}
	sameSeries(t, got, tape.Bars(60, got.Time[0], got.Time[got.Len()-1]+60, false))
	return got
}

// SIGINT and SIGTERM stop a real record process with exit 0 and every bar
// the venue had closed by then stored.
func TestRecordProcessStopsCleanlyOnSignals(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			srv, tape := recordFake(t)
			dir := t.TempDir()
			p := startRecord(t, srv, dir)
			p.waitAppends(t, 4)
			stoppedAt := srv.Clock().Now()
			code, out := p.stop(t, sig)
			if code != 0 || !strings.Contains(out, "bars stored") {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			got := checkStored(t, dir, tape)
			if last := got.Time[got.Len()-1]; last < stoppedAt/60e9*60-3*60 {
				t.Errorf("last bar %d, the venue was at %d when signalled", last, stoppedAt/1e9)
			}
		})
	}
}

// kill -9 loses at most the bars not yet written, never the file; the next
// run continues the series with no hole and no duplicate.
func TestRecordProcessSurvivesKill9(t *testing.T) {
	srv, tape := recordFake(t)
	dir := t.TempDir()
	p := startRecord(t, srv, dir)
	p.waitAppends(t, 3)
	p.stop(t, os.Kill)
	before := checkStored(t, dir, tape)
	time.Sleep(300 * time.Millisecond) // 90 venue seconds unrecorded
	p = startRecord(t, srv, dir)
	p.waitAppends(t, 3)
	if code, out := p.stop(t, os.Interrupt); code != 0 {
		t.Fatalf("second run: exit %d:\n%s", code, out)
	}
	after := checkStored(t, dir, tape)
	if after.Time[0] != before.Time[0] || after.Time[after.Len()-1] <= before.Time[before.Len()-1]+60 {
		t.Errorf("before %d..%d, after %d..%d", before.Time[0], before.Time[before.Len()-1], after.Time[0], after.Time[after.Len()-1])
	}
}

// store fetch and fill of a Kraken market through krakenfake, named as
// Kraken does (xbtusdt) or as we do (btcusdt): one series.
func TestStoreFetchFromKrakenfake(t *testing.T) {
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: "btcusdt.spot.kraken", Seed: 2, Start: day0 * 1e9,
		Price: 42000, Tick: 0.1, Lot: 0.0001, QuietEvery: 6})
	srv, err := krakenfake.New(krakenfake.Options{Clock: venuefake.NewClock((day0+86400)*1e9, 0), Tapes: []*venuefake.Tape{tape}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	code, out, errb := runCLI(t, "store", "fetch", "xbtusdt.spot.kraken", "--store", dir, "--period", "1m",
		"--from", "2024-01-01T12:00:00Z", "--to", "2024-01-01T18:00:00Z", "--rest-url", srv.RESTURL(), "--ws-url", srv.WSURL())
	if code != 0 || !strings.Contains(out, "btcusdt.spot.kraken 1m") {
		t.Fatalf("exit %d:\n%s%s", code, out, errb)
	}
	st, _ := frames.OpenStore(dir)
	got, err := st.Read("btcusdt.spot.kraken", 60)
	if err != nil {
		t.Fatal(err)
	}
	want := tape.Bars(60, day0+12*3600, day0+18*3600, true)
	if got.Len() != want.Len() || got.Time[0] != want.Time[0] || got.Time[got.Len()-1] != want.Time[want.Len()-1] {
		t.Fatalf("%d bars %d..%d, want %d", got.Len(), got.Time[0], got.Time[got.Len()-1], want.Len())
	}
	code, out, errb = runCLI(t, "store", "fill", "btcusdt.spot.kraken", "--store", dir, "--period", "1m", "--rest-url", srv.RESTURL())
	if code != 0 || !strings.Contains(out, "0 unexpected gaps") {
		t.Fatalf("fill: exit %d:\n%s%s", code, out, errb)
	}
}

// BenchmarkStoreFetch30Days runs `workbench store fetch` of 30 days of
// 1-minute bars from a binancefake in this process: cpu-ms/1000bars is the
// workbench process's own CPU time (user+system) per 1000 bars, wall-ms
// the time the fetch took, which the server bounds.
func BenchmarkStoreFetch30Days(b *testing.B) {
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: "btcusdt.spot.binance", Seed: 9, Start: day0 * 1e9,
		Price: 42000, Tick: 0.01, Lot: 0.00001})
	tape.Trades(day0*1e9, (day0+31*86400)*1e9) // the tape made before the clock starts
	srv, err := binancefake.New(binancefake.Options{Markets: []binancefake.Market{{Tape: tape}},
		Clock: venuefake.NewClock((day0+31*86400)*1e9, 0), WeightLimit: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	bin := workbenchBinary(b)
	var cpu, wall time.Duration
	bars := 30 * 1440
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(bin, "store", "fetch", "btcusdt.spot.binance", "--store", b.TempDir(), "--period", "1m",
			"--from", "2024-01-01", "--to", "2024-01-31", "--rest-url", srv.RESTURL())
		cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+b.TempDir(), "XDG_CACHE_HOME="+b.TempDir())
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		wall += time.Since(t0)
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N)/float64(bars)*1000, "cpu-ms/1000bars")
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "wall-ms")
}

// On a terminal, store fetch shows a progress bar (and no plain progress
// lines); the report follows.
func TestStoreFetchProgressBarOnATerminal(t *testing.T) {
	srv, _ := recordFake(t)
	cmd := exec.Command(workbenchBinary(t), "store", "fetch", "btcusdt.spot.binance", "--store", t.TempDir(),
		"--period", "1m", "--from", "2024-01-01T00:00:00Z", "--to", "2024-01-01T20:00:00Z", "--rest-url", srv.RESTURL())
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir(), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, _ := io.ReadAll(f) // until the process closes the terminal
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "fetching btcusdt.spot.binance") || !strings.Contains(s, "/1200") ||
		strings.Contains(s, "fetching btcusdt.spot.binance: ") || !strings.Contains(s, "asked for 1 ranges (1200 slots)") {
		t.Fatalf("terminal output:\n%q", s)
	}
}
