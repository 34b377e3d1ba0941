// Returns from inside loops, a switch, a select and a labelled block,
// and parameters named and typed the script's way: each return must end
// the bar, not the statement around it.
package main

import (
	"fmt"

	fd "workbench/feeds"
	"workbench/paper"
)

var (
	closes []float64
	ch     = make(chan int, 1)
	seen   int
)

func OnBar(ctx *paper.Context, bar fd.BarEvent) {
	closes = append(closes, bar.Bar.Close)
	n := len(closes)
	if n < 20 {
		return
	}
	for i := n - 1; i >= n-20; i-- {
		for j := 0; j < 2; j++ {
			if closes[i] > 1000 {
				return
			}
		}
	}
	switch {
	case n%3 == 0:
		if closes[n-1] > closes[n-2] {
			ctx.Target(bar.FQME, 1)
			return
		}
	case n%3 == 1:
		ch <- n
		select {
		case v := <-ch:
			if v%2 == 0 {
				return
			}
		}
		ctx.Target(bar.FQME, 0)
	}
outer:
	for _, x := range closes[n-5:] {
		if x < 0 {
			break outer
		}
		if x > closes[n-1] {
			seen++
			if seen%500 == 0 {
				fmt.Println("seen", seen, "at", bar.Index)
			}
			return
		}
	}
	if n%11 == 0 {
		ctx.Target(bar.FQME, 0.5)
	}
}
