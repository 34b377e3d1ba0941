package frames

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go/compress/snappy"
)

// minuteTimes are n one-minute bar times in seconds from 2024-09-21.
func minuteTimes(n int) []int64 {
	t := make([]int64, n)
	for i := range t {
		t[i] = 1_726_876_800 + int64(i)*60
	}
	return t
}

type plainIntTime struct {
	Time   int64   `parquet:"time"`
	Open   float64 `parquet:"open"`
	High   float64 `parquet:"high"`
	Low    float64 `parquet:"low"`
	Close  float64 `parquet:"close"`
	Volume float64 `parquet:"volume"`
}

type floatTime struct {
	Time   float64 `parquet:"time"`
	Open   float64 `parquet:"open"`
	High   float64 `parquet:"high"`
	Low    float64 `parquet:"low"`
	Close  float64 `parquet:"close"`
	Volume float64 `parquet:"volume"`
}

// parquetWithTimes writes 300 bars with the given raw time values, with
// parquet-go in row groups of 100.
func parquetWithTimes(t *testing.T, raw []int64) []byte {
	t.Helper()
	rows := make([]plainIntTime, len(raw))
	for i, v := range raw {
		rows[i] = plainIntTime{v, 100, 101, 99, 100.5, float64(i)}
	}
	return writeWith(t, rows, &snappy.Codec{}, 1)
}

// TestParquetTimeUnitFromWholeColumn: a plain INT64 time column's unit is
// the one most of its values have. A seconds file whose first row is in
// milliseconds once collapsed 280 of 300 bars into 1970; a milliseconds
// file whose first row is 0 stored a bar in the year 57982.
func TestParquetTimeUnitFromWholeColumn(t *testing.T) {
	want := minuteTimes(300)

	t.Run("seconds, first row in ms", func(t *testing.T) {
		raw := append([]int64(nil), want...)
		raw[0] *= 1000
		b := parquetWithTimes(t, raw)
		got, warns, err := ReadParquetWithWarnings(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Time) != fmt.Sprint(want) {
			t.Fatalf("times %v…, want %v…", got.Time[:3], want[:3])
		}
		if len(warns) != 1 || warns[0].Row != 1 || !strings.Contains(warns[0].String(), "row 1: column time: time 1726876800000 read as milliseconds (2024-09-21T00:00:00Z); the rest of the column is in seconds") {
			t.Fatalf("warnings %v", warns)
		}
	})

	t.Run("milliseconds, first row 0", func(t *testing.T) {
		raw := make([]int64, len(want))
		for i, v := range want {
			raw[i] = v * 1000
		}
		raw[0] = 0
		b := parquetWithTimes(t, raw)
		_, err := ReadParquet(bytes.NewReader(b), int64(len(b)))
		var pe *ParquetError
		if !errors.As(err, &pe) || pe.Row != 1 || pe.Column != "time" || !strings.Contains(err.Error(), "mixed or implausible time units") {
			t.Fatalf("err = %v", err)
		}
		// The same in the last row group: the row is named, not the first.
		raw[0], raw[250] = raw[1]-60_000, 0
		b = parquetWithTimes(t, raw)
		if _, err := ReadParquet(bytes.NewReader(b), int64(len(b))); !errors.As(err, &pe) || pe.Row != 251 {
			t.Fatalf("err = %v", err)
		}
	})

	for _, u := range []struct {
		name string
		mul  int64
	}{{"milliseconds", 1e3}, {"microseconds", 1e6}, {"nanoseconds", 1e9}} {
		t.Run("all "+u.name, func(t *testing.T) {
			raw := make([]int64, len(want))
			for i, v := range want {
				raw[i] = v * u.mul
			}
			b := parquetWithTimes(t, raw)
			got, warns, err := ReadParquetWithWarnings(bytes.NewReader(b), int64(len(b)))
			if err != nil || len(warns) != 0 {
				t.Fatal(err, warns)
			}
			if fmt.Sprint(got.Time) != fmt.Sprint(want) {
				t.Fatalf("times %v…", got.Time[:3])
			}
			// Range reads prune by statistics in the same unit.
			part, err := ReadParquetRange(bytes.NewReader(b), int64(len(b)), want[120], want[180])
			if err != nil || part.Len() != 60 || part.Time[0] != want[120] {
				t.Fatalf("range: %v, %d bars", err, part.Len())
			}
		})
	}

	t.Run("float64 epoch seconds (piker's older files)", func(t *testing.T) {
		rows := make([]floatTime, len(want))
		for i, v := range want {
			rows[i] = floatTime{float64(v), 1, 2, 0.5, 1.5, 3}
		}
		b := writeWith(t, rows, &snappy.Codec{}, 2)
		got, err := ReadParquet(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Time) != fmt.Sprint(want) || got.Period != 60 {
			t.Fatalf("times %v…, period %d", got.Time[:3], got.Period)
		}
		rows[7].Time = 0.0 / zero()
		b = writeWith(t, rows, &snappy.Codec{}, 2)
		var pe *ParquetError
		if _, err := ReadParquet(bytes.NewReader(b), int64(len(b))); !errors.As(err, &pe) || pe.Row != 8 || pe.Column != "time" {
			t.Fatalf("NaN time: %v", err)
		}
	})
}

func zero() float64 { return 0 }

// TestCSVTimeUnitFromWholeColumn: CSV follows the same rule, naming lines.
func TestCSVTimeUnitFromWholeColumn(t *testing.T) {
	want := minuteTimes(50)
	csvOf := func(raw []int64) string {
		var b strings.Builder
		b.WriteString("time,open,high,low,close,volume\n")
		for _, v := range raw {
			fmt.Fprintf(&b, "%d,1,2,0.5,1.5,3\n", v)
		}
		return b.String()
	}

	raw := append([]int64(nil), want...)
	raw[0] *= 1000
	got, warns, err := ReadCSVWithWarnings(strings.NewReader(csvOf(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Time) != fmt.Sprint(want) {
		t.Fatalf("times %v…", got.Time[:3])
	}
	if len(warns) != 1 || warns[0].Line != 2 || !strings.Contains(warns[0].String(), "line 2: column time: time 1726876800000 read as milliseconds") {
		t.Fatalf("warnings %v", warns)
	}

	for i, v := range want {
		raw[i] = v * 1000
	}
	raw[10] = 0
	_, err = ReadCSV(strings.NewReader(csvOf(raw)))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 12 || pe.Name != "time" || !strings.Contains(err.Error(), "mixed or implausible time units") {
		t.Fatalf("err = %v", err)
	}

	// A quoted line break shifts the lines after it; warnings still name
	// the right one.
	in := "time,open,high,low,close,volume\n\"1726876800\",1,2,0.5,1.5,3\n1726876860,\"1\n\",2,0.5,1.5,3\n1726876920000,1,2,0.5,1.5,3\n1726876980,1,2,0.5,1.5,3\n"
	if _, warns, err := ReadCSVWithWarnings(strings.NewReader(in)); err != nil || len(warns) != 1 || warns[0].Line != 5 {
		t.Fatal(err, warns)
	}
	in = "time,open,high,low,close,volume\n\"1726876800\",1,2,0.5,1.5,\"3\"\n1726876860,1,2,0.5,1.5,3\n1726876920000,1,2,0.5,1.5,3\n1726876980,1,2,0.5,1.5,3\n"
	if _, warns, err := ReadCSVWithWarnings(strings.NewReader(in)); err != nil || len(warns) != 1 || warns[0].Line != 4 {
		t.Fatal(err, warns)
	}
}

// TestCSVLongLine: a line past the bound is an error naming it, read with
// memory bounded by the line limit, not the input.
func TestCSVLongLine(t *testing.T) {
	in := "time,open,high,low,close,volume\n0,1,2,0,1,1\n" + strings.Repeat("9", 10<<20) + ",1,2,0,1,1\n"
	var err error
	alloc := allocatedBy(func() { _, err = ReadCSV(strings.NewReader(in)) })
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || !strings.Contains(err.Error(), "longer than 65536 bytes") {
		t.Fatalf("err = %v", err)
	}
	if alloc > 4<<20 {
		t.Fatalf("allocated %d KB for a 10 MB line", alloc>>10)
	}
}
