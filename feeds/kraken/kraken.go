// Package kraken is Kraken's public spot market data as a feeds.Venue:
// markets from REST AssetPairs, history from REST OHLC (a 720-bar window
// ending with the still-forming bar, which is dropped) and, for older
// ranges, REST Trades aggregated into bars, and a live stream on websocket
// v2 (trade, ticker, ohlc) with req_id acknowledgements, heartbeats and
// trade-id continuity. Recorded v1 messages decode too.
//
// Kraken calls bitcoin XBT; our fqmes say btc (btcusdt.spot.kraken), and
// xbtusdt.spot.kraken is accepted as the same market.
package kraken

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"workbench/feeds"
	"workbench/mkt"
)

// Public endpoints.
const (
	DefaultRESTURL = "https://api.kraken.com"
	DefaultWSURL   = "wss://ws.kraken.com/v2"
)

func init() {
	feeds.Register("kraken", func(c feeds.VenueConfig) feeds.Venue { return New(c, Options{}) })
}

// Options tune a Venue; zero values give the defaults.
type Options struct {
	// MinBackoff and MaxBackoff bound the wait between REST retries
	// (defaults 500 ms and 30 s); Attempts is how many tries a request
	// gets before its error is returned (default 8).
	MinBackoff, MaxBackoff time.Duration
	Attempts               int
	// StallTimeout drops a websocket that has been silent this long
	// (default 10 s: Kraken sends a heartbeat every second).
	StallTimeout time.Duration
	// HTTPClient makes the REST requests (default one with a 30 s timeout).
	HTTPClient *http.Client
}

// Venue is Kraken reached through a VenueConfig.
type Venue struct {
	cfg  feeds.VenueConfig
	opts Options
	rest *restClient

	mu    sync.Mutex
	pairs map[string]mkt.MktPair // by canonical fqme, resolved this run
}

// New returns Kraken reached through cfg (empty URLs: the public ones).
// Market info is cached on disk in cfg.CacheDir (feeds.CachedMarket)
// and, once resolved, in memory for the Venue's life.
func New(cfg feeds.VenueConfig, o Options) *Venue {
	if cfg.RESTURL == "" {
		cfg.RESTURL = DefaultRESTURL
	}
	if cfg.WSURL == "" {
		cfg.WSURL = DefaultWSURL
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.Attempts <= 0 {
		o.Attempts = 8
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 10 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Venue{cfg: cfg, opts: o, pairs: map[string]mkt.MktPair{}, rest: &restClient{
		base: strings.TrimRight(cfg.RESTURL, "/"), hc: o.HTTPClient,
		minBackoff: o.MinBackoff, maxBackoff: o.MaxBackoff, attempts: o.Attempts,
	}}
}

// Name is "kraken".
func (v *Venue) Name() string { return "kraken" }

// intervals are the OHLC intervals Kraken serves, in minutes.
var intervals = []int64{1, 5, 15, 30, 60, 240, 1440, 10080, 21600}

// BarPeriods lists the OHLC periods in seconds.
func (v *Venue) BarPeriods() []int64 {
	out := make([]int64, len(intervals))
	for i, m := range intervals {
		out[i] = m * 60
	}
	return out
}

// EmptyBars is FlatBar: Kraken's OHLC has a zero-volume bar at the last
// close for a minute without trades.
func (v *Venue) EmptyBars() feeds.EmptyBars { return feeds.FlatBar }

// Feed returns the live websocket stream of sub's markets.
func (v *Venue) Feed(sub feeds.Subscription) feeds.Feed { return &Feed{v: v, sub: sub} }
