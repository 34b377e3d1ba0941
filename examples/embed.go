// Package examples holds saved scripts a new user can learn from, each in
// its own folder and run by this package's tests; Notebook is the study
// notebook `workbench demo` runs.
package examples

import _ "embed"

// Notebook is examples/notebook/report.go.
//
//go:embed notebook/report.go
var Notebook []byte
