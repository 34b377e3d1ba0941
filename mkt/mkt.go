// Package mkt describes tradable markets: assets, market pairs, their fully
// qualified market endpoint names (fqme) and their price and size ticks.
//
// An fqme follows piker's layout: the dot-joined, lower-cased, non-empty tokens
// key, venue, suffix and broker, where key is the pair (dst then src, e.g.
// "btcusdt") and suffix is a contract's expiry ("20230616") or kind ("perp"):
//
//	btcusdt.binance              key, broker
//	btcusdt.spot.binance         key, venue, broker
//	mnq.cme.20230616.ib          key, venue, expiry, broker
//	btcusdt.usdtm.perp.binance   key, venue, suffix, broker
//
// Prices and sizes are decimals. A zero tick means "no constraint". Unlike
// piker, quantizing rounds to a multiple of the tick itself (so ticks such as
// 0.25 work) and a tick of 1 quantizes to whole numbers (piker keeps one
// decimal there).
package mkt

import (
	"fmt"
	"math"
	"strings"

	"github.com/shopspring/decimal"
)

// Asset types used by piker's backends; AType holds one of these or another
// backend-specific string.
const (
	Stock           = "stock"
	Bond            = "bond"
	Crypto          = "crypto"
	CryptoCurrency  = "crypto_currency"
	Fiat            = "fiat"
	Commodity       = "commodity"
	Swap            = "swap"
	Future          = "future"
	ContinuousFut   = "continuous_future"
	Option          = "option"
	FuturesOption   = "futures_option"
	PerpetualFuture = "perpetual_future"
	CryptoFuture    = "crypto_future"
	Unknown         = "unknown"
)

// Asset is something held or transferred: a coin, a currency, a share, a contract.
type Asset struct {
	Name   string          // e.g. "btc"
	AType  string          // asset type, e.g. "crypto_currency"; "" reads as "unknown"
	TxTick decimal.Decimal // smallest transferable amount
}

// String returns the asset's name.
func (a Asset) String() string { return a.Name }

// MktPair is a market where Dst is bought and sold for Src at a venue of a broker.
type MktPair struct {
	Dst       Asset  // what is bought (for futures and stocks, the contract)
	Src       Asset  // what is paid with; Name "" when unknown or implied
	Venue     string // exchange or sub-market, e.g. "spot", "usdtm", "cme"
	Expiry    string // expiry date or contract kind, e.g. "20230616", "perp"; "" for none
	Broker    string // e.g. "binance", "ib", "paper"
	BSMktID   string // the broker's own market id; "" when unknown
	PriceTick decimal.Decimal
	SizeTick  decimal.Decimal
	// MinNotional is the smallest order value (price × size, in Src) the
	// venue accepts; zero means no constraint.
	MinNotional decimal.Decimal
}

// Pair returns lower-cased dst and src names joined by delim, skipping empty names.
func (m MktPair) Pair(delim string) string {
	parts := make([]string, 0, 2)
	for _, s := range []string{m.Dst.Name, m.Src.Name} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.ToLower(strings.Join(parts, delim))
}

// FQME returns the fully qualified market endpoint name, e.g. "btcusdt.spot.binance".
func (m MktPair) FQME() string {
	return joinTokens(m.Pair(""), m.Venue, m.Expiry, m.Broker)
}

// BSFQME returns the fqme without its broker token, e.g. "btcusdt.spot".
func (m MktPair) BSFQME() string {
	return joinTokens(m.Pair(""), m.Venue, m.Expiry)
}

// String returns the fqme.
func (m MktPair) String() string { return m.FQME() }

// TypeKey returns the dst asset type, or "unknown".
func (m MktPair) TypeKey() string {
	if m.Dst.AType == "" {
		return Unknown
	}
	return m.Dst.AType
}

func joinTokens(tokens ...string) string {
	parts := make([]string, 0, len(tokens))
	for _, t := range tokens {
		if t != "" {
			parts = append(parts, t)
		}
	}
	return strings.ToLower(strings.Join(parts, "."))
}

// FQMEError reports an fqme that cannot be parsed.
type FQMEError struct {
	FQME   string
	Reason string
}

func (e *FQMEError) Error() string { return fmt.Sprintf("invalid fqme %q: %s", e.FQME, e.Reason) }

// Unpack splits an fqme into broker, market endpoint key, venue and suffix
// with piker's rules (unpack_fqme):
//
//	2 tokens  key.broker                → broker given by the fqme
//	3 tokens  key.venue.broker          → unless broker is non-empty and differs
//	          from the third token: then key.venue.suffix of that broker
//	4 tokens  key.venue.suffix.broker
//
// One token, five or more, or an empty token is an error. Case is kept.
func Unpack(fqme, broker string) (brk, key, venue, suffix string, err error) {
	if strings.TrimSpace(fqme) != fqme || strings.ContainsAny(fqme, " \t\r\n") {
		return "", "", "", "", &FQMEError{fqme, "contains white space"}
	}
	tok := strings.Split(fqme, ".")
	for i, t := range tok {
		if t == "" && len(tok) > 1 {
			return "", "", "", "", &FQMEError{fqme, fmt.Sprintf("token %d is empty", i+1)}
		}
	}
	switch len(tok) {
	case 2:
		return tok[1], tok[0], "", "", nil
	case 3:
		if broker != "" && tok[2] != broker {
			return broker, tok[0], tok[1], tok[2], nil
		}
		return tok[2], tok[0], tok[1], "", nil
	case 4:
		return tok[3], tok[0], tok[1], tok[2], nil
	case 1:
		return "", "", "", "", &FQMEError{fqme, "no broker: want key[.venue[.suffix]].broker"}
	default:
		return "", "", "", "", &FQMEError{fqme, fmt.Sprintf("%d tokens, want 2 to 4", len(tok))}
	}
}

// ParseFQME parses an fqme into a market with zero ticks. The key becomes the
// dst asset (as piker's from_fqme does, the src cannot be told apart from the
// key), so ParseFQME(s).FQME() is s lower-cased.
func ParseFQME(fqme string) (MktPair, error) {
	return ParseFQMEBroker(fqme, "")
}

// ParseFQMEBroker is ParseFQME for an fqme that may lack its broker token
// ("mnq.cme.20230616" with broker "ib").
func ParseFQMEBroker(fqme, broker string) (MktPair, error) {
	brk, key, venue, suffix, err := Unpack(fqme, broker)
	if err != nil {
		return MktPair{}, err
	}
	return MktPair{
		Dst:    Asset{Name: strings.ToLower(key), AType: Unknown},
		Venue:  strings.ToLower(venue),
		Expiry: strings.ToLower(suffix),
		Broker: strings.ToLower(brk),
	}, nil
}

// TickError reports a price or size that is not a multiple of its tick.
type TickError struct {
	What  string // "price" or "size"
	Value decimal.Decimal
	Tick  decimal.Decimal
}

func (e *TickError) Error() string {
	return fmt.Sprintf("%s %s is not a multiple of the %s tick %s", e.What, e.Value, e.What, e.Tick)
}

func check(what string, v, tick decimal.Decimal) error {
	if tick.Sign() <= 0 || v.Mod(tick).IsZero() {
		return nil
	}
	return &TickError{What: what, Value: v, Tick: tick}
}

// CheckPrice returns a *TickError when p is off the price tick.
func (m MktPair) CheckPrice(p decimal.Decimal) error { return check("price", p, m.PriceTick) }

// CheckSize returns a *TickError when s is off the size tick.
func (m MktPair) CheckSize(s decimal.Decimal) error { return check("size", s, m.SizeTick) }

// Quantize rounds v to the nearest multiple of tick, halves to even; a zero
// (or negative) tick leaves v unchanged.
func Quantize(v, tick decimal.Decimal) decimal.Decimal {
	if tick.Sign() <= 0 {
		return v
	}
	// QuoRem keeps the quotient exact (Div would round it to 16 decimals).
	q, r := v.QuoRem(tick, 0)
	twice := r.Abs().Mul(decimal.NewFromInt(2))
	if c := twice.Cmp(tick); c > 0 || (c == 0 && q.IntPart()%2 != 0) {
		q = q.Add(decimal.NewFromInt(int64(v.Sign())))
	}
	return q.Mul(tick)
}

// QuantizeFloat rounds a float to the nearest multiple of tick as piker's
// quantize does: the float's exact binary value is rounded, halves to even,
// so 0.12345 (stored a hair above) gives 0.1235 at tick 0.0001 and 2.5
// gives 2 at tick 1. NaN and infinities give zero.
func QuantizeFloat(x float64, tick decimal.Decimal) decimal.Decimal {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return decimal.Zero
	}
	// -1074 is the exponent of the smallest float64, so the conversion is exact.
	return Quantize(decimal.NewFromFloatWithExponent(x, -1074), tick)
}

// QuantizePrice rounds p to the price tick.
func (m MktPair) QuantizePrice(p decimal.Decimal) decimal.Decimal { return Quantize(p, m.PriceTick) }

// QuantizeSize rounds s to the size tick.
func (m MktPair) QuantizeSize(s decimal.Decimal) decimal.Decimal { return Quantize(s, m.SizeTick) }

// DecDigits returns the number of decimals of a tick as written: "0.01" → 2,
// "1e-8" → 8, "0.010" → 3, "100" → 0, 0 → 0.
func DecDigits(tick decimal.Decimal) int32 {
	if tick.IsZero() || tick.Exponent() >= 0 {
		return 0
	}
	return -tick.Exponent()
}

// DigitsToDec returns the tick with n decimals: 3 → 0.001, 0 → 0.
func DigitsToDec(n int32) decimal.Decimal {
	if n <= 0 {
		return decimal.Zero
	}
	return decimal.New(1, -n)
}
