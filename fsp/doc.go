// Package fsp is financial signal processing: technical indicators that give
// TA-Lib's numbers, a streaming twin of each, a registry that finds them by
// name (`rsi(14)`, `macd(12,26,9)`, `ema(20, rsi(14))`) and a cascade engine
// that keeps a set of them current on a growing bar series.
//
// # Batch functions
//
// Batch functions work on column slices, gonum style:
//
//	func SMA(x []float64, n int) []float64
//	func MACD(x []float64, fast, slow, signal int) (macd, signal, hist []float64)
//
// Each has a To variant that writes into destinations the caller owns, so a
// loop over many series allocates nothing:
//
//	func SMATo(dst, x []float64, n int) []float64
//	func MACDTo(macd, signal, hist, x []float64, fast, slow, signal int) (...)
//
// A destination must be as long as the (first) input and must not share
// memory with an input; every value of it is written. A destination of
// another length is a mistake in the calling code, and To panics on it as
// gonum does. The allocating function is the To variant into a new slice.
// (STOCHRSI, VWAPReset, VWAPAnchored and FlowRates have no To variant; DEMA,
// TEMA, TRIMA, APO and PPO still allocate their intermediate series.)
//
// The output is as long as the input and NaN before the indicator's first
// valid index. That index and the order of every floating-point operation are
// TA-Lib's, so values are bit-equal to TA-Lib C or within 1e-9 relative
// (STDDEV and BBANDS keep TA-Lib's one-pass variance). Each function documents
// its parameter ranges; with a parameter outside them it returns all NaN and
// does not panic (the registry checks parameters and gives the errors a
// person reads). LookbackXXX(params) returns the number of leading NaN outputs on an
// input without leading NaNs.
//
// Leading NaNs in a single-series input are treated as bars not there yet: the
// indicator starts at the first non-NaN value, so an EMA of an RSI is seeded
// from the RSI's first values exactly as TA-Lib seeds DEMA's second EMA. A NaN
// after the first valid value propagates by ordinary arithmetic.
//
// # Streaming twins
//
// Every indicator has a state type that consumes one bar at a time:
//
//	s := NewSMAStream(20)
//	v := s.Update(close)  // a new bar
//	v = s.Revise(close2)  // the newest bar changed before it closed
//
// Most take O(1) per bar. The exceptions, with a window of n bars:
//   - CCI costs O(n) per bar: its mean absolute deviation Σ|TP − mean|/n
//     needs every TP of the window again whenever the mean moves (there is no
//     exact running form for it), as in TA-Lib.
//   - The rolling extremes of MIDPRICE, MIDPOINT, WILLR, STOCH and AROON are
//     O(1) per bar except when the extreme leaves the window or a Revise
//     lowers it, which rescans the window (TA-Lib's method): O(n) in the worst
//     case (a steadily falling high rescans every bar), a few values per bar
//     on typical prices.
//   - STOCHRSI's monotone deques are O(1) amortized, and LINEARREG(_SLOPE)
//     recomputes its sums from the window every n bars so they cannot drift:
//     O(1) amortized.
//
// Update returns the same value the batch function gives at that bar,
// bit-identical, and NaN before the lookback. Revise replaces the newest bar's
// input without double counting: update, revise, revise, update gives exactly
// the batch values over the final inputs. Revise before any Update acts as
// Update. Streams over several inputs take them as (high, low, close[, volume])
// arguments; several outputs come back as several results.
//
// # Registry and cascade
//
// Parse turns a spec list into indicator instances with named outputs and
// lookbacks:
//
//	rsi(14), macd(12,26,9), bbands(20,2), ema(20, rsi(14)), sma(10, high),
//	fast=ema(12), ema(9, macd(12,26,9).hist), obv
//
// Numbers fill the parameters in order (missing ones take their defaults), a
// field or another indicator is the source of a one-input indicator, ".name"
// picks one output of a multi-output source and "label=" names the columns.
// Columns are named output_params[_source] (rsi_14, macd_signal_12_26_9,
// ema_20_rsi_14). Unknown names and bad parameters give a *SpecError naming
// the column of the fault and what is valid. Register adds an indicator to
// the registry (each file registers its own from init); Defs lists them.
//
// Attach computes a parsed set over a *frames.OHLCV in one pass and keeps it
// current: Push appends a bar or revises the newest one (same time), Sync
// picks up bars added to the frame elsewhere, Add attaches more indicators
// later. Indicators used as sources by several others are computed once, and
// every column is aligned with the frame's Time. The API is non-generic so
// scripts can use it.
package fsp
