package binancefake

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"workbench/feeds"
	"workbench/feeds/binance"
)

// conn is one websocket client.
type conn struct {
	s          *Server
	ws         *websocket.Conn
	combined   bool         // /stream: {"stream","data"} envelopes
	stallUntil atomic.Int64 // wall ns

	mu      sync.Mutex
	streams map[string]*stream // by name

	sent   int // data messages sent (writer goroutine only)
	trades int
	held   []byte // a trade message held back (SwapEvery)
}

// stream is one subscribed stream and where it stands on its tape.
type stream struct {
	name   string
	m      *market
	kind   string // trade, aggTrade, bookTicker, kline
	period int64  // kline
	cursor int64  // venue ns: trades before it were streamed
	// the kline being built; primed once it holds the trades of its
	// interval from before the subscription, as Binance's own does
	primed bool
	open   int64 // s

	o, h, l, c, v   float64
	n               int
	firstID, lastID int64
}

// parseStream checks a stream name (btcusdt@trade, …@aggTrade,
// …@bookTicker, …@kline_1m). m is nil for a symbol the server does not
// trade: Binance accepts such streams and sends nothing.
func (s *Server) parseStream(name string) (*stream, error) {
	sym, kind, ok := strings.Cut(name, "@")
	if !ok || sym == "" || sym != strings.ToLower(sym) {
		return nil, fmt.Errorf("Invalid request: invalid stream name %q", name)
	}
	st := &stream{name: name, m: s.markets[strings.ToUpper(sym)], kind: kind}
	switch {
	case kind == "trade" || kind == "aggTrade" || kind == "bookTicker":
	case strings.HasPrefix(kind, "kline_"):
		p, ok := binance.IntervalPeriod(strings.TrimPrefix(kind, "kline_"))
		if !ok {
			return nil, fmt.Errorf("Invalid request: invalid stream name %q", name)
		}
		st.kind, st.period = "kline", p
	default:
		return nil, fmt.Errorf("Invalid request: invalid stream name %q", name)
	}
	return st, nil
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	refused := time.Now().Before(s.refuseUntil) || s.done()
	if !refused {
		s.handlers.Add(1)
	}
	s.mu.Unlock()
	if refused {
		http.Error(w, "Service Unavailable (refused by binancefake)", http.StatusServiceUnavailable)
		return
	}
	defer s.handlers.Done()
	var names []string
	combined := r.URL.Path == "/stream"
	if q := r.URL.Query().Get("streams"); q != "" {
		names = strings.Split(q, "/")
	} else if rest, ok := strings.CutPrefix(r.URL.Path, "/ws/"); ok && rest != "" {
		names = []string{rest}
	}
	c := &conn{s: s, combined: combined, streams: map[string]*stream{}}
	now := s.clock.Now()
	for _, n := range names {
		st, err := s.parseStream(n)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		st.cursor = now
		c.streams[n] = st
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	c.ws = ws
	s.accepted.Add(1)
	s.mu.Lock()
	if s.done() {
		// Close ran between the check above and here: its Drop missed us.
		s.mu.Unlock()
		ws.CloseNow()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		ws.CloseNow()
	}()

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer cancel()
		c.readLoop(ctx)
	}()
	c.writeLoop(ctx)
	cancel()
	ws.CloseNow()
	<-readDone
}

type request struct {
	Method string          `json:"method"`
	Params []string        `json:"params"`
	ID     json.RawMessage `json:"id"`
}

// readLoop answers SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS; reading
// also answers the client's pings.
func (c *conn) readLoop(ctx context.Context) {
	for {
		_, msg, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		var req request
		if err := json.Unmarshal(msg, &req); err != nil {
			c.reply(ctx, nil, nil, &apiError{3, "Invalid JSON: " + err.Error()})
			continue
		}
		if _, err := strconv.ParseInt(string(req.ID), 10, 64); err != nil {
			c.reply(ctx, req.ID, nil, &apiError{2, "Invalid request: request ID must be an unsigned integer"})
			continue
		}
		switch req.Method {
		case "SUBSCRIBE", "UNSUBSCRIBE":
			var parsed []*stream
			var bad error
			for _, n := range req.Params {
				st, err := c.s.parseStream(n)
				if err != nil {
					bad = err
					break
				}
				parsed = append(parsed, st)
			}
			if bad != nil {
				c.reply(ctx, req.ID, nil, &apiError{2, bad.Error()})
				continue
			}
			// The ack goes out before the new streams' first message.
			c.reply(ctx, req.ID, nil, nil)
			now := c.s.clock.Now()
			c.mu.Lock()
			for _, st := range parsed {
				if req.Method == "UNSUBSCRIBE" {
					delete(c.streams, st.name)
				} else if _, ok := c.streams[st.name]; !ok {
					st.cursor = now
					c.streams[st.name] = st
				}
			}
			c.mu.Unlock()
		case "LIST_SUBSCRIPTIONS":
			c.mu.Lock()
			list := make([]string, 0, len(c.streams))
			for n := range c.streams {
				list = append(list, n)
			}
			c.mu.Unlock()
			c.reply(ctx, req.ID, list, nil)
		default:
			c.reply(ctx, req.ID, nil, &apiError{2, fmt.Sprintf("Invalid request: unknown variant `%s`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`", req.Method)})
		}
	}
}

func (c *conn) reply(ctx context.Context, id json.RawMessage, result any, e *apiError) {
	if id == nil {
		id = json.RawMessage("null")
	}
	var b []byte
	if e != nil {
		b, _ = json.Marshal(struct {
			Error *apiError       `json:"error"`
			ID    json.RawMessage `json:"id"`
		}{e, id})
	} else {
		b, _ = json.Marshal(struct {
			Result any             `json:"result"`
			ID     json.RawMessage `json:"id"`
		}{result, id})
	}
	c.ws.Write(ctx, websocket.MessageText, b)
}

// writeLoop sends the replayed messages, then every poll the messages of
// the trades the clock has passed, until the connection ends.
func (c *conn) writeLoop(ctx context.Context) {
	for _, m := range c.s.opts.Replay {
		if c.ws.Write(ctx, websocket.MessageText, m) != nil {
			return
		}
	}
	t := time.NewTicker(c.s.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if time.Now().UnixNano() < c.stallUntil.Load() {
			continue
		}
		if !c.step(ctx) {
			return
		}
	}
}

// step streams what happened on the tapes up to now; false once the
// connection is gone or was dropped.
func (c *conn) step(ctx context.Context) bool {
	now := c.s.clock.Now()
	c.mu.Lock()
	streams := make([]*stream, 0, len(c.streams))
	for _, st := range c.streams {
		if st.m != nil {
			streams = append(streams, st)
		}
	}
	c.mu.Unlock()
	for _, st := range streams {
		// cursor and kline state belong to this goroutine; only the map
		// is shared with the reader.
		if st.kind == "kline" && !st.primed {
			st.primed = true
			open := st.cursor / 1e9 / st.period * st.period
			for _, t := range st.m.Tape.Trades(open*1e9, st.cursor) {
				st.add(t)
			}
		}
		for _, t := range st.m.Tape.Trades(st.cursor, now) {
			if !c.trade(ctx, st, t) {
				return false
			}
		}
		st.cursor = now
		if st.kind == "kline" && st.n > 0 && now >= (st.open+st.period)*1e9 {
			if !c.send(ctx, st, c.kline(st, true), false) {
				return false
			}
			st.n = 0
		}
	}
	return true
}

func (c *conn) trade(ctx context.Context, st *stream, t feeds.Trade) bool {
	ms := t.Time / 1e6
	sym := st.m.symbol
	maker := t.Side == feeds.Sell
	if hook := c.s.opts.OnTradeSent; hook != nil && (st.kind == "trade" || st.kind == "aggTrade") {
		hook(sym, t.ID)
	}
	switch st.kind {
	case "trade":
		return c.send(ctx, st, fmt.Appendf(nil, `{"e":"trade","E":%d,"s":%q,"t":%d,"p":%q,"q":%q,"T":%d,"m":%t,"M":true}`,
			ms, sym, t.ID, decimal8(t.Price), decimal8(t.Size), ms, maker), true)
	case "aggTrade":
		return c.send(ctx, st, fmt.Appendf(nil, `{"e":"aggTrade","E":%d,"s":%q,"a":%d,"p":%q,"q":%q,"f":%d,"l":%d,"T":%d,"m":%t,"M":true}`,
			ms, sym, t.ID, decimal8(t.Price), decimal8(t.Size), t.ID, t.ID, ms, maker), true)
	case "bookTicker":
		// The book around the last print: one tick either side.
		tick := st.m.Tape.Config().Tick
		return c.send(ctx, st, fmt.Appendf(nil, `{"u":%d,"s":%q,"b":%q,"B":%q,"a":%q,"A":%q}`,
			t.ID, sym, decimal8(math.Max(tick, t.Price-tick)), decimal8(t.Size), decimal8(t.Price+tick), decimal8(t.Size)), false)
	}
	open := t.Time / 1e9 / st.period * st.period
	if st.n > 0 && open != st.open {
		if !c.send(ctx, st, c.kline(st, true), false) {
			return false
		}
		st.n = 0
	}
	st.add(t)
	return c.send(ctx, st, c.kline(st, false), false)
}

// add puts t into the kline being built (the caller closed the previous
// interval's).
func (st *stream) add(t feeds.Trade) {
	if st.n == 0 {
		st.open = t.Time / 1e9 / st.period * st.period
		st.o, st.h, st.l, st.v, st.firstID = t.Price, t.Price, t.Price, 0, t.ID
	}
	st.h, st.l, st.c = math.Max(st.h, t.Price), math.Min(st.l, t.Price), t.Price
	st.v += t.Size
	st.n++
	st.lastID = t.ID
}

func (c *conn) kline(st *stream, closed bool) []byte {
	iv := strings.TrimPrefix(st.name[strings.IndexByte(st.name, '@')+1:], "kline_")
	openMs, closeMs := st.open*1000, (st.open+st.period)*1000-1
	return fmt.Appendf(nil, `{"e":"kline","E":%d,"s":%q,"k":{"t":%d,"T":%d,"s":%q,"i":%q,"f":%d,"L":%d,"o":%q,"c":%q,"h":%q,"l":%q,"v":%q,"n":%d,"x":%t,"q":"0","V":"0","Q":"0","B":"0"}}`,
		c.s.clock.Now()/1e6, st.m.symbol, openMs, closeMs, st.m.symbol, iv, st.firstID, st.lastID,
		decimal8(st.o), decimal8(st.c), decimal8(st.h), decimal8(st.l), decimal8(st.v), st.n, closed)
}

// send writes one data message with the faults applied; false once the
// connection is gone or dropped.
func (c *conn) send(ctx context.Context, st *stream, data []byte, isTrade bool) bool {
	msg := data
	if c.combined {
		msg = fmt.Appendf(nil, `{"stream":%q,"data":%s}`, st.name, data)
	}
	f := c.s.getFaults()
	var out [][]byte
	if isTrade {
		c.trades++
		switch {
		case c.held != nil:
			out = append(out, msg, c.held)
			c.held = nil
		case f.SwapEvery > 0 && c.trades%f.SwapEvery == 0:
			c.held = msg
		case f.DuplicateEvery > 0 && c.trades%f.DuplicateEvery == 0:
			out = append(out, msg, msg)
		default:
			out = append(out, msg)
		}
	} else {
		out = append(out, msg)
	}
	for _, m := range out {
		if err := c.ws.Write(ctx, websocket.MessageText, m); err != nil {
			return false
		}
		c.sent++
		if f.MalformedEvery > 0 && c.sent%f.MalformedEvery == 0 {
			broken := m[:len(m)/2]
			if err := c.ws.Write(ctx, websocket.MessageText, broken); err != nil {
				return false
			}
		}
		if f.DropAfter > 0 && c.sent >= f.DropAfter {
			c.ws.CloseNow()
			return false
		}
	}
	return true
}

// RecordedMessages reads real recorded Binance websocket messages for
// Options.Replay: a capture log (a URL line, then "recv_epoch: json"
// lines), a JSON-lines file of {"recv_ts","msg"} objects, or of
// {"test","raw"} objects (crypto-msg-parser's), or one JSON message.
func RecordedMessages(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' && !bytes.Contains(t, []byte("\n{")) {
		var v json.RawMessage
		if err := json.Unmarshal(t, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return [][]byte{buf.Bytes()}, nil
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) == 0 {
			continue
		}
		if l[0] != '{' {
			// A capture log line: "<recv epoch>: <json>", or its URL header.
			_, js, ok := bytes.Cut(l, []byte(": "))
			if !ok || len(js) == 0 || js[0] != '{' {
				if line == 1 {
					continue
				}
				return nil, fmt.Errorf("%s:%d: not a recorded message", path, line)
			}
			out = append(out, append([]byte(nil), js...))
			continue
		}
		var rec struct {
			Msg json.RawMessage `json:"msg"`
			Raw string          `json:"raw"`
		}
		if err := json.Unmarshal(l, &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		switch {
		case rec.Msg != nil:
			out = append(out, []byte(rec.Msg))
		case rec.Raw != "":
			out = append(out, []byte(rec.Raw))
		default:
			return nil, fmt.Errorf("%s:%d: neither \"msg\" nor \"raw\"", path, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
