package plots

import (
	"encoding/json"
	"math"
	"testing"
)

// bars builds an overlay curve from rows of (open, low, high) at 60 s steps
// starting at t0.
func bars(name string, t0 int64, rows ...[3]float64) OverlayCurve {
	c := OverlayCurve{Name: name}
	for i, r := range rows {
		c.Time = append(c.Time, t0+int64(i)*60)
		c.Ref = append(c.Ref, r[0])
		c.Low = append(c.Low, r[1])
		c.High = append(c.High, r[2])
	}
	return c
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

func wantRange(t *testing.T, r *OverlayRanges, k int, name string, lo, hi float64) {
	t.Helper()
	c := r.Curves[k]
	if c.Name != name || !near(c.Min, lo) || !near(c.Max, hi) {
		t.Errorf("curve %d: %s (%v, %v), want %s (%v, %v)", k, c.Name, c.Min, c.Max, name, lo, hi)
	}
}

// The three curves of piker-notes §5.3, all starting at t0.
func workedExample() []OverlayCurve {
	// A: open 100, range (90, 130): r_up 0.30, r_dn -0.10, disp 0.40.
	a := bars("A", 0, [3]float64{100, 95, 105}, [3]float64{104, 90, 130}, [3]float64{120, 110, 125})
	// F: open 40, range (38, 50): disp 0.30.
	f := bars("F", 0, [3]float64{40, 39, 41}, [3]float64{41, 38, 50}, [3]float64{45, 44, 46})
	// G: open 10, range (8, 10): disp 0.20.
	g := bars("G", 0, [3]float64{10, 9, 10}, [3]float64{9, 8, 9.5}, [3]float64{9, 8.5, 9.2})
	return []OverlayCurve{g, a, f} // input order does not decide the major
}

// piker-notes §5 test case 1 and the margins of §5.3.
func TestOverlayPinWorkedExample(t *testing.T) {
	r, err := Overlay(workedExample(), OverlayPin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Major != "A" || !r.Curves[1].Major {
		t.Fatalf("major %q, want A", r.Major)
	}
	wantRange(t, r, 1, "A", 80, 130)
	wantRange(t, r, 2, "F", 32, 52)
	wantRange(t, r, 0, "G", 8, 13)
	margins := map[string][2]float64{"A": {77.0, 133.0}, "F": {30.8, 53.2}, "G": {7.7, 13.3}}
	for _, c := range r.Curves {
		m := margins[c.Name]
		if !near(c.ViewMin, m[0]) || !near(c.ViewMax, m[1]) {
			t.Errorf("%s view (%v, %v), want %v", c.Name, c.ViewMin, c.ViewMax, m)
		}
		// each is -23%/+33% of its pin value
		if !near(c.ViewMin/c.Pin, 0.77) || !near(c.ViewMax/c.Pin, 1.33) {
			t.Errorf("%s view/pin (%v, %v), want (0.77, 1.33)", c.Name, c.ViewMin/c.Pin, c.ViewMax/c.Pin)
		}
	}
	if !near(r.ReturnMinPct, 100*math.Log(0.8)) || !near(r.ReturnMaxPct, 100*math.Log(1.3)) {
		t.Errorf("shared return axis (%v, %v)", r.ReturnMinPct, r.ReturnMaxPct)
	}
}

// piker-notes §5 test case 2: the minor's low exactly at the pinned low is a
// no-op rescale.
func TestOverlayPinTwoCurves(t *testing.T) {
	a := bars("A", 0, [3]float64{100, 90, 110}, [3]float64{110, 100, 130})
	b := bars("B", 0, [3]float64{50, 45, 52}, [3]float64{52, 48, 55})
	r, err := Overlay([]OverlayCurve{a, b}, OverlayPin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, r, 0, "A", 90, 130)
	wantRange(t, r, 1, "B", 45, 65)
}

// piker-notes §5.3 later-start case with the recommended fix: H starts at t5
// and both are read at t5 (piker read A at t4).
func TestOverlayPinLaterStart(t *testing.T) {
	a := bars("A", 0,
		[3]float64{100, 95, 101}, [3]float64{101, 90, 102}, [3]float64{102, 100, 103},
		[3]float64{103, 101, 104}, [3]float64{105, 104, 106}, [3]float64{110, 108, 130},
		[3]float64{120, 110, 125})
	h := bars("H", 300, [3]float64{55, 54, 56}, [3]float64{56, 55, 58})
	r, err := Overlay([]OverlayCurve{a, h}, OverlayPin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// R = ((130-110)/110, (90-110)/110); H = 55*(1+R) = (45, 65).
	wantRange(t, r, 0, "A", 90, 130)
	wantRange(t, r, 1, "H", 45, 65)
	if h := r.Curves[1]; h.PinTime != 300 || h.Pin != 55 {
		t.Errorf("H pinned at %d to %v, want 300 and 55", h.PinTime, h.Pin)
	}
}

func TestOverlayFirstAndNone(t *testing.T) {
	r, err := Overlay(workedExample(), OverlayFirst, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// widest up move 0.30 (A), widest down move -0.20 (G), around each first open.
	wantRange(t, r, 1, "A", 80, 130)
	wantRange(t, r, 2, "F", 32, 52)
	wantRange(t, r, 0, "G", 8, 13)
	r, err = Overlay(workedExample(), OverlayNone, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, r, 1, "A", 90, 130)
	wantRange(t, r, 2, "F", 38, 50)
	wantRange(t, r, 0, "G", 8, 10)
	if r.Major != "" {
		t.Errorf("major %q with no scaling", r.Major)
	}
}

func TestOverlayViewWindow(t *testing.T) {
	// Only the last two rows of A and F are in [60, 180).
	r, err := Overlay(workedExample()[1:], OverlayNone, 60, 180)
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, r, 0, "A", 90, 130)
	if c := r.Curves[0]; c.Rows != 2 || c.Pin != 104 || c.PinTime != 60 {
		t.Errorf("A in view: %+v", c)
	}
	if _, err := Overlay(workedExample(), "log", 0, 0); err == nil {
		t.Error("unknown method accepted")
	}
}

// piker-notes §5 test cases 3 to 5.
func TestMarginDispersionSingle(t *testing.T) {
	for _, c := range [][4]float64{{90, 130, 87.6, 132.4}, {0.5, 1.0, 0.47, 1.03}, {0, 10, 0, 10.6}} {
		lo, hi := Margin(c[0], c[1])
		if !near(lo, c[2]) || !near(hi, c[3]) {
			t.Errorf("Margin(%v, %v) = (%v, %v), want (%v, %v)", c[0], c[1], lo, hi, c[2], c[3])
		}
	}
	up, dn := Dispersion(90, 130, 100)
	if !near(up, 0.3) || !near(dn, -0.1) || !near(up-dn, 0.4) {
		t.Errorf("Dispersion = (%v, %v)", up, dn)
	}
	r, err := Overlay(workedExample()[1:2], OverlayPin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, r, 0, "A", 90, 130)
}

// The major starting later: the minor is read at the major's first time.
func TestOverlayPinMajorStartsLater(t *testing.T) {
	m := bars("M", 0, [3]float64{50, 49, 51}, [3]float64{49, 48, 50}, [3]float64{48, 48, 49},
		[3]float64{49, 48, 50}, [3]float64{47, 47, 49}, [3]float64{50, 49, 55})
	a := bars("A", 300, [3]float64{100, 95, 130}, [3]float64{110, 90, 120})
	r, err := Overlay([]OverlayCurve{m, a}, OverlayPin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A at 300: open 100, range (90, 130): R = (-0.1, +0.3); M at 300 opens at 50.
	wantRange(t, r, 1, "A", 90, 130)
	wantRange(t, r, 0, "M", 45, 65)
	if c := r.Curves[0]; c.PinTime != 300 || c.Pin != 50 {
		t.Errorf("M pinned at %d to %v, want 300 and 50", c.PinTime, c.Pin)
	}
}

func TestOverlaySkipsLeadingNaNs(t *testing.T) {
	nan := math.NaN()
	a := CurveFromLine("a", []int64{0, 60, 120}, []float64{100, 130, 90})
	b := CurveFromLine("b", []int64{0, 60, 120}, []float64{nan, 50, 48})
	c := CurveFromLine("c", []int64{0, 60}, []float64{nan, nan})
	r, err := Overlay([]OverlayCurve{a, b, c}, OverlayPin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// b is pinned at 60, where a is 130: R = (90/130-1, 0); b = 50*(1+R) = (34.6…, 50).
	wantRange(t, r, 1, "b", 50*90.0/130, 50)
	if b := r.Curves[1]; b.PinTime != 60 || b.Pin != 50 {
		t.Errorf("b pinned at %d to %v", b.PinTime, b.Pin)
	}
	if c := r.Curves[2]; c.Pinned || c.Min != 0 || c.Max != 0 || c.Rows != 2 {
		t.Errorf("all-NaN curve %+v", c)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("ranges do not encode: %v", err)
	}
}

func TestOverlayReturnsSkipNonPositiveLows(t *testing.T) {
	a := CurveFromLine("osc", []int64{0, 60}, []float64{1, -1})
	b := CurveFromLine("b", []int64{0, 60}, []float64{100, 110})
	r, err := Overlay([]OverlayCurve{a, b}, OverlayNone, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.ReturnMinPct != 0 || !near(r.ReturnMaxPct, 100*math.Log(1.1)) {
		t.Errorf("return axis (%v, %v)", r.ReturnMinPct, r.ReturnMaxPct)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Error(err)
	}
}
