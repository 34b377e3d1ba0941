package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"workbench/frames"
	"workbench/fsp"
	"workbench/internal/chartpix"
	"workbench/internal/oracle"
	"workbench/plots"
)

// chartStore holds the oracle's BTC minutes as btcusdt.binance and the same
// bars at half the price as half.test.
func chartStore(t *testing.T) (string, *frames.OHLCV) {
	t.Helper()
	f, err := frames.ReadCSVFile(oracle.Path(t, "ohlcv", "binance_BTCUSDT_1m_2024-09-21.csv"))
	if err != nil {
		t.Fatal(err)
	}
	f.Period = 60
	half := f.Clone()
	for i := range half.Time {
		half.Open[i], half.High[i], half.Low[i], half.Close[i] = f.Open[i]/2, f.High[i]/2, f.Low[i]/2, f.Close[i]/2
	}
	dir := t.TempDir()
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write("btcusdt.binance", f); err != nil {
		t.Fatal(err)
	}
	if err := st.Write("half.test", half); err != nil {
		t.Fatal(err)
	}
	return dir, f
}

func TestChartCommandOverlayRanges(t *testing.T) {
	store, f := chartStore(t)
	out := t.TempDir()
	png1, rj := filepath.Join(out, "o.png"), filepath.Join(out, "r.json")
	code, stdout, stderr := runCLI(t, "chart", "btcusdt.binance,half.test", "--period", "1m", "--store", store,
		"--from", "2024-09-21T06:00", "--ranges-json", rj, "-o", png1)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "2 market(s)") {
		t.Errorf("stdout %q", stdout)
	}
	b, err := os.ReadFile(png1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s.X != plots.DefaultWidth || s.Y != plots.DefaultHeight {
		t.Errorf("image %v", s)
	}
	var r plots.OverlayRanges
	raw, err := os.ReadFile(rj)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	// The view starts at 06:00; the half-price copy has the same
	// dispersion, so the first curve is the major and the copy's pinned
	// range is exactly half of it.
	from := time.Date(2024, 9, 21, 6, 0, 0, 0, time.UTC).Unix()
	v := f.Slice(from, 1<<62)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range v.Time {
		lo, hi = math.Min(lo, v.Low[i]), math.Max(hi, v.High[i])
	}
	if r.Method != "pin" || r.Major != "btcusdt.binance" || len(r.Curves) != 2 {
		t.Fatalf("ranges %+v", r)
	}
	a, h := r.Curves[0], r.Curves[1]
	if a.Min != lo || a.Max != hi || a.Pin != v.Open[0] || a.PinTime != from {
		t.Errorf("major %+v, want (%v, %v) pinned at %v", a, lo, hi, v.Open[0])
	}
	if math.Abs(h.Min-lo/2) > 1e-9 || math.Abs(h.Max-hi/2) > 1e-9 || h.Pin != v.Open[0]/2 {
		t.Errorf("minor %+v, want (%v, %v)", h, lo/2, hi/2)
	}
	// The pane's two axes: the major's price on the left, its log return
	// from its first open in view on the right, placed at that price.
	var axes struct {
		Panes []struct {
			Left  []plots.AxisTick `json:"left_ticks"`
			Right []plots.AxisTick `json:"right_ticks"`
		}
	}
	if err := json.Unmarshal(raw, &axes); err != nil || len(axes.Panes) != 1 {
		t.Fatalf("panes of %s: %v", raw, err)
	}
	ax := axes.Panes[0]
	if len(ax.Left) < 4 || len(ax.Right) < 4 {
		t.Fatalf("left ticks %v, right ticks %v", ax.Left, ax.Right)
	}
	for _, tk := range ax.Left {
		// Printed at the major's tick: its prices have two decimals.
		if tk.Y != tk.Value || tk.Value < lo*0.9 || tk.Value > hi*1.1 || tk.Label != strconv.FormatFloat(tk.Value, 'f', 2, 64) {
			t.Errorf("left tick %+v: not a price of the major at its height and tick (bars %v..%v)", tk, lo, hi)
		}
	}
	for _, tk := range ax.Right {
		if want := v.Open[0] * math.Exp(tk.Value/100); math.Abs(tk.Y-want) > 1e-6 || !strings.HasSuffix(tk.Label, "%") {
			t.Errorf("right tick %+v: want %q at the price %v", tk, tk.Label, want)
		}
	}

	// Vector output is sized in points: pixels × 72 / dpi (1600×900 at the
	// default 96 dpi is 1200×675 pt).
	for _, c := range []struct {
		ext           string
		size          []string
		width, height string
	}{
		{"svg", nil, "1200", "675"},
		{"svg", []string{"--width", "800", "--height", "400", "--dpi", "144"}, "400", "200"},
		{"pdf", nil, "1200.00", "675.00"},
		{"pdf", []string{"--width", "1000", "--height", "500", "--dpi", "72"}, "1000.00", "500.00"},
	} {
		p := filepath.Join(out, "c."+c.ext)
		args := append([]string{"chart", "btcusdt.binance", "--period", "1m", "--store", store, "--time-axis", "linear", "-o", p}, c.size...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch c.ext {
		case "svg":
			var root struct {
				XMLName xml.Name
				Width   string `xml:"width,attr"`
				Height  string `xml:"height,attr"`
				Paths   []struct {
					D string `xml:"d,attr"`
				} `xml:"g>path"`
			}
			if err := xml.Unmarshal(b, &root); err != nil || root.XMLName.Local != "svg" {
				t.Fatalf("%s %v: not SVG: %v", p, c.size, err)
			}
			if root.Width != c.width+"pt" || root.Height != c.height+"pt" || len(root.Paths) < 100 {
				t.Errorf("%s %v: %s × %s with %d paths, want %spt × %spt and the candles drawn", p, c.size, root.Width, root.Height, len(root.Paths), c.width, c.height)
			}
		case "pdf":
			box := "/MediaBox [0 0 " + c.width + " " + c.height + "]"
			if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) || !bytes.Contains(b, []byte(box)) {
				t.Errorf("%s %v: %d bytes, %.20q ... %q; want a PDF with %s", p, c.size, len(b), b, b[max(0, len(b)-20):], box)
			}
		}
	}
}

func TestChartCommandErrors(t *testing.T) {
	store, _ := chartStore(t)
	out := filepath.Join(t.TempDir(), "x.png")
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"chart", "btcusdt.binance", "-o", out}, 2, "--period"},
		{[]string{"chart", "btcusdt.binance", "--period", "1m"}, 2, "-o"},
		{[]string{"chart", "btcusdt.binance", "--period", "1m", "-o", "x.gif"}, 2, ".gif"},
		{[]string{"chart", "btcusdt.binance", "--period", "1m", "--overlay", "log", "-o", out}, 2, "log"},
		{[]string{"chart", "nope.test", "--period", "1m", "-o", out}, 1, "nope.test"},
		{[]string{"chart", "btcusdt.binance", "--period", "1m", "--height", "0", "-o", out}, 2, "--height 0: must be positive"},
		{[]string{"chart", "btcusdt.binance", "--period", "1m", "--dpi", "-3", "-o", out}, 2, "--dpi -3: must be positive"},
	} {
		code, _, stderr := runCLI(t, append(c.args, "--store", store)...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d mentioning %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}

// liveSession runs `workbench live` with args until the test ends and
// returns its URL and a reader of the data of its server-sent events.
func liveSession(t *testing.T, args ...string) (string, func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		var errb bytes.Buffer
		code := run(ctx, append([]string{"live", "--no-browser"}, args...), strings.NewReader(""), pw, &errb)
		pw.Close()
		if code != 0 {
			t.Errorf("live exited %d: %s", code, errb.String())
		}
		done <- code
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	lines := bufio.NewScanner(pr)
	var url string
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "chart window: "); ok {
			url = u
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatal("no URL printed")
	}
	resp, err := http.Get(strings.Replace(url, "/?token=", "/events?token=", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	events := bufio.NewScanner(resp.Body)
	return url, func() string {
		for events.Scan() {
			if d, ok := strings.CutPrefix(events.Text(), "data: "); ok {
				return d
			}
		}
		t.Fatal("event stream ended")
		return ""
	}
}

// workbench live serves the page behind its token and pushes a frame when a
// bar lands in the store.
func TestLiveCommandPicksUpStoreBars(t *testing.T) {
	store, f := chartStore(t)
	url, next := liveSession(t, "btcusdt.binance", "--period", "1m", "--store", store, "--poll", "50ms")
	if d := next(); !strings.Contains(d, `"version":1`) {
		t.Fatalf("first event %s", d)
	}
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	last := f.At(f.Len() - 1)
	nb := frames.New(60, 1)
	nb.Add(last.Time+60, last.Close, last.Close+1, last.Close-1, last.Close, 2)
	if _, err := st.Append("btcusdt.binance", nb); err != nil {
		t.Fatal(err)
	}
	if d := next(); !strings.Contains(d, `"version":2`) {
		t.Fatalf("after a new bar: %s", d)
	}
	bare, err := http.Get(strings.Split(url, "?")[0] + "events")
	if err != nil {
		t.Fatal(err)
	}
	bare.Body.Close()
	if bare.StatusCode != http.StatusForbidden {
		t.Fatalf("events without the token: %d", bare.StatusCode)
	}
}

// With --feed synthetic, a stored market continues from its last close and
// a market the store lacks gets generated history; both receive bars.
func TestLiveCommandSyntheticFeed(t *testing.T) {
	store, _ := chartStore(t)
	_, next := liveSession(t, "btcusdt.binance,made.up", "--period", "1m", "--store", store,
		"--feed", "synthetic", "--every", "20ms", "--bars", "500")
	seen := map[int]int{}
	for seen[0] < 3 || seen[1] < 3 {
		var m struct{ Chart, Version int }
		if err := json.Unmarshal([]byte(next()), &m); err != nil {
			t.Fatal(err)
		}
		seen[m.Chart] = m.Version
	}
}

func TestSyntheticHistory(t *testing.T) {
	f, g, first := syntheticHistory("made.up", 60, nil, 500, 1_700_000_000)
	if f.Len() != 500 || f.Time[f.Len()-1] >= 1_700_000_000 || first.Time != f.Time[f.Len()-1]+60 {
		t.Fatalf("history of %d bars ending %d, first streamed bar %d", f.Len(), f.Time[f.Len()-1], first.Time)
	}
	if b := g.Next(); b.Time != first.Time+60 {
		t.Fatalf("generator continues at %d after %d", b.Time, first.Time)
	}
	stored := frames.New(60, 2)
	stored.Add(600, 10, 11, 9, 10.5, 1)
	stored.Add(660, 10.5, 12, 10, 11, 1)
	f, _, first = syntheticHistory("made.up", 60, stored, 500, 1_700_000_000)
	if f != stored || first.Time != 720 || first.Open != 11 {
		t.Fatalf("continuation from the store: first bar %+v", first)
	}
}

// The demo's overlay pins the half-price copy to the real series over the
// whole day: the real series is the major, ranged on its own extremes and
// pinned at its first open, and the copy's range is exactly half of it.
func TestDemoChartsStep(t *testing.T) {
	store, f := chartStore(t)
	var out bytes.Buffer
	d := &demoRun{out: &out, Dir: t.TempDir(), StoreDir: store, Markets: []demoMarket{
		{FQME: "btcusdt.binance", Period: 60, Calendar: "crypto"}, {FQME: "half.test", Period: 60, Calendar: "crypto"}}}
	if err := demoCharts(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"chart_overlay.png", "chart_candles.png"} {
		b, err := os.ReadFile(filepath.Join(d.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var r plots.OverlayRanges
	raw, err := os.ReadFile(filepath.Join(d.Dir, "chart_overlay_ranges.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Curves) != 2 {
		t.Fatalf("ranges %s: %v", raw, err)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range f.Time {
		lo, hi = math.Min(lo, f.Low[i]), math.Max(hi, f.High[i])
	}
	a, h := r.Curves[0], r.Curves[1]
	if r.Method != plots.OverlayPin || r.Major != "btcusdt.binance" || a.Min != lo || a.Max != hi || a.Pin != f.Open[0] || a.PinTime != f.Time[0] {
		t.Errorf("method %s, major %s, first curve %+v; want pin, btcusdt.binance, (%v, %v) pinned at %v at %d", r.Method, r.Major, a, lo, hi, f.Open[0], f.Time[0])
	}
	if math.Abs(h.Min-lo/2) > 1e-9 || math.Abs(h.Max-hi/2) > 1e-9 || h.Pin != f.Open[0]/2 {
		t.Errorf("half-price curve %+v, want (%v, %v) pinned at %v", h, lo/2, hi/2, f.Open[0]/2)
	}
	if !strings.Contains(out.String(), "major btcusdt.binance") {
		t.Errorf("summary %q", out.String())
	}
}

func TestChartIndicators(t *testing.T) {
	store, f := chartStore(t)
	specs, err := fsp.Parse("sma(20),bbands(20,2),rsi(14),macd(12,26,9),ema(5,volume)")
	if err != nil {
		t.Fatal(err)
	}
	c := marketChart([]string{"btc"}, []*frames.OHLCV{f}, chartOptions{ind: specs})
	var titles []string
	for _, p := range c.Panes {
		titles = append(titles, p.Title)
	}
	want := "price|volume|rsi(14)|macd(12,26,9)|ema(5,volume)"
	if strings.Join(titles, "|") != want {
		t.Fatalf("panes %q, want %s", titles, want)
	}
	price := c.Panes[0]
	if len(price.Series) != 1+1+3 || price.Series[1].Name != "sma_20" {
		t.Fatalf("price pane series: %d, second %q", len(price.Series), price.Series[1].Name)
	}
	sma := fsp.SMA(f.Close, 20)
	for i, v := range price.Series[1].Y {
		if !(v == sma[i] || (math.IsNaN(v) && math.IsNaN(sma[i]))) {
			t.Fatalf("sma at %d: %v, want %v", i, v, sma[i])
		}
	}
	macd := c.Panes[3].Series
	kinds := []plots.Kind{plots.KindLine, plots.KindLine, plots.KindHistogram}
	for k, s := range macd {
		if s.Kind != kinds[k] {
			t.Errorf("macd output %s drawn as kind %d", s.Name, s.Kind)
		}
	}
	out := filepath.Join(t.TempDir(), "ind.png")
	if code, _, stderr := runCLI(t, "chart", "btcusdt.binance", "--period", "1m", "--store", store,
		"--ind", "sma(20),rsi(14),macd(12,26,9)", "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "chart", "btcusdt.binance", "--period", "1m", "--store", store,
		"--ind", "rsi(14", "-o", out); code != 2 || !strings.Contains(stderr, "column") {
		t.Errorf("bad spec: exit %d, %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "chart", "btcusdt.binance,half.test", "--period", "1m", "--store", store,
		"--ind", "rsi(14)", "-o", out); code != 2 {
		t.Errorf("--ind on an overlay: exit %d, want 2", code)
	}
}

// chartLayout is what --ranges-json writes.
type chartLayout struct {
	plots.OverlayRanges
	Panes []plots.PaneLayout `json:"panes"`
}

func readLayout(t *testing.T, path string) chartLayout {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var l chartLayout
	if err := json.Unmarshal(raw, &l); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return l
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func hexRGB(t *testing.T, s string) [3]float64 {
	t.Helper()
	c, err := chartpix.Hex(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lineRow finds the row within two of row where column x holds a stroke of
// one of the colours, the one nearest row; -1 if there is none.
func lineRow(img image.Image, x int, row float64, cols ...[3]float64) int {
	best, bestD := -1, math.Inf(1)
	for y := int(row) - 2; y <= int(row)+2; y++ {
		for _, c := range cols {
			if d := math.Abs(float64(y) + 0.5 - row); chartpix.Inked(chartpix.RGB(img, x, y), c) && d < bestD {
				best, bestD = y, d
			}
		}
	}
	return best
}

// The chart: sma(20) and Bollinger bands over the candles on their
// axis, RSI and MACD in panes of their own. Read back from the pixels with
// the layout --ranges-json reports: the bands are drawn upper above middle
// above lower where the price axis puts them, the SMA sits on that axis
// too, the candles are candles, RSI's pane spans 0..100 with its 30/70
// guides.
func TestChartIndicatorPanesByPixels(t *testing.T) {
	store, f := chartStore(t)
	out := t.TempDir()
	img, rj := filepath.Join(out, "ind.png"), filepath.Join(out, "ind.json")
	specText := "sma(20),bbands(20,2),rsi(14),macd(12,26,9)"
	code, _, stderr := runCLI(t, "chart", "btcusdt.binance", "--period", "1m", "--store", store,
		"--from", "2024-09-21T06:00", "--to", "2024-09-21T09:00", "--ind", specText, "--ranges-json", rj, "-o", img)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	l, pic := readLayout(t, rj), readPNG(t, img)
	from := time.Date(2024, 9, 21, 6, 0, 0, 0, time.UTC).Unix()
	v := f.Slice(from, from+3*3600)
	specs, err := fsp.Parse(specText)
	if err != nil {
		t.Fatal(err)
	}
	smaV, bands, rsiV := specs[0].Compute(v)[0], specs[1].Compute(v), specs[2].Compute(v)[0]
	wantSeries := append(append([]string{"btcusdt.binance"}, specs[0].Columns()...), specs[1].Columns()...)
	if len(l.Panes) != 4 || strings.Join(l.Panes[0].Series, "|") != strings.Join(wantSeries, "|") ||
		strings.Join(l.Panes[2].Series, "|") != strings.Join(specs[2].Columns(), "|") ||
		strings.Join(l.Panes[3].Series, "|") != strings.Join(specs[3].Columns(), "|") {
		t.Fatalf("panes %+v; want the price pane to hold %v", l.Panes, wantSeries)
	}
	if l.Method != plots.OverlayNone || len(l.Curves) != 1 || l.Curves[0].Name != "btcusdt.binance" {
		t.Errorf("overlay fields %+v, want the market alone on its own range", l.OverlayRanges)
	}
	price, rsi := l.Panes[0], l.Panes[2]
	if rsi.YMin != 0 || rsi.YMax != 100 {
		t.Errorf("rsi pane spans %v..%v, want 0..100", rsi.YMin, rsi.YMax)
	}
	if !price.XIndex || price.XMin != -0.5 || price.XMax != float64(v.Len())-0.5 {
		t.Fatalf("x axis %v..%v (index %v), want the %d bars side by side", price.XMin, price.XMax, price.XIndex, v.Len())
	}
	col := func(p plots.PaneLayout, i int) int { return int(p.Column(float64(i))) }
	upper, middle, lower := hexRGB(t, price.Colors[2]), hexRGB(t, price.Colors[3]), hexRGB(t, price.Colors[4])
	smaC := hexRGB(t, price.Colors[1])
	var n, found, ordered int
	for i := range v.Time {
		if math.IsNaN(bands[0][i]) {
			continue
		}
		n++
		x := col(price, i)
		ru := lineRow(pic, x, price.Row(bands[0][i]), upper)
		// bb_middle is the SMA, drawn over it: either colour is the SMA's.
		rm := lineRow(pic, x, price.Row(smaV[i]), middle, smaC)
		rl := lineRow(pic, x, price.Row(bands[2][i]), lower)
		if ru < 0 || rm < 0 || rl < 0 {
			continue
		}
		found++
		if price.Row(bands[2][i])-price.Row(bands[0][i]) < 6 {
			continue // bands too close for three strokes to be told apart
		}
		ordered++
		if !(ru < rm && rm < rl) {
			t.Errorf("bar %d column %d: upper at row %d, middle %d, lower %d", i, x, ru, rm, rl)
		}
	}
	if n < 150 || found < n*9/10 || ordered < n/2 {
		t.Errorf("%d bars with bands: %d found on the price axis where expected, %d far enough apart to order", n, found, ordered)
	}

	// Candles, not a line: a tall body shows its candle's colour in its middle.
	up, down := hexRGB(t, price.Colors[0]), [3]float64{0xef, 0x53, 0x50}
	var tall, bodies int
	for i := range v.Time {
		ro, rc := price.Row(v.Open[i]), price.Row(v.Close[i])
		if math.Abs(ro-rc) < 6 {
			continue
		}
		tall++
		want := up
		if v.Close[i] < v.Open[i] {
			want = down
		}
		if chartpix.RGB(pic, col(price, i), int((ro+rc)/2)) == want {
			bodies++
		}
	}
	if tall < 20 || bodies < tall*8/10 {
		t.Errorf("%d of %d tall candle bodies drawn in their colour", bodies, tall)
	}

	rsiC := hexRGB(t, rsi.Colors[0])
	n, found = 0, 0
	for i := range v.Time {
		if math.IsNaN(rsiV[i]) {
			continue
		}
		n++
		if lineRow(pic, col(rsi, i), rsi.Row(rsiV[i]), rsiC) >= 0 {
			found++
		}
	}
	if found < n*9/10 {
		t.Errorf("rsi found at %d of %d bars on its 0..100 axis", found, n)
	}
	grey := [3]float64{0x60, 0x60, 0x60}
	for _, g := range []float64{30, 70} {
		y, k := int(rsi.Row(g)), 0
		for x := int(rsi.Left); x < int(rsi.Right); x++ {
			if chartpix.Inked(chartpix.RGB(pic, x, y), grey) || chartpix.Inked(chartpix.RGB(pic, x, y+1), grey) || chartpix.Inked(chartpix.RGB(pic, x, y-1), grey) {
				k++
			}
		}
		if k < int(rsi.Right-rsi.Left)/3 {
			t.Errorf("rsi guide at %v: %d dashed pixels along row %d", g, k, y)
		}
	}
}

// --log draws the price pane on a log scale: the ranges JSON says so for
// that pane only, its range has the same log margin over the stored
// bars' lows and highs at both ends, and an overlay refuses it.
func TestChartLogScale(t *testing.T) {
	store, f := chartStore(t)
	out := t.TempDir()
	rj := filepath.Join(out, "r.json")
	code, _, stderr := runCLI(t, "chart", "btcusdt.binance", "--period", "1m", "--store", store, "--log",
		"--ind", "sma(20)", "--ranges-json", rj, "-o", filepath.Join(out, "c.png"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(rj)
	if err != nil {
		t.Fatal(err)
	}
	var panes []map[string]any
	if err := json.Unmarshal(raw, &struct{ Panes *[]map[string]any }{&panes}); err != nil {
		t.Fatal(err)
	}
	if len(panes) != 2 || panes[0]["scale"] != "log" || panes[1]["scale"] != "linear" {
		t.Fatalf("panes %v: want the price pane log, the volume pane linear", panes)
	}
	if s := fmt.Sprint(panes[0]["series"]); s != "[btcusdt.binance sma_20]" {
		t.Errorf("price pane series %s", s)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range f.Time {
		lo, hi = math.Min(lo, f.Low[i]), math.Max(hi, f.High[i])
	}
	yMin, yMax := panes[0]["y_min"].(float64), panes[0]["y_max"].(float64)
	want := plots.RangeMargin * math.Log(hi/lo)
	if math.Abs(math.Log(lo/yMin)-want) > 1e-9 || math.Abs(math.Log(yMax/hi)-want) > 1e-9 {
		t.Errorf("log range %v..%v over bars %v..%v: margins %v and %v, want %v each", yMin, yMax, lo, hi,
			math.Log(lo/yMin), math.Log(yMax/hi), want)
	}
	code, _, stderr = runCLI(t, "chart", "btcusdt.binance,half.test", "--period", "1m", "--store", store, "--log",
		"-o", filepath.Join(out, "o.png"))
	if code != 2 || !strings.Contains(stderr, "--log") {
		t.Errorf("--log on an overlay: exit %d, %s", code, stderr)
	}
}
