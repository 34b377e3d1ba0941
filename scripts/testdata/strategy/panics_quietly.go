// A strategy that fails on its 1234th bar in a statement that calls
// nothing, after trading now and then.
package main

import (
	"workbench/feeds"
	"workbench/paper"
)

var (
	n int
	m map[string]int
)

func OnBar(c *paper.Context, b feeds.BarEvent) {
	n++
	if n == 1234 {
		m[b.FQME] = n
	}
	if n%100 == 0 {
		c.Target(b.FQME, float64(n%200)/100)
	}
}
