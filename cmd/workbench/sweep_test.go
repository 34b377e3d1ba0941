package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"workbench/frames"
	"workbench/internal/oracle"
)

const sweepScript = `package main

import (
	"workbench/feeds"
	"workbench/paper"
)

var Params = struct {
	Fast int ` + "`param:\"fast\"`" + `
	Slow int ` + "`param:\"slow\"`" + `
}{10, 30}

var sums = map[string][]float64{}

func OnBar(c *paper.Context, b feeds.BarEvent) {
	bars := c.Bars(b.FQME)
	n := bars.Len()
	if n < Params.Slow {
		return
	}
	f, s := 0.0, 0.0
	for _, x := range bars.Close[n-Params.Fast:] {
		f += x
	}
	for _, x := range bars.Close[n-Params.Slow:] {
		s += x
	}
	if f/float64(Params.Fast) > s/float64(Params.Slow) {
		c.Target(b.FQME, 0.5)
	} else {
		c.Target(b.FQME, 0)
	}
}
`

func sweepArgs(store, script, out string, workers int) []string {
	return []string{"sweep", script, "--store", store, "--fqme", "btcusdt.spot.binance", "--period", "1h",
		"--param", "fast=3:12:3", "--param", "slow=24,48", "--taker-bps", "10", "--calendar", "crypto",
		"--from", "2024-08-02", "--workers", strconv.Itoa(workers), "-o", out}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// A script sweep writes the same files with one worker or two, and its
// best row is what the printed backtest command reports.
func TestSweepCommand(t *testing.T) {
	store := backtestStore(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "cross.go")
	if err := os.WriteFile(script, []byte(sweepScript), 0o644); err != nil {
		t.Fatal(err)
	}
	var outs [2]string
	var stdout string
	for w := 1; w <= 2; w++ {
		outs[w-1] = filepath.Join(dir, "out"+strconv.Itoa(w))
		code, so, se := runCLI(t, append(sweepArgs(store, script, outs[w-1], w), "--heatmap", "slow,fast")...)
		if code != 0 {
			t.Fatalf("workers %d: exit %d: %s", w, code, se)
		}
		stdout = so
	}
	for _, name := range []string{"results.csv", "results.parquet"} {
		a, err1 := os.ReadFile(filepath.Join(outs[0], name))
		b, err2 := os.ReadFile(filepath.Join(outs[1], name))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Fatalf("%s differs between 1 and 2 workers (%v %v)", name, err1, err2)
		}
	}
	hf, err := os.Open(filepath.Join(outs[0], "heatmap.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	himg, err := png.Decode(hf)
	if err != nil || himg.Bounds().Dx() < 400 {
		t.Fatalf("heatmap.png: %v", err)
	}
	// The title keeps off the top edge.
	for y := 0; y < 4; y++ {
		for x := 0; x < himg.Bounds().Dx(); x++ {
			if r, g, b, _ := himg.At(x, y).RGBA(); r != 0xffff || g != 0xffff || b != 0xffff {
				t.Fatalf("heatmap.png: ink at (%d,%d): the title touches the top edge", x, y)
			}
		}
	}
	recs := readCSV(t, filepath.Join(outs[0], "results.csv"))
	if len(recs) != 1+4*2 {
		t.Fatalf("%d CSV records, want a header and 8 rows", len(recs))
	}
	head := recs[0]
	// The parquet file read back is the CSV: the same columns, and each cell
	// the same value, null where the CSV is empty.
	pq, err := os.ReadFile(filepath.Join(outs[0], "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	pcols, prows := oracle.ParquetRecords(t, pq)
	if strings.Join(pcols, ",") != strings.Join(head, ",") || len(prows) != 8 {
		t.Fatalf("parquet columns %v, %d rows; CSV header %v", pcols, len(prows), head)
	}
	for i, row := range prows {
		for k, v := range row {
			if v != recs[1+i][k] {
				t.Errorf("row %d %s: %q in the parquet, %q in the CSV", i, head[k], v, recs[1+i][k])
			}
		}
	}
	if !strings.Contains(stdout, "btcusdt.spot.binance, 8 trials: best Sharpe") || !strings.Contains(stdout, "over 12870 splits") {
		t.Fatalf("no overfitting statistics in\n%s", stdout)
	}
	// The printed command re-runs the best row as a plain backtest.
	i := strings.Index(stdout, "workbench backtest ")
	if i < 0 {
		t.Fatalf("no re-run command in\n%s", stdout)
	}
	cmd := strings.Fields(strings.SplitN(stdout[i:], "\n", 2)[0])[1:]
	var setArgs []string
	for k, a := range cmd {
		if a == "--set" {
			setArgs = append(setArgs, cmd[k+1])
		}
	}
	code, so, se := runCLI(t, append(cmd, "--store", store, "--json", "-o", "")...)
	if code != 0 {
		t.Fatalf("re-run %v: exit %d: %s", cmd, code, se)
	}
	var rep struct{ Stats map[string]any }
	dec := json.NewDecoder(strings.NewReader(so))
	dec.UseNumber()
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	var row []string
	for _, r := range recs[1:] {
		if "fast="+r[0] == setArgs[0] && "slow="+r[1] == setArgs[1] {
			row = r
		}
	}
	if row == nil {
		t.Fatalf("no row for %v", setArgs)
	}
	if len(rep.Stats) != len(head)-3 {
		t.Fatalf("%d stats in the report, %d stat columns", len(rep.Stats), len(head)-3)
	}
	for k, name := range head[3:] {
		v, ok := rep.Stats[name]
		if !ok {
			t.Errorf("column %s is not a key of the report's stats", name)
			continue
		}
		want := ""
		switch x := v.(type) {
		case json.Number:
			want = x.String()
		case string:
			want = x
		}
		if row[3+k] != want {
			t.Errorf("%s: %q in the sweep, %q in the backtest", name, row[3+k], want)
		}
	}
	if rep.Stats["trades"] == json.Number("0") {
		t.Fatal("the best row made no trades: the comparison says little")
	}
}

// A sweep whose journal was cut mid-line by a crash reruns only what is
// missing and writes the same files.
func TestSweepResumesFromTornJournal(t *testing.T) {
	store := backtestStore(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	args := []string{"sweep", "--strategy", "sma-cross", "--store", store, "--fqme", "btcusdt.spot.binance",
		"--period", "1h", "--param", "fast=2:8:2", "--param", "slow=20,30", "--workers", "2", "-o", out}
	if code, _, se := runCLI(t, args...); code != 0 {
		t.Fatal(se)
	}
	want, _ := os.ReadFile(filepath.Join(out, "results.csv"))
	jpath := filepath.Join(out, "journal.jsonl")
	j, _ := os.ReadFile(jpath)
	lines := bytes.SplitAfter(j, []byte("\n"))
	torn := append(bytes.Join(lines[:4], nil), lines[4][:len(lines[4])/2]...)
	os.WriteFile(jpath, torn, 0o644)
	os.Remove(filepath.Join(out, "results.csv"))
	code, so, se := runCLI(t, args...)
	if code != 0 {
		t.Fatal(se)
	}
	if !strings.Contains(so, "(3 resumed)") {
		t.Fatalf("want 3 rows resumed:\n%s", so)
	}
	got, _ := os.ReadFile(filepath.Join(out, "results.csv"))
	if !bytes.Equal(got, want) {
		t.Fatal("the resumed sweep wrote other results")
	}
	// Other parameters in the same folder: refused, nothing mixed.
	code, _, se = runCLI(t, append(args[:len(args)-2], "--param", "fraction=0.5", "-o", out)...)
	if code != 1 || !strings.Contains(se, "another sweep") {
		t.Fatalf("another sweep in the same folder: exit %d, %s", code, se)
	}
}

func TestSweepUsageErrors(t *testing.T) {
	store := backtestStore(t)
	base := []string{"sweep", "--strategy", "sma-cross", "--store", store, "--fqme", "btcusdt.spot.binance", "--period", "1h", "-o", t.TempDir()}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--param", "fats=1,2"}, `parameter "fats": unknown parameter (known: fast, slow, size, fraction)`},
		{[]string{"--param", "fast=1:x:1"}, `parameter "fast" = "x": want int`},
		{[]string{"--param", "fast=1,2", "--metric", "luck"}, `unknown metric "luck"`},
		{[]string{"--param", "fast=1,2", "--set", "slow=3"}, `flag provided but not defined: -set`},
		{[]string{"--param", "fast=1,2", "--nats", "nats://127.0.0.1:1", "--nats-keep", "soon"}, `invalid value "soon" for flag -nats-keep`},
	} {
		code, _, se := runCLI(t, append(base, c.args...)...)
		if code != 2 || !strings.Contains(se, c.want) {
			t.Errorf("%v: exit %d, %s; want 2 and %q", c.args, code, se, c.want)
		}
	}
	// The message names the command and the flag once.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--param", "fast=1,2", "--top", "-2"}, "workbench sweep --top -2: want ≥ 0\nusage: workbench sweep "},
		{[]string{"--param", "fast=1,2", "--heatmap", "fast,nope"}, "workbench sweep --heatmap fast,nope: want two different swept parameters"},
		{[]string{"--param", "fast=1,2", "--walk-forward", "train=10d,test=5d", "--nats", "nats://127.0.0.1:4222"},
			"workbench sweep --walk-forward runs on this machine"},
		{[]string{"--param", "fast=1,2", "--nats-keep", "1h"}, "workbench sweep --nats-keep is for a sweep on NATS (--nats URL)\nusage: "},
		{[]string{"--param", "fast=1,2", "--nats", "nats://127.0.0.1:1", "--nats-keep", "500ms"}, "workbench sweep --nats-keep 500ms: want at least 1s\nusage: "},
	} {
		code, _, se := runCLI(t, append(base, c.args...)...)
		if code != 2 || !strings.HasPrefix(se, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, se, c.want)
		}
	}
	code, _, se := runCLI(t, "backtest", "--strategy", "sma-cross", "--store", store, "--fqme", "btcusdt.spot.binance",
		"--period", "1h", "--set", "slow=ten", "-o", "")
	if code != 2 || !strings.Contains(se, `--set: parameter "slow" = "ten": want int`) {
		t.Errorf("backtest --set slow=ten: exit %d, %s", code, se)
	}
	code, _, se = runCLI(t, "paper", "--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.binance",
		"--set", "fats=3", "--bars", "5")
	if code != 2 || !strings.Contains(se, `--set: parameter "fats": unknown parameter`) {
		t.Errorf("paper --set fats=3: exit %d, %s", code, se)
	}
}

func TestSweepWalkForward(t *testing.T) {
	store := backtestStore(t)
	out := filepath.Join(t.TempDir(), "wf")
	args := []string{"sweep", "--strategy", "sma-cross", "--store", store, "--fqme", "btcusdt.spot.binance",
		"--period", "1h", "--param", "fast=2:8:2", "--param", "slow=20,30", "--metric", "total_return",
		"--walk-forward", "train=10d,test=5d", "-o", out}
	code, so, se := runCLI(t, args...)
	if code != 0 {
		t.Fatal(se)
	}
	// August 2024: tests from the 11th, 16th, 21st, 26th and 31st.
	recs := readCSV(t, filepath.Join(out, "walkforward.csv"))
	if len(recs) != 6 || recs[1][3] != "2024-08-11T00:00:00Z" || recs[5][4] != "2024-09-01T00:00:00Z" {
		t.Fatalf("windows %v", recs)
	}
	if !strings.Contains(so, "walk-forward train=10d,test=5d: 5 windows, 8 combinations each") ||
		!strings.Contains(so, "stitched out of sample: total return") {
		t.Fatalf("summary:\n%s", so)
	}
	eq := readCSV(t, filepath.Join(out, "oos_equity.csv"))
	if len(eq) != 1+21*24 {
		t.Fatalf("%d stitched samples, want the 504 hours from Aug 11", len(eq)-1)
	}
	code, _, se = runCLI(t, append(args[:len(args)-4], "--walk-forward", "train=10d", "-o", out)...)
	if code != 2 || !strings.Contains(se, "want both train=D and test=D") {
		t.Fatalf("bad --walk-forward: exit %d %s", code, se)
	}
}

// countingStore is a store that counts the series read from it and keeps
// what each read returned with a digest of its contents at the time.
type countingStore struct {
	*frames.Store
	mu    sync.Mutex
	reads map[string]int
	bars  []*frames.OHLCV
	sums  [][32]byte
}

func (c *countingStore) ReadRangeAs(fqme string, period, from, to int64) (*frames.OHLCV, int64, error) {
	b, p, err := c.Store.ReadRangeAs(fqme, period, from, to)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads[fqme]++
	if err == nil {
		c.bars, c.sums = append(c.bars, b), append(c.sums, digest(b))
	}
	return b, p, err
}

func digest(b *frames.OHLCV) [32]byte {
	h := sha256.New()
	binary.Write(h, binary.LittleEndian, b.Time)
	for _, col := range [][]float64{b.Open, b.High, b.Low, b.Close, b.Volume} {
		binary.Write(h, binary.LittleEndian, col)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// A script sweep of 8 combinations on two markets on two workers reads
// each market once, and its 16 backtests leave the shared bars as read.
func TestSweepReadsEachSeriesOnce(t *testing.T) {
	dir := backtestStore(t)
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Read("btcusdt.spot.binance", 3600)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("ethusdt.spot.binance", b); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "cross.go")
	if err := os.WriteFile(script, []byte(sweepScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st, reads: map[string]int{}}
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, bars: cs}
	out := filepath.Join(t.TempDir(), "out")
	args := []string{script, "--fqme", "btcusdt.spot.binance,ethusdt.spot.binance", "--period", "1h",
		"--param", "fast=3:12:3", "--param", "slow=24,48", "--taker-bps", "10", "--workers", "2", "-o", out}
	if err := runSweep(context.Background(), e, args); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if recs := readCSV(t, filepath.Join(out, "results.csv")); len(recs) != 1+16 {
		t.Fatalf("%d rows, want 8 combinations × 2 markets", len(recs)-1)
	}
	if len(cs.reads) != 2 || cs.reads["btcusdt.spot.binance"] != 1 || cs.reads["ethusdt.spot.binance"] != 1 {
		t.Fatalf("reads %v, want each market once", cs.reads)
	}
	for i, b := range cs.bars {
		if digest(b) != cs.sums[i] {
			t.Errorf("the bars of read %d changed during the sweep", i)
		}
	}
}

// A walk-forward interrupted after its second window (every backtest of
// the slow script takes 60 ms, so the rest are far from done) keeps the
// finished windows; the rerun resumes and writes the files of an
// uninterrupted walk-forward, byte for byte.
func TestSweepWalkForwardResumes(t *testing.T) {
	store := backtestStore(t)
	dir := t.TempDir()
	script := writeSlowScript(t, dir, 60)
	args := func(out string) []string {
		return []string{"sweep", script, "--store", store, "--fqme", "btcusdt.spot.binance", "--period", "1h",
			"--param", "fast=3:12:3", "--param", "slow=24,48", "--metric", "total_return",
			"--walk-forward", "train=10d,test=5d", "--workers", "2", "-o", out}
	}
	full := filepath.Join(dir, "full")
	if code, _, se := runCLI(t, args(full)...); code != 0 {
		t.Fatal(se)
	}
	out := filepath.Join(dir, "cut")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// The head line and two windows.
		for {
			j, _ := os.ReadFile(filepath.Join(out, "walkforward.jsonl"))
			if bytes.Count(j, []byte("\n")) >= 3 {
				cancel()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var so, se bytes.Buffer
	code := run(ctx, args(out), strings.NewReader(""), &so, &se)
	if code != 1 || !strings.Contains(se.String(), "interrupted: 2 windows done and kept in") {
		t.Fatalf("interrupted walk-forward: exit %d, %s", code, se.String())
	}
	code, stdout, stderr := runCLI(t, args(out)...)
	if code != 0 || !strings.Contains(stdout, "5 windows, 8 combinations each, ranked by total_return (2 resumed)") {
		t.Fatalf("rerun: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, name := range []string{"walkforward.csv", "oos_equity.csv"} {
		a, err1 := os.ReadFile(filepath.Join(full, name))
		b, err2 := os.ReadFile(filepath.Join(out, name))
		if err1 != nil || err2 != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: the resumed walk-forward's differs from the uninterrupted one's (%v %v)", name, err1, err2)
		}
	}
}

// A statistic a backtest cannot state (CAGR over nine days) is an empty
// cell in the files and n/a in the printed table, as in the backtest
// report, not a blank a reader takes for a missing column.
func TestSweepTableSaysNA(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sw")
	code, stdout, stderr := runCLI(t, "sweep", "--strategy", "sma-cross", "--store", backtestStore(t), "--fqme", "btcusdt.spot.binance",
		"--period", "1h", "--param", "fast=5,10", "--param", "slow=20", "--to", "2024-08-10", "--metric", "total_return", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	var head []string
	rows := 0
	for i, l := range lines {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == "fast" {
			head = f
			for _, r := range lines[i+1 : i+3] {
				cells := strings.Fields(r)
				if len(cells) != len(head) || cells[slices.Index(head, "cagr")] != "n/a" {
					t.Fatalf("row %q under %v: want n/a for cagr", r, head)
				}
				rows++
			}
		}
	}
	if rows != 2 {
		t.Fatalf("no table of two rows in\n%s", stdout)
	}
	recs := readCSV(t, filepath.Join(out, "results.csv"))
	k := slices.Index(recs[0], "cagr")
	if k < 0 || recs[1][k] != "" || recs[2][k] != "" {
		t.Fatalf("results.csv: cagr cells %v under %v, want empty", recs[1:], recs[0])
	}
}
