package sweep

import (
	"context"
	"math"
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
		res, err := RunWalkForward(context.Background(), c, wf, k)
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
			if r.Stats.FinalEquity != w.OutOfSample.FinalEquity || r.Stats.Trades != w.OutOfSample.Trades {
				t.Errorf("window %d out of sample: %+v, plain backtest %+v", wi, w.OutOfSample, r.Stats)
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
	_, err := RunWalkForward(context.Background(), c, wf, k)
	if err == nil || !strings.Contains(err.Error(), "sharpe is undefined for every combination") {
		t.Fatalf("walk-forward ranked 20-day windows by sharpe: err %v", err)
	}
}
