package binance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fastjson"

	"workbench/feeds"
	"workbench/frames"
)

// restClient is Binance's REST API: request weight honoured, 429/418 and
// 5xx retried, 4xx turned into errors naming the request.
type restClient struct {
	base string
	opts Options

	mu         sync.Mutex
	pauseUntil time.Time // set when the used weight nears the limit
}

func newRESTClient(base string, opts Options) *restClient {
	return &restClient{base: base, opts: opts}
}

func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// weightPause is how long to hold off after a response reported used
// weight of the per-minute limit at now: nothing below 90%, else until
// Binance's minute window rolls over.
func weightPause(used, limit int, now time.Time) time.Duration {
	if used*10 < limit*9 {
		return 0
	}
	return now.Truncate(time.Minute).Add(time.Minute).Sub(now)
}

// retryAfter reads a Retry-After header in seconds; ok is false without one.
func retryAfter(h http.Header) (time.Duration, bool) {
	s := h.Get("Retry-After")
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// get fetches path?q and returns the body of a 200 answer.
func (c *restClient) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	desc := "GET " + path + "?" + q.Encode()
	wait := c.opts.RetryMin
	var last error
	for attempt := 1; attempt <= c.opts.MaxRetries; attempt++ {
		c.mu.Lock()
		pause := time.Until(c.pauseUntil)
		c.mu.Unlock()
		if err := feeds.WallClock.Sleep(ctx, pause); err != nil {
			return nil, fmt.Errorf("binance %s: %w", desc, err)
		}
		body, status, h, err := c.do(ctx, c.base+path+"?"+q.Encode())
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("binance %s: %w", desc, ctx.Err())
			}
			last = err
		} else {
			if used, err := strconv.Atoi(h.Get("X-MBX-USED-WEIGHT-1M")); err == nil {
				if p := weightPause(used, c.opts.WeightLimit, time.Now()); p > 0 {
					slog.Info("binance: request weight near the limit, slowing down", "used", used, "limit", c.opts.WeightLimit, "pause", p)
					c.mu.Lock()
					c.pauseUntil = time.Now().Add(p)
					c.mu.Unlock()
				}
			}
			switch {
			case status == http.StatusOK:
				return body, nil
			case status == http.StatusTooManyRequests || status == http.StatusTeapot:
				last = fmt.Errorf("HTTP %d (rate limited)", status)
				if d, ok := retryAfter(h); ok {
					if d > c.opts.MaxRetryAfter {
						return nil, fmt.Errorf("binance %s: HTTP %d: told to retry after %v (longer than %v)", desc, status, d, c.opts.MaxRetryAfter)
					}
					slog.Info("binance: rate limited", "request", desc, "retry_after", d)
					if err := feeds.WallClock.Sleep(ctx, d); err != nil {
						return nil, fmt.Errorf("binance %s: %w", desc, err)
					}
					continue
				}
			case status >= 500:
				last = fmt.Errorf("HTTP %d", status)
			default:
				var e APIError
				if json.Unmarshal(body, &e) == nil && e.Msg != "" {
					return nil, fmt.Errorf("binance %s: HTTP %d: %w", desc, status, &e)
				}
				return nil, fmt.Errorf("binance %s: HTTP %d: %.200s", desc, status, body)
			}
		}
		slog.Debug("binance: retrying", "request", desc, "attempt", attempt, "err", last, "wait", wait)
		if err := feeds.WallClock.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("binance %s: %w", desc, err)
		}
		wait *= 2
	}
	return nil, fmt.Errorf("binance %s: giving up after %d attempts: %w", desc, c.opts.MaxRetries, last)
}

func (c *restClient) do(ctx context.Context, u string) ([]byte, int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, nil, err
	}
	resp, err := c.opts.HTTP.Do(req)
	if err != nil {
		return nil, 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, nil, err
	}
	return body, resp.StatusCode, resp.Header, nil
}

func (c *restClient) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	body, err := c.get(ctx, path, q)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("binance GET %s?%s: %w", path, q.Encode(), err)
	}
	return nil
}

// serverTime is Binance's clock (epoch ms): the forming kline is the one
// not yet closed by it, whatever our own clock says.
func (c *restClient) serverTime(ctx context.Context) (int64, error) {
	var t struct {
		ServerTime int64 `json:"serverTime"`
	}
	if err := c.getJSON(ctx, "/api/v3/time", nil, &t); err != nil {
		return 0, err
	}
	if t.ServerTime <= 0 {
		return 0, errors.New("binance GET /api/v3/time: no serverTime")
	}
	return t.ServerTime, nil
}

// klineLimit is the most klines one request returns.
const klineLimit = 1000

// Bars pages through Binance's klines of period opening in [from, to)
// (epoch s), leaving out the forming one.
func (v *Venue) Bars(ctx context.Context, fqme string, period, from, to int64, page func(*frames.OHLCV) error) error {
	sym, _, err := Symbol(fqme)
	if err != nil {
		return err
	}
	iv, err := interval(period)
	if err != nil || from >= to {
		return err
	}
	now, err := v.rest.serverTime(ctx)
	if err != nil {
		return err
	}
	var p fastjson.Parser
	for start := from; start < to; {
		q := query("symbol", sym, "interval", iv,
			"startTime", strconv.FormatInt(start*1000, 10),
			"endTime", strconv.FormatInt(to*1000-1, 10), // inclusive
			"limit", strconv.Itoa(klineLimit))
		body, err := v.rest.get(ctx, "/api/v3/klines", q)
		if err != nil {
			return err
		}
		f, n, forming, err := parseKlines(&p, body, period, start, to, now)
		if err != nil {
			return fmt.Errorf("binance GET /api/v3/klines?%s: %w", q.Encode(), err)
		}
		if f.Len() > 0 {
			if err := page(f); err != nil {
				return err
			}
		}
		if forming || n < klineLimit || f.Len() == 0 {
			return nil
		}
		start = f.Time[f.Len()-1] + period
	}
	return nil
}

// parseKlines reads a klines answer: rows [openMs, "o", "h", "l", "c",
// "v", closeMs, …]. It keeps closed bars opening in [from, to) and says
// whether it met the forming one (close time not before now, ms). n is the
// number of rows.
func parseKlines(p *fastjson.Parser, body []byte, period, from, to, now int64) (f *frames.OHLCV, n int, forming bool, err error) {
	v, err := p.ParseBytes(body)
	if err != nil {
		return nil, 0, false, err
	}
	rows, err := v.Array()
	if err != nil {
		return nil, 0, false, err
	}
	f = frames.New(period, len(rows))
	var ohlcv [5]float64
	for i, r := range rows {
		cols, err := r.Array()
		if err != nil || len(cols) < 7 {
			return nil, 0, false, fmt.Errorf("row %d: want an array of 12 fields", i)
		}
		open, err := cols[0].Int64()
		if err != nil {
			return nil, 0, false, fmt.Errorf("row %d field open time: %v", i, err)
		}
		closeMs, err := cols[6].Int64()
		if err != nil {
			return nil, 0, false, fmt.Errorf("row %d field close time: %v", i, err)
		}
		for j, name := range [5]string{"open", "high", "low", "close", "volume"} {
			b, err := cols[j+1].StringBytes()
			if err == nil {
				ohlcv[j], err = strconv.ParseFloat(b2s(b), 64)
			}
			if err != nil {
				return nil, 0, false, fmt.Errorf("row %d field %s: %v", i, name, err)
			}
		}
		if closeMs >= now {
			return f, len(rows), true, nil
		}
		if t := open / 1000; open%1000 == 0 && t >= from && t < to {
			if f.Len() > 0 && t <= f.Time[f.Len()-1] {
				return nil, 0, false, fmt.Errorf("row %d: open time %d not after %d", i, t, f.Time[f.Len()-1])
			}
			f.Add(t, ohlcv[0], ohlcv[1], ohlcv[2], ohlcv[3], ohlcv[4])
		}
	}
	return f, len(rows), false, nil
}

// aggTradesWindow is the longest startTime..endTime span aggTrades accepts.
const aggTradesWindow = int64(time.Hour / time.Millisecond)

// aggTrade is one row of /api/v3/aggTrades.
type aggTrade struct {
	ID    int64  `json:"a"`
	Price string `json:"p"`
	Qty   string `json:"q"`
	Time  int64  `json:"T"`
	Maker bool   `json:"m"`
	// encoding/json matches keys case-insensitively: without a field of
	// its own, "M" (best match) would overwrite "m".
	Best bool `json:"M"`
}

// Trades pages through Binance's aggregate trades with times in [from, to)
// (epoch ns): hour-long time windows until the first trade, then by id.
func (v *Venue) Trades(ctx context.Context, fqme string, from, to int64, page func([]feeds.Trade) error) error {
	sym, canon, err := Symbol(fqme)
	if err != nil {
		return err
	}
	// Binance times are ms: a trade at T ms is at T·1e6 ns.
	fromMs, toMs := ceilDiv(from, 1e6), ceilDiv(to, 1e6)
	var next int64 = -1
	for win := fromMs; next < 0 && win < toMs; win += aggTradesWindow {
		end := min(win+aggTradesWindow, toMs) - 1 // inclusive
		q := query("symbol", sym, "startTime", strconv.FormatInt(win, 10),
			"endTime", strconv.FormatInt(end, 10), "limit", strconv.Itoa(klineLimit))
		n, last, done, err := v.tradePage(ctx, q, canon, toMs, page)
		if err != nil || done {
			return err
		}
		if n > 0 {
			next = last + 1
		}
	}
	for next >= 0 {
		q := query("symbol", sym, "fromId", strconv.FormatInt(next, 10), "limit", strconv.Itoa(klineLimit))
		n, last, done, err := v.tradePage(ctx, q, canon, toMs, page)
		if err != nil || done || n < klineLimit {
			return err
		}
		next = last + 1
	}
	return nil
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b > 0 {
		q++
	}
	return q
}

// tradePage fetches one aggTrades page and hands on its trades before
// toMs; done is set once a trade at or after toMs was seen.
func (v *Venue) tradePage(ctx context.Context, q url.Values, fqme string, toMs int64, page func([]feeds.Trade) error) (n int, lastID int64, done bool, err error) {
	var rows []aggTrade
	if err := v.rest.getJSON(ctx, "/api/v3/aggTrades", q, &rows); err != nil {
		return 0, 0, false, err
	}
	out := make([]feeds.Trade, 0, len(rows))
	for i, r := range rows {
		if r.Time >= toMs {
			done = true
			break
		}
		price, err := strconv.ParseFloat(r.Price, 64)
		if err != nil {
			return 0, 0, false, fmt.Errorf("binance GET /api/v3/aggTrades?%s: row %d field p: %v", q.Encode(), i, err)
		}
		size, err := strconv.ParseFloat(r.Qty, 64)
		if err != nil {
			return 0, 0, false, fmt.Errorf("binance GET /api/v3/aggTrades?%s: row %d field q: %v", q.Encode(), i, err)
		}
		side := feeds.Buy
		if r.Maker {
			side = feeds.Sell
		}
		out = append(out, feeds.Trade{Time: r.Time * 1e6, FQME: fqme, Price: price, Size: size, Side: side, ID: r.ID})
	}
	if len(out) > 0 {
		if err := page(out); err != nil {
			return 0, 0, false, err
		}
	}
	if len(rows) > 0 {
		lastID = rows[len(rows)-1].ID
	}
	return len(rows), lastID, done, nil
}
