package binancefake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"workbench/feeds"
	"workbench/feeds/binance"
)

// apiError is Binance's error body.
type apiError struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func badRequest(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusBadRequest, apiError{code, msg})
}

// rest wraps a REST handler with the request weight (reported in
// X-MBX-USED-WEIGHT-1M, 429 beyond the limit) and the injected failures.
func (s *Server) rest(weight int, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := s.requests.Add(1)
		f := s.getFaults()
		retry := f.RetryAfter
		if retry <= 0 {
			retry = 1
		}
		switch {
		case f.Fail429Every > 0 && n%int64(f.Fail429Every) == 0:
			s.failed.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			writeJSON(w, http.StatusTooManyRequests, apiError{-1003, "Too many requests; injected by binancefake."})
			return
		case f.Fail5xxEvery > 0 && n%int64(f.Fail5xxEvery) == 0:
			s.failed.Add(1)
			http.Error(w, "Service Unavailable (injected by binancefake)", http.StatusServiceUnavailable)
			return
		}
		minute := time.Now().Unix() / 60
		s.mu.Lock()
		if minute != s.weightMin {
			s.weightMin, s.weight = minute, 0
		}
		s.weight += weight
		used := s.weight
		s.mu.Unlock()
		w.Header().Set("X-MBX-USED-WEIGHT-1M", strconv.Itoa(used))
		if used > s.opts.WeightLimit {
			w.Header().Set("Retry-After", strconv.FormatInt(60-time.Now().Unix()%60, 10))
			writeJSON(w, http.StatusTooManyRequests, apiError{-1003, "Too much request weight used; current limit is " + strconv.Itoa(s.opts.WeightLimit) + " request weight per 1 MINUTE."})
			return
		}
		h(w, r)
	}
}

func (s *Server) serveTime(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]int64{"serverTime": s.clock.Now() / 1e6})
}

// decimal8 prints x as Binance does, with at least 8 decimals, and
// exactly: the shortest form that parses back to x, padded.
func decimal8(x float64) string {
	s := strconv.FormatFloat(x, 'f', -1, 64)
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return s + ".00000000"
	}
	if d := len(s) - dot - 1; d < 8 {
		s += strings.Repeat("0", 8-d)
	}
	return s
}

// symbolParam returns the market a request names, or answers the error.
func (s *Server) symbolParam(w http.ResponseWriter, r *http.Request) *market {
	sym := r.URL.Query().Get("symbol")
	if sym == "" {
		badRequest(w, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
		return nil
	}
	m, ok := s.markets[sym]
	if !ok {
		badRequest(w, -1121, "Invalid symbol.")
		return nil
	}
	return m
}

// intParam reads an optional integer parameter; ok is false after an
// error answer.
func intParam(w http.ResponseWriter, r *http.Request, name string, def int64) (v int64, given, ok bool) {
	q := r.URL.Query().Get(name)
	if q == "" {
		return def, false, true
	}
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil {
		badRequest(w, -1100, fmt.Sprintf("Illegal characters found in parameter '%s'; legal range is '^[0-9]{1,20}$'.", name))
		return 0, false, false
	}
	return n, true, true
}

func limitParam(w http.ResponseWriter, r *http.Request, def int64) (int64, bool) {
	n, _, ok := intParam(w, r, "limit", def)
	if !ok {
		return 0, false
	}
	if n <= 0 || n > 1000 {
		badRequest(w, -1130, "Invalid data sent for a parameter.")
		return 0, false
	}
	return n, true
}

type filter struct {
	FilterType  string `json:"filterType"`
	MinPrice    string `json:"minPrice,omitempty"`
	MaxPrice    string `json:"maxPrice,omitempty"`
	TickSize    string `json:"tickSize,omitempty"`
	MinQty      string `json:"minQty,omitempty"`
	MaxQty      string `json:"maxQty,omitempty"`
	StepSize    string `json:"stepSize,omitempty"`
	MinNotional string `json:"minNotional,omitempty"`
}

type symbolInfo struct {
	Symbol     string   `json:"symbol"`
	Status     string   `json:"status"`
	BaseAsset  string   `json:"baseAsset"`
	QuoteAsset string   `json:"quoteAsset"`
	Filters    []filter `json:"filters"`
}

func (m *market) info() symbolInfo {
	cfg := m.Tape.Config()
	mn, _ := strconv.ParseFloat(m.MinNotional, 64)
	return symbolInfo{
		Symbol: m.symbol, Status: "TRADING", BaseAsset: m.Base, QuoteAsset: m.Quote,
		Filters: []filter{
			{FilterType: "PRICE_FILTER", MinPrice: decimal8(cfg.Tick), MaxPrice: "1000000.00000000", TickSize: decimal8(cfg.Tick)},
			{FilterType: "LOT_SIZE", MinQty: decimal8(cfg.Lot), MaxQty: "9000.00000000", StepSize: decimal8(cfg.Lot)},
			{FilterType: "NOTIONAL", MinNotional: decimal8(mn)},
		},
	}
}

func (s *Server) serveExchangeInfo(w http.ResponseWriter, r *http.Request) {
	var out []symbolInfo
	if r.URL.Query().Get("symbol") != "" {
		m := s.symbolParam(w, r)
		if m == nil {
			return
		}
		out = append(out, m.info())
	} else {
		for _, sym := range s.order {
			out = append(out, s.markets[sym].info())
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"timezone": "UTC", "serverTime": s.clock.Now() / 1e6, "symbols": out,
	})
}

// serveKlines answers as Binance does: rows opening in [startTime,
// endTime] (ms, both inclusive), the oldest limit of them, up to the
// forming bar, with no row for an interval without trades. Without
// startTime the rows end at endTime (default now).
func (s *Server) serveKlines(w http.ResponseWriter, r *http.Request) {
	m := s.symbolParam(w, r)
	if m == nil {
		return
	}
	period, ok := binance.IntervalPeriod(r.URL.Query().Get("interval"))
	if !ok {
		badRequest(w, -1120, "Invalid interval.")
		return
	}
	limit, ok := limitParam(w, r, 500)
	if !ok {
		return
	}
	now := s.clock.Now()
	pms := period * 1000
	nowBar := now / 1e9 / period * period // the forming bar's open (s)
	end, endGiven, ok := intParam(w, r, "endTime", now/1e6)
	if !ok {
		return
	}
	start, startGiven, ok := intParam(w, r, "startTime", 0)
	if !ok {
		return
	}
	last := min(floorDiv(end, pms)*period, nowBar) // last open (s) that may be served
	var first int64
	if startGiven {
		first = ceilDiv(start, pms) * period
	} else {
		first = last - (limit-1)*period
	}
	if startGiven && endGiven && start > end {
		badRequest(w, -1023, "Start time is greater than end time.")
		return
	}
	rows := make([][]any, 0, limit)
	// Closed bars come from the tape's own bucketing, a chunk at a time
	// since empty intervals have no row.
	for a := first; a <= last && a < nowBar && int64(len(rows)) < limit; {
		b := min(a+limit*period, last+period, nowBar)
		bars := m.Tape.Bars(period, a, b, false)
		for i := 0; i < bars.Len() && int64(len(rows)) < limit; i++ {
			rows = append(rows, m.row(bars.Time[i], period, bars.Open[i], bars.High[i], bars.Low[i], bars.Close[i], bars.Volume[i]))
		}
		a = b
	}
	if int64(len(rows)) < limit && first <= nowBar && nowBar <= last {
		// The forming bar: the trades the clock has passed.
		trades := m.Tape.Trades(nowBar*1e9, now)
		if len(trades) > 0 {
			o, h, l, c, v := trades[0].Price, trades[0].Price, trades[0].Price, trades[0].Price, 0.0
			for _, t := range trades {
				h, l, c = math.Max(h, t.Price), math.Min(l, t.Price), t.Price
				v += t.Size
			}
			rows = append(rows, m.row(nowBar, period, o, h, l, c, v))
		}
	}
	writeJSON(w, http.StatusOK, rows)
}

// row is one kline in Binance's 12-field shape.
func (m *market) row(open, period int64, o, h, l, c, v float64) []any {
	var quote, takerBase, takerQuote float64
	trades := m.Tape.Trades(open*1e9, (open+period)*1e9)
	for _, t := range trades {
		quote += t.Price * t.Size
		if t.Side == feeds.Buy {
			takerBase += t.Size
			takerQuote += t.Price * t.Size
		}
	}
	return []any{
		open * 1000, decimal8(o), decimal8(h), decimal8(l), decimal8(c), decimal8(v),
		(open+period)*1000 - 1, decimal8(quote), len(trades), decimal8(takerBase), decimal8(takerQuote), "0",
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

type aggTradeRow struct {
	A     int64  `json:"a"`
	P     string `json:"p"`
	Q     string `json:"q"`
	F     int64  `json:"f"`
	L     int64  `json:"l"`
	T     int64  `json:"T"`
	Maker bool   `json:"m"`
	Best  bool   `json:"M"`
}

// serveAggTrades answers by fromId, or by a startTime..endTime window (ms,
// inclusive, at most an hour), or with the latest trades. Each tape trade
// is its own aggregate, so aggregate ids are trade ids.
func (s *Server) serveAggTrades(w http.ResponseWriter, r *http.Request) {
	m := s.symbolParam(w, r)
	if m == nil {
		return
	}
	limit, ok := limitParam(w, r, 500)
	if !ok {
		return
	}
	now := s.clock.Now()
	fromID, idGiven, ok := intParam(w, r, "fromId", 0)
	if !ok {
		return
	}
	start, startGiven, ok := intParam(w, r, "startTime", 0)
	if !ok {
		return
	}
	end, endGiven, ok := intParam(w, r, "endTime", 0)
	if !ok {
		return
	}
	var trades []feeds.Trade
	switch {
	case startGiven != endGiven && !idGiven:
		badRequest(w, -1128, "Combination of optional parameters invalid. Recommendation: 'startTime' and 'endTime' must be sent together.")
		return
	case startGiven && end-start > 3600000:
		badRequest(w, -1127, "More than 1 hours between startTime and endTime.")
		return
	case startGiven:
		trades = m.Tape.Trades(start*1e6, min((end+1)*1e6, now))
		if fromID > 0 {
			trades = slices.DeleteFunc(slices.Clone(trades), func(t feeds.Trade) bool { return t.ID < fromID })
		}
	case idGiven:
		trades = m.Tape.TradesFromID(fromID, int(limit), now)
	default:
		trades = m.Tape.Trades(now-int64(time.Hour), now)
		trades = trades[max(0, len(trades)-int(limit)):]
	}
	trades = trades[:min(len(trades), int(limit))]
	out := make([]aggTradeRow, len(trades))
	for i, t := range trades {
		out[i] = aggTradeRow{A: t.ID, P: decimal8(t.Price), Q: decimal8(t.Size), F: t.ID, L: t.ID, T: t.Time / 1e6, Maker: t.Side == feeds.Sell, Best: true}
	}
	writeJSON(w, http.StatusOK, out)
}

type tradeRow struct {
	ID           int64  `json:"id"`
	Price        string `json:"price"`
	Qty          string `json:"qty"`
	QuoteQty     string `json:"quoteQty"`
	Time         int64  `json:"time"`
	IsBuyerMaker bool   `json:"isBuyerMaker"`
	IsBestMatch  bool   `json:"isBestMatch"`
}

// serveTrades answers /api/v3/trades: the latest limit trades.
func (s *Server) serveTrades(w http.ResponseWriter, r *http.Request) {
	m := s.symbolParam(w, r)
	if m == nil {
		return
	}
	limit, ok := limitParam(w, r, 500)
	if !ok {
		return
	}
	now := s.clock.Now()
	trades := m.Tape.Trades(now-int64(time.Hour), now)
	trades = trades[max(0, len(trades)-int(limit)):]
	out := make([]tradeRow, len(trades))
	for i, t := range trades {
		out[i] = tradeRow{ID: t.ID, Price: decimal8(t.Price), Qty: decimal8(t.Size), QuoteQty: decimal8(t.Price * t.Size),
			Time: t.Time / 1e6, IsBuyerMaker: t.Side == feeds.Sell, IsBestMatch: true}
	}
	writeJSON(w, http.StatusOK, out)
}
