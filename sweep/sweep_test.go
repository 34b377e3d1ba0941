package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/internal/oracle"
	"workbench/mkt"
	"workbench/paper"
)

func walk(seed int64, n int) *frames.OHLCV {
	r := rand.New(rand.NewSource(seed))
	f := frames.New(3600, n)
	p := 100.0
	for i := 0; i < n; i++ {
		o := p
		p = math.Max(1, p+r.NormFloat64()*0.8)
		p = math.Round(p*100) / 100
		f.Add(int64(1700000000+3600*i), o, math.Max(o, p)+0.05, math.Min(o, p)-0.05, p, 10)
	}
	return f
}

func testConfig(t testing.TB, workers int) *Config {
	t.Helper()
	params, err := paper.BuiltinParams("sma-cross")
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGrid(params, []string{"fast=2:10:2", "slow=20,40"})
	if err != nil {
		t.Fatal(err)
	}
	var series []paper.Series
	for i, fq := range []string{"aaa.spot.test", "bbb.spot.test"} {
		p, err := mkt.ParseFQME(fq)
		if err != nil {
			t.Fatal(err)
		}
		p.PriceTick, p.SizeTick = decimal.RequireFromString("0.01"), decimal.RequireFromString("0.001")
		series = append(series, paper.Series{Market: p, Bars: walk(int64(i+1), 1500)})
	}
	return &Config{Grid: g, Series: series, Workers: workers,
		Base: paper.BacktestConfig{Fees: paper.BpsFees(0, 10), Calendar: "crypto"},
		Factory: func(_ context.Context, set []paper.Setting) (paper.Strategy, error) {
			return paper.NewBuiltin("sma-cross", set)
		}}
}

func runAll(t *testing.T, c *Config) []Row {
	t.Helper()
	rows := map[int]Row{}
	if err := Run(context.Background(), c, nil, func(r Row) error { rows[r.Job] = r; return nil }); err != nil {
		t.Fatal(err)
	}
	return Sorted(rows)
}

func files(t *testing.T, c *Config, rows []Row) (csv, pq []byte) {
	t.Helper()
	var a, b bytes.Buffer
	if err := c.WriteCSV(&a, rows); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteParquet(&b, rows); err != nil {
		t.Fatal(err)
	}
	return a.Bytes(), b.Bytes()
}

func TestGrid(t *testing.T) {
	params := []paper.Param{{Name: "n", Kind: paper.IntParam}, {Name: "x", Kind: paper.FloatParam},
		{Name: "d", Kind: paper.DurationParam}, {Name: "b", Kind: paper.BoolParam}, {Name: "s", Kind: paper.StringParam}}
	g, err := NewGrid(params, []string{"n=5:50:5", "x=0.1:0.3:0.1", "d=30m:2h:30m", "b=true,false", "s=a,b c"})
	if err != nil {
		t.Fatal(err)
	}
	var lens []int
	for _, a := range g {
		lens = append(lens, len(a.Values))
	}
	if g.Len() != 10*3*4*2*2 || lens[0] != 10 || lens[1] != 3 || lens[2] != 4 {
		t.Fatalf("axis lengths %v", lens)
	}
	if x := g[1].Values[2].(float64); x != 0.3 {
		t.Fatalf("x[2] = %v", x)
	}
	last := g.At(g.Len() - 1)
	var s []string
	for _, st := range last {
		s = append(s, st.Name+"="+paper.FormatParam(st.Value))
	}
	if strings.Join(s, " ") != "n=50 x=0.3 d=2h0m0s b=false s=b c" {
		t.Fatalf("last combination %v", s)
	}
	if first := g.At(1); paper.FormatParam(first[4].Value) != "b c" || paper.FormatParam(first[0].Value) != "5" {
		t.Fatalf("combination 1 %v: the last axis varies fastest", first)
	}
	for _, c := range []struct{ spec, name, want string }{
		{"n=1:x:1", "n", "want int"},
		{"n=5:1:1", "n", "from ≤ to"},
		{"n=1:5:0", "n", "positive step"},
		{"b=true:false:1", "b", "takes a list"},
		{"s=a,a", "s", "listed twice"},
		{"q=1", "q", "unknown parameter"},
		{"x=0:1:1e-9", "x", "more than"},
	} {
		_, err := NewGrid(params, []string{c.spec})
		var pe *paper.ParamError
		if !errors.As(err, &pe) || pe.Name != c.name || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error for %s containing %q", c.spec, err, c.name, c.want)
		}
	}
	if _, err := NewGrid(params, []string{"n=1", "n=2"}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("n twice: %v", err)
	}
}

// One worker or two, the table is the same to the byte, and each row is
// the plain backtest of its parameters on its market.
func TestRunDeterministic(t *testing.T) {
	c1, c2 := testConfig(t, 1), testConfig(t, 2)
	r1, r2 := runAll(t, c1), runAll(t, c2)
	if len(r1) != 20 {
		t.Fatalf("%d rows, want 5×2 combinations × 2 markets", len(r1))
	}
	csv1, pq1 := files(t, c1, r1)
	csv2, pq2 := files(t, c2, r2)
	if !bytes.Equal(csv1, csv2) || !bytes.Equal(pq1, pq2) {
		t.Fatal("1 and 2 workers wrote different tables")
	}
	for _, job := range []int{0, 7, 19} {
		combo, si := c1.Job(job)
		s, _ := c1.Factory(context.Background(), c1.Grid.At(combo))
		cfg := c1.Base
		cfg.Series = []paper.Series{c1.Series[si]}
		res, err := paper.Backtest(cfg, s)
		if err != nil {
			t.Fatal(err)
		}
		want := res.Stats.Values()
		for k, v := range r1[job].Stats {
			if Cell(v) != Cell(want[k]) {
				t.Errorf("job %d stat %s: %v in the sweep, %v in the plain backtest", job, paper.StatColumns()[k].Name, v, want[k])
			}
		}
		if res.Stats.Trades < 3 {
			t.Errorf("job %d: only %d trades; the test data should make the crossover trade", job, res.Stats.Trades)
		}
	}
	head := strings.SplitN(string(csv1), "\n", 2)[0]
	if !strings.HasPrefix(head, "fast,slow,fqme,initial_equity,final_equity,total_return,cagr,") {
		t.Fatalf("header %s", head)
	}
}

// A sweep cancelled part way keeps its finished rows in the journal; the
// rerun runs only the rest and writes what an uninterrupted sweep writes.
func TestResume(t *testing.T) {
	want := runAll(t, testConfig(t, 2))
	c := testConfig(t, 2)
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	key := c.Key("test")
	j, rows, err := OpenJournal(path, key)
	if err != nil || len(rows) != 0 {
		t.Fatal(err, len(rows))
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err = Run(ctx, c, nil, func(r Row) error {
		if err := j.Append(r); err != nil {
			return err
		}
		if n++; n == 7 {
			cancel()
		}
		return nil
	})
	j.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	if _, _, err := OpenJournal(path, c.Key("other")); err == nil || !strings.Contains(err.Error(), "another sweep") {
		t.Fatalf("a journal of another sweep: %v", err)
	}
	j, rows, err = OpenJournal(path, key)
	if err != nil {
		t.Fatal(err)
	}
	kept := len(rows)
	if kept < 7 || kept >= c.Jobs() {
		t.Fatalf("%d rows kept after cancelling at the 7th of %d", kept, c.Jobs())
	}
	done := map[int]bool{}
	for k := range rows {
		done[k] = true
	}
	ran := 0
	err = Run(context.Background(), c, done, func(r Row) error {
		if done[r.Job] {
			t.Errorf("job %d ran again", r.Job)
		}
		ran++
		rows[r.Job] = r
		return j.Append(r)
	})
	j.Close()
	if err != nil || kept+ran != c.Jobs() {
		t.Fatalf("resume: %v; %d kept + %d ran of %d", err, kept, ran, c.Jobs())
	}
	gotCSV, gotPQ := files(t, c, Sorted(rows))
	wantCSV, wantPQ := files(t, c, want)
	if !bytes.Equal(gotCSV, wantCSV) || !bytes.Equal(gotPQ, wantPQ) {
		t.Fatal("a resumed sweep's table differs from an uninterrupted one")
	}
	// Reread from the journal alone: the same rows, bit for bit.
	_, again, err := OpenJournal(path, key)
	if err != nil {
		t.Fatal(err)
	}
	if c3, _ := files(t, c, Sorted(again)); !bytes.Equal(c3, wantCSV) {
		t.Fatal("the journal does not give back the rows")
	}
}

// Each cell of a surface is the best row of its two parameter values.
func TestSurface(t *testing.T) {
	c := testConfig(t, 2)
	rows := runAll(t, c)
	k, err := StatIndex("sharpe")
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Surface(rows, "slow", "fast", k)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.XS, ",") != "20,40" || strings.Join(s.YS, ",") != "2,4,6,8,10" {
		t.Fatalf("axes %v %v", s.XS, s.YS)
	}
	for i, slow := range s.XS {
		for j, fast := range s.YS {
			best := math.Inf(-1)
			for _, r := range rows {
				combo, _ := c.Job(r.Job)
				set := c.Grid.At(combo)
				if paper.FormatParam(set[0].Value) == fast && paper.FormatParam(set[1].Value) == slow {
					best = math.Max(best, r.Metric(k))
				}
			}
			if s.Z[i][j] != best {
				t.Errorf("slow=%s fast=%s: %v, want %v", slow, fast, s.Z[i][j], best)
			}
		}
	}
	if _, err := c.Surface(rows, "fast", "fast", k); err == nil {
		t.Error("a surface over one parameter twice")
	}
}

// A combination the strategy refuses (sma-cross needs fast < slow) is a
// row with its error and empty statistics; the others run.
func TestFailedJobsAreRows(t *testing.T) {
	c := testConfig(t, 2)
	params, _ := paper.BuiltinParams("sma-cross")
	g, err := NewGrid(params, []string{"fast=10,30", "slow=20"})
	if err != nil {
		t.Fatal(err)
	}
	c.Grid = g
	rows := runAll(t, c)
	if len(rows) != 4 || rows[0].Err != "" || rows[2].Err == "" || !strings.Contains(rows[2].Err, "aaa.spot.test fast=30 slow=20") ||
		!strings.Contains(rows[2].Err, "need 1 ≤ fast < slow") {
		t.Fatalf("rows %+v", rows)
	}
	csv, pq := files(t, c, rows)
	lines := strings.Split(string(csv), "\n")
	if !strings.HasPrefix(lines[3], "30,20,aaa.spot.test,,,") || strings.Count(lines[3], ",") != strings.Count(lines[0], ",") {
		t.Fatalf("failed row %q", lines[3])
	}
	if len(pq) == 0 {
		t.Fatal("no parquet")
	}
	path := filepath.Join(t.TempDir(), "j")
	j, _, err := OpenJournal(path, "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		j.Append(r)
	}
	j.Close()
	_, back, err := OpenJournal(path, "k")
	if err != nil || back[2].Err != rows[2].Err {
		t.Fatalf("journal: %v %+v", err, back[2])
	}
	if o := c.Overfitting(rows); o[0].Trials != 1 || o[0].PBOErr == nil {
		t.Fatalf("overfitting over one good row: %+v", o[0])
	}
}

// Parameters of every kind and a failed row: the parquet table read back
// with a generic reader is the CSV table, cell for cell (typed columns,
// nulls for the failed row's statistics).
func TestParquetEqualsCSV(t *testing.T) {
	c := testConfig(t, 2)
	params := []paper.Param{{Name: "fast", Kind: paper.IntParam}, {Name: "x", Kind: paper.FloatParam},
		{Name: "d", Kind: paper.DurationParam}, {Name: "on", Kind: paper.BoolParam}, {Name: "tag", Kind: paper.StringParam}}
	g, err := NewGrid(params, []string{"fast=5,30", "x=0.1,0.25", "d=90m", "on=true,false", "tag=a b"})
	if err != nil {
		t.Fatal(err)
	}
	c.Grid = g
	c.Factory = func(_ context.Context, set []paper.Setting) (paper.Strategy, error) {
		// fast=30 is not below slow=20: those rows fail.
		return paper.NewBuiltin("sma-cross", []paper.Setting{set[0], {Name: "slow", Value: int64(20)}})
	}
	rows := runAll(t, c)
	csvb, pq := files(t, c, rows)
	recs, err := csv.NewReader(bytes.NewReader(csvb)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head, prows := oracle.ParquetRecords(t, pq)
	if strings.Join(head, ",") != strings.Join(recs[0], ",") || len(prows) != len(recs)-1 || len(prows) != 16 {
		t.Fatalf("parquet %v and %d rows; CSV %v and %d rows", head, len(prows), recs[0], len(recs)-1)
	}
	failed := 0
	for i, row := range prows {
		if strings.Join(row, ",") != strings.Join(recs[1+i], ",") {
			t.Errorf("row %d: parquet %v, CSV %v", i, row, recs[1+i])
		}
		if row[0] == "30" && row[len(row)-1] == "" {
			failed++
		}
	}
	if failed != 8 || recs[1][1] != "0.1" || recs[1][2] != "1h30m0s" || recs[1][3] != "true" || recs[1][4] != "a b" {
		t.Fatalf("%d failed rows, want 8; first row %v", failed, recs[1])
	}
}
