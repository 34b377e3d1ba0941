// The min, max and clear builtins (Go 1.21).
package main

import (
	"fmt"
	"math"
)

type celsius float64

func main() {
	a, b := 3, 7
	fmt.Println(min(a, b), max(a, b), min(b, 2, a), max(a, 10, b))
	x := 2.5
	fmt.Println(min(x, 1), max(1, x), min(x), max(x, math.Inf(-1)))
	fmt.Println(min(1, 2.5), max(2, 3), min("b", "a", "c"), max("go", "gopher"))
	const lo = min(4, 9, 2)
	fmt.Println(lo, lo*2)
	var f32 float32 = min(1.5, 2)
	fmt.Println(f32)
	fmt.Println(math.IsNaN(min(math.NaN(), 1)), math.IsNaN(max(1, math.NaN())), math.IsNaN(min(1, 2, math.NaN())))
	var t celsius = 21.5
	fmt.Println(max(t, 19) + 1)
	var u8 uint8 = 200
	fmt.Println(max(u8, 100), min(u8, 255))
	seen := 0
	next := func() int { seen++; return seen * 10 }
	fmt.Println(min(5, next(), next()), seen)

	m := map[string]int{"a": 1, "b": 2}
	clear(m)
	m["c"] = 3
	fmt.Println(len(m), m)
	s := []string{"x", "y", "z"}
	clear(s[1:])
	fmt.Printf("%q\n", s)
	type pt struct{ X, Y int }
	ps := []pt{{1, 2}, {3, 4}}
	clear(ps)
	fmt.Println(ps)

	// Names that shadow the builtins are the script's own.
	{
		min := func(v ...int) string { return fmt.Sprint("own min of ", len(v)) }
		fmt.Println(min(1, 2, 3))
	}
	fmt.Println(clearAll([]int{1}))
}

func clearAll(xs []int) int {
	clear := func(v []int) int { return len(v) * 100 }
	return clear(xs)
}
