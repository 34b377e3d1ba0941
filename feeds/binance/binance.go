// Package binance is Binance spot's public market data as a feeds.Venue:
// market info from exchangeInfo, live trades, quotes and klines from the
// combined-stream websocket (on feeds/wsconn), and history from the REST
// klines and aggTrades endpoints, paged, rate-limited and retried. It
// registers itself as "binance". Binance reports no kline for a minute
// without trades (feeds.NoBar).
package binance

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/mkt"
)

// Name is the venue's fqme token.
const Name = "binance"

// Public endpoints, used when a VenueConfig leaves its URLs empty.
const (
	DefaultRESTURL = "https://api.binance.com"
	DefaultWSURL   = "wss://stream.binance.com:9443"
)

func init() {
	feeds.Register(Name, func(cfg feeds.VenueConfig) feeds.Venue { return New(cfg, Options{}) })
}

// Options tune the venue's connections; zero values take the defaults.
type Options struct {
	// HTTP is the REST client (default: one with a 30 s timeout).
	HTTP *http.Client
	// StallTimeout: no websocket message for this long reconnects
	// (default 60 s; a quiet market's trade stream can be silent a while,
	// so pings, answered within it, are what prove the socket alive).
	StallTimeout time.Duration
	// Ping is how often we ping the server (default 30 s; Binance pings
	// us too and coder/websocket answers).
	Ping time.Duration
	// MaxAge renews the websocket before Binance cuts it at 24 h
	// (default 23 h 50 m).
	MaxAge time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed websocket
	// attempts (wsconn's defaults when zero).
	MinBackoff, MaxBackoff time.Duration
	// RetryMin is the first REST retry wait after a 5xx or a network
	// error, doubled per attempt (default 500 ms); MaxRetries bounds the
	// attempts (default 8); MaxRetryAfter is the longest Retry-After we
	// wait for before giving up (default 2 min; a 418 ban is longer).
	RetryMin      time.Duration
	MaxRetries    int
	MaxRetryAfter time.Duration
	// WeightLimit is the request weight allowed per minute (default
	// 6000); near it, requests wait for the next minute.
	WeightLimit int
	// RawTrades streams trade (ids "t") instead of aggTrade (ids "a").
	// Trades (REST aggTrades) reports aggregate ids, so only with
	// aggTrade do the stream's gaps name ids that history can fill by id.
	RawTrades bool
	// Now is the receive clock (epoch ns; default the wall clock).
	Now func() int64
}

// Venue is Binance spot. Safe for concurrent use.
type Venue struct {
	ws   string
	rest *restClient
	opts Options

	cacheDir string

	mu      sync.Mutex
	markets map[string]mkt.MktPair // canonical fqme → market, resolved this run
}

// marketMaxAge is how long market info cached on disk is trusted.
const marketMaxAge = 24 * time.Hour

// New returns the venue reached through cfg. Market info is cached on
// disk in cfg.CacheDir (see feeds.CachedMarket) and, once resolved, in
// memory for the venue's lifetime.
func New(cfg feeds.VenueConfig, opts Options) *Venue {
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = 60 * time.Second
	}
	if opts.Ping <= 0 {
		opts.Ping = 30 * time.Second
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 23*time.Hour + 50*time.Minute
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 500 * time.Millisecond
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 8
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = 2 * time.Minute
	}
	if opts.WeightLimit <= 0 {
		opts.WeightLimit = 6000
	}
	if opts.Now == nil {
		opts.Now = func() int64 { return time.Now().UnixNano() }
	}
	ws, rest := strings.TrimRight(cfg.WSURL, "/"), strings.TrimRight(cfg.RESTURL, "/")
	if ws == "" {
		ws = DefaultWSURL
	}
	if rest == "" {
		rest = DefaultRESTURL
	}
	return &Venue{ws: ws, rest: newRESTClient(rest, opts), opts: opts, cacheDir: cfg.CacheDir, markets: map[string]mkt.MktPair{}}
}

// Name returns "binance".
func (v *Venue) Name() string { return Name }

// EmptyBars is feeds.NoBar: Binance has no kline for an interval without
// trades.
func (v *Venue) EmptyBars() feeds.EmptyBars { return feeds.NoBar }

// intervals are Binance's kline intervals by period (s), those Bars serves.
var intervals = map[int64]string{
	1: "1s", 60: "1m", 180: "3m", 300: "5m", 900: "15m", 1800: "30m",
	3600: "1h", 7200: "2h", 14400: "4h", 21600: "6h", 28800: "8h", 43200: "12h", 86400: "1d",
}

// BarPeriods lists the kline periods (s) Bars serves.
func (v *Venue) BarPeriods() []int64 {
	return []int64{1, 60, 180, 300, 900, 1800, 3600, 7200, 14400, 21600, 28800, 43200, 86400}
}

func interval(period int64) (string, error) {
	if s, ok := intervals[period]; ok {
		return s, nil
	}
	return "", fmt.Errorf("binance has no %ds klines (periods: 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d)", period)
}

// IntervalPeriod is the period (s) of a kline interval Bars serves ("1m"
// → 60); ok is false for another.
func IntervalPeriod(iv string) (period int64, ok bool) {
	for p, s := range intervals {
		if s == iv {
			return p, true
		}
	}
	return 0, false
}

// Symbol returns Binance's symbol (BTCUSDT) and our canonical fqme
// (btcusdt.spot.binance) for an fqme of the spot venue; the broker token
// may be omitted ("btcusdt.spot").
func Symbol(fqme string) (symbol, canonical string, err error) {
	full := fqme
	if !strings.HasSuffix(strings.ToLower(fqme), "."+Name) {
		full += "." + Name
	}
	m, err := mkt.ParseFQMEBroker(full, Name)
	if err != nil {
		return "", "", err
	}
	if m.Broker != Name {
		return "", "", fmt.Errorf("fqme %q is not a binance market", fqme)
	}
	if m.Expiry != "" || (m.Venue != "" && m.Venue != "spot") {
		return "", "", fmt.Errorf("fqme %q: only binance spot markets are supported (want <pair>.spot.binance)", fqme)
	}
	key := m.Dst.Name
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return "", "", fmt.Errorf("fqme %q: %q is not a binance symbol", fqme, key)
		}
	}
	return strings.ToUpper(key), key + ".spot." + Name, nil
}

// Market resolves fqme to the market Binance's exchangeInfo describes.
func (v *Venue) Market(ctx context.Context, fqme string) (mkt.MktPair, error) {
	sym, canon, err := Symbol(fqme)
	if err != nil {
		return mkt.MktPair{}, err
	}
	v.mu.Lock()
	m, ok := v.markets[canon]
	v.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err = feeds.CachedMarket(ctx, v.cacheDir, Name, canon, time.Now(), marketMaxAge, func(ctx context.Context) ([]mkt.MktPair, error) {
		return v.fetchMarket(ctx, sym)
	})
	if err != nil {
		return mkt.MktPair{}, err
	}
	v.mu.Lock()
	v.markets[canon] = m
	v.mu.Unlock()
	return m, nil
}

// fetchMarket asks exchangeInfo for sym alone (the whole list is megabytes
// and weighs 20) and returns it beside the other markets the disk cache
// already holds, so the cache file grows by market instead of being
// replaced by one.
func (v *Venue) fetchMarket(ctx context.Context, sym string) ([]mkt.MktPair, error) {
	var info exchangeInfo
	if err := v.rest.getJSON(ctx, "/api/v3/exchangeInfo", query("symbol", sym), &info); err != nil {
		return nil, err
	}
	m, err := info.market(sym)
	if err != nil {
		return nil, fmt.Errorf("binance exchangeInfo %s: %w", sym, err)
	}
	out := []mkt.MktPair{m}
	if v.cacheDir == "" {
		return out, nil
	}
	if c, err := feeds.LoadMarkets(v.cacheDir, Name); err == nil {
		for fq, old := range c.Markets {
			if fq != m.FQME() {
				out = append(out, old)
			}
		}
	}
	return out, nil
}

type exchangeInfo struct {
	Symbols []struct {
		Symbol     string `json:"symbol"`
		Status     string `json:"status"`
		BaseAsset  string `json:"baseAsset"`
		QuoteAsset string `json:"quoteAsset"`
		Filters    []struct {
			FilterType  string `json:"filterType"`
			TickSize    string `json:"tickSize"`
			StepSize    string `json:"stepSize"`
			MinNotional string `json:"minNotional"`
		} `json:"filters"`
	} `json:"symbols"`
}

func (info *exchangeInfo) market(sym string) (mkt.MktPair, error) {
	for _, s := range info.Symbols {
		if s.Symbol != sym {
			continue
		}
		m := mkt.MktPair{
			Dst:     mkt.Asset{Name: strings.ToLower(s.BaseAsset), AType: mkt.CryptoCurrency},
			Src:     mkt.Asset{Name: strings.ToLower(s.QuoteAsset), AType: mkt.CryptoCurrency},
			Venue:   "spot",
			Broker:  Name,
			BSMktID: s.Symbol,
		}
		var err error
		for _, f := range s.Filters {
			switch f.FilterType {
			case "PRICE_FILTER":
				m.PriceTick, err = stripped("PRICE_FILTER.tickSize", f.TickSize)
			case "LOT_SIZE":
				m.SizeTick, err = stripped("LOT_SIZE.stepSize", f.StepSize)
			case "NOTIONAL", "MIN_NOTIONAL":
				m.MinNotional, err = stripped(f.FilterType+".minNotional", f.MinNotional)
			}
			if err != nil {
				return mkt.MktPair{}, err
			}
		}
		if m.PriceTick.Sign() <= 0 || m.SizeTick.Sign() <= 0 {
			return mkt.MktPair{}, fmt.Errorf("symbol %s has no PRICE_FILTER or LOT_SIZE", sym)
		}
		return m, nil
	}
	return mkt.MktPair{}, fmt.Errorf("symbol %s not in the answer", sym)
}

// stripped parses a Binance decimal ("0.01000000") without its trailing
// zeros, so the tick prints as Binance means it ("0.01").
func stripped(field, s string) (decimal.Decimal, error) {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%s: %q is not a decimal", field, s)
	}
	return d, nil
}
