// RSI mean reversion, a strategy for `workbench backtest` (and, unchanged,
// for any runner that drives a paper.Strategy):
//
//	workbench backtest examples/strategy/rsi_revert.go --fqme FQME --period 1h -o report/
//
// On every market it is given it buys a fifth of equity when RSI(14) of
// closes crosses under 30, protects the position with a stop 3% under the
// entry, and sells when RSI recovers above 55. The RSI is fsp's streaming
// twin, which gives exactly the batch fsp.RSI values one bar at a time.
package main

import (
	"fmt"
	"os"

	"workbench/feeds"
	"workbench/fsp"
	"workbench/paper"
)

const (
	period   = 14
	oversold = 30.0
	recover  = 55.0
	stopLoss = 0.03
	fraction = 0.2
)

type market struct {
	rsi  *fsp.RSIStream
	last float64 // the previous bar's RSI (NaN during the lookback)
	stop string  // the protective stop's order ID while long
}

var markets = map[string]*market{}

// OnBar runs once per closed bar of every market, in time order.
func OnBar(c *paper.Context, b feeds.BarEvent) {
	m := markets[b.FQME]
	if m == nil {
		m = &market{rsi: fsp.NewRSIStream(period)}
		markets[b.FQME] = m
	}
	r := m.rsi.Update(b.Bar.Close)
	prev := m.last
	m.last = r
	pos := c.Position(b.FQME)
	switch {
	case pos == 0 && prev >= oversold && r < oversold:
		size := fraction * c.Equity() / b.Bar.Close
		c.Buy(b.FQME, size)
		m.stop = c.StopOrder(b.FQME, -size, b.Bar.Close*(1-stopLoss))
	case pos > 0 && r > recover:
		if m.stop != "" {
			c.Cancel(m.stop)
			m.stop = ""
		}
		c.Sell(b.FQME, pos)
	}
}

// OnFill forgets the stop once it has done its job.
func OnFill(c *paper.Context, r paper.Report) {
	m := markets[r.FQME]
	if m != nil && r.OrderID == m.stop && c.Position(r.FQME) == 0 {
		m.stop = ""
	}
}

// main only points at the runner: the strategy needs one to feed it bars.
func main() {
	fmt.Fprintln(os.Stderr, "a strategy: workbench backtest examples/strategy/rsi_revert.go --fqme FQME --period 1h")
	os.Exit(2)
}
