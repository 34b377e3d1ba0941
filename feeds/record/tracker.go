package record

import (
	"math"
	"slices"

	"workbench/feeds"
	"workbench/frames"
)

// job is one step of a market's writer, in series order: closed bars built
// from the stream, or a range to ask of the venue's history first.
type job struct {
	bars  *frames.OHLCV // closed bars; nil for a fetch
	fetch Range
	// catchUp marks the fetch from the store's end to the first live bar
	// at startup: the exchange's most recent frame is asked first.
	catchUp bool
	// traded is a slot of the fetch in which the stream saw a trade: the
	// venue's history must have its bar (-1: none known).
	traded int64
	// missedTrades: exchange ns [From, To] (both ends included) whose
	// trades the stream lost, to be had from the venue's trade history.
	missedTrades Range
}

func (j job) isFetch() bool {
	return j.bars == nil && j.missedTrades.To == 0
}

// tracker is one market's recording state, a pure state machine: stream
// events in, jobs out. It decides which bars the stream saw whole and which
// must come from the venue's history: the bar it joined in the middle of,
// and every bar from the one forming when trades went missing (ids jumped,
// the connection dropped or stalled, the feed reported a gap) to the one
// in which the stream resumed.
type tracker struct {
	fqme   string
	period int64
	// start is the first slot the store lacks; recent how many bars of the
	// exchange's latest frame to fetch when the store has none.
	start  int64
	recent int64
	flat   bool
	ticks  bool // raw trades are stored: lost ones are fetched too
	// delay is how far (exchange ns) the stream must be past a range
	// before its history is asked for: a venue's history lags its stream.
	// now is the latest exchange time seen.
	delay, now int64

	seen     bool
	lastID   int64 // last trade id seen; 0 when the venue gives none
	lastTime int64 // exchange ns of the latest trade seen
	// suspect: the connection dropped since the last trade; forced: the
	// feed reported a trade gap. The next trade decides what was missed.
	suspect, forced bool

	// s builds the bars from trades by exchange time; lastClose is the
	// close of the last bar it closed clean (NaN when unknown).
	s         *feeds.Sampler
	empty     feeds.EmptyBars
	lastClose float64
	// next is the first slot not yet handed to the writer: the forming
	// bar's. dirty marks it incomplete (to be fetched when it closes).
	next  int64
	dirty bool

	jobs []job
	st   MarketStats
}

// MarketStats counts what a market's stream delivered and what the
// recorder did about it.
type MarketStats struct {
	FQME       string `json:"fqme"`
	Trades     int    `json:"trades"`
	Quotes     int    `json:"quotes"`
	Duplicates int    `json:"duplicates"` // trades seen before (by id), dropped
	Late       int    `json:"late"`       // trades of a bar already handed over: the bar is fetched again
	Gaps       int    `json:"gaps"`       // times trades went missing
	Malformed  int    `json:"malformed"`
	Fetches    int    `json:"fetches"` // ranges asked of the venue's history
	Fetched    int    `json:"fetched"` // bars received from it
	Appended   int    `json:"appended"`
	Written    int    `json:"written"` // bars new to the store
	Corrected  int    `json:"corrected"`
	// Last is the open of the latest bar stored (epoch s); 0 for none.
	Last int64 `json:"last"`
}

// newTracker starts after the stored series' last bar (last < 0: none).
func newTracker(fqme string, period, last, recent int64, empty feeds.EmptyBars) *tracker {
	t := &tracker{fqme: fqme, period: period, recent: recent, flat: empty == feeds.FlatBar, empty: empty,
		start: -1, lastClose: math.NaN()}
	if last >= 0 {
		t.start = last + period
	}
	t.st.FQME = fqme
	return t
}

// take returns the jobs ready: those before the first range the
// venue's history may not have yet (the bars after it wait with it).
func (t *tracker) take() []job {
	n := 0
	for ; n < len(t.jobs); n++ {
		if j := t.jobs[n]; j.isFetch() && j.fetch.To*1e9+t.delay > t.now {
			break
		}
	}
	ready := slices.Clone(t.jobs[:n])
	t.jobs = slices.Delete(t.jobs, 0, n)
	return ready
}

// emitFetch asks for the bars of r from history; traded is a slot of r
// in which a trade was seen (-1: none).
func (t *tracker) emitFetch(r Range, catchUp bool, traded int64) {
	if r.From >= r.To {
		return
	}
	t.st.Fetches++
	if n := len(t.jobs); n > 0 && t.jobs[n-1].isFetch() && t.jobs[n-1].fetch.To == r.From && !catchUp && !t.jobs[n-1].catchUp {
		t.jobs[n-1].fetch.To = r.To
		t.jobs[n-1].traded = max(t.jobs[n-1].traded, traded)
		return
	}
	t.jobs = append(t.jobs, job{fetch: r, catchUp: catchUp, traded: traded})
}

func (t *tracker) emitBars(f *frames.OHLCV) {
	if f.Len() == 0 {
		return
	}
	if n := len(t.jobs); n > 0 && t.jobs[n-1].bars != nil {
		appendRows(t.jobs[n-1].bars, f)
		return
	}
	t.jobs = append(t.jobs, job{bars: f})
}

// trade takes one trade of the market; false when it is a repeat (by id)
// and is dropped.
func (t *tracker) trade(tr feeds.Trade) bool {
	if tr.ID > 0 && t.lastID > 0 && tr.ID <= t.lastID {
		t.st.Duplicates++
		return false
	}
	t.st.Trades++
	pns := t.period * 1e9
	slot := frames.FloorTime(tr.Time, pns) / 1e9
	if !t.seen {
		t.seen = true
		from := t.start
		if from < 0 {
			from = slot - t.recent*t.period
		}
		// Everything before the first live bar comes from history; that
		// bar itself was joined in the middle.
		t.emitFetch(Range{min(from, slot), slot}, true, -1)
		t.next, t.dirty = slot, true
		t.s = newSampler(t.fqme, t.period, t.empty)
		t.s.Add(tr)
		t.lastID, t.lastTime, t.now = tr.ID, tr.Time, tr.Time
		return true
	}
	if slot < t.next {
		// Without ids nothing tells a late trade from a lost one: its bar,
		// already handed over, is fetched again.
		t.st.Late++
		t.emitFetch(Range{slot, slot + t.period}, false, slot)
		return true
	}
	missed := t.forced || (tr.ID > 0 && t.lastID > 0 && tr.ID > t.lastID+1) ||
		(t.suspect && (tr.ID == 0 || t.lastID == 0))
	t.suspect, t.forced = false, false
	switch {
	case missed:
		t.st.Gaps++
		// From the bar of the last trade seen to this one's, each may lack
		// trades: the closed ones come from history now (again, if a venue
		// bar closed the first), this one when it closes.
		lastSlot := frames.FloorTime(t.lastTime, pns) / 1e9
		t.emitFetch(Range{min(t.next, lastSlot), slot}, false, lastSlot)
		if t.ticks {
			t.jobs = append(t.jobs, job{missedTrades: Range{t.lastTime, tr.Time}})
		}
		t.next, t.dirty = slot, true
		t.s = newSampler(t.fqme, t.period, t.empty)
	case slot > t.next:
		t.closeUntil(slot)
	}
	t.s.Add(tr) // closes nothing: closeUntil did
	if tr.ID > 0 {
		t.lastID = tr.ID
	}
	t.lastTime = max(t.lastTime, tr.Time)
	t.now = max(t.now, tr.Time)
	return true
}

// closeUntil hands over the bars before slot (the forming one and, on a
// flat venue, the empty slots after it), the exchange's time having reached
// slot.
func (t *tracker) closeUntil(slot int64) {
	if slot <= t.next {
		return
	}
	evs := t.s.Advance(slot * 1e9)
	switch {
	case t.dirty:
		// An incomplete bar comes from history, and so do the empty slots
		// after it, whose flat bars need its true close; the sampler
		// starts afresh, not knowing that close.
		traded := int64(-1)
		if len(evs) > 0 && evs[0].Bar.Time == t.next && evs[0].Bar.Volume > 0 {
			traded = t.next
		}
		t.emitFetch(Range{t.next, slot}, false, traded)
		t.s = newSampler(t.fqme, t.period, t.empty)
		t.lastClose = math.NaN()
	case t.flat && len(evs) == 0:
		// Empty slots after a fresh start: their flat bars' price is the
		// history's.
		t.emitFetch(Range{t.next, slot}, false, -1)
	default:
		out := frames.New(t.period, len(evs))
		addEvents(out, evs)
		t.emitBars(out)
		if n := out.Len(); n > 0 {
			t.lastClose = out.Close[n-1]
		}
	}
	t.next, t.dirty = slot, false
}

// venueBar takes a bar the venue closed: the exchange's time has passed
// it, so it and the bars before it are closed. The venue's bar is the
// check of the one built from trades: if they differ, trades at its end
// went missing unseen, and it comes from history.
func (t *tracker) venueBar(b frames.Bar) {
	if !t.seen || b.Time < t.next {
		return
	}
	t.now = max(t.now, (b.Time+t.period)*1e9)
	t.closeUntil(b.Time)
	f, ok := frames.Bar{}, false
	if ev, forming := t.s.Forming(); forming {
		f, ok = ev.Bar, true
	} else if t.flat && !t.dirty && !math.IsNaN(t.lastClose) {
		// No trade seen: on a flat venue, its flat bar is expected.
		p := t.lastClose
		f, ok = frames.Bar{Time: b.Time, Open: p, High: p, Low: p, Close: p}, true
	}
	if !ok || !sameBar(f, b) {
		t.dirty = true
	}
	t.closeUntil(b.Time + t.period)
}

// sameBar compares prices exactly and volumes to a relative 1e-9: a venue
// sends its volume as a decimal, not as our sum of the trades' sizes.
func sameBar(a, b frames.Bar) bool {
	return a.Time == b.Time && a.Open == b.Open && a.High == b.High && a.Low == b.Low && a.Close == b.Close &&
		math.Abs(a.Volume-b.Volume) <= 1e-9*math.Max(math.Abs(a.Volume), math.Abs(b.Volume))
}

// disconnected notes that trades may be missing from the next one on.
func (t *tracker) disconnected() { t.suspect = true }

// tradeGap notes the feed saw trades go missing.
func (t *tracker) tradeGap() { t.forced = true }
