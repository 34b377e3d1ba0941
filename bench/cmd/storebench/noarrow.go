//go:build !duckdb_arrow

package main

import (
	"context"
	"errors"

	"github.com/duckdb/duckdb-go/v2"
)

// Without the duckdb_arrow tag duckdb-go has no Arrow interface, and the
// Arrow comparison is skipped.
const arrowSupported = false

func arrowLoadInto(context.Context, *duckdb.Connector, string) (int, error) {
	return 0, errors.New("built without -tags duckdb_arrow")
}
