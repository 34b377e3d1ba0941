// Deferred calls take their function and arguments when the defer
// statement runs, in loops too.
package main

import (
	"fmt"
	"strings"
	"sync"
)

type logger struct{ lines []string }

func (l *logger) add(s string) { l.lines = append(l.lines, s) }

func show(tag string, n int) { fmt.Println("deferred", tag, n) }

func main() {
	x := 1
	defer fmt.Println("deferred x", x)
	x = 2
	var b strings.Builder
	func() {
		for i := 0; i < 3; i++ {
			defer b.WriteString(fmt.Sprint(i))
			defer show("loop", i)
		}
		for _, s := range []string{"a", "b"} {
			defer b.WriteString(s)
		}
	}()
	fmt.Println(b.String())
	var mu sync.Mutex
	mu.Lock()
	func() {
		defer mu.Unlock()
	}()
	mu.Lock()
	fmt.Println("relocked")
	l := &logger{}
	func() {
		for i := 0; i < 3; i++ {
			defer l.add(fmt.Sprint("n", i))
		}
	}()
	fmt.Println(l.lines, x)
}
