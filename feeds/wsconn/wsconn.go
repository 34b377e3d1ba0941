// Package wsconn keeps a websocket to a venue alive: it dials, runs the
// venue's subscription handshake, relays every message, and when the
// connection drops, stalls (no message within a timeout) or reaches its
// maximum age, it reconnects with exponential backoff and jitter and
// subscribes again. It is piker's NoBsWs without its defects: the stall
// clock restarts on every message (piker's counter never reset), backoff
// grows instead of hammering a refusing server, and Run returns only when
// its context ends or the caller says stop, with no goroutine left behind.
//
// The websocket itself is github.com/coder/websocket.
package wsconn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Config says where to connect and how to keep the connection.
type Config struct {
	// URL is the websocket URL (ws:// or wss://).
	URL string
	// Header is sent with the handshake.
	Header http.Header
	// Subscribe runs after every (re)connect, before any message is
	// relayed: send the subscriptions and read their acknowledgements
	// with c.Read. An error closes the connection and counts as a failed
	// attempt.
	Subscribe func(ctx context.Context, c *Conn) error
	// StallTimeout: no message for this long tears the connection down
	// (default 30 s). Venues that send heartbeats keep it from firing.
	StallTimeout time.Duration
	// MaxAge reconnects a connection this old before the venue cuts it
	// (Binance closes every connection after 24 h); 0 for none.
	MaxAge time.Duration
	// Ping sends a websocket ping this often and expects the pong within
	// StallTimeout; 0 for none.
	Ping time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed attempts
	// (defaults 250 ms and 30 s). The wait doubles per consecutive failure,
	// with ±50% jitter, and starts over once a connection has delivered a
	// message: a connection that delivered and then dropped is retried
	// after MinBackoff (jittered), a MaxAge renewal at once.
	MinBackoff, MaxBackoff time.Duration
	// ReadLimit is the largest message accepted (default 16 MiB).
	ReadLimit int64
	// OnConnect is called after each successful subscription (attempt
	// counts from 1); OnDisconnect after each connection ends or an
	// attempt fails, with the reason.
	OnConnect    func(attempt int)
	OnDisconnect func(err error)
}

// Conn is one live connection, handed to Subscribe and to Run's caller
// through Send. Its methods may be called from any goroutine.
type Conn struct {
	ws *websocket.Conn
}

// Write sends one text message.
func (c *Conn) Write(ctx context.Context, msg []byte) error {
	return c.ws.Write(ctx, websocket.MessageText, msg)
}

// Read reads one message; use it only inside Subscribe (Run reads
// afterwards).
func (c *Conn) Read(ctx context.Context) ([]byte, error) {
	_, b, err := c.ws.Read(ctx)
	return b, err
}

// ErrStalled is the reason a connection was dropped for silence.
var ErrStalled = errors.New("no message within the stall timeout")

// ErrMaxAge is the reason a connection was renewed for its age.
var ErrMaxAge = errors.New("connection reached its maximum age")

// Stop, returned by Run's message handler, ends Run without an error.
var Stop = errors.New("stop")

// Client is a reconnecting websocket. Run it once; Send may be called
// while it runs (e.g. a live SUBSCRIBE), and fails while disconnected.
type Client struct {
	cfg Config

	// http dials the handshakes; its idle connections (left by refused
	// handshakes) are closed when Run ends, so none outlives it.
	http *http.Client

	mu   sync.Mutex
	conn *Conn
}

// New returns a client for cfg with defaults filled in.
func New(cfg Config) *Client {
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 30 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = 16 << 20
	}
	return &Client{cfg: cfg, http: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
}

// ErrNotConnected is returned by Send while no connection is up.
var ErrNotConnected = errors.New("websocket not connected")

// Send writes msg on the current connection.
func (cl *Client) Send(ctx context.Context, msg []byte) error {
	cl.mu.Lock()
	c := cl.conn
	cl.mu.Unlock()
	if c == nil {
		return ErrNotConnected
	}
	return c.Write(ctx, msg)
}

// Run connects and calls handle for every message, in order, from this
// goroutine, until ctx is done (nil), handle returns Stop (nil) or another
// error (returned). Connection failures never end Run: it reconnects.
func (cl *Client) Run(ctx context.Context, handle func(msg []byte) error) error {
	defer cl.http.CloseIdleConnections()
	failures := 0
	for attempt := 1; ; attempt++ {
		delivered, err := cl.session(ctx, attempt, handle)
		if ctx.Err() != nil {
			return nil
		}
		var herr *handlerError
		if errors.As(err, &herr) {
			if errors.Is(herr.err, Stop) {
				return nil
			}
			return herr.err
		}
		if cl.cfg.OnDisconnect != nil {
			cl.cfg.OnDisconnect(err)
		}
		switch {
		case errors.Is(err, ErrMaxAge):
			failures = 0
			continue // a renewal: the server is fine, reconnect at once
		case delivered:
			// The server was fine a moment ago: start the backoff over,
			// but still wait its first step, so a server that drops every
			// connection at once is not hammered.
			failures = 1
		default:
			failures++
		}
		if !sleep(ctx, cl.backoff(failures)) {
			return nil
		}
	}
}

// backoff is the wait after n consecutive failures: MinBackoff·2^(n-1)
// capped at MaxBackoff, times a uniform factor in [0.5, 1.5).
func (cl *Client) backoff(n int) time.Duration {
	d := cl.cfg.MinBackoff
	for i := 1; i < n && d < cl.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, cl.cfg.MaxBackoff)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

type handlerError struct{ err error }

func (h *handlerError) Error() string { return h.err.Error() }

// session runs one connection; delivered reports whether any message
// reached handle.
//
// Reads never carry a deadline: coder/websocket closes the socket
// abruptly when a read's context ends, which would deny the venue the
// normal closure a renewal or a shutdown owes it. A watchdog goroutine
// ends the session instead, closing the socket normally (shutdown, age)
// or at once (stall, lost pong), which ends the pending read.
func (cl *Client) session(ctx context.Context, attempt int, handle func([]byte) error) (delivered bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, cl.cfg.StallTimeout)
	ws, _, err := websocket.Dial(dctx, cl.cfg.URL, &websocket.DialOptions{HTTPHeader: cl.cfg.Header, HTTPClient: cl.http})
	cancel()
	if err != nil {
		return false, fmt.Errorf("dial %s: %w", cl.cfg.URL, err)
	}
	ws.SetReadLimit(cl.cfg.ReadLimit)
	c := &Conn{ws: ws}
	// Every way out closes the socket; CloseNow also ends a pending read.
	defer ws.CloseNow()

	sctx, cancel := context.WithTimeout(ctx, cl.cfg.StallTimeout)
	if cl.cfg.Subscribe != nil {
		err = cl.cfg.Subscribe(sctx, c)
	}
	cancel()
	if err != nil {
		return false, fmt.Errorf("subscribe on %s: %w", cl.cfg.URL, err)
	}
	cl.mu.Lock()
	cl.conn = c
	cl.mu.Unlock()
	defer func() {
		cl.mu.Lock()
		cl.conn = nil
		cl.mu.Unlock()
	}()
	if cl.cfg.OnConnect != nil {
		cl.cfg.OnConnect(attempt)
	}

	// The watchdog and the pinger live exactly as long as this session:
	// done ends them and the deferred Wait outlasts them.
	var last atomic.Int64 // unix ns of the last message
	last.Store(time.Now().UnixNano())
	reason := make(chan error, 1) // why the watchdog or pinger closed the socket; the first wins
	end := func(why error, close func()) {
		select {
		case reason <- why:
		default:
		}
		close()
	}
	normal := func(msg string) func() { return func() { ws.Close(websocket.StatusNormalClosure, msg) } }
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(done)
	wg.Add(1)
	go func() {
		defer wg.Done()
		stall := time.NewTimer(cl.cfg.StallTimeout)
		defer stall.Stop()
		var age <-chan time.Time
		if cl.cfg.MaxAge > 0 {
			t := time.NewTimer(cl.cfg.MaxAge)
			defer t.Stop()
			age = t.C
		}
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				end(ctx.Err(), normal(""))
				return
			case <-age:
				end(ErrMaxAge, normal("renewing"))
				return
			case <-stall.C:
				if idle := time.Since(time.Unix(0, last.Load())); idle < cl.cfg.StallTimeout {
					stall.Reset(cl.cfg.StallTimeout - idle)
					continue
				}
				end(fmt.Errorf("%s: %w (%v)", cl.cfg.URL, ErrStalled, cl.cfg.StallTimeout), func() { ws.CloseNow() })
				return
			}
		}
	}()
	if cl.cfg.Ping > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(cl.cfg.Ping)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					// Not ctx: a write whose context ends closes the socket
					// abruptly, which would race the watchdog's normal
					// closure at shutdown. Closing the socket ends a ping.
					pctx, cancel := context.WithTimeout(context.Background(), cl.cfg.StallTimeout)
					perr := ws.Ping(pctx)
					cancel()
					if perr != nil && ctx.Err() == nil {
						end(fmt.Errorf("%s: ping: %w", cl.cfg.URL, perr), func() { ws.CloseNow() })
						return
					}
				}
			}
		}()
	}

	for {
		_, msg, rerr := ws.Read(context.Background())
		if rerr != nil {
			select {
			case why := <-reason:
				return delivered, why
			default:
			}
			if ctx.Err() != nil {
				return delivered, ctx.Err()
			}
			return delivered, fmt.Errorf("read %s: %w", cl.cfg.URL, rerr)
		}
		last.Store(time.Now().UnixNano())
		delivered = true
		if herr := handle(msg); herr != nil {
			ws.Close(websocket.StatusNormalClosure, "")
			return delivered, &handlerError{herr}
		}
	}
}
