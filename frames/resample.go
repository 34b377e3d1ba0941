package frames

import "fmt"

// Resample aggregates the series into bars of a coarser period. Buckets are
// aligned to the epoch (a bar's bucket opens at t - t mod period, so daily
// bars open at 00:00 UTC); each output bar takes the first open, the highest
// high, the lowest low, the last close and the summed volume of the bars in
// its bucket. A NaN in a bucket makes that bucket's aggregate NaN. Buckets
// without input bars produce no output bar: gaps stay gaps.
//
// The target must be a positive multiple of the series' period (detected
// from the data when Period is 0), and time must be strictly ascending.
func (f *OHLCV) Resample(period int64) (*OHLCV, error) {
	if period <= 0 {
		return nil, fmt.Errorf("resample: target period %d is not positive", period)
	}
	if err := f.checkColumns(); err != nil {
		return nil, fmt.Errorf("resample: %w", err)
	}
	src := f.Period
	if src == 0 {
		src = DetectPeriod(f.Time)
	}
	if src > 0 && period%src != 0 {
		return nil, fmt.Errorf("resample: target period %s is not a multiple of the series' period %s",
			FormatPeriod(period), FormatPeriod(src))
	}
	n := f.Len()
	out := New(period, n/int(period/max(src, 1))+2)
	if n == 0 {
		return out, nil
	}
	ts, op, hi, lo, cl, vo := f.Time, f.Open, f.High, f.Low, f.Close, f.Volume
	bucket := FloorTime(ts[0], period)
	b := bucketBar{op[0], hi[0], lo[0], cl[0], vo[0]}
	for i := 1; i < n; i++ {
		t := ts[i]
		if t <= ts[i-1] {
			return nil, fmt.Errorf("resample: row %d: time %d is not after the previous bar's %d (sort or merge first)", i, t, ts[i-1])
		}
		if t-bucket >= period {
			out.Add(bucket, b.o, b.h, b.l, b.c, b.v)
			bucket = FloorTime(t, period)
			b = bucketBar{op[i], hi[i], lo[i], cl[i], vo[i]}
			continue
		}
		b.add(hi[i], lo[i], cl[i], vo[i])
	}
	out.Add(bucket, b.o, b.h, b.l, b.c, b.v)
	return out, nil
}

// bucketBar is the bar a resampling builds from the bars of one bucket:
// the first open, the extremes, the last close and the summed volume.
type bucketBar struct{ o, h, l, c, v float64 }

// add takes in the next bar of the bucket. x != x catches NaN so that it
// sticks, as math.Max/Min would do.
func (b *bucketBar) add(h, l, c, v float64) {
	if h > b.h || h != h {
		b.h = h
	}
	if l < b.l || l != l {
		b.l = l
	}
	b.c = c
	b.v += v
}

// FloorTime rounds t down to a multiple of p (the open of the period-p
// bucket holding t), also for times before 1970.
func FloorTime(t, p int64) int64 {
	m := t % p
	if m < 0 {
		m += p
	}
	return t - m
}
