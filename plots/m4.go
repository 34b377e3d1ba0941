// Package plots draws market charts: panes of candles, bars, lines, steps,
// histograms, markers and levels sharing one time axis; overlays of several
// markets scaled so equal percentage moves look equal (piker's pin-to-curve
// log-linear scaling); export to PNG, SVG and PDF; and a live browser window.
//
// Every series is reduced with M4 to the pixel width before it is drawn, so a
// chart of millions of points costs about as much as one of a few thousand.
package plots

import "math"

// M4Bins is the M4 reduction of one series: for every non-empty pixel column
// (a bin of width uppx x units) the first, minimum, maximum and last value and
// the indices in the source where they occur. Empty columns produce no bin.
//
// The zero value is ready to use; Reduce reuses its slices, so a caller that
// keeps one M4Bins per series allocates nothing once the slices have grown.
type M4Bins struct {
	X                      []float64 // left edge of each bin, in x units
	First, Min, Max, Last  []float64
	IFirst, IMin, IMax, IL []int // source indices of First, Min, Max and Last
	// YMin and YMax span every point reduced, a lone point in its own bin
	// included (piker left single-point bins out of its auto-range).
	YMin, YMax float64
}

// Len is the number of bins.
func (b *M4Bins) Len() int { return len(b.X) }

// M4 reduces (x, y) into bins of width uppx starting at x[0]. x must be
// ascending. It returns an empty reduction for empty input.
func M4(x, y []float64, uppx float64) *M4Bins {
	b := &M4Bins{}
	if len(x) > 0 {
		b.Reduce(x, y, x[0], uppx)
	}
	return b
}

// Reduce replaces b's content with the M4 reduction of (x, y) in bins
// [x0+k*uppx, x0+(k+1)*uppx). Points left of x0 fall into bin 0, so a caller
// can pass the left edge of its view. x must be ascending and len(y) >= len(x);
// NaN values of y are skipped (a bin with only NaNs is empty). uppx must be
// positive; callers draw raw points when uppx <= 1 (nothing to gain).
//
// The work is one pass over the points with no allocation per point. Bins
// are computed from x by division, not by advancing an edge, so an x range
// that is an exact multiple of uppx gets its last bin (piker wrote past its
// buffers there), and a bin whose edge is 0 is kept (piker filtered x != 0).
func (b *M4Bins) Reduce(x, y []float64, x0, uppx float64) { reduceM4(b, x, y, x0, uppx) }

// ReduceTimes is Reduce with x given as epoch seconds, saving the caller a
// float copy of a time column.
func (b *M4Bins) ReduceTimes(t []int64, y []float64, x0, uppx float64) {
	reduceM4(b, t, y, x0, uppx)
}

func reduceM4[X int64 | float64](b *M4Bins, x []X, y []float64, x0, uppx float64) {
	b.X, b.First, b.Min, b.Max, b.Last = b.X[:0], b.First[:0], b.Min[:0], b.Max[:0], b.Last[:0]
	b.IFirst, b.IMin, b.IMax, b.IL = b.IFirst[:0], b.IMin[:0], b.IMax[:0], b.IL[:0]
	b.YMin, b.YMax = math.Inf(1), math.Inf(-1)
	if uppx <= 0 || math.IsNaN(uppx) {
		return
	}
	inv := 1 / uppx
	cur := int64(math.MinInt64)
	n := -1 // index of the open bin in the output
	for i, xi := range x {
		v := y[i]
		if v != v { // NaN
			continue
		}
		k := int64(math.Floor((float64(xi) - x0) * inv))
		if k < 0 {
			k = 0
		}
		if k != cur {
			cur = k
			b.X = append(b.X, x0+float64(k)*uppx)
			b.First = append(b.First, v)
			b.Min = append(b.Min, v)
			b.Max = append(b.Max, v)
			b.Last = append(b.Last, v)
			b.IFirst = append(b.IFirst, i)
			b.IMin = append(b.IMin, i)
			b.IMax = append(b.IMax, i)
			b.IL = append(b.IL, i)
			n++
		} else {
			if v < b.Min[n] {
				b.Min[n], b.IMin[n] = v, i
			}
			if v > b.Max[n] {
				b.Max[n], b.IMax[n] = v, i
			}
			b.Last[n], b.IL[n] = v, i
		}
		if v < b.YMin {
			b.YMin = v
		}
		if v > b.YMax {
			b.YMax = v
		}
	}
}

// Flatten appends the points of each bin to xs and ys as piker draws them:
// (L-spacer, first), (L, min), (L, max), (L+spacer, last).
func (b *M4Bins) Flatten(spacer float64, xs, ys []float64) ([]float64, []float64) {
	for k, l := range b.X {
		xs = append(xs, l-spacer, l, l, l+spacer)
		ys = append(ys, b.First[k], b.Min[k], b.Max[k], b.Last[k])
	}
	return xs, ys
}

// Points appends the source points each bin keeps (first, min, max and last
// at their own x, in source order, each once) to xs and ys. A polyline through
// them covers the same pixels as one through every source point when the bins
// are no wider than a pixel column.
func (b *M4Bins) Points(x []float64, xs, ys []float64) ([]float64, []float64) {
	return points(b, x, xs, ys)
}

// PointsTimes is Points for bins made by ReduceTimes.
func (b *M4Bins) PointsTimes(t []int64, xs, ys []float64) ([]float64, []float64) {
	return points(b, t, xs, ys)
}

func points[X int64 | float64](b *M4Bins, x []X, xs, ys []float64) ([]float64, []float64) {
	for k := range b.X {
		i0, i1, i2, i3 := b.IFirst[k], b.IMin[k], b.IMax[k], b.IL[k]
		v1, v2 := b.Min[k], b.Max[k]
		if i2 < i1 {
			i1, i2, v1, v2 = i2, i1, v2, v1
		}
		xs = append(xs, float64(x[i0]))
		ys = append(ys, b.First[k])
		if i1 != i0 {
			xs = append(xs, float64(x[i1]))
			ys = append(ys, v1)
		}
		if i2 != i1 && i2 != i0 {
			xs = append(xs, float64(x[i2]))
			ys = append(ys, v2)
		}
		if i3 != i2 && i3 != i1 && i3 != i0 {
			xs = append(xs, float64(x[i3]))
			ys = append(ys, b.Last[k])
		}
	}
	return xs, ys
}
