package frames

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestValidateNonPositivePrices(t *testing.T) {
	f := New(60, 3)
	f.Add(0, 10, 12, 9, 11, 5)
	f.Add(60, 0, 12, 0, 11, 5) // open and low zero
	f.Add(120, -2, -1, -3, -2, 5)
	errs := f.Validate()
	var got []string
	for _, e := range errs {
		if strings.Contains(e.Problem, "not positive") {
			got = append(got, e.Field)
		}
	}
	want := "open low open high low close"
	if strings.Join(got, " ") != want {
		t.Fatalf("non-positive prices found in %v, want %s (all: %v)", got, want, errs)
	}
	if errs[0].Row != 1 || !strings.Contains(errs[0].Error(), "1970-01-01T00:01:00Z") {
		t.Errorf("first problem %v: want row 1 named with its time", errs[0])
	}
}

// TestValidateFastPathAgrees checks the one-pass check against the worded
// rules on random series, each with a few values spoilt in every way the
// rules name.
func TestValidateFastPathAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	spoil := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -1, 1e300, math.MaxFloat64, 5e-324}
	for trial := 0; trial < 2000; trial++ {
		n := 1 + rng.IntN(20)
		f := New(60, n)
		for i := 0; i < n; i++ {
			o, c := 100+rng.Float64(), 100+rng.Float64()
			f.Add(int64(i)*60, o, max(o, c)+rng.Float64(), min(o, c)-rng.Float64(), c, rng.Float64()*10)
		}
		for k := rng.IntN(3); k > 0; k-- {
			i := rng.IntN(n)
			switch col := rng.IntN(7); col {
			case 5:
				f.Time[i] = f.Time[rng.IntN(n)]
			case 6:
				f.Volume[i] = -rng.Float64()
			default:
				[][]float64{f.Open, f.High, f.Low, f.Close, f.Volume}[col][i] = spoil[rng.IntN(len(spoil))]
			}
		}
		if fast, worded := f.valid(), f.problems(); fast != (len(worded) == 0) {
			t.Fatalf("trial %d: fast path says valid=%v, the rules found %v in %+v", trial, fast, worded, f)
		}
	}
}
