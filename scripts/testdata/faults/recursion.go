// want: fatal error: stack overflow (recursion too deep
package main

import "fmt"

func down(n int) int { return down(n+1) + 1 }

func main() {
	fmt.Println("before")
	fmt.Println(down(0))
}
