// Orders of every kind on every bar, the account read and printed as it
// goes: a strategy that calls into the Context on each bar.
package main

import (
	"fmt"

	"workbench/feeds"
	"workbench/paper"
)

var ids []string

func OnBar(c *paper.Context, b feeds.BarEvent) {
	fq := b.FQME
	if b.Index%100 == 0 {
		fmt.Println(b.Index, c.Position(fq), c.Cash(), c.Equity(), c.Time(), c.Bars(fq).Len(), len(c.OpenOrders("")))
	}
	size := float64(b.Index%5+1) * 0.37
	if b.Index%2 == 0 {
		c.Buy(fq, size)
	} else {
		c.Sell(fq, size)
	}
	switch b.Index % 7 {
	case 0:
		ids = append(ids, c.LimitOrder(fq, size, b.Bar.Close*0.999))
	case 3:
		ids = append(ids, c.StopOrder(fq, -size, b.Bar.Close*0.998))
	case 5:
		if len(ids) > 0 {
			c.Cancel(ids[0])
			ids = ids[1:]
		}
	case 6:
		if len(ids) > 0 {
			c.Amend(ids[len(ids)-1], b.Bar.Close*0.997, 0)
		}
	}
}
