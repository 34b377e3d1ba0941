// Orders of every kind on every bar, the account read and printed as it
// goes: a strategy that calls into the Context on each bar.
package main

import (
	"fmt"

	"workbench/feeds"
	"workbench/paper"
)

var resting []string

func OnBar(c *paper.Context, b feeds.BarEvent) {
	fq, px := b.FQME, b.Bar.Close
	if b.Index%250 == 0 {
		fmt.Println(b.Index, c.Position(fq), c.Cash(), c.Equity(), c.Time(), c.Bars(fq).Len(), c.Close(fq), len(c.OpenOrders(fq)))
	}
	q := 0.25 * float64(1+b.Index%4)
	if b.Index%3 == 0 {
		c.Sell(fq, q)
	} else {
		c.Buy(fq, q/2)
	}
	switch k := b.Index % 9; {
	case k == 1:
		resting = append(resting, c.LimitOrder(fq, -q, px*1.001))
	case k == 4:
		resting = append(resting, c.StopOrder(fq, q, px*1.002))
	case k == 6 && len(resting) > 0:
		c.Amend(resting[0], px*1.0015, q)
	case k == 8 && len(resting) > 1:
		c.Cancel(resting[1])
		resting = append(resting[:1], resting[2:]...)
	}
}
