package oracle

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// ParquetRecords reads a whole parquet file with parquet-go's generic
// reader (no Go struct of ours) and returns its column names and its rows
// as a CSV would spell them: floats in the shortest form that reads back,
// null as empty — to compare a table written as parquet and as CSV.
func ParquetRecords(t testing.TB, data []byte) (header []string, rows [][]string) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("parquet: %v", err)
	}
	for _, c := range f.Schema().Columns() {
		header = append(header, c[0])
	}
	r := parquet.NewReader(f)
	defer r.Close()
	buf := make([]parquet.Row, f.NumRows())
	n, err := r.ReadRows(buf)
	if err != nil && !errors.Is(err, io.EOF) || int64(n) != f.NumRows() {
		t.Fatalf("parquet: read %d of %d rows: %v", n, f.NumRows(), err)
	}
	for _, row := range buf {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = parquetCell(v)
		}
		rows = append(rows, rec)
	}
	return header, rows
}

func parquetCell(v parquet.Value) string {
	switch {
	case v.IsNull():
		return ""
	case v.Kind() == parquet.Double:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	case v.Kind() == parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10)
	case v.Kind() == parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	}
	return string(v.ByteArray())
}
