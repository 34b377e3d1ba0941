// Package feeds is where market data comes from and how it moves: the event
// types a backtest or a live session consumes (quotes, trades, bars, with
// epoch-nanosecond times), and a deterministic synthetic generator that
// writes realistic bars in a market's trading sessions for demos and tests.
//
// feeds depends on frames (bar series, calendars) and mkt only.
package feeds
