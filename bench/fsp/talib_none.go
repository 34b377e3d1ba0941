//go:build !talib

package main

// talibC is empty without the talib build tag (see run.sh).
func talibC(*bars) map[string]func() { return nil }

func talibCStatus() string { return "not built in (build with -tags talib, see run.sh)" }
