package kraken

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/frames"
	"workbench/internal/oracle"
)

// recordedLines returns the messages of a capture: the raw logs'
// "<recv>: <json>" lines or the split jsonl's {"recv_ts", "msg"} records.
func recordedLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		switch {
		case len(line) == 0 || bytes.HasPrefix(line, []byte("wss://")):
		case line[0] == '{':
			var j struct {
				Msg json.RawMessage `json:"msg"`
				Raw string          `json:"raw"`
			}
			if err := json.Unmarshal(line, &j); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if j.Raw != "" {
				out = append(out, []byte(j.Raw))
			} else {
				out = append(out, j.Msg)
			}
		default:
			_, msg, ok := bytes.Cut(line, []byte(": "))
			if !ok {
				t.Fatalf("%s: line %q", path, line)
			}
			out = append(out, append([]byte(nil), msg...))
		}
	}
	return out
}

func num(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	case float64:
		return x
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return 0
}

// exactSeconds says whether ns written as seconds equals the decimal s.
func exactSeconds(ns int64, s string) bool {
	got := strings.TrimRight(fmt.Sprintf("%d.%09d", ns/1e9, ns%1e9), "0")
	return got == strings.TrimRight(s, "0")
}

// checkV1 compares Decode's events for one v1 array message with the
// message parsed as plain JSON.
func checkV1(t *testing.T, msg []byte, evs []feeds.Event) (trades, quotes, bars int) {
	t.Helper()
	var arr []any
	if err := json.Unmarshal(msg, &arr); err != nil {
		t.Fatal(err)
	}
	name, pair := arr[len(arr)-2].(string), arr[len(arr)-1].(string)
	fq := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(pair, "XBT", "BTC"), "/", "")) + ".spot.kraken"
	switch {
	case name == "trade":
		rows := arr[1].([]any)
		if len(evs) != len(rows) {
			t.Fatalf("%s: %d events for %d rows", msg, len(evs), len(rows))
		}
		for i, r := range rows {
			row := r.([]any)
			tr := evs[i].Trade
			side := map[string]feeds.Side{"b": feeds.Buy, "s": feeds.Sell}[row[3].(string)]
			if evs[i].Kind != feeds.KindTrade || tr.FQME != fq || tr.Price != num(t, row[0]) || tr.Size != num(t, row[1]) ||
				!exactSeconds(tr.Time, row[2].(string)) || tr.Side != side {
				t.Errorf("%s row %d: got %+v", msg, i, tr)
			}
			trades++
		}
	case name == "ticker":
		m := arr[1].(map[string]any)
		a, bb := m["a"].([]any), m["b"].([]any)
		qu := evs[0].Quote
		if len(evs) != 1 || qu.FQME != fq || qu.Bid != num(t, bb[0]) || qu.BidSize != num(t, bb[2]) || qu.Ask != num(t, a[0]) || qu.AskSize != num(t, a[2]) {
			t.Errorf("%s: got %+v", msg, evs)
		}
		quotes++
	case name == "spread":
		r := arr[1].([]any)
		qu := evs[0].Quote
		if len(evs) != 1 || qu.Bid != num(t, r[0]) || qu.Ask != num(t, r[1]) || !exactSeconds(qu.Time, r[2].(string)) ||
			qu.BidSize != num(t, r[3]) || qu.AskSize != num(t, r[4]) {
			t.Errorf("%s: got %+v", msg, evs)
		}
		quotes++
	case strings.HasPrefix(name, "ohlc-"):
		r := arr[1].([]any)
		br := evs[0].Bar
		etime := num(t, r[1])
		if len(evs) != 1 || !br.Forming || br.Period != 60 || float64(br.Bar.Time) != etime-60 || !exactSeconds(br.Time, r[1].(string)) ||
			br.Bar.Open != num(t, r[2]) || br.Bar.High != num(t, r[3]) || br.Bar.Low != num(t, r[4]) || br.Bar.Close != num(t, r[5]) || br.Bar.Volume != num(t, r[7]) {
			t.Errorf("%s: got %+v", msg, evs)
		}
		bars++
	default:
		t.Fatalf("unexpected channel %q", name)
	}
	return
}

func TestDecodeRecordedV1(t *testing.T) {
	dir := oracle.Dir(t)
	type want struct{ trades, quotes, bars, events int }
	files := map[string]want{
		"messages/kraken_ws_v1_2021-04-17_trade_trade.jsonl":   {trades: 10},
		"messages/kraken_ws_v1_2021-04-17_ticker_ticker.jsonl": {quotes: 18},
		"messages/kraken_ws_v1_2021-04-17_trade_event.jsonl":   {events: 11},
		"messages/kraken_ws_v1_2021-04-17_ticker_event.jsonl":  {events: 11},
		"raw/kraken/ws_v1_trade_capture_2021-04-17.log":        {trades: 10, events: 11},
		"raw/kraken/ws_v1_ticker_capture_2021-04-17.log":       {quotes: 18, events: 11},
	}
	for name, w := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			var got want
			for _, msg := range recordedLines(t, filepath.Join(dir, name)) {
				evs, err := Decode(msg, 0, nil)
				if err != nil {
					t.Fatalf("%s: %v", msg, err)
				}
				if msg[0] != '[' {
					if len(evs) != 0 {
						t.Errorf("%s: events %+v", msg, evs)
					}
					var ev struct{ Event string }
					json.Unmarshal(msg, &ev)
					if ev.Event != "heartbeat" {
						got.events++
					}
					continue
				}
				tr, q, b := checkV1(t, msg, evs)
				got.trades, got.quotes, got.bars = got.trades+tr, got.quotes+q, got.bars+b
			}
			if got != w {
				t.Errorf("decoded %+v, want %+v", got, w)
			}
		})
	}
}

func TestDecodeRecordedSpotSamples(t *testing.T) {
	path := oracle.Path(t, "raw/kraken/ws_v1_and_futures_messages_crypto-msg-parser.jsonl")
	f, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, line := range bytes.Split(bytes.TrimSpace(f), []byte("\n")) {
		var j struct{ Test, Raw string }
		if err := json.Unmarshal(line, &j); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(j.Test, "::spot") {
			continue // Kraken Futures, another venue
		}
		evs, err := Decode([]byte(j.Raw), 0, nil)
		if err != nil {
			t.Fatalf("%s: %v", j.Test, err)
		}
		checkV1(t, []byte(j.Raw), evs)
		kinds = append(kinds, j.Test)
	}
	if len(kinds) != 4 {
		t.Errorf("decoded %v, want the trade, bbo, candlestick and ticker samples", kinds)
	}
}

func TestDecodeV2Samples(t *testing.T) {
	read := func(name string) (map[string]any, []feeds.Event) {
		b, err := os.ReadFile(oracle.Path(t, "raw/kraken", name))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		evs, err := Decode(b, 7, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m, evs
	}
	ts := func(v any) int64 {
		tm, err := time.Parse(time.RFC3339Nano, v.(string))
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}

	m, evs := read("ws_v2_trade_update.json")
	data := m["data"].([]any)
	if len(evs) != len(data) {
		t.Fatalf("trades: %d events for %d", len(evs), len(data))
	}
	for i, d := range data {
		r, tr := d.(map[string]any), evs[i].Trade
		side := map[string]feeds.Side{"buy": feeds.Buy, "sell": feeds.Sell}[r["side"].(string)]
		if tr.FQME != "btcusd.spot.kraken" || tr.Price != r["price"].(float64) || tr.Size != r["qty"].(float64) ||
			tr.ID != int64(r["trade_id"].(float64)) || tr.Time != ts(r["timestamp"]) || tr.Side != side || tr.Recv != 7 {
			t.Errorf("trade %d: %+v from %v", i, tr, r)
		}
	}

	m, evs = read("ws_v2_ticker_snapshot.json")
	r := m["data"].([]any)[0].(map[string]any)
	if q := evs[0].Quote; len(evs) != 1 || q.Bid != r["bid"].(float64) || q.Ask != r["ask"].(float64) ||
		q.BidSize != r["bid_qty"].(float64) || q.AskSize != r["ask_qty"].(float64) || q.Time != ts(r["timestamp"]) {
		t.Errorf("ticker: %+v from %v", evs, r)
	}

	m, evs = read("ws_v2_ohlc_update.json")
	r = m["data"].([]any)[0].(map[string]any)
	begin := ts(r["interval_begin"]) / 1e9
	if b := evs[0].Bar; len(evs) != 1 || !b.Forming || b.Period != 60 || b.Bar.Time != begin || b.Time != (begin+60)*1e9 ||
		b.Bar.Open != r["open"].(float64) || b.Bar.High != r["high"].(float64) || b.Bar.Low != r["low"].(float64) ||
		b.Bar.Close != r["close"].(float64) || b.Bar.Volume != r["volume"].(float64) {
		t.Errorf("ohlc: %+v from %v", evs, r)
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, msg := range []string{
		``, `{`, `{"foo":1}`, `[12,"trade"]`, `[1,[["x","1","2","b","l",""]],"trade","XBT/USD"]`,
		`[1,[["1","1","2","q","l",""]],"trade","XBT/USD"]`,
		`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","price":1,"qty":1,"trade_id":1,"timestamp":"yesterday"}]}`,
		`{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy","qty":1,"trade_id":1,"timestamp":"2023-10-06T17:35:55Z"}]}`,
		`{"channel":"ohlc","data":[{"symbol":"BTC/USD","interval":1,"interval_begin":"2023-10-04T16:25:00Z"}]}`,
	} {
		if evs, err := Decode([]byte(msg), 0, nil); err == nil {
			t.Errorf("%q: no error (events %+v)", msg, evs)
		}
	}
}

// TestRESTRecorded parses the real OHLC and Trades responses, and checks
// that the trades, aggregated into 1-minute bars, reproduce Kraken's own
// rows (flat minutes included) for every minute they fully cover.
func TestRESTRecorded(t *testing.T) {
	env := func(name string) json.RawMessage {
		b, err := os.ReadFile(oracle.Path(t, "raw/kraken", name))
		if err != nil {
			t.Fatal(err)
		}
		var e envelope
		if err := json.Unmarshal(b, &e); err != nil || len(e.Error) != 0 {
			t.Fatalf("%s: %v %v", name, err, e.Error)
		}
		return e.Result
	}
	rows, last, err := parseOHLC(env("rest_0_public_OHLC_XBTUSDT_1m.json"), 60)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Len() != 721 || last != 1762820160 || rows.Time[720] <= last {
		t.Fatalf("%d rows, last %d: want 721 rows with the forming one after last 1762820160", rows.Len(), last)
	}
	ref := oracle.Columns(t, oracle.Path(t, "ohlcv/kraken_XBTUSDT_1m_rest.csv"), "time", "open", "high", "low", "close", "volume")
	if len(ref["time"]) != 720 {
		t.Fatalf("reference has %d rows", len(ref["time"]))
	}
	for i := range 720 {
		if float64(rows.Time[i]) != ref["time"][i] || rows.Open[i] != ref["open"][i] || rows.High[i] != ref["high"][i] ||
			rows.Low[i] != ref["low"][i] || rows.Close[i] != ref["close"][i] || rows.Volume[i] != ref["volume"][i] {
			t.Errorf("row %d: %v, reference %v %v %v %v %v %v", i, rows.At(i), ref["time"][i], ref["open"][i], ref["high"][i], ref["low"][i], ref["close"][i], ref["volume"][i])
		}
	}

	trades, tlast, err := parseTrades(env("rest_0_public_Trades.json"), "btcusdt.spot.kraken")
	if err != nil {
		t.Fatal(err)
	}
	if len(trades) != 1000 || tlast != 1762820035982277754 || trades[0].ID != 10218208 || !exactSeconds(trades[0].Time, "1762795433.9717445") {
		t.Fatalf("%d trades, last %d, first %+v", len(trades), tlast, trades[0])
	}
	first := trades[0].Time / 60e9 * 60
	end := trades[len(trades)-1].Time/60e9*60 + 60
	smp, err := feeds.NewSampler("btcusdt.spot.kraken", 60, feeds.FlatBar)
	if err != nil {
		t.Fatal(err)
	}
	bars := frames.New(60, 0)
	add := func(evs []feeds.BarEvent) {
		for _, e := range evs {
			bars.Add(e.Bar.Time, e.Bar.Open, e.Bar.High, e.Bar.Low, e.Bar.Close, e.Bar.Volume)
		}
	}
	for _, tr := range trades {
		add(smp.Add(tr))
	}
	add(smp.Advance(end * 1e9))
	if bars.Len() == 0 || bars.Time[0] != first {
		t.Fatalf("first bar %v, want minute %d", bars.At(0), first)
	}
	idx := map[int64]int{}
	for i, tm := range rows.Time {
		idx[tm] = i
	}
	match, withTrades := 0, 0
	var missed []int64
	for i := range bars.Len() {
		j, ok := idx[bars.Time[i]]
		if !ok {
			t.Fatalf("minute %d not in OHLC", bars.Time[i])
		}
		if bars.Volume[i] > 0 {
			withTrades++
		}
		if bars.Open[i] == rows.Open[j] && bars.High[i] == rows.High[j] && bars.Low[i] == rows.Low[j] && bars.Close[i] == rows.Close[j] &&
			math.Abs(bars.Volume[i]-rows.Volume[j]) <= 1e-12*rows.Volume[j] {
			match++
		} else {
			missed = append(missed, bars.Time[i])
		}
	}
	t.Logf("%d minutes from %d (%d with trades): %d match Kraken's rows; missed %v", bars.Len(), first, withTrades, match, missed)
	if withTrades != 274 || len(missed) != 1 || missed[0] != 1762795380 {
		t.Errorf("want the 274 traded minutes to match but the first, partial one (1762795380); missed %v", missed)
	}
}
