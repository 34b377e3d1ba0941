package kraken

import (
	"context"
	"encoding/json"
	"fmt"
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

// aggregate pages the bars of [from, to) built from Trades by a
// feeds.Sampler with Kraken's flat-bar rule, one page per Trades response.
// The trades start seedLookback before from so that the sampler knows the
// last close of leading minutes without trades; bars before from are not
// paged.
func (v *Venue) aggregate(ctx context.Context, m *market, period, from, to int64, page func(*frames.OHLCV) error) error {
	s, err := feeds.NewSampler(m.mp.FQME(), period, feeds.FlatBar)
	if err != nil {
		return err
	}
	emit := func(bars []feeds.BarEvent) error {
		out := frames.New(period, 0)
		for _, b := range bars {
			if b.Bar.Time >= from && b.Bar.Time < to {
				out.Add(b.Bar.Time, b.Bar.Open, b.Bar.High, b.Bar.Low, b.Bar.Close, b.Bar.Volume)
			}
		}
		if out.Len() == 0 {
			return nil
		}
		return page(out)
	}
	var closed []feeds.BarEvent
	err = v.trades(ctx, m, (from-max(seedLookback, period))*1e9, to*1e9, func(ts []feeds.Trade) error {
		closed = closed[:0]
		for _, tr := range ts {
			closed = append(closed, s.Add(tr)...)
		}
		return emit(closed)
	})
	if err != nil {
		return err
	}
	// Every bucket opening before to is over: close them all.
	return emit(s.Advance((to + period - 1) / period * period * 1e9))
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
