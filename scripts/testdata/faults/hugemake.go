// want: fatal error: runtime: out of memory (an allocation larger
package main

import "fmt"

func main() {
	fmt.Println("before")
	b := make([]byte, 1<<40)
	fmt.Println(len(b))
}
