package frames

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzReadCSV checks that no input makes ReadCSV panic or return a ragged
// series, and that whatever it accepts survives WriteCSV → ReadCSV exactly.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"time,open,high,low,close,volume\n0,1,2,0,1,1\n60,1,2,0,1,1\n",
		"1726876800000,63201.05000000,63201.06000000,63186.00000000,63196.00000000,10.91101000,1726876859999,689505.82620870,2464,6.94903000,439120.77141390,0\n",
		"timestamp_utc,open,high,low,close,volume\n2024-01-01 23:01:00,1.1076,1.10785,1.1076,1.1078,205\n",
		"Date,Open,High,Low,Close,Adj Close,Volume\n2004-08-19,100,104.06,95.96,100.34,100.34,22351900\n",
		"datetime,o,h,l,c,v\n2024-01-01T00:00:00+01:00,NaN,+Inf,-Inf,0x1p-2,1e308\n",
		"time,open\n\"0\",\"1\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ReadCSV(strings.NewReader(in))
		if err != nil {
			if got != nil {
				t.Fatal("a series returned with an error")
			}
			return
		}
		if errs := got.Validate(); len(errs) > 0 && errs[0].Row < 0 {
			t.Fatalf("ragged series: %v", errs[0])
		}
		var buf bytes.Buffer
		if err := got.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ReadCSV(&buf)
		if err != nil {
			t.Fatalf("rereading our own output: %v\n%s", err, buf.String())
		}
		if !sameSeries(got, back) {
			t.Fatalf("round trip differs:\n%+v\n%+v", got, back)
		}
	})
}
