// The crossover of sma_cross.go computed by a helper that panics until it
// has seen 30 closes; OnBar recovers in a deferred closure, so its body
// cannot run inside a loop and OnBar runs bar by bar.
package main

import (
	"workbench/feeds"
	"workbench/paper"
)

var closes []float64

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func long() bool {
	n := len(closes)
	return mean(closes[n-10:]) > mean(closes[n-30:])
}

var primed, was bool

func OnBar(c *paper.Context, b feeds.BarEvent) {
	defer func() {
		recover()
	}()
	closes = append(closes, b.Bar.Close)
	l := long()
	if primed && l == was {
		return
	}
	first := !primed
	primed, was = true, l
	if first && !l {
		return
	}
	if l {
		c.Target(b.FQME, 1)
	} else {
		c.Target(b.FQME, 0)
	}
}
