// Package venuefake is the market behind the local venue servers the tests
// and the demo talk to instead of the internet (feeds/binance/binancefake,
// feeds/kraken/krakenfake): a deterministic tape of trades per market, a
// clock that may run many times faster than the wall clock, and the true
// bars of the tape, computed here by plain bucketing (independently of
// feeds' sampler, which the tests check against them).
package venuefake

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"workbench/feeds"
	"workbench/frames"
)

// Clock is the venue's time: Start (epoch ns) at the wall instant the clock
// was made, advancing Speed times faster than the wall clock. Speed 0 is a
// stopped clock that only Set moves (for tests that step time by hand).
type Clock struct {
	mu    sync.Mutex
	base  int64 // venue ns at wall
	wall  time.Time
	speed float64
}

// NewClock starts a clock at start (epoch ns) running speed× the wall clock.
func NewClock(start int64, speed float64) *Clock {
	return &Clock{base: start, wall: time.Now(), speed: speed}
}

// Now is the venue's current time in epoch ns.
func (c *Clock) Now() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base + int64(float64(time.Since(c.wall))*c.speed)
}

// Set moves the clock to t (epoch ns); it keeps running at its speed.
func (c *Clock) Set(t int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.wall = t, time.Now()
}

// Speed is how many venue seconds pass per wall second.
func (c *Clock) Speed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}

// WallFor is the wall time the clock takes to advance d of venue time
// (d itself for a stopped clock).
func (c *Clock) WallFor(d time.Duration) time.Duration {
	if s := c.Speed(); s > 0 {
		return time.Duration(float64(d) / s)
	}
	return d
}

// TapeConfig describes one market's synthetic tape.
type TapeConfig struct {
	FQME  string
	Seed  uint64
	Start int64   // epoch ns of the first possible trade
	Price float64 // first price
	Tick  float64 // price tick (prices are multiples of it)
	Lot   float64 // size step (sizes are multiples of it)
	// MeanGap is the mean time between trades (exponential gaps);
	// default 2 s.
	MeanGap time.Duration
	// QuietEvery makes one minute in this many have no trade at all (so
	// venues' empty-bar rules are exercised); 0 for never.
	QuietEvery int
}

// Tape is a deterministic, endless sequence of trades; Trades(from, to)
// returns the same trades whatever was asked before. IDs count from 1 with
// no gaps. Safe for concurrent use.
type Tape struct {
	cfg TapeConfig

	mu     sync.Mutex
	rng    *rand.Rand
	trades []feeds.Trade // generated so far, in time order
	next   int64         // epoch ns of the next trade to generate
	price  float64
}

// NewTape prepares a tape.
func NewTape(cfg TapeConfig) *Tape {
	if cfg.MeanGap <= 0 {
		cfg.MeanGap = 2 * time.Second
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 0.01
	}
	if cfg.Lot <= 0 {
		cfg.Lot = 0.0001
	}
	t := &Tape{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), price: cfg.Price}
	t.next = cfg.Start + t.gap()
	return t
}

// Config returns the tape's configuration (defaults filled in).
func (t *Tape) Config() TapeConfig { return t.cfg }

func (t *Tape) gap() int64 {
	return int64(t.rng.ExpFloat64()*float64(t.cfg.MeanGap)) + 1
}

func (t *Tape) quiet(ns int64) bool {
	if t.cfg.QuietEvery <= 0 {
		return false
	}
	m := uint64(ns / 60e9)
	// A fixed scramble of the minute number, so quiet minutes are spread
	// out but the same on every run.
	m ^= t.cfg.Seed
	m *= 0xbf58476d1ce4e5b9
	m ^= m >> 31
	return m%uint64(t.cfg.QuietEvery) == 0
}

// generate extends the tape to cover every trade before to.
func (t *Tape) generate(to int64) {
	for t.next < to {
		ts := t.next
		t.next += t.gap()
		if t.quiet(ts) {
			continue
		}
		step := math.Round(t.rng.NormFloat64() * 3)
		t.price = math.Max(t.cfg.Tick, t.price+step*t.cfg.Tick)
		price := math.Round(t.price/t.cfg.Tick) * t.cfg.Tick
		lots := 1 + math.Floor(t.rng.ExpFloat64()*50)
		side := feeds.Buy
		if t.rng.IntN(2) == 0 {
			side = feeds.Sell
		}
		t.trades = append(t.trades, feeds.Trade{
			Time:  ts,
			FQME:  t.cfg.FQME,
			Price: price,
			Size:  lots * t.cfg.Lot,
			Side:  side,
			ID:    int64(len(t.trades)) + 1,
		})
	}
}

// Trades returns the trades with from ≤ Time < to, oldest first. The slice
// must not be modified.
func (t *Tape) Trades(from, to int64) []feeds.Trade {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.generate(to)
	i := sort.Search(len(t.trades), func(i int) bool { return t.trades[i].Time >= from })
	j := sort.Search(len(t.trades), func(i int) bool { return t.trades[i].Time >= to })
	return t.trades[i:j:j]
}

// TradesFromID returns up to n trades with ID ≥ id, generating the tape up
// to limit (epoch ns) at most.
func (t *Tape) TradesFromID(id int64, n int, limit int64) []feeds.Trade {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.generate(limit)
	if id < 1 {
		id = 1
	}
	i := int(id - 1)
	if i >= len(t.trades) {
		return nil
	}
	j := min(len(t.trades), i+n)
	for j > i && t.trades[j-1].Time >= limit {
		j--
	}
	return t.trades[i:j:j]
}

// Bars buckets the trades opening in [from, to) (epoch s, multiples of
// period) into bars of period seconds. An interval without trades gives no
// bar, or with flat a bar at the previous close with zero volume (none
// before the tape's first trade). This is the reference the venues' REST
// answers come from and that tests compare recordings with.
func (t *Tape) Bars(period, from, to int64, flat bool) *frames.OHLCV {
	out := frames.New(period, 0)
	prev := math.NaN()
	if before := t.Trades(t.cfg.Start, from*1e9); len(before) > 0 {
		prev = before[len(before)-1].Price
	}
	trades := t.Trades(from*1e9, to*1e9)
	k := 0
	for b := from; b < to; b += period {
		end := (b + period) * 1e9
		if k < len(trades) && trades[k].Time < end {
			tr := trades[k]
			o, h, l, c, v := tr.Price, tr.Price, tr.Price, tr.Price, 0.0
			for ; k < len(trades) && trades[k].Time < end; k++ {
				p := trades[k].Price
				h, l, c = math.Max(h, p), math.Min(l, p), p
				v += trades[k].Size
			}
			out.Add(b, o, h, l, c, v)
			prev = c
			continue
		}
		if flat && !math.IsNaN(prev) {
			out.Add(b, prev, prev, prev, prev, 0)
		}
	}
	return out
}
