package feeds

import (
	"fmt"

	"workbench/frames"
)

// Sampler turns one market's trades into bars of a fixed period, bucketed by
// the trades' exchange time. It is a pure state machine: it never reads a
// clock and never sleeps, so a feed running faster or slower than the wall
// clock (a replay at 100×, a venue's clock in a test) closes the same bars.
// A bar closes when a trade for a later bucket arrives or when Advance is
// told the exchange's time has passed its end (a quiet market).
//
// Trades may arrive out of order within the forming bar: open and close are
// the prices of the earliest and latest trade by (exchange time, trade id),
// not by arrival. A trade for a bucket that has already closed is counted
// (Late) and dropped: a closed bar is never revised. A trade whose id was
// seen before is counted (Duplicates) and dropped.
//
// The returned slices reuse one buffer: they are valid until the next call.
// Not safe for concurrent use.
type Sampler struct {
	fqme   string
	period int64 // s
	pns    int64 // period in ns
	empty  EmptyBars

	// The forming bar, if forming: bucket [start, start+pns) in ns.
	forming    bool
	start, end int64
	bar        frames.Bar
	openT      int64 // exchange time and id of the trade that set open
	openID     int64
	closeT     int64 // ... and close
	closeID    int64
	recv       int64

	// next is the start (ns) of the first bucket not yet closed: trades
	// before it are late. valid is false until the first trade or Advance.
	next  int64
	valid bool
	// last is the close of the last closed bar, the price of a flat bar.
	last    float64
	hasLast bool

	seen idWindow

	late, dups, bad int64
	out             []BarEvent
}

// NewSampler returns a sampler of fqme's trades into bars of period
// seconds, with empty buckets handled as empty says.
func NewSampler(fqme string, period int64, empty EmptyBars) (*Sampler, error) {
	if period <= 0 {
		return nil, fmt.Errorf("sampler %s: period %d s: want a positive number of seconds", fqme, period)
	}
	if empty != NoBar && empty != FlatBar {
		return nil, fmt.Errorf("sampler %s: unknown empty-bar rule %d", fqme, empty)
	}
	return &Sampler{fqme: fqme, period: period, pns: period * 1e9, empty: empty}, nil
}

// Late is the number of trades dropped because their bar had closed.
func (s *Sampler) Late() int64 { return s.late }

// Duplicates is the number of trades dropped because their id was seen.
func (s *Sampler) Duplicates() int64 { return s.dups }

// Rejected is the number of trades dropped for a price that is not a
// positive number.
func (s *Sampler) Rejected() int64 { return s.bad }

// Period is the bar period in seconds.
func (s *Sampler) Period() int64 { return s.period }

// Add applies one trade and returns the bars it closed, oldest first
// (usually none; with FlatBar, flat bars for the empty buckets a jump in
// time leaves behind). The trade's FQME is not looked at: a sampler serves
// one market.
func (s *Sampler) Add(t Trade) []BarEvent {
	s.out = s.out[:0]
	if !(t.Price > 0) || t.Price > maxPrice {
		s.bad++
		return nil
	}
	if t.ID != 0 && !s.seen.add(t.ID) {
		s.dups++
		return nil
	}
	size := t.Size
	if !(size > 0) {
		size = 0 // unknown size: the trade moves the price, not the volume
	}
	if s.forming && t.Time >= s.start && t.Time < s.end {
		s.revise(t, size)
		return nil
	}
	if s.valid && t.Time < s.next {
		s.late++
		return nil
	}
	start := floorDiv(t.Time, s.pns) * s.pns
	s.closeUpTo(start)
	s.forming, s.valid = true, true
	s.start, s.end, s.next = start, start+s.pns, start
	s.bar = frames.Bar{Time: start / 1e9, Open: t.Price, High: t.Price, Low: t.Price, Close: t.Price, Volume: size}
	s.openT, s.openID, s.closeT, s.closeID = t.Time, t.ID, t.Time, t.ID
	s.recv = t.Recv
	if len(s.out) == 0 {
		return nil
	}
	return s.out
}

// maxPrice rejects prices no market has (a decoding error, +Inf).
const maxPrice = 1e15

func (s *Sampler) revise(t Trade, size float64) {
	b := &s.bar
	if t.Price > b.High {
		b.High = t.Price
	}
	if t.Price < b.Low {
		b.Low = t.Price
	}
	b.Volume += size
	if t.Time < s.openT || (t.Time == s.openT && t.ID != 0 && t.ID < s.openID) {
		b.Open, s.openT, s.openID = t.Price, t.Time, t.ID
	}
	if t.Time > s.closeT || (t.Time == s.closeT && (t.ID == 0 || s.closeID == 0 || t.ID >= s.closeID)) {
		b.Close, s.closeT, s.closeID = t.Price, t.Time, t.ID
	}
	if t.Recv > s.recv {
		s.recv = t.Recv
	}
}

// Advance tells the sampler the exchange's time is now (epoch ns): the
// forming bar closes once now reaches its end, and with FlatBar every
// bucket that ended by now without trades gives a flat bar. Trades for
// buckets that ended by now are late from then on, so a caller driving
// Advance from its own clock passes that clock minus the latency it allows.
func (s *Sampler) Advance(now int64) []BarEvent {
	s.out = s.out[:0]
	cur := floorDiv(now, s.pns) * s.pns // the bucket now is in: still open
	if !s.valid || cur <= s.next {
		return nil
	}
	s.closeUpTo(cur)
	s.next = cur
	if len(s.out) == 0 {
		return nil
	}
	return s.out
}

// Flush closes the forming bar (at the end of a replay) and returns it.
func (s *Sampler) Flush() []BarEvent {
	s.out = s.out[:0]
	if !s.forming {
		return nil
	}
	s.closeUpTo(s.end)
	s.next = s.end
	return s.out
}

// Forming returns the bar being built, with Forming set, if there is one.
func (s *Sampler) Forming() (BarEvent, bool) {
	if !s.forming {
		return BarEvent{}, false
	}
	ev := s.event(s.bar, s.recv)
	ev.Forming = true
	return ev, true
}

// closeUpTo closes the forming bar and, with FlatBar, fills the empty
// buckets from there up to (not including) the one starting at start.
func (s *Sampler) closeUpTo(start int64) {
	from := s.next
	if s.forming {
		s.out = append(s.out, s.event(s.bar, s.recv))
		s.last, s.hasLast = s.bar.Close, true
		s.forming = false
		from = s.end
	}
	if s.empty != FlatBar || !s.hasLast {
		return
	}
	p := s.last
	for t := from; t < start; t += s.pns {
		s.out = append(s.out, s.event(frames.Bar{Time: t / 1e9, Open: p, High: p, Low: p, Close: p}, 0))
	}
}

func (s *Sampler) event(b frames.Bar, recv int64) BarEvent {
	return BarEvent{Time: b.Time*1e9 + s.pns, FQME: s.fqme, Period: s.period, Bar: b, Index: -1, Recv: recv}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// idWindow remembers which of the most recent trade ids were seen, as a
// ring of bits below the highest id: venues number trades consecutively, so
// a duplicate is always close behind the newest. Ids older than the window
// cannot be checked and are let through.
type idWindow struct {
	bits [idWindowBits / 64]uint64
	max  int64 // highest id seen; 0: none
}

const idWindowBits = 1 << 16

// add records id and reports whether it is new.
func (w *idWindow) add(id int64) bool {
	switch {
	case w.max == 0:
		w.max = id
	case id > w.max:
		if id-w.max >= idWindowBits {
			w.bits = [idWindowBits / 64]uint64{}
		} else {
			for i := w.max + 1; i < id; i++ {
				w.clear(i)
			}
		}
		w.max = id
	case w.max-id >= idWindowBits:
		return true
	default:
		k := uint64(id) % idWindowBits
		if w.bits[k/64]&(1<<(k%64)) != 0 {
			return false
		}
	}
	k := uint64(id) % idWindowBits
	w.bits[k/64] |= 1 << (k % 64)
	return true
}

func (w *idWindow) clear(id int64) {
	k := uint64(id) % idWindowBits
	w.bits[k/64] &^= 1 << (k % 64)
}
