//go:build duckdb_arrow

package main

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

const arrowSupported = true

// arrowLoadInto reads the file through DuckDB's Arrow interface and copies
// every record batch into six Go slices, the way a Go program would use
// DuckDB to load bars; it returns the row count.
func arrowLoadInto(ctx context.Context, c *duckdb.Connector, path string) (int, error) {
	conn, err := c.Connect(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	ar, err := duckdb.NewArrowFromConn(conn)
	if err != nil {
		return 0, err
	}
	rr, err := ar.QueryContext(ctx, fmt.Sprintf("SELECT time, open, high, low, close, volume FROM read_parquet('%s')", path))
	if err != nil {
		return 0, err
	}
	defer rr.Release()
	var t []int64
	var cols [5][]float64
	for rr.Next() {
		rec := rr.RecordBatch()
		t = append(t, rec.Column(0).(*array.Int64).Int64Values()...)
		for i := range cols {
			cols[i] = append(cols[i], rec.Column(i+1).(*array.Float64).Float64Values()...)
		}
	}
	if err := rr.Err(); err != nil {
		return 0, err
	}
	return len(t), nil
}
