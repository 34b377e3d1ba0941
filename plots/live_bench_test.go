package plots

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"workbench/frames"
)

// BenchmarkLiveWebBarLatency times a bar from Append to the animation frame
// that paints it in headless Chromium (one wall clock: the page stamps the
// frame with performance.timeOrigin + now), for bars pushed every 20 ms to
// a chart with an average, RSI and an overlaid market.
func BenchmarkLiveWebBarLatency(b *testing.B) {
	ctx := browser(b)
	l, _, btc, _ := openWebCharts(b, ctx)
	const pushes = 300
	sent := map[uint64]time.Time{}
	var seq0 uint64
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.lw.charts[0].seq`, &seq0)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for p := 0; p < pushes; p++ {
		last := btc.At(btc.Len() - 1)
		bar := frames.Bar{Time: last.Time + 60, Open: last.Close, High: last.Close + 5, Low: last.Close - 5, Close: last.Close + float64(p%7) - 3, Volume: 1}
		if p%3 == 2 {
			bar = last
			bar.Close += 0.5
			bar.High = max(bar.High, bar.Close)
		}
		sent[seq0+uint64(p)+1] = time.Now()
		if err := l.Append("btcusdt.binance", bar); err != nil {
			b.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var drawn [][3]float64
	if err := chromedp.Run(ctx, chromedp.Poll(fmt.Sprintf(`window.lw.charts[0].seq >= %d`, seq0+pushes), nil),
		chromedp.Sleep(100*time.Millisecond), chromedp.Evaluate(`window.lw.drawn`, &drawn)); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	var lat []time.Duration
	for _, d := range drawn {
		if at, ok := sent[uint64(d[1])]; ok && d[0] == 0 {
			lat = append(lat, time.UnixMicro(int64(d[2]*1000)).Sub(at))
		}
	}
	if len(lat) < pushes*9/10 {
		b.Fatalf("%d of %d pushes seen painted", len(lat), pushes)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50, p99 := lat[len(lat)/2], lat[(len(lat)*99-1)/100]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.Logf("bar to painted, %d pushes every 20 ms: p50 %v p99 %v max %v", len(lat), p50, p99, lat[len(lat)-1])
}

// BenchmarkLiveWebDrag1M drags a million-bar chart for two seconds, a
// pointer move every 8 ms, and counts the animation frames the page gets
// painted: frames per second while dragging, at the default view (the last
// bins of the whole history) and zoomed to 20000 bars.
func BenchmarkLiveWebDrag1M(b *testing.B) {
	ctx := browser(b)
	c, f := millionChart()
	_, url := serve(b, c)
	if err := chromedp.Run(ctx, chromedp.Navigate(url), chromedp.Poll(`window.lw && window.lw.loads >= 1`, nil, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		b.Fatal(err)
	}
	var pos []float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const r = document.getElementById('c0').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 3]; })()`, &pos)); err != nil {
		b.Fatal(err)
	}
	// The default view shows the last bins: the page asks for finer ones
	// once after loading.
	if err := chromedp.Run(ctx, chromedp.Sleep(2*time.Second), chromedp.Poll(`!window.lw.charts[0].loading`, nil)); err != nil {
		b.Fatal(err)
	}
	// dragFor drags back and forth for d, a pointer move every 8 ms.
	dragFor := func(d time.Duration) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			start, x := time.Now(), pos[0]
			if err := input.DispatchMouseEvent(input.MousePressed, x, pos[1]).WithButton(input.Left).WithButtons(1).WithClickCount(1).Do(ctx); err != nil {
				return err
			}
			for i := 0; time.Since(start) < d; i++ {
				x += []float64{3, -3}[i/60%2]
				if err := input.DispatchMouseEvent(input.MouseMoved, x, pos[1]).WithButton(input.Left).WithButtons(1).Do(ctx); err != nil {
					return err
				}
				time.Sleep(8 * time.Millisecond)
			}
			return input.DispatchMouseEvent(input.MouseReleased, x, pos[1]).WithButton(input.Left).WithButtons(1).WithClickCount(1).Do(ctx)
		})
	}
	// The first drag compiles the chart's drawing code: it is not counted.
	if err := chromedp.Run(ctx, dragFor(time.Second), chromedp.Sleep(500*time.Millisecond), chromedp.Poll(`!window.lw.charts[0].loading`, nil),
		chromedp.Evaluate(`window.lw.charts[0].chart.timeScale().resetTimeScale()`, nil), chromedp.Sleep(time.Second)); err != nil {
		b.Fatal(err)
	}
	// One animation-frame counter for the whole run.
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.benchFrames = 0; (function tick() { window.benchFrames++; requestAnimationFrame(tick); })()`, nil)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for _, view := range []string{"default", "zoomed"} {
		if view == "zoomed" {
			if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`window.lw.charts[0].chart.timeScale().setVisibleRange({from: %d, to: %d})`, f.Time[500_000], f.Time[520_000]), nil),
				chromedp.Sleep(time.Second), chromedp.Poll(`!window.lw.charts[0].loading`, nil)); err != nil {
				b.Fatal(err)
			}
		}
		var frames float64
		start := time.Now()
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.benchFrames = 0`, nil),
			dragFor(2*time.Second), chromedp.Evaluate(`window.benchFrames`, &frames)); err != nil {
			b.Fatal(err)
		}
		fps := frames / time.Since(start).Seconds()
		b.ReportMetric(fps, "fps-"+view)
		b.Logf("dragging a million-bar chart (%s view): %.1f frames/s", view, fps)
	}
}
