package paper

import (
	"fmt"
	"math"
	"time"

	"workbench/feeds"
	"workbench/frames"
	"workbench/mkt"
)

// maxTicks is the largest price, in ticks, the engine represents: 2^53,
// the largest count a float64 holds exactly, so that a price turns into
// whole ticks and an int64 without rounding or overflow. A market without a
// tick has the same bound in units.
const maxTicks = 1 << 53

// priceLimit is the largest price the engine represents in market p.
func priceLimit(p mkt.MktPair) float64 {
	if t := decFloat(p.PriceTick); t > 0 {
		return maxTicks * t
	}
	return maxTicks
}

// BarError is a bar that nothing may trade on: a price or volume that is
// not finite, a price that is not positive or beyond what the market's
// ticks represent, a high or low that does not bound the bar, or a time out
// of order.
type BarError struct {
	FQME    string
	Time    int64 // the bar's open, epoch s
	Field   string
	Problem string
}

func (e *BarError) Error() string {
	return fmt.Sprintf("%s bar %s: field %s: %s", e.FQME, time.Unix(e.Time, 0).UTC().Format(time.RFC3339), e.Field, e.Problem)
}

// checkBar is b's first problem by frames' rules for a bar and the
// market's price range (maxPx), or nil.
func checkBar(fqme string, b frames.Bar, maxPx float64) *BarError {
	if b.Valid() && b.High <= maxPx {
		return nil
	}
	if p := b.Problems(0, nil); len(p) > 0 {
		return &BarError{FQME: fqme, Time: b.Time, Field: p[0].Field, Problem: p[0].Problem}
	}
	for _, f := range [...]struct {
		name string
		v    float64
	}{{"open", b.Open}, {"high", b.High}, {"low", b.Low}, {"close", b.Close}} {
		if f.v > maxPx {
			return &BarError{FQME: fqme, Time: b.Time, Field: f.name, Problem: priceProblem(f.v, maxPx)}
		}
	}
	return nil
}

// maxSkippedKept bounds the skipped bars a Result lists (it counts them all).
const maxSkippedKept = 100

// checkSeries validates a backtest's bars of one market before anything
// trades on them. Valid bars come back as they are. Otherwise, without skip
// the first problem is the error; with skip the bars come back without the
// invalid ones (and those out of time order), which are listed.
func checkSeries(fqme string, f *frames.OHLCV, maxPx float64, skip bool) (*frames.OHLCV, []BarError, int, error) {
	errs := f.Validate()
	if len(errs) > 0 && errs[0].Row < 0 {
		return nil, nil, 0, fmt.Errorf("%s bars: %w", fqme, errs[0])
	}
	if errs == nil && below(f.High, maxPx) {
		return f, nil, 0, nil
	}
	out := frames.New(f.Period, f.Len())
	var listed []BarError
	skipped := 0
	last := int64(0)
	for i := range f.Time {
		b := f.At(i)
		e := checkBar(fqme, b, maxPx)
		if e == nil && out.Len() > 0 && b.Time <= last {
			e = &BarError{FQME: fqme, Time: b.Time, Field: "time",
				Problem: fmt.Sprintf("not after the previous bar's %s", time.Unix(last, 0).UTC().Format(time.RFC3339))}
		}
		if e == nil {
			out.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
			last = b.Time
			continue
		}
		if !skip {
			return nil, nil, 0, e
		}
		skipped++
		if len(listed) < maxSkippedKept {
			listed = append(listed, *e)
		}
	}
	return out, listed, skipped, nil
}

// below reports whether every x is at most limit.
func below(xs []float64, limit float64) bool {
	for _, x := range xs {
		if x > limit {
			return false
		}
	}
	return true
}

// TickError is a quote or trade nothing may trade on, named by market,
// time and field.
type TickError struct {
	FQME    string
	Time    int64 // epoch ns
	Field   string
	Problem string
}

func (e *TickError) Error() string {
	return fmt.Sprintf("%s at %s: field %s: %s", e.FQME, time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano), e.Field, e.Problem)
}

// checkQuote refuses a quote whose bid or ask is not finite or beyond the
// market's price range; a side ≤ 0 means that side has no price. Sizes
// that are not finite and positive mean "not displayed".
func checkQuote(q feeds.Quote, maxPx float64) error {
	for _, f := range [...]struct {
		name string
		v    float64
	}{{"bid", q.Bid}, {"ask", q.Ask}} {
		if !(f.v <= maxPx) {
			return &TickError{FQME: q.FQME, Time: q.Time, Field: f.name, Problem: priceProblem(f.v, maxPx)}
		}
	}
	return nil
}

// checkTrade refuses a print whose price is not finite, not positive or
// beyond the market's price range, or whose size is not a finite number.
func checkTrade(t feeds.Trade, maxPx float64) error {
	if !(t.Price > 0 && t.Price <= maxPx) {
		return &TickError{FQME: t.FQME, Time: t.Time, Field: "price", Problem: priceProblem(t.Price, maxPx)}
	}
	if math.IsNaN(t.Size) || math.IsInf(t.Size, 0) {
		return &TickError{FQME: t.FQME, Time: t.Time, Field: "size", Problem: fmt.Sprintf("%g is not a finite number", t.Size)}
	}
	return nil
}

// priceProblem words why x is not a price the engine trades at.
func priceProblem(x, maxPx float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return fmt.Sprintf("%g is not a finite number", x)
	case x <= 0:
		return fmt.Sprintf("price %g is not positive", x)
	}
	return fmt.Sprintf("price %g is beyond the %g the market's ticks represent", x, maxPx)
}
