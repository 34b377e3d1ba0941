// Package krakenfake is a local Kraken: REST AssetPairs, OHLC and Trades
// and websocket v2 (trade, ticker, ohlc) served from venuefake tapes on a
// venuefake clock, with Kraken's quirks (a 720-bar OHLC window ending with
// the bar still forming, a `last` cursor, prices as strings, an inclusive
// nanosecond Trades cursor, req_id acks, a heartbeat a second) and faults
// injected on demand: abrupt drops, refused reconnects, stalls, malformed
// frames, duplicate and out-of-order messages, HTTP 429 and 5xx and
// Kraken's own throttling errors. It can also replay recorded real v1
// websocket captures. Tests and the demo use it instead of the internet.
package krakenfake

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"workbench/feeds"
	"workbench/feeds/venuefake"
	"workbench/frames"
	"workbench/mkt"
)

// Options configure a Server.
type Options struct {
	// Clock is the venue's time (default: now, at 1×).
	Clock *venuefake.Clock
	// Tapes are the markets, one per tape, named by the tape's FQME
	// (btcusdt.spot.kraken: Kraken's pair XBTUSDT, v2 symbol BTC/USDT).
	Tapes []*venuefake.Tape
	// Heartbeat is the wall time between websocket heartbeats (default 1 s).
	Heartbeat time.Duration
	// Poll is how often (wall) the stream looks at the clock for new
	// trades (default 10 ms).
	Poll time.Duration
	// RESTFaults are answered, one each, to the first REST requests
	// (more can be queued with Server.FailREST).
	RESTFaults []Reply
	// Replay lists recorded v1 captures (the oracles' raw/kraken/*.log or
	// messages/kraken_ws_v1_*.jsonl) served on V1URL.
	Replay []string
}

// Reply is a REST fault: an HTTP status (429 is sent with Retry-After)
// or, with Status 0, a 200 carrying Kraken's own error, e.g.
// "EAPI:Rate limit exceeded".
type Reply struct {
	Status     int
	Error      string
	RetryAfter int // seconds, for 429
}

// Server is a running local Kraken.
type Server struct {
	opts  Options
	clock *venuefake.Clock
	mkts  []*market
	ln    net.Listener
	hs    *http.Server
	base  string
	rec   *recording

	mu          sync.Mutex
	conns       map[*conn]bool
	restFaults  []Reply
	restCount   int
	refuseUntil time.Time
	stallUntil  time.Time
	malformed   int
	dups        int
	reorders    int
	nextConnID  int64
	wg          sync.WaitGroup
	ctx         context.Context
	cancel      context.CancelFunc
}

type market struct {
	tape        *venuefake.Tape
	fqme        string
	rest        string // altname, e.g. XBTUSDT
	v1, v2      string // XBT/USDT, BTC/USDT
	base, quote string // Kraken codes
	priceD      int
	lotD        int
	tick        float64
}

var quotes = []string{"usdt", "usdc", "usd", "eur", "gbp", "jpy", "cad", "chf", "aud", "btc", "eth"}

// krakenCode is Kraken's code for our asset name. The fake spells
// Kraken's names on its own rather than importing the client it tests.
func krakenCode(ours string) string {
	switch ours {
	case "btc":
		return "XBT"
	case "doge":
		return "XDG"
	}
	return strings.ToUpper(ours)
}

func decimals(x float64) int {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if _, f, ok := strings.Cut(s, "."); ok {
		return len(f)
	}
	return 0
}

func newMarket(t *venuefake.Tape) (*market, error) {
	cfg := t.Config()
	p, err := mkt.ParseFQMEBroker(cfg.FQME, "kraken")
	if err != nil {
		return nil, fmt.Errorf("krakenfake: tape %q: %w", cfg.FQME, err)
	}
	key := p.Dst.Name
	for _, q := range quotes {
		if b, ok := strings.CutSuffix(key, q); ok && b != "" {
			kb, kq := krakenCode(b), krakenCode(q)
			return &market{
				tape: t, fqme: b + q + ".spot.kraken", rest: kb + kq, v1: kb + "/" + kq,
				v2: strings.ToUpper(b) + "/" + strings.ToUpper(q), base: kb, quote: kq,
				priceD: decimals(cfg.Tick), lotD: decimals(cfg.Lot), tick: cfg.Tick,
			}, nil
		}
	}
	return nil, fmt.Errorf("krakenfake: tape %q: key %q does not end in a known quote asset %v", cfg.FQME, key, quotes)
}

// New starts a server on 127.0.0.1 (a free port).
func New(o Options) (*Server, error) {
	if o.Clock == nil {
		o.Clock = venuefake.NewClock(time.Now().UnixNano(), 1)
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 10 * time.Millisecond
	}
	s := &Server{opts: o, clock: o.Clock, conns: map[*conn]bool{}, restFaults: append([]Reply(nil), o.RESTFaults...)}
	for _, t := range o.Tapes {
		m, err := newMarket(t)
		if err != nil {
			return nil, err
		}
		s.mkts = append(s.mkts, m)
		// A tape is generated from its start on first use; doing it now
		// keeps that out of the first subscription's reply time.
		t.Trades(t.Config().Start, o.Clock.Now())
	}
	if len(o.Replay) > 0 {
		rec, err := loadRecording(o.Replay)
		if err != nil {
			return nil, err
		}
		s.rec = rec
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("krakenfake: %w", err)
	}
	s.ln, s.base = ln, ln.Addr().String()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("/0/public/AssetPairs", s.rest(s.assetPairs))
	mux.HandleFunc("/0/public/OHLC", s.rest(s.ohlc))
	mux.HandleFunc("/0/public/Trades", s.rest(s.trades))
	mux.HandleFunc("/v2", s.wsV2)
	mux.HandleFunc("/v1", s.wsV1)
	s.hs = &http.Server{Handler: mux}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.hs.Serve(ln)
	}()
	return s, nil
}

// RESTURL is the REST root (paths /0/public/...).
func (s *Server) RESTURL() string { return "http://" + s.base }

// WSURL is the websocket v2 endpoint.
func (s *Server) WSURL() string { return "ws://" + s.base + "/v2" }

// V1URL is the websocket v1 endpoint replaying Options.Replay.
func (s *Server) V1URL() string { return "ws://" + s.base + "/v1" }

// Clock is the venue's clock.
func (s *Server) Clock() *venuefake.Clock { return s.clock }

// Close stops the server and every connection.
func (s *Server) Close() {
	s.cancel()
	s.Drop()
	s.hs.Close()
	s.wg.Wait()
}

// TrueBars are the bars Kraken would report for fqme: the tape's bars with
// flat zero-volume bars for minutes without trades.
func (s *Server) TrueBars(fqme string, period, from, to int64) (*frames.OHLCV, error) {
	m := s.market(fqme)
	if m == nil {
		return nil, fmt.Errorf("krakenfake: no market %q", fqme)
	}
	return m.tape.Bars(period, from, to, true), nil
}

// market finds a market by fqme, REST name or websocket symbol.
func (s *Server) market(name string) *market {
	for _, m := range s.mkts {
		if name == m.fqme || name == m.tape.Config().FQME || name == m.rest || name == m.v1 || name == m.v2 {
			return m
		}
	}
	return nil
}

// FailREST queues faults: each of the next REST requests gets one.
func (s *Server) FailREST(r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restFaults = append(s.restFaults, r...)
}

// RESTRequests counts the REST requests served so far (faults included).
func (s *Server) RESTRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restCount
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

type krakenErr string

func (s *Server) rest(h func(r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.restCount++
		var f *Reply
		if len(s.restFaults) > 0 {
			f = &s.restFaults[0]
			s.restFaults = s.restFaults[1:]
		}
		s.mu.Unlock()
		switch {
		case f != nil && f.Status == http.StatusTooManyRequests:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			writeJSON(w, f.Status, map[string]any{"error": []string{"EGeneral:Too many requests"}})
			return
		case f != nil && f.Status != 0:
			http.Error(w, http.StatusText(f.Status), f.Status)
			return
		case f != nil:
			writeJSON(w, http.StatusOK, map[string]any{"error": []string{f.Error}})
			return
		}
		res, err := h(r)
		if err != nil {
			writeJSON(w, http.StatusOK, map[string]any{"error": []string{err.Error()}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"error": []string{}, "result": res})
	}
}

func (e krakenErr) Error() string { return string(e) }

const (
	errUnknownPair = krakenErr("EQuery:Unknown asset pair")
	errInvalidArgs = krakenErr("EGeneral:Invalid arguments")
)

func (s *Server) assetPairs(r *http.Request) (any, error) {
	out := map[string]any{}
	want := r.URL.Query().Get("pair")
	for _, m := range s.mkts {
		if want != "" && !strings.Contains(","+want+",", ","+m.rest+",") {
			continue
		}
		out[m.rest] = map[string]any{
			"altname": m.rest, "wsname": m.v1, "aclass_base": "currency", "base": m.base,
			"aclass_quote": "currency", "quote": m.quote, "lot": "unit",
			"cost_decimals": 5, "pair_decimals": m.priceD, "lot_decimals": m.lotD, "lot_multiplier": 1,
			"ordermin": strconv.FormatFloat(m.tape.Config().Lot, 'f', -1, 64), "costmin": "0.5",
			"tick_size": strconv.FormatFloat(m.tick, 'f', -1, 64), "status": "online",
		}
	}
	for _, p := range s.rec.pairs() {
		if want == "" || want == p.rest {
			out[p.rest] = p.assetPair()
		}
	}
	if want != "" && len(out) == 0 {
		return nil, errUnknownPair
	}
	return out, nil
}

var intervals = map[int64]bool{1: true, 5: true, 15: true, 30: true, 60: true, 240: true, 1440: true, 10080: true, 21600: true}

// row is one OHLC row: a bucket's trades, or a flat bar at prev.
type row struct {
	t                   int64
	o, h, l, c, v, vwap float64
	n                   int
}

func bucket(t int64, trades []feeds.Trade, prev float64) row {
	if len(trades) == 0 {
		return row{t: t, o: prev, h: prev, l: prev, c: prev}
	}
	r := row{t: t, o: trades[0].Price, h: trades[0].Price, l: trades[0].Price, n: len(trades)}
	pv := 0.0
	for _, tr := range trades {
		r.h, r.l, r.c = math.Max(r.h, tr.Price), math.Min(r.l, tr.Price), tr.Price
		r.v += tr.Size
		pv += tr.Price * tr.Size
	}
	r.vwap = pv / r.v
	return r
}

func (m *market) px(x float64) string  { return strconv.FormatFloat(x, 'f', m.priceD, 64) }
func (m *market) qty(x float64) string { return strconv.FormatFloat(x, 'f', 8, 64) }

// ohlc serves the 720 committed bars before the one forming now, then the
// forming one, filtered by since, with last = the last committed bar.
func (s *Server) ohlc(r *http.Request) (any, error) {
	q := r.URL.Query()
	m := s.market(q.Get("pair"))
	if m == nil {
		return nil, errUnknownPair
	}
	iv := int64(1)
	if v := q.Get("interval"); v != "" {
		var err error
		if iv, err = strconv.ParseInt(v, 10, 64); err != nil || !intervals[iv] {
			return nil, errInvalidArgs
		}
	}
	var since int64
	if v := q.Get("since"); v != "" {
		var err error
		if since, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, errInvalidArgs
		}
	}
	p := iv * 60
	now := s.clock.Now()
	forming := now / 1e9 / p * p
	first := forming - 720*p
	start := m.tape.Config().Start
	prev := math.NaN()
	if before := m.tape.Trades(start, first*1e9); len(before) > 0 {
		prev = before[len(before)-1].Price
	}
	rows := make([][]any, 0, 721)
	for t := first; t <= forming; t += p {
		end := min((t+p)*1e9, now)
		b := bucket(t, m.tape.Trades(t*1e9, end), prev)
		if math.IsNaN(b.c) {
			continue // before the market's first trade
		}
		prev = b.c
		if t < since {
			continue
		}
		vwap := "0.0"
		if b.n > 0 {
			vwap = m.px(b.vwap)
		}
		rows = append(rows, []any{t, m.px(b.o), m.px(b.h), m.px(b.l), m.px(b.c), vwap, m.qty(b.v), b.n})
	}
	return map[string]any{m.rest: rows, "last": forming - p}, nil
}

// trades serves up to 1000 (or count) trades at or after since (ns, or
// seconds when small) that the clock has passed.
func (s *Server) trades(r *http.Request) (any, error) {
	q := r.URL.Query()
	m := s.market(q.Get("pair"))
	if m == nil {
		return nil, errUnknownPair
	}
	var since int64
	if v := q.Get("since"); v != "" {
		var err error
		if since, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, errInvalidArgs
		}
		if since < 1e12 {
			since *= 1e9
		}
	}
	n := 1000
	if v := q.Get("count"); v != "" {
		c, err := strconv.Atoi(v)
		if err != nil || c < 1 {
			return nil, errInvalidArgs
		}
		n = min(c, 1000)
	}
	ts := m.tape.Trades(since, s.clock.Now())
	ts = ts[:min(len(ts), n)]
	rows := make([][]any, len(ts))
	last := since
	for i, tr := range ts {
		side, typ := "b", "l"
		if tr.Side == feeds.Sell {
			side = "s"
		}
		if tr.ID%3 == 0 {
			typ = "m"
		}
		rows[i] = []any{m.px(tr.Price), m.qty(tr.Size), json.Number(secs(tr.Time)), side, typ, "", tr.ID}
		last = tr.Time
	}
	return map[string]any{m.rest: rows, "last": strconv.FormatInt(last, 10)}, nil
}

// secs writes epoch ns as decimal seconds with every digit.
func secs(ns int64) string { return fmt.Sprintf("%d.%09d", ns/1e9, ns%1e9) }
