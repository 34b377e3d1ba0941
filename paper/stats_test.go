package paper

import (
	"bytes"
	"encoding/json"
	"math"
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
