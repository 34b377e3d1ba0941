package feeds

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"workbench/frames"
	"workbench/mkt"
)

// EventKind says which of an Event's payloads is set.
type EventKind uint8

// Event kinds.
const (
	KindTrade EventKind = iota + 1
	KindQuote
	KindBar
	KindStatus
)

// Event is one thing a feed delivers: a trade, an L1 quote, a bar (forming
// or closed) or a status change of the connection. One struct rather than
// an interface keeps events unboxed on the hot path; only the payload Kind
// names is meaningful.
type Event struct {
	Kind   EventKind
	Trade  Trade
	Quote  Quote
	Bar    BarEvent
	Status Status
}

// StatusKind is what happened to a feed's connection or stream.
type StatusKind uint8

// Status kinds.
const (
	// Connected: the stream is (re)subscribed and live. After a
	// reconnect, events between the last one before the drop and the
	// first one after may be missing: a recorder asks the venue's history
	// for that interval.
	Connected StatusKind = iota + 1
	// Disconnected: the connection dropped, stalled or was refused; the
	// feed is reconnecting.
	Disconnected
	// TradeGap: trade ids jumped (trades were missed) between the two
	// trades named by FromID and ToID (exclusive), at times From and To.
	TradeGap
	// Malformed: a message could not be decoded; it was dropped.
	Malformed
)

// String names the kind.
func (k StatusKind) String() string {
	switch k {
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	case TradeGap:
		return "trade-gap"
	case Malformed:
		return "malformed"
	}
	return fmt.Sprintf("status(%d)", k)
}

// Status reports a change of a feed's connection or a defect in its stream.
type Status struct {
	Kind         StatusKind
	FQME         string // the market concerned; "" for the whole connection
	Time         int64  // epoch ns (receive time)
	From         int64  // TradeGap: exchange ns of the last trade before the gap
	To           int64  // TradeGap: exchange ns of the first trade after it
	FromID, ToID int64
	Err          error // why (Disconnected, Malformed)
}

// Feed is a source of market events: the synthetic generator, a replay of
// the store, or a venue's live stream. Stream calls sink for each event, in
// order, from one goroutine, until ctx is done (returning nil), the feed
// ends (a replay: nil) or sink returns an error (returned, wrapped). A live
// feed reconnects by itself and reports it with Status events; it returns
// an error only when it cannot go on (an unknown market, a refused
// subscription).
type Feed interface {
	Stream(ctx context.Context, sink func(Event) error) error
}

// Subscription is what a venue stream delivers.
type Subscription struct {
	FQMEs  []string
	Trades bool  // every trade
	Quotes bool  // L1 quotes
	Bars   int64 // the venue's own bars of this period (s), forming and closed; 0 for none
}

// EmptyBars is what a venue reports for an interval with no trades.
type EmptyBars uint8

const (
	// NoBar: no bar at all (Binance klines skip a minute without trades).
	NoBar EmptyBars = iota
	// FlatBar: a bar at the last close with zero volume (Kraken's OHLC).
	FlatBar
)

// VenueConfig is where a venue is reached. Empty URLs mean the venue's
// public endpoints.
type VenueConfig struct {
	WSURL   string
	RESTURL string
	// CacheDir holds the market-info cache (one file per venue); "" for
	// no cache.
	CacheDir string
}

// Venue is one exchange's public market data: its markets, a live stream
// and its history. Implementations live in one subpackage per venue
// (feeds/binance, feeds/kraken) and register themselves with Register.
// Times are epoch seconds for bars and epoch ns for trades; ranges are
// half-open [from, to).
type Venue interface {
	// Name is the venue's fqme token, e.g. "binance".
	Name() string
	// Market resolves an fqme of this venue (the broker token may be
	// omitted) to the market with the venue's own symbol (BSMktID), price
	// tick, lot and minimum notional.
	Market(ctx context.Context, fqme string) (mkt.MktPair, error)
	// Feed returns a live feed of sub's markets.
	Feed(sub Subscription) Feed
	// BarPeriods lists the bar periods (s) Bars serves, ascending.
	BarPeriods() []int64
	// EmptyBars says what Bars reports for an interval without trades.
	EmptyBars() EmptyBars
	// Bars calls page with the venue's closed bars of period opening in
	// [from, to), oldest first, one page per request; the forming bar is
	// never included. Paging, rate limits and retries are the venue's.
	Bars(ctx context.Context, fqme string, period, from, to int64, page func(*frames.OHLCV) error) error
	// Trades calls page with the venue's trades in [from, to) (epoch ns),
	// oldest first, for ranges its bar history cannot serve.
	Trades(ctx context.Context, fqme string, from, to int64, page func([]Trade) error) error
}

// ErrUnknownVenue is returned by OpenVenue for a name nothing registered.
var ErrUnknownVenue = errors.New("unknown venue")

var (
	venuesMu sync.Mutex
	venues   = map[string]func(VenueConfig) Venue{}
)

// Register makes a venue available to OpenVenue under name; venue packages
// call it from init.
func Register(name string, open func(VenueConfig) Venue) {
	venuesMu.Lock()
	defer venuesMu.Unlock()
	venues[name] = open
}

// Venues lists the registered venue names, sorted.
func Venues() []string {
	venuesMu.Lock()
	defer venuesMu.Unlock()
	names := make([]string, 0, len(venues))
	for n := range venues {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// OpenVenue returns the registered venue name reached through cfg.
func OpenVenue(name string, cfg VenueConfig) (Venue, error) {
	venuesMu.Lock()
	open, ok := venues[name]
	venuesMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownVenue, name, Venues())
	}
	return open(cfg), nil
}
