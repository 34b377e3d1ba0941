package plots

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// lightweightCharts is TradingView's lightweight-charts standalone build,
// vendored at a pinned version (see third_party/lightweight-charts).
//
//go:embed third_party/lightweight-charts/lightweight-charts.standalone.production.js
var lightweightCharts []byte

// updateMsg tells the page that chart Chart changed at Time: Points holds
// every series' value there (one new or revised bar, the indicators' and
// overlaid markets' points at its time) and, on an overlay pane, each
// series' value map, which moves when an extreme does. Seq counts the
// chart's changes, so a page that missed one (it connected late, or its
// stream fell behind) sees the gap and reloads the description. Reload is
// set when the change is not at the end of the data (a backfill), which
// the page cannot apply as one update.
type updateMsg struct {
	Chart  int        `json:"chart"`
	Seq    uint64     `json:"seq"`
	Time   int64      `json:"time"`
	Reload bool       `json:"reload,omitempty"`
	Points []pointMsg `json:"points,omitempty"`
}

// pointMsg is series S of pane P at the update's time: open, high, low,
// close and volume of a bar, or one value (null: none).
type pointMsg struct {
	P   int       `json:"p"`
	S   int       `json:"s"`
	V   Floats    `json:"v"`
	Map *ValueMap `json:"map,omitempty"`
}

// liveDescription is a chart's description with the sequence number of the
// last change it includes.
type liveDescription struct {
	*ChartDescription
	Seq uint64 `json:"seq"`
}

// updateBuffer is how many changes a page's stream may fall behind before
// it drops some (the page then reloads the description).
const updateBuffer = 1024

// Derive registers fn to bring chart i's derived series (indicators of its
// bars, a paper session's position) up to date after bars were added to
// it; it runs with the chart's data locked, before pages hear of the
// change, so an update carries the derived points of the new bar.
func (l *Live) Derive(i int, fn func()) {
	l.data.Lock()
	defer l.data.Unlock()
	l.charts[i].derive = fn
}

// Update changes chart i's series other than by Append (markers or a
// position a session added at time t): edit runs with the chart's data
// locked, then pages get every series' point at t.
func (l *Live) Update(i int, t int64, edit func()) {
	l.data.Lock()
	lc := l.charts[i]
	if edit != nil {
		edit()
	}
	if lc.derive != nil {
		lc.derive()
	}
	l.publish(i, lc, t, false)
	lc.version++
	l.data.Unlock()
	l.notify()
}

// publish queues a change of chart i at time t for every page; the caller
// holds l.data locked, which keeps the sequence in order.
func (l *Live) publish(i int, lc *liveChart, t int64, reload bool) {
	lc.seq++
	m := updateMsg{Chart: i, Seq: lc.seq, Time: t, Reload: reload}
	if !reload {
		m.Points = lc.pointsAt(t)
	}
	l.mu.Lock()
	for ch := range l.barSubs {
		select {
		case ch <- m:
		default: // the page sees the gap in Seq and reloads
		}
	}
	l.mu.Unlock()
}

// pointsAt is every series' point at time t with the overlays' value maps
// over all the data (the page's overlays are pinned over the whole series);
// the caller holds l.data locked.
func (lc *liveChart) pointsAt(t int64) []pointMsg {
	c := lc.c
	saved := [2]int64{c.From, c.To}
	c.From, c.To = 0, 0
	ovs, err := c.OverlayRanges()
	c.From, c.To = saved[0], saved[1]
	if err != nil {
		slog.Warn("live: overlay", "chart", c.Title, "err", err)
		ovs = make([]*OverlayRanges, len(c.Panes))
	}
	var out []pointMsg
	for pi, p := range c.Panes {
		maps := c.paneMaps(ovs, pi)
		for si, s := range p.Series {
			ts := s.times()
			k := sort.Search(len(ts), func(i int) bool { return ts[i] >= t })
			pm := pointMsg{P: pi, S: si}
			if s.Kind == KindMarkers {
				// Every marker at t: the page replaces its markers there.
				for ; k < len(ts) && ts[k] == t; k++ {
					pm.V = append(pm.V, s.Y[k])
				}
				out = append(out, pm)
				continue
			}
			if maps != nil {
				pm.Map = maps[si]
			}
			switch {
			case k == len(ts) || ts[k] != t:
				if pm.Map == nil {
					continue
				}
			case (s.Kind == KindCandles || s.Kind == KindOHLC) && s.Bars != nil:
				f := s.Bars
				pm.V = Floats{f.Open[k], f.High[k], f.Low[k], f.Close[k], f.Volume[k]}
			default:
				pm.V = Floats{s.values()[k]}
			}
			out = append(out, pm)
		}
	}
	return out
}

var webTmpl = template.Must(template.New("web").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>workbench live</title>
<style>body{margin:0;background:#fff;font:12px sans-serif}.wrap{position:relative;margin:4px}
.legend{position:absolute;left:8px;top:4px;z-index:3;pointer-events:none;background:rgba(255,255,255,.85);padding:1px 4px;line-height:1.4}
.legend div span{margin-right:10px}#help{color:#666;padding:2px 6px}</style>
<script src="/lwc.js?token={{.Token}}"></script>
</head><body><div id="help">drag to pan, wheel to zoom, r to reset · bars <select id="period"><option value="">as given</option>{{range .Periods}}<option>{{.}}</option>{{end}}</select> · <a href="/png?token={{.Token}}">server-drawn frames</a></div><div id="charts"></div>
<script>
const token = {{.Token}}, sizes = {{.Sizes}}; // [width, height] per chart
const L = LightweightCharts;
// window.lw is the test's and the curious user's handle on the charts.
window.lw = {charts: [], loads: 0, applied: 0, fetches: 0, drawn: []}; // drawn: [chart, seq, epoch ms] of recent updates
const up = '#26a69a', down = '#ef5350';
function fmt(x) { return x === undefined || x === null ? '–' : (+x).toLocaleString('en-US', {maximumFractionDigits: 8}); }
// mapped applies an overlay's value map (see plots.ValueMap).
function mapped(m, y) {
  if (!m || y === null) return y;
  return m.log ? 100 * Math.log(y / m.pin) : m.base + (y - m.from) * m.scale;
}
// point is row k of a described series as the series type takes it.
function point(sd, k) {
  const t = sd.time[k];
  if (sd.open) {
    return {time: t, open: sd.open[k], high: sd.high[k], low: sd.low[k], close: sd.close[k], volume: sd.volume[k]};
  }
  const v = sd.values[k];
  return v === null ? {time: t} : {time: t, value: v};
}
function drawn(s, p) {
  const m = s.map;
  if (p.open !== undefined) return {time: p.time, open: mapped(m, p.open), high: mapped(m, p.high), low: mapped(m, p.low), close: mapped(m, p.close)};
  if (p.value === undefined) return {time: p.time};
  const d = {time: p.time, value: mapped(m, p.value)};
  if (s.kind === 'histogram' && s.name === 'volume') d.color = s.updown ? (s.updown(p.time) ? up + '80' : down + '80') : undefined;
  return d;
}
function markersOf(s) {
  const shape = {up: 'arrowUp', down: 'arrowDown'}[s.shape] || 'circle';
  const pos = {up: 'atPriceBottom', down: 'atPriceTop'}[s.shape] || 'atPriceMiddle';
  return s.raw.filter(p => p.value !== undefined).map(p => ({time: p.time, position: pos, price: mapped(s.host.map, p.value), shape, color: s.color, text: fmt(p.value)}));
}
// find is the row of raw points at time t or before.
function find(raw, t) {
  let lo = 0, hi = raw.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (raw[m].time <= t) lo = m + 1; else hi = m; }
  return lo - 1;
}
sizes.forEach((sz, i) => {
  const wrap = document.createElement('div'); wrap.className = 'wrap'; wrap.id = 'c' + i;
  const legend = document.createElement('div'); legend.className = 'legend';
  wrap.appendChild(legend); document.getElementById('charts').appendChild(wrap);
  const chart = L.createChart(wrap, {width: sz[0], height: sz[1],
    crosshair: {mode: L.CrosshairMode.Normal}, layout: {attributionLogo: false}});
  const c = {i, chart, legend, series: [], desc: null, seq: -1, loading: null, pending: [], hover: null, stale: false};
  chart.subscribeCrosshairMove(p => { c.hover = p.time; show(c); });
  chart.timeScale().subscribeVisibleTimeRangeChange(() => { clearTimeout(c.lod); c.lod = setTimeout(() => detail(c), 150); });
  window.lw.charts.push(c);
});
// show writes the hover legend: each series' values at the crosshair's time
// (the last ones without a crosshair), in the series' own units.
function show(c) {
  if (!c.desc) return;
  c.legend.textContent = '';
  c.desc.panes.forEach(pd => {
    const line = document.createElement('div');
    pd.series.forEach(s => {
      if (s.kind === 'markers' || !s.name) return;
      const t = c.hover !== undefined && c.hover !== null ? c.hover : Infinity;
      // A step (a position) holds its value until the next point.
      const k = find(s.raw, t), p = k >= 0 && (t === Infinity || s.raw[k].time === t || s.kind === 'step') ? s.raw[k] : undefined;
      const e = document.createElement('span');
      e.dataset.name = s.name;
      if (s.raw[0] && s.raw[0].open !== undefined) {
        e.textContent = s.name + '  O ' + fmt(p && p.open) + '  H ' + fmt(p && p.high) + '  L ' + fmt(p && p.low) + '  C ' + fmt(p && p.close) + '  V ' + fmt(p && p.volume);
      } else {
        e.textContent = s.name + '  ' + fmt(p && p.value);
      }
      e.style.color = s.color;
      line.appendChild(e);
    });
    if (line.childNodes.length) c.legend.appendChild(line);
  });
}
const seriesType = {candles: L.CandlestickSeries, ohlc: L.BarSeries, line: L.LineSeries, step: L.LineSeries, histogram: L.HistogramSeries};
// build makes the chart's series from a description (once), then sets
// their data.
function build(c, d) {
  const fresh = !c.desc;
  if (fresh) {
    d.panes.forEach((pd, pi) => pd.series.forEach((sd, si) => {
      const s = {kind: sd.kind, name: sd.name, color: sd.color, shape: sd.shape, pane: pi};
      if (sd.kind === 'markers') {
        const host = c.series.find(h => h.pane === pi && h.api) || c.series.find(h => h.api);
        s.host = host; s.plugin = L.createSeriesMarkers(host.api, []);
      } else {
        const o = {priceLineVisible: false, lastValueVisible: sd.kind !== 'histogram', title: ''};
        if (sd.kind === 'candles') Object.assign(o, {upColor: up, downColor: down, wickUpColor: up, wickDownColor: down, borderVisible: false});
        else if (sd.kind === 'ohlc') Object.assign(o, {upColor: up, downColor: down});
        else Object.assign(o, {color: sd.kind === 'histogram' && sd.name === 'volume' ? '#9e9e9e' : sd.color, lineWidth: 1});
        if (sd.kind === 'step') o.lineType = L.LineType.WithSteps;
        if (pd.fixed) o.autoscaleInfoProvider = () => ({priceRange: {minValue: pd.y_min, maxValue: pd.y_max}});
        if (pd.overlay) o.priceFormat = {type: 'custom', formatter: pd.percent ? (x => x.toFixed(2) + '%') : (x => fmt(x.toPrecision(8)))};
        s.api = c.chart.addSeries(seriesType[sd.kind], o, pi);
        if (pd.fixed) s.api.priceScale().applyOptions({scaleMargins: {top: 0.02, bottom: 0.02}});
        if (pd.scale === 'log') s.api.priceScale().applyOptions({mode: L.PriceScaleMode.Logarithmic});
        if (pd.series.indexOf(sd) === pd.series.findIndex(x => x.kind !== 'markers')) {
          pd.levels.forEach(l => s.api.createPriceLine({price: l.y, color: l.color, lineStyle: L.LineStyle.Dashed, lineWidth: 1, title: l.label, axisLabelVisible: true}));
        }
      }
      c.series.push(s);
    }));
    const panes = c.chart.panes();
    d.panes.forEach((pd, pi) => { if (panes[pi]) panes[pi].setStretchFactor(pd.weight); });
  }
  c.desc = d;
  // Times of day on the axis, with seconds for sub-minute bars.
  c.chart.applyOptions({timeScale: {timeVisible: true, secondsVisible: d.period > 0 && d.period < 60}});
  let n = 0;
  d.panes.forEach(pd => pd.series.forEach(sd => {
    const s = c.series[n++];
    s.map = sd.map;
    s.raw = sd.time.map((_, k) => point(sd, k));
    pd.series[pd.series.indexOf(sd)] = s; // the legend reads the live series
  }));
  // Volume bars take the colour of their candle.
  const candles = c.series.find(s => s.raw[0] && s.raw[0].open !== undefined);
  c.series.forEach(s => { if (candles && s.kind === 'histogram' && s.name === 'volume') s.updown = t => { const k = find(candles.raw, t); return k < 0 || candles.raw[k].close >= candles.raw[k].open; }; });
  c.series.forEach(redraw);
  gaps(c);
  show(c);
}
// gaps gives a chart on a linear time axis (desc.index false) a whitespace
// point at every step of its axis that no point of its series falls on, so
// that closed hours and minutes without trades take their room, as in the
// exported image; on an index axis the bars stand side by side. A step is
// the period of what the points stand for: bars, or bins of them.
const maxGaps = 200000;
function gaps(c) {
  const d = c.desc;
  if (!c.clock) c.clock = c.chart.addSeries(L.LineSeries, {priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false}, 0);
  const ts = d.index || !(d.period > 0) ? [] : [...new Set(c.series.filter(s => s.api).flatMap(s => s.raw.map(p => p.time)))].sort((a, b) => a - b);
  const ws = [];
  for (let k = 1; k < ts.length; k++) gapTo(d, ts[k - 1], ts[k], ws);
  c.clock.setData(ws);
  c.last = ts.length ? ts[ts.length - 1] : Infinity;
}
function gapTo(d, a, b, out) {
  const inside = a >= d.detail[0] && (!d.detail[1] || a < d.detail[1]);
  const step = d.period * (inside ? d.bin : d.outer);
  for (let t = a + step; t < b - step / 2 && out.length < maxGaps; t += step) out.push({time: t});
}
function redraw(s) {
  if (s.plugin) s.plugin.setMarkers(markersOf(s));
  else s.api.setData(s.raw.map(p => drawn(s, p)));
}
function params(c, extra) {
  return new URLSearchParams(Object.assign({token, chart: c.i, width: Math.round(c.chart.timeScale().width() || sizes[c.i][0])}, extra || {})).toString();
}
function load(i, extra) {
  const c = window.lw.charts[i];
  window.lw.fetches++;
  const q = fetch('/chart?' + params(c, extra)).then(r => r.json()).then(d => {
    if (c.loading !== q) return; // a later load replaced this one
    const keep = c.desc && c.chart.timeScale().getVisibleRange();
    c.seq = d.seq; c.loading = null; c.stale = false;
    build(c, d);
    if (keep && extra) c.chart.timeScale().setVisibleRange(keep);
    if (c.reset) { c.reset = false; c.chart.timeScale().resetTimeScale(); }
    window.lw.loads++;
    const p = c.pending; c.pending = [];
    p.forEach(apply);
  });
  c.loading = q;
}
// detail asks the server for finer bins when the view covers a part of a
// binned chart (or coarser ones when it grew past the fine part).
function detail(c) {
  const d = c.desc;
  if (!d || c.loading || (d.bin <= 1 && d.outer <= 1)) return;
  const r = c.chart.timeScale().getVisibleRange();
  if (!r) return;
  const raw = c.series[0].raw, lo = d.detail[0], hi = d.detail[1] || Infinity;
  const inside = r.from >= lo && r.to <= hi;
  const shown = find(raw, r.to) - find(raw, r.from);
  if (inside && (d.bin <= 1 || shown > c.chart.timeScale().width() / 4)) return;
  // A margin each side keeps a small pan from asking again.
  const pad = Math.round((r.to - r.from) / 10);
  load(c.i, {from: Math.max(0, r.from - pad), to: r.to + pad + 1});
}
// apply draws one change: series.update for the point at the end of each
// series, a reload of the description when a change was missed or lies
// before the end.
function apply(m) {
  const c = window.lw.charts[m.chart];
  if (c.loading) { c.pending.push(m); return; }
  if (m.seq <= c.seq) return;
  if (m.seq !== c.seq + 1 || m.reload || c.desc.bin > 1 || c.desc.outer > 1) { c.pending.push(m); load(m.chart); return; }
  c.seq = m.seq;
  if (m.time > c.last) {
    const ws = [];
    gapTo(c.desc, c.last, m.time, ws);
    ws.forEach(p => c.clock.update(p));
    c.last = m.time;
  }
  m.points.forEach(pm => {
    const s = c.series[c.desc.panes.slice(0, pm.p).reduce((n, pd) => n + pd.series.length, 0) + pm.s];
    const remap = pm.map && JSON.stringify(pm.map) !== JSON.stringify(s.map);
    if (pm.map) s.map = pm.map;
    if (s.plugin) {
      if (!pm.v.length && !s.raw.some(p => p.time === m.time)) return; // no markers there, before or now
      s.raw = s.raw.filter(p => p.time !== m.time).concat(pm.v.map(v => ({time: m.time, value: v})));
      s.raw.sort((a, b) => a.time - b.time);
      s.plugin.setMarkers(markersOf(s));
      return;
    }
    if (!pm.v.length) { if (remap) redraw(s); return; }
    const v = pm.v;
    const p = v.length === 5 ? {time: m.time, open: v[0], high: v[1], low: v[2], close: v[3], volume: v[4]} : (v[0] === null ? {time: m.time} : {time: m.time, value: v[0]});
    const n = s.raw.length, k = find(s.raw, m.time);
    if (k >= 0 && s.raw[k].time === m.time) s.raw[k] = p; else s.raw.splice(k + 1, 0, p);
    // series.update takes the last point only; one before it redraws.
    if (remap || k < n - 1) redraw(s); else s.api.update(drawn(s, p));
  });
  c.series.forEach(s => { if (s.plugin && s.host.map && m.points.some(pm => pm.map)) s.plugin.setMarkers(markersOf(s)); });
  // The legend is written once per animation frame, however many updates
  // came in it.
  if (!c.showing) { c.showing = true; requestAnimationFrame(() => { c.showing = false; show(c); }); }
  window.lw.applied++;
  // When the update is on screen: the chart paints in the animation frame
  // it asked for during update, which runs before this one.
  requestAnimationFrame(() => {
    const d = window.lw.drawn;
    d.push([m.chart, m.seq, performance.timeOrigin + performance.now()]);
    if (d.length > 10000) d.shift();
  });
}
document.addEventListener('keydown', e => {
  if (e.key !== 'r') return;
  window.lw.charts.forEach(c => {
    c.chart.timeScale().resetTimeScale();
    c.chart.panes().forEach(p => p.priceScale('right').applyOptions({autoScale: true}));
  });
});
// A period switch resamples on the server, which then has every chart
// reload; the new bars start on the default view.
document.getElementById('period').addEventListener('change', e => {
  window.lw.charts.forEach(c => { c.reset = true; });
  fetch('/period?' + new URLSearchParams({token, period: e.target.value}).toString(), {method: 'POST'});
});
const es = new EventSource('/bars?token=' + token);
// (Re)connected: changes from here on arrive on the stream, older ones come
// with the description.
es.addEventListener('open', () => sizes.forEach((_, i) => load(i)));
es.addEventListener('update', e => apply(JSON.parse(e.data)));
</script></body></html>`))

// web serves the interactive page: lightweight-charts draws every pane and
// series of each chart from its description (/chart) and applies each
// change pushed on /bars.
func (l *Live) web(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	l.data.RLock()
	periods := l.periodChoices()
	sizes := make([][2]int, len(l.charts))
	for i, lc := range l.charts {
		sizes[i] = [2]int{lc.c.Width, lc.c.Height}
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
		Token   string
		Sizes   [][2]int
		Periods []string
	}{l.token, sizes, periods})
}

func (l *Live) lwcJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(lightweightCharts)
}

// chartHandler serves a chart's description with the sequence number of
// its last change: all the data with overlays pinned over all of it; with
// width, binned to fit it, finer in [from, to) (see DescribeRange).
func (l *Live) chartHandler(w http.ResponseWriter, r *http.Request) {
	lc := l.chartArg(w, r)
	if lc == nil {
		return
	}
	q := r.URL.Query()
	var args [3]int64
	for k, name := range []string{"from", "to", "width"} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				http.Error(w, name+": want a non-negative integer", http.StatusBadRequest)
				return
			}
			args[k] = n
		}
	}
	// The write lock: the description reads the chart's view fields, which
	// it sets to the whole data for the page.
	l.data.Lock()
	c := lc.c
	saved := [2]int64{c.From, c.To}
	c.From, c.To = 0, 0
	d, err := c.DescribeRange(args[0], args[1], int(min(args[2], 1<<20)))
	c.From, c.To = saved[0], saved[1]
	seq := lc.seq
	var b []byte
	if err == nil {
		b, err = json.Marshal(liveDescription{d, seq})
	}
	l.data.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if _, err := w.Write(b); err != nil {
		slog.Debug("live chart", "err", err) // the page went away
	}
}

// barEvents streams every change of a chart as one "update" event.
func (l *Live) barEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	ch := make(chan updateMsg, updateBuffer)
	l.mu.Lock()
	l.barSubs[ch] = struct{}{}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.barSubs, ch)
		l.mu.Unlock()
	}()
	// The page loads descriptions once the stream is open: say so now.
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
			if _, err := fmt.Fprintf(w, "event: update\ndata: %s\n\n", b); err != nil {
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
