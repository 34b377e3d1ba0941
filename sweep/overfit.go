package sweep

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// eulerGamma is the Euler–Mascheroni constant.
const eulerGamma = 0.5772156649015329

var stdNormal = distuv.Normal{Mu: 0, Sigma: 1}

// ExpectedMaxSharpe is the Sharpe ratio that the best of n independent
// trials reaches by luck alone when the trials' Sharpe ratios have variance
// v and a true value of 0 (Bailey & López de Prado 2014, eq. 2 of "The
// Deflated Sharpe Ratio"): √v·((1−γ)Φ⁻¹(1−1/n) + γΦ⁻¹(1−1/(n·e))).
func ExpectedMaxSharpe(n int, v float64) float64 {
	if n < 2 {
		return 0
	}
	N := float64(n)
	return math.Sqrt(v) * ((1-eulerGamma)*stdNormal.Quantile(1-1/N) + eulerGamma*stdNormal.Quantile(1-1/(N*math.E)))
}

// PSR is the Probabilistic Sharpe Ratio: the probability that the true
// Sharpe ratio exceeds sr0, given an estimate sr from t observations whose
// skewness is skew and (non-excess) kurtosis kurt. Sharpe ratios are per
// observation, not annualised.
func PSR(sr, sr0 float64, t int, skew, kurt float64) float64 {
	d := 1 - skew*sr + (kurt-1)/4*sr*sr
	if t < 2 || !(d > 0) {
		return math.NaN()
	}
	return stdNormal.CDF((sr - sr0) * math.Sqrt(float64(t-1)) / math.Sqrt(d))
}

// DSR is the Deflated Sharpe Ratio of the best of n trials: the PSR of its
// Sharpe ratio against ExpectedMaxSharpe(n, v), v being the variance of
// the trials' Sharpe ratios. A DSR below 0.95 does not reject, at 5%, that
// the best trial is luck.
func DSR(sr float64, t int, skew, kurt float64, n int, v float64) float64 {
	return PSR(sr, ExpectedMaxSharpe(n, v), t, skew, kurt)
}

// PBOResult is the outcome of combinatorially symmetric cross-validation.
type PBOResult struct {
	// PBO is the share of splits whose in-sample best ranks at or below
	// the median out of sample (logit ≤ 0).
	PBO float64
	// Logits are λ = ln(ω/(1−ω)) per split, ω being the in-sample best's
	// relative out-of-sample rank in (0, 1).
	Logits []float64
	Splits int
}

// PBO estimates the Probability of Backtest Overfitting (Bailey, Borwein,
// López de Prado & Zhu 2015) by CSCV. blocks[n][s] holds the moments of
// strategy n's returns in the s-th of S consecutive spans (S even, equal
// for every strategy, the spans aligned in time). Every choice of S/2 spans
// is one split: the strategy with the best Sharpe ratio on them is ranked
// by its Sharpe ratio on the other S/2.
func PBO(blocks [][]Moments) (PBOResult, error) {
	n := len(blocks)
	if n < 2 {
		return PBOResult{}, fmt.Errorf("pbo: need at least 2 strategies, got %d", n)
	}
	s := len(blocks[0])
	if s < 2 || s%2 != 0 || s > 24 {
		return PBOResult{}, fmt.Errorf("pbo: need an even number of spans from 2 to 24, got %d", s)
	}
	for i, b := range blocks {
		if len(b) != s {
			return PBOResult{}, fmt.Errorf("pbo: strategy %d has %d spans, strategy 0 has %d", i, len(b), s)
		}
	}
	var res PBOResult
	in, out := make([]float64, n), make([]float64, n)
	below := 0
	for mask := 0; mask < 1<<s; mask++ {
		if popcount(mask) != s/2 {
			continue
		}
		best := -1
		for k, b := range blocks {
			var a, o Moments
			for j := range s {
				if mask>>j&1 == 1 {
					a.Add(b[j])
				} else {
					o.Add(b[j])
				}
			}
			in[k], out[k] = a.Sharpe(), o.Sharpe()
			if !math.IsNaN(in[k]) && (best < 0 || in[k] > in[best]) {
				best = k
			}
		}
		if best < 0 {
			continue
		}
		// Rank 1 is the worst out of sample; ties share the lower rank,
		// and an undefined Sharpe ranks below every defined one.
		rank := 1
		for k := range out {
			if k != best && less(out[k], out[best]) {
				rank++
			}
		}
		w := float64(rank) / float64(n+1)
		l := math.Log(w / (1 - w))
		res.Logits = append(res.Logits, l)
		if l <= 0 {
			below++
		}
	}
	res.Splits = len(res.Logits)
	if res.Splits == 0 {
		return res, fmt.Errorf("pbo: no split has a defined in-sample Sharpe ratio")
	}
	res.PBO = float64(below) / float64(res.Splits)
	return res, nil
}

func less(a, b float64) bool {
	if math.IsNaN(a) {
		return !math.IsNaN(b)
	}
	return a < b
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// Overfit are a market's overfitting statistics over a sweep's rows.
type Overfit struct {
	FQME   string
	Trials int
	// Best is the job whose per-period Sharpe ratio is highest.
	Best                 int
	Sharpe, ExpectedMax  float64 // per period, not annualised
	Obs                  int
	Skew, Kurt, Variance float64
	DSR                  float64
	PBO                  PBOResult
	PBOErr               error
}

// Overfitting computes, for each market, the DSR of the best row and the
// PBO over all rows of that market (rows must be the whole sweep).
func (c *Config) Overfitting(rows []Row) []Overfit {
	var out []Overfit
	for si := range c.Series {
		var blocks [][]Moments
		var jobs []int
		for _, r := range rows {
			if _, s := c.Job(r.Job); s == si && r.Err == "" {
				blocks = append(blocks, r.Blocks)
				jobs = append(jobs, r.Job)
			}
		}
		o := Overfit{FQME: c.Series[si].Market.FQME(), Trials: len(blocks), Best: -1, DSR: math.NaN()}
		var srs []float64
		bestSR := math.Inf(-1)
		var bestM Moments
		for k, b := range blocks {
			var m Moments
			for _, x := range b {
				m.Add(x)
			}
			sr := m.Sharpe()
			if math.IsNaN(sr) {
				continue
			}
			srs = append(srs, sr)
			if sr > bestSR {
				bestSR, bestM, o.Best = sr, m, jobs[k]
			}
		}
		if len(srs) >= 2 {
			o.Variance = variance(srs)
			o.Sharpe, o.Obs = bestSR, int(bestM.N)
			o.Skew, o.Kurt = bestM.SkewKurt()
			o.ExpectedMax = ExpectedMaxSharpe(o.Trials, o.Variance)
			o.DSR = DSR(bestSR, o.Obs, o.Skew, o.Kurt, o.Trials, o.Variance)
		}
		o.PBO, o.PBOErr = PBO(blocks)
		out = append(out, o)
	}
	return out
}

func variance(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return s / float64(len(x)-1)
}
