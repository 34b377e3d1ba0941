package binance_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/binance"
	"workbench/feeds/binance/binancefake"
	"workbench/internal/cputime"
	"workbench/internal/oracle"
)

// recordedFiles are every recorded Binance websocket message file.
var recordedFiles = []string{
	"messages/binance_ws_2021-10-12_aggTrade.jsonl",
	"messages/binance_ws_2021-10-12_bookTicker.jsonl",
	"messages/binance_ws_2021-10-12_depthUpdate.jsonl",
	"messages/binance_ws_2021-10-12_kline_1m.jsonl",
	"raw/binance/ws_combined_stream_capture_2021-10-12.log",
	"raw/binance/ws_messages_crypto-msg-parser.jsonl",
	"raw/binance/ws_spot_aggTrade.json",
	"raw/binance/ws_spot_bookTicker_ETHUSDT.json",
	"raw/binance/ws_spot_trade_ETHUSDT.json",
}

func recorded(t testing.TB) map[string][][]byte {
	t.Helper()
	dir := oracle.Dir(t)
	out := map[string][][]byte{}
	for _, f := range recordedFiles {
		msgs, err := binancefake.RecordedMessages(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			t.Fatalf("%s: no messages", f)
		}
		out[f] = msgs
	}
	return out
}

// generic is a message parsed independently of the decoder.
func generic(t *testing.T, msg []byte) (data map[string]any, isArray bool) {
	t.Helper()
	var top map[string]any
	if err := json.Unmarshal(msg, &top); err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
	d, ok := top["data"]
	if !ok {
		return top, false
	}
	m, ok := d.(map[string]any)
	return m, !ok
}

func float(t *testing.T, m map[string]any, k string) float64 {
	t.Helper()
	s, ok := m[k].(string)
	if !ok {
		t.Fatalf("field %q: %v is not a string", k, m[k])
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func integer(t *testing.T, m map[string]any, k string) int64 {
	t.Helper()
	n, ok := m[k].(float64)
	if !ok {
		t.Fatalf("field %q: %v is not a number", k, m[k])
	}
	return int64(n)
}

// TestDecodeRecorded decodes every recorded Binance message and compares
// each field with the same message parsed by encoding/json here.
func TestDecodeRecorded(t *testing.T) {
	dec := binance.NewDecoder()
	counts := map[binance.MsgKind]int{}
	for file, msgs := range recorded(t) {
		for i, msg := range msgs {
			var ev feeds.Event
			d, err := dec.Decode(msg, 42, &ev)
			if err != nil {
				t.Fatalf("%s message %d: %v", file, i+1, err)
			}
			counts[d.Kind]++
			data, isArray := generic(t, msg)
			e, _ := data["e"].(string)
			want := binance.MsgIgnored
			switch {
			case isArray:
			case e == "trade" || e == "aggTrade":
				want = binance.MsgTrade
			case e == "kline":
				want = binance.MsgBar
			case e == "bookTicker" || e == "" && data["u"] != nil:
				want = binance.MsgQuote
			}
			if d.Kind != want {
				t.Fatalf("%s message %d: kind %d, want %d", file, i+1, d.Kind, want)
			}
			fq := strings.ToLower(stringField(data, "s")) + ".spot.binance"
			switch want {
			case binance.MsgTrade:
				idKey := "t"
				if e == "aggTrade" {
					idKey = "a"
				}
				side := feeds.Buy
				if data["m"].(bool) {
					side = feeds.Sell
				}
				w := feeds.Trade{Time: integer(t, data, "T") * 1e6, FQME: fq, Price: float(t, data, "p"),
					Size: float(t, data, "q"), Side: side, ID: integer(t, data, idKey), Recv: 42}
				if ev.Kind != feeds.KindTrade || ev.Trade != w {
					t.Fatalf("%s message %d: got %+v, want %+v", file, i+1, ev.Trade, w)
				}
			case binance.MsgQuote:
				tm := int64(42)
				if _, ok := data["T"]; ok {
					tm = integer(t, data, "T") * 1e6
				}
				w := feeds.Quote{Time: tm, FQME: fq, Bid: float(t, data, "b"), BidSize: float(t, data, "B"),
					Ask: float(t, data, "a"), AskSize: float(t, data, "A"), Recv: 42}
				if ev.Kind != feeds.KindQuote || ev.Quote != w {
					t.Fatalf("%s message %d: got %+v, want %+v", file, i+1, ev.Quote, w)
				}
			case binance.MsgBar:
				k := data["k"].(map[string]any)
				open, last := integer(t, k, "t"), integer(t, k, "T")
				b := ev.Bar
				if ev.Kind != feeds.KindBar || b.FQME != fq || b.Bar.Time != open/1000 || b.Time != (last+1)*1e6 ||
					b.Period != (last+1-open)/1000 || b.Forming != !k["x"].(bool) || b.Recv != 42 ||
					b.Bar.Open != float(t, k, "o") || b.Bar.High != float(t, k, "h") || b.Bar.Low != float(t, k, "l") ||
					b.Bar.Close != float(t, k, "c") || b.Bar.Volume != float(t, k, "v") {
					t.Fatalf("%s message %d: got %+v from %s", file, i+1, b, msg)
				}
				if iv := k["i"].(string); iv == "1m" && b.Period != 60 {
					t.Fatalf("%s message %d: 1m kline with period %d", file, i+1, b.Period)
				}
			}
		}
	}
	if counts[binance.MsgTrade] == 0 || counts[binance.MsgQuote] == 0 || counts[binance.MsgBar] == 0 {
		t.Fatalf("recordings lack a kind: %v", counts)
	}
	t.Logf("decoded: %d trades, %d quotes, %d bars, %d ignored", counts[binance.MsgTrade], counts[binance.MsgQuote], counts[binance.MsgBar], counts[binance.MsgIgnored])
}

func stringField(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// TestDecodeMalformed: cut or corrupted messages are errors, never panics
// nor events.
func TestDecodeMalformed(t *testing.T) {
	dec := binance.NewDecoder()
	for file, msgs := range recorded(t) {
		for i, msg := range msgs {
			for n := 1; n < len(msg); n += 7 {
				var ev feeds.Event
				if _, err := dec.Decode(msg[:n], 0, &ev); err == nil {
					t.Fatalf("%s message %d cut at %d: no error", file, i+1, n)
				}
				if ev.Kind != 0 {
					t.Fatalf("%s message %d cut at %d: event %v", file, i+1, n, ev.Kind)
				}
			}
		}
	}
	bad := []string{
		`{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":5,"p":1.5,"q":"1","T":1,"m":true}}`,
		`{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":5,"p":"x","q":"1","T":1,"m":true}}`,
		`{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","p":"1","q":"1","T":1,"m":true}}`,
		`{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":5,"p":"1","q":"1","T":1,"m":"yes"}}`,
		`{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","a":5,"p":"1","q":"1","m":true}}`,
		`{"stream":"btcusdt@kline_1m","data":{"e":"kline","s":"BTCUSDT","k":{"t":1,"T":60000,"o":"1","h":"1","l":"1","c":"1","v":"1","x":true}}}`,
		`{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"2"}}`,
		`{"stream":"x","data":{"s":"BTCUSDT"}}`,
		`[1,2]`, `"trade"`, `{"result":null}`, `{"id":"seven","result":null}`,
	}
	for _, b := range bad {
		var ev feeds.Event
		_, err := dec.Decode([]byte(b), 0, &ev)
		if err == nil || ev.Kind != 0 {
			t.Errorf("%s: err %v, event %v", b, err, ev.Kind)
		}
	}
}

func TestDecodeAcks(t *testing.T) {
	dec := binance.NewDecoder()
	var ev feeds.Event
	d, err := dec.Decode([]byte(`{"result":null,"id":3}`), 0, &ev)
	if err != nil || d.Kind != binance.MsgAck || d.AckID != 3 || d.AckErr != nil {
		t.Fatalf("ack: %+v %v", d, err)
	}
	d, err = dec.Decode([]byte(`{"error":{"code":2,"msg":"Invalid request: unknown variant"},"id":4}`), 0, &ev)
	var api *binance.APIError
	if err != nil || d.Kind != binance.MsgAck || d.AckID != 4 || !errors.As(d.AckErr, &api) || api.Code != 2 || api.Msg != "Invalid request: unknown variant" {
		t.Fatalf("refusal: %+v %v", d, err)
	}
}

// tradeMessages are the recorded trade and aggTrade messages.
func tradeMessages(t testing.TB) [][]byte {
	var out [][]byte
	for _, msgs := range recorded(t) {
		for _, m := range msgs {
			if strings.Contains(string(m), `"e":"trade"`) || strings.Contains(string(m), `"e":"aggTrade"`) {
				out = append(out, m)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no recorded trade messages")
	}
	return out
}

// TestDecodeTradeAllocs: decoding a trade allocates nothing once the
// market's fqme is known.
func TestDecodeTradeAllocs(t *testing.T) {
	msgs := tradeMessages(t)
	dec := binance.NewDecoder()
	var ev feeds.Event
	for _, m := range msgs {
		dec.Decode(m, 0, &ev)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := dec.Decode(msgs[i%len(msgs)], 0, &ev); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per trade message", allocs)
	}
}

// BenchmarkDecodeTrades decodes the recorded trade messages with Decoder.
func BenchmarkDecodeTrades(b *testing.B) {
	msgs := tradeMessages(b)
	dec := binance.NewDecoder()
	var ev feeds.Event
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		if _, err := dec.Decode(msgs[i%len(msgs)], 0, &ev); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}

// BenchmarkDecodeTradesStdJSON is the anchor: the same messages into a
// plain struct with encoding/json, prices parsed the same way.
func BenchmarkDecodeTradesStdJSON(b *testing.B) {
	msgs := tradeMessages(b)
	type payload struct {
		E     string `json:"e"`
		Event int64  `json:"E"` // without it "E" would land in "e"
		S     string `json:"s"`
		T     int64  `json:"t"`
		A     int64  `json:"a"`
		P     string `json:"p"`
		Q     string `json:"q"`
		Time  int64  `json:"T"`
		Maker bool   `json:"m"`
		Best  bool   `json:"M"`
	}
	var env struct {
		Stream string  `json:"stream"`
		Data   payload `json:"data"`
	}
	var tr feeds.Trade
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for i := 0; i < b.N; i++ {
		env.Data = payload{}
		if err := json.Unmarshal(msgs[i%len(msgs)], &env); err != nil {
			b.Fatal(err)
		}
		d := &env.Data
		p, err := strconv.ParseFloat(d.P, 64)
		if err != nil {
			b.Fatal(err)
		}
		q, err := strconv.ParseFloat(d.Q, 64)
		if err != nil {
			b.Fatal(err)
		}
		id := d.T
		if d.E == "aggTrade" {
			id = d.A
		}
		side := feeds.Buy
		if d.Maker {
			side = feeds.Sell
		}
		tr = feeds.Trade{Time: d.Time * 1e6, FQME: strings.ToLower(d.S), Price: p, Size: q, Side: side, ID: id}
	}
	_ = tr
	reportCPU(b, cpu0)
}

// reportCPU adds messages per wall second and per CPU second: on a shared
// machine the wall clock measures the neighbours too; CPU time per message
// does not.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "msgs/cpu-s")
	}
}
