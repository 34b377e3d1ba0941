package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	headless "workbench/internal/chromium"
)

// paper --chart draws the session as it trades: a marker for each fill at
// its price on the bar it filled in (▲ buy, ▼ sell) and the position after
// each bar.
func TestPaperChart(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"paper", "--strategy", "sma-cross", "--feed", "synthetic", "--fqme", "btcusdt.spot.synthetic",
			"--every", "2ms", "--start", paperStart, "--accounts", dir, "--store", dir + "/store", "--chart"}, strings.NewReader(""), &out, &errb)
	}()
	urlRE := regexp.MustCompile(`chart window: (\S+)`)
	var url string
	deadline := time.Now().Add(30 * time.Second)
	fills := 0
	bctx := headless.Context(t)
	thrown := headless.Thrown(bctx)
	for fills < 6 {
		if time.Now().After(deadline) {
			t.Fatalf("no chart with 6 fills: %s%s", out.String(), errb.String())
		}
		time.Sleep(50 * time.Millisecond)
		if m := urlRE.FindStringSubmatch(out.String()); m != nil && url == "" {
			// The page opens on a session with no bar yet.
			url = m[1]
			if err := chromedp.Run(bctx, chromedp.Navigate(url)); err != nil {
				t.Fatal(err)
			}
		}
		if url != "" {
			d := liveDescription(t, url, 0)
			fills = len(d.Panes[0].Series[1].Time) + len(d.Panes[0].Series[2].Time)
		}
	}
	d := liveDescription(t, url, 0)
	// The page draws the same markers (time, price, shape) as they came in
	// one update at a time.
	var page [][3]float64
	want := len(d.Panes[0].Series[1].Time) + len(d.Panes[0].Series[2].Time)
	if err := chromedp.Run(bctx, chromedp.Poll(fmt.Sprintf(`(() => { if (!window.lw || !window.lw.charts[0].desc) return null; const s = window.lw.charts[0].desc.panes[0].series;
	  const m = s[1].plugin.markers().concat(s[2].plugin.markers());
	  return m.length >= %d ? m.map(x => [x.time, x.price, x.shape === 'arrowUp' ? 1 : -1]) : null; })()`, want), &page, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("page markers: %v; thrown: %v", err, thrown())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	printed := printedFills(t, out.String())
	price := d.Panes[0]
	if price.Series[1].Name != "buys" || price.Series[2].Name != "sells" || price.Series[1].Shape != "up" || price.Series[2].Shape != "down" {
		t.Fatalf("price pane series %+v", price.Series)
	}
	// The markers in time order, buys before sells at one time as the
	// sma-cross strategy does not trade both ways on one bar.
	type mark struct {
		t     int64
		price float64
		buy   bool
	}
	var marks []mark
	b, s := price.Series[1], price.Series[2]
	for i, j := 0, 0; i < len(b.Time) || j < len(s.Time); {
		if j == len(s.Time) || (i < len(b.Time) && b.Time[i] <= s.Time[j]) {
			marks, i = append(marks, mark{b.Time[i], b.Values[i], true}), i+1
		} else {
			marks, j = append(marks, mark{s.Time[j], s.Values[j], false}), j+1
		}
	}
	if len(thrown()) > 0 {
		t.Errorf("the page threw: %v", thrown())
	}
	inPage := map[[3]float64]int{}
	for _, p := range page {
		inPage[p]++
	}
	for _, m := range marks {
		side := map[bool]float64{true: 1, false: -1}[m.buy]
		if k := [3]float64{float64(m.t), m.price, side}; inPage[k] == 0 {
			t.Errorf("marker %+v served but not in the page (page: %v)", m, page)
		} else {
			inPage[k]--
		}
	}
	if len(printed) < len(marks) {
		t.Fatalf("%d markers, %d fills printed", len(marks), len(printed))
	}
	for k, m := range marks {
		f := printed[k]
		ft := f.Time.Unix()
		if m.buy != f.Size.IsPositive() || m.price != f.Price.InexactFloat64() || ft < m.t || ft > m.t+60 {
			t.Errorf("marker %d: %+v; fill printed: %s %s @ %s", k, m, f.Time.Format(time.RFC3339), f.Size, f.Price)
		}
	}
	// The position after each bar is the sum of the fills up to it.
	pos := d.Panes[1].Series[0]
	if pos.Kind != "step" || len(pos.Time) != len(d.Panes[0].Series[0].Time) {
		t.Fatalf("position: %s of %d points for %d bars", pos.Kind, len(pos.Time), len(d.Panes[0].Series[0].Time))
	}
	sum, k := decimal.Zero, 0
	for i, tb := range pos.Time {
		for ; k < len(marks) && marks[k].t <= tb; k++ {
			sum = sum.Add(printed[k].Size)
		}
		if pos.Values[i] != sum.InexactFloat64() {
			t.Fatalf("position at bar %d: %v, fills sum to %s", i, pos.Values[i], sum)
		}
	}
}
