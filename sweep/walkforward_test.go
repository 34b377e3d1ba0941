package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"workbench/paper"
)

func TestParseWalkForward(t *testing.T) {
	wf, err := ParseWalkForward("train=90d,test=30d,anchored")
	if err != nil || wf.Train != 90*24*time.Hour || wf.Test != 30*24*time.Hour || !wf.Anchored {
		t.Fatalf("%+v %v", wf, err)
	}
	for _, bad := range []string{"train=90d", "train=x,test=1d", "train=1d,test=0d", "train=1d,test=1d,rolling"} {
		if _, err := ParseWalkForward(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Each window trades, out of sample, the combination that a plain sweep
// of its train window ranks first, and the stitched curve compounds the
// test windows' returns.
func TestWalkForward(t *testing.T) {
	for _, anchored := range []bool{false, true} {
		c := testConfig(t, 2)
		c.Series = c.Series[:1]
		k, _ := StatIndex("total_return")
		wf := WalkForward{Train: 20 * 24 * time.Hour, Test: 10 * 24 * time.Hour, Anchored: anchored}
		res, err := RunWalkForward(context.Background(), c, wf, k, nil, func(WindowRun) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		b := c.Series[0].Bars
		first := b.Time[0]
		if len(res.Windows) != 5 { // 1500 hours: tests from day 20, 30, 40, 50 and 60 (part)
			t.Fatalf("%d windows", len(res.Windows))
		}
		growth := 1.0
		combos := map[int]bool{}
		for wi, w := range res.Windows {
			if wantFrom := first + int64(wi)*10*86400; (anchored && w.TrainFrom != first) || (!anchored && w.TrainFrom != wantFrom) {
				t.Fatalf("window %d trains from %d", wi, w.TrainFrom)
			}
			best, bestV := -1, math.Inf(-1)
			for combo := range c.Grid.Len() {
				s, _ := c.Factory(context.Background(), c.Grid.At(combo))
				cfg := c.Base
				cfg.Series = []paper.Series{{Market: c.Series[0].Market, Bars: slice(b, w.TrainFrom, w.TrainTo)}}
				r, err := paper.Backtest(cfg, s)
				if err != nil {
					t.Fatal(err)
				}
				if v := float64(r.Stats.TotalReturn); v > bestV {
					best, bestV = combo, v
				}
			}
			if w.Combo != best || w.InSample != bestV {
				t.Errorf("window %d chose %d (%v), a plain sweep of its train window ranks %d (%v) first", wi, w.Combo, w.InSample, best, bestV)
			}
			combos[w.Combo] = true
			s, _ := c.Factory(context.Background(), c.Grid.At(w.Combo))
			cfg := c.Base
			cfg.Series = []paper.Series{{Market: c.Series[0].Market, Bars: slice(b, w.TestFrom, w.TestTo)}}
			r, err := paper.Backtest(cfg, s)
			if err != nil {
				t.Fatal(err)
			}
			for n, v := range r.Stats.Values() {
				if Cell(v) != Cell(w.OutOfSample[n]) {
					t.Errorf("window %d out of sample %s: %v, plain backtest %v", wi, paper.StatColumns()[n].Name, w.OutOfSample[n], v)
				}
			}
			growth *= float64(r.Stats.FinalEquity) / float64(r.Stats.InitialEquity)
		}
		st := res.Stats[0]
		if got := float64(st.TotalReturn); math.Abs(got-(growth-1)) > 1e-12 {
			t.Errorf("stitched total return %v, product of the windows' %v", got, growth-1)
		}
		if n := res.Stitched[0].Len(); n != b.Len()-20*24 {
			t.Errorf("stitched curve of %d samples, want the %d bars after the first train window", n, b.Len()-20*24)
		}
		t.Logf("anchored=%v: combos chosen %v, stitched return %.4f", anchored, combos, float64(st.TotalReturn))
	}
}

// A train window too short for an annualised statistic cannot be ranked by
// it: the walk-forward says so instead of calling the first combination
// the optimum.
func TestWalkForwardRefusesAnUndefinedMetric(t *testing.T) {
	c := testConfig(t, 1)
	c.Series = c.Series[:1]
	k, _ := StatIndex("sharpe")
	wf := WalkForward{Train: 20 * 24 * time.Hour, Test: 10 * 24 * time.Hour}
	_, err := RunWalkForward(context.Background(), c, wf, k, nil, func(WindowRun) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "sharpe is undefined for every combination") {
		t.Fatalf("walk-forward ranked 20-day windows by sharpe: err %v", err)
	}
}

// A walk-forward cancelled after its second window keeps the two in its
// journal; the rerun runs only the other three and gives what an
// uninterrupted walk-forward gives, bit for bit.
func TestWalkForwardResumes(t *testing.T) {
	c := testConfig(t, 2)
	k, _ := StatIndex("total_return")
	wf := WalkForward{Train: 20 * 24 * time.Hour, Test: 10 * 24 * time.Hour}
	want, err := RunWalkForward(context.Background(), c, wf, k, nil, func(WindowRun) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "walkforward.jsonl")
	j, done, err := OpenWalkJournal(path, "k")
	if err != nil || len(done) != 0 {
		t.Fatal(err, len(done))
	}
	ctx, cancel := context.WithCancel(context.Background())
	stored := 0
	_, err = RunWalkForward(ctx, c, wf, k, done, func(wr WindowRun) error {
		if stored++; stored == 2 {
			cancel()
		}
		return j.Append(wr)
	})
	j.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled walk-forward: %v", err)
	}
	if _, _, err := OpenWalkJournal(path, "other"); err == nil {
		t.Fatal("the journal of another walk-forward accepted")
	}
	j, done, err = OpenWalkJournal(path, "k")
	if err != nil || len(done) != 2 {
		t.Fatalf("%v; %d windows kept, want 2", err, len(done))
	}
	ran := 0
	got, err := RunWalkForward(context.Background(), c, wf, k, done, func(wr WindowRun) error {
		if _, again := done[WindowKey{wr.Series, wr.TestFrom}]; again {
			t.Errorf("window %v ran again", wr.Window)
		}
		ran++
		return j.Append(wr)
	})
	j.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ran != len(want.Windows)-2 {
		t.Fatalf("the rerun ran %d windows, want %d", ran, len(want.Windows)-2)
	}
	if len(got.Windows) != len(want.Windows) {
		t.Fatalf("%d windows, want %d", len(got.Windows), len(want.Windows))
	}
	for i, w := range want.Windows {
		g := got.Windows[i]
		if fmt.Sprint(encodeStats(g.OutOfSample)) != fmt.Sprint(encodeStats(w.OutOfSample)) || g.Combo != w.Combo ||
			math.Float64bits(g.InSample) != math.Float64bits(w.InSample) || g.TestFrom != w.TestFrom {
			t.Errorf("window %d: %+v, uninterrupted %+v", i, g, w)
		}
	}
	for si := range want.Stitched {
		a, b := want.Stitched[si], got.Stitched[si]
		if a.Len() != b.Len() {
			t.Fatalf("stitched curves of %d and %d samples", a.Len(), b.Len())
		}
		for i := range a.Len() {
			if a.Time(i) != b.Time(i) || math.Float64bits(a.Value[i]) != math.Float64bits(b.Value[i]) {
				t.Fatalf("stitched sample %d: %d %v, uninterrupted %d %v", i, b.Time(i), b.Value[i], a.Time(i), a.Value[i])
			}
		}
		if fmt.Sprint(encodeStats(got.Stats[si].Values())) != fmt.Sprint(encodeStats(want.Stats[si].Values())) {
			t.Errorf("stitched statistics differ")
		}
	}
}
