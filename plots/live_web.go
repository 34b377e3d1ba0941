package plots

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"time"

	"workbench/frames"
)

// lightweightCharts is TradingView's lightweight-charts standalone build,
// vendored at a pinned version (see third_party/lightweight-charts).
//
//go:embed third_party/lightweight-charts/lightweight-charts.standalone.production.js
var lightweightCharts []byte

// webBar is one bar as lightweight-charts takes it (time in epoch seconds).
type webBar struct {
	Time   int64   `json:"time"`
	Open   float64 `json:"open"`
	High   float64 `json:"high"`
	Low    float64 `json:"low"`
	Close  float64 `json:"close"`
	Volume float64 `json:"volume"`
}

// barMsg tells the page that chart Chart's main series changed. Seq counts
// the chart's changes, so a page that missed one (it connected late, or its
// stream fell behind) sees the gap and reloads the snapshot. Reload is set
// when the change is not at the last bar (a backfill), which the page cannot
// apply as one update.
type barMsg struct {
	Chart  int    `json:"chart"`
	Seq    uint64 `json:"seq"`
	Bar    webBar `json:"bar"`
	Reload bool   `json:"reload,omitempty"`
}

// snapshot is a chart's main bar series as the page loads it.
type snapshot struct {
	Name string   `json:"name"`
	Seq  uint64   `json:"seq"`
	Bars []webBar `json:"bars"`
}

// barSubBuffer is how many changes a page's stream may fall behind before
// it drops some (the page then reloads the snapshot).
const barSubBuffer = 1024

// mainBars returns the chart's first bar series: the one the browser draws.
func (lc *liveChart) mainBars() *Series {
	for _, p := range lc.c.Panes {
		for _, s := range p.Series {
			if s.Bars != nil {
				return s
			}
		}
	}
	return nil
}

// publishBar queues a change of chart i's main series for every page; the
// caller holds l.data, which keeps the sequence in order.
func (l *Live) publishBar(i int, lc *liveChart, f *frames.OHLCV, b frames.Bar) {
	lc.seq++
	m := barMsg{Chart: i, Seq: lc.seq, Bar: webBar(b), Reload: f.Time[f.Len()-1] != b.Time}
	l.mu.Lock()
	for ch := range l.barSubs {
		select {
		case ch <- m:
		default: // the page sees the gap in Seq and reloads
		}
	}
	l.mu.Unlock()
}

var webTmpl = template.Must(template.New("web").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>workbench live</title>
<style>body{margin:0;background:#fff;font:13px sans-serif}.wrap{position:relative;margin:4px}.legend{position:absolute;left:8px;top:4px;z-index:3;pointer-events:none;background:rgba(255,255,255,.8);padding:1px 4px}#help{color:#666;padding:2px 6px}</style>
<script src="/lwc.js?token={{.Token}}"></script>
</head><body><div id="help">drag to pan, wheel to zoom, r to reset · <a href="/png?token={{.Token}}">all panes (indicators, overlays) as server-drawn frames</a></div><div id="charts"></div>
<script>
const token = {{.Token}}, sizes = {{.Sizes}}; // [width, height, bar seconds]
const L = LightweightCharts;
// window.lw is the test's and the curious user's handle on the charts.
window.lw = {charts: [], loads: 0, applied: 0};
const up = '#26a69a', down = '#ef5350';
function volBar(b) { return {time: b.time, value: b.volume, color: b.close >= b.open ? up : down}; }
function fmt(x) { return x === undefined ? '' : (+x).toLocaleString(undefined, {maximumFractionDigits: 8}); }
sizes.forEach((sz, i) => {
  const wrap = document.createElement('div'); wrap.className = 'wrap'; wrap.id = 'c' + i;
  const legend = document.createElement('div'); legend.className = 'legend';
  wrap.appendChild(legend); document.getElementById('charts').appendChild(wrap);
  const chart = L.createChart(wrap, {width: sz[0], height: sz[1],
    crosshair: {mode: L.CrosshairMode.Normal}, timeScale: {timeVisible: true, secondsVisible: sz[2] < 60},
    layout: {attributionLogo: false}});
  const candles = chart.addSeries(L.CandlestickSeries, {upColor: up, downColor: down, wickUpColor: up, wickDownColor: down, borderVisible: false});
  const volume = chart.addSeries(L.HistogramSeries, {priceFormat: {type: 'volume'}}, 1);
  chart.panes()[1].setHeight(Math.round(sz[1] / 4));
  const c = {chart, candles, volume, legend, name: '', seq: -1, loading: null, pending: []};
  const show = b => { legend.textContent = b ? c.name + '  O ' + fmt(b.open) + '  H ' + fmt(b.high) + '  L ' + fmt(b.low) + '  C ' + fmt(b.close) + '  V ' + fmt(b.volume) : c.name; };
  c.show = show;
  chart.subscribeCrosshairMove(p => {
    const b = p.time !== undefined ? p.seriesData.get(candles) : undefined;
    const v = p.time !== undefined ? p.seriesData.get(volume) : undefined;
    show(b ? Object.assign({volume: v ? v.value : undefined}, b) : last(c));
  });
  window.lw.charts.push(c);
});
document.addEventListener('keydown', e => {
  if (e.key === 'r') window.lw.charts.forEach(c => { c.chart.timeScale().resetTimeScale(); c.chart.priceScale('right').applyOptions({autoScale: true}); });
});
function last(c) {
  const d = c.candles.data(), v = c.volume.data();
  return d.length ? Object.assign({volume: v[v.length - 1].value}, d[d.length - 1]) : undefined;
}
function load(i) {
  const c = window.lw.charts[i];
  c.loading = fetch('/snapshot?token=' + token + '&chart=' + i).then(r => r.json()).then(s => {
    c.name = s.name; c.seq = s.seq; c.loading = null;
    c.candles.setData(s.bars.map(b => ({time: b.time, open: b.open, high: b.high, low: b.low, close: b.close})));
    c.volume.setData(s.bars.map(volBar));
    c.show(last(c));
    window.lw.loads++;
    const p = c.pending; c.pending = [];
    p.forEach(apply);
  });
}
// apply draws one changed bar: series.update for a new or revised last bar,
// a snapshot reload when a change was missed or lies before the last bar.
function apply(m) {
  const c = window.lw.charts[m.chart];
  if (c.loading) { c.pending.push(m); return; }
  if (m.seq <= c.seq) return;
  if (m.seq !== c.seq + 1 || m.reload) { load(m.chart); c.pending.push(m); return; }
  c.seq = m.seq;
  const b = m.bar;
  c.candles.update({time: b.time, open: b.open, high: b.high, low: b.low, close: b.close});
  c.volume.update(volBar(b));
  c.show(last(c));
  window.lw.applied++;
}
const es = new EventSource('/bars?token=' + token);
// (Re)connected: changes from here on arrive on the stream, older ones come
// with the snapshot.
es.addEventListener('open', () => sizes.forEach((_, i) => load(i)));
es.addEventListener('bar', e => apply(JSON.parse(e.data)));
</script></body></html>`))

// web serves the interactive page: lightweight-charts draws each chart's
// main bar series with its volume in a pane below.
func (l *Live) web(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	l.data.RLock()
	sizes := make([][3]int64, len(l.charts))
	for i, lc := range l.charts {
		sizes[i] = [3]int64{int64(lc.c.Width), int64(lc.c.Height), lc.step}
		if sizes[i][0] <= 0 {
			sizes[i][0] = DefaultWidth
		}
		if sizes[i][1] <= 0 {
			sizes[i][1] = DefaultHeight
		}
	}
	l.data.RUnlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	webTmpl.Execute(w, struct {
		Token string
		Sizes [][3]int64
	}{l.token, sizes})
}

func (l *Live) lwcJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(lightweightCharts)
}

// snapshotHandler serves a chart's main bar series with the sequence number
// of its last change.
func (l *Live) snapshotHandler(w http.ResponseWriter, r *http.Request) {
	lc := l.chartArg(w, r)
	if lc == nil {
		return
	}
	l.data.RLock()
	s := snapshot{Seq: lc.seq, Bars: []webBar{}}
	if ms := lc.mainBars(); ms != nil {
		s.Name = ms.Name
		f := ms.Bars
		s.Bars = make([]webBar, f.Len())
		for i := range s.Bars {
			s.Bars[i] = webBar(f.At(i))
		}
	}
	l.data.RUnlock()
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(s); err != nil {
		slog.Debug("live snapshot", "err", err) // the page went away
	}
}

// barEvents streams every change of a main series as one "bar" event.
func (l *Live) barEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	ch := make(chan barMsg, barSubBuffer)
	l.mu.Lock()
	l.barSubs[ch] = struct{}{}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.barSubs, ch)
		l.mu.Unlock()
	}()
	// The page loads snapshots once the stream is open: say so now.
	if _, err := io.WriteString(w, ": open\n\n"); err != nil {
		return
	}
	fl.Flush()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-l.done:
			return
		case m := <-ch:
			b, _ := json.Marshal(m)
			if _, err := fmt.Fprintf(w, "event: bar\ndata: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
		case <-ping.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}
