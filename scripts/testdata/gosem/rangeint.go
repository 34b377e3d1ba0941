// Range over an integer (Go 1.22).
package main

import "fmt"

type count int

func calls(n *int) int {
	*n++
	return 3
}

func main() {
	for i := range 3 {
		fmt.Print(i, " ")
	}
	fmt.Println()

	var c count = 4
	for i := range c {
		fmt.Printf("%d ", i)
	}
	fmt.Println()

	for i := range int64(2) {
		var x int64 = i
		fmt.Print(x, " ")
	}
	fmt.Println()

	xs := []float64{1, 2, 3, 4}
	sum := 0.0
	for i := range len(xs) {
		sum += xs[i]
	}
	fmt.Println(sum)

	// The bound is evaluated once.
	evals := 0
	for i := range calls(&evals) {
		fmt.Print(i, " ")
	}
	fmt.Println(evals)

	// Changing the variable does not change the iterations.
	for i := range 3 {
		i *= 10
		fmt.Print(i, " ")
	}
	fmt.Println()

	// No variable, an assigned one, a zero and a negative bound.
	n := 0
	for range 5 {
		n++
	}
	var j int
	for j = range 4 {
	}
	for range 0 {
		n += 100
	}
	for range -2 {
		n += 100
	}
	fmt.Println(n, j)

	// Closures keep their iteration; labels and break still work.
	var fs []func() int
rows:
	for i := range calls(&evals) {
		for k := range 10 {
			if k > 1 {
				continue rows
			}
			if i == 2 {
				break rows
			}
			fs = append(fs, func() int { return i*10 + k })
		}
	}
	for _, f := range fs {
		fmt.Print(f(), " ")
	}
	fmt.Println()
}
