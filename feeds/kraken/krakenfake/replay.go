package krakenfake

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// recording is a real v1 websocket capture: the server's messages in the
// order received.
type recording struct {
	msgs   []recorded
	status []byte // the systemStatus event, if recorded
	chans  map[string]int64
	decs   map[string]int // pair → most price decimals seen
	order  []string       // pairs in first-seen order
}

type recorded struct {
	recv       float64 // epoch s
	name, pair string  // v1 array messages; "" for events
	msg        []byte
}

// loadRecording reads captures in either of the oracles' formats: the
// raw logs ("<recv>: <json>" lines; lines naming the URL are the client's)
// or the split jsonl ({"recv_ts": …, "msg": …}).
func loadRecording(paths []string) (*recording, error) {
	rec := &recording{chans: map[string]int64{}, decs: map[string]int{}}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("krakenfake replay: %w", err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for ln := 1; sc.Scan(); ln++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 || bytes.HasPrefix(line, []byte("wss://")) {
				continue
			}
			var r recorded
			if line[0] == '{' {
				var j struct {
					RecvTS float64         `json:"recv_ts"`
					Msg    json.RawMessage `json:"msg"`
				}
				if err := json.Unmarshal(line, &j); err != nil || j.Msg == nil {
					f.Close()
					return nil, fmt.Errorf("krakenfake replay %s line %d: not a {recv_ts, msg} record", p, ln)
				}
				r.recv, r.msg = j.RecvTS, j.Msg
			} else {
				ts, msg, ok := bytes.Cut(line, []byte(": "))
				if !ok {
					f.Close()
					return nil, fmt.Errorf("krakenfake replay %s line %d: want \"<recv>: <json>\"", p, ln)
				}
				if _, err := fmt.Sscan(string(ts), &r.recv); err != nil {
					f.Close()
					return nil, fmt.Errorf("krakenfake replay %s line %d: time %q: %w", p, ln, ts, err)
				}
				r.msg = append([]byte(nil), msg...)
			}
			if err := rec.add(r); err != nil {
				f.Close()
				return nil, fmt.Errorf("krakenfake replay %s line %d: %w", p, ln, err)
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("krakenfake replay %s: %w", p, err)
		}
	}
	return rec, nil
}

func (rec *recording) add(r recorded) error {
	if r.msg[0] == '{' {
		var ev struct {
			Event     string `json:"event"`
			ChannelID int64  `json:"channelID"`
			Pair      string `json:"pair"`
			Sub       struct {
				Name string `json:"name"`
			} `json:"subscription"`
		}
		if err := json.Unmarshal(r.msg, &ev); err != nil {
			return err
		}
		switch ev.Event {
		case "systemStatus":
			rec.status = r.msg
		case "subscriptionStatus":
			rec.chans[ev.Sub.Name+" "+ev.Pair] = ev.ChannelID
		}
		return nil // heartbeats are the server's own
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(r.msg, &arr); err != nil || len(arr) < 4 {
		return fmt.Errorf("not a v1 [channelID, payload, name, pair] array")
	}
	json.Unmarshal(arr[len(arr)-2], &r.name)
	json.Unmarshal(arr[len(arr)-1], &r.pair)
	if _, seen := rec.decs[r.pair]; !seen {
		rec.order = append(rec.order, r.pair)
	}
	// The decimals of the first price written, e.g. "354.11000000" → 8.
	if i := bytes.IndexByte(arr[1], '"'); i >= 0 {
		if j := bytes.IndexByte(arr[1][i+1:], '"'); j > 0 {
			if _, frac, ok := strings.Cut(string(arr[1][i+1:i+1+j]), "."); ok {
				rec.decs[r.pair] = max(rec.decs[r.pair], len(frac))
			}
		}
	}
	rec.msgs = append(rec.msgs, r)
	return nil
}

type recordedPair struct {
	rest, ws, base, quote string
	priceD                int
}

// pairs are the recorded pairs as AssetPairs entries.
func (rec *recording) pairs() []recordedPair {
	if rec == nil {
		return nil
	}
	out := make([]recordedPair, 0, len(rec.order))
	for _, p := range rec.order {
		b, q, _ := strings.Cut(p, "/")
		out = append(out, recordedPair{rest: b + q, ws: p, base: b, quote: q, priceD: rec.decs[p]})
	}
	return out
}

func (p recordedPair) assetPair() map[string]any {
	return map[string]any{"altname": p.rest, "wsname": p.ws, "aclass_base": "currency", "base": p.base,
		"aclass_quote": "currency", "quote": p.quote, "lot": "unit", "cost_decimals": 5,
		"pair_decimals": p.priceD, "lot_decimals": 8, "lot_multiplier": 1, "ordermin": "0.0001", "status": "online"}
}

type v1Req struct {
	Event        string   `json:"event"`
	Pair         []string `json:"pair"`
	ReqID        int64    `json:"reqid"`
	Subscription struct {
		Name     string `json:"name"`
		Interval int64  `json:"interval"`
	} `json:"subscription"`
}

// wsV1 replays the recording: after a subscription, the recorded messages
// of its channel and pairs, paced by their recorded receive times at the
// clock's speed (at once on a stopped clock).
func (s *Server) wsV1(w http.ResponseWriter, r *http.Request) {
	if s.rec == nil {
		http.Error(w, "no recording to replay", http.StatusNotFound)
		return
	}
	c := s.accept(w, r)
	if c == nil {
		return
	}
	defer s.forget(c)
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	c.ctx = ctx
	status := s.rec.status
	if status == nil {
		status = mustJSON(map[string]any{"connectionID": c.id, "event": "systemStatus", "status": "online", "version": "1.9.0"})
	}
	c.queue(status)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		for {
			_, b, err := c.ws.Read(ctx)
			if err != nil {
				return
			}
			var req v1Req
			if json.Unmarshal(b, &req) != nil || req.Event != "subscribe" {
				c.queue(mustJSON(map[string]any{"event": "error", "errorMessage": "Malformed request", "reqid": req.ReqID}))
				continue
			}
			name := req.Subscription.Name
			if name == "ohlc" {
				name = fmt.Sprintf("ohlc-%d", max(req.Subscription.Interval, 1))
			}
			for _, p := range req.Pair {
				id, ok := s.rec.chans[req.Subscription.Name+" "+p]
				if !ok {
					c.queue(mustJSON(map[string]any{"errorMessage": "Currency pair not supported", "event": "subscriptionStatus",
						"pair": p, "status": "error", "subscription": map[string]any{"name": req.Subscription.Name}, "reqid": req.ReqID}))
					continue
				}
				c.queue(mustJSON(map[string]any{"channelID": id, "channelName": name, "event": "subscriptionStatus",
					"pair": p, "status": "subscribed", "subscription": map[string]any{"name": req.Subscription.Name}, "reqid": req.ReqID}))
				c.add(&sub{channel: name, pair: p})
			}
		}
	}()
	next, start := 0, time.Now()
	speed := s.clock.Speed()
	first := 0.0
	if len(s.rec.msgs) > 0 {
		first = s.rec.msgs[0].recv
	}
	s.writeLoop(ctx, c, func(ctx context.Context, c *conn, subs []*sub) error {
		if len(subs) == 0 {
			start = time.Now()
			return nil
		}
		for ; next < len(s.rec.msgs); next++ {
			m := s.rec.msgs[next]
			if speed > 0 && time.Duration((m.recv-first)/speed*1e9) > time.Since(start) {
				return nil
			}
			for _, sb := range subs {
				if sb.channel == m.name && sb.pair == m.pair {
					if err := s.send(ctx, c, m.msg, true); err != nil {
						return err
					}
					break
				}
			}
		}
		return nil
	}, mustJSON(map[string]string{"event": "heartbeat"}))
	cancel()
	c.ws.CloseNow()
	<-done
}
