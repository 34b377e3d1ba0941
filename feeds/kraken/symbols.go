package kraken

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/mkt"
)

// market is one Kraken pair under all the names its APIs use, all
// derived from its MktPair (so a cached MktPair is enough).
type market struct {
	mp   mkt.MktPair
	rest string // REST pair name (altname), e.g. XBTUSDT
	wsV1 string // websocket v1 pair, e.g. XBT/USDT
	wsV2 string // websocket v2 symbol, e.g. BTC/USDT
}

// OurAsset maps a Kraken asset code to our lower-case name: XBT (and the
// legacy XXBT) is btc, XDG doge; the legacy X/Z prefixes of four-letter
// codes (XETH, ZUSD) are dropped.
func OurAsset(code string) string {
	c := strings.ToUpper(code)
	if len(c) == 4 && (c[0] == 'X' || c[0] == 'Z') {
		switch c[1:] {
		case "XBT", "XDG", "ETH", "LTC", "XRP", "XLM", "XMR", "ZEC", "ETC", "REP", "MLN", "USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF":
			c = c[1:]
		}
	}
	switch c {
	case "XBT":
		c = "BTC"
	case "XDG":
		c = "DOGE"
	}
	return strings.ToLower(c)
}

// KrakenAsset is OurAsset's inverse for websocket names: btc is XBT, doge
// XDG, anything else upper-cased.
func KrakenAsset(ours string) string {
	switch ours {
	case "btc":
		return "XBT"
	case "doge":
		return "XDG"
	}
	return strings.ToUpper(ours)
}

// marketOf names mp in Kraken's APIs: REST by its BSMktID (the altname),
// websocket v1 with Kraken's asset codes, v2 with the common ones.
func marketOf(mp mkt.MktPair) *market {
	return &market{
		mp:   mp,
		rest: mp.BSMktID,
		wsV1: KrakenAsset(mp.Dst.Name) + "/" + KrakenAsset(mp.Src.Name),
		wsV2: strings.ToUpper(mp.Dst.Name) + "/" + strings.ToUpper(mp.Src.Name),
	}
}

// SymbolFQME is the fqme of a websocket pair ("XBT/USD" in v1, "BTC/USD"
// in v2): btcusd.spot.kraken.
func SymbolFQME(sym string) string {
	base, quote, ok := strings.Cut(sym, "/")
	if !ok {
		return strings.ToLower(sym) + ".spot.kraken"
	}
	return OurAsset(base) + OurAsset(quote) + ".spot.kraken"
}

var fiats = map[string]bool{"usd": true, "eur": true, "gbp": true, "jpy": true, "cad": true, "aud": true, "chf": true}

// assetPair is one entry of REST AssetPairs.
type assetPair struct {
	Altname      string `json:"altname"`
	WSName       string `json:"wsname"`
	Base         string `json:"base"`
	Quote        string `json:"quote"`
	PairDecimals int32  `json:"pair_decimals"`
	LotDecimals  int32  `json:"lot_decimals"`
	OrderMin     string `json:"ordermin"`
	CostMin      string `json:"costmin"`
	TickSize     string `json:"tick_size"`
	Status       string `json:"status"`
}

// newMarket turns an AssetPairs entry into a market: price tick from
// tick_size (else 10^-pair_decimals), lot 10^-lot_decimals, min notional
// from costmin.
func newMarket(key string, p assetPair) (mkt.MktPair, error) {
	b, q, ok := strings.Cut(p.WSName, "/")
	if !ok {
		return mkt.MktPair{}, fmt.Errorf("kraken AssetPairs %s: wsname %q is not BASE/QUOTE", key, p.WSName)
	}
	base, quote := OurAsset(b), OurAsset(q)
	tick := mkt.DigitsToDec(p.PairDecimals)
	if p.PairDecimals == 0 {
		tick = decimal.NewFromInt(1)
	}
	if p.TickSize != "" {
		t, err := decimal.NewFromString(p.TickSize)
		if err != nil {
			return mkt.MktPair{}, fmt.Errorf("kraken AssetPairs %s: tick_size %q: %w", key, p.TickSize, err)
		}
		tick = t
	}
	lot := mkt.DigitsToDec(p.LotDecimals)
	if p.LotDecimals == 0 {
		lot = decimal.NewFromInt(1)
	}
	var minNotional decimal.Decimal
	if p.CostMin != "" {
		c, err := decimal.NewFromString(p.CostMin)
		if err != nil {
			return mkt.MktPair{}, fmt.Errorf("kraken AssetPairs %s: costmin %q: %w", key, p.CostMin, err)
		}
		minNotional = c
	}
	srcType := mkt.CryptoCurrency
	if fiats[quote] {
		srcType = mkt.Fiat
	}
	rest := p.Altname
	if rest == "" {
		rest = key
	}
	return mkt.MktPair{
		Dst:         mkt.Asset{Name: base, AType: mkt.CryptoCurrency, TxTick: lot},
		Src:         mkt.Asset{Name: quote, AType: srcType},
		Venue:       "spot",
		Broker:      "kraken",
		BSMktID:     rest,
		PriceTick:   tick,
		SizeTick:    lot,
		MinNotional: minNotional,
	}, nil
}

// fetchPairs fetches every pair AssetPairs lists, for the market cache.
func (v *Venue) fetchPairs(ctx context.Context) ([]mkt.MktPair, error) {
	var raw map[string]assetPair
	if err := v.rest.get(ctx, "AssetPairs", nil, func(res json.RawMessage) error { return json.Unmarshal(res, &raw) }); err != nil {
		return nil, err
	}
	pairs := make([]mkt.MktPair, 0, len(raw))
	for key, p := range raw {
		if strings.HasSuffix(key, ".d") || p.WSName == "" {
			continue // dark-pool twins and pairs without a websocket name
		}
		m, err := newMarket(key, p)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, m)
	}
	return pairs, nil
}

// marketMaxAge is how long market info cached on disk is trusted.
const marketMaxAge = 24 * time.Hour

// lookup resolves an fqme of this venue: from the markets resolved this
// run, else the disk cache (cfg.CacheDir), else AssetPairs.
func (v *Venue) lookup(ctx context.Context, fqme string) (*market, error) {
	p, err := mkt.ParseFQMEBroker(fqme, "kraken")
	if err != nil {
		return nil, err
	}
	if p.Broker != "kraken" {
		return nil, fmt.Errorf("kraken: %s is a market of %q", fqme, p.Broker)
	}
	if p.Venue != "" && p.Venue != "spot" || p.Expiry != "" {
		return nil, fmt.Errorf("kraken: %s: only spot markets (key.spot.kraken)", fqme)
	}
	// Kraken's own spelling of the key names the same market: the cache
	// knows it by ours.
	key := p.Dst.Name
	for k, ours := range map[string]string{"xbt": "btc", "xdg": "doge"} {
		if rest, ok := strings.CutPrefix(key, k); ok {
			key = ours + rest
		}
	}
	canon := key + ".spot.kraken"
	v.mu.Lock()
	m, ok := v.pairs[canon]
	v.mu.Unlock()
	if !ok {
		if m, err = feeds.CachedMarket(ctx, v.cfg.CacheDir, "kraken", canon, time.Now(), marketMaxAge, v.fetchPairs); err != nil {
			return nil, fmt.Errorf("kraken: %s: %w", fqme, err)
		}
		v.mu.Lock()
		v.pairs[canon] = m
		v.mu.Unlock()
	}
	return marketOf(m), nil
}

// Market resolves btcusdt.spot.kraken (or xbtusdt.spot.kraken, or without
// the venue token) to its MktPair.
func (v *Venue) Market(ctx context.Context, fqme string) (mkt.MktPair, error) {
	m, err := v.lookup(ctx, fqme)
	if err != nil {
		return mkt.MktPair{}, err
	}
	return m.mp, nil
}

// nsFromDecimal converts epoch seconds written in decimal ("1618678157.908269")
// to ns without going through a float, so times keep every digit given.
func nsFromDecimal(s string) (int64, error) {
	ip, fp, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(ip, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("time %q: %w", s, err)
	}
	if len(fp) > 9 {
		fp = fp[:9]
	}
	var frac int64
	if fp != "" {
		f, err := strconv.ParseUint(fp, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("time %q: %w", s, err)
		}
		frac = int64(f)
		for i := len(fp); i < 9; i++ {
			frac *= 10
		}
	}
	return sec*1e9 + frac, nil
}
