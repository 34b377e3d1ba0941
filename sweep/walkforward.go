package sweep

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/paper"
)

// WalkForward cuts each series into train windows followed by test
// windows: the sweep's best combination on a train window trades the test
// window that follows it. Windows step by Test; an anchored walk-forward's
// train windows all start at the first bar.
type WalkForward struct {
	Train, Test time.Duration
	Anchored    bool
}

// ParseWalkForward reads `train=90d,test=30d[,anchored]` (durations as
// Go's, plus a d suffix for days).
func ParseWalkForward(s string) (WalkForward, error) {
	var wf WalkForward
	for _, part := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "anchored":
			wf.Anchored = true
		case "train", "test":
			d, err := parseDays(v)
			if err != nil || d <= 0 {
				return wf, fmt.Errorf("walk-forward %s=%q: want a positive duration such as 90d or 12h", k, v)
			}
			if k == "train" {
				wf.Train = d
			} else {
				wf.Test = d
			}
		default:
			return wf, fmt.Errorf("walk-forward %q: want train=D, test=D and optionally anchored", part)
		}
	}
	if wf.Train <= 0 || wf.Test <= 0 {
		return wf, fmt.Errorf("walk-forward %q: want both train=D and test=D", s)
	}
	return wf, nil
}

func parseDays(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := time.ParseDuration(d + "h")
		return n * 24, err
	}
	return time.ParseDuration(s)
}

// Window is one train/test step on one market.
type Window struct {
	Series                               int
	TrainFrom, TrainTo, TestFrom, TestTo int64 // epoch s; To exclusive
	// Combo is the grid combination chosen on the train window, InSample
	// its metric there.
	Combo    int
	InSample float64
	// OutOfSample are the chosen combination's statistics on the test window.
	OutOfSample paper.Stats
}

// WalkResult is a walk-forward's windows and, per series, the stitched
// out-of-sample equity curve and its statistics — the headline result.
type WalkResult struct {
	Windows  []Window
	Stitched []paper.EquityCurve
	Stats    []paper.Stats
}

// slice returns the bars in [from, to).
func slice(b *frames.OHLCV, from, to int64) *frames.OHLCV {
	i := sort.Search(b.Len(), func(k int) bool { return b.Time[k] >= from })
	j := sort.Search(b.Len(), func(k int) bool { return b.Time[k] >= to })
	return b.Rows(i, j)
}

// RunWalkForward runs the walk-forward of c ranked by statistic k.
func RunWalkForward(ctx context.Context, c *Config, wf WalkForward, k int) (*WalkResult, error) {
	res := &WalkResult{}
	train, test := int64(wf.Train/time.Second), int64(wf.Test/time.Second)
	for si, s := range c.Series {
		b := s.Bars
		first, end := b.Time[0], b.Time[b.Len()-1]+b.Period
		var times []int64
		var values []float64
		level := 1.0
		var ppy float64
		var cash decimal.Decimal
		for testFrom := first + train; testFrom < end; testFrom += test {
			w := Window{Series: si, TrainFrom: testFrom - train, TrainTo: testFrom, TestFrom: testFrom, TestTo: min(testFrom+test, end)}
			if wf.Anchored {
				w.TrainFrom = first
			}
			trainBars, testBars := slice(b, w.TrainFrom, w.TrainTo), slice(b, w.TestFrom, w.TestTo)
			if trainBars.Len() == 0 || testBars.Len() == 0 {
				continue
			}
			sub := *c
			sub.Series = []paper.Series{{Market: s.Market, Bars: trainBars}}
			rows := map[int]Row{}
			if err := Run(ctx, &sub, nil, func(r Row) error { rows[r.Job] = r; return nil }); err != nil {
				return nil, fmt.Errorf("walk-forward %s train %s: %w", s.Market.FQME(), day(w.TrainFrom), err)
			}
			best := Best(Sorted(rows), k)[0]
			if best.Err != "" {
				return nil, fmt.Errorf("walk-forward %s train %s: every backtest failed, first: %s", s.Market.FQME(), day(w.TrainFrom), best.Err)
			}
			if math.IsNaN(best.Metric(k)) {
				// Ranking on a statistic no row has would pick the first
				// combination and call it optimised.
				return nil, fmt.Errorf("walk-forward %s train %s: %s is undefined for every combination "+
					"(annualised statistics need %d days; choose a longer train window or another --metric, e.g. total_return)",
					s.Market.FQME(), day(w.TrainFrom), paper.StatColumns()[k].Name, paper.MinAnnualDays)
			}
			w.Combo, w.InSample = best.Job, best.Metric(k)
			strat, err := c.Factory(ctx, c.Grid.At(w.Combo))
			if err != nil {
				return nil, err
			}
			cfg := c.Base
			cfg.Series = []paper.Series{{Market: s.Market, Bars: testBars}}
			r, err := paper.BacktestContext(ctx, cfg, strat)
			if err != nil {
				return nil, fmt.Errorf("walk-forward %s test %s: %w", s.Market.FQME(), day(w.TestFrom), err)
			}
			w.OutOfSample = r.Stats
			ppy, cash = float64(r.Stats.PeriodsPerYear), r.InitialCash
			init := float64(r.Stats.InitialEquity)
			for i, v := range r.Equity.Value {
				times = append(times, r.Equity.Time(i))
				values = append(values, level*v/init)
			}
			level = values[len(values)-1]
			res.Windows = append(res.Windows, w)
		}
		if len(values) == 0 {
			return nil, fmt.Errorf("walk-forward %s: no test window: the series (%s .. %s) is not longer than train=%v",
				s.Market.FQME(), day(first), day(end), wf.Train)
		}
		scale := cash.InexactFloat64()
		for i := range values {
			values[i] *= scale
		}
		curve := paper.NewEquityCurve(times, values)
		res.Stitched = append(res.Stitched, curve)
		start := (first + train) * 1e9
		res.Stats = append(res.Stats, paper.CurveStats(cash, start, curve, ppy))
	}
	return res, nil
}

func day(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }
