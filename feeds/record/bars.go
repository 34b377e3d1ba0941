package record

import (
	"math"

	"workbench/feeds"
	"workbench/frames"
)

// barBuilder turns trades, in exchange-time order, into bars of one period
// bucketed by exchange time, under a venue's empty-bar rule.
//
// SEAM: feeds.Sampler (written in parallel) is the shared trades-to-bars
// sampler; this is the minimal bucketing the recorder needs until it is
// merged, to be replaced by it.
type barBuilder struct {
	period, pns int64
	flat        bool
	has         bool       // bar holds the forming bar's trades
	bar         frames.Bar // the forming bar; Time is its open
	prev        float64    // close of the last bar; NaN before any
	next        int64      // the first slot not yet written
}

// newBarBuilder starts at slot from; prevClose is the close before it (NaN
// when unknown: no flat bars until the first trade).
func newBarBuilder(period int64, flat bool, prevClose float64, from int64) *barBuilder {
	return &barBuilder{period: period, pns: period * 1e9, flat: flat, prev: prevClose, next: from}
}

// bucket is the open (epoch s) of the bar an exchange time falls in.
func (b *barBuilder) bucket(ns int64) int64 { return floorTo(ns, b.pns) / 1e9 }

// add puts tr into the forming bar, first closing it into out (with the flat
// bars of the empty slots after it) when tr opens a later one. Trades of an
// earlier bar than the forming one must not be given.
func (b *barBuilder) add(tr feeds.Trade, out *frames.OHLCV) {
	t := b.bucket(tr.Time)
	if b.has && t != b.bar.Time {
		b.closeUntil(t, out)
	}
	if !b.has {
		b.closeUntil(t, out)
		b.has = true
		b.bar = frames.Bar{Time: t, Open: tr.Price, High: tr.Price, Low: tr.Price, Close: tr.Price}
	}
	b.bar.High = math.Max(b.bar.High, tr.Price)
	b.bar.Low = math.Min(b.bar.Low, tr.Price)
	b.bar.Close = tr.Price
	if tr.Size > 0 {
		b.bar.Volume += tr.Size
	}
}

// closeUntil closes the forming bar and, on a flat venue, writes flat bars
// for the empty slots up to (not including) the slot opening at t.
func (b *barBuilder) closeUntil(t int64, out *frames.OHLCV) {
	if b.has {
		if b.bar.Time >= t {
			return
		}
		out.Add(b.bar.Time, b.bar.Open, b.bar.High, b.bar.Low, b.bar.Close, b.bar.Volume)
		b.prev = b.bar.Close
		b.next = b.bar.Time + b.period
		b.has = false
	}
	for ; b.next < t; b.next += b.period {
		if b.flat && !math.IsNaN(b.prev) {
			out.Add(b.next, b.prev, b.prev, b.prev, b.prev, 0)
		}
	}
}

// forming is the bar being built, if it has any trade.
func (b *barBuilder) forming() (frames.Bar, bool) { return b.bar, b.has }

// restart forgets the forming bar and goes on at slot from with prevClose
// as the last close (its trades are to be had again, or came from
// elsewhere).
func (b *barBuilder) restart(from int64, prevClose float64) {
	b.has, b.next, b.prev = false, from, prevClose
}
