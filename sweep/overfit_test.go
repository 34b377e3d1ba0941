package sweep

import (
	"math"
	"math/rand"
	"testing"
)

// The worked example of Bailey & López de Prado (2014), "The Deflated
// Sharpe Ratio", section 6: an annualised Sharpe ratio of 2.5 from five
// years of daily returns (T = 1250), skewness −3, kurtosis 10, the best of
// N = 100 trials whose annualised Sharpe ratios have variance 1/2. The
// paper finds E[max SR] ≈ 0.1132 per day and DSR ≈ 0.9004.
func TestDSRPaperExample(t *testing.T) {
	sr := 2.5 / math.Sqrt(250)
	v := 0.5 / 250
	sr0 := ExpectedMaxSharpe(100, v)
	if math.Abs(sr0-0.1132) > 5e-5 {
		t.Errorf("E[max SR] = %.6f, paper 0.1132", sr0)
	}
	d := DSR(sr, 1250, -3, 10, 100, v)
	if math.Abs(d-0.9004) > 5e-4 {
		t.Errorf("DSR = %.6f, paper 0.9004", d)
	}
	t.Logf("E[max SR] %.6f, DSR %.6f", sr0, d)
	// One trial is not deflated: the PSR against 0 of the same estimate.
	if p := PSR(sr, 0, 1250, -3, 10); !(p > 0.999) {
		t.Errorf("PSR(0) = %v", p)
	}
}

func blocksOf(r []float64, s int) []Moments {
	return returnBlocks(1, equityOf(r), s)
}

// equityOf is the equity curve from 1 whose returns are r.
func equityOf(r []float64) []float64 {
	eq := make([]float64, len(r))
	v := 1.0
	for i, x := range r {
		v *= 1 + x
		eq[i] = v
	}
	return eq
}

// Cases whose PBO follows by hand: a strategy better than the others in
// every span is always the in-sample best and ranks first out of sample
// (PBO 0, each logit ln(N/1)); with two strategies that take turns, the
// in-sample best is the out-of-sample worst of every split (PBO 1, each
// logit ln((1/3)/(2/3)) = −ln 2).
func TestPBOByHand(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	noise := func(n int, mu float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = mu + 0.01*r.NormFloat64()
		}
		return out
	}
	var dom [][]Moments
	for k := range 4 {
		mu := 0.0
		if k == 2 {
			mu = 0.05
		}
		dom = append(dom, blocksOf(noise(800, mu), 8))
	}
	res, err := PBO(dom)
	if err != nil {
		t.Fatal(err)
	}
	if res.Splits != 70 || res.PBO != 0 || math.Abs(res.Logits[0]-math.Log(4)) > 1e-12 {
		t.Fatalf("dominant strategy: %d splits, PBO %v, logit %v", res.Splits, res.PBO, res.Logits[0])
	}
	// a gains in span 0 and loses in span 1, b the other way round.
	a := append(noise(100, 0.01), noise(100, -0.01)...)
	b := append(noise(100, -0.01), noise(100, 0.01)...)
	res, err = PBO([][]Moments{blocksOf(a, 2), blocksOf(b, 2)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Splits != 2 || res.PBO != 1 || math.Abs(res.Logits[0]+math.Ln2) > 1e-15 {
		t.Fatalf("alternating: %+v", res)
	}
	if _, err := PBO([][]Moments{blocksOf(a, 3), blocksOf(b, 3)}); err == nil {
		t.Error("an odd number of spans was accepted")
	}
}

// Pure noise: 200 strategies of seeded Gaussian returns with no edge. The
// best of them looks good alone (PSR against 0 above 0.95) but the DSR
// does not reject that it is luck, and CSCV finds it overfit about half
// the time or more.
func TestOverfitPureNoise(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	const n, T = 200, 1000
	var blocks [][]Moments
	var srs []float64
	best, bestSR := 0, math.Inf(-1)
	for k := range n {
		ret := make([]float64, T)
		for i := range ret {
			ret[i] = 0.01 * r.NormFloat64()
		}
		b := blocksOf(ret, DefaultBlocks)
		blocks = append(blocks, b)
		var m Moments
		for _, x := range b {
			m.Add(x)
		}
		srs = append(srs, m.Sharpe())
		if m.Sharpe() > bestSR {
			best, bestSR = k, m.Sharpe()
		}
	}
	var m Moments
	for _, x := range blocks[best] {
		m.Add(x)
	}
	skew, kurt := m.SkewKurt()
	if p := PSR(bestSR, 0, T, skew, kurt); !(p > 0.95) {
		t.Fatalf("the best noise strategy's PSR against 0 is %v: the case shows nothing", p)
	}
	d := DSR(bestSR, T, skew, kurt, n, variance(srs))
	if !(d < 0.95) {
		t.Errorf("DSR of the best of %d noise strategies = %v, want < 0.95", n, d)
	}
	res, err := PBO(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if res.Splits != 12870 || res.PBO < 0.4 {
		t.Errorf("PBO of noise = %v over %d splits, want ≥ 0.4 (near 0.5 or above)", res.PBO, res.Splits)
	}
	t.Logf("noise: best SR %.4f/period, DSR %.4f, PBO %.4f", bestSR, d, res.PBO)
}
