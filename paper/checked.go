package paper

import (
	"errors"
	"fmt"
	"slices"

	"workbench/frames"
)

// CheckedBars vouches that a series' bars passed the checks a backtest
// makes of them (frames.Validate's rules: finite, positive, bounded prices,
// a volume of at least 0, times in order). Those checks read every column
// of every bar, as much memory as the rest of a run of a simple strategy,
// so bars backtested many times over while they cannot change (a sweep's
// jobs share each series read-only) are checked once: a backtest skips its
// checks of a Series whose Checked vouches for its Bars.
type CheckedBars struct {
	bars    *frames.OHLCV
	n       int
	maxHigh float64
}

// CheckBars checks bars once for many backtests. It reports the first
// problem instead when they have one; a backtest then finds it again and
// reports it, or skips the bar, as it does for bars nobody vouched for. The
// caller promises that the bars do not change while it hands the result
// to backtests.
func CheckBars(bars *frames.OHLCV) (*CheckedBars, error) {
	if bars == nil || bars.Len() == 0 {
		return nil, errors.New("no bars")
	}
	if bars.Period <= 0 {
		return nil, fmt.Errorf("unknown bar period %d", bars.Period)
	}
	if errs := bars.Validate(); errs != nil {
		return nil, errs[0]
	}
	return &CheckedBars{bars: bars, n: bars.Len(), maxHigh: slices.Max(bars.High)}, nil
}

// vouches reports whether c vouches for bars in a market whose largest
// price is maxPx (see priceLimit).
func (c *CheckedBars) vouches(bars *frames.OHLCV, maxPx float64) bool {
	return c != nil && c.bars == bars && c.n == bars.Len() && c.maxHigh <= maxPx
}
