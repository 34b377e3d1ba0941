package paper

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"workbench/frames"
)

// TestAnnualisedNeedsAMinimumSample: a 99-minute session (99 returns, far
// under 30 days) prints n/a and null for its annualised figures; the same
// strategy over 40 daily bars (40 returns over 40 days) has numbers.
func TestAnnualisedNeedsAMinimumSample(t *testing.T) {
	daily := frames.New(86400, 40)
	for i, b := range randomWalkBars(40).Close {
		daily.Add(int64(i)*86400, b, b*1.01, b*0.99, b*(1+0.002*float64(i%3-1)), 100)
	}
	for _, tc := range []struct {
		bars  *frames.OHLCV
		undef bool
	}{{randomWalkBars(99), true}, {daily, false}} {
		res, err := Backtest(BacktestConfig{Series: []Series{{Market: testPair(t, testFQME, "0.01", "0.001"), Bars: tc.bars}},
			Calendar: "crypto"}, &BuyHold{Fraction: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		var text, js bytes.Buffer
		if err := res.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		if err := res.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var j struct {
			Stats struct {
				CAGR   *float64 `json:"cagr"`
				Vol    *float64 `json:"annual_volatility"`
				Sharpe *float64 `json:"sharpe"`
				Sort   *float64 `json:"sortino"`
			} `json:"stats"`
		}
		if err := json.Unmarshal(js.Bytes(), &j); err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]*float64{"cagr": j.Stats.CAGR, "annual_volatility": j.Stats.Vol, "sharpe": j.Stats.Sharpe, "sortino": j.Stats.Sort} {
			if (v == nil) != tc.undef || v != nil && math.IsNaN(*v) {
				t.Errorf("%d bars of %ds: %s = %v, want undefined=%v", tc.bars.Len(), tc.bars.Period, k, v, tc.undef)
			}
		}
		if got := strings.Contains(text.String(), "CAGR            n/a"); got != tc.undef {
			t.Errorf("%d bars: text report:\n%s", tc.bars.Len(), text.String())
		}
	}
}

// drawdown skips the division of samples that cannot deepen the largest
// drawdown; it finds what dividing every sample finds, on random curves,
// curves that go below zero, and samples a few ulps either side of the
// current largest drawdown's level.
func TestDrawdownSkipsOnlyLosers(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for c := range 400 {
		init := 100 * rng.Float64()
		v := init
		curve := make([]float64, 2000)
		for i := range curve {
			switch {
			case c%4 == 3 && i > 10 && rng.IntN(3) == 0:
				// Next to the level of the largest drawdown so far.
				peak, mdd := init, 0.0
				for _, w := range curve[:i] {
					peak = max(peak, w)
					mdd = max(mdd, 1-w/peak)
				}
				v = math.Nextafter(peak*(1-mdd), math.Inf(rng.IntN(2)*2-1))
				for range rng.IntN(4) {
					v = math.Nextafter(v, math.Inf(rng.IntN(2)*2-1))
				}
			case c%4 == 2:
				v -= 3 * rng.NormFloat64() // through zero and below
			default:
				v *= math.Exp(0.02 * rng.NormFloat64())
			}
			curve[i] = v
		}
		got := drawdown{peak: init, peakI: -1, mddPeak: init, mddPeakI: -1, trough: -1}
		got.bound()
		// Every sample divided, as the definition reads; compared after
		// each sample, since a later, deeper fall would hide a miss.
		peak, peakI, mdd, mddPeakI, trough := init, -1, 0.0, -1, -1
		for i, w := range curve {
			got.add(i, w)
			if w >= peak {
				peak, peakI = w, i
			} else if x := 1 - w/peak; x > mdd {
				mdd, mddPeakI, trough = x, peakI, i
			}
			if got.mdd != mdd || got.mddPeakI != mddPeakI || got.trough != trough {
				t.Fatalf("curve %d sample %d: drawdown %v from %d to %d, dividing every sample %v from %d to %d", c, i, got.mdd, got.mddPeakI, got.trough, mdd, mddPeakI, trough)
			}
		}
	}
}
