package kraken

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"workbench/feeds"
	"workbench/frames"
)

// ack is a subscription's acknowledgement or refusal (v2 method
// "subscribe", v1 event "subscriptionStatus").
type ack struct {
	reqID   int64
	success bool
	err     string
	what    string // channel and symbol, for messages
}

// Decode decodes one Kraken websocket message, v2 (objects with a
// channel) or v1 (arrays [channelID, payload, name, pair]), appending its
// trades, quotes and bars to evs with recv as their receive time (0 for
// recorded data). Heartbeats, status and acknowledgements give no event.
// An error means the message is malformed.
func Decode(msg []byte, recv int64, evs []feeds.Event) ([]feeds.Event, error) {
	evs, _, err := decode(msg, recv, evs)
	return evs, err
}

func decode(msg []byte, recv int64, evs []feeds.Event) ([]feeds.Event, *ack, error) {
	i := 0
	for i < len(msg) && (msg[i] == ' ' || msg[i] == '\n' || msg[i] == '\r' || msg[i] == '\t') {
		i++
	}
	if i == len(msg) {
		return evs, nil, errors.New("empty message")
	}
	if msg[i] == '[' {
		evs, err := decodeV1Array(msg, recv, evs)
		return evs, nil, err
	}
	var m v2Msg
	if err := json.Unmarshal(msg, &m); err != nil {
		return evs, nil, fmt.Errorf("%w: %.80q", err, msg)
	}
	switch {
	case m.Event != "":
		return decodeV1Event(&m)
	case m.Method != "":
		if m.Method != "subscribe" || m.Success == nil {
			return evs, nil, nil // pong, unsubscribe
		}
		a := &ack{reqID: m.ReqID, success: *m.Success, err: m.Error, what: m.Symbol}
		if m.Result != nil {
			a.what = m.Result.Channel + " " + m.Result.Symbol
		}
		return evs, a, nil
	}
	var err error
	switch m.Channel {
	case "heartbeat", "status":
		return evs, nil, nil
	case "trade":
		evs, err = decodeV2Trades(m.Data, recv, evs)
	case "ticker":
		evs, err = decodeV2Ticker(m.Data, recv, evs)
	case "ohlc":
		evs, err = decodeV2OHLC(m.Data, recv, evs)
	case "":
		err = errors.New("no channel, method or event")
	default:
		return evs, nil, nil // a channel we did not ask for
	}
	if err != nil {
		return evs, nil, fmt.Errorf("%s: %w", m.Channel, err)
	}
	return evs, nil, nil
}

type v2Msg struct {
	Channel string          `json:"channel"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
	Method  string          `json:"method"`
	Success *bool           `json:"success"`
	Error   string          `json:"error"`
	Symbol  string          `json:"symbol"`
	ReqID   int64           `json:"req_id"`
	Result  *struct {
		Channel string `json:"channel"`
		Symbol  string `json:"symbol"`
	} `json:"result"`
	// v1 events
	Event        string `json:"event"`
	Status       string `json:"status"`
	ErrorMessage string `json:"errorMessage"`
	Pair         string `json:"pair"`
	V1ReqID      int64  `json:"reqid"`
	Subscription *struct {
		Name string `json:"name"`
	} `json:"subscription"`
}

func decodeV1Event(m *v2Msg) ([]feeds.Event, *ack, error) {
	switch m.Event {
	case "subscriptionStatus":
		if m.Status != "subscribed" && m.Status != "error" {
			return nil, nil, nil // unsubscribed
		}
		what := m.Pair
		if m.Subscription != nil {
			what = m.Subscription.Name + " " + m.Pair
		}
		return nil, &ack{reqID: m.V1ReqID, success: m.Status == "subscribed", err: m.ErrorMessage, what: what}, nil
	case "error":
		return nil, nil, fmt.Errorf("kraken: %s", m.ErrorMessage)
	}
	return nil, nil, nil // heartbeat, systemStatus, pong
}

func rfc3339ns(s, what string) (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%s %q: %w", what, s, err)
	}
	return t.UnixNano(), nil
}

func need(name string, p *float64) (float64, error) {
	if p == nil {
		return 0, fmt.Errorf("no %s", name)
	}
	return *p, nil
}

type v2Trade struct {
	Symbol    string   `json:"symbol"`
	Side      string   `json:"side"`
	Price     *float64 `json:"price"`
	Qty       *float64 `json:"qty"`
	TradeID   int64    `json:"trade_id"`
	Timestamp string   `json:"timestamp"`
}

func decodeV2Trades(data json.RawMessage, recv int64, evs []feeds.Event) ([]feeds.Event, error) {
	var rows []v2Trade
	if err := json.Unmarshal(data, &rows); err != nil {
		return evs, fmt.Errorf("data: %w", err)
	}
	for i, r := range rows {
		tr := feeds.Trade{FQME: SymbolFQME(r.Symbol), ID: r.TradeID, Recv: recv}
		var err error
		if r.Symbol == "" {
			err = errors.New("no symbol")
		}
		if err == nil {
			tr.Price, err = need("price", r.Price)
		}
		if err == nil {
			tr.Size, err = need("qty", r.Qty)
		}
		if err == nil {
			tr.Time, err = rfc3339ns(r.Timestamp, "timestamp")
		}
		if err == nil {
			switch r.Side {
			case "buy":
				tr.Side = feeds.Buy
			case "sell":
				tr.Side = feeds.Sell
			default:
				err = fmt.Errorf("side %q is neither buy nor sell", r.Side)
			}
		}
		if err != nil {
			return evs, fmt.Errorf("data[%d]: %w", i, err)
		}
		evs = append(evs, feeds.Event{Kind: feeds.KindTrade, Trade: tr})
	}
	return evs, nil
}

type v2Ticker struct {
	Symbol    string   `json:"symbol"`
	Bid       *float64 `json:"bid"`
	BidQty    *float64 `json:"bid_qty"`
	Ask       *float64 `json:"ask"`
	AskQty    *float64 `json:"ask_qty"`
	Timestamp string   `json:"timestamp"`
}

func decodeV2Ticker(data json.RawMessage, recv int64, evs []feeds.Event) ([]feeds.Event, error) {
	var rows []v2Ticker
	if err := json.Unmarshal(data, &rows); err != nil {
		return evs, fmt.Errorf("data: %w", err)
	}
	for i, r := range rows {
		q := feeds.Quote{FQME: SymbolFQME(r.Symbol), Time: recv, Recv: recv}
		var err error
		if r.Symbol == "" {
			err = errors.New("no symbol")
		}
		if err == nil {
			q.Bid, err = need("bid", r.Bid)
		}
		if err == nil {
			q.Ask, err = need("ask", r.Ask)
		}
		if err == nil && r.Timestamp != "" {
			q.Time, err = rfc3339ns(r.Timestamp, "timestamp")
		}
		if err != nil {
			return evs, fmt.Errorf("data[%d]: %w", i, err)
		}
		if r.BidQty != nil {
			q.BidSize = *r.BidQty
		}
		if r.AskQty != nil {
			q.AskSize = *r.AskQty
		}
		evs = append(evs, feeds.Event{Kind: feeds.KindQuote, Quote: q})
	}
	return evs, nil
}

type v2OHLC struct {
	Symbol        string   `json:"symbol"`
	Open          *float64 `json:"open"`
	High          *float64 `json:"high"`
	Low           *float64 `json:"low"`
	Close         *float64 `json:"close"`
	Volume        *float64 `json:"volume"`
	IntervalBegin string   `json:"interval_begin"`
	Interval      int64    `json:"interval"`
}

func decodeV2OHLC(data json.RawMessage, recv int64, evs []feeds.Event) ([]feeds.Event, error) {
	var rows []v2OHLC
	if err := json.Unmarshal(data, &rows); err != nil {
		return evs, fmt.Errorf("data: %w", err)
	}
	for i, r := range rows {
		var b frames.Bar
		var err error
		if r.Symbol == "" {
			err = errors.New("no symbol")
		}
		if err == nil && r.Interval <= 0 {
			err = fmt.Errorf("interval %d", r.Interval)
		}
		for _, f := range []struct {
			name string
			p    *float64
			dst  *float64
		}{{"open", r.Open, &b.Open}, {"high", r.High, &b.High}, {"low", r.Low, &b.Low}, {"close", r.Close, &b.Close}, {"volume", r.Volume, &b.Volume}} {
			if err == nil {
				*f.dst, err = need(f.name, f.p)
			}
		}
		var begin int64
		if err == nil {
			begin, err = rfc3339ns(r.IntervalBegin, "interval_begin")
		}
		if err != nil {
			return evs, fmt.Errorf("data[%d]: %w", i, err)
		}
		period := r.Interval * 60
		b.Time = begin / 1e9
		evs = append(evs, feeds.Event{Kind: feeds.KindBar, Bar: feeds.BarEvent{
			Time: (b.Time + period) * 1e9, FQME: SymbolFQME(r.Symbol), Period: period, Bar: b,
			Index: -1, Forming: true, Recv: recv,
		}})
	}
	return evs, nil
}

// decodeV1Array decodes [channelID, payload, name, pair] (trade, ticker,
// spread, ohlc-N); other channels (book) give nothing.
func decodeV1Array(msg []byte, recv int64, evs []feeds.Event) ([]feeds.Event, error) {
	var arr []json.RawMessage
	if err := json.Unmarshal(msg, &arr); err != nil {
		return evs, fmt.Errorf("v1 array: %w: %.80q", err, msg)
	}
	if len(arr) < 4 {
		return evs, fmt.Errorf("v1 array of %d elements, want 4", len(arr))
	}
	var name, pair string
	if err := json.Unmarshal(arr[len(arr)-2], &name); err != nil {
		return evs, fmt.Errorf("v1 channel name: %w", err)
	}
	if err := json.Unmarshal(arr[len(arr)-1], &pair); err != nil {
		return evs, fmt.Errorf("v1 %s pair: %w", name, err)
	}
	fqme := SymbolFQME(pair)
	payload := arr[1]
	switch {
	case name == "trade":
		var rows [][]json.RawMessage
		if err := json.Unmarshal(payload, &rows); err != nil {
			return evs, fmt.Errorf("v1 trade %s: %w", pair, err)
		}
		for i, r := range rows {
			tr, err := tradeRow(r, fqme)
			if err != nil {
				return evs, fmt.Errorf("v1 trade %s row %d %w", pair, i, err)
			}
			tr.Recv = recv
			evs = append(evs, feeds.Event{Kind: feeds.KindTrade, Trade: tr})
		}
	case name == "ticker":
		var t struct{ A, B []json.RawMessage }
		if err := json.Unmarshal(payload, &t); err != nil {
			return evs, fmt.Errorf("v1 ticker %s: %w", pair, err)
		}
		if len(t.A) < 3 || len(t.B) < 3 {
			return evs, fmt.Errorf("v1 ticker %s: a and b need 3 fields", pair)
		}
		q := feeds.Quote{Time: recv, FQME: fqme, Recv: recv}
		var err error
		for _, f := range []struct {
			name string
			raw  json.RawMessage
			dst  *float64
		}{{"b price", t.B[0], &q.Bid}, {"b lot volume", t.B[2], &q.BidSize}, {"a price", t.A[0], &q.Ask}, {"a lot volume", t.A[2], &q.AskSize}} {
			if *f.dst, err = floatField(f.raw); err != nil {
				return evs, fmt.Errorf("v1 ticker %s field %s: %w", pair, f.name, err)
			}
		}
		evs = append(evs, feeds.Event{Kind: feeds.KindQuote, Quote: q})
	case name == "spread":
		var r []json.RawMessage
		if err := json.Unmarshal(payload, &r); err != nil || len(r) < 5 {
			return evs, fmt.Errorf("v1 spread %s: want [bid, ask, time, bidVolume, askVolume]", pair)
		}
		q := feeds.Quote{FQME: fqme, Recv: recv}
		var err error
		for _, f := range []struct {
			name string
			raw  json.RawMessage
			dst  *float64
		}{{"bid", r[0], &q.Bid}, {"ask", r[1], &q.Ask}, {"bidVolume", r[3], &q.BidSize}, {"askVolume", r[4], &q.AskSize}} {
			if *f.dst, err = floatField(f.raw); err != nil {
				return evs, fmt.Errorf("v1 spread %s field %s: %w", pair, f.name, err)
			}
		}
		ts, err := field(r[2])
		if err == nil {
			q.Time, err = nsFromDecimal(ts)
		}
		if err != nil {
			return evs, fmt.Errorf("v1 spread %s field time: %w", pair, err)
		}
		evs = append(evs, feeds.Event{Kind: feeds.KindQuote, Quote: q})
	case strings.HasPrefix(name, "ohlc-"):
		iv, err := strconv.ParseInt(strings.TrimPrefix(name, "ohlc-"), 10, 64)
		if err != nil || iv <= 0 {
			return evs, fmt.Errorf("v1 channel %q: bad interval", name)
		}
		var r []json.RawMessage
		if err := json.Unmarshal(payload, &r); err != nil || len(r) < 8 {
			return evs, fmt.Errorf("v1 %s %s: want [time, etime, open, high, low, close, vwap, volume, count]", name, pair)
		}
		names := [...]string{"time", "etime", "open", "high", "low", "close", "vwap", "volume"}
		var x [8]float64
		for j := 2; j < 8; j++ {
			if x[j], err = floatField(r[j]); err != nil {
				return evs, fmt.Errorf("v1 %s %s field %s: %w", name, pair, names[j], err)
			}
		}
		es, err := field(r[1])
		var etime int64
		if err == nil {
			etime, err = nsFromDecimal(es)
		}
		if err != nil {
			return evs, fmt.Errorf("v1 %s %s field etime: %w", name, pair, err)
		}
		period := iv * 60
		evs = append(evs, feeds.Event{Kind: feeds.KindBar, Bar: feeds.BarEvent{
			Time: etime, FQME: fqme, Period: period,
			Bar:   frames.Bar{Time: etime/1e9 - period, Open: x[2], High: x[3], Low: x[4], Close: x[5], Volume: x[7]},
			Index: -1, Forming: true, Recv: recv,
		}})
	}
	return evs, nil
}
