package plots

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"workbench/frames"
)

// pageBars reads back what lightweight-charts holds for chart i: the
// candles series' data with the volume series' values beside it.
func pageBars(t *testing.T, ctx context.Context, i int) []webBar {
	t.Helper()
	var got []webBar
	expr := fmt.Sprintf(`(() => { const c = window.lw.charts[%d], v = c.volume.data();
	  return c.candles.data().map((b, k) => ({time: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: v[k].time === b.time ? v[k].value : -1})); })()`, i)
	if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &got)); err != nil {
		t.Fatal(err)
	}
	return got
}

// sameBars compares the page's bars with the server's, bar by bar.
func sameBars(t *testing.T, what string, got []webBar, f *frames.OHLCV) {
	t.Helper()
	if len(got) != f.Len() {
		t.Fatalf("%s: page has %d bars, server %d", what, len(got), f.Len())
	}
	for k, g := range got {
		if want := webBar(f.At(k)); g != want {
			t.Fatalf("%s: bar %d: page %+v, server %+v", what, k, g, want)
		}
	}
}

func pollJS(t *testing.T, ctx context.Context, expr, what string) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.Poll(expr, nil, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestLiveWebInBrowser(t *testing.T) {
	ctx := browser(t)
	a, b, btc := liveCharts(t)
	xbt := b.Panes[0].Series[0].Bars
	l, err := NewLive(a, b)
	if err != nil {
		t.Fatal(err)
	}
	url, err := l.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	pollJS(t, ctx, `window.lw && window.lw.loads >= 2`, "page never loaded both snapshots")
	sameBars(t, "btc after load", pageBars(t, ctx, 0), btc)
	sameBars(t, "xbt after load", pageBars(t, ctx, 1), xbt)

	// The hover legend shows the OHLCV of the bar under the crosshair.
	k := btc.Len() - 20
	var pos []float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`(() => { const c = window.lw.charts[0], r = document.getElementById('c0').getBoundingClientRect();
	  return [r.left + c.chart.timeScale().timeToCoordinate(%d), r.top + c.candles.priceToCoordinate(%g)]; })()`, btc.Time[k], btc.Close[k]), &pos)); err != nil {
		t.Fatal(err)
	}
	var legend string
	if err := chromedp.Run(ctx, chromedp.MouseEvent(input.MouseMoved, pos[0], pos[1]),
		chromedp.Sleep(100*time.Millisecond), // the crosshair moves on the next frame
		chromedp.Text(`#c0 .legend`, &legend, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	checkLegend(t, legend, "btcusdt.binance", btc.At(k))

	// Wheel zoom (built into lightweight-charts) narrows the visible range,
	// a drag pans it, and r puts the default range back.
	visible := func() (r [2]float64) {
		t.Helper()
		if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const r = window.lw.charts[0].chart.timeScale().getVisibleLogicalRange(); return [r.from, r.to]; })()`, &r)); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r0 := visible()
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		return input.DispatchMouseEvent(input.MouseWheel, pos[0], pos[1]).WithDeltaY(-240).Do(ctx)
	}), chromedp.Sleep(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	r1 := visible()
	if r1[1]-r1[0] >= r0[1]-r0[0] {
		t.Errorf("wheel zoom: visible bars %v, before %v", r1, r0)
	}
	// The chart follows pointer events, which need the held buttons set.
	mouse := func(typ input.MouseType, dx float64) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			return input.DispatchMouseEvent(typ, pos[0]+dx, pos[1]).WithButton(input.Left).WithButtons(1).WithClickCount(1).Do(ctx)
		})
	}
	if err := chromedp.Run(ctx, mouse(input.MousePressed, 0), mouse(input.MouseMoved, 50), mouse(input.MouseMoved, 100),
		mouse(input.MouseMoved, 200), mouse(input.MouseReleased, 200), chromedp.Sleep(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if r2 := visible(); r2[0] >= r1[0] {
		t.Errorf("drag right: visible bars %v, before %v", r2, r1)
	}
	if err := chromedp.Run(ctx, chromedp.KeyEvent("r"), chromedp.Sleep(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if r3 := visible(); math.Abs(r3[0]-r0[0]) > 0.5 || math.Abs(r3[1]-r0[1]) > 0.5 {
		t.Errorf("r: visible bars %v, default %v", r3, r0)
	}

	// Bars pushed on the server reach the page one update each: no snapshot
	// reload. The time from Append to the bar being in the chart's data
	// (polled per animation frame) is logged, not asserted.
	const pushes = 60
	lat := make([]time.Duration, 0, pushes)
	for p := 0; p < pushes; p++ {
		last := btc.At(btc.Len() - 1)
		bar := frames.Bar{Time: last.Time + 60, Open: last.Close, High: last.Close + 7.25, Low: last.Close - 3.5, Close: last.Close + float64(p%5) - 2, Volume: 1.5 + float64(p)}
		if p%3 == 2 { // a revision of the bar still forming
			bar = last
			bar.Close += 0.25
			bar.High = math.Max(bar.High, bar.Close)
		}
		expr := fmt.Sprintf(`(() => { const d = window.lw.charts[0].candles.data(), b = d[d.length - 1]; return b.time === %d && b.close === %s; })()`, bar.Time, strconv.FormatFloat(bar.Close, 'g', -1, 64))
		start := time.Now()
		if err := l.Append("btcusdt.binance", bar); err != nil {
			t.Fatal(err)
		}
		pollJS(t, ctx, expr, fmt.Sprintf("push %d never appeared", p))
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("BenchmarkLiveWebBarLatency\t%d pushes\tp50 %v\tp99 %v\t(Append to bar in the page's series, headless Chromium)",
		pushes, lat[len(lat)/2], lat[(len(lat)*99-1)/100])
	var loads, applied int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.lw.loads`, &loads), chromedp.Evaluate(`window.lw.applied`, &applied)); err != nil {
		t.Fatal(err)
	}
	if loads != 2 || applied != pushes {
		t.Errorf("after %d pushes: %d snapshot loads (want 2), %d updates applied (want %d)", pushes, loads, applied, pushes)
	}
	sameBars(t, "btc after pushes", pageBars(t, ctx, 0), btc)

	// A backfilled bar before the last cannot be one update: the page
	// reloads chart 1's snapshot and again holds the server's bars.
	if err := l.Append("xbtusdt.kraken", frames.Bar{Time: xbt.Time[0] - 60, Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 4}); err != nil {
		t.Fatal(err)
	}
	pollJS(t, ctx, `window.lw.loads >= 3`, "backfill did not reload the snapshot")
	pollJS(t, ctx, fmt.Sprintf(`window.lw.charts[1].candles.data().length === %d`, xbt.Len()), "reloaded chart has the wrong length")
	sameBars(t, "xbt after backfill", pageBars(t, ctx, 1), xbt)
}

// checkLegend parses "name  O x  H x  L x  C x  V x" (numbers grouped by the
// browser's locale) and compares it with bar b.
func checkLegend(t *testing.T, legend, name string, b frames.Bar) {
	t.Helper()
	f := strings.Fields(legend)
	if len(f) != 11 || f[0] != name {
		t.Fatalf("legend %q: want %s and five labelled values", legend, name)
	}
	want := map[string]float64{"O": b.Open, "H": b.High, "L": b.Low, "C": b.Close, "V": b.Volume}
	for i := 1; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(strings.ReplaceAll(f[i+1], ",", ""), 64)
		w, ok := want[f[i]]
		if err != nil || !ok || math.Abs(v-w) > 1e-8*math.Max(1, math.Abs(w)) {
			t.Errorf("legend %q: %s is %s, stored bar has %v", legend, f[i], f[i+1], w)
		}
	}
}
