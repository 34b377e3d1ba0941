// Package binancefake is a local Binance spot server for tests and the
// demo: REST exchangeInfo, time, klines, aggTrades and trades, and the
// combined-stream websocket with live SUBSCRIBE, all answered from
// venuefake tapes on a venuefake clock, with the faults a real connection
// meets injected on demand (drops, refused reconnects, stalls, malformed,
// duplicate and out-of-order messages, 429 and 5xx). It can also replay
// real recorded Binance messages to every connection.
//
// Where the tape has no data of its own the fake derives it: the book
// (bookTicker) is one tick either side of the last trade, a kline update
// goes out with each trade and once more when its interval closes (Binance
// also sends them every second or two), and each trade is its own
// aggregate, so aggTrade ids equal trade ids.
package binancefake

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"workbench/feeds/binance"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

// Market is one symbol the server trades.
type Market struct {
	Tape *venuefake.Tape
	// Base and Quote are the assets (BTC, USDT); by default the quote is
	// the symbol's suffix among USDT, BUSD, USDC, FDUSD, BTC, ETH, BNB, EUR.
	Base, Quote string
	// MinNotional is the NOTIONAL filter's minNotional (default "5").
	MinNotional string
}

// Faults are the defects the server injects; zero values inject none.
type Faults struct {
	// DropAfter cuts every websocket connection abruptly (no close
	// frame) after this many data messages.
	DropAfter int
	// MalformedEvery sends a broken frame after every N-th data message
	// (the real message is still sent).
	MalformedEvery int
	// DuplicateEvery sends every N-th trade message twice.
	DuplicateEvery int
	// SwapEvery holds every N-th trade message back and sends it after
	// the next one (out of order).
	SwapEvery int
	// Fail429Every answers every N-th REST request with 429 and
	// Retry-After; Fail5xxEvery every N-th with 503.
	Fail429Every, Fail5xxEvery int
	// RetryAfter is the Retry-After of a 429, in seconds (default 1).
	RetryAfter int
}

// Options configure a server.
type Options struct {
	Markets []Market
	// Clock is the venue time (default: the wall clock).
	Clock  *venuefake.Clock
	Faults Faults
	// Replay is sent, in order, to every websocket connection as soon as
	// it opens (e.g. RecordedMessages), before any tape message.
	Replay [][]byte
	// Poll is how often (wall) connections look for trades the clock has
	// passed (default 5 ms).
	Poll time.Duration
	// WeightLimit is the request weight per minute before 429s (default 6000).
	WeightLimit int
	// OnTradeSent, when set, is called on the connection's writer just
	// before each trade or aggTrade frame is written, so a benchmark can
	// time the path from the socket to the bar a consumer sees.
	OnTradeSent func(symbol string, id int64)
}

type market struct {
	Market
	symbol string // BTCUSDT
	fqme   string
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	clock   *venuefake.Clock
	markets map[string]*market // by symbol
	order   []string           // symbols in Options order
	ln      net.Listener
	srv     *http.Server

	mu          sync.Mutex
	faults      Faults
	refuseUntil time.Time
	conns       map[*conn]struct{}
	weightMin   int64
	weight      int

	requests  atomic.Int64 // REST requests seen
	failed    atomic.Int64 // REST requests answered with an injected failure
	accepted  atomic.Int64 // websocket connections accepted
	wg        sync.WaitGroup
	closed    chan struct{}
	closeOnce sync.Once
	handlers  sync.WaitGroup // websocket handlers running
}

var quoteAssets = []string{"USDT", "BUSD", "USDC", "FDUSD", "BTC", "ETH", "BNB", "EUR"}

// New starts a server on 127.0.0.1 at a free port.
func New(opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = venuefake.NewClock(time.Now().UnixNano(), 1)
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Millisecond
	}
	if opts.WeightLimit <= 0 {
		opts.WeightLimit = 6000
	}
	s := &Server{opts: opts, clock: opts.Clock, markets: map[string]*market{}, faults: opts.Faults,
		conns: map[*conn]struct{}{}, closed: make(chan struct{})}
	for _, m := range opts.Markets {
		if m.Tape == nil {
			return nil, errors.New("binancefake: a market without a tape")
		}
		fq := m.Tape.Config().FQME
		sym, canon, err := binance.Symbol(fq)
		if err != nil {
			return nil, fmt.Errorf("binancefake: tape %q: %w", fq, err)
		}
		if m.Base == "" || m.Quote == "" {
			for _, q := range quoteAssets {
				if b, ok := strings.CutSuffix(sym, q); ok && b != "" {
					m.Base, m.Quote = b, q
					break
				}
			}
			if m.Base == "" {
				return nil, fmt.Errorf("binancefake: %s: set Base and Quote", sym)
			}
		}
		if m.MinNotional == "" {
			m.MinNotional = "5"
		}
		s.markets[sym] = &market{Market: m, symbol: sym, fqme: canon}
		s.order = append(s.order, sym)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("binancefake: %w", err)
	}
	s.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v3/time", s.rest(1, s.serveTime))
	mux.HandleFunc("/api/v3/exchangeInfo", s.rest(20, s.serveExchangeInfo))
	mux.HandleFunc("/api/v3/klines", s.rest(2, s.serveKlines))
	mux.HandleFunc("/api/v3/aggTrades", s.rest(2, s.serveAggTrades))
	mux.HandleFunc("/api/v3/trades", s.rest(25, s.serveTrades))
	mux.HandleFunc("/stream", s.serveWS)
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/ws/", s.serveWS)
	s.srv = &http.Server{Handler: mux}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.srv.Serve(ln)
	}()
	return s, nil
}

// RESTURL is the REST root (http://127.0.0.1:port).
func (s *Server) RESTURL() string { return "http://" + s.ln.Addr().String() }

// WSURL is the websocket root (ws://127.0.0.1:port); streams are under
// /stream and /ws as on Binance.
func (s *Server) WSURL() string { return "ws://" + s.ln.Addr().String() }

// Clock is the server's venue clock.
func (s *Server) Clock() *venuefake.Clock { return s.clock }

// Close stops the server, cutting every connection, and waits for its
// goroutines.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.closed)
		s.mu.Unlock()
		s.Drop()
		s.srv.Close()
	})
	s.wg.Wait()
	// Websocket handlers outlive http.Server.Close (their connections
	// are hijacked); Drop ended their sockets, so they end promptly.
	s.handlers.Wait()
}

// SetFaults replaces the faults injected from now on.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

func (s *Server) getFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Drop cuts every open websocket connection abruptly.
func (s *Server) Drop() {
	s.mu.Lock()
	cs := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.ws.CloseNow()
	}
}

// RefuseFor answers websocket upgrades with HTTP 503 for d (wall time).
func (s *Server) RefuseFor(d time.Duration) {
	s.mu.Lock()
	s.refuseUntil = time.Now().Add(d)
	s.mu.Unlock()
}

// Stall silences the open connections for d (wall time) with their
// sockets left open; connections made meanwhile are not stalled.
func (s *Server) Stall(d time.Duration) {
	until := time.Now().Add(d).UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.stallUntil.Store(until)
	}
}

// Accepted counts the websocket connections accepted so far.
func (s *Server) Accepted() int64 { return s.accepted.Load() }

// Requests counts the REST requests received so far (failed ones too).
func (s *Server) Requests() int64 { return s.requests.Load() }

// Failed counts the REST requests answered with an injected 429 or 5xx.
func (s *Server) Failed() int64 { return s.failed.Load() }

// Tape returns the tape of fqme (or symbol), or nil.
func (s *Server) Tape(fqme string) *venuefake.Tape {
	if m := s.market(fqme); m != nil {
		return m.Tape
	}
	return nil
}

func (s *Server) market(fqmeOrSymbol string) *market {
	if m, ok := s.markets[strings.ToUpper(fqmeOrSymbol)]; ok {
		return m
	}
	if sym, _, err := binance.Symbol(fqmeOrSymbol); err == nil {
		return s.markets[sym]
	}
	return nil
}

// TrueBars is what Binance's klines hold for the tape of fqme: its bars
// by plain bucketing, with no bar for an interval without trades.
func (s *Server) TrueBars(fqme string, period, from, to int64) *frames.OHLCV {
	m := s.market(fqme)
	if m == nil {
		return nil
	}
	return m.Tape.Bars(period, from, to, false)
}

// done reports whether the server is closing.
func (s *Server) done() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}
