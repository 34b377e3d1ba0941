package sweep

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"

	"workbench/feeds"
	"workbench/frames"
	"workbench/paper"
)

// sharedBars is a series' bars as a sweep's jobs share them: on unix its
// columns live in memory mapped read-only, so that a strategy writing to
// them faults (see Backtest) instead of changing what every other job of
// the sweep reads. The columns stay valid until release.
type sharedBars struct {
	bars *frames.OHLCV
	// checked vouches for bars to every job's backtest, which then skips
	// its own checks of them; only read-only bars, which nothing can
	// change between two jobs, are vouched for.
	checked *paper.CheckedBars
	// lo and hi bound the mapping (hi exclusive; both 0 without one).
	lo, hi uintptr
	unmap  func() error
}

// live holds the mappings not yet released, for telling a write to shared
// bars from any other memory fault.
var live struct {
	sync.RWMutex
	m map[*sharedBars]bool
}

// share copies b into read-only memory (ordinary memory where the OS has
// no mmap); b itself is left as it is. Bars a backtest refuses anyway (nil,
// columns of unequal lengths) are shared as they are, for each job to
// report.
func share(b *frames.OHLCV) (*sharedBars, error) {
	if b == nil || b.CheckLengths() != nil {
		return &sharedBars{bars: b}, nil
	}
	s, err := mapReadOnly(b)
	if err != nil {
		return nil, fmt.Errorf("sharing the bars read-only: %w", err)
	}
	if s.unmap != nil {
		// Bars with a problem are not vouched for: each job finds it.
		s.checked, _ = paper.CheckBars(s.bars)
		live.Lock()
		if live.m == nil {
			live.m = map[*sharedBars]bool{}
		}
		live.m[s] = true
		live.Unlock()
	}
	return s, nil
}

// release unmaps the columns. No job may use them any more: the bars are
// emptied first so that a reader that slipped through sees no bars rather
// than whatever memory comes to sit at the old address.
func (s *sharedBars) release() {
	if s.unmap == nil {
		return
	}
	live.Lock()
	delete(live.m, s)
	live.Unlock()
	*s.bars = frames.OHLCV{Period: s.bars.Period}
	unmap := s.unmap
	s.unmap = nil
	if err := unmap(); err != nil {
		slog.Warn("sweep: unmapping shared bars", "err", err)
	}
}

// isShared reports whether b are bars shared read-only and not yet
// released.
func isShared(b *frames.OHLCV) bool {
	live.RLock()
	defer live.RUnlock()
	for s := range live.m {
		if s.bars == b {
			return true
		}
	}
	return false
}

// inShared reports whether addr lies in the columns of shared bars.
func inShared(addr uintptr) bool {
	live.RLock()
	defer live.RUnlock()
	for s := range live.m {
		if addr >= s.lo && addr < s.hi {
			return true
		}
	}
	return false
}

// SharedWriteError is the panic of a strategy that wrote to the bars a
// sweep's jobs share (see Guard); the backtest turns it into its error.
type SharedWriteError struct {
	// Strategy names the strategy, e.g. its script's path.
	Strategy string
}

func (e *SharedWriteError) Error() string {
	return fmt.Sprintf("%s wrote to the sweep's shared bars, which are read-only: every job of a sweep reads them "+
		"(copy them with Clone before changing them)", e.Strategy)
}

// Guard returns strategy s, named name (a script's path), with a write to
// the shared bars of a sweep reported as a *SharedWriteError naming it
// rather than as a bare memory fault. It covers the shapes a script hands
// over: paper.Funcs, paper.Driver, paper.Targets, and a type whose only
// method is OnBar (what a script's NewStrategy returns). Another strategy
// comes back as it is: a wrapper would hide the optional interfaces it
// implements. Such a write still fails its job with a SharedWriteError
// (see Backtest), which names no script.
func Guard(name string, s paper.Strategy) paper.Strategy {
	g := guard(name)
	switch s := s.(type) {
	case *paper.Funcs:
		f := *s
		if f.StartFunc != nil {
			start := f.StartFunc
			f.StartFunc = func(c *paper.Context) error { defer g(); return start(c) }
		}
		if f.BarFunc != nil {
			bar := f.BarFunc
			f.BarFunc = func(c *paper.Context, b feeds.BarEvent) { defer g(); bar(c, b) }
		}
		if f.LoopFunc != nil {
			loop := f.LoopFunc
			f.LoopFunc = func(c *paper.Context, bars []feeds.BarEvent, at []int) { defer g(); loop(c, bars, at) }
		}
		if f.FillFunc != nil {
			fill := f.FillFunc
			f.FillFunc = func(c *paper.Context, r paper.Report) { defer g(); fill(c, r) }
		}
		if f.QuoteFunc != nil {
			quote := f.QuoteFunc
			f.QuoteFunc = func(c *paper.Context, q feeds.Quote) { defer g(); quote(c, q) }
		}
		if f.TradeFunc != nil {
			trade := f.TradeFunc
			f.TradeFunc = func(c *paper.Context, t feeds.Trade) { defer g(); trade(c, t) }
		}
		if f.FinishFunc != nil {
			finish := f.FinishFunc
			f.FinishFunc = func(c *paper.Context) { defer g(); finish(c) }
		}
		return &f
	case *paper.Driver:
		run := s.Func
		return &paper.Driver{Func: func(c *paper.Context) { defer g(); run(c) }}
	case *paper.Targets:
		targets := s.Func
		return &paper.Targets{Func: func(b *frames.OHLCV) []float64 { defer g(); return targets(b) }}
	}
	if reflect.TypeOf(s).NumMethod() == 1 {
		return onBarOnly{s, g}
	}
	return s
}

// onBarOnly is a guarded strategy with no method but OnBar, so that it
// implements no optional interface its strategy does not.
type onBarOnly struct {
	s paper.Strategy
	g func()
}

func (o onBarOnly) OnBar(c *paper.Context, b feeds.BarEvent) { defer o.g(); o.s.OnBar(c, b) }

// sharedWrite is a backtest's error err, said to be a write to the shared
// bars when it is one that no Guard named (a strategy of another shape):
// the fault's own words speak of a nil pointer.
func sharedWrite(err error) error {
	var named *SharedWriteError
	var fault interface{ Addr() uintptr }
	if errors.As(err, &named) || !errors.As(err, &fault) || !inShared(fault.Addr()) {
		return err
	}
	return fmt.Errorf("%w: %w", &SharedWriteError{Strategy: "the strategy"}, err)
}

// guard returns the deferred call that turns a fault inside shared bars
// into a *SharedWriteError; any other panic goes on as it was.
func guard(name string) func() {
	return func() {
		p := recover()
		if p == nil {
			return
		}
		if f, ok := p.(interface{ Addr() uintptr }); ok && inShared(f.Addr()) {
			panic(&SharedWriteError{Strategy: name})
		}
		panic(p)
	}
}
