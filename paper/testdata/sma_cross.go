// The moving-average crossover of paper.SMACross (fast 10, slow 30, one
// unit) as a per-bar script: the windows are running sums over a ring of
// the last 30 closes, kept in the script.
package main

import (
	"workbench/feeds"
	"workbench/paper"
)

var (
	ring         [30]float64
	n, i         int
	fast, slow   float64
	long, primed bool
)

func OnBar(c *paper.Context, b feeds.BarEvent) {
	x := b.Bar.Close
	if n >= 10 {
		fast -= ring[(i+20)%30]
	}
	if n >= 30 {
		slow -= ring[i]
	} else {
		n++
	}
	ring[i] = x
	i++
	if i == 30 {
		i = 0
	}
	fast += x
	slow += x
	if n < 30 {
		return
	}
	l := fast*30 > slow*10
	if primed && l == long {
		return
	}
	was := primed
	primed, long = true, l
	if !was && !l {
		return
	}
	if l {
		c.Target(b.FQME, 1)
	} else {
		c.Target(b.FQME, 0)
	}
}
