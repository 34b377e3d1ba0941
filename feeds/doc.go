// Package feeds is where market data comes from and how it moves: the event
// types a backtest or a live session consumes (quotes, trades, bars, with
// epoch-nanosecond times), the Feed interface and its sources — a
// deterministic synthetic generator (SyntheticFeed), a replay of stored
// bars merged across markets at any speed (ReplayFeed), and the venues of
// the subpackages — the Sampler that turns trades into bars by exchange
// time, and the on-disk cache of the venues' market info (MarketCache).
// Pacing waits on an injected Clock, never on a sleep loop that decides
// what a bar is.
//
// feeds depends on frames (bar series, calendars), mkt and the module's
// internal/atomicfile only.
package feeds
