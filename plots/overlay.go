package plots

import (
	"fmt"
	"math"
	"sort"

	"workbench/frames"
)

// Overlay methods, after piker's view modes.
const (
	// OverlayPin is piker's loglin_ref_to_curve: the curve with the largest
	// dispersion in view is the major and every other curve is pinned to it
	// at their first common timestamp, so equal percentage moves from the pin
	// are drawn at equal heights.
	OverlayPin = "pin"
	// OverlayFirst is piker's loglin_ref_to_first: every curve gets the same
	// percentage range around its own first value in view.
	OverlayFirst = "first"
	// OverlayNone ranges every curve on its own extremes.
	OverlayNone = "none"
)

// RangeMargin is the share of a range added above and below it when a view
// is set (piker's range_margin).
const RangeMargin = 0.06

// OverlayCurve is one market or line in an overlay. Ref is the value a pin
// reads at a timestamp (the open for bars, the value itself for a line); Low
// and High are each row's extremes. All four slices have the same length and
// Time ascends.
type OverlayCurve struct {
	Name      string
	Time      []int64
	Ref       []float64
	Low, High []float64
}

// CurveFromBars makes an overlay curve of a bar series (pins read the open).
func CurveFromBars(name string, f *frames.OHLCV) OverlayCurve {
	return OverlayCurve{Name: name, Time: f.Time, Ref: f.Open, Low: f.Low, High: f.High}
}

// CurveFromLine makes an overlay curve of a line.
func CurveFromLine(name string, t []int64, y []float64) OverlayCurve {
	return OverlayCurve{Name: name, Time: t, Ref: y, Low: y, High: y}
}

// CurveRange is what an overlay decided for one curve.
type CurveRange struct {
	Name  string `json:"name"`
	Major bool   `json:"major,omitempty"`
	// Pinned is false for a curve left on its own range: no rows in view, a
	// non-positive reference value, or no timestamp in common with the major.
	Pinned  bool    `json:"pinned"`
	Rows    int     `json:"rows"`     // rows in view
	PinTime int64   `json:"pin_time"` // epoch seconds of the reference row
	Pin     float64 `json:"pin"`      // the curve's reference value at PinTime
	Low     float64 `json:"low"`      // the curve's own extremes in view
	High    float64 `json:"high"`
	// Min and Max are the y range the curve is drawn on, before the margin;
	// ViewMin and ViewMax include it (what the axis shows).
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	ViewMin float64 `json:"view_min"`
	ViewMax float64 `json:"view_max"`
	// Dispersion is (High-Low)/Pin measured at the curve's first row in view.
	Dispersion float64 `json:"dispersion"`
}

// OverlayRanges is the result of Overlay: one CurveRange per input curve, in
// input order, and the shared percent axis of cumulative log returns.
type OverlayRanges struct {
	Method string       `json:"method"`
	From   int64        `json:"from"`
	To     int64        `json:"to"`
	Major  string       `json:"major"`
	Curves []CurveRange `json:"curves"`
	// ReturnMinPct and ReturnMaxPct span every curve's cumulative log return
	// from its pin, 100*ln(y/pin), over the view: one axis for all curves.
	ReturnMinPct float64 `json:"return_min_pct"`
	ReturnMaxPct float64 `json:"return_max_pct"`
}

// Margin widens a range the way piker's _set_yrange does: d = hi-lo; the low
// end moves down by RangeMargin*d but never below 0, the high end up by
// RangeMargin*d but never beyond hi*(1+RangeMargin).
func Margin(lo, hi float64) (float64, float64) {
	d := hi - lo
	return math.Max(lo-RangeMargin*d, 0), math.Min(hi+RangeMargin*d, hi*(1+RangeMargin))
}

// Dispersion returns the up and down moves of a range from a reference:
// ((ymx-yref)/yref, (ymn-yref)/yref). Their difference is piker's "full"
// dispersion.
func Dispersion(ymn, ymx, yref float64) (up, down float64) {
	return (ymx - yref) / yref, (ymn - yref) / yref
}

// LogReturns writes 100*ln(y[i]/ref) into dst (grown as needed) and returns
// it: cumulative log returns from a reference value, in percent.
func LogReturns(y []float64, ref float64, dst []float64) []float64 {
	dst = dst[:0]
	for _, v := range y {
		dst = append(dst, 100*math.Log(v/ref))
	}
	return dst
}

type overlayCurve struct {
	c      *OverlayCurve
	i0, i1 int // rows in view [i0, i1)
	out    *CurveRange
	// for pinned minors: the major's reference value at this curve's pin
	majorRef float64
}

// Overlay computes the y range of every curve over the view [from, to)
// (from == to == 0: all rows) with one of OverlayPin, OverlayFirst or
// OverlayNone. It is pure: the result depends only on its arguments.
//
// Pinning follows piker's loglin_ref_to_curve with one change: a curve that
// starts later than the major (or the other way round) is pinned at the first
// timestamp both have at or after the later start, reading both curves there;
// piker read the earlier-starting curve one row too early.
func Overlay(curves []OverlayCurve, method string, from, to int64) (*OverlayRanges, error) {
	switch method {
	case OverlayPin, OverlayFirst, OverlayNone:
	case "":
		method = OverlayPin
	default:
		return nil, fmt.Errorf("overlay method %q: want pin, first or none", method)
	}
	res := &OverlayRanges{Method: method, From: from, To: to, Curves: make([]CurveRange, len(curves))}
	all := from == 0 && to == 0
	cs := make([]overlayCurve, len(curves))
	var live []*overlayCurve // curves with rows in view and a positive reference
	for k := range curves {
		c := &curves[k]
		if len(c.Ref) != len(c.Time) || len(c.Low) != len(c.Time) || len(c.High) != len(c.Time) {
			return nil, fmt.Errorf("overlay curve %q: %d times but %d refs, %d lows, %d highs",
				c.Name, len(c.Time), len(c.Ref), len(c.Low), len(c.High))
		}
		i0, i1 := 0, len(c.Time)
		if !all {
			i0 = sort.Search(len(c.Time), func(i int) bool { return c.Time[i] >= from })
			i1 = i0 + sort.Search(len(c.Time)-i0, func(i int) bool { return c.Time[i0+i] >= to })
		}
		o := &res.Curves[k]
		*o = CurveRange{Name: c.Name, Rows: i1 - i0}
		// A line's leading NaNs (an indicator's lookback) are not there yet.
		for i0 < i1 && c.Ref[i0] != c.Ref[i0] {
			i0++
		}
		cs[k] = overlayCurve{c: c, i0: i0, i1: i1, out: o}
		if i1 <= i0 {
			continue
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := i0; i < i1; i++ {
			if v := c.Low[i]; v < lo {
				lo = v
			}
			if v := c.High[i]; v > hi {
				hi = v
			}
		}
		o.Low, o.High, o.Min, o.Max = lo, hi, lo, hi
		o.Pin, o.PinTime = c.Ref[i0], c.Time[i0]
		if o.Pin > 0 {
			o.Dispersion = (hi - lo) / o.Pin
			live = append(live, &cs[k])
		}
	}
	if len(live) > 0 {
		switch method {
		case OverlayPin:
			pinToMajor(live)
		case OverlayFirst:
			up, dn := 0.0, 0.0
			for _, c := range live {
				u, d := Dispersion(c.out.Low, c.out.High, c.out.Pin)
				up, dn = math.Max(up, u), math.Min(dn, d)
			}
			for _, c := range live {
				c.out.Min, c.out.Max, c.out.Pinned = c.out.Pin*(1+dn), c.out.Pin*(1+up), true
			}
		}
		major := live[0]
		for _, c := range live[1:] {
			if c.out.Dispersion > major.out.Dispersion {
				major = c
			}
		}
		if method != OverlayNone {
			major.out.Major = true
			res.Major = major.out.Name
		}
		first := true
		for _, c := range live {
			if !(c.out.Low > 0) {
				continue // no log return through zero or below
			}
			lo, hi := 100*math.Log(c.out.Low/c.out.Pin), 100*math.Log(c.out.High/c.out.Pin)
			if first {
				res.ReturnMinPct, res.ReturnMaxPct, first = lo, hi, false
			}
			res.ReturnMinPct, res.ReturnMaxPct = math.Min(res.ReturnMinPct, lo), math.Max(res.ReturnMaxPct, hi)
		}
	}
	for k := range res.Curves {
		o := &res.Curves[k]
		o.ViewMin, o.ViewMax = Margin(o.Min, o.Max)
	}
	return res, nil
}

// pinToMajor runs loglin_ref_to_curve over curves that all have rows in view
// and a positive first value.
func pinToMajor(live []*overlayCurve) {
	order := append([]*overlayCurve(nil), live...)
	sort.SliceStable(order, func(i, j int) bool { return order[i].out.Dispersion > order[j].out.Dispersion })
	major, minors := order[0], order[1:]
	major.out.Pinned = true
	mxLo, mxHi := major.out.Low, major.out.High
	var scaled []*overlayCurve
	for _, m := range minors {
		im, ic, ok := firstCommon(major, m)
		if !ok {
			continue
		}
		yref, ymref := m.c.Ref[ic], major.c.Ref[im]
		if yref <= 0 {
			continue
		}
		m.out.Pin, m.out.PinTime, m.majorRef = yref, m.c.Time[ic], ymref
		rUp, rDn := Dispersion(mxLo, mxHi, ymref)
		ymn, ymx := yref*(1+rDn), yref*(1+rUp)
		if ymn >= m.out.Low {
			// The minor's own low needs more room than the major's range gives:
			// widen the major and every minor already pinned to it.
			ymn = m.out.Low
			mxLo = ymref * (1 + (m.out.Low-yref)/yref)
			for _, s := range scaled {
				s.out.Min = s.out.Pin * (1 + (mxLo-s.majorRef)/s.majorRef)
			}
		}
		if ymx <= m.out.High {
			ymx = m.out.High
			mxHi = ymref * (1 + (m.out.High-yref)/yref)
			for _, s := range scaled {
				s.out.Max = s.out.Pin * (1 + (mxHi-s.majorRef)/s.majorRef)
			}
		}
		m.out.Min, m.out.Max, m.out.Pinned = ymn, ymx, true
		scaled = append(scaled, m)
	}
	major.out.Min, major.out.Max = mxLo, mxHi
}

// firstCommon finds the first timestamp in both curves' views at or after
// the later of their first rows; it returns its row in a and in b.
func firstCommon(a, b *overlayCurve) (ia, ib int, ok bool) {
	ia, ib = a.i0, b.i0
	for ia < a.i1 && ib < b.i1 {
		ta, tb := a.c.Time[ia], b.c.Time[ib]
		switch {
		case ta == tb:
			return ia, ib, true
		case ta < tb:
			ia += sort.Search(a.i1-ia, func(i int) bool { return a.c.Time[ia+i] >= tb })
		default:
			ib += sort.Search(b.i1-ib, func(i int) bool { return b.c.Time[ib+i] >= ta })
		}
	}
	return 0, 0, false
}
