package frames

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"workbench/internal/atomicfile"
	"workbench/internal/oracle"
)

func TestStoreLifecycle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := st.List(); err != nil || len(l) != 0 {
		t.Fatalf("empty store lists %v, %v", l, err)
	}
	if _, err := st.Read("btcusdt.spot.binance", 60); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing series: %v, want ErrNotFound", err)
	}
	bars, err := ReadCSVFile(oracle.Path(t, "ohlcv", "binance_BTCUSDT_1m_2024-09-21.csv"))
	if err != nil {
		t.Fatal(err)
	}
	daily, err := ReadCSVFile(oracle.Path(t, "ohlcv", "goog_daily_2004-2008.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("btcusdt.spot.binance", bars); err != nil {
		t.Fatal(err)
	}
	if err := st.Write("goog.nasdaq", daily); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "btcusdt.spot.binance.ohlcv60s.parquet")); err != nil {
		t.Fatalf("piker file name: %v", err)
	}
	got, err := st.Read("btcusdt.spot.binance", 60)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBars(t, got, bars)
	if got.Period != 60 {
		t.Errorf("period %d", got.Period)
	}
	from, to := bars.Time[100], bars.Time[200]
	part, err := st.ReadRange("btcusdt.spot.binance", 60, from, to)
	if err != nil {
		t.Fatal(err)
	}
	assertSameBars(t, part, bars.Slice(from, to))
	if part.Len() != 100 || part.Time[0] != from {
		t.Errorf("range [%d,%d): %d bars from %d", from, to, part.Len(), part.Time[0])
	}

	// Leftovers of an interrupted atomic write and foreign files are not series.
	for _, name := range []string{".btcusdt.spot.binance.ohlcv60s.parquet.tmp-123", "notes.txt", "x.parquet"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("list %+v, want 2 series", list)
	}
	b := list[0]
	if b.FQME != "btcusdt.spot.binance" || b.Period != 60 || b.Rows != 1440 || b.First != bars.Time[0] ||
		b.Last != bars.Time[1439] || b.Bytes == 0 || b.Problem != "" {
		t.Errorf("list entry %+v", b)
	}
	if g := list[1]; g.FQME != "goog.nasdaq" || g.Period != 86400 || g.Rows != int64(daily.Len()) {
		t.Errorf("list entry %+v", g)
	}

	// Append: an overlapping second half with one corrected bar.
	newer := bars.Rows(1000, 1440).Clone()
	newer.Close[0] += 1
	extra := bars.Time[1439] + 60
	newer.Add(extra, 1, 2, 0.5, 1.5, 10)
	old := bars.Rows(0, 1200).Clone()
	if err := st.Write("btcusdt.spot.binance", old); err != nil {
		t.Fatal(err)
	}
	rep, err := st.Append("btcusdt.spot.binance", newer)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 1441 || rep.Added != 241 || rep.Duplicates != 199 || len(rep.Conflicts) != 1 {
		t.Errorf("append report %+v", rep)
	}
	got, err = st.Read("btcusdt.spot.binance", 60)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != 1441 || got.Close[1000] != bars.Close[1000]+1 || got.Time[1440] != extra {
		t.Errorf("after append: %d bars, close[1000] %v", got.Len(), got.Close[1000])
	}
	// Append to a missing series creates it.
	if _, err := st.Append("eth.new", bars.Rows(0, 10)); err != nil {
		t.Fatal(err)
	}

	if err := st.Delete("goog.nasdaq", 86400); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete("goog.nasdaq", 86400); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := st.Read("goog.nasdaq", 86400); !errors.Is(err, ErrNotFound) {
		t.Errorf("read after delete: %v", err)
	}
}

func TestStoreListsForeignAndBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	src := oracle.Path(t, "parquet", "duckdb", "binance_1m.ts_ms.parquet")
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// A DuckDB file with millisecond timestamps dropped into the store.
	if err := os.WriteFile(filepath.Join(dir, "btcusdt.binance.ohlcv60s.parquet"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.x.ohlcv60s.parquet"), raw[:len(raw)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	list, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("%+v", list)
	}
	if list[0].FQME != "bad.x" || list[0].Problem == "" {
		t.Errorf("truncated file: %+v", list[0])
	}
	if g := list[1]; g.Rows != 1440 || g.First != 1726876800 || g.Last != 1726963140 || g.Problem != "" {
		t.Errorf("duckdb file: %+v", g)
	}
	f, err := st.ReadRange("btcusdt.binance", 60, 1726876800+3600, 1726876800+7200)
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != 60 || f.Time[0] != 1726876800+3600 {
		t.Errorf("range of a ms-timestamp file: %d bars", f.Len())
	}
	if _, err := st.Read("bad.x", 60); err == nil || !strings.Contains(err.Error(), "bad.x.ohlcv60s.parquet") {
		t.Errorf("reading a truncated file: %v", err)
	}
}

func TestParseSeriesFileName(t *testing.T) {
	for _, c := range []struct {
		name   string
		fqme   string
		period int64
		ok     bool
	}{
		{"btcusdt.spot.binance.ohlcv60s.parquet", "btcusdt.spot.binance", 60, true},
		{"mnq.cme.20230616.ib.ohlcv1s.parquet", "mnq.cme.20230616.ib", 1, true},
		{"x.ohlcv0s.parquet", "", 0, false},
		{"x.ohlcv60.parquet", "", 0, false},
		{"ohlcv60s.parquet", "", 0, false},
		{"x.ohlcv60s.csv", "", 0, false},
	} {
		fqme, p, ok := ParseSeriesFileName(c.name)
		if fqme != c.fqme || p != c.period || ok != c.ok {
			t.Errorf("%s: %q %d %v", c.name, fqme, p, ok)
		}
	}
}

// storeHelperEnv selects what the test binary does when re-run as a
// subprocess by the cross-process store tests (see TestStoreHelperProcess).
const storeHelperEnv = "WORKBENCH_STORE_HELPER"

const helperT0 = int64(1_700_000_000)

// helperVersion is one of two contents the "write" helper alternates
// between, big enough that a write spends a while in its temporary file.
func helperVersion(v int) *OHLCV {
	n := 60_000 + 7_000*v
	f := New(60, n)
	for i := 0; i < n; i++ {
		x := float64(v*1_000_000 + i)
		f.Add(helperT0+int64(i)*60, x, x+2, x-1, x+1, float64(i%89))
	}
	return f
}

// appendedBar is the i-th bar appender w of k adds: the appenders' times
// interleave, so every append lands between bars of the others.
func appendedBar(w, k, i int) Bar {
	x := float64(w*10_000 + i)
	return Bar{Time: helperT0 + int64(i*k+w)*60, Open: x, High: x + 1, Low: x - 1, Close: x, Volume: float64(w)}
}

// TestStoreHelperProcess is not a test on its own: the cross-process tests
// run the test binary with storeHelperEnv set to
//
//	write DIR          rewrite series helper.test forever, until killed
//	append DIR W K N   after a line on stdin, append appendedBar(W, K, i) for
//	                   i < N to series append.test, one Append each
//	hold DIR           lock series held.test and create a temporary file of
//	                   it, as a writer in mid-write does, until stdin closes
func TestStoreHelperProcess(t *testing.T) {
	args := strings.Fields(os.Getenv(storeHelperEnv))
	if len(args) < 2 {
		t.Skip("subprocess of the cross-process store tests")
	}
	fail := func(err error) {
		fmt.Println("error", err)
		os.Exit(3)
	}
	st, err := OpenStore(args[1])
	if err != nil {
		fail(err)
	}
	switch args[0] {
	case "write":
		versions := []*OHLCV{helperVersion(0), helperVersion(1)}
		fmt.Println("ready")
		for i := 0; ; i++ {
			if err := st.Write("helper.test", versions[i%2]); err != nil {
				fail(err)
			}
		}
	case "append":
		var w, k, n int
		if _, err := fmt.Sscan(strings.Join(args[2:], " "), &w, &k, &n); err != nil {
			fail(err)
		}
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
		for i := 0; i < n; i++ {
			b := appendedBar(w, k, i)
			f := New(60, 1)
			f.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
			if _, err := st.Append("append.test", f); err != nil {
				fail(err)
			}
		}
		fmt.Println("done")
		os.Exit(0)
	case "hold":
		l, err := lockSeries(st.lockPath("held.test", 60), true)
		if err != nil {
			fail(err)
		}
		tmp := filepath.Join(st.Dir(), ".held.test.ohlcv60s.parquet.tmp-4242")
		if err := os.WriteFile(tmp, []byte("half a parquet file"), 0o644); err != nil {
			fail(err)
		}
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		l.unlock()
		os.Exit(0)
	}
	fail(fmt.Errorf("unknown helper %q", args))
}

// startHelper runs the test binary as a store helper and waits for its
// "ready"; the returned pipe is its stdin.
func startHelper(t *testing.T, args string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestStoreHelperProcess$")
	cmd.Env = append(os.Environ(), storeHelperEnv+"="+args)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	out := bufio.NewReader(pipe)
	if line, _ := out.ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper %q said %q", args, line)
	}
	return cmd, in, out
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if atomicfile.IsTemp(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestStoreOpenRemovesCrashLeftovers kills a writer process while its new
// version sits in a temporary file, then checks that the next OpenStore
// removes that file and the series is one whole version.
func TestStoreOpenRemovesCrashLeftovers(t *testing.T) {
	dir := t.TempDir()
	versions := []*OHLCV{helperVersion(0), helperVersion(1)}
	first, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Write("helper.test", versions[0]); err != nil {
		t.Fatal(err)
	}
	var left []string
	for try := 0; try < 20 && len(left) == 0; try++ {
		cmd, _, _ := startHelper(t, "write "+dir)
		deadline := time.Now().Add(10 * time.Second)
		for len(tempFiles(t, dir)) == 0 && time.Now().Before(deadline) {
			time.Sleep(200 * time.Microsecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		left = tempFiles(t, dir) // empty if the kill came just after a rename
	}
	if len(left) == 0 {
		t.Fatal("never killed the writer in mid-write")
	}
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if now := tempFiles(t, dir); len(now) != 0 {
		t.Fatalf("OpenStore left %v (killed writer left %v)", now, left)
	}
	got, err := st.Read("helper.test", 60)
	if err != nil {
		t.Fatal(err)
	}
	if !(got.Len() == versions[0].Len() && sameColumns(got, versions[0])) &&
		!(got.Len() == versions[1].Len() && sameColumns(got, versions[1])) {
		t.Fatalf("series is neither version (%d bars)", got.Len())
	}
	list, err := st.List()
	if err != nil || len(list) != 1 || list[0].FQME != "helper.test" || list[0].Problem != "" {
		t.Fatalf("list %+v, %v", list, err)
	}
}

// TestStoreOpenKeepsLiveWritersTemp checks that OpenStore leaves alone the
// temporary file of a series another live process holds locked, and
// removes it once that process has gone.
func TestStoreOpenKeepsLiveWritersTemp(t *testing.T) {
	if !crossProcessLocks {
		t.Skip("no cross-process file locks on " + runtime.GOOS)
	}
	dir := t.TempDir()
	cmd, in, _ := startHelper(t, "hold "+dir)
	if _, err := OpenStore(dir); err != nil {
		t.Fatal(err)
	}
	if left := tempFiles(t, dir); len(left) != 1 {
		t.Fatalf("with the writer alive the folder holds temp files %v, want its one", left)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("holder: %v", err)
	}
	if _, err := OpenStore(dir); err != nil {
		t.Fatal(err)
	}
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Fatalf("after the writer exited: %v", left)
	}
}

// TestStoreConcurrentAppendAcrossProcesses has several processes append
// interleaved bars to one series at once, one bar per Append, and checks
// that no append lost another's bars.
func TestStoreConcurrentAppendAcrossProcesses(t *testing.T) {
	if !crossProcessLocks {
		t.Skip("no cross-process file locks on " + runtime.GOOS)
	}
	const k, n = 3, 40
	dir := t.TempDir()
	type helper struct {
		cmd *exec.Cmd
		in  io.WriteCloser
		out *bufio.Reader
	}
	var hs []helper
	for w := 0; w < k; w++ {
		cmd, in, out := startHelper(t, fmt.Sprintf("append %s %d %d %d", dir, w, k, n))
		hs = append(hs, helper{cmd, in, out})
	}
	for _, h := range hs {
		io.WriteString(h.in, "go\n")
	}
	for w, h := range hs {
		line, _ := h.out.ReadString('\n')
		if err := h.cmd.Wait(); err != nil || strings.TrimSpace(line) != "done" {
			t.Fatalf("appender %d: %q, %v", w, line, err)
		}
	}
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	assertAppendedUnion(t, st, k, n)
}

// TestStoreConcurrentAppendInProcess is the same with goroutines.
func TestStoreConcurrentAppendInProcess(t *testing.T) {
	const k, n = 4, 25
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, k)
	for w := 0; w < k; w++ {
		go func() {
			for i := 0; i < n; i++ {
				b := appendedBar(w, k, i)
				f := New(60, 1)
				f.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
				if _, err := st.Append("append.test", f); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < k; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	assertAppendedUnion(t, st, k, n)
}

func assertAppendedUnion(t *testing.T, st *Store, k, n int) {
	t.Helper()
	got, err := st.Read("append.test", 60)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != k*n {
		t.Fatalf("%d bars after %d appenders added %d each: appends were lost", got.Len(), k, n)
	}
	for i := 0; i < n; i++ {
		for w := 0; w < k; w++ {
			want, j := appendedBar(w, k, i), i*k+w
			if got.At(j) != want {
				t.Fatalf("bar %d is %+v, want %+v", j, got.At(j), want)
			}
		}
	}
	list, err := st.List()
	if err != nil || len(list) != 1 || list[0].Rows != int64(k*n) {
		t.Fatalf("list %+v, %v (lock files are not series)", list, err)
	}
	if left := tempFiles(t, st.Dir()); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

// TestStoreErrorsNameSeriesAndFile checks that each kind of Store error says
// which series and which file it is about.
func TestStoreErrorsNameSeriesAndFile(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	bars := New(60, 3)
	for i := int64(0); i < 3; i++ {
		bars.Add(helperT0+60*i, 1, 2, 0.5, 1.5, 10)
	}
	unsorted := bars.Clone()
	unsorted.Time[1], unsorted.Time[2] = unsorted.Time[2], unsorted.Time[1]
	if err := os.WriteFile(st.Path("corrupt.test", 60), []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(st.Path("folder.test", 60), 0o755); err != nil {
		t.Fatal(err)
	}
	// A store whose folder turns out to be a file when it is first written.
	under, err := OpenStore(filepath.Join(dir, "later-a-file"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(under.Dir(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, appendCorrupt := st.Append("corrupt.test", bars)
	_, appendUnder := under.Append("x.test", bars)
	_, appendFolder := st.Append("folder.test", bars)
	for _, c := range []struct {
		what string
		err  error
		key  string
		file string
	}{
		{"read missing", errOf(st.Read("missing.test", 60)), "missing.test 1m", st.Path("missing.test", 60)},
		{"range missing", errOf(st.ReadRange("missing.test", 60, 0, 1)), "missing.test 1m", st.Path("missing.test", 60)},
		{"read corrupt", errOf(st.Read("corrupt.test", 60)), "corrupt.test 1m", st.Path("corrupt.test", 60)},
		{"read bad name", errOf(st.Read("a/b", 60)), "a/b 1m", st.Path("a/b", 60)},
		{"write unsorted", st.Write("x.test", unsorted), "x.test 1m", st.Path("x.test", 60)},
		{"write bad period", st.Write("x.test", &OHLCV{Period: -5}), "x.test", dir},
		{"write unwritable", under.Write("x.test", bars), "x.test 1m", under.Path("x.test", 60)},
		{"write onto folder", st.Write("folder.test", bars), "folder.test 1m", st.Path("folder.test", 60)},
		{"append corrupt", appendCorrupt, "corrupt.test 1m", st.Path("corrupt.test", 60)},
		{"append unwritable", appendUnder, "x.test 1m", under.Path("x.test", 60)},
		{"append onto folder", appendFolder, "folder.test 1m", st.Path("folder.test", 60)},
		{"delete missing", st.Delete("missing.test", 60), "missing.test 1m", st.Path("missing.test", 60)},
		{"delete bad name", st.Delete("", 60), `"" 1m`, st.Path("", 60)},
	} {
		if c.err == nil {
			t.Errorf("%s: no error", c.what)
			continue
		}
		if msg := c.err.Error(); !strings.Contains(msg, c.key) || !strings.Contains(msg, c.file) {
			t.Errorf("%s: %q does not name series %q and file %s", c.what, msg, c.key, c.file)
		}
	}
	if err := st.Delete("missing.test", 60); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete missing: %v, want ErrNotFound", err)
	}
}

func errOf(_ *OHLCV, err error) error { return err }
