package kraken

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"

	"workbench/feeds"
	"workbench/frames"
)

// seedLookback is how far before a trades-aggregated range the trades
// start, so that leading minutes without trades get their flat bar at the
// last close, as Kraken's own OHLC has them.
const seedLookback = 3600

// field returns a JSON scalar's text: strings unquoted, numbers as written.
func field(raw json.RawMessage) (string, error) {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	if len(raw) == 0 || raw[0] == '{' || raw[0] == '[' || string(raw) == "null" {
		return "", fmt.Errorf("not a scalar: %.40s", raw)
	}
	return string(raw), nil
}

func floatField(raw json.RawMessage) (float64, error) {
	s, err := field(raw)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(s, 64)
}

// parseOHLC decodes an OHLC result: every row (the forming one included)
// and the last committed bar's time.
func parseOHLC(res json.RawMessage, period int64) (rows *frames.OHLCV, last int64, err error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(res, &obj); err != nil {
		return nil, 0, fmt.Errorf("result: %w", err)
	}
	rows = frames.New(period, 0)
	seen := false
	for k, v := range obj {
		if k == "last" {
			if err := json.Unmarshal(v, &last); err != nil {
				return nil, 0, fmt.Errorf("last: %w", err)
			}
			continue
		}
		if seen {
			return nil, 0, fmt.Errorf("result has two pairs")
		}
		seen = true
		var raw [][]json.RawMessage
		if err := json.Unmarshal(v, &raw); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", k, err)
		}
		names := [...]string{"time", "open", "high", "low", "close", "vwap", "volume", "count"}
		for i, r := range raw {
			if len(r) < 7 {
				return nil, 0, fmt.Errorf("%s row %d: %d fields, want 8", k, i, len(r))
			}
			var t int64
			if err := json.Unmarshal(r[0], &t); err != nil {
				return nil, 0, fmt.Errorf("%s row %d field time: %w", k, i, err)
			}
			var x [7]float64
			for j := 1; j < 7; j++ {
				if x[j], err = floatField(r[j]); err != nil {
					return nil, 0, fmt.Errorf("%s row %d field %s: %w", k, i, names[j], err)
				}
			}
			rows.Add(t, x[1], x[2], x[3], x[4], x[6])
		}
	}
	if !seen {
		return nil, 0, fmt.Errorf("result has no pair")
	}
	return rows, last, nil
}

// parseTrades decodes a Trades result: rows [price, volume, time, side,
// type, misc, trade_id] and the ns cursor last.
func parseTrades(res json.RawMessage, fqme string) (trades []feeds.Trade, last int64, err error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(res, &obj); err != nil {
		return nil, 0, fmt.Errorf("result: %w", err)
	}
	for k, v := range obj {
		if k == "last" {
			s, err := field(v)
			if err == nil {
				last, err = strconv.ParseInt(s, 10, 64)
			}
			if err != nil {
				return nil, 0, fmt.Errorf("last: %w", err)
			}
			continue
		}
		var raw [][]json.RawMessage
		if err := json.Unmarshal(v, &raw); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", k, err)
		}
		trades = make([]feeds.Trade, 0, len(raw))
		for i, r := range raw {
			tr, err := tradeRow(r, fqme)
			if err != nil {
				return nil, 0, fmt.Errorf("%s row %d %w", k, i, err)
			}
			trades = append(trades, tr)
		}
	}
	return trades, last, nil
}

// tradeRow decodes [price, volume, time, side, type, misc(, trade_id)],
// the trade row of REST Trades and of websocket v1 (v1 has no id).
func tradeRow(r []json.RawMessage, fqme string) (feeds.Trade, error) {
	if len(r) < 4 {
		return feeds.Trade{}, fmt.Errorf("has %d fields, want 6 or 7", len(r))
	}
	tr := feeds.Trade{FQME: fqme}
	var err error
	if tr.Price, err = floatField(r[0]); err != nil {
		return tr, fmt.Errorf("field price: %w", err)
	}
	if tr.Size, err = floatField(r[1]); err != nil {
		return tr, fmt.Errorf("field volume: %w", err)
	}
	ts, err := field(r[2])
	if err == nil {
		tr.Time, err = nsFromDecimal(ts)
	}
	if err != nil {
		return tr, fmt.Errorf("field time: %w", err)
	}
	side, err := field(r[3])
	switch {
	case err != nil:
		return tr, fmt.Errorf("field side: %w", err)
	case side == "b":
		tr.Side = feeds.Buy
	case side == "s":
		tr.Side = feeds.Sell
	default:
		return tr, fmt.Errorf("field side: %q is neither b nor s", side)
	}
	if len(r) > 6 {
		if err := json.Unmarshal(r[6], &tr.ID); err != nil {
			return tr, fmt.Errorf("field trade_id: %w", err)
		}
	}
	return tr, nil
}

func (v *Venue) periodInterval(period int64) (int64, error) {
	if period%60 == 0 && slices.Contains(intervals, period/60) {
		return period / 60, nil
	}
	return 0, fmt.Errorf("kraken: no %s bars (periods: %v s)", frames.FormatPeriod(period), v.BarPeriods())
}

// Bars pages Kraken's closed bars opening in [from, to): what the OHLC
// window (the 720 most recent bars) holds comes from OHLC, anything older
// from Trades aggregated into bars with Kraken's flat-bar rule.
func (v *Venue) Bars(ctx context.Context, fqme string, period, from, to int64, page func(*frames.OHLCV) error) error {
	m, err := v.lookup(ctx, fqme)
	if err != nil {
		return err
	}
	iv, err := v.periodInterval(period)
	if err != nil {
		return err
	}
	from = (from + period - 1) / period * period
	if from >= to {
		return nil
	}
	var rows *frames.OHLCV
	var last int64
	q := url.Values{"pair": {m.rest}, "interval": {strconv.FormatInt(iv, 10)}, "since": {strconv.FormatInt(from-1, 10)}}
	if err := v.rest.get(ctx, "OHLC", q, func(res json.RawMessage) error {
		rows, last, err = parseOHLC(res, period)
		return err
	}); err != nil {
		return err
	}
	// The rows after last are the bar still forming: never history.
	n := 0
	for n < rows.Len() && rows.Time[n] <= last {
		n++
	}
	rows = rows.Rows(0, n)
	winStart := to
	if rows.Len() > 0 {
		winStart = rows.Time[0]
	}
	if from < winStart {
		if err := v.aggregate(ctx, m, period, from, min(to, winStart), page); err != nil {
			return err
		}
	}
	i, j := 0, rows.Len()
	for i < j && rows.Time[i] < from {
		i++
	}
	for j > i && rows.Time[j-1] >= to {
		j--
	}
	if i < j {
		if err := page(rows.Rows(i, j)); err != nil {
			return fmt.Errorf("kraken %s bars: %w", fqme, err)
		}
	}
	return nil
}

// aggregate pages the bars of [from, to) built from Trades, one page per
// Trades response.
func (v *Venue) aggregate(ctx context.Context, m *market, period, from, to int64, page func(*frames.OHLCV) error) error {
	a := newBarAgg(period, from, true)
	err := v.trades(ctx, m, (from-max(seedLookback, period))*1e9, to*1e9, func(ts []feeds.Trade) error {
		out := frames.New(period, 0)
		for _, tr := range ts {
			if err := a.add(tr, out); err != nil {
				return err
			}
		}
		if out.Len() == 0 {
			return nil
		}
		return page(out)
	})
	if err != nil {
		return err
	}
	out := frames.New(period, 0)
	a.flush(to, out)
	if out.Len() > 0 {
		return page(out)
	}
	return nil
}

// Trades pages Kraken's trades with from ≤ Time < to (epoch ns), one page
// per request, following the response's ns cursor.
func (v *Venue) Trades(ctx context.Context, fqme string, from, to int64, page func([]feeds.Trade) error) error {
	m, err := v.lookup(ctx, fqme)
	if err != nil {
		return err
	}
	return v.trades(ctx, m, from, to, page)
}

func (v *Venue) trades(ctx context.Context, m *market, from, to int64, page func([]feeds.Trade) error) error {
	fqme := m.mp.FQME()
	since := from
	var lastID int64
	for {
		var ts []feeds.Trade
		var last int64
		q := url.Values{"pair": {m.rest}, "since": {strconv.FormatInt(since, 10)}}
		if err := v.rest.get(ctx, "Trades", q, func(res json.RawMessage) error {
			var err error
			ts, last, err = parseTrades(res, fqme)
			return err
		}); err != nil {
			return err
		}
		// The cursor is inclusive: a page may repeat the previous one's
		// last trades, which their ids tell apart.
		batch := ts[:0:0]
		for _, tr := range ts {
			if tr.ID != 0 && tr.ID <= lastID {
				continue
			}
			lastID = max(lastID, tr.ID)
			if tr.Time >= from && tr.Time < to {
				batch = append(batch, tr)
			}
		}
		if len(batch) > 0 {
			if err := page(batch); err != nil {
				return fmt.Errorf("kraken %s trades: %w", fqme, err)
			}
		}
		if len(ts) == 0 || ts[len(ts)-1].Time >= to || last <= since && len(batch) == 0 {
			return nil
		}
		since = last
	}
}

// barAgg buckets trades (in time order) into bars of period seconds by
// exchange time, with flat a zero-volume bar at the last close for an
// interval without trades. It stands in for feeds' sampler until that
// lands.
type barAgg struct {
	period     int64
	flat       bool
	prev       float64 // last close; NaN before the first trade
	open       bool    // a bar is being built
	t          int64   // its open (s)
	o, h, l, c float64
	vol        float64
	next       int64 // the open of the first bar not yet emitted
}

// newBarAgg aggregates bars from from on; earlier trades only set the
// last close.
func newBarAgg(period, from int64, flat bool) *barAgg {
	return &barAgg{period: period, flat: flat, prev: math.NaN(), next: from}
}

func (a *barAgg) add(tr feeds.Trade, out *frames.OHLCV) error {
	if tr.Time < a.next*1e9 {
		if a.open {
			return fmt.Errorf("trade %d at %d ns is older than the bar at %d", tr.ID, tr.Time, a.t)
		}
		a.prev = tr.Price
		return nil
	}
	ps := a.period * 1e9
	b := tr.Time / ps * a.period
	if a.open && b == a.t {
		a.h, a.l, a.c = math.Max(a.h, tr.Price), math.Min(a.l, tr.Price), tr.Price
		a.vol += tr.Size
		return nil
	}
	if a.open && b < a.t {
		return fmt.Errorf("trade %d at %d ns is older than the bar at %d", tr.ID, tr.Time, a.t)
	}
	if a.open {
		a.emit(out)
	}
	a.fill(b, out)
	a.open, a.t = true, b
	a.o, a.h, a.l, a.c, a.vol = tr.Price, tr.Price, tr.Price, tr.Price, tr.Size
	return nil
}

func (a *barAgg) emit(out *frames.OHLCV) {
	out.Add(a.t, a.o, a.h, a.l, a.c, a.vol)
	a.prev, a.next, a.open = a.c, a.t+a.period, false
}

// fill adds the flat bars opening before upTo that no trade touched.
func (a *barAgg) fill(upTo int64, out *frames.OHLCV) {
	for ; a.next < upTo; a.next += a.period {
		if a.flat && !math.IsNaN(a.prev) {
			out.Add(a.next, a.prev, a.prev, a.prev, a.prev, 0)
		}
	}
}

// flush emits every bar opening before upTo.
func (a *barAgg) flush(upTo int64, out *frames.OHLCV) {
	if a.open && a.t < upTo {
		a.emit(out)
	}
	a.fill(upTo, out)
}
