package frames

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashWriterEnv names the store folder when the test binary runs as the
// writer subprocess of TestStoreWriteSurvivesKill.
const crashWriterEnv = "WORKBENCH_CRASH_WRITER_STORE"

// crashVersion is one of the two contents the writer alternates between;
// they differ in length and in every value, so a torn mix matches neither.
func crashVersion(v int) *OHLCV {
	n := 40_000 + 5_000*v
	f := New(60, n)
	t0 := int64(1_700_000_000)
	for i := 0; i < n; i++ {
		x := float64(v*1_000_000 + i)
		f.Add(t0+int64(i)*60, x, x+2, x-1, x+1, float64(i%97))
	}
	return f
}

// TestCrashWriterProcess is not a test on its own: run by
// TestStoreWriteSurvivesKill as a subprocess, it rewrites one series
// forever, alternating two versions, until it is killed.
func TestCrashWriterProcess(t *testing.T) {
	dir := os.Getenv(crashWriterEnv)
	if dir == "" {
		t.Skip("writer subprocess of TestStoreWriteSurvivesKill")
	}
	st, err := OpenStore(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	versions := []*OHLCV{crashVersion(0), crashVersion(1)}
	fmt.Println("ready")
	for i := 0; ; i++ {
		if err := st.Write("crash.test", versions[i%2]); err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
	}
}

// TestStoreWriteSurvivesKill kills a process that is rewriting a series at
// random instants, many times, and checks that the file is always exactly
// one of the two versions and readable, and that the listing ignores the
// temporary files a kill leaves behind.
func TestStoreWriteSurvivesKill(t *testing.T) {
	if os.Getenv(crashWriterEnv) != "" {
		t.Skip("inside the writer subprocess")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	versions := []*OHLCV{crashVersion(0), crashVersion(1)}
	if err := st.Write("crash.test", versions[0]); err != nil {
		t.Fatal(err)
	}
	// Time one write here, to spread the kills over a whole write cycle.
	start := time.Now()
	if err := st.Write("crash.test", versions[1]); err != nil {
		t.Fatal(err)
	}
	cycle := time.Since(start)

	kills := 50
	if testing.Short() {
		kills = 15
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	budget := time.Now().Add(16 * time.Second)
	seen := [2]int{}
	done := 0
	for ; done < kills && time.Now().Before(budget); done++ {
		cmd := exec.Command(exe, "-test.run=^TestCrashWriterProcess$")
		cmd.Env = append(os.Environ(), crashWriterEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("writer subprocess said %q", line)
		}
		// Anywhere within up to two write cycles.
		time.Sleep(time.Duration(rng.Int63n(int64(2*cycle) + 1)))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		got, err := st.Read("crash.test", 60)
		if err != nil {
			t.Fatalf("kill %d: the series is unreadable: %v", done, err)
		}
		v := -1
		for i, want := range versions {
			if got.Len() == want.Len() && sameColumns(got, want) {
				v = i
			}
		}
		if v < 0 {
			t.Fatalf("kill %d: the file is neither version (%d bars)", done, got.Len())
		}
		seen[v]++
		list, err := st.List()
		if err != nil || len(list) != 1 || list[0].Problem != "" || list[0].Rows != int64(got.Len()) {
			t.Fatalf("kill %d: list %+v, %v", done, list, err)
		}
	}
	if done < 10 {
		t.Fatalf("only %d kills within the time budget", done)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	t.Logf("%d kills (write cycle %v): old version %d times, new %d times; %d temp files left behind",
		done, cycle.Round(time.Millisecond), seen[0], seen[1], len(leftovers))
}

func sameColumns(a, b *OHLCV) bool {
	for i := range a.Time {
		if a.Time[i] != b.Time[i] || a.Open[i] != b.Open[i] || a.High[i] != b.High[i] ||
			a.Low[i] != b.Low[i] || a.Close[i] != b.Close[i] || a.Volume[i] != b.Volume[i] {
			return false
		}
	}
	return true
}
