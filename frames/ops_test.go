package frames

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// series builds a flat series at the given times; bar i has close 100+i.
func bars(period int64, times ...int64) *OHLCV {
	f := New(period, len(times))
	for i, t := range times {
		c := 100 + float64(i)
		f.Add(t, c, c+1, c-1, c, 10)
	}
	return f
}

func steps(n int, step int64) []int64 {
	t := make([]int64, n)
	for i := range t {
		t[i] = int64(i) * step
	}
	return t
}

// The windows are piker's slice_from_time test cases (spec §2.1); piker
// returns one extra sample before the start on uniform data, we must not.
func TestSlicePikerCases(t *testing.T) {
	uniform := bars(60, steps(11, 60)...)
	gappy := bars(60, 0, 60, 120, 600, 660, 720)
	cases := []struct {
		f        *OHLCV
		from, to int64
		want     []int64
	}{
		{uniform, 120, 300, []int64{120, 180, 240}}, // piker: [1,6) = 60..300
		{uniform, 0, 600, []int64{0, 60, 120, 180, 240, 300, 360, 420, 480, 540}},
		{uniform, 130, 250, []int64{180, 240}}, // piker: [1,5) = 60..240
		{uniform, 600, 601, []int64{600}},
		{uniform, -100, 0, nil},
		{uniform, 601, 9999, nil},
		{gappy, 600, 720, []int64{600, 660}}, // piker: [3,6)
		{gappy, 60, 600, []int64{60, 120}},   // piker: [0,5)
		{gappy, 300, 300, nil},               // piker: [3,4)
		{gappy, 121, 600, nil},               // inside the gap
		{gappy, 700, 100, nil},               // inverted
	}
	for _, c := range cases {
		got := c.f.Slice(c.from, c.to)
		if len(got.Time) != len(c.want) || (len(c.want) > 0 && !reflect.DeepEqual(got.Time, c.want)) {
			t.Errorf("Slice(%d, %d) on %v = %v, want %v", c.from, c.to, c.f.Time, got.Time, c.want)
		}
		if got.Len() > 0 && got.Time[0] < c.from {
			t.Errorf("Slice(%d, %d) starts before from at %d", c.from, c.to, got.Time[0])
		}
		if len(got.Open) != got.Len() || len(got.Volume) != got.Len() {
			t.Errorf("Slice(%d, %d): columns of unequal length", c.from, c.to)
		}
	}
}

func TestSliceIsAView(t *testing.T) {
	f := bars(60, steps(5, 60)...)
	v := f.Slice(60, 180)
	v.Close[0] = -1
	if f.Close[1] != -1 {
		t.Fatal("Slice copied the data; it should be a view")
	}
	v.Add(999, 1, 1, 1, 1, 1)
	if f.Time[3] != 180 {
		t.Fatal("appending to a view overwrote the parent")
	}
	var nilSeries *OHLCV
	if nilSeries.Slice(0, 10).Len() != 0 {
		t.Fatal("nil series should slice to an empty series")
	}
}

func TestIndexOfAndSearch(t *testing.T) {
	f := bars(60, 0, 60, 120, 600)
	for tm, want := range map[int64]int{0: 0, 60: 1, 600: 3, 61: -1, -1: -1, 700: -1} {
		if got := f.IndexOf(tm); got != want {
			t.Errorf("IndexOf(%d) = %d, want %d", tm, got, want)
		}
	}
	if got := f.Search(121); got != 3 {
		t.Errorf("Search(121) = %d, want 3", got)
	}
	if got := f.Search(601); got != 4 {
		t.Errorf("Search(601) = %d, want 4", got)
	}
}

func TestDetectPeriod(t *testing.T) {
	cases := []struct {
		t    []int64
		want int64
	}{
		{[]int64{0, 60, 120}, 60}, // piker §1 case 6
		{[]int64{0, 60, 60}, 60},  // duplicate ignored
		{nil, 0},
		{[]int64{5}, 0},
		{[]int64{10, 5}, 0},
		{[]int64{0, 60, 120, 600, 660, 720, 780}, 60},
		{[]int64{0, 60, 180, 300}, 120}, // 120 twice beats 60 once
		{[]int64{0, 60, 180}, 60},       // tie: the smaller step
		{[]int64{0, 86400, 172800, 432000, 518400}, 86400},
	}
	for _, c := range cases {
		if got := DetectPeriod(c.t); got != c.want {
			t.Errorf("DetectPeriod(%v) = %d, want %d", c.t, got, c.want)
		}
	}
}

func TestMergeAppendAndBackfill(t *testing.T) {
	old := bars(60, 0, 60, 120)
	newer := bars(60, 180, 240)
	m, rep, err := old.Merge(newer, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Time, []int64{0, 60, 120, 180, 240}) || rep.Added != 2 || rep.Rows != 5 {
		t.Fatalf("append: %v %+v", m.Time, rep)
	}
	m, rep, err = newer.Merge(old, MergeOptions{})
	if err != nil || !reflect.DeepEqual(m.Time, []int64{0, 60, 120, 180, 240}) || rep.Added != 3 {
		t.Fatalf("backfill: %v %+v %v", m.Time, rep, err)
	}
	m.Close[0] = -5
	if old.Close[0] == -5 || newer.Close[0] == -5 {
		t.Fatal("Merge result shares arrays with an input")
	}
}

func TestMergeDuplicatesAndConflicts(t *testing.T) {
	old := bars(60, 0, 60, 120, 180)
	newer := New(60, 3)
	newer.Add(60, 101, 102, 100, 101, 10)  // identical to old[1]
	newer.Add(120, 555, 556, 554, 555, 10) // conflicts with old[2]
	newer.Add(150, 1, 2, 0, 1, 3)          // new, interleaved
	for _, c := range []struct {
		policy ConflictPolicy
		close  float64
	}{{KeepNewest, 555}, {KeepOldest, 102}} {
		m, rep, err := old.Merge(newer, MergeOptions{OnConflict: c.policy})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m.Time, []int64{0, 60, 120, 150, 180}) {
			t.Fatalf("times %v", m.Time)
		}
		if m.Close[2] != c.close {
			t.Errorf("policy %d kept close %v, want %v", c.policy, m.Close[2], c.close)
		}
		if rep.Duplicates != 1 || rep.Added != 1 || len(rep.Conflicts) != 1 {
			t.Fatalf("report %+v", rep)
		}
		cf := rep.Conflicts[0]
		if cf.Time != 120 || cf.Old != old.At(2) || cf.New != newer.At(1) {
			t.Errorf("conflict %v", cf)
		}
	}
	_, rep, err := old.Merge(newer, MergeOptions{OnConflict: FailOnConflict})
	if !errors.Is(err, ErrConflict) || len(rep.Conflicts) != 1 {
		t.Fatalf("FailOnConflict: %v %+v", err, rep)
	}
	if !strings.Contains(err.Error(), "1970-01-01T00:02:00Z") {
		t.Errorf("error does not name the conflicting time: %v", err)
	}
}

func TestMergeUnsortedInputWithInternalDuplicates(t *testing.T) {
	old := bars(60, 120, 0, 60)
	newer := New(0, 3)
	newer.Add(240, 1, 1, 1, 1, 1)
	newer.Add(180, 2, 2, 2, 2, 2)
	newer.Add(240, 3, 3, 3, 3, 3) // later row: wins under KeepNewest
	m, rep, err := old.Merge(newer, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Time, []int64{0, 60, 120, 180, 240}) || m.Close[4] != 3 || m.Close[0] != 101 {
		t.Fatalf("got %v closes %v", m.Time, m.Close)
	}
	if !rep.Resorted || len(rep.Conflicts) != 1 || rep.Conflicts[0].Old.Close != 1 || m.Period != 60 {
		t.Fatalf("report %+v period %d", rep, m.Period)
	}
	if !reflect.DeepEqual(old.Time, []int64{120, 0, 60}) {
		t.Fatal("Merge sorted its receiver in place")
	}
}

// piker's dedupe test case (spec §2.6): [0,60,60,120,240] → [0,60,120,240], 1 dropped.
func TestMergeDedupesLikePiker(t *testing.T) {
	f := New(60, 5)
	for _, tm := range []int64{0, 60, 60, 120, 240} {
		f.Add(tm, 1, 1, 1, 1, 1)
	}
	m, rep, err := (&OHLCV{}).Merge(f, MergeOptions{})
	if err != nil || !reflect.DeepEqual(m.Time, []int64{0, 60, 120, 240}) || rep.Duplicates != 1 {
		t.Fatalf("%v %+v %v", m.Time, rep, err)
	}
}

func TestMergeErrors(t *testing.T) {
	if _, _, err := bars(60, 0).Merge(bars(3600, 3600), MergeOptions{}); err == nil ||
		!strings.Contains(err.Error(), "1h") {
		t.Errorf("period mismatch: %v", err)
	}
	bad := bars(60, 0, 60)
	bad.Volume = bad.Volume[:1]
	if _, _, err := bars(60, 0).Merge(bad, MergeOptions{}); err == nil || !strings.Contains(err.Error(), "volume") {
		t.Errorf("ragged columns: %v", err)
	}
}

func TestMergeNaNBarsAreIdentical(t *testing.T) {
	a := New(60, 1)
	a.Add(0, math.NaN(), 1, 1, 1, 1)
	_, rep, err := a.Merge(a.Clone(), MergeOptions{OnConflict: FailOnConflict})
	if err != nil || rep.Duplicates != 1 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestValidate(t *testing.T) {
	f := New(60, 6)
	f.Add(0, 10, 12, 9, 11, 5)                   // ok
	f.Add(60, 10, 12, 10.5, 11, 5)               // low above open
	f.Add(60, 10, 10.5, 9, 11, -1)               // duplicate time, high below close, negative volume
	f.Add(30, math.NaN(), 12, 9, math.Inf(1), 5) // out of order, two non-finite
	f.Add(240, 10, 8, 9, 10, 0)                  // high below max, low above high
	errs := f.Validate()
	type key struct {
		row   int
		field string
	}
	var got []key
	for _, e := range errs {
		got = append(got, key{e.Row, e.Field})
	}
	want := []key{{1, "low"}, {2, "time"}, {2, "high"}, {2, "volume"}, {3, "time"}, {3, "open"}, {3, "close"},
		{4, "high"}, {4, "low"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Validate found %v, want %v", got, want)
	}
	msg := errs[0].Error()
	if !strings.Contains(msg, "row 1") || !strings.Contains(msg, "field low") || !strings.Contains(msg, "1970-01-01T00:01:00Z") {
		t.Errorf("message %q does not name row, time and field", msg)
	}
	if !strings.Contains(errs[1].Problem, "duplicate") || !strings.Contains(errs[4].Problem, "out of order") {
		t.Errorf("time problems: %q, %q", errs[1].Problem, errs[4].Problem)
	}
	f.Open = f.Open[:2]
	if errs := f.Validate(); len(errs) != 1 || errs[0].Row != -1 || errs[0].Field != "open" {
		t.Errorf("ragged columns: %v", errs)
	}
}

// naiveResample is an independent reference: a map from bucket to the rows
// in it, aggregated after the fact.
func naiveResample(f *OHLCV, period int64) map[int64]Bar {
	rows := map[int64][]int{}
	for i, t := range f.Time {
		b := int64(math.Floor(float64(t)/float64(period))) * period
		rows[b] = append(rows[b], i)
	}
	out := map[int64]Bar{}
	for b, idx := range rows {
		bar := Bar{Time: b, Open: f.Open[idx[0]], Close: f.Close[idx[len(idx)-1]], High: math.Inf(-1), Low: math.Inf(1)}
		for _, i := range idx {
			bar.High = math.Max(bar.High, f.High[i])
			bar.Low = math.Min(bar.Low, f.Low[i])
			bar.Volume += f.Volume[i]
		}
		out[b] = bar
	}
	return out
}

func TestResampleSmall(t *testing.T) {
	f := New(60, 5)
	f.Add(-120, 1, 5, 0.5, 2, 1) // before the epoch: bucket -300
	f.Add(0, 2, 3, 1, 2.5, 1)
	f.Add(60, 2.5, 7, 2, 6, 2)
	f.Add(240, 6, 6.5, 5, 5.5, 3)
	f.Add(600, 5.5, 5.5, 5.5, 5.5, 0) // after an empty bucket
	got, err := f.Resample(300)
	if err != nil {
		t.Fatal(err)
	}
	want := New(300, 3)
	want.Add(-300, 1, 5, 0.5, 2, 1)
	want.Add(0, 2, 7, 1, 5.5, 6)
	want.Add(600, 5.5, 5.5, 5.5, 5.5, 0)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []int64{0, -60, 90} {
		if _, err := f.Resample(bad); err == nil {
			t.Errorf("Resample(%d): want an error", bad)
		}
	}
	f.Time[2] = 0
	if _, err := f.Resample(300); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("unsorted input: %v", err)
	}
}

func TestResampleNaNSticks(t *testing.T) {
	f := New(60, 3)
	f.Add(0, 1, 2, 1, 1, 1)
	f.Add(60, 1, math.NaN(), 1, 1, 1)
	f.Add(120, 1, 3, 1, 1, 1)
	got, err := f.Resample(180)
	if err != nil || !math.IsNaN(got.High[0]) || got.Low[0] != 1 {
		t.Fatalf("%+v %v", got, err)
	}
}
