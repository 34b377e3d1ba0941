package krakenfake

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"workbench/feeds"
)

// Drop closes every websocket abruptly (no close frame).
func (s *Server) Drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.ws.CloseNow()
	}
}

// RefuseFor makes websocket handshakes fail with 503 for d (wall time).
func (s *Server) RefuseFor(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseUntil = time.Now().Add(d)
}

// Stall silences every websocket (heartbeats included) for d (wall time),
// sockets left open; what the clock passes meanwhile is sent afterwards
// on the connections that survive.
func (s *Server) Stall(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallUntil = time.Now().Add(d)
}

// Malformed sends a broken frame before each of the next n data messages.
func (s *Server) Malformed(n int) { s.mu.Lock(); s.malformed += n; s.mu.Unlock() }

// Duplicate sends each of the next n trade messages twice.
func (s *Server) Duplicate(n int) { s.mu.Lock(); s.dups += n; s.mu.Unlock() }

// Reorder sends the first two trades of each of the next n trade batches
// (of two or more trades) in swapped order, one message each.
func (s *Server) Reorder(n int) { s.mu.Lock(); s.reorders += n; s.mu.Unlock() }

// Conns is the number of open websockets.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// take consumes one unit of a fault counter.
func (s *Server) take(n *int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if *n > 0 {
		*n--
		return true
	}
	return false
}

func (s *Server) stalled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.stallUntil)
}

// sub is one subscribed channel of one market on one connection.
type sub struct {
	m        *market
	channel  string
	interval int64
	sent     int64  // clock ns up to which trades have been streamed
	pair     string // v1 replay: the recorded pair
}

type conn struct {
	ctx    context.Context // ends with the connection
	ws     *websocket.Conn
	id     int64
	out    chan []byte // acks and snapshots, from the reader
	subs   chan *sub   // new subscriptions, from the reader
	breaks int         // broken frames sent, to rotate their kinds
}

// accept upgrades a request unless reconnects are being refused.
func (s *Server) accept(w http.ResponseWriter, r *http.Request) *conn {
	s.mu.Lock()
	refuse := time.Now().Before(s.refuseUntil)
	s.nextConnID++
	id := s.nextConnID
	s.mu.Unlock()
	if refuse {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return nil
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return nil
	}
	c := &conn{ws: ws, id: id, out: make(chan []byte, 256), subs: make(chan *sub, 64)}
	s.mu.Lock()
	s.conns[c] = true
	s.mu.Unlock()
	return c
}

// queue hands msg to the writer, unless the connection is over.
func (c *conn) queue(msg []byte) {
	select {
	case c.out <- msg:
	case <-c.ctx.Done():
	}
}

// add hands a new subscription to the writer.
func (c *conn) add(sb *sub) {
	select {
	case c.subs <- sb:
	case <-c.ctx.Done():
	}
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.ws.CloseNow()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own maps and structs are encoded
	}
	return b
}

func rfc3339(ns int64) string { return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z") }

func (s *Server) wsV2(w http.ResponseWriter, r *http.Request) {
	c := s.accept(w, r)
	if c == nil {
		return
	}
	defer s.forget(c)
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	c.ctx = ctx
	c.queue(mustJSON(map[string]any{"channel": "status", "type": "update", "data": []any{map[string]any{
		"api_version": "v2", "connection_id": c.id, "system": "online", "version": "2.0.0"}}}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		s.readV2(ctx, c)
	}()
	s.writeLoop(ctx, c, s.streamV2, mustJSON(map[string]string{"channel": "heartbeat"}))
	cancel()
	c.ws.CloseNow()
	<-done
}

type v2Req struct {
	Method string `json:"method"`
	Params struct {
		Channel  string   `json:"channel"`
		Symbol   []string `json:"symbol"`
		Interval int64    `json:"interval"`
		Snapshot *bool    `json:"snapshot"`
	} `json:"params"`
	ReqID int64 `json:"req_id"`
}

// readV2 answers subscribe and ping requests.
func (s *Server) readV2(ctx context.Context, c *conn) {
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		tin := rfc3339(time.Now().UnixNano())
		var req v2Req
		if err := json.Unmarshal(b, &req); err != nil {
			c.queue(mustJSON(map[string]any{"error": "EGeneral:Invalid arguments", "success": false, "time_in": tin, "time_out": tin}))
			continue
		}
		switch req.Method {
		case "ping":
			c.queue(mustJSON(map[string]any{"method": "pong", "req_id": req.ReqID, "time_in": tin, "time_out": tin}))
		case "subscribe":
			s.subscribeV2(c, &req, tin)
		default:
			c.queue(mustJSON(map[string]any{"error": "EGeneral:Invalid arguments", "method": req.Method, "success": false, "req_id": req.ReqID, "time_in": tin, "time_out": tin}))
		}
	}
}

func (s *Server) subscribeV2(c *conn, req *v2Req, tin string) {
	refuse := func(sym, msg string) {
		c.queue(mustJSON(map[string]any{"error": msg, "method": "subscribe", "success": false, "symbol": sym,
			"req_id": req.ReqID, "time_in": tin, "time_out": tin}))
	}
	ch := req.Params.Channel
	if ch != "trade" && ch != "ticker" && ch != "ohlc" {
		refuse("", "Channel "+ch+" not supported")
		return
	}
	if ch == "ohlc" && !intervals[req.Params.Interval] {
		refuse("", "EGeneral:Invalid arguments:interval")
		return
	}
	for _, sym := range req.Params.Symbol {
		m := s.market(sym)
		if m == nil || sym != m.v2 {
			refuse(sym, "Currency pair not supported "+sym)
			continue
		}
		now := s.clock.Now()
		c.queue(mustJSON(map[string]any{"method": "subscribe", "result": map[string]any{"channel": ch, "symbol": sym, "snapshot": true},
			"success": true, "req_id": req.ReqID, "time_in": tin, "time_out": tin}))
		sb := &sub{m: m, channel: ch, interval: req.Params.Interval, sent: now}
		// Kraken's snapshot: the last 50 trades, the current bar, the
		// current ticker.
		recent := m.tape.Trades(m.tape.Config().Start, now)
		switch ch {
		case "trade":
			c.queue(tradeMsg("snapshot", m, recent[max(0, len(recent)-50):]))
		case "ticker":
			if len(recent) > 0 {
				c.queue(tickerMsg("snapshot", m, recent[len(recent)-1]))
			}
		case "ohlc":
			if msg := ohlcMsg("snapshot", m, sb.interval, recent, now); msg != nil {
				c.queue(msg)
			}
		}
		c.add(sb)
	}
}

type v2Trade struct {
	Symbol    string  `json:"symbol"`
	Side      string  `json:"side"`
	Price     float64 `json:"price"`
	Qty       float64 `json:"qty"`
	OrdType   string  `json:"ord_type"`
	TradeID   int64   `json:"trade_id"`
	Timestamp string  `json:"timestamp"`
}

func tradeMsg(typ string, m *market, ts []feeds.Trade) []byte {
	data := make([]v2Trade, len(ts))
	for i, tr := range ts {
		side := "buy"
		if tr.Side == feeds.Sell {
			side = "sell"
		}
		data[i] = v2Trade{m.v2, side, tr.Price, tr.Size, "limit", tr.ID, rfc3339(tr.Time)}
	}
	return mustJSON(map[string]any{"channel": "trade", "type": typ, "data": data})
}

func tickerMsg(typ string, m *market, last feeds.Trade) []byte {
	return mustJSON(map[string]any{"channel": "ticker", "type": typ, "data": []any{map[string]any{
		"symbol": m.v2, "bid": last.Price - m.tick, "bid_qty": 1.5, "ask": last.Price + m.tick, "ask_qty": 2.5,
		"last": last.Price, "timestamp": rfc3339(last.Time)}}})
}

// ohlcMsg is the bar of the interval of the last of trades, as it stands
// at now; nil without trades.
func ohlcMsg(typ string, m *market, iv int64, trades []feeds.Trade, now int64) []byte {
	if len(trades) == 0 {
		return nil
	}
	p := iv * 60 * 1e9
	begin := trades[len(trades)-1].Time / p * p
	b := bucket(begin/1e9, m.tape.Trades(begin, min(begin+p, now)), 0)
	return mustJSON(map[string]any{"channel": "ohlc", "type": typ, "data": []any{map[string]any{
		"symbol": m.v2, "open": b.o, "high": b.h, "low": b.l, "close": b.c, "trades": b.n, "volume": b.v,
		"vwap": b.vwap, "interval_begin": rfc3339(begin), "interval": iv, "timestamp": rfc3339(now)}}})
}

// streamV2 sends what the clock has passed since the last poll.
func (s *Server) streamV2(ctx context.Context, c *conn, subs []*sub) error {
	now := s.clock.Now()
	for _, sb := range subs {
		ts := sb.m.tape.Trades(sb.sent, now)
		sb.sent = now
		if len(ts) == 0 {
			continue
		}
		var msgs [][]byte
		switch sb.channel {
		case "trade":
			if len(ts) >= 2 && s.take(&s.reorders) {
				msgs = append(msgs, tradeMsg("update", sb.m, ts[1:2]), tradeMsg("update", sb.m, ts[0:1]))
				if len(ts) > 2 {
					msgs = append(msgs, tradeMsg("update", sb.m, ts[2:]))
				}
			} else {
				msgs = append(msgs, tradeMsg("update", sb.m, ts))
			}
			if s.take(&s.dups) {
				msgs = append(msgs, msgs[len(msgs)-1])
			}
		case "ticker":
			msgs = append(msgs, tickerMsg("update", sb.m, ts[len(ts)-1]))
		case "ohlc":
			// One update per interval the new trades touch, each as it
			// stood at its last trade (Kraken sends one per trade).
			p := sb.interval * 60 * 1e9
			for i := 0; i < len(ts); {
				j := i
				for j < len(ts) && ts[j].Time/p == ts[i].Time/p {
					j++
				}
				msgs = append(msgs, ohlcMsg("update", sb.m, sb.interval, ts[:j], ts[j-1].Time+1))
				i = j
			}
		}
		for _, msg := range msgs {
			if err := s.send(ctx, c, msg, true); err != nil {
				return err
			}
		}
	}
	return nil
}

var broken = [][]byte{
	[]byte(`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USDT","price":`),
	[]byte(`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USDT","side":"buy","price":1,"qty":1,"trade_id":1,"timestamp":"yesterday"}]}`),
	[]byte(`[12,"trade"]`),
	[]byte("\x00\xff"),
}

// send writes msg, preceded by a broken frame when one is due.
func (s *Server) send(ctx context.Context, c *conn, msg []byte, data bool) error {
	if data && s.take(&s.malformed) {
		if err := c.ws.Write(ctx, websocket.MessageText, broken[c.breaks%len(broken)]); err != nil {
			return err
		}
		c.breaks++
	}
	return c.ws.Write(ctx, websocket.MessageText, msg)
}

// writeLoop owns the connection's writes: queued acks and snapshots,
// heartbeats and the stream, all held back while stalled.
func (s *Server) writeLoop(ctx context.Context, c *conn, stream func(context.Context, *conn, []*sub) error, heartbeat []byte) {
	hb := time.NewTicker(s.opts.Heartbeat)
	defer hb.Stop()
	poll := time.NewTicker(s.opts.Poll)
	defer poll.Stop()
	var subs []*sub
	for {
		out := c.out
		if s.stalled() {
			out = nil
		}
		select {
		case <-ctx.Done():
			return
		case sb := <-c.subs:
			subs = append(subs, sb)
		case msg := <-out:
			if err := c.ws.Write(ctx, websocket.MessageText, msg); err != nil {
				return
			}
		case <-hb.C:
			if !s.stalled() {
				if err := c.ws.Write(ctx, websocket.MessageText, heartbeat); err != nil {
					return
				}
			}
		case <-poll.C:
			if !s.stalled() && len(c.out) == 0 {
				if err := stream(ctx, c, subs); err != nil {
					return
				}
			}
		}
	}
}
