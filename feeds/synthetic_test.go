package feeds

import (
	"math"
	"reflect"
	"strings"
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

// Every field Validate refuses is named in the error with its value and
// the market.
func TestSyntheticValidate(t *testing.T) {
	for _, c := range []struct {
		set  func(m *SyntheticMarket)
		want string
	}{
		{func(m *SyntheticMarket) { m.Calendar = "lse" }, `"lse"`},
		{func(m *SyntheticMarket) { m.Period = 0 }, "period 0"},
		{func(m *SyntheticMarket) { m.Price = 0 }, "price 0"},
		{func(m *SyntheticMarket) { m.Price = math.NaN() }, "price NaN"},
		{func(m *SyntheticMarket) { m.Volatility = -0.1 }, "volatility -0.1"},
		{func(m *SyntheticMarket) { m.Volume = -2 }, "volume -2"},
		{func(m *SyntheticMarket) { m.Tick = -0.01 }, "tick -0.01"},
		{func(m *SyntheticMarket) { m.Lot = -1 }, "lot -1"},
		{func(m *SyntheticMarket) { m.DropRate = 1 }, "drop rate 1"},
		{func(m *SyntheticMarket) { m.DropRate = -0.5 }, "drop rate -0.5"},
	} {
		m := DemoMarkets()[0]
		c.set(&m)
		err := m.Validate()
		if err == nil || !strings.Contains(err.Error(), m.FQME) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one naming %s and %s", m, err, m.FQME, c.want)
		}
	}
}

// The crypto market never closes, so its gaps are exactly the runs the
// generator dropped: every place where two bars are more than a period
// apart, with that many bars missing, each run 1 to 30 bars long, and the
// bars plus the missing ones fill every minute from the first bar to the
// last.
func TestSyntheticCryptoGapsAreTheDroppedRuns(t *testing.T) {
	m := DemoMarkets()[0]
	if m.Calendar != "crypto" {
		t.Fatalf("first demo market is %s, want the crypto one", m.Calendar)
	}
	f := GenerateBars(m, synthFrom, synthTo)
	cal, _ := frames.CalendarByName("crypto")
	r := frames.FindGaps(f, cal)
	var want []frames.Gap
	for i := 1; i < f.Len(); i++ {
		if d := f.Time[i] - f.Time[i-1]; d > m.Period {
			want = append(want, frames.Gap{LastBar: f.Time[i-1], NextBar: f.Time[i], Missing: d/m.Period - 1})
		}
	}
	if len(want) == 0 || len(r.Gaps) != len(want) {
		t.Fatalf("%d gaps reported, %d runs of missing minutes in the bars", len(r.Gaps), len(want))
	}
	missing := int64(0)
	for i, g := range r.Gaps {
		w := want[i]
		if g.LastBar != w.LastBar || g.NextBar != w.NextBar || g.Missing != w.Missing || g.Kind != frames.GapUnexpected {
			t.Errorf("gap %d: %+v, want %d bars missing between %d and %d", i, g, w.Missing, w.LastBar, w.NextBar)
		}
		if g.Missing < 1 || g.Missing > 30 {
			t.Errorf("gap %d: a run of %d dropped bars, want 1 to 30", i, g.Missing)
		}
		missing += g.Missing
	}
	if slots := (f.Time[f.Len()-1]-f.Time[0])/m.Period + 1; int64(f.Len())+missing != slots {
		t.Errorf("%d bars + %d missing, want the %d minutes from first to last bar", f.Len(), missing, slots)
	}
	if r.Summary.MissingBars != missing {
		t.Errorf("summary counts %d missing bars, the gaps %d", r.Summary.MissingBars, missing)
	}
}
