package plots

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"workbench/frames"
	"workbench/internal/chromium"
)

// browser starts a real headless Chromium (see internal/chromium).
func browser(t testing.TB) context.Context { return chromium.Context(t) }

// serve serves charts in a live window until the test ends, and returns it
// with its URL.
func serve(tb testing.TB, charts ...*Chart) (*Live, string) {
	tb.Helper()
	l, err := NewLive(charts...)
	if err != nil {
		tb.Fatal(err)
	}
	url, err := l.Start("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l, url
}

func liveCharts(t *testing.T) (*Chart, *Chart, *frames.OHLCV) {
	btc := readBars(t, "binance_BTCUSDT_1m_2024-09-21.csv")
	xbt := readBars(t, "kraken_XBTUSDT_1m_rest.csv")
	mk := func(name string, f *frames.OHLCV) *Chart {
		c := NewChart(name)
		c.Width, c.Height = 800, 400
		c.AddPane("price", 3).Candles(name, f)
		c.AddPane("volume", 1).Volume(name, f)
		return c
	}
	return mk("btcusdt.binance", btc), mk("xbtusdt.kraken", xbt), btc
}

func TestLiveRefusesWithoutToken(t *testing.T) {
	a, _, _ := liveCharts(t)
	l, err := NewLive(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Start("0.0.0.0:0"); err == nil {
		t.Fatal("served on a non-loopback address")
	}
	url, err := l.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	base := url[:strings.Index(url, "/?")]
	for _, path := range []string{"/", "/?token=", "/?token=0123", "/events", "/frame?chart=0", "/view?chart=0&action=reset", "/png", "/lwc.js", "/chart?chart=0", "/bars"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", path, resp.StatusCode)
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET with token: %d", resp.StatusCode)
	}
}

func TestLiveDefaultView(t *testing.T) {
	a, _, btc := liveCharts(t)
	l, err := NewLive(a)
	if err != nil {
		t.Fatal(err)
	}
	from, to, follow := l.View(0)
	last := btc.Time[btc.Len()-1]
	if !follow || to != last+7*60 || to-from != (MinViewBars+rightMarginBars)*60 {
		t.Fatalf("default view [%d, %d) follow %v; last bar %d", from, to, follow, last)
	}
	if n := len(btc.Slice(from, to).Time); n != MinViewBars {
		t.Errorf("default view shows %d bars, want %d", n, MinViewBars)
	}
}

func TestLiveInBrowser(t *testing.T) {
	ctx := browser(t)
	a, b, btc := liveCharts(t)
	l, url := serve(t, a, b)

	version := func(i int) string {
		var v string
		if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`document.getElementById('c%d').dataset.version || ''`, i), &v)); err != nil {
			t.Fatal(err)
		}
		return v
	}
	waitVersion := func(i int, want uint64) {
		t.Helper()
		expr := fmt.Sprintf(`document.getElementById('c%d').dataset.version === '%d'`, i, want)
		if err := chromedp.Run(ctx, chromedp.Poll(expr, nil, chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("chart %d never showed version %d (has %q): %v", i, want, version(i), err)
		}
	}
	var width int
	if err := chromedp.Run(ctx, chromedp.Navigate(strings.Replace(url, "/?", "/png?", 1)),
		chromedp.Poll(`window.framesLoaded >= 2`, nil, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate(`document.getElementById('c0').naturalWidth`, &width)); err != nil {
		t.Fatal(err)
	}
	if width != 800 {
		t.Errorf("frame is %d px wide, want 800", width)
	}
	if l.Renders(0) != 1 || l.Renders(1) != 1 {
		t.Fatalf("renders %d, %d after load, want 1, 1", l.Renders(0), l.Renders(1))
	}

	// A new bar for chart 0 reaches the page; chart 1 is not redrawn.
	last := btc.At(btc.Len() - 1)
	bar := frames.Bar{Time: last.Time + 60, Open: last.Close, High: last.Close + 50, Low: last.Close - 10, Close: last.Close + 40, Volume: 3}
	start := time.Now()
	if err := l.Append("btcusdt.binance", bar); err != nil {
		t.Fatal(err)
	}
	waitVersion(0, 2)
	t.Logf("new bar to page showing it: %v", time.Since(start))
	if btc.Time[btc.Len()-1] != bar.Time {
		t.Fatal("bar not appended")
	}
	_, to, _ := l.View(0)
	if to != bar.Time+7*60 {
		t.Errorf("view did not follow the new bar: to %d", to)
	}
	// A backfilled bar of chart 1's market, far left of its view, redraws nothing.
	x := b.Panes[0].Series[0].Bars
	if err := l.Append("xbtusdt.kraken", frames.Bar{Time: x.Time[0] - 60, Open: 1, High: 1, Low: 1, Close: 1}); err != nil {
		t.Fatal(err)
	}
	if err := l.Append("nope", bar); err == nil {
		t.Error("appended to a market no chart shows")
	}
	time.Sleep(200 * time.Millisecond)
	if l.Renders(0) != 2 || l.Renders(1) != 1 {
		t.Errorf("renders %d, %d after one bar and a backfill outside the view, want 2, 1", l.Renders(0), l.Renders(1))
	}

	// Wheel zoom over chart 0 narrows its view and keeps the time under the
	// cursor where it was. The data area is found in the frame's pixels:
	// the x axis line spans it.
	left, right := xAxisSpan(t, frame(t, url, 0))
	var box []float64
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const r = document.getElementById('c0').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`, &box)); err != nil {
		t.Fatal(err)
	}
	scale := box[2] / 800 // CSS pixels per image pixel
	const at = 0.25       // of the data area's width
	cx, cy := box[0]+(float64(left)+at*float64(right-left))*scale, box[1]+box[3]/2
	from0, to0, _ := l.View(0)
	if err := chromedp.Run(ctx, chromedp.MouseEvent(input.MouseMoved, cx, cy),
		chromedp.ActionFunc(func(ctx context.Context) error {
			return input.DispatchMouseEvent(input.MouseWheel, cx, cy).WithDeltaY(-120).Do(ctx)
		})); err != nil {
		t.Fatal(err)
	}
	waitVersion(0, 3)
	from1, to1, _ := l.View(0)
	if to1-from1 >= to0-from0 {
		t.Errorf("zoom in: view [%d, %d) not narrower than [%d, %d)", from1, to1, from0, to0)
	}
	under := func(from, to int64) float64 { return float64(from) + at*float64(to-from) }
	if d := under(from1, to1) - under(from0, to0); math.Abs(d) > 60 {
		t.Errorf("zoom moved the time under the cursor by %.0f s (view [%d, %d) to [%d, %d))", d, from0, to0, from1, to1)
	}

	// Drag right pans back in time, the time under the cursor moving with it.
	// The zoomed frame's price labels may be wider: its data area is measured
	// again.
	left, right = xAxisSpan(t, frame(t, url, 0))
	if err := chromedp.Run(ctx,
		chromedp.MouseEvent(input.MousePressed, cx, cy, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.MouseMoved, cx+200*scale, cy, chromedp.ButtonLeft),
		chromedp.MouseEvent(input.MouseReleased, cx+200*scale, cy, chromedp.ButtonLeft)); err != nil {
		t.Fatal(err)
	}
	waitVersion(0, 4)
	from2, to2, follow := l.View(0)
	if from2 >= from1 || follow {
		t.Errorf("pan: view [%d, %d) follow %v after [%d, %d)", from2, to2, follow, from1, to1)
	}
	want := 200 / float64(right-left) * float64(to1-from1)
	if d := float64(from1-from2) - want; math.Abs(d) > 60 {
		t.Errorf("a 200 px drag moved the view %d s, want %.0f s", from1-from2, want)
	}

	// r resets both charts to the default view.
	if err := chromedp.Run(ctx, chromedp.KeyEvent("r")); err != nil {
		t.Fatal(err)
	}
	waitVersion(0, 5)
	from3, to3, follow := l.View(0)
	if !follow || to3 != bar.Time+7*60 || to3-from3 != (MinViewBars+rightMarginBars)*60 {
		t.Errorf("reset: view [%d, %d) follow %v", from3, to3, follow)
	}
}

func TestLiveAppendRevisesAndIgnoresRepeats(t *testing.T) {
	a, _, btc := liveCharts(t)
	l, err := NewLive(a)
	if err != nil {
		t.Fatal(err)
	}
	n := btc.Len()
	last := btc.At(n - 1)
	if err := l.Append("btcusdt.binance", last); err != nil {
		t.Fatal(err)
	}
	if v := l.charts[0].version; v != 1 || btc.Len() != n {
		t.Fatalf("the same bar again: version %d, %d bars (had %d)", v, btc.Len(), n)
	}
	last.Close += 5
	if err := l.Append("btcusdt.binance", last); err != nil {
		t.Fatal(err)
	}
	if v := l.charts[0].version; v != 2 || btc.Len() != n || btc.Close[n-1] != last.Close {
		t.Fatalf("a revised last bar: version %d, %d bars, close %v", v, btc.Len(), btc.Close[n-1])
	}
	// A missing bar inside the view goes in at its place.
	mid := btc.At(n - 10)
	gap := frames.Bar{Time: mid.Time + 30, Open: 1, High: 2, Low: 1, Close: 2}
	if err := l.Append("btcusdt.binance", gap); err != nil {
		t.Fatal(err)
	}
	if btc.Len() != n+1 || btc.Time[n-9] != gap.Time || btc.Time[n-8] != btc.Time[n-10]+60 {
		t.Fatalf("inserted bar misplaced: %v", btc.Time[n-11:])
	}
	if v := l.charts[0].version; v != 3 {
		t.Fatalf("version %d after an insert in view", v)
	}
}

// frame fetches chart i's current frame as the page does.
func frame(t *testing.T, url string, i int) *image.RGBA {
	t.Helper()
	q := url[strings.Index(url, "?token=")+len("?token="):]
	resp, err := http.Get(fmt.Sprintf("%s/frame?token=%s&chart=%d", url[:strings.Index(url, "/?")], q, i))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("frame %d: %d %v", i, resp.StatusCode, err)
	}
	return decode(t, b)
}

// xAxisSpan finds the longest run of grey pixels in a row: the x axis line
// (thinner than a pixel, so grey, not black), drawn across the data area;
// candles and volume bars are coloured.
func xAxisSpan(t *testing.T, img *image.RGBA) (int, int) {
	t.Helper()
	bl, br := 0, -1
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		run := 0
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			i := img.PixOffset(x, y)
			r, g, b := int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])
			if r < 192 && r == g && g == b {
				run++
				if run > br-bl+1 {
					bl, br = x-run+1, x
				}
				continue
			}
			run = 0
		}
	}
	if br-bl < img.Rect.Dx()/2 {
		t.Fatalf("no x axis line in the frame (longest dark run %d..%d)", bl, br)
	}
	return bl, br
}

// In index mode a wheel zoom keeps the bar under the cursor in place,
// counting bars, not seconds: the data closes for 100 bars after every 100
// open ones, which a zoom in seconds would get wrong by whole sessions.
func TestLiveIndexZoomAnchor(t *testing.T) {
	all := walkBars(4000, 3)
	f := frames.New(60, 2000)
	for i := range all.Time {
		if (i/100)%2 == 0 {
			f.Add(all.Time[i], all.Open[i], all.High[i], all.Low[i], all.Close[i], all.Volume[i])
		}
	}
	c := candlesChart(f, true)
	l, err := NewLive(c)
	if err != nil {
		t.Fatal(err)
	}
	url, err := l.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	left, right := xAxisSpan(t, frame(t, url, 0))
	const at = 0.3 // of the data area
	// The bar under the cursor, in rows of f: bar j of the view is drawn at
	// x = j over [-0.5, n-0.5].
	under := func() float64 {
		from, to, _ := l.View(0)
		i0 := sort.Search(f.Len(), func(i int) bool { return f.Time[i] >= from })
		i1 := sort.Search(f.Len(), func(i int) bool { return f.Time[i] >= to })
		return float64(i0) - 0.5 + at*float64(i1-i0)
	}
	before := under()
	atImage := (float64(left) + at*float64(right-left)) / 800
	base := url[:strings.Index(url, "/?")]
	token := url[strings.Index(url, "?token=")+len("?token="):]
	resp, err := http.Post(fmt.Sprintf("%s/view?token=%s&chart=0&action=zoom&factor=0.5&at=%g", base, token, atImage), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("zoom: %d", resp.StatusCode)
	}
	if after := under(); math.Abs(after-before) > 1 {
		t.Errorf("zoom moved the bar under the cursor from row %.1f to %.1f", before, after)
	}
}
