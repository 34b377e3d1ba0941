// Loop variables are per-iteration (Go 1.22): closures, addresses and
// method values taken in one iteration keep that iteration's value.
package main

import (
	"fmt"
	"strings"
	"sync"
)

func main() {
	var fs []func() int
	for i := 0; i < 3; i++ {
		fs = append(fs, func() int { return i })
	}
	for _, v := range []int{10, 20, 30} {
		fs = append(fs, func() int { return v })
	}
	for k, v := range []string{"a", "b"} {
		fs = append(fs, func() int { return k*100 + len(v) })
	}
	for _, f := range fs {
		fmt.Print(f(), " ")
	}
	fmt.Println()

	// Addresses: each iteration's variable is a new one.
	var ps []*int
	for i := 0; i < 3; i++ {
		ps = append(ps, &i)
	}
	for _, p := range ps {
		fmt.Print(*p, " ")
	}
	fmt.Println()

	// The body may change the variable; the change carries to the next
	// iteration, through continue too, while closures keep their own.
	var gs []func() int
	for i := 0; i < 10; i++ {
		gs = append(gs, func() int { return i })
		if i%3 == 0 {
			i++
			continue
		}
		i += 2
	}
	for _, g := range gs {
		fmt.Print(g(), " ")
	}
	fmt.Println()

	// Two variables, a labelled continue from an inner loop.
	var hs []func() string
outer:
	for i, j := 0, 10; i < j; i, j = i+1, j-2 {
		for k := 0; k < 3; k++ {
			hs = append(hs, func() string { return fmt.Sprint(i, j, k) })
			if k == 1 {
				continue outer
			}
		}
	}
	var parts []string
	for _, h := range hs {
		parts = append(parts, h())
	}
	fmt.Println(strings.Join(parts, " "))

	// Goroutines started in a loop see their own iteration.
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := make([]int, 5)
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			got[i] = i * i
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Println(got)

	// A closure that changes its own copy does not change the loop.
	n := 0
	for i := 0; i < 4; i++ {
		bump := func() { i += 100 }
		bump()
		n += i
	}
	fmt.Println(n)
}
