package plots

import (
	"math"
	"reflect"
	"testing"
)

func seq(from, to float64) []float64 {
	var xs []float64
	for v := from; v <= to; v++ {
		xs = append(xs, v)
	}
	return xs
}

type bin4 [4]float64

func bins(b *M4Bins) []bin4 {
	var out []bin4
	for k := range b.X {
		out = append(out, bin4{b.First[k], b.Min[k], b.Max[k], b.Last[k]})
	}
	return out
}

// piker-notes §4 test case 1.
func TestM4Example(t *testing.T) {
	b := M4(seq(100, 110), []float64{5, 3, 8, 1, 4, 6, 2, 9, 7, 0, 4}, 3)
	if want := []float64{100, 103, 106, 109}; !reflect.DeepEqual(b.X, want) {
		t.Fatalf("bin edges %v, want %v", b.X, want)
	}
	want := []bin4{{5, 3, 8, 8}, {1, 1, 6, 6}, {2, 2, 9, 7}, {0, 0, 4, 4}}
	if got := bins(b); !reflect.DeepEqual(got, want) {
		t.Fatalf("bins %v, want %v", got, want)
	}
	if b.YMin != 0 || b.YMax != 9 {
		t.Fatalf("y range (%v, %v), want (0, 9)", b.YMin, b.YMax)
	}
	xs, ys := b.Flatten(0.5, nil, nil)
	if want := []float64{99.5, 100, 100, 100.5, 102.5}; !reflect.DeepEqual(xs[:5], want) {
		t.Fatalf("flattened x starts %v, want %v", xs[:5], want)
	}
	if want := []float64{5, 3, 8, 8, 1}; !reflect.DeepEqual(ys[:5], want) {
		t.Fatalf("flattened y starts %v, want %v", ys[:5], want)
	}
}

// piker-notes §4 test case 2: a lone spike in its own bin counts in the y range.
func TestM4LoneSpike(t *testing.T) {
	b := M4([]float64{100, 101, 102, 104}, []float64{1, 2, 3, -50}, 3)
	want := []bin4{{1, 1, 3, 3}, {-50, -50, -50, -50}}
	if got := bins(b); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(b.X, []float64{100, 103}) {
		t.Fatalf("bins %v at %v, want %v at [100 103]", got, b.X, want)
	}
	if b.YMin != -50 || b.YMax != 3 {
		t.Fatalf("y range (%v, %v), want (-50, 3)", b.YMin, b.YMax)
	}
}

// piker-notes §4 test case 3: x range an exact multiple of uppx needs
// floor(9/3)+1 = 4 bins, and the bin at x=0 is kept.
func TestM4ExactMultipleAndZeroBin(t *testing.T) {
	x := seq(0, 9)
	b := M4(x, x, 3)
	if want := []float64{0, 3, 6, 9}; !reflect.DeepEqual(b.X, want) {
		t.Fatalf("bin edges %v, want %v", b.X, want)
	}
	want := []bin4{{0, 0, 2, 2}, {3, 3, 5, 5}, {6, 6, 8, 8}, {9, 9, 9, 9}}
	if got := bins(b); !reflect.DeepEqual(got, want) {
		t.Fatalf("bins %v, want %v", got, want)
	}
}

// piker-notes §4 test case 4: a gap yields no empty bins.
func TestM4Gap(t *testing.T) {
	b := M4([]float64{100, 101, 130, 131}, []float64{1, 2, 3, 4}, 3)
	if want := []float64{100, 130}; !reflect.DeepEqual(b.X, want) {
		t.Fatalf("bin edges %v, want %v", b.X, want)
	}
}

func TestM4PointsKeepsExtremesInOrder(t *testing.T) {
	x := seq(0, 7)
	y := []float64{5, 9, 1, 4, 2, 2, 8, 3}
	b := M4(x, y, 4)
	xs, ys := b.Points(x, nil, nil)
	// bin 0: first 5@0, max 9@1, min 1@2, last 4@3; bin 1: first 2@4, min 2@4, max 8@6, last 3@7.
	if want := []float64{0, 1, 2, 3, 4, 6, 7}; !reflect.DeepEqual(xs, want) {
		t.Fatalf("x %v, want %v", xs, want)
	}
	if want := []float64{5, 9, 1, 4, 2, 8, 3}; !reflect.DeepEqual(ys, want) {
		t.Fatalf("y %v, want %v", ys, want)
	}
}

func TestM4SkipsNaNAndClampsLeft(t *testing.T) {
	b := &M4Bins{}
	b.Reduce([]float64{-5, 0, 1, 2}, []float64{7, math.NaN(), 3, math.NaN()}, 0, 10)
	if got := bins(b); !reflect.DeepEqual(got, []bin4{{7, 3, 7, 3}}) {
		t.Fatalf("bins %v", got)
	}
}

func TestM4NoAllocsOnReuse(t *testing.T) {
	n := 100000
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
		y[i] = math.Sin(float64(i) / 100)
	}
	b := &M4Bins{}
	b.Reduce(x, y, 0, float64(n)/1600)
	allocs := testing.AllocsPerRun(5, func() { b.Reduce(x, y, 0, float64(n)/1600) })
	if allocs != 0 {
		t.Fatalf("%v allocations per reduce with warm buffers, want 0", allocs)
	}
	if b.Len() != 1600 {
		t.Fatalf("%d bins for 1600 columns", b.Len())
	}
}
