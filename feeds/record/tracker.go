package record

import (
	"math"

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
	trades  []feeds.Trade // raw ticks for the tick store
	quotes  []feeds.Quote
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

	seen     bool
	lastID   int64 // last trade id seen; 0 when the venue gives none
	lastTime int64 // exchange ns of the latest trade seen
	// suspect: the connection dropped since the last trade; forced: the
	// feed reported a trade gap. The next trade decides what was missed.
	suspect, forced bool

	b *barBuilder
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
func newTracker(fqme string, period, last, recent int64, flat bool) *tracker {
	t := &tracker{fqme: fqme, period: period, recent: recent, flat: flat, start: -1}
	if last >= 0 {
		t.start = last + period
	}
	t.st.FQME = fqme
	return t
}

// take returns the jobs made so far.
func (t *tracker) take() []job {
	j := t.jobs
	t.jobs = nil
	return j
}

func (t *tracker) emitFetch(r Range, catchUp bool) {
	if r.From >= r.To {
		return
	}
	t.st.Fetches++
	if n := len(t.jobs); n > 0 && t.jobs[n-1].bars == nil && t.jobs[n-1].trades == nil &&
		t.jobs[n-1].quotes == nil && t.jobs[n-1].fetch.To == r.From && !catchUp && !t.jobs[n-1].catchUp {
		t.jobs[n-1].fetch.To = r.To
		return
	}
	t.jobs = append(t.jobs, job{fetch: r, catchUp: catchUp})
}

func (t *tracker) emitBars(f *frames.OHLCV) {
	if f.Len() == 0 {
		return
	}
	if n := len(t.jobs); n > 0 && t.jobs[n-1].bars != nil {
		g := t.jobs[n-1].bars
		for i := range f.Len() {
			g.Add(f.Time[i], f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i])
		}
		return
	}
	t.jobs = append(t.jobs, job{bars: f})
}

// trade takes one trade of the market.
func (t *tracker) trade(tr feeds.Trade) bool {
	if tr.ID > 0 && t.lastID > 0 && tr.ID <= t.lastID {
		t.st.Duplicates++
		return false
	}
	t.st.Trades++
	pns := t.period * 1e9
	slot := floorTo(tr.Time, pns) / 1e9
	if !t.seen {
		t.seen = true
		from := t.start
		if from < 0 {
			from = slot - t.recent*t.period
		}
		// Everything before the first live bar comes from history; that
		// bar itself was joined in the middle.
		t.emitFetch(Range{min(from, slot), slot}, true)
		t.next, t.dirty = slot, true
		t.b = newBarBuilder(t.period, t.flat, math.NaN(), slot)
		t.b.add(tr, frames.New(t.period, 0))
		t.lastID, t.lastTime = tr.ID, tr.Time
		return true
	}
	if slot < t.next {
		// Without ids nothing tells a late trade from a lost one: its bar,
		// already handed over, is fetched again.
		t.st.Late++
		t.emitFetch(Range{slot, slot + t.period}, false)
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
		t.emitFetch(Range{min(t.next, floorTo(t.lastTime, pns)/1e9), slot}, false)
		t.next, t.dirty = slot, true
		t.b.restart(slot, math.NaN())
	case slot > t.next:
		t.closeUntil(slot)
	}
	t.b.add(tr, frames.New(t.period, 0))
	if tr.ID > 0 {
		t.lastID = tr.ID
	}
	t.lastTime = max(t.lastTime, tr.Time)
	return true
}

// closeUntil hands over the bars before slot (the forming one and, on a
// flat venue, the empty slots after it), the exchange's time having reached
// slot.
func (t *tracker) closeUntil(slot int64) {
	if slot <= t.next {
		return
	}
	if t.dirty {
		// An incomplete bar comes from history, and so do the empty slots
		// after it, whose flat bars need its true close.
		t.emitFetch(Range{t.next, slot}, false)
		t.b.restart(slot, math.NaN())
	} else {
		out := frames.New(t.period, 0)
		t.b.closeUntil(slot, out)
		t.emitBars(out)
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
	t.closeUntil(b.Time)
	f, ok := t.b.forming()
	if !ok {
		// No trade seen: on a flat venue, its flat bar is expected.
		p := t.b.prev
		f = frames.Bar{Time: b.Time, Open: p, High: p, Low: p, Close: p}
		ok = t.flat && !t.dirty
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
