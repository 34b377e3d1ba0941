package krakenfake

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"workbench/feeds/venuefake"
)

// TestWSv2Protocol speaks to the fake as a bare websocket client: status
// first, one ack per request echoing its req_id, a refusal naming the
// symbol, pong for ping, heartbeats each second, then the trade snapshot
// and updates as the clock passes the tape's trades.
func TestWSv2Protocol(t *testing.T) {
	const now = 1_760_000_000
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: "btcusdt.spot.kraken", Seed: 1, Start: (now - 3600) * 1e9, Price: 60000, Tick: 0.1, Lot: 0.0001, MeanGap: 100 * time.Millisecond})
	s, err := New(Options{Clock: venuefake.NewClock(now*1e9, 1), Tapes: []*venuefake.Tape{tape}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.WSURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	read := func() map[string]any {
		t.Helper()
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return m
	}
	send := func(s string) {
		t.Helper()
		if err := ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if m := read(); m["channel"] != "status" {
		t.Fatalf("first message %v", m)
	}
	send(`{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USDT"],"snapshot":true},"req_id":42}`)
	send(`{"method":"subscribe","params":{"channel":"ticker","symbol":["XYZ/ABC"]},"req_id":43}`)
	send(`{"method":"ping","req_id":7}`)
	var acks, refusals, pongs, heartbeats, snapshot, updates int
	var lastID float64
	start := time.Now()
	for time.Since(start) < 2500*time.Millisecond {
		m := read()
		switch {
		case m["method"] == "subscribe" && m["success"] == true:
			if m["req_id"] != 42.0 || m["result"].(map[string]any)["symbol"] != "BTC/USDT" {
				t.Errorf("ack %v", m)
			}
			acks++
		case m["method"] == "subscribe":
			if m["req_id"] != 43.0 || !strings.Contains(m["error"].(string), "XYZ/ABC") || m["symbol"] != "XYZ/ABC" {
				t.Errorf("refusal %v", m)
			}
			refusals++
		case m["method"] == "pong":
			if m["req_id"] != 7.0 {
				t.Errorf("pong %v", m)
			}
			pongs++
		case m["channel"] == "heartbeat":
			heartbeats++
		case m["channel"] == "trade":
			for _, d := range m["data"].([]any) {
				id := d.(map[string]any)["trade_id"].(float64)
				if lastID != 0 && id != lastID+1 {
					t.Fatalf("trade id %v after %v", id, lastID)
				}
				lastID = id
			}
			if m["type"] == "snapshot" {
				snapshot += len(m["data"].([]any))
			} else {
				updates++
			}
		}
	}
	if acks != 1 || refusals != 1 || pongs != 1 || heartbeats < 2 || snapshot != 50 || updates < 5 {
		t.Errorf("acks %d refusals %d pongs %d heartbeats %d snapshot %d updates %d", acks, refusals, pongs, heartbeats, snapshot, updates)
	}
	// The last id sent is the tape's last trade before the clock.
	if want := tape.Trades(0, s.Clock().Now()); lastID > float64(want[len(want)-1].ID) {
		t.Errorf("sent trade %v before the clock passed it", lastID)
	}
}
