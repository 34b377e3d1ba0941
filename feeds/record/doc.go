// Package record keeps a venue's bars in the store: History downloads any
// range of them (Fetch) and closes the holes a series has (Fill), and a
// Recorder appends the bars of a live stream as they close.
//
// The rule throughout is that the stored series equals the exchange's own
// bars, no hole and no duplicate: what the stream may have missed (a drop,
// a stall, a restart, trade ids that jump) is asked of the venue's REST
// history before anything later is appended; minutes in which nobody
// traded are not missing data (Binance has no bar there, Kraken a flat one)
// and are reported as what the exchange does not have.
//
// Piker loads history in the same order (the store, the exchange's latest
// frame, the history between, §3 of spec/piker-notes.md) but rewrites the
// whole file per frame, retries an empty frame forever with the same end
// date and leaves duplicate boundary bars; here a fetch resumes where it
// failed, appends in batches through frames.Store (locked, atomically
// replaced) and stores every boundary bar once.
package record
