package oracle

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"
)

// CSVRows reads every record of a CSV file (a reference or one a test made),
// failing the test when it cannot.
func CSVRows(t testing.TB, path string) [][]string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no header", path)
	}
	return rows
}

// Columns reads a CSV file with a header into float columns by name; an
// empty cell is NaN. The test fails on a cell that is not a number and on
// any of names the header lacks.
func Columns(t testing.TB, path string, names ...string) map[string][]float64 {
	t.Helper()
	rows := CSVRows(t, path)
	cols := make(map[string][]float64, len(rows[0]))
	for j, name := range rows[0] {
		v := make([]float64, len(rows)-1)
		for i, row := range rows[1:] {
			v[i] = math.NaN()
			if row[j] == "" {
				continue
			}
			x, err := strconv.ParseFloat(row[j], 64)
			if err != nil {
				t.Fatalf("%s line %d column %s: %v", path, i+2, name, err)
			}
			v[i] = x
		}
		cols[name] = v
	}
	for _, name := range names {
		if _, ok := cols[name]; !ok {
			t.Fatalf("%s has no column %q", path, name)
		}
	}
	return cols
}
