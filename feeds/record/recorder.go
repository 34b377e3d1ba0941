package record

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"workbench/feeds"
	"workbench/frames"
)

// Config sets up a Recorder.
type Config struct {
	FQMEs  []string
	Period int64 // bar period, s
	// Trades and Quotes also store the raw ticks in the store's tick
	// store (frames.Store.AppendTrades, AppendQuotes).
	Trades, Quotes bool
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
	// HistoryDelay is how long (exchange time) after a range the stream
	// missed its bars are asked of the venue's history, which may lag
	// the stream (default 2 s). Bars after such a range wait with it; at
	// a stop those still waiting are left to the next run.
	HistoryDelay time.Duration
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
	// trades and quotes wait for the tick store.
	trades []feeds.Trade
	quotes []feeds.Quote
	done   bool
	wake   chan struct{}
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
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = time.Second
	}
	if cfg.RecentBars <= 0 {
		cfg.RecentBars = 1000
	}
	if cfg.HistoryDelay <= 0 {
		cfg.HistoryDelay = 2 * time.Second
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 3 * time.Second
	}
	h := cfg.History
	h.Venue, h.Store = venue, store
	h = h.defaults()
	if err := h.checkPeriod(cfg.Period); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
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
			tr: newTracker(fqme, r.cfg.Period, last, r.cfg.RecentBars, r.venue.EmptyBars())}
		m.tr.ticks, m.tr.delay = r.cfg.Trades, int64(r.cfg.HistoryDelay)
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
				m.trades = append(m.trades, ev.Trade)
			}
			m.queue()
		}
	case feeds.KindQuote:
		if m := r.route(ev.Quote.FQME); m != nil && r.cfg.Quotes {
			m.mu.Lock()
			m.tr.st.Quotes++
			m.quotes = append(m.quotes, ev.Quote)
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
	m.q = append(m.q, jobs...)
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

// next waits for queued jobs and takes them with the ticks waiting; done
// is true once the stream has ended and the queue is empty. Ticks wait for
// the flush tick: they come one by one.
func (m *market) next(ctx context.Context, tick <-chan time.Time, trades *[]feeds.Trade, quotes *[]feeds.Quote) (jobs []job, flush, done bool) {
	take := func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		jobs, m.q = m.q, nil
		*trades, m.trades = append(*trades, m.trades...), m.trades[:0]
		*quotes, m.quotes = append(*quotes, m.quotes...), m.quotes[:0]
		return m.done
	}
	for {
		ended := take()
		if len(jobs) > 0 {
			return jobs, false, false
		}
		if ended {
			return nil, true, true
		}
		select {
		case <-m.wake:
		case <-tick:
			take()
			return jobs, true, false
		case <-ctx.Done():
			take()
			return jobs, true, true
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
		jobs, timeUp, done := m.next(ctx, tick.C, &trades, &quotes)
		for k, j := range jobs {
			switch {
			case j.bars != nil:
				if err := r.addBars(w, m, j.bars, flush); err != nil {
					return err
				}
			case j.missedTrades.To != 0:
				if err := r.fetchTrades(ctx, m, j.missedTrades, &trades); err != nil {
					slog.Warn("record: the trades the stream lost could not be fetched", "fqme", m.fqme, "err", err)
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
	appendRows(w.buf, f)
	if w.buf.Len() >= r.h.Batch {
		return flush()
	}
	return nil
}

// fetch gets a job's range from the venue's history, trying until it has
// it or ctx is done: the bars after it must not be appended before it. The
// startup catch-up asks for the exchange's most recent frame first, then
// the history between the store and it; bars are appended oldest first, so
// a crash never leaves a hole behind the stored end. A venue whose history
// lags its stream (the bar of a slot with trades not there yet) is asked
// again, a few times.
func (r *Recorder) fetch(ctx context.Context, w *writer, m *market, j job, flush func() error) error {
	p := r.cfg.Period
	rg := j.fetch
	if j.catchUp {
		recent := Range{max(rg.From, rg.To-r.cfg.RecentBars*p), rg.To}
		acc, err := r.fetchAll(ctx, m, recent)
		if err != nil {
			return err
		}
		if recent.From > rg.From {
			if err := r.fetchRetrying(ctx, m, Range{rg.From, recent.From}, func(f *frames.OHLCV) error {
				if err := r.addBars(w, m, f, flush); err != nil {
					return sinkError{err}
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return r.addBars(w, m, acc, flush)
	}
	for attempt := 0; ; attempt++ {
		acc, err := r.fetchAll(ctx, m, rg)
		if err != nil {
			return err
		}
		if j.traded < 0 || slices.Contains(acc.Time, j.traded) || attempt >= 2*r.h.Retries {
			if j.traded >= 0 && !slices.Contains(acc.Time, j.traded) {
				slog.Warn("record: the venue's history has no bar where trades were seen", "fqme", m.fqme,
					"slot", formatTime(j.traded, p))
			}
			return r.addBars(w, m, acc, flush)
		}
		slog.Info("record: the venue's history lags its stream; asking again", "fqme", m.fqme, "slot", formatTime(j.traded, p))
		if err := r.h.Sleep(ctx, min(r.h.Backoff<<min(attempt, 5), 30*time.Second)); err != nil {
			return err
		}
	}
}

// fetchAll is the bars of rg from history, in one frame.
func (r *Recorder) fetchAll(ctx context.Context, m *market, rg Range) (*frames.OHLCV, error) {
	acc := frames.New(r.cfg.Period, 0)
	err := r.fetchRetrying(ctx, m, rg, func(f *frames.OHLCV) error {
		appendRows(acc, f)
		return nil
	})
	return acc, err
}

// fetchRetrying is History.fetchRange again and again (with its backoff
// between rounds) until it succeeds or ctx is done.
func (r *Recorder) fetchRetrying(ctx context.Context, m *market, rg Range, sink func(*frames.OHLCV) error) error {
	cur := rg.From
	for round := 0; ; round++ {
		_, err := r.h.fetchRange(ctx, m.fqme, r.cfg.Period, Range{cur, rg.To}, m.lastClose, func(f *frames.OHLCV) error {
			if n := f.Len(); n > 0 {
				cur = f.Time[n-1] + r.cfg.Period
				m.mu.Lock()
				m.tr.st.Fetched += n
				m.mu.Unlock()
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

// fetchTrades adds to trades those of the venue's trade history in rg
// (exchange ns, both ends included), trying until it has them or ctx is
// done. The tick store drops the ones it has (by id).
func (r *Recorder) fetchTrades(ctx context.Context, m *market, rg Range, trades *[]feeds.Trade) error {
	for round := 0; ; round++ {
		var got []feeds.Trade
		err := r.venue.Trades(ctx, m.fqme, rg.From, rg.To+1, func(ts []feeds.Trade) error {
			got = append(got, ts...)
			return nil
		})
		if err == nil {
			*trades = append(*trades, got...)
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if err := r.h.Sleep(ctx, min(r.h.Backoff<<min(round, 5), 30*time.Second)); err != nil {
			return err
		}
	}
}

func (r *Recorder) flushTicks(fqme string, trades *[]feeds.Trade, quotes *[]feeds.Quote) error {
	if len(*trades) > 0 {
		t := &frames.Ticks{}
		for _, x := range *trades {
			t.Add(x.Time, x.Price, x.Size, int8(x.Side), x.ID)
		}
		if _, err := r.store.AppendTrades(fqme, t); err != nil {
			return fmt.Errorf("record %s: trades: %w", fqme, err)
		}
		*trades = nil
	}
	if len(*quotes) > 0 {
		q := &frames.Quotes{}
		for _, x := range *quotes {
			q.Add(x.Time, x.Bid, x.Ask, x.BidSize, x.AskSize)
		}
		if _, err := r.store.AppendQuotes(fqme, q); err != nil {
			return fmt.Errorf("record %s: quotes: %w", fqme, err)
		}
		*quotes = nil
	}
	return nil
}
