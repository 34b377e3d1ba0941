// want: panic: boom in callback (a panic in a goroutine the interpreter does not run
package main

import (
	"fmt"
	"time"
)

func main() {
	fmt.Println("before")
	time.AfterFunc(time.Millisecond, func() { panic("boom in callback") })
	time.Sleep(5 * time.Second)
}
