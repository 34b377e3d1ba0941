package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
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
	// OutOfSample are the chosen combination's statistics on the test
	// window, in paper.StatColumns' order (see paper.Stats.Values).
	OutOfSample []any
}

// WindowRun is a finished window with what the walk-forward needs of its
// test backtest to stitch the out-of-sample curve, so that an interrupted
// walk-forward resumes from the windows it finished.
type WindowRun struct {
	Window
	// Times and Equity are the test backtest's equity curve, Initial its
	// initial equity, Cash its initial cash and PeriodsPerYear its
	// annualisation.
	Times          []int64
	Equity         []float64
	Initial        float64
	Cash           decimal.Decimal
	PeriodsPerYear float64
}

// WindowKey names a window of a walk-forward: its market and test start.
type WindowKey struct {
	Series   int
	TestFrom int64
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

// RunWalkForward runs the walk-forward of c ranked by statistic k. Windows
// in done were finished by an earlier run and are not run again; store is
// called with each window it runs, once it is finished. It stops when ctx
// is done or store fails, with that error.
func RunWalkForward(ctx context.Context, c *Config, wf WalkForward, k int, done map[WindowKey]WindowRun, store func(WindowRun) error) (*WalkResult, error) {
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
			wr, ok := done[WindowKey{si, testFrom}]
			if !ok {
				var err error
				if wr, err = runWindow(ctx, c, k, w, trainBars, testBars); err != nil {
					return nil, err
				}
				if err := store(wr); err != nil {
					return nil, err
				}
			}
			ppy, cash = wr.PeriodsPerYear, wr.Cash
			for i, v := range wr.Equity {
				times = append(times, wr.Times[i])
				values = append(values, level*v/wr.Initial)
			}
			level = values[len(values)-1]
			res.Windows = append(res.Windows, wr.Window)
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

// runWindow sweeps window w's train bars, ranks by statistic k, and
// backtests the best combination on its test bars.
func runWindow(ctx context.Context, c *Config, k int, w Window, trainBars, testBars *frames.OHLCV) (WindowRun, error) {
	fq := c.Series[w.Series].Market
	sub := *c
	sub.Series = []paper.Series{{Market: fq, Bars: trainBars}}
	rows := map[int]Row{}
	if err := Run(ctx, &sub, nil, func(r Row) error { rows[r.Job] = r; return nil }); err != nil {
		return WindowRun{}, fmt.Errorf("walk-forward %s train %s: %w", fq.FQME(), day(w.TrainFrom), err)
	}
	best := Best(Sorted(rows), k)[0]
	if best.Err != "" {
		return WindowRun{}, fmt.Errorf("walk-forward %s train %s: every backtest failed, first: %s", fq.FQME(), day(w.TrainFrom), best.Err)
	}
	if math.IsNaN(best.Metric(k)) {
		// Ranking on a statistic no row has would pick the first
		// combination and call it optimised.
		return WindowRun{}, fmt.Errorf("walk-forward %s train %s: %s is undefined for every combination "+
			"(annualised statistics need %d days; choose a longer train window or another --metric, e.g. total_return)",
			fq.FQME(), day(w.TrainFrom), paper.StatColumns()[k].Name, paper.MinAnnualDays)
	}
	w.Combo, w.InSample = best.Job, best.Metric(k)
	strat, err := c.Factory(ctx, c.Grid.At(w.Combo))
	if err != nil {
		return WindowRun{}, err
	}
	cfg := c.Base
	cfg.Series, cfg.StatsOnly = []paper.Series{{Market: fq, Bars: testBars}}, true
	r, err := paper.BacktestContext(ctx, cfg, strat)
	if err != nil {
		return WindowRun{}, fmt.Errorf("walk-forward %s test %s: %w", fq.FQME(), day(w.TestFrom), err)
	}
	w.OutOfSample = r.Stats.Values()
	wr := WindowRun{Window: w, Equity: r.Equity.Value, Initial: float64(r.Stats.InitialEquity),
		Cash: r.InitialCash, PeriodsPerYear: float64(r.Stats.PeriodsPerYear)}
	wr.Times = make([]int64, r.Equity.Len())
	for i := range wr.Times {
		wr.Times[i] = r.Equity.Time(i)
	}
	return wr, nil
}

func day(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

// WalkJournal is the file a walk-forward appends each finished window to,
// so that an interrupted walk-forward resumes from them. Its first line
// names the walk-forward (the sweep's Config.Key with the windows and the
// metric); a rerun with another key refuses it.
type WalkJournal struct{ j *Journal }

type walkLine struct {
	Series    int      `json:"series"`
	TrainFrom int64    `json:"train_from"`
	TrainTo   int64    `json:"train_to"`
	TestFrom  int64    `json:"test_from"`
	TestTo    int64    `json:"test_to"`
	Combo     int      `json:"combo"`
	InSample  string   `json:"in_sample"`
	Stats     []string `json:"stats"`
	Initial   string   `json:"initial"`
	Cash      string   `json:"cash"`
	PPY       string   `json:"periods_per_year"`
	Times     []int64  `json:"times"`
	Equity    []string `json:"equity"`
}

// OpenWalkJournal opens (creating it if need be) the walk-forward journal
// at path for key and returns the windows it holds.
func OpenWalkJournal(path, key string) (*WalkJournal, map[WindowKey]WindowRun, error) {
	done := map[WindowKey]WindowRun{}
	cols := paper.StatColumns()
	j, err := openLines(path, key, func(l []byte) error {
		var wl walkLine
		if err := json.Unmarshal(l, &wl); err != nil {
			return err
		}
		wr, err := wl.run(cols)
		if err != nil {
			return err
		}
		done[WindowKey{wr.Series, wr.TestFrom}] = wr
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return &WalkJournal{j}, done, nil
}

func (wl walkLine) run(cols []paper.StatColumn) (WindowRun, error) {
	wr := WindowRun{Window: Window{Series: wl.Series, TrainFrom: wl.TrainFrom, TrainTo: wl.TrainTo,
		TestFrom: wl.TestFrom, TestTo: wl.TestTo, Combo: wl.Combo}, Times: wl.Times}
	var err error
	if wr.OutOfSample, err = decodeStats(cols, wl.Stats); err != nil {
		return wr, err
	}
	floats := []struct {
		name string
		s    string
		to   *float64
	}{{"in_sample", wl.InSample, &wr.InSample}, {"initial", wl.Initial, &wr.Initial}, {"periods_per_year", wl.PPY, &wr.PeriodsPerYear}}
	for _, f := range floats {
		if *f.to, err = strconv.ParseFloat(f.s, 64); err != nil {
			return wr, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if wr.Cash, err = decimal.NewFromString(wl.Cash); err != nil {
		return wr, fmt.Errorf("cash: %w", err)
	}
	if len(wl.Equity) != len(wl.Times) || len(wl.Times) == 0 {
		return wr, fmt.Errorf("%d equity values at %d times", len(wl.Equity), len(wl.Times))
	}
	wr.Equity = make([]float64, len(wl.Equity))
	for i, s := range wl.Equity {
		if wr.Equity[i], err = strconv.ParseFloat(s, 64); err != nil {
			return wr, fmt.Errorf("equity %d: %w", i, err)
		}
	}
	return wr, nil
}

// Append writes a finished window and flushes it to the file.
func (wj *WalkJournal) Append(wr WindowRun) error {
	wl := walkLine{Series: wr.Series, TrainFrom: wr.TrainFrom, TrainTo: wr.TrainTo, TestFrom: wr.TestFrom, TestTo: wr.TestTo,
		Combo: wr.Combo, InSample: exact(wr.InSample), Stats: encodeStats(wr.OutOfSample), Initial: exact(wr.Initial),
		Cash: wr.Cash.String(), PPY: exact(wr.PeriodsPerYear), Times: wr.Times}
	wl.Equity = make([]string, len(wr.Equity))
	for i, v := range wr.Equity {
		wl.Equity[i] = exact(v)
	}
	b, err := json.Marshal(wl)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return wj.j.writeLine(b)
}

// Close closes the journal file.
func (wj *WalkJournal) Close() error { return wj.j.Close() }
