package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"workbench/frames"
	"workbench/paper"
)

// Factory makes a new strategy with the settings applied. The pool calls it
// once per job, from any worker goroutine: each call must return a strategy
// that shares no mutable state with another (a script strategy: its own
// interpreter).
type Factory func(ctx context.Context, set []paper.Setting) (paper.Strategy, error)

// Config is a sweep: every combination of Grid on every series, each one
// backtest of Base (whose Series is ignored) on that one series.
type Config struct {
	Grid    Grid
	Series  []paper.Series
	Base    paper.BacktestConfig
	Factory Factory
	// Workers is the pool's size; 0 is one per CPU.
	Workers int
	// Blocks is how many equal spans each return series is cut into for
	// the overfitting statistics (0: DefaultBlocks).
	Blocks int
}

// DefaultBlocks is the CSCV split of the return series (S in the paper).
const DefaultBlocks = 16

// Jobs is the number of backtests: combinations × series.
func (c *Config) Jobs() int { return c.Grid.Len() * len(c.Series) }

// Job returns job i's combination and series; the series varies fastest.
func (c *Config) Job(i int) (combo, series int) { return i / len(c.Series), i % len(c.Series) }

// Row is one job's outcome.
type Row struct {
	Job int
	// Stats are in paper.StatColumns' order (see paper.Stats.Values).
	Stats []any
	// Err is why the job made no backtest (the strategy refused its
	// parameters, e.g. a fast window not below the slow one); Stats and
	// Blocks are then nil.
	Err string
	// Blocks are the moments of the returns in each of Config.Blocks
	// consecutive spans of the equity curve.
	Blocks []Moments
}

// Moments are the power sums of a sample: enough to combine spans and get
// their mean, variance, skewness and kurtosis.
type Moments struct {
	N              float64
	S1, S2, S3, S4 float64
}

// Add merges o into m.
func (m *Moments) Add(o Moments) {
	m.N += o.N
	m.S1 += o.S1
	m.S2 += o.S2
	m.S3 += o.S3
	m.S4 += o.S4
}

// Sharpe is mean/std (sample std, n−1), per period; NaN below two samples
// or with no variance.
func (m Moments) Sharpe() float64 {
	if m.N < 2 {
		return math.NaN()
	}
	mean := m.S1 / m.N
	v := (m.S2 - m.N*mean*mean) / (m.N - 1)
	if !(v > 0) {
		return math.NaN()
	}
	return mean / math.Sqrt(v)
}

// SkewKurt returns the skewness and the (non-excess) kurtosis, population
// moments.
func (m Moments) SkewKurt() (skew, kurt float64) {
	n := m.N
	mu := m.S1 / n
	m2 := m.S2/n - mu*mu
	m3 := m.S3/n - 3*mu*m.S2/n + 2*mu*mu*mu
	m4 := m.S4/n - 4*mu*m.S3/n + 6*mu*mu*m.S2/n - 3*mu*mu*mu*mu
	return m3 / math.Pow(m2, 1.5), m4 / (m2 * m2)
}

// returnBlocks cuts the per-sample returns of an equity curve (the first
// measured from the initial equity) into k spans of near-equal length.
func returnBlocks(init float64, eq []float64, k int) []Moments {
	out := make([]Moments, k)
	n := len(eq)
	prev := init
	for i, v := range eq {
		r := v/prev - 1
		prev = v
		b := &out[i*k/n]
		r2 := r * r
		b.N++
		b.S1 += r
		b.S2 += r2
		b.S3 += r2 * r
		b.S4 += r2 * r2
	}
	return out
}

// RunJob runs job i of c. A strategy that cannot be made or that fails
// makes a row with Err; the error is for ctx being done.
func (c *Config) RunJob(ctx context.Context, i int) (Row, error) {
	combo, si := c.Job(i)
	row, err := c.runJob(ctx, combo, si)
	if err != nil {
		if ctx.Err() != nil {
			return Row{}, ctx.Err()
		}
		return Row{Job: i, Err: fmt.Sprintf("%s: %v", c.describe(combo, si), err)}, nil
	}
	row.Job = i
	return row, nil
}

func (c *Config) runJob(ctx context.Context, combo, si int) (Row, error) {
	s, err := c.Factory(ctx, c.Grid.At(combo))
	if err != nil {
		return Row{}, err
	}
	return Backtest(ctx, c.Base, c.Series[si], s, c.Blocks)
}

// Backtest runs one job's backtest, strategy s on series with base's
// settings, and makes its row (without the job's index); blocks as
// Config.Blocks. A worker elsewhere runs jobs with it.
//
// A write to bars shared read-only (see Run, SeriesCache) faults; the
// goroutine panics on a fault for the time of the backtest, so the
// backtest ends with an error (see Guard) instead of the process.
func Backtest(ctx context.Context, base paper.BacktestConfig, series paper.Series, s paper.Strategy, blocks int) (Row, error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	base.Series, base.StatsOnly = []paper.Series{series}, true
	res, err := paper.BacktestContext(ctx, base, s)
	if err != nil {
		return Row{}, sharedWrite(err)
	}
	if blocks <= 0 {
		blocks = DefaultBlocks
	}
	return Row{Stats: res.Stats.Values(), Blocks: returnBlocks(float64(res.Stats.InitialEquity), res.Equity.Value, blocks)}, nil
}

// Describe names job i: its market and settings.
func (c *Config) Describe(i int) string {
	combo, si := c.Job(i)
	return c.describe(combo, si)
}

func (c *Config) describe(combo, series int) string {
	s := c.Series[series].Market.FQME()
	for _, st := range c.Grid.At(combo) {
		s += " " + st.Name + "=" + paper.FormatParam(st.Value)
	}
	return s
}

// Run runs every job not in done on a pool of c.Workers goroutines and
// calls store with each finished row (failed jobs too, see Row.Err), from
// one goroutine at a time, in the order they finish. It stops when ctx is
// done or store fails, with that error; rows stored so far stay stored.
//
// The jobs share a read-only copy of each series (on unix; see Guard), so
// a strategy that writes to its bars fails its job and no other.
func Run(ctx context.Context, c *Config, done map[int]bool, store func(Row) error) error {
	sc := *c
	sc.Series = slices.Clone(c.Series)
	release, err := shareSeries(sc.Series)
	if err != nil {
		return err
	}
	// Every job has returned once run does.
	defer release()
	return run(ctx, &sc, done, store)
}

// Share puts c's series into the memory a sweep's jobs share read-only
// (see Run) now, in place of the caller's bars: once the caller holds no
// other reference to its own copy, the sweep holds each series once, and
// Run does not copy them again. release gives the memory back; c's bars
// must not be read after it.
func Share(c *Config) (release func(), err error) {
	return shareSeries(c.Series)
}

// shareSeries replaces the bars of each series not shared yet with their
// shared copy, and returns the function that releases those copies.
func shareSeries(series []paper.Series) (release func(), err error) {
	var own []*sharedBars
	release = func() {
		for _, s := range own {
			s.release()
		}
	}
	for i := range series {
		if isShared(series[i].Bars) {
			continue
		}
		s, err := share(series[i].Bars)
		if err != nil {
			release()
			return nil, fmt.Errorf("sweep %s: %w", series[i].Market.FQME(), err)
		}
		own = append(own, s)
		series[i].Bars, series[i].Checked = s.bars, s.checked
	}
	return release, nil
}

func run(ctx context.Context, c *Config, done map[int]bool, store func(Row) error) error {
	w := c.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				row, err := c.RunJob(ctx, i)
				if err == nil {
					mu.Lock()
					err = store(row)
					mu.Unlock()
				}
				if err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := range c.Jobs() {
		if done[i] {
			continue
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}

// Key identifies a sweep's work: the grid, the series' bars and extra (the
// strategy and the backtest's settings, as the caller spells them), so that
// a resumed sweep never mixes rows of another.
func (c *Config) Key(extra string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q\n%d\n", extra, c.Blocks)
	for _, a := range c.Grid {
		fmt.Fprintf(h, "%s %d:", a.Param.Name, a.Param.Kind)
		for _, v := range a.Values {
			fmt.Fprintf(h, " %q", paper.FormatParam(v))
		}
		h.Write([]byte{'\n'})
	}
	for _, s := range c.Series {
		fmt.Fprintf(h, "%s %d %d\n", s.Market.FQME(), s.Bars.Period, s.Bars.Len())
		hashBars(h, s.Bars)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func hashBars(h interface{ Write([]byte) (int, error) }, b *frames.OHLCV) {
	buf := make([]byte, 0, 8*4096)
	for i := range b.Len() {
		buf = binary.LittleEndian.AppendUint64(buf, uint64(b.Time[i]))
		for _, c := range [][]float64{b.Open, b.High, b.Low, b.Close, b.Volume} {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(c[i]))
		}
		if len(buf) >= 8*4000 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
}
