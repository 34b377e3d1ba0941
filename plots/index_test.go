package plots

import (
	"bytes"
	"image/color"
	"strings"
	"testing"
	"time"

	"workbench/frames"
)

// hourly makes bars at the given epoch seconds with a gentle zigzag.
func hourly(ts []int64, base float64) *frames.OHLCV {
	f := frames.New(3600, len(ts))
	for i, t := range ts {
		p := base + float64(i%5)
		f.Add(t, p, p+1, p-1, p+0.5, 1)
	}
	return f
}

// A 24/7 market and a market open 14:00-21:00 UTC on weekdays: on the
// index axis the second's bars sit at the positions of the same hours of
// the first (the union of their times), and charted alone they take no
// room while closed, each session opened by a separator, the labels on
// New York dates at the sessions' first bars.
func TestIndexAxisSessions(t *testing.T) {
	monday := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC).Unix()
	var all, open []int64
	for h := int64(0); h < 7*24; h++ {
		tm := monday + h*3600
		all = append(all, tm)
		if day, hour := h/24, h%24; day < 5 && hour >= 14 && hour < 21 {
			open = append(open, tm)
		}
	}
	crypto, equity := hourly(all, 100), hourly(open, 50)

	c := NewChart("")
	c.Index = true
	p := c.AddPane("", 1)
	p.Overlay = OverlayPin
	p.Candles("equity", equity) // first: the axis must still hold every hour
	p.Candles("crypto", crypto)
	v := c.view()
	if len(v.master) != len(all) {
		t.Fatalf("index axis of %d bars, want the union's %d", len(v.master), len(all))
	}
	for k, x := range v.xs(open) {
		if want := float64((open[k] - monday) / 3600); x != want {
			t.Fatalf("equity bar %d at x %v, want %v (its hour among the crypto bars)", k, x, want)
		}
	}

	// Overlaid, the equity's line stops at each close and starts again at
	// the open instead of crossing the crypto's night straight: no ink of
	// its colour over the hours it was closed.
	c.Width, c.Height = 1200, 500
	var buf bytes.Buffer
	ls, err := c.RenderLayout(&buf, "png")
	if err != nil {
		t.Fatal(err)
	}
	img, l, col := decode(t, buf.Bytes()), ls[0], toRGBA(palette[0])
	for day := int64(0); day < 4; day++ {
		for h := int64(22); h < 24+13; h++ { // 22:00 to 13:00 the next day, closed
			x := int(l.Column(float64(day*24 + h)))
			for y := int(l.Top) + 1; y < int(l.Bottom); y++ {
				if nearRGB(img.RGBAAt(x, y), col, 30) {
					t.Fatalf("equity line drawn at (%d,%d), hour %d after Monday, while it was closed", x, y, day*24+h)
				}
			}
		}
	}

	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	c = NewChart("")
	c.Index, c.Location = true, ny
	c.Width, c.Height = 800, 400
	c.AddPane("", 1).Candles("equity", equity)
	v = c.view()
	if len(v.master) != len(open) || len(v.breaks) != 4 {
		t.Fatalf("%d positions, breaks %v; want %d bars and the 4 session opens after the first", len(v.master), v.breaks, len(open))
	}
	for k, b := range v.breaks {
		if b != float64(7*(k+1))-0.5 {
			t.Errorf("break %d at %v, want %v", k, b, float64(7*(k+1))-0.5)
		}
	}
	dated := 0
	for _, tk := range (timeTicker{v: v, labels: true}).Ticks(v.lo, v.hi) {
		i := int(tk.Value)
		at := time.Unix(open[i], 0).In(ny)
		switch tk.Label {
		case at.Format("Jan 2"):
			if i%7 != 0 {
				t.Errorf("date %q at bar %d, not a session's first bar", tk.Label, i)
			}
			dated++
		case at.Format("15:04"), at.Format("Jan 2 15:04"):
		default:
			t.Errorf("label %q at bar %d (%v in New York)", tk.Label, i, at)
		}
	}
	if dated < 3 {
		t.Errorf("%d sessions labelled with their date", dated)
	}
	buf.Reset()
	ls, err = c.RenderLayout(&buf, "png")
	if err != nil {
		t.Fatal(err)
	}
	img, l = decode(t, buf.Bytes()), ls[0]
	// The candles fill the width: no run of empty columns wider than a bar.
	barPx := (l.Right - l.Left) / float64(len(open))
	empty, widest := 0, 0
	for x := int(l.Left) + 1; x < int(l.Right)-1; x++ {
		ink := false
		for y := int(l.Top); y < int(l.Bottom); y++ {
			if p := img.RGBAAt(x, y); p == upColor || p == downColor {
				ink = true
				break
			}
		}
		if ink {
			empty = 0
		} else {
			empty++
			widest = max(widest, empty)
		}
	}
	if float64(widest) > barPx {
		t.Errorf("%d empty columns in a row with bars %.1f px apart: closed hours take room", widest, barPx)
	}
	for _, b := range v.breaks {
		x, n := int(l.Column(b)), 0
		for y := int(l.Top); y < int(l.Bottom); y++ {
			for dx := -1; dx <= 1; dx++ {
				if nearRGB(img.RGBAAt(x+dx, y), breakColor, 24) && img.RGBAAt(x+dx, y) != (color.RGBA{255, 255, 255, 255}) {
					n++
					break
				}
			}
		}
		if n < int(l.Bottom-l.Top)/4 {
			t.Errorf("session separator at %v (column %d): %d grey pixels", b, x, n)
		}
	}
}

// Bars far apart in time side by side on an index axis (ten hours of a
// market a year before another's three weeks) get five to ten time
// labels, none crowding the one before: steps are counted in the bars
// they land on, not in the calendar between the first and the last.
func TestIndexAxisLabelsSpread(t *testing.T) {
	now := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Unix()
	var old, recent []int64
	for h := int64(0); h < 10; h++ {
		old = append(old, now-365*86400+h*3600)
	}
	for h := int64(0); h < 21*24; h++ {
		recent = append(recent, now+h*3600)
	}
	// And three weeks of a market open 14:00-21:00 on weekdays: a label
	// falling on a weekend names the session it lands on.
	var weekdays []int64
	for _, tm := range recent {
		if wd := time.Unix(tm, 0).UTC().Weekday(); wd != time.Saturday && wd != time.Sunday && tm/3600%24 >= 14 && tm/3600%24 < 21 {
			weekdays = append(weekdays, tm)
		}
	}
	for _, series := range [][][]int64{{old, recent}, {weekdays}} {
		c := NewChart("")
		c.Index = true
		p := c.AddPane("", 1)
		p.Overlay = OverlayNone
		for k, ts := range series {
			p.Candles(string(rune('a'+k)), hourly(ts, 10))
		}
		checkTimeLabels(t, c.view())
	}
}

// checkTimeLabels: five to ten labels, each naming the bar it is on (its
// date, month or time), none crowding the one before.
func checkTimeLabels(t *testing.T, v view) {
	t.Helper()
	ticks := (timeTicker{v: v, labels: true}).Ticks(v.lo, v.hi)
	if len(ticks) < 5 || len(ticks) > 10 {
		t.Fatalf("%d time labels %v, want 5 to 10", len(ticks), ticks)
	}
	for i, tk := range ticks {
		if at := time.Unix(v.master[int(tk.Value)], 0).UTC(); !strings.HasPrefix(tk.Label, at.Format("Jan 2")) &&
			tk.Label != at.Format("Jan 2006") && tk.Label != at.Format("15:04") {
			t.Errorf("label %q on a bar of %v", tk.Label, at)
		}
		if i == 0 {
			continue
		}
		if gap := ticks[i].Value - ticks[i-1].Value; gap < (v.hi-v.lo)/20 {
			t.Errorf("labels %q and %q %v bars apart of %v", ticks[i-1].Label, ticks[i].Label, gap, v.hi-v.lo)
		}
	}
}
