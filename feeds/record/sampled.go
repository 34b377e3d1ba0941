package record

import (
	"math"

	"workbench/feeds"
	"workbench/frames"
)

// newSampler is feeds.NewSampler for a period and rule checked before.
func newSampler(fqme string, period int64, empty feeds.EmptyBars) *feeds.Sampler {
	s, err := feeds.NewSampler(fqme, period, empty)
	if err != nil {
		panic(err) // NewRecorder and History check period and rule first
	}
	return s
}

// addEvents appends the sampler's closed bars to out.
func addEvents(out *frames.OHLCV, evs []feeds.BarEvent) {
	for _, ev := range evs {
		b := ev.Bar
		out.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
	}
}

// addFlat appends flat bars at close for the slots [from, to); none when
// close is unknown.
func addFlat(out *frames.OHLCV, from, to, period int64, close float64) {
	if math.IsNaN(close) {
		return
	}
	for s := from; s < to; s += period {
		out.Add(s, close, close, close, close, 0)
	}
}

// appendRows appends src's bars to dst and returns dst.
func appendRows(dst, src *frames.OHLCV) *frames.OHLCV {
	for i := range src.Len() {
		dst.Add(src.Time[i], src.Open[i], src.High[i], src.Low[i], src.Close[i], src.Volume[i])
	}
	return dst
}
