package plots

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"time"

	"workbench/frames"
)

// MinViewBars is the fewest bars the default view shows when the data has
// them (piker's default view: 616*4/11 = 224).
const MinViewBars = 224

// rightMarginBars is the blank room right of the last bar in the default
// view (piker's 6 steps).
const rightMarginBars = 6

// Live serves charts to a browser on 127.0.0.1 behind a random token. Its
// page (/) draws every pane and series of each chart in the browser with
// lightweight-charts from the chart's description (Chart.DescribeRange) and
// then applies each appended bar, with its indicator and overlay points, as
// one update; a chart with more bars than the page should hold is served
// binned, finer where the user zooms. Derive keeps derived series (indicators)
// current, Update announces other changes (a session's fills), SetPeriod
// resamples the window. /png is the server-rendered window, which gets a
// new PNG frame whenever a chart's data or view changes. Bars reach it
// through Append (from a script, a synthetic generator or a feed).
//
// Each chart re-renders only when something it shows changed: a bar for a
// market it does not draw, or outside its view, costs it nothing.
type Live struct {
	// Out receives the URL when no browser could be opened (default stdout).
	Out io.Writer

	data   sync.RWMutex // guards every chart's bars and views, period and base
	charts []*liveChart
	// period is the bars' period SetPeriod set (0: as given); base holds
	// the bars as given of each resampled bar series.
	period int64
	base   map[*frames.OHLCV]*frames.OHLCV
	token  string

	mu      sync.Mutex // guards subs, barSubs and srv
	subs    map[chan struct{}]struct{}
	barSubs map[chan updateMsg]struct{}
	srv     *http.Server
	url     string
	done    chan struct{} // closed by Close: ends event streams
}

type liveChart struct {
	c        *Chart
	step     int64 // bar period of the main series
	from, to int64 // view, epoch seconds [from, to)
	follow   bool  // the view's right edge tracks the newest bar
	version  uint64
	seq      uint64 // changes of the chart's series (see updateMsg)
	derive   func() // see Live.Derive

	render  sync.Mutex // one render at a time per chart; guards the fields below
	png     []byte
	pngVer  uint64
	renders int
	geom    PaneLayout // where the last frame's first pane sits in the image
}

// NewLive prepares a live window of charts (not yet serving). Each chart
// starts on its default view.
func NewLive(charts ...*Chart) (*Live, error) {
	if len(charts) == 0 {
		return nil, errors.New("live: no charts")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("live: token: %w", err)
	}
	l := &Live{Out: os.Stdout, token: hex.EncodeToString(b), subs: map[chan struct{}]struct{}{}, barSubs: map[chan updateMsg]struct{}{}, done: make(chan struct{}),
		base: map[*frames.OHLCV]*frames.OHLCV{}}
	for _, c := range charts {
		if len(c.Panes) == 0 {
			return nil, fmt.Errorf("live: chart %q has no panes", c.Title)
		}
		lc := &liveChart{c: c, version: 1}
		lc.resetView()
		l.charts = append(l.charts, lc)
	}
	return l, nil
}

// Show serves charts in a live window on a free loopback port and opens the
// browser when there is one; otherwise it prints the URL. Close the returned
// Live to stop serving.
func Show(charts ...*Chart) (*Live, error) {
	l, err := NewLive(charts...)
	if err != nil {
		return nil, err
	}
	if _, err := l.Show("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return l, nil
}

// Show starts serving on addr (see Start) and opens the browser, or prints
// the URL to Out when there is none. It returns the URL.
func (l *Live) Show(addr string) (string, error) {
	url, err := l.Start(addr)
	if err != nil {
		return "", err
	}
	if !openBrowser(url) {
		fmt.Fprintf(l.Out, "chart window: %s\n", url)
	}
	return url, nil
}

// openBrowser starts xdg-open when a display is available.
func openBrowser(url string) bool {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return false
	}
	path, err := exec.LookPath("xdg-open")
	if err != nil {
		return false
	}
	cmd := exec.Command(path, url)
	if err := cmd.Start(); err != nil {
		return false
	}
	go cmd.Wait()
	return true
}

// Start listens on addr, which must be a loopback address ("127.0.0.1:0"
// picks a free port), and returns the page's URL with its token.
func (l *Live) Start(addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("live %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("live %s: the window serves on a loopback address only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("live: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", l.guard(l.web))
	mux.HandleFunc("/lwc.js", l.guard(l.lwcJS))
	mux.HandleFunc("/chart", l.guard(l.chartHandler))
	mux.HandleFunc("/period", l.guard(l.periodHandler))
	mux.HandleFunc("/bars", l.guard(l.barEvents))
	mux.HandleFunc("/png", l.guard(l.page))
	mux.HandleFunc("/events", l.guard(l.events))
	mux.HandleFunc("/frame", l.guard(l.frame))
	mux.HandleFunc("/view", l.guard(l.view))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	l.mu.Lock()
	l.srv = srv
	l.url = fmt.Sprintf("http://%s/?token=%s", ln.Addr(), l.token)
	l.mu.Unlock()
	go srv.Serve(ln)
	return l.url, nil
}

// URL is the page's address with its token ("" before Start).
func (l *Live) URL() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.url
}

// Close stops the server and ends open event streams.
func (l *Live) Close() error {
	l.mu.Lock()
	srv := l.srv
	l.srv = nil
	l.mu.Unlock()
	if srv == nil {
		return nil
	}
	close(l.done)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return srv.Close()
	}
	return err
}

// Append adds a bar to every bar series named fqme: after the last bar, in
// place of a bar with the same time (a bar still forming), or in time order
// for a backfilled bar. Charts showing the bar get a new frame.
func (l *Live) Append(fqme string, b frames.Bar) error {
	l.data.Lock()
	found := false
	var changed []*liveChart
	type insertion struct {
		changed bool
		at      int64 // the row's time: b's, or its bucket's with a period set
	}
	seen := map[*frames.OHLCV]insertion{}
	for i, lc := range l.charts {
		hit, moved, last := false, false, true
		at := b.Time
		for _, p := range lc.c.Panes {
			for _, s := range p.Series {
				if s.Bars == nil || s.Name != fqme {
					continue
				}
				hit = true
				ins, ok := seen[s.Bars]
				if !ok {
					ins.changed, ins.at = l.insert(s.Bars, b)
					seen[s.Bars] = ins
				}
				moved, at = moved || ins.changed, ins.at
				// A bar before the end cannot be drawn as one update.
				last = last && s.Bars.Time[s.Bars.Len()-1] == ins.at
			}
		}
		found = found || hit
		if !moved {
			continue // not shown here, or the same bar again
		}
		if lc.derive != nil {
			lc.derive()
		}
		l.publish(i, lc, at, !last)
		if lc.follow {
			lc.followLast() // moves only if b is a new last bar
		}
		if at+lc.step <= lc.from || at >= lc.to {
			continue // outside the view: nothing it shows changed
		}
		lc.version++
		changed = append(changed, lc)
	}
	l.data.Unlock()
	if !found {
		return fmt.Errorf("live: no chart shows %q", fqme)
	}
	if len(changed) > 0 {
		l.notify()
	}
	return nil
}

// insertBar puts b into f in time order, replacing a bar at the same time;
// it reports whether f changed.
func insertBar(f *frames.OHLCV, b frames.Bar) bool {
	n := f.Len()
	if n == 0 || b.Time > f.Time[n-1] {
		f.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
		return true
	}
	i := sort.Search(n, func(i int) bool { return f.Time[i] >= b.Time })
	if f.Time[i] == b.Time {
		if f.At(i) == b {
			return false
		}
		f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i] = b.Open, b.High, b.Low, b.Close, b.Volume
		return true
	}
	f.Add(0, 0, 0, 0, 0, 0)
	copy(f.Time[i+1:], f.Time[i:])
	copy(f.Open[i+1:], f.Open[i:])
	copy(f.High[i+1:], f.High[i:])
	copy(f.Low[i+1:], f.Low[i:])
	copy(f.Close[i+1:], f.Close[i:])
	copy(f.Volume[i+1:], f.Volume[i:])
	f.Time[i], f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i] = b.Time, b.Open, b.High, b.Low, b.Close, b.Volume
	return true
}

// Renders reports how many times chart i has been drawn (for tests and the
// curious: a chart whose data did not change is not drawn again).
func (l *Live) Renders(i int) int {
	lc := l.charts[i]
	lc.render.Lock()
	defer lc.render.Unlock()
	return lc.renders
}

func (l *Live) notify() {
	l.mu.Lock()
	for ch := range l.subs {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending; it will send the latest versions
		}
	}
	l.mu.Unlock()
}

// main returns the times of the chart's first bar series (or first series).
func (lc *liveChart) main() []int64 {
	var first []int64
	for _, p := range lc.c.Panes {
		for _, s := range p.Series {
			if s.Bars != nil {
				return s.Bars.Time
			}
			if first == nil {
				first = s.Time
			}
		}
	}
	return first
}

// resetView sets the default view: the last MinViewBars bars (all of them
// if fewer) and a margin of rightMarginBars empty steps on the right, then
// follows new bars.
func (lc *liveChart) resetView() {
	t := lc.main()
	lc.step = frames.DetectPeriod(t)
	if lc.step <= 0 {
		lc.step = 60
	}
	lc.follow = true
	if len(t) == 0 {
		lc.from, lc.to = 0, MinViewBars*lc.step
		return
	}
	span := (MinViewBars + rightMarginBars) * lc.step
	lc.to = t[len(t)-1] + (1+rightMarginBars)*lc.step
	lc.from = lc.to - span
}

// followLast keeps the span and moves the right edge past the newest bar.
func (lc *liveChart) followLast() {
	t := lc.main()
	if len(t) == 0 {
		return
	}
	span := lc.to - lc.from
	lc.to = t[len(t)-1] + (1+rightMarginBars)*lc.step
	lc.from = lc.to - span
}

// pan moves the view by a fraction of its width; zoom scales its width by
// factor keeping the time at fraction at of the width where it is. In index
// mode both count bars, not seconds, since that is what the x axis shows.
// The view stays within MinZoomBars bars and the data's span plus margins.
func (lc *liveChart) pan(frac float64) {
	if lc.c.Index {
		if t, k0, n := lc.bars(); n > 0 {
			lc.setBars(t, k0+int(math.Round(frac*float64(n))), n)
		}
		lc.clamp()
		return
	}
	d := int64(frac * float64(lc.to-lc.from))
	lc.from += d
	lc.to += d
	lc.clamp()
}

// MinZoomBars is the narrowest view, in bars.
const MinZoomBars = 10

func (lc *liveChart) zoom(factor, at float64) {
	if lc.c.Index {
		if t, k0, n := lc.bars(); n > 0 {
			// Bar k0+j is drawn at x = j over the range [-0.5, n-0.5].
			anchor := float64(k0) - 0.5 + at*float64(n)
			m := int(math.Round(float64(n) * factor))
			m = min(max(m, MinZoomBars), len(t)+2*rightMarginBars)
			lc.setBars(t, int(math.Round(anchor+0.5-at*float64(m))), m)
		}
		lc.clamp()
		return
	}
	span := float64(lc.to - lc.from)
	anchor := float64(lc.from) + at*span
	t := lc.main()
	newSpan := math.Max(span*factor, float64(MinZoomBars*lc.step))
	if len(t) > 0 {
		newSpan = math.Min(newSpan, float64(t[len(t)-1]-t[0]+(1+2*rightMarginBars)*lc.step))
	}
	lc.from = int64(math.Round(anchor - at*newSpan))
	lc.to = lc.from + int64(math.Round(newSpan))
	lc.clamp()
}

// bars returns the main times, the row of the first bar in view and how many
// bars are in view.
func (lc *liveChart) bars() ([]int64, int, int) {
	t := lc.main()
	i0, i1 := span(t, lc.from, lc.to)
	return t, i0, i1 - i0
}

// setBars sets the view to m bars from row k of t, stepping past either end
// of the data by the bar period.
func (lc *liveChart) setBars(t []int64, k, m int) {
	at := func(i int) int64 {
		switch {
		case i < 0:
			return t[0] + int64(i)*lc.step
		case i >= len(t):
			return t[len(t)-1] + int64(i-len(t)+1)*lc.step
		}
		return t[i]
	}
	lc.from, lc.to = at(k), at(k+m)
}

func (lc *liveChart) clamp() {
	t := lc.main()
	if len(t) == 0 {
		return
	}
	lo, hi := t[0]-rightMarginBars*lc.step, t[len(t)-1]+(1+rightMarginBars)*lc.step
	if lc.to-lc.from < MinZoomBars*lc.step {
		mid := (lc.from + lc.to) / 2
		lc.from, lc.to = mid-MinZoomBars*lc.step/2, mid+MinZoomBars*lc.step/2
	}
	if lc.to-lc.from > hi-lo {
		lc.from, lc.to = lo, hi
	}
	if lc.to > hi {
		lc.from, lc.to = lc.from-(lc.to-hi), hi
	}
	if lc.from < lo {
		lc.from, lc.to = lo, lc.to+(lo-lc.from)
	}
	lc.follow = lc.to >= hi
}

// guard refuses any request without the page's token.
func (l *Live) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("token")), []byte(l.token)) != 1 {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	}
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>workbench live</title>
<style>body{margin:0;background:#fff;font:13px sans-serif}img{display:block;width:100%;max-width:{{.Width}}px;cursor:grab;user-select:none}#help{color:#666;padding:2px 6px}</style>
</head><body><div id="help">drag to pan, wheel to zoom, r to reset</div><div id="charts"></div>
<script>
const token = {{.Token}}, n = {{.N}};
window.framesLoaded = 0;
function act(i, action, p) {
  const q = new URLSearchParams(Object.assign({token: token, chart: i, action: action}, p));
  return fetch('/view?' + q.toString(), {method: 'POST'});
}
for (let i = 0; i < n; i++) {
  const img = document.createElement('img');
  img.id = 'c' + i; img.alt = 'chart ' + i; img.draggable = false;
  img.addEventListener('load', () => { img.style.transform = ''; img.dataset.version = img.dataset.pending; window.framesLoaded++; window.lastLoad = performance.now(); });
  let down = null;
  img.addEventListener('mousedown', e => { down = e.clientX; e.preventDefault(); });
  window.addEventListener('mousemove', e => { if (down !== null) img.style.transform = 'translateX(' + (e.clientX - down) + 'px)'; });
  window.addEventListener('mouseup', e => {
    if (down === null) return;
    const dx = e.clientX - down; down = null;
    if (dx !== 0) act(i, 'pan', {frac: -dx / img.clientWidth}); else img.style.transform = '';
  });
  img.addEventListener('wheel', e => {
    e.preventDefault();
    const r = img.getBoundingClientRect();
    // A mouse notch (100-120 px) zooms by about a quarter; a trackpad's
    // small deltas zoom smoothly instead of a quarter per event.
    const dy = e.deltaMode === 1 ? e.deltaY * 40 : e.deltaY;
    act(i, 'zoom', {factor: Math.min(4, Math.max(0.25, Math.exp(dy * 0.002))), at: (e.clientX - r.left) / r.width});
  }, {passive: false});
  document.getElementById('charts').appendChild(img);
}
document.addEventListener('keydown', e => { if (e.key === 'r') for (let i = 0; i < n; i++) act(i, 'reset', {}); });
const es = new EventSource('/events?token=' + token);
es.addEventListener('frame', e => {
  const m = JSON.parse(e.data);
  const img = document.getElementById('c' + m.chart);
  img.dataset.pending = m.version;
  img.src = '/frame?token=' + token + '&chart=' + m.chart + '&v=' + m.version;
});
</script></body></html>`))

// page serves the PNG window (/png): frames drawn by the server.
func (l *Live) page(w http.ResponseWriter, r *http.Request) {
	width := l.charts[0].c.Width
	if width <= 0 {
		width = DefaultWidth
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pageTmpl.Execute(w, struct {
		Token    string
		N, Width int
	}{l.token, len(l.charts), width})
}

// frameMsg is one server-sent event: chart i has a new frame.
type frameMsg struct {
	Chart   int    `json:"chart"`
	Version uint64 `json:"version"`
	From    int64  `json:"from"`
	To      int64  `json:"to"`
}

// events streams a "frame" event for every chart when the page connects and
// then whenever a chart's version moves; wake-ups coalesce, so a slow page
// skips intermediate frames instead of queueing them.
func (l *Live) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	wake := make(chan struct{}, 1)
	l.mu.Lock()
	l.subs[wake] = struct{}{}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.subs, wake)
		l.mu.Unlock()
	}()
	sent := make([]uint64, len(l.charts))
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		l.data.RLock()
		var msgs []frameMsg
		for i, lc := range l.charts {
			if lc.version != sent[i] {
				sent[i] = lc.version
				msgs = append(msgs, frameMsg{i, lc.version, lc.from, lc.to})
			}
		}
		l.data.RUnlock()
		for _, m := range msgs {
			b, _ := json.Marshal(m)
			if _, err := fmt.Fprintf(w, "event: frame\ndata: %s\n\n", b); err != nil {
				return
			}
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-l.done:
			return
		case <-wake:
		case <-ping.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
		}
	}
}

func (l *Live) chartArg(w http.ResponseWriter, r *http.Request) *liveChart {
	i, err := strconv.Atoi(r.URL.Query().Get("chart"))
	if err != nil || i < 0 || i >= len(l.charts) {
		http.Error(w, "chart: want an index below "+strconv.Itoa(len(l.charts)), http.StatusBadRequest)
		return nil
	}
	return l.charts[i]
}

// frame serves a chart's current frame as PNG, drawing it only if its
// version moved since the last drawing.
func (l *Live) frame(w http.ResponseWriter, r *http.Request) {
	lc := l.chartArg(w, r)
	if lc == nil {
		return
	}
	png, err := l.draw(lc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}

func (l *Live) draw(lc *liveChart) ([]byte, error) {
	lc.render.Lock()
	defer lc.render.Unlock()
	l.data.RLock()
	defer l.data.RUnlock()
	if lc.png != nil && lc.pngVer == lc.version {
		return lc.png, nil
	}
	lc.c.From, lc.c.To = lc.from, lc.to
	var buf bytes.Buffer
	ls, err := lc.c.render(&buf, "png")
	if err != nil {
		return nil, err
	}
	png := buf.Bytes()
	lc.png, lc.pngVer, lc.geom = png, lc.version, ls[0]
	lc.renders++
	return png, nil
}

// view applies pan (frac), zoom (factor, at) or reset to a chart. The page
// gives positions and distances as fractions of the image width (it knows
// nothing of the axes); they are mapped onto the data area of the frame it
// shows, so the time under the cursor is the time drawn there.
func (l *Live) view(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	lc := l.chartArg(w, r)
	if lc == nil {
		return
	}
	// Read before taking the data lock: draw holds render, then data.
	lc.render.Lock()
	g := lc.geom
	lc.render.Unlock()
	width := float64(lc.c.Width)
	if width <= 0 {
		width = DefaultWidth
	}
	if !(g.Right > g.Left) {
		g = PaneLayout{Left: 0, Right: width}
	}
	dataW := (g.Right - g.Left) / width // the data area's share of the image
	q := r.URL.Query()
	num := func(k string) (float64, bool) {
		v, err := strconv.ParseFloat(q.Get(k), 64)
		if err != nil || v != v {
			http.Error(w, k+": want a number", http.StatusBadRequest)
			return 0, false
		}
		return v, true
	}
	l.data.Lock()
	defer func() {
		l.data.Unlock()
		l.notify()
	}()
	switch q.Get("action") {
	case "pan":
		f, ok := num("frac")
		if !ok {
			return
		}
		lc.pan(f / dataW)
	case "zoom":
		f, ok := num("factor")
		if !ok {
			return
		}
		at, ok := num("at")
		if !ok {
			return
		}
		if f <= 0 {
			http.Error(w, "factor: want a positive number", http.StatusBadRequest)
			return
		}
		lc.zoom(f, min(max((at*width-g.Left)/(g.Right-g.Left), 0), 1))
	case "reset":
		lc.resetView()
	default:
		http.Error(w, "action: want pan, zoom or reset", http.StatusBadRequest)
		return
	}
	lc.version++
	w.WriteHeader(http.StatusNoContent)
}

// View reports chart i's view [from, to) in epoch seconds and whether it
// follows new bars.
func (l *Live) View(i int) (from, to int64, follow bool) {
	l.data.RLock()
	defer l.data.RUnlock()
	lc := l.charts[i]
	return lc.from, lc.to, lc.follow
}
