package feeds

import (
	"math"
	"reflect"
	"testing"
	"time"

	"workbench/frames"
)

var (
	synthFrom = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	synthTo   = time.Date(2024, 3, 29, 0, 0, 0, 0, time.UTC).Unix() // spans the US DST change
)

func TestSyntheticDeterministicAndValid(t *testing.T) {
	for _, m := range DemoMarkets() {
		t.Run(m.FQME, func(t *testing.T) {
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			f := GenerateBars(m, synthFrom, synthTo)
			if g := GenerateBars(m, synthFrom, synthTo); !reflect.DeepEqual(f, g) {
				t.Fatal("two runs with the same seed differ")
			}
			if f.Len() < 5000 {
				t.Fatalf("only %d bars in four weeks", f.Len())
			}
			if errs := f.Validate(); len(errs) > 0 {
				t.Fatalf("%d invalid bars, first: %v", len(errs), errs[0])
			}
			cal, _ := frames.CalendarByName(m.Calendar)
			for i, ts := range f.Time {
				if !cal.IsOpen(ts) {
					t.Fatalf("bar %d at %s is outside %s sessions", i, time.Unix(ts, 0).UTC(), m.Calendar)
				}
			}
			r := frames.FindGaps(f, cal)
			s := r.Summary
			if s.Unexpected == 0 || s.Unexpected > 40 || s.MissingData == 0 {
				t.Errorf("want a few unexpected missing-data gaps:\n%s", r)
			}
			if s.Duplicates != 0 || s.NullRows != 0 || s.OutOfOrder != 0 {
				t.Errorf("generator wrote bad rows:\n%s", r)
			}
			if m.Calendar != "crypto" && s.MarketClosed < 15 {
				t.Errorf("%d market-closed gaps in four weeks of %s sessions:\n%s", s.MarketClosed, m.Calendar, r)
			}
			for i := range f.Time {
				if p := f.Close[i]; math.Abs(p/m.Tick-math.Round(p/m.Tick)) > 1e-6 {
					t.Fatalf("close %v off the %v tick", p, m.Tick)
				}
			}
		})
	}
}

// Squared returns are autocorrelated when volatility clusters; an i.i.d.
// series would give about 0.
func TestSyntheticVolatilityClusters(t *testing.T) {
	m := DemoMarkets()[0]
	f := GenerateBars(m, synthFrom, synthTo)
	sq := make([]float64, 0, f.Len())
	for i := range f.Time {
		r := math.Log(f.Close[i] / f.Open[i])
		sq = append(sq, r*r)
	}
	// Average over lags 1..10 so one lucky lag does not decide.
	var ac float64
	for lag := 1; lag <= 10; lag++ {
		ac += autocorr(sq, lag) / 10
	}
	if ac < 0.05 {
		t.Errorf("squared-return autocorrelation %.3f: no volatility clustering", ac)
	}
}

func autocorr(x []float64, lag int) float64 {
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var num, den float64
	for i, v := range x {
		den += (v - mean) * (v - mean)
		if i >= lag {
			num += (v - mean) * (x[i-lag] - mean)
		}
	}
	return num / den
}

// Equity volume is U-shaped over the session: the first and last half hours
// trade more than midday.
func TestSyntheticEquityVolumeU(t *testing.T) {
	m := DemoMarkets()[1]
	f := GenerateBars(m, synthFrom, synthTo)
	ny, _ := time.LoadLocation("America/New_York")
	var edge, mid, nEdge, nMid float64
	for i, ts := range f.Time {
		lt := time.Unix(ts, 0).In(ny)
		minute := lt.Hour()*60 + lt.Minute()
		switch {
		case minute < 10*60 || minute >= 15*60+30:
			edge += f.Volume[i]
			nEdge++
		case minute >= 12*60 && minute < 13*60:
			mid += f.Volume[i]
			nMid++
		}
	}
	if edge/nEdge < 1.5*mid/nMid {
		t.Errorf("mean volume at the open/close %.0f vs midday %.0f: want a U", edge/nEdge, mid/nMid)
	}
}

func TestSyntheticNextMatchesGenerate(t *testing.T) {
	m := DemoMarkets()[2]
	f := GenerateBars(m, synthFrom, synthFrom+3*86400)
	s := NewSynthetic(m, synthFrom)
	for i := 0; i < f.Len(); i++ {
		if b := s.Next(); b != f.At(i) {
			t.Fatalf("bar %d: Next %+v, GenerateBars %+v", i, b, f.At(i))
		}
	}
}

func TestSyntheticValidate(t *testing.T) {
	m := DemoMarkets()[0]
	m.Calendar = "lse"
	if err := m.Validate(); err == nil {
		t.Error("unknown calendar accepted")
	}
	m = DemoMarkets()[0]
	m.Period = 0
	if err := m.Validate(); err == nil {
		t.Error("zero period accepted")
	}
}
