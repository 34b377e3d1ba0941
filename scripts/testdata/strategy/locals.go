// Local variables defined every way Go defines them, each of which must
// start afresh on every bar: as a loop, OnBar's definitions become
// assignments to variables declared once (see hoistDefs). Were one to
// keep an earlier bar's value, count, sum or seen would differ, and so
// would the trades and the printed lines.
package main

import (
	"fmt"

	"workbench/feeds"
	"workbench/paper"
)

var (
	last float64
	kept []*float64
)

func pair(x float64) (float64, int) { return x * 2, int(x*100) % 7 }

func OnBar(c *paper.Context, b feeds.BarEvent) {
	x := b.Bar.Close
	var count int
	var sum float64
	var seen [4]bool
	if x > last {
		count++
	}
	for j := 0; j < 3; j++ {
		x := x + float64(j) // shadows OnBar's x
		var inner int
		inner += j
		sum += x + float64(inner)
		if j == 1 {
			x := inner * 2 // shadows the loop's x
			count += x
		}
	}
	d, k := pair(x)
	k, m := k+1, d/3 // k assigned, m defined
	switch r := k % 3; r {
	case 0:
		v := r + 1
		count += v
	default:
		v := float64(r) * 0.5
		sum += v
	}
	var box any = k
	if k%2 == 0 {
		box = x
	}
	switch t := box.(type) {
	case int:
		w := t + 1
		count += w
	case float64:
		w := t > m
		if w {
			count++
		}
	}
	seen[k%4] = true
	n := 0
	for _, s := range seen {
		if s {
			n++
		}
	}
	lo, hi := x, x*2
	lo, hi = hi, lo // a swap: not two assignments one after the other
	count += int(lo-hi) % 3
	y := x * 100 // its address is kept: one variable per bar
	kept = append(kept, &y)
	if len(kept) > 3 {
		count += int(*kept[len(kept)-3]) % 2
	}
	fq, px := b.FQME, x
	if b.Index%400 == 0 {
		fmt.Println(b.Index, count, sum, n, k, m, fq, px)
	}
	last = x
	if (count+n)%2 == 0 {
		c.Target(fq, 1)
	} else {
		c.Target(fq, 0)
	}
}
