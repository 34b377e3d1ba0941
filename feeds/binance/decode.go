package binance

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	"github.com/valyala/fastjson"

	"workbench/feeds"
	"workbench/frames"
)

// MsgKind is what a websocket message turned out to be.
type MsgKind uint8

// Message kinds.
const (
	// MsgIgnored: a well-formed message of a stream we do not use
	// (depthUpdate, 24hrTicker, …).
	MsgIgnored MsgKind = iota
	MsgTrade
	MsgQuote
	MsgBar
	// MsgAck: the reply to a SUBSCRIBE/UNSUBSCRIBE request (AckID set;
	// AckErr set when Binance refused it).
	MsgAck
)

// Decoded is the outcome of Decoder.Decode besides the event.
type Decoded struct {
	Kind   MsgKind
	AckID  int64
	AckErr error
}

// Decoder turns Binance websocket messages (combined-stream
// {"stream","data"} envelopes or raw payloads) into feeds events. It keeps
// one fastjson parser and reuses it, and trades take a scanner of their
// own (fasttrade.go), so decoding a trade allocates nothing.
// Not safe for concurrent use.
type Decoder struct {
	p     fastjson.Parser
	fqmes map[string]string // SYMBOL → fqme, so trades allocate no name
}

// NewDecoder returns a decoder. Events name markets by our canonical fqme
// of the message's symbol (BTCUSDT → btcusdt.spot.binance).
func NewDecoder() *Decoder {
	return &Decoder{fqmes: map[string]string{}}
}

// APIError is an error Binance answered with: a REST 4xx body or a refused
// websocket request.
type APIError struct {
	Code int64
	Msg  string
}

func (e *APIError) Error() string { return fmt.Sprintf("binance error %d: %s", e.Code, e.Msg) }

// errMalformed wraps every decoding failure.
var errMalformed = errors.New("malformed binance message")

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, a...))
}

// b2s views b as a string without copying; the string must not outlive
// the parser's next call.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Decode decodes msg, received at recv (epoch ns), into ev. A trade, quote
// or bar sets ev's Kind and payload; an ack or an ignored message leaves
// ev alone. A malformed message returns an error wrapping the cause.
func (d *Decoder) Decode(msg []byte, recv int64, ev *feeds.Event) (Decoded, error) {
	if d.fastTrade(msg, recv, ev) {
		return Decoded{Kind: MsgTrade}, nil
	}
	return d.decodeGeneral(msg, recv, ev)
}

// decodeGeneral is Decode without the trade fast path.
func (d *Decoder) decodeGeneral(msg []byte, recv int64, ev *feeds.Event) (Decoded, error) {
	v, err := d.p.ParseBytes(msg)
	if err != nil {
		return Decoded{}, malformed("%v", err)
	}
	if v.Type() != fastjson.TypeObject {
		return Decoded{}, malformed("not an object")
	}
	data := v.Get("data")
	if data == nil {
		if id := v.Get("id"); id != nil {
			return d.ack(v, id)
		}
		data = v // a raw-stream payload
	}
	if data.Type() != fastjson.TypeObject {
		return Decoded{Kind: MsgIgnored}, nil // e.g. !ticker@arr arrays
	}
	switch e := b2s(data.GetStringBytes("e")); e {
	case "trade":
		return Decoded{Kind: MsgTrade}, d.trade(data, "t", recv, ev)
	case "aggTrade":
		return Decoded{Kind: MsgTrade}, d.trade(data, "a", recv, ev)
	case "kline":
		return Decoded{Kind: MsgBar}, d.kline(data, recv, ev)
	case "bookTicker":
		return Decoded{Kind: MsgQuote}, d.quote(data, recv, ev)
	case "":
		// Spot bookTicker payloads carry no event type.
		if data.Exists("u") && data.Exists("b") && data.Exists("a") {
			return Decoded{Kind: MsgQuote}, d.quote(data, recv, ev)
		}
		return Decoded{}, malformed("no event type")
	}
	return Decoded{Kind: MsgIgnored}, nil
}

func (d *Decoder) ack(v, id *fastjson.Value) (Decoded, error) {
	n, err := id.Int64()
	if err != nil {
		return Decoded{}, malformed("request id: %v", err)
	}
	out := Decoded{Kind: MsgAck, AckID: n}
	if e := v.Get("error"); e != nil {
		out.AckErr = &APIError{Code: e.GetInt64("code"), Msg: string(e.GetStringBytes("msg"))}
	} else if !v.Exists("result") {
		return Decoded{}, malformed("reply %d has neither result nor error", n)
	}
	return out, nil
}

func (d *Decoder) fqme(sym []byte) string {
	if f, ok := d.fqmes[string(sym)]; ok {
		return f
	}
	f := strings.ToLower(string(sym)) + ".spot.binance"
	d.fqmes[string(sym)] = f
	return f
}

// num parses a decimal string field exactly as strconv.ParseFloat does.
func num(o *fastjson.Value, key string) (float64, error) {
	f := o.Get(key)
	if f == nil {
		return 0, malformed("no field %q", key)
	}
	b, err := f.StringBytes()
	if err != nil {
		return 0, malformed("field %q: %v", key, err)
	}
	x, err := strconv.ParseFloat(b2s(b), 64)
	if err != nil {
		return 0, malformed("field %q: %q is not a number", key, b)
	}
	return x, nil
}

func integer(o *fastjson.Value, key string) (int64, error) {
	f := o.Get(key)
	if f == nil {
		return 0, malformed("no field %q", key)
	}
	n, err := f.Int64()
	if err != nil {
		return 0, malformed("field %q: %v", key, err)
	}
	return n, nil
}

func symbol(o *fastjson.Value) ([]byte, error) {
	s := o.GetStringBytes("s")
	if len(s) == 0 {
		return nil, malformed("no symbol")
	}
	return s, nil
}

func (d *Decoder) trade(o *fastjson.Value, idKey string, recv int64, ev *feeds.Event) error {
	sym, err := symbol(o)
	if err != nil {
		return err
	}
	id, err := integer(o, idKey)
	if err != nil {
		return err
	}
	ms, err := integer(o, "T")
	if err != nil {
		return err
	}
	price, err := num(o, "p")
	if err != nil {
		return err
	}
	size, err := num(o, "q")
	if err != nil {
		return err
	}
	m := o.Get("m")
	if m == nil {
		return malformed("no field \"m\"")
	}
	maker, err := m.Bool()
	if err != nil {
		return malformed("field \"m\": %v", err)
	}
	side := feeds.Buy
	if maker {
		// The buyer rested on the book: the seller crossed the spread.
		side = feeds.Sell
	}
	ev.Kind = feeds.KindTrade
	ev.Trade = feeds.Trade{Time: ms * 1e6, FQME: d.fqme(sym), Price: price, Size: size, Side: side, ID: id, Recv: recv}
	return nil
}

func (d *Decoder) quote(o *fastjson.Value, recv int64, ev *feeds.Event) error {
	sym, err := symbol(o)
	if err != nil {
		return err
	}
	var q [4]float64
	for i, k := range [4]string{"b", "B", "a", "A"} {
		if q[i], err = num(o, k); err != nil {
			return err
		}
	}
	t := recv
	if o.Exists("T") {
		ms, err := integer(o, "T")
		if err != nil {
			return err
		}
		t = ms * 1e6
	}
	ev.Kind = feeds.KindQuote
	ev.Quote = feeds.Quote{Time: t, FQME: d.fqme(sym), Bid: q[0], BidSize: q[1], Ask: q[2], AskSize: q[3], Recv: recv}
	return nil
}

func (d *Decoder) kline(o *fastjson.Value, recv int64, ev *feeds.Event) error {
	sym, err := symbol(o)
	if err != nil {
		return err
	}
	k := o.Get("k")
	if k == nil || k.Type() != fastjson.TypeObject {
		return malformed("kline without \"k\"")
	}
	open, err := integer(k, "t")
	if err != nil {
		return err
	}
	last, err := integer(k, "T")
	if err != nil {
		return err
	}
	// Binance's close time is the bar's last millisecond; the period comes
	// from the bar itself, which also covers calendar months (1M).
	if open%1000 != 0 || (last+1)%1000 != 0 || last < open {
		return malformed("kline times %d..%d are not whole seconds", open, last)
	}
	var ohlcv [5]float64
	for i, key := range [5]string{"o", "h", "l", "c", "v"} {
		if ohlcv[i], err = num(k, key); err != nil {
			return err
		}
	}
	x := k.Get("x")
	if x == nil {
		return malformed("kline without \"x\"")
	}
	closed, err := x.Bool()
	if err != nil {
		return malformed("field \"x\": %v", err)
	}
	ev.Kind = feeds.KindBar
	ev.Bar = feeds.BarEvent{
		Time:    (last + 1) * 1e6,
		FQME:    d.fqme(sym),
		Period:  (last + 1 - open) / 1000,
		Bar:     frames.Bar{Time: open / 1000, Open: ohlcv[0], High: ohlcv[1], Low: ohlcv[2], Close: ohlcv[3], Volume: ohlcv[4]},
		Index:   -1,
		Forming: !closed,
		Recv:    recv,
	}
	return nil
}
