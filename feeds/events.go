package feeds

import (
	"container/heap"
	"fmt"

	"workbench/frames"
)

// Market events carry epoch nanoseconds, the time at which the event became
// known (exchange time for live feeds, bar close for replayed bars). Prices and
// sizes are float64: events are the hot path of a backtest and of the matching
// loop, and the clearing engine converts to decimal only where a fill becomes a
// record a person reads.

// Quote is a top-of-book (L1) update for one market. A size ≤ 0 means the venue
// did not display one.
type Quote struct {
	Time             int64 // epoch ns: exchange time (receive time where the venue gives none)
	FQME             string
	Bid, Ask         float64
	BidSize, AskSize float64
	Recv             int64 // epoch ns the message was received; 0 for recorded data
}

// Side is the taker's side of a trade: who crossed the spread.
type Side int8

// Taker sides; SideUnknown where the venue does not say.
const (
	SideUnknown Side = iota
	Buy
	Sell
)

// String returns "buy", "sell" or "".
func (s Side) String() string {
	switch s {
	case Buy:
		return "buy"
	case Sell:
		return "sell"
	}
	return ""
}

// Trade is one print on the tape. Size ≤ 0 means unknown.
type Trade struct {
	Time  int64 // epoch ns, exchange time
	FQME  string
	Price float64
	Size  float64
	Side  Side  // the taker's side
	ID    int64 // the venue's trade id, increasing by one per trade where the venue numbers them; 0: none
	Recv  int64 // epoch ns the message was received; 0 for recorded data
}

// BarEvent is a bar that has closed. Time is the close, (Bar.Time+Period)·1e9:
// nothing in the bar can be known earlier, which is what keeps a strategy that
// reacts to bars from seeing the future.
type BarEvent struct {
	Time   int64 // epoch ns of the bar's close
	FQME   string
	Period int64 // seconds
	Bar    frames.Bar
	// Index is the bar's row in the series it was replayed from, or -1.
	Index int
	// Forming marks a bar still being built (a live feed's current bar,
	// revised as trades arrive); Time is then the bar's close-to-be. A
	// strategy is handed closed bars only.
	Forming bool
	// Recv is the epoch ns the bar's last update was received; 0 for
	// recorded data.
	Recv int64
}

// OpenTime is the bar's open in epoch ns.
func (b BarEvent) OpenTime() int64 { return b.Bar.Time * 1e9 }

// NewBarEvent wraps row i of f (a series for fqme) as a closed-bar event.
func NewBarEvent(fqme string, f *frames.OHLCV, i int) BarEvent {
	return BarEvent{
		Time:   (f.Time[i] + f.Period) * 1e9,
		FQME:   fqme,
		Period: f.Period,
		Bar:    f.At(i),
		Index:  i,
	}
}

// ReplaySeries is one market's history to replay.
type ReplaySeries struct {
	FQME string
	Bars *frames.OHLCV
}

// Replay merges several bar series into one stream of closed-bar events in
// time order. Bars that close at the same instant come out in the order the
// series were given, so a replay is deterministic.
type Replay struct {
	series []ReplaySeries
	h      replayHeap
}

// NewReplay checks the series (a known period, ascending times) and prepares
// a replay from their first bars.
func NewReplay(series ...ReplaySeries) (*Replay, error) {
	r := &Replay{series: series}
	for i, s := range series {
		if s.Bars == nil {
			return nil, fmt.Errorf("replay %s: no bars", s.FQME)
		}
		if s.Bars.Period <= 0 {
			return nil, fmt.Errorf("replay %s: unknown bar period %d", s.FQME, s.Bars.Period)
		}
		t := s.Bars.Time
		for j := 1; j < len(t); j++ {
			if t[j] <= t[j-1] {
				return nil, fmt.Errorf("replay %s: row %d: time %d not after %d", s.FQME, j, t[j], t[j-1])
			}
		}
		if len(t) > 0 {
			r.h = append(r.h, replayCursor{series: i, row: 0, close: t[0] + s.Bars.Period})
		}
	}
	heap.Init(&r.h)
	return r, nil
}

// Next returns the next closed bar, or false when every series is exhausted.
func (r *Replay) Next() (BarEvent, bool) {
	if len(r.h) == 0 {
		return BarEvent{}, false
	}
	if len(r.h) == 1 {
		// One series left: no merging to do.
		c := &r.h[0]
		s := r.series[c.series]
		ev := NewBarEvent(s.FQME, s.Bars, c.row)
		c.row++
		if c.row == s.Bars.Len() {
			r.h = r.h[:0]
		}
		return ev, true
	}
	c := r.h[0]
	s := r.series[c.series]
	ev := NewBarEvent(s.FQME, s.Bars, c.row)
	if c.row+1 < s.Bars.Len() {
		r.h[0].row++
		r.h[0].close = s.Bars.Time[c.row+1] + s.Bars.Period
		heap.Fix(&r.h, 0)
	} else {
		heap.Pop(&r.h)
	}
	return ev, true
}

// SeriesIndex reports which of the replayed series (in NewReplay's order) an
// event's market is, or -1.
func (r *Replay) SeriesIndex(fqme string) int {
	for i, s := range r.series {
		if s.FQME == fqme {
			return i
		}
	}
	return -1
}

type replayCursor struct {
	series, row int
	close       int64 // epoch s
}

type replayHeap []replayCursor

func (h replayHeap) Len() int { return len(h) }
func (h replayHeap) Less(i, j int) bool {
	if h[i].close != h[j].close {
		return h[i].close < h[j].close
	}
	return h[i].series < h[j].series
}
func (h replayHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *replayHeap) Push(x any)   { *h = append(*h, x.(replayCursor)) }
func (h *replayHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
