package main

import (
	"fmt"
	"math"
	"testing"

	"github.com/chromedp/chromedp"

	"workbench/fsp"
	headless "workbench/internal/chromium"
)

// workbench live --ind in the browser: the page draws the price pane with
// the overlays on it and a pane per oscillator, with the values the
// indicators give over the bars it holds, throws nothing, and keeps them
// so as synthetic bars stream in.
func TestLiveCommandInBrowser(t *testing.T) {
	ctx := headless.Context(t)
	thrown := headless.Thrown(ctx)
	url, _ := liveSession(t, "btcusdt.spot.synthetic", "--period", "1m", "--feed", "synthetic", "--every", "100ms",
		"--bars", "600", "--store", t.TempDir(), "--ind", "sma(20),bbands(20,2),rsi(14),macd(12,26,9)")
	if err := chromedp.Run(ctx, chromedp.Navigate(url),
		chromedp.Poll(`window.lw && window.lw.loads >= 1 && window.lw.applied >= 3`, nil)); err != nil {
		t.Fatal(err)
	}
	type pane struct {
		Names  []string
		Kinds  []string
		Closes []float64
		Values [][]*float64
	}
	var panes []pane
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const c = window.lw.charts[0], closes = c.series[0].raw.map(p => p.close);
	  return c.desc.panes.map(pd => ({names: pd.series.map(s => s.name), kinds: pd.series.map(s => s.kind), closes,
	    values: pd.series.map(s => s.raw.map(p => p.value === undefined ? null : p.value))})); })()`, &panes)); err != nil {
		t.Fatal(err)
	}
	if len(thrown()) > 0 {
		t.Errorf("the page threw: %v", thrown())
	}
	var names [][]string
	for _, p := range panes {
		names = append(names, p.Names)
	}
	want := fmt.Sprint([][]string{{"btcusdt.spot.synthetic", "sma_20", "bb_upper_20_2_2", "bb_middle_20_2_2", "bb_lower_20_2_2"},
		{"volume"}, {"rsi_14"}, {"macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9"}})
	if fmt.Sprint(names) != want {
		t.Fatalf("page panes %v, want %s", names, want)
	}
	if panes[3].Kinds[2] != "histogram" {
		t.Errorf("the MACD histogram is drawn as %s", panes[3].Kinds[2])
	}
	closes := panes[0].Closes
	macd, sig, hist := fsp.MACD(closes, 12, 26, 9)
	for _, c := range []struct {
		name string
		got  []*float64
		want []float64
	}{
		{"sma_20", panes[0].Values[1], fsp.SMA(closes, 20)},
		{"rsi_14", panes[2].Values[0], fsp.RSI(closes, 14)},
		{"macd", panes[3].Values[0], macd},
		{"macd_signal", panes[3].Values[1], sig},
		{"macd_hist", panes[3].Values[2], hist},
	} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%s: %d points for %d bars", c.name, len(c.got), len(c.want))
		}
		for i, g := range c.got {
			w := c.want[i]
			if (g == nil) != math.IsNaN(w) || (g != nil && math.Abs(*g-w) > 1e-9*math.Max(1, math.Abs(w))) {
				t.Fatalf("%s at bar %d: page %v, over the page's closes %v", c.name, i, g, w)
			}
		}
	}
}
