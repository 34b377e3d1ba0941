package main

import (
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// checkDuckDB reads a sweep's results.parquet with DuckDB and compares it
// with its results.csv: the same columns in the same order and, row by
// row, each value as the CSV spells it (NULL where the CSV is empty).
func checkDuckDB(parquetPath, csvPath string) error {
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", csvPath, err)
	}
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	rows, err := db.Query(fmt.Sprintf("SELECT * FROM read_parquet('%s')", strings.ReplaceAll(parquetPath, "'", "''")))
	if err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if strings.Join(cols, ",") != strings.Join(recs[0], ",") {
		return fmt.Errorf("duckdb reads the columns %v, the CSV has %v", cols, recs[0])
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("duckdb row %d: %w", n, err)
		}
		n++
		if n >= len(recs) {
			return fmt.Errorf("duckdb reads more rows than the CSV's %d", len(recs)-1)
		}
		for i, v := range vals {
			if got := duckCell(v); got != recs[n][i] {
				return fmt.Errorf("row %d %s: duckdb reads %q, the CSV has %q", n, cols[i], got, recs[n][i])
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	if n != len(recs)-1 {
		return fmt.Errorf("duckdb reads %d rows, the CSV has %d", n, len(recs)-1)
	}
	return nil
}

func duckCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}
