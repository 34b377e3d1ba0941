package frames

import (
	"strings"
	"testing"

	"github.com/go-gota/gota/dataframe"

	"workbench/internal/oracle"
)

func TestDataFrameRoundTrip(t *testing.T) {
	f, err := ReadCSVFile(oracle.Path(t, "ohlcv", "goog_daily_2004-2008.csv"))
	if err != nil {
		t.Fatal(err)
	}
	df := f.DataFrame()
	if df.Nrow() != f.Len() || df.Ncol() != 6 {
		t.Fatalf("dataframe is %dx%d, want %dx6", df.Nrow(), df.Ncol(), f.Len())
	}
	back, err := FromDataFrame(df.Arrange(dataframe.Sort("time")))
	if err != nil {
		t.Fatal(err)
	}
	if back.Period != f.Period || back.Len() != f.Len() {
		t.Fatalf("round trip: period %d len %d, want %d and %d", back.Period, back.Len(), f.Period, f.Len())
	}
	for i := range f.Time {
		if back.At(i) != f.At(i) {
			t.Fatalf("row %d: %+v, want %+v", i, back.At(i), f.At(i))
		}
	}
}

func TestDataFrameDiffsShowGaps(t *testing.T) {
	f := New(60, 0)
	for _, ts := range []int64{0, 60, 120, 600} {
		f.Add(ts, 1, 2, 1, 2, 3)
	}
	df := f.DataFrame(WithDiffs())
	diff := df.Col("s_diff")
	if !diff.Elem(0).IsNA() {
		t.Errorf("first s_diff = %v, want NA", diff.Elem(0))
	}
	want := []int{60, 60, 480}
	for i, w := range want {
		if got, _ := diff.Elem(i + 1).Int(); got != w {
			t.Errorf("s_diff[%d] = %d, want %d", i+1, got, w)
		}
	}
	if got := df.Col("dt_diff").Elem(3).String(); got != "8m0s" {
		t.Errorf("dt_diff[3] = %q, want 8m0s", got)
	}
	if got := df.Col("dt").Elem(3).String(); got != "1970-01-01T00:10:00Z" {
		t.Errorf("dt[3] = %q", got)
	}
}

func TestFromDataFrameNamesMissingColumn(t *testing.T) {
	f := New(60, 0)
	f.Add(60, 1, 1, 1, 1, 0)
	df := f.DataFrame().Drop("volume")
	_, err := FromDataFrame(df)
	if err == nil || !strings.Contains(err.Error(), "no volume column") {
		t.Fatalf("err = %v, want one naming the volume column", err)
	}
}
