package binancefake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

	"workbench/feeds"
	"workbench/feeds/binance/binancefake"
	"workbench/feeds/venuefake"
)

var start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

func newServer(t *testing.T, speed float64, faults binancefake.Faults) (*binancefake.Server, *venuefake.Tape) {
	t.Helper()
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: "btcusdt.spot.binance", Seed: 3, Start: start, Price: 42000, Tick: 0.01, Lot: 0.00001, MeanGap: 5 * time.Second, QuietEvery: 4})
	srv, err := binancefake.New(binancefake.Options{Markets: []binancefake.Market{{Tape: tape}}, Clock: venuefake.NewClock(start+int64(24*time.Hour), speed), Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv, tape
}

func get(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func parseDec(t *testing.T, v any) float64 {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v (%T) is not a string", v, v)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestKlinesShape: Binance's 12-field rows, prices as strings, ms times,
// endTime inclusive, no row for a minute without trades.
func TestKlinesShape(t *testing.T) {
	srv, tape := newServer(t, 0, binancefake.Faults{})
	from := start/1e9 + 3600
	want := srv.TrueBars("btcusdt.spot.binance", 60, from, from+3600)
	if want.Len() < 30 || want.Len() == 60 {
		t.Fatalf("tape has %d bars in the hour: want some quiet minutes", want.Len())
	}
	// Two consecutive bars with trades; startTime and endTime both their
	// opens: endTime is inclusive, so both come.
	i := 0
	for want.Time[i+1] != want.Time[i]+60 {
		i++
	}
	a := want.Time[i] * 1000
	code, h, body := get(t, fmt.Sprintf("%s/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&endTime=%d", srv.RESTURL(), a, a+60000))
	if code != 200 || h.Get("X-MBX-USED-WEIGHT-1M") == "" {
		t.Fatalf("HTTP %d %s", code, body)
	}
	var rows [][]any
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows: %s", len(rows), body)
	}
	for k, r := range rows {
		bar := want.At(i + k)
		if len(r) != 12 || r[0].(float64) != float64(bar.Time*1000) || r[6].(float64) != float64(bar.Time*1000+59999) || r[11] != "0" {
			t.Fatalf("row %d: %v", k, r)
		}
		got := [5]float64{parseDec(t, r[1]), parseDec(t, r[2]), parseDec(t, r[3]), parseDec(t, r[4]), parseDec(t, r[5])}
		if got != [5]float64{bar.Open, bar.High, bar.Low, bar.Close, bar.Volume} {
			t.Fatalf("row %d: %v, want %+v", k, got, bar)
		}
		trades := tape.Trades(bar.Time*1e9, (bar.Time+60)*1e9)
		var buy float64
		for _, tr := range trades {
			if tr.Side == feeds.Buy {
				buy += tr.Size
			}
		}
		if r[8].(float64) != float64(len(trades)) || parseDec(t, r[9]) != buy {
			t.Fatalf("row %d: %v trades, taker buy %v; tape %d, %v", k, r[8], r[9], len(trades), buy)
		}
	}
	// A quiet minute alone: no row.
	for j := want.Time[0]; ; j += 60 {
		if srv.TrueBars("btcusdt.spot.binance", 60, j, j+60).Len() == 0 {
			_, _, body := get(t, fmt.Sprintf("%s/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=%d&endTime=%d", srv.RESTURL(), j*1000, j*1000))
			if string(body) != "[]\n" {
				t.Fatalf("quiet minute %d: %s", j, body)
			}
			break
		}
	}
}

func TestRESTErrors(t *testing.T) {
	srv, _ := newServer(t, 0, binancefake.Faults{})
	for q, code := range map[string]int{
		"/api/v3/klines?interval=1m":                                                     -1102,
		"/api/v3/klines?symbol=FOOUSDT&interval=1m":                                      -1121,
		"/api/v3/klines?symbol=BTCUSDT&interval=2m":                                      -1120,
		"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001":                           -1130,
		"/api/v3/aggTrades?symbol=BTCUSDT&startTime=0&endTime=3600001":                   -1127,
		"/api/v3/aggTrades?symbol=BTCUSDT&startTime=0":                                   -1128,
		"/api/v3/exchangeInfo?symbol=FOOUSDT":                                            -1121,
		"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=x":                          -1100,
		"/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1704070000000&endTime=1000": -1023,
	} {
		status, _, body := get(t, srv.RESTURL()+q)
		var e struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		}
		if err := json.Unmarshal(body, &e); err != nil || status != 400 || e.Code != code || e.Msg == "" {
			t.Errorf("%s: HTTP %d %s, want 400 with code %d", q, status, body, code)
		}
	}
	srv.SetFaults(binancefake.Faults{Fail429Every: 1, RetryAfter: 3})
	status, h, _ := get(t, srv.RESTURL()+"/api/v3/time")
	if status != 429 || h.Get("Retry-After") != "3" {
		t.Fatalf("429: HTTP %d, Retry-After %q", status, h.Get("Retry-After"))
	}
	srv.SetFaults(binancefake.Faults{Fail5xxEvery: 1})
	if status, _, _ := get(t, srv.RESTURL()+"/api/v3/time"); status != 503 {
		t.Fatalf("5xx: HTTP %d", status)
	}
}

// TestWebsocket speaks the protocol by hand: trades as the clock passes
// them, SUBSCRIBE acks and refusals, LIST_SUBSCRIPTIONS, refused upgrades.
func TestWebsocket(t *testing.T) {
	srv, tape := newServer(t, 100, binancefake.Faults{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, srv.WSURL()+"/stream?streams=btcusdt@trade", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	write := func(s string) {
		if err := ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"method":"SUBSCRIBE","params":["btcusdt@nonsense"],"id":7}`)
	write(`{"method":"LIST_SUBSCRIPTIONS","id":8}`)
	write(`{"method":"SUBSCRIBE","params":["btcusdt@bookTicker"],"id":9}`)
	replies := map[int64]map[string]any{}
	var trades []map[string]any
	for len(replies) < 3 || len(trades) < 5 {
		_, msg, err := ws.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(msg, &m); err != nil {
			t.Fatalf("%s: %v", msg, err)
		}
		if id, ok := m["id"].(float64); ok {
			replies[int64(id)] = m
			continue
		}
		if m["stream"] == "btcusdt@trade" {
			trades = append(trades, m["data"].(map[string]any))
		}
	}
	if e, ok := replies[7]["error"].(map[string]any); !ok || e["code"] != 2.0 {
		t.Fatalf("bad stream: %v", replies[7])
	}
	if l, ok := replies[8]["result"].([]any); !ok || len(l) != 1 || l[0] != "btcusdt@trade" {
		t.Fatalf("list: %v", replies[8])
	}
	if r, ok := replies[9]["result"]; !ok || r != nil {
		t.Fatalf("subscribe: %v", replies[9])
	}
	for _, d := range trades {
		id := int64(d["t"].(float64))
		w := tape.TradesFromID(id, 1, start+int64(48*time.Hour))[0]
		if d["T"].(float64) != float64(w.Time/1e6) || parseDec(t, d["p"]) != w.Price || parseDec(t, d["q"]) != w.Size || d["m"] != (w.Side == feeds.Sell) {
			t.Fatalf("trade %v, tape %+v", d, w)
		}
	}
	srv.RefuseFor(time.Minute)
	_, resp, err := websocket.Dial(ctx, srv.WSURL()+"/stream?streams=btcusdt@trade", nil)
	if err == nil || resp == nil || resp.StatusCode != 503 {
		t.Fatalf("refused upgrade: %v %v", err, resp)
	}
}

// TestRecentTrades: /api/v3/trades is the latest trades the clock has
// passed, in Binance's shape.
func TestRecentTrades(t *testing.T) {
	srv, tape := newServer(t, 0, binancefake.Faults{})
	_, _, body := get(t, srv.RESTURL()+"/api/v3/trades?symbol=BTCUSDT&limit=5")
	var rows []struct {
		ID           int64  `json:"id"`
		Price        string `json:"price"`
		Qty          string `json:"qty"`
		Time         int64  `json:"time"`
		IsBuyerMaker bool   `json:"isBuyerMaker"`
	}
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatal(err)
	}
	now := srv.Clock().Now()
	want := tape.Trades(now-int64(time.Hour), now)
	want = want[len(want)-5:]
	if len(rows) != 5 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		w := want[i]
		if r.ID != w.ID || r.Time != w.Time/1e6 || parseDec(t, r.Price) != w.Price || parseDec(t, r.Qty) != w.Size || r.IsBuyerMaker != (w.Side == feeds.Sell) {
			t.Fatalf("row %d: %+v, tape %+v", i, r, w)
		}
	}
}
