package plots

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"workbench/frames"
	"workbench/fsp"
)

// pagePoint is one point of a series as the page holds it: raw (in the
// series' units) and drawn (through an overlay's value map).
type pagePoint struct {
	Time   int64    `json:"time"`
	Open   *float64 `json:"open"`
	High   *float64 `json:"high"`
	Low    *float64 `json:"low"`
	Close  *float64 `json:"close"`
	Volume *float64 `json:"volume"`
	Value  *float64 `json:"value"`
}

// pageSeries reads series s of pane p of chart i: the points the page
// keeps (raw) and the data lightweight-charts draws.
func pageSeries(t *testing.T, ctx context.Context, i, p, s int) (raw, drawn []pagePoint) {
	t.Helper()
	var got struct{ Raw, Drawn []pagePoint }
	expr := fmt.Sprintf(`(() => { const c = window.lw.charts[%d], s = c.desc.panes[%d].series[%d];
	  return {raw: s.raw, drawn: s.api ? s.api.data() : []}; })()`, i, p, s)
	if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &got)); err != nil {
		t.Fatal(err)
	}
	return got.Raw, got.Drawn
}

// sameBars compares the page's candles with the server's bars, bar by bar.
func sameBars(t *testing.T, what string, got []pagePoint, f *frames.OHLCV) {
	t.Helper()
	if len(got) != f.Len() {
		t.Fatalf("%s: page has %d bars, server %d", what, len(got), f.Len())
	}
	for k, g := range got {
		b := f.At(k)
		if g.Time != b.Time || g.Open == nil || *g.Open != b.Open || *g.High != b.High || *g.Low != b.Low || *g.Close != b.Close || *g.Volume != b.Volume {
			t.Fatalf("%s: bar %d: page %+v, server %+v", what, k, g, b)
		}
	}
}

// sameValues compares a page's line with the values it should show: NaN is
// no point.
func sameValues(t *testing.T, what string, got []pagePoint, ts []int64, want []float64) {
	t.Helper()
	if len(got) != len(ts) {
		t.Fatalf("%s: page has %d points, want %d", what, len(got), len(ts))
	}
	for k, g := range got {
		switch {
		case g.Time != ts[k]:
			t.Fatalf("%s: point %d at %d, want %d", what, k, g.Time, ts[k])
		case math.IsNaN(want[k]) != (g.Value == nil):
			t.Fatalf("%s: point %d: page %v, want %v", what, k, g.Value, want[k])
		case g.Value != nil && !near(*g.Value, want[k]):
			t.Fatalf("%s: point %d: page %v, want %v", what, k, *g.Value, want[k])
		}
	}
}

func pollJS(t *testing.T, ctx context.Context, expr, what string) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.Poll(expr, nil, chromedp.WithPollingInterval(2*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// webCharts are the two charts of the browser test: a market with an
// average on its candles, buys and a position step, its volume, and an RSI
// pane kept current by a Derive hook; and an overlay of two markets, the
// first being the same bars.
func webCharts(t testing.TB) (*Chart, *Chart, *frames.OHLCV, *frames.OHLCV) {
	btc := readBars(t, "binance_BTCUSDT_1m_2024-09-21.csv")
	xbt := readBars(t, "kraken_XBTUSDT_1m_rest.csv")
	a := NewChart("btcusdt.binance")
	a.Width, a.Height = 800, 500
	price := a.AddPane("price", 3)
	price.Candles("btcusdt.binance", btc)
	price.Line("sma(20)", nil, nil)
	price.Markers("buys", []int64{btc.Time[100]}, []float64{btc.Low[100]}, ShapeUp)
	price.Step("position", []int64{btc.Time[100]}, []float64{1})
	a.AddPane("volume", 1).Volume("volume", btc)
	osc := a.AddPane("rsi(14)", 1)
	osc.Bounds = [2]float64{0, 100}
	osc.AddLevel(30, "30")
	osc.AddLevel(70, "70")
	osc.Line("rsi(14)", nil, nil)
	b := NewChart("overlay")
	b.Width, b.Height = 800, 300
	ov := b.AddPane("", 1)
	ov.Overlay = OverlayPin
	ov.Candles("btcusdt.binance", btc)
	ov.Candles("xbtusdt.kraken", xbt)
	return a, b, btc, xbt
}

// deriveIndicators recomputes chart a's average and RSI from its bars.
func deriveIndicators(a *Chart, f *frames.OHLCV) func() {
	return func() {
		avg, rsi := a.Panes[0].Series[1], a.Panes[2].Series[0]
		avg.Time, avg.Y = f.Time, fsp.SMA(f.Close, 20)
		rsi.Time, rsi.Y = f.Time, fsp.RSI(f.Close, 14)
	}
}

// openWebCharts serves webCharts' two charts, the first's indicators kept
// current bar by bar, and loads the page in ctx; the window closes when the
// test ends.
func openWebCharts(tb testing.TB, ctx context.Context) (l *Live, a *Chart, btc, xbt *frames.OHLCV) {
	tb.Helper()
	a, b, btc, xbt := webCharts(tb)
	deriveIndicators(a, btc)()
	l, url := serve(tb, a, b)
	l.Derive(0, deriveIndicators(a, btc))
	if err := chromedp.Run(ctx, chromedp.Navigate(url),
		chromedp.Poll(`window.lw && window.lw.loads >= 2`, nil, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		tb.Fatalf("page never loaded both charts: %v", err)
	}
	return l, a, btc, xbt
}

func TestLiveWebInBrowser(t *testing.T) {
	ctx := browser(t)
	l, a, btc, xbt := openWebCharts(t, ctx)
	checkPage := func(when string) {
		t.Helper()
		raw, _ := pageSeries(t, ctx, 0, 0, 0)
		sameBars(t, when+": candles", raw, btc)
		raw, _ = pageSeries(t, ctx, 0, 0, 1)
		sameValues(t, when+": sma(20)", raw, btc.Time, sma(btc.Close, 20))
		raw, _ = pageSeries(t, ctx, 0, 2, 0)
		sameValues(t, when+": rsi(14)", raw, btc.Time, fsp.RSI(btc.Close, 14))
		raw, _ = pageSeries(t, ctx, 0, 1, 0)
		sameValues(t, when+": volume", raw, btc.Time, btc.Volume)
		// The overlay draws each market through the pin computed by
		// Overlay: its view range stretched onto the reference's.
		ovr, err := Overlay([]OverlayCurve{CurveFromBars("btc", btc), CurveFromBars("xbt", xbt)}, OverlayPin, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		ref := ovr.Curves[0]
		if ovr.Curves[1].Major {
			ref = ovr.Curves[1]
		}
		for k, f := range []*frames.OHLCV{btc, xbt} {
			cr := ovr.Curves[k]
			raw, drawn := pageSeries(t, ctx, 1, 0, k)
			sameBars(t, when+": overlay "+cr.Name, raw, f)
			for j, d := range drawn {
				want := ref.ViewMin + (f.Close[j]-cr.ViewMin)*(ref.ViewMax-ref.ViewMin)/(cr.ViewMax-cr.ViewMin)
				if d.Close == nil || !near(*d.Close, want) {
					t.Fatalf("%s: overlay %s bar %d drawn at %v, pin scaling gives %g", when, cr.Name, j, d.Close, want)
				}
			}
		}
	}
	checkPage("after load")
	var axis struct{ Time, Seconds bool }
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const o = window.lw.charts[0].chart.options().timeScale; return {time: o.timeVisible, seconds: o.secondsVisible}; })()`, &axis)); err != nil {
		t.Fatal(err)
	}
	if !axis.Time || axis.Seconds {
		t.Errorf("one-minute bars: time axis shows times %v, seconds %v; want times without seconds", axis.Time, axis.Seconds)
	}

	// Panes: price, volume and RSI, the RSI's axis fixed to 0..100 with its
	// 30 and 70 guides.
	var panes struct {
		N      int
		Levels []float64
		Range  []float64
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const c = window.lw.charts[0], s = c.desc.panes[2].series[0].api;
	  return {n: c.chart.panes().length, levels: c.desc.panes[2].levels.map(l => l.y),
	    range: [s.coordinateToPrice(c.chart.panes()[2].getHeight() - 1), s.coordinateToPrice(0)]}; })()`, &panes)); err != nil {
		t.Fatal(err)
	}
	if panes.N != 3 || len(panes.Levels) != 2 || panes.Levels[0] != 30 || panes.Levels[1] != 70 {
		t.Errorf("page has %d panes, RSI levels %v; want 3 and [30 70]", panes.N, panes.Levels)
	}
	if len(panes.Range) != 2 || panes.Range[0] > 1 || panes.Range[1] < 99 || panes.Range[0] < -15 || panes.Range[1] > 115 {
		t.Errorf("RSI pane spans %v, want about 0..100", panes.Range)
	}

	// The hover legend shows each series' values at the bar under the
	// crosshair.
	k := btc.Len() - 20
	var pos []float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`(() => { const c = window.lw.charts[0], r = document.getElementById('c0').getBoundingClientRect();
	  return [r.left + c.chart.timeScale().timeToCoordinate(%d), r.top + c.desc.panes[0].series[0].api.priceToCoordinate(%g)]; })()`, btc.Time[k], btc.Close[k]), &pos)); err != nil {
		t.Fatal(err)
	}
	var legend []string
	if err := chromedp.Run(ctx, chromedp.MouseEvent(input.MouseMoved, pos[0], pos[1]),
		chromedp.Sleep(100*time.Millisecond), // the crosshair moves on the next frame
		chromedp.Evaluate(`[...document.querySelectorAll('#c0 .legend span')].map(e => e.textContent)`, &legend)); err != nil {
		t.Fatal(err)
	}
	checkLegend(t, legend, btc, k)
	// The position step set at bar 100 holds under the crosshair.
	if !slices.Contains(legend, "position  1") {
		t.Errorf("legend %q lacks the position held since bar 100", legend)
	}

	// Wheel zoom narrows the visible range, a drag pans it, and r puts the
	// default range back.
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
	if err := chromedp.Run(ctx, drag(pos[0], pos[1], 200, 4), chromedp.Sleep(100*time.Millisecond)); err != nil {
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

	// Bars pushed on the server reach the page one update each, with the
	// indicators' and the overlay's points: no reload. The time from Append
	// to the bar being in the chart's data is logged, not asserted.
	lat := pushBars(t, ctx, l, "btcusdt.binance", btc, 60)
	t.Logf("Append to bar in the page's series, headless Chromium, under load: %d pushes, p50 %v, p99 %v; within 100 ms: %d",
		len(lat), lat[len(lat)/2], lat[(len(lat)*99-1)/100], sort.Search(len(lat), func(i int) bool { return lat[i] > 100*time.Millisecond }))
	var loads, applied int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.lw.loads`, &loads), chromedp.Evaluate(`window.lw.applied`, &applied)); err != nil {
		t.Fatal(err)
	}
	// Each push changes both charts (the overlay shows the same bars).
	if loads != 2 || applied != 2*len(lat) {
		t.Errorf("after %d pushes: %d loads (want 2), %d updates applied (want %d)", len(lat), loads, applied, 2*len(lat))
	}
	checkPage("after pushes")

	// A fill marked by the session (Update) shows at its price.
	fillAt := btc.Time[btc.Len()-5]
	l.Update(0, fillAt, func() {
		m := a.Panes[0].Series[2]
		m.Time, m.Y = append(m.Time, fillAt), append(m.Y, 123.5)
	})
	pollJS(t, ctx, fmt.Sprintf(`window.lw.charts[0].desc.panes[0].series[2].plugin.markers().some(m => m.time === %d && m.price === 123.5)`, fillAt), "marker never appeared")

	// A backfilled bar before the first cannot be one update: the page
	// reloads and again holds the server's bars.
	if err := l.Append("xbtusdt.kraken", frames.Bar{Time: xbt.Time[0] - 60, Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 4}); err != nil {
		t.Fatal(err)
	}
	pollJS(t, ctx, `window.lw.loads >= 3`, "backfill did not reload")
	pollJS(t, ctx, fmt.Sprintf(`window.lw.charts[1].desc.panes[0].series[1].raw.length === %d`, xbt.Len()), "reloaded chart has the wrong length")
	checkPage("after backfill")
}

// drag presses the left button at (x, y), moves dx in steps and lets go;
// the chart follows pointer events, which need the held buttons set.
func drag(x, y, dx float64, steps int) chromedp.Action {
	mouse := func(typ input.MouseType, x float64) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			return input.DispatchMouseEvent(typ, x, y).WithButton(input.Left).WithButtons(1).WithClickCount(1).Do(ctx)
		})
	}
	acts := []chromedp.Action{mouse(input.MousePressed, x)}
	for s := 1; s <= steps; s++ {
		acts = append(acts, mouse(input.MouseMoved, x+dx*float64(s)/float64(steps)))
	}
	return chromedp.Tasks(append(acts, mouse(input.MouseReleased, x+dx)))
}

// pushBars appends n bars (every third a revision of the forming bar) and
// waits for each to be in the page's candles; it returns the sorted times
// from Append to the page holding the bar.
func pushBars(t testing.TB, ctx context.Context, l *Live, name string, f *frames.OHLCV, n int) []time.Duration {
	lat := make([]time.Duration, 0, n)
	for p := 0; p < n; p++ {
		last := f.At(f.Len() - 1)
		bar := frames.Bar{Time: last.Time + 60, Open: last.Close, High: last.Close + 7.25, Low: last.Close - 3.5, Close: last.Close + float64(p%5) - 2, Volume: 1.5 + float64(p)}
		if p%3 == 2 {
			bar = last
			bar.Close += 0.25
			bar.High = math.Max(bar.High, bar.Close)
		}
		expr := fmt.Sprintf(`(() => { const r = window.lw.charts[0].desc.panes[0].series[0].raw, b = r[r.length - 1]; return b.time === %d && b.close === %s; })()`, bar.Time, strconv.FormatFloat(bar.Close, 'g', -1, 64))
		start := time.Now()
		if err := l.Append(name, bar); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Run(ctx, chromedp.Poll(expr, nil, chromedp.WithPollingInterval(time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("push %d never appeared: %v", p, err)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat
}

// checkLegend reads the legend entries "name  O x  H x  L x  C x  V x" and
// "name  x" (numbers grouped with commas) against row k of the bars and
// the indicators computed here.
func checkLegend(t *testing.T, legend []string, f *frames.OHLCV, k int) {
	t.Helper()
	want := map[string][]float64{
		"btcusdt.binance": {f.Open[k], f.High[k], f.Low[k], f.Close[k], f.Volume[k]},
		"sma(20)":         {sma(f.Close, 20)[k]},
		"volume":          {f.Volume[k]},
		"rsi(14)":         {fsp.RSI(f.Close, 14)[k]},
	}
	for _, e := range legend {
		fs := strings.Fields(e)
		w, ok := want[fs[0]]
		if !ok {
			continue
		}
		delete(want, fs[0])
		var got []float64
		for _, x := range fs[1:] {
			if v, err := strconv.ParseFloat(strings.ReplaceAll(x, ",", ""), 64); err == nil {
				got = append(got, v)
			}
		}
		if len(got) != len(w) {
			t.Errorf("legend %q: want %d values", e, len(w))
			continue
		}
		for i := range w {
			// The legend rounds to 8 decimals.
			if math.Abs(got[i]-w[i]) > 1e-8*math.Max(1, math.Abs(w[i])) {
				t.Errorf("legend %q: value %d is %g, want %g", e, i, got[i], w[i])
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("legend %q lacks %v", legend, want)
	}
}

// millionChart is a million one-minute bars with their volume.
func millionChart() (*Chart, *frames.OHLCV) {
	f := walkBars(1_000_000, 11)
	c := NewChart("walk")
	c.Width, c.Height = 900, 500
	c.AddPane("price", 3).Candles("walk", f)
	c.AddPane("volume", 1).Volume("volume", f)
	return c, f
}

// TestLiveWebMillionBars zooms into a million-bar chart: the page gets
// binned bars, never more than a few per pixel column, and every bin's
// open, high, low and close are those of its bars; zoomed in far enough it
// gets the bars themselves.
func TestLiveWebMillionBars(t *testing.T) {
	ctx := browser(t)
	c, f := millionChart()
	_, url := serve(t, c)
	start := time.Now()
	if err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	pollJS(t, ctx, `window.lw && window.lw.loads >= 1`, "page never loaded")
	t.Logf("page with a million bars loaded in %v (under load)", time.Since(start))
	// settle waits until the page stops asking for finer bins (the default
	// view shows the last bins only: it asks once after the first load).
	settle := func() {
		t.Helper()
		prev := -1
		for {
			var f int
			if err := chromedp.Run(ctx, chromedp.Sleep(400*time.Millisecond), chromedp.Poll(`!window.lw.charts[0].loading`, nil),
				chromedp.Evaluate(`window.lw.fetches`, &f)); err != nil {
				t.Fatal(err)
			}
			if f == prev {
				return
			}
			prev = f
		}
	}
	settle()
	var width float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.lw.charts[0].chart.timeScale().width()`, &width)); err != nil {
		t.Fatal(err)
	}
	checkBins := func(when string, from, to int64) (bins, inView int) {
		t.Helper()
		raw, _ := pageSeries(t, ctx, 0, 0, 0)
		vol, _ := pageSeries(t, ctx, 0, 1, 0)
		if len(raw) > int(2*width)+2 || len(vol) != len(raw) {
			t.Fatalf("%s: %d bars and %d volumes served for %v pixel columns", when, len(raw), len(vol), width)
		}
		for k, p := range raw {
			i0, _ := span(f.Time, p.Time, p.Time+1)
			end := f.Len()
			if k+1 < len(raw) {
				end, _ = span(f.Time, raw[k+1].Time, raw[k+1].Time+1)
			}
			hi, lo, v := math.Inf(-1), math.Inf(1), 0.0
			for i := i0; i < end; i++ {
				hi, lo, v = math.Max(hi, f.High[i]), math.Min(lo, f.Low[i]), v+f.Volume[i]
			}
			if *p.Open != f.Open[i0] || *p.High != hi || *p.Low != lo || *p.Close != f.Close[end-1] || !near(*vol[k].Value, v) {
				t.Fatalf("%s: bin %d (bars %d..%d): page %v %v %v %v vol %v; bars give %v %v %v %v vol %v", when, k, i0, end,
					*p.Open, *p.High, *p.Low, *p.Close, *vol[k].Value, f.Open[i0], hi, lo, f.Close[end-1], v)
			}
			if p.Time >= from && p.Time < to {
				inView++
			}
		}
		return len(raw), inView
	}
	n, _ := checkBins("after load", 0, 0)
	t.Logf("a million bars served as %d bins for %v pixel columns", n, width)

	// Zoom to 20000 bars in the middle, then to 300: the page asks for the
	// finer bins and keeps the view.
	for _, bars := range []int{20000, 300} {
		i0 := 500_000
		from, to := f.Time[i0], f.Time[i0+bars-1]
		var fetches int
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.lw.fetches`, &fetches)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`window.lw.charts[0].chart.timeScale().setVisibleRange({from: %d, to: %d})`, from, to), nil)); err != nil {
			t.Fatal(err)
		}
		pollJS(t, ctx, fmt.Sprintf(`window.lw.fetches > %d && !window.lw.charts[0].loading`, fetches), "zoom never fetched finer bins")
		t.Logf("zoom to %d bars: finer bins drawn %v after the zoom (under load)", bars, time.Since(start))
		settle()
		n, in := checkBins(fmt.Sprintf("zoomed to %d bars", bars), from, to+1)
		if in < min(bars, int(width)/2) {
			t.Errorf("zoomed to %d bars: %d bins in view of %d served", bars, in, n)
		}
		if bars <= int(width)/2 && in != bars {
			t.Errorf("zoomed to %d bars: %d points in view, want every bar", bars, in)
		}
	}
}

// The period menu resamples every chart on the server: the page then holds
// the resampled bars with indicators over them, bars pushed at the
// original period land in their bucket, and "as given" brings the bars
// back.
func TestLiveWebPeriodSwitch(t *testing.T) {
	ctx := browser(t)
	l, _, btc, xbt := openWebCharts(t, ctx)
	orig, origX := btc.Clone(), xbt.Clone()
	choose := func(p string) {
		t.Helper()
		var loads int
		if err := chromedp.Run(ctx, chromedp.Evaluate(`window.lw.loads`, &loads),
			chromedp.SetValue(`#period`, p, chromedp.ByQuery),
			chromedp.Evaluate(`document.getElementById('period').dispatchEvent(new Event('change'))`, nil)); err != nil {
			t.Fatal(err)
		}
		pollJS(t, ctx, fmt.Sprintf(`window.lw.loads >= %d && !window.lw.charts.some(c => c.loading)`, loads+2), "charts never reloaded for "+p)
	}
	check := func(when string, want, wantX *frames.OHLCV) {
		t.Helper()
		raw, _ := pageSeries(t, ctx, 0, 0, 0)
		sameBars(t, when+": candles", raw, want)
		raw, _ = pageSeries(t, ctx, 0, 2, 0)
		sameValues(t, when+": rsi(14)", raw, want.Time, fsp.RSI(want.Close, 14))
		raw, _ = pageSeries(t, ctx, 1, 0, 1)
		sameBars(t, when+": overlaid market", raw, wantX)
	}
	resampled := func(f *frames.OHLCV) *frames.OHLCV {
		r, err := f.Resample(300)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	choose("5m")
	check("5m", resampled(orig), resampled(origX))

	// A one-minute bar revises its five-minute bucket or opens the next.
	for p := 0; p < 7; p++ {
		last := orig.At(orig.Len() - 1)
		bar := frames.Bar{Time: last.Time + 60, Open: last.Close, High: last.Close + 30, Low: last.Close - 20, Close: last.Close + 5, Volume: 2}
		orig.Add(bar.Time, bar.Open, bar.High, bar.Low, bar.Close, bar.Volume)
		want := resampled(orig)
		wb := want.At(want.Len() - 1)
		if err := l.Append("btcusdt.binance", bar); err != nil {
			t.Fatal(err)
		}
		pollJS(t, ctx, fmt.Sprintf(`(() => { const r = window.lw.charts[0].desc.panes[0].series[0].raw, b = r[r.length - 1]; return b.time === %d && b.high === %s && b.volume === %s; })()`,
			wb.Time, strconv.FormatFloat(wb.High, 'g', -1, 64), strconv.FormatFloat(wb.Volume, 'g', -1, 64)), fmt.Sprintf("push %d never reached its bucket", p))
	}
	check("5m after pushes", resampled(orig), resampled(origX))
	choose("")
	check("as given", orig, origX)
}

// A period the bars cannot be resampled to is refused and changes nothing.
func TestLiveSetPeriodRefusesNonMultiple(t *testing.T) {
	a, b, btc, _ := webCharts(t)
	orig := btc.Clone()
	l, err := NewLive(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetPeriod(90); err == nil || !strings.Contains(err.Error(), "1m30s") && !strings.Contains(err.Error(), "90") {
		t.Fatalf("period 90s over 1m bars: %v", err)
	}
	if btc.Len() != orig.Len() || btc.Time[0] != orig.Time[0] {
		t.Fatal("a refused period changed the bars")
	}
	if err := l.SetPeriod(-60); err == nil {
		t.Fatal("a negative period was taken")
	}
}

// On a linear time axis (Chart.Index false, as NewChart makes it) the live
// window gives the minutes without bars their room, as the exported image
// does, also after a gap a pushed bar opens; on an index axis the bars
// stand side by side.
func TestLiveWebLinearTime(t *testing.T) {
	ctx := browser(t)
	btc := readBars(t, "binance_BTCUSDT_1m_2024-09-21.csv")
	f := btc.Rows(0, 30).Clone()
	for k := 90; k < 150; k++ { // an hour (rows 30 to 89) missing
		b := btc.At(k)
		f.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
	}
	var charts []*Chart
	for _, index := range []bool{false, true} {
		c := NewChart(fmt.Sprint("index ", index))
		c.Index, c.Width, c.Height = index, 800, 300
		c.AddPane("price", 1).Candles("btc", f)
		charts = append(charts, c)
	}
	l, url := serve(t, charts...)
	if err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	pollJS(t, ctx, `window.lw && window.lw.loads >= 2`, "page never loaded both charts")
	// slots is how many bar widths lie between times a and b on chart i,
	// measured against the bars at t0 and t1, a minute apart.
	slots := func(i int, t0, t1, a, b int64) float64 {
		t.Helper()
		var x float64
		if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`(() => { const ts = window.lw.charts[%d].chart.timeScale(), x = t => ts.timeToCoordinate(t);
		  return (x(%d) - x(%d)) / (x(%d) - x(%d)); })()`, i, b, a, t1, t0), &x)); err != nil {
			t.Fatal(err)
		}
		return x
	}
	check := func(when string, a, b int64) {
		t.Helper()
		want := float64(b-a) / 60
		if got := slots(0, f.Time[0], f.Time[1], a, b); math.Abs(got-want) > 0.01 {
			t.Errorf("%s, linear axis: %g bar widths across %g minutes", when, got, want)
		}
		if got := slots(1, f.Time[0], f.Time[1], a, b); math.Abs(got-1) > 0.01 {
			t.Errorf("%s, index axis: %g bar widths between neighbouring bars, want 1", when, got)
		}
	}
	check("loaded", f.Time[29], f.Time[30])
	last := f.At(f.Len() - 1)
	bar := frames.Bar{Time: last.Time + 20*60, Open: last.Close, High: last.Close + 10, Low: last.Close - 10, Close: last.Close + 1, Volume: 3}
	if err := l.Append("btc", bar); err != nil {
		t.Fatal(err)
	}
	pollJS(t, ctx, fmt.Sprintf(`window.lw.charts.every(c => { const r = c.desc.panes[0].series[0].raw; return r[r.length - 1].time === %d; })`, bar.Time),
		"the pushed bar never reached both charts")
	check("after a push", last.Time, bar.Time)
	var loads int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.lw.loads`, &loads)); err != nil || loads != 2 {
		t.Errorf("%d loads (%v): the push was not one update", loads, err)
	}
}
