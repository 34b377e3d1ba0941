package record

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"workbench/feeds"
	"workbench/frames"
)

// TickSink stores raw trades and quotes (record --trades/--quotes).
//
// SEAM: the frames tick store (written in parallel) implements this once
// merged; until then a Recorder with Trades or Quotes needs a sink given.
type TickSink interface {
	AppendTrades(fqme string, trades []feeds.Trade) error
	AppendQuotes(fqme string, quotes []feeds.Quote) error
}

// Config sets up a Recorder.
type Config struct {
	FQMEs  []string
	Period int64 // bar period, s
	// Trades and Quotes send the raw ticks to Ticks as well.
	Trades, Quotes bool
	Ticks          TickSink
	// VenueBars also subscribes to the venue's own bars of Period, used
	// as the exchange's clock and as a check: a bar is closed when the
	// venue closes its own, even if no trade follows, and one that differs
	// from the bar built from trades is fetched.
	VenueBars bool
	// Live bars are appended once Batch of them wait (default 1000) or
	// the oldest has waited FlushEvery (wall time, default 1 s); a kill -9
	// loses at most those. Bars from history go in History.Batch at once.
	Batch      int
	FlushEvery time.Duration
	// RecentBars is how many bars of the exchange's latest frame to fetch
	// for a market the store has nothing of (default 1000).
	RecentBars int64
	// StopTimeout bounds the time spent, once the context is done,
	// finishing the history requests the closed bars wait for (default
	// 3 s). Bars after a range that could not be fetched are not
	// appended (that would leave a hole); the next run fetches them.
	StopTimeout time.Duration
	// History tunes the requests (retries, backoff, sleep); its Venue
	// and Store are the recorder's.
	History History
	// OnAppend, when set, is called after each store append with the
	// market, the bars appended and the market's counts.
	OnAppend func(fqme string, bars *frames.OHLCV, st MarketStats)
}

// Recorder appends a venue's live bars to the store.
type Recorder struct {
	venue feeds.Venue
	store *frames.Store
	cfg   Config
	h     History

	markets map[string]*market // by canonical fqme
	order   []*market
}

// market is one market's tracker and the queue of its writer.
type market struct {
	fqme string
	mu   sync.Mutex
	tr   *tracker
	q    []job
	done bool
	wake chan struct{}
	// lastClose is the close of the last bar handed to the store, for the
	// flat bars of a range built from trades.
	lastClose float64
}

// NewRecorder prepares a recorder of cfg's markets from venue into store.
func NewRecorder(venue feeds.Venue, store *frames.Store, cfg Config) (*Recorder, error) {
	if len(cfg.FQMEs) == 0 {
		return nil, errors.New("record: no market given")
	}
	if cfg.Period < 1 {
		return nil, fmt.Errorf("record: period %d s: want at least one second", cfg.Period)
	}
	if (cfg.Trades || cfg.Quotes) && cfg.Ticks == nil {
		return nil, errors.New("record: raw trades or quotes asked for without a tick store")
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = time.Second
	}
	if cfg.RecentBars <= 0 {
		cfg.RecentBars = 1000
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 3 * time.Second
	}
	h := cfg.History
	h.Venue, h.Store = venue, store
	h = h.defaults()
	return &Recorder{venue: venue, store: store, cfg: cfg, h: h, markets: map[string]*market{}}, nil
}

// Stats returns each market's counts, in the order given.
func (r *Recorder) Stats() []MarketStats {
	out := make([]MarketStats, 0, len(r.order))
	for _, m := range r.order {
		m.mu.Lock()
		out = append(out, m.tr.st)
		m.mu.Unlock()
	}
	return out
}

// Run records until ctx is done or the feed fails. At startup each market
// continues after its stored series: the history between the store's last
// bar and the first live one is fetched (the exchange's most recent frame
// first) before any live bar is appended. Once ctx is done, Run appends
// every closed bar (finishing the requests they wait for within
// StopTimeout) and returns nil.
func (r *Recorder) Run(ctx context.Context) error {
	if err := r.open(ctx); err != nil {
		return err
	}
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	wctx, stopWriters := context.WithCancel(context.Background())
	defer stopWriters()
	var wg sync.WaitGroup
	werrs := make([]error, len(r.order))
	for i, m := range r.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if werrs[i] = r.write(wctx, m); werrs[i] != nil {
				stopStream() // the store fails: recording on would lose bars
			}
		}()
	}
	fqmes := make([]string, len(r.order))
	for i, m := range r.order {
		fqmes[i] = m.fqme
	}
	sub := feeds.Subscription{FQMEs: fqmes, Trades: true, Quotes: r.cfg.Quotes}
	if r.cfg.VenueBars {
		sub.Bars = r.cfg.Period
	}
	serr := r.venue.Feed(sub).Stream(streamCtx, r.sink)
	for _, m := range r.order {
		m.mu.Lock()
		m.done = true
		m.mu.Unlock()
		m.poke()
	}
	stopTimer := time.AfterFunc(r.cfg.StopTimeout, stopWriters)
	defer stopTimer.Stop()
	wg.Wait()
	if serr != nil {
		serr = fmt.Errorf("record: %s feed: %w", r.venue.Name(), serr)
	}
	return errors.Join(append([]error{serr}, werrs...)...)
}

// open resolves the markets and reads where each stored series ends.
func (r *Recorder) open(ctx context.Context) error {
	list, err := r.store.List()
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	for _, q := range r.cfg.FQMEs {
		mp, err := r.venue.Market(ctx, q)
		if err != nil {
			return fmt.Errorf("record: market %s: %w", q, err)
		}
		fqme := mp.FQME()
		if _, dup := r.markets[fqme]; dup {
			continue
		}
		last := int64(-1)
		lastClose := math.NaN()
		for _, s := range list {
			if s.FQME == fqme && s.Period == r.cfg.Period && s.Problem == "" && s.Rows > 0 {
				last = s.Last
				f, err := r.store.ReadRange(fqme, r.cfg.Period, s.Last, s.Last+1)
				if err != nil {
					return fmt.Errorf("record: %w", err)
				}
				if f.Len() > 0 {
					lastClose = f.Close[f.Len()-1]
				}
			}
		}
		m := &market{fqme: fqme, wake: make(chan struct{}, 1), lastClose: lastClose,
			tr: newTracker(fqme, r.cfg.Period, last, r.cfg.RecentBars, r.venue.EmptyBars() == feeds.FlatBar)}
		if last >= 0 {
			m.tr.st.Last = last
		}
		r.markets[fqme] = m
		r.order = append(r.order, m)
	}
	return nil
}

// route finds the market of an event's fqme (the venue may spell it
// without its own token or in another case).
func (r *Recorder) route(fqme string) *market {
	f := strings.ToLower(fqme)
	if m, ok := r.markets[f]; ok {
		return m
	}
	return r.markets[f+"."+r.venue.Name()]
}

// sink takes the feed's events; it only updates state and queues jobs, so
// the stream is never held up by the store or by history requests.
func (r *Recorder) sink(ev feeds.Event) error {
	switch ev.Kind {
	case feeds.KindTrade:
		if m := r.route(ev.Trade.FQME); m != nil {
			m.mu.Lock()
			if m.tr.trade(ev.Trade) && r.cfg.Trades {
				m.tr.jobs = append(m.tr.jobs, job{trades: []feeds.Trade{ev.Trade}})
			}
			m.queue()
		}
	case feeds.KindQuote:
		if m := r.route(ev.Quote.FQME); m != nil && r.cfg.Quotes {
			m.mu.Lock()
			m.tr.st.Quotes++
			m.tr.jobs = append(m.tr.jobs, job{quotes: []feeds.Quote{ev.Quote}})
			m.queue()
		}
	case feeds.KindBar:
		if m := r.route(ev.Bar.FQME); m != nil && ev.Bar.Period == r.cfg.Period && !ev.Bar.Forming {
			m.mu.Lock()
			m.tr.venueBar(ev.Bar.Bar)
			m.queue()
		}
	case feeds.KindStatus:
		r.status(ev.Status)
	}
	return nil
}

func (r *Recorder) status(s feeds.Status) {
	var ms []*market
	if s.FQME == "" {
		ms = r.order
	} else if m := r.route(s.FQME); m != nil {
		ms = []*market{m}
	}
	switch s.Kind {
	case feeds.Connected:
		slog.Info("record: connected", "venue", r.venue.Name())
	case feeds.Disconnected:
		slog.Warn("record: disconnected; missed bars will be fetched", "venue", r.venue.Name(), "err", s.Err)
	case feeds.Malformed:
		slog.Warn("record: malformed message dropped", "venue", r.venue.Name(), "fqme", s.FQME, "err", s.Err)
		if len(ms) > 1 {
			ms = ms[:1] // one frame, counted once
		}
	}
	for _, m := range ms {
		m.mu.Lock()
		switch s.Kind {
		case feeds.Disconnected:
			m.tr.disconnected()
		case feeds.TradeGap:
			m.tr.tradeGap()
		case feeds.Malformed:
			m.tr.st.Malformed++
		}
		m.mu.Unlock()
	}
}

// queue moves the tracker's jobs to the writer's queue; m.mu is held and
// released.
func (m *market) queue() {
	jobs := m.tr.take()
	for _, j := range jobs {
		n := len(m.q)
		switch {
		case n > 0 && j.trades != nil && m.q[n-1].trades != nil:
			m.q[n-1].trades = append(m.q[n-1].trades, j.trades...)
		case n > 0 && j.quotes != nil && m.q[n-1].quotes != nil:
			m.q[n-1].quotes = append(m.q[n-1].quotes, j.quotes...)
		default:
			m.q = append(m.q, j)
		}
	}
	m.mu.Unlock()
	if len(jobs) > 0 {
		m.poke()
	}
}

func (m *market) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// next waits for queued jobs; done is true once the stream has ended and
// the queue is empty.
func (m *market) next(ctx context.Context, tick <-chan time.Time) (jobs []job, flush, done bool) {
	for {
		m.mu.Lock()
		jobs, m.q = m.q, nil
		ended := m.done
		m.mu.Unlock()
		if len(jobs) > 0 {
			return jobs, false, false
		}
		if ended {
			return nil, true, true
		}
		select {
		case <-m.wake:
		case <-tick:
			return nil, true, false
		case <-ctx.Done():
			return nil, true, true
		}
	}
}

// write is a market's writer: it appends closed bars in order, fetching
// the ranges they wait for first.
func (r *Recorder) write(ctx context.Context, m *market) error {
	w := &writer{st: r.store, fqme: m.fqme, batch: r.cfg.Batch, buf: frames.New(r.cfg.Period, 0)}
	var trades []feeds.Trade
	var quotes []feeds.Quote
	tick := time.NewTicker(r.cfg.FlushEvery)
	defer tick.Stop()
	flush := func() error {
		n := w.buf.Len()
		var appended *frames.OHLCV
		if n > 0 {
			appended = w.buf
		}
		added, corrected := w.added, w.corrected
		if err := w.flush(); err != nil {
			return fmt.Errorf("record %s: %w", m.fqme, err)
		}
		if err := r.flushTicks(m.fqme, &trades, &quotes); err != nil {
			return err
		}
		if appended == nil {
			return nil
		}
		m.mu.Lock()
		m.tr.st.Appended += n
		m.tr.st.Written += w.added - added
		m.tr.st.Corrected += w.corrected - corrected
		m.tr.st.Last = max(m.tr.st.Last, appended.Time[n-1])
		st := m.tr.st
		m.mu.Unlock()
		if r.cfg.OnAppend != nil {
			r.cfg.OnAppend(m.fqme, appended, st)
		}
		return nil
	}
	for {
		jobs, timeUp, done := m.next(ctx, tick.C)
		for k, j := range jobs {
			switch {
			case j.trades != nil:
				trades = append(trades, j.trades...)
			case j.quotes != nil:
				quotes = append(quotes, j.quotes...)
			case j.bars != nil:
				if err := r.addBars(w, m, j.bars, flush); err != nil {
					return err
				}
			default:
				if err := r.fetch(ctx, w, m, j, flush); err != nil {
					var se sinkError
					if errors.As(err, &se) {
						return fmt.Errorf("record %s: %w", m.fqme, se.err)
					}
					lost := 0
					for _, later := range jobs[k+1:] {
						lost += later.bars.Len()
					}
					slog.Warn("record: stopping before a range the venue did not give; later bars are left to the next run",
						"fqme", m.fqme, "range", j.fetch.Format(r.cfg.Period), "bars_not_appended", lost, "err", err)
					return flush()
				}
			}
		}
		if timeUp || done || w.buf.Len() >= r.cfg.Batch {
			if err := flush(); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
	}
}

func (r *Recorder) addBars(w *writer, m *market, f *frames.OHLCV, flush func() error) error {
	if f.Len() == 0 {
		return nil
	}
	m.lastClose = f.Close[f.Len()-1]
	w.buf.Period = r.cfg.Period
	for i := range f.Len() {
		w.buf.Add(f.Time[i], f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i])
	}
	if w.buf.Len() >= r.h.Batch {
		return flush()
	}
	return nil
}

// fetch gets a job's range from the venue's history, trying until it has
// it or ctx is done: the bars after it must not be appended before it. The
// startup catch-up asks for the exchange's most recent frame first, then
// the history between the store and it; bars are appended oldest first, so
// a crash never leaves a hole behind the stored end.
func (r *Recorder) fetch(ctx context.Context, w *writer, m *market, j job, flush func() error) error {
	p := r.cfg.Period
	rg := j.fetch
	parts := []Range{rg}
	if j.catchUp {
		recent := Range{max(rg.From, rg.To-r.cfg.RecentBars*p), rg.To}
		parts = []Range{recent, {rg.From, recent.From}}
	}
	got := make([]*frames.OHLCV, len(parts))
	for i, part := range parts {
		if part.From >= part.To {
			continue
		}
		acc := frames.New(p, 0)
		if err := r.fetchRetrying(ctx, m, part, func(f *frames.OHLCV) error {
			m.mu.Lock()
			m.tr.st.Fetched += f.Len()
			m.mu.Unlock()
			if i == 0 && len(parts) > 1 {
				for k := range f.Len() {
					acc.Add(f.Time[k], f.Open[k], f.High[k], f.Low[k], f.Close[k], f.Volume[k])
				}
				return nil
			}
			if err := r.addBars(w, m, f, flush); err != nil {
				return sinkError{err}
			}
			return nil
		}); err != nil {
			return err
		}
		got[i] = acc
	}
	if len(parts) > 1 && got[0] != nil {
		return r.addBars(w, m, got[0], flush)
	}
	return nil
}

// fetchRetrying is History.fetchRange again and again (with its backoff
// between rounds) until it succeeds or ctx is done.
func (r *Recorder) fetchRetrying(ctx context.Context, m *market, rg Range, sink func(*frames.OHLCV) error) error {
	cur := rg.From
	for round := 0; ; round++ {
		_, err := r.h.fetchRange(ctx, m.fqme, r.cfg.Period, Range{cur, rg.To}, m.lastClose, func(f *frames.OHLCV) error {
			if n := f.Len(); n > 0 {
				cur = f.Time[n-1] + r.cfg.Period
			}
			return sink(f)
		})
		if err == nil {
			return nil
		}
		var se sinkError
		if errors.As(err, &se) || ctx.Err() != nil {
			return err
		}
		slog.Warn("record: history request keeps failing; trying again", "fqme", m.fqme,
			"range", Range{cur, rg.To}.Format(r.cfg.Period), "err", err)
		if err := r.h.Sleep(ctx, min(r.h.Backoff<<min(round, 5), 30*time.Second)); err != nil {
			return err
		}
	}
}

func (r *Recorder) flushTicks(fqme string, trades *[]feeds.Trade, quotes *[]feeds.Quote) error {
	if len(*trades) > 0 {
		if err := r.cfg.Ticks.AppendTrades(fqme, *trades); err != nil {
			return fmt.Errorf("record %s: trades: %w", fqme, err)
		}
		*trades = nil
	}
	if len(*quotes) > 0 {
		if err := r.cfg.Ticks.AppendQuotes(fqme, *quotes); err != nil {
			return fmt.Errorf("record %s: quotes: %w", fqme, err)
		}
		*quotes = nil
	}
	return nil
}
