package mkt

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// The unpack_fqme table of piker-notes §7.3.
func TestUnpack(t *testing.T) {
	cases := []struct {
		fqme, broker                 string
		brk, key, venue, suffix, err string
	}{
		{"btcusdt.binance", "", "binance", "btcusdt", "", "", ""},
		{"btcusdt.binance", "kraken", "binance", "btcusdt", "", "", ""}, // broker ignored for 2 tokens
		{"btcusdt.spot.binance", "", "binance", "btcusdt", "spot", "", ""},
		{"mnq.cme.20230616.ib", "", "ib", "mnq", "cme", "20230616", ""},
		{"btcusdt.usdtm.perp.binance", "", "binance", "btcusdt", "usdtm", "perp", ""},
		{"mnq.cme.20230616", "ib", "ib", "mnq", "cme", "20230616", ""},
		{"xbtusd.spot.kraken", "kraken", "kraken", "xbtusd", "spot", "", ""},
		{"BTCUSDT.Spot.binance", "", "binance", "BTCUSDT", "Spot", "", ""}, // case kept
		{"btcusdt", "", "", "", "", "", `invalid fqme "btcusdt": no broker: want key[.venue[.suffix]].broker`},
		{"a.b.c.d.e", "", "", "", "", "", `invalid fqme "a.b.c.d.e": 5 tokens, want 2 to 4`},
		{"btcusdt..binance", "", "", "", "", "", `invalid fqme "btcusdt..binance": token 2 is empty`},
		{"btc usdt.binance", "", "", "", "", "", `invalid fqme "btc usdt.binance": contains white space`},
		{"", "", "", "", "", "", `invalid fqme "": no broker: want key[.venue[.suffix]].broker`},
	}
	for _, c := range cases {
		brk, key, venue, suffix, err := Unpack(c.fqme, c.broker)
		if c.err != "" {
			var fe *FQMEError
			if err == nil || err.Error() != c.err || !errors.As(err, &fe) {
				t.Errorf("Unpack(%q, %q) error = %v, want %s", c.fqme, c.broker, err, c.err)
			}
			continue
		}
		if err != nil || brk != c.brk || key != c.key || venue != c.venue || suffix != c.suffix {
			t.Errorf("Unpack(%q, %q) = %q %q %q %q %v, want %q %q %q %q", c.fqme, c.broker,
				brk, key, venue, suffix, err, c.brk, c.key, c.venue, c.suffix)
		}
	}
}

func TestFQME(t *testing.T) {
	m := MktPair{Dst: Asset{Name: "btc", AType: CryptoCurrency}, Src: Asset{Name: "usdt"},
		Venue: "usdtm", Expiry: "perp", Broker: "binance"}
	if got := m.FQME(); got != "btcusdt.usdtm.perp.binance" {
		t.Errorf("FQME = %q", got)
	}
	if got := m.BSFQME(); got != "btcusdt.usdtm.perp" {
		t.Errorf("BSFQME = %q", got)
	}
	if got := m.Pair("/"); got != "btc/usdt" {
		t.Errorf("Pair = %q", got)
	}
	for _, s := range []string{"btcusdt.spot.binance", "mnq.cme.20230616.ib", "btcusdt.usdtm.perp.binance",
		"xbtusdt.spot.kraken", "btcusdt.kucoin", "tsla.nasdaq.ib"} {
		p, err := ParseFQME(s)
		if err != nil || p.FQME() != s {
			t.Errorf("ParseFQME(%q).FQME() = %q, %v", s, p.FQME(), err)
		}
	}
	p, err := ParseFQME("TSLA.NASDAQ.ib")
	if err != nil || p.FQME() != "tsla.nasdaq.ib" || p.TypeKey() != Unknown {
		t.Errorf("upper-case fqme: %+v %v", p, err)
	}
	p, err = ParseFQMEBroker("mnq.cme.20230616", "ib")
	if err != nil || p.FQME() != "mnq.cme.20230616.ib" || p.Expiry != "20230616" {
		t.Errorf("ParseFQMEBroker: %+v %v", p, err)
	}
}

func TestQuantize(t *testing.T) {
	cases := []struct{ v, tick, want string }{
		{"0.123456", "0.001", "0.123"},
		{"0.12345", "0.0001", "0.1234"}, // exact decimal half: to even (piker's float path gives 0.1235)
		{"0.12355", "0.0001", "0.1236"},
		{"2.5", "1", "2"}, // piker: 2.5
		{"3.5", "1", "4"},
		{"101.13", "0.25", "101.25"},
		{"101.12", "0.25", "101"},
		{"-0.0015", "0.001", "-0.002"},
		{"7.77", "0", "7.77"},
	}
	for _, c := range cases {
		if got := Quantize(d(c.v), d(c.tick)); !got.Equal(d(c.want)) {
			t.Errorf("Quantize(%s, %s) = %s, want %s", c.v, c.tick, got, c.want)
		}
	}
	m := MktPair{PriceTick: d("0.01"), SizeTick: d("0.001")}
	if got := m.QuantizePrice(d("100.005")); !got.Equal(d("100")) {
		t.Errorf("QuantizePrice = %s", got)
	}
	if got := m.QuantizeSize(d("1.0006")); !got.Equal(d("1.001")) {
		t.Errorf("QuantizeSize = %s", got)
	}
}

func TestCheck(t *testing.T) {
	m := MktPair{PriceTick: d("0.25"), SizeTick: d("0.001")}
	if err := m.CheckPrice(d("100.75")); err != nil {
		t.Error(err)
	}
	err := m.CheckPrice(d("100.1"))
	var te *TickError
	if !errors.As(err, &te) || err.Error() != "price 100.1 is not a multiple of the price tick 0.25" {
		t.Errorf("CheckPrice(100.1) = %v", err)
	}
	if err := m.CheckSize(d("-0.123")); err != nil {
		t.Error(err)
	}
	if err := m.CheckSize(d("0.0005")); err == nil || err.Error() != "size 0.0005 is not a multiple of the size tick 0.001" {
		t.Errorf("CheckSize(0.0005) = %v", err)
	}
	var free MktPair
	if free.CheckPrice(d("1.23456789")) != nil || free.CheckSize(d("0.000001")) != nil {
		t.Error("zero ticks must not constrain")
	}
}

func TestDigits(t *testing.T) {
	for s, want := range map[string]int32{"0.01": 2, "1e-8": 8, "0.010": 3, "100": 0, "0": 0, "1": 0} {
		if got := DecDigits(d(s)); got != want {
			t.Errorf("DecDigits(%s) = %d, want %d", s, got, want)
		}
	}
	if got := DigitsToDec(3); !got.Equal(d("0.001")) {
		t.Errorf("DigitsToDec(3) = %s", got)
	}
	if got := DigitsToDec(0); !got.IsZero() {
		t.Errorf("DigitsToDec(0) = %s", got)
	}
}

// piker-notes §7 test case 3 with piker's float input: the float's binary
// value decides (0.12345 is stored above the half), exact halves go to even.
func TestQuantizeFloat(t *testing.T) {
	cases := []struct {
		x          float64
		tick, want string
	}{
		{0.123456, "0.001", "0.123"},
		{0.12345, "0.0001", "0.1235"},
		{2.5, "1", "2"},
		{3.5, "1", "4"},
		{-2.5, "1", "-2"},
		{28374.85, "0.01", "28374.85"},
		{1e-300, "0.01", "0"},
	}
	for _, c := range cases {
		if got := QuantizeFloat(c.x, d(c.tick)); !got.Equal(d(c.want)) {
			t.Errorf("QuantizeFloat(%v, %s) = %s, want %s", c.x, c.tick, got, c.want)
		}
	}
}

// Quantize checked against its definition on random values: the result is
// a whole number of ticks, no further than half a tick from the value, and
// on an exact half the even multiple.
func TestQuantizeDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ticks := []decimal.Decimal{d("0.01"), d("0.25"), d("0.001"), d("5"), d("0.00001")}
	half := d("0.5")
	for range 20000 {
		tick := ticks[r.IntN(len(ticks))]
		// Values on a grid 100 times finer than the tick hit exact halves often.
		v := decimal.NewFromInt(r.Int64N(2_000_000) - 1_000_000).Mul(tick).Div(decimal.NewFromInt(100))
		q := Quantize(v, tick)
		k := q.Div(tick)
		if !k.IsInteger() {
			t.Fatalf("Quantize(%s, %s) = %s, not a multiple of the tick", v, tick, q)
		}
		dist := v.Sub(q).Abs().Div(tick)
		if dist.GreaterThan(half) {
			t.Fatalf("Quantize(%s, %s) = %s, %s ticks away", v, tick, q, dist)
		}
		if dist.Equal(half) && !k.Mod(decimal.NewFromInt(2)).IsZero() {
			t.Fatalf("Quantize(%s, %s) = %s: an exact half went to the odd multiple", v, tick, q)
		}
	}
}
