package main

import "os"

// silenced runs fn with the process's stdout and stderr on the null
// device: a replayed input's prints were seen the first time.
func silenced(fn func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fn()
		return
	}
	defer null.Close()
	defer redirectOutput(null)()
	fn()
}
