package binance

import (
	"bytes"
	"strconv"

	"workbench/feeds"
)

// Trades are most of a busy feed's messages, so they have a fast path: a
// scanner for the one shape Binance sends them in — a flat object, or a
// {"stream","data"} envelope around one — that validates the JSON it
// reads. Whatever it does not recognise (nesting, escapes, other events,
// broken input) falls back to the fastjson path, which alone reports
// errors: the fast path never changes an outcome, only its cost.

// tradeSpans are the fields of a trade payload, as spans of the message.
type tradeSpans struct {
	e, s, p, q, t, a, T []byte
	m, hasM             bool
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// scanString reads a string without escapes starting at b[i] == '"' and
// returns its contents and the index after it.
func scanString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	n := bytes.IndexByte(b[i+1:], '"')
	if n < 0 {
		return nil, 0, false
	}
	s := b[i+1 : i+1+n]
	// Control characters are let through as the general path (fastjson)
	// lets them through; an escape goes there to be unescaped.
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, 0, false
	}
	return s, i + n + 2, true
}

// scanNumber reads a JSON number at b[i].
func scanNumber(b []byte, i int) ([]byte, int, bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	d := j
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == d || (b[d] == '0' && j-d > 1) {
		return nil, 0, false
	}
	if j < len(b) && b[j] == '.' {
		j++
		f := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == f {
			return nil, 0, false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		x := j
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == x {
			return nil, 0, false
		}
	}
	return b[i:j], j, true
}

func hasPrefixAt(b []byte, i int, lit string) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit
}

// scanFlat reads a flat object at b[i] (scalar values only), keeping the
// trade fields, and returns the index after it.
func scanFlat(b []byte, i int, f *tradeSpans) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		key, j, ok := scanString(b, i)
		if !ok {
			return 0, false
		}
		j = skipSpace(b, j)
		if j >= len(b) || b[j] != ':' {
			return 0, false
		}
		j = skipSpace(b, j+1)
		if j >= len(b) {
			return 0, false
		}
		var val []byte
		isStr, isBool, bv := false, false, false
		switch c := b[j]; {
		case c == '"':
			val, j, ok = scanString(b, j)
			isStr = true
		case c == 't' && hasPrefixAt(b, j, "true"):
			j, isBool, bv, ok = j+4, true, true, true
		case c == 'f' && hasPrefixAt(b, j, "false"):
			j, isBool, ok = j+5, true, true
		case c == 'n' && hasPrefixAt(b, j, "null"):
			j, ok = j+4, true
		default:
			val, j, ok = scanNumber(b, j)
		}
		if !ok {
			return 0, false
		}
		if len(key) == 1 {
			switch key[0] {
			case 'e':
				f.e, ok = val, isStr
			case 's':
				f.s, ok = val, isStr
			case 'p':
				f.p, ok = val, isStr
			case 'q':
				f.q, ok = val, isStr
			case 't':
				f.t = val
			case 'a':
				f.a = val
			case 'T':
				f.T = val
			case 'm':
				f.m, f.hasM, ok = bv, isBool, isBool
			}
			if !ok {
				return 0, false
			}
		}
		j = skipSpace(b, j)
		if j >= len(b) {
			return 0, false
		}
		switch b[j] {
		case ',':
			i = skipSpace(b, j+1)
		case '}':
			return j + 1, true
		default:
			return 0, false
		}
	}
}

// fastTrade decodes msg if it is a trade or aggTrade in Binance's usual
// shape; false leaves msg to the general path.
func (d *Decoder) fastTrade(msg []byte, recv int64, ev *feeds.Event) bool {
	var f tradeSpans
	i := skipSpace(msg, 0)
	if j, ok := envelopeData(msg, i); ok {
		if j, ok = scanFlat(msg, j, &f); !ok {
			return false
		}
		j = skipSpace(msg, j)
		if j >= len(msg) || msg[j] != '}' {
			return false
		}
		i = j + 1
	} else {
		if i, ok = scanFlat(msg, i, &f); !ok {
			return false
		}
	}
	if skipSpace(msg, i) != len(msg) {
		return false
	}
	var idSpan []byte
	switch b2s(f.e) {
	case "trade":
		idSpan = f.t
	case "aggTrade":
		idSpan = f.a
	default:
		return false
	}
	if len(f.s) == 0 || idSpan == nil || f.T == nil || f.p == nil || f.q == nil || !f.hasM {
		return false
	}
	id, err := strconv.ParseInt(b2s(idSpan), 10, 64)
	if err != nil {
		return false
	}
	ms, err := strconv.ParseInt(b2s(f.T), 10, 64)
	if err != nil {
		return false
	}
	price, err := strconv.ParseFloat(b2s(f.p), 64)
	if err != nil {
		return false
	}
	size, err := strconv.ParseFloat(b2s(f.q), 64)
	if err != nil {
		return false
	}
	side := feeds.Buy
	if f.m {
		side = feeds.Sell
	}
	ev.Kind = feeds.KindTrade
	ev.Trade = feeds.Trade{Time: ms * 1e6, FQME: d.fqme(f.s), Price: price, Size: size, Side: side, ID: id, Recv: recv}
	return true
}

// envelopeData reads the head of {"stream":"<name>","data": at b[i] and
// returns where the payload starts; ok is false when b is no envelope or
// names a stream other than a trade stream (quotes and klines go straight
// to the general path).
func envelopeData(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	key, j, ok := scanString(b, skipSpace(b, i+1))
	if !ok || string(key) != "stream" {
		return 0, false
	}
	if j = skipSpace(b, j); j >= len(b) || b[j] != ':' {
		return 0, false
	}
	name, j, ok := scanString(b, skipSpace(b, j+1))
	if !ok || !(bytes.HasSuffix(name, []byte("@aggTrade")) || bytes.HasSuffix(name, []byte("@trade"))) {
		return 0, false
	}
	if j = skipSpace(b, j); j >= len(b) || b[j] != ',' {
		return 0, false
	}
	key, j, ok = scanString(b, skipSpace(b, j+1))
	if !ok || string(key) != "data" {
		return 0, false
	}
	if j = skipSpace(b, j); j >= len(b) || b[j] != ':' {
		return 0, false
	}
	return skipSpace(b, j+1), true
}
