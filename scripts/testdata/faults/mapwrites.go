// want: fatal error: concurrent map writes (a map used by several goroutines
package main

import (
	"fmt"
	"sync"
)

func main() {
	fmt.Println("before")
	m := map[int]int{}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10000000; i++ {
				m[i%100] = i
			}
		}()
	}
	wg.Wait()
}
