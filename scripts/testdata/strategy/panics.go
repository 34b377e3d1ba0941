// A strategy that fails on its 1234th bar.
package main

import (
	"workbench/feeds"
	"workbench/paper"
)

var closes []float64

func OnBar(c *paper.Context, b feeds.BarEvent) {
	closes = append(closes, b.Bar.Close)
	if len(closes) == 1234 {
		c.Target(b.FQME, closes[len(closes)])
	}
}
