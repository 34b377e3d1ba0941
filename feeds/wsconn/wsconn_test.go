package wsconn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// script is what the test server does on one connection after the
// subscription handshake: send msgs messages every gap, then drop the
// socket abruptly, fall silent with it open, or close it normally.
type script struct {
	msgs int // -1: forever
	gap  time.Duration
	then string // "drop", "silent" or "close"
	// deaf: never read after the handshake, so pings go unanswered.
	deaf bool
}

// server is a real websocket server (coder/websocket on httptest) that
// expects "sub <topic>" as the first message of every connection, answers
// "ack <topic>", then runs the connection's script. It can refuse
// handshakes (HTTP 503) for a while.
type server struct {
	t       *testing.T
	srv     *httptest.Server
	ctx     context.Context
	stop    context.CancelFunc
	scripts func(n int) script

	mu       sync.Mutex
	refuse   bool
	attempts []time.Time // every handshake request, refused or not
	subs     []string    // the subscription each accepted connection got
	got      []string    // messages the client sent after subscribing
	closes   []websocket.StatusCode
}

func newServer(t *testing.T, scripts func(n int) script) *server {
	s := &server{t: t, scripts: scripts}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	// Handlers end when ctx does; Close then waits for them.
	t.Cleanup(func() { s.stop(); s.srv.Close() })
	return s
}

func (s *server) url() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

func (s *server) setRefuse(b bool) { s.mu.Lock(); s.refuse = b; s.mu.Unlock() }

func (s *server) snapshot() (attempts []time.Time, subs, got []string, closes []websocket.StatusCode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.attempts...), append([]string(nil), s.subs...),
		append([]string(nil), s.got...), append([]websocket.StatusCode(nil), s.closes...)
}

func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.attempts = append(s.attempts, time.Now())
	refuse := s.refuse
	s.mu.Unlock()
	if refuse {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	_, sub, err := c.Read(ctx)
	cancel()
	if err != nil {
		return
	}
	topic, ok := strings.CutPrefix(string(sub), "sub ")
	s.mu.Lock()
	s.subs = append(s.subs, string(sub))
	n := len(s.subs)
	s.mu.Unlock()
	if !ok || c.Write(s.ctx, websocket.MessageText, []byte("ack "+topic)) != nil {
		return
	}
	sc := s.scripts(n)
	// A reader answers pings and sees the client's close or later messages.
	gone := make(chan struct{})
	if sc.deaf {
		// The socket's end still shows, but no frame is read.
		go func() { <-s.ctx.Done(); c.CloseNow(); close(gone) }()
	} else {
		go s.read(c, gone)
	}
	s.run(c, n, sc, gone)
}

func (s *server) read(c *websocket.Conn, gone chan struct{}) {
	defer close(gone)
	for {
		_, msg, err := c.Read(s.ctx)
		s.mu.Lock()
		if err != nil {
			s.closes = append(s.closes, websocket.CloseStatus(err))
			s.mu.Unlock()
			return
		}
		s.got = append(s.got, string(msg))
		s.mu.Unlock()
	}
}

func (s *server) run(c *websocket.Conn, n int, sc script, gone chan struct{}) {
	for i := 0; sc.msgs < 0 || i < sc.msgs; i++ {
		if i > 0 {
			select {
			case <-time.After(sc.gap):
			case <-gone:
				return
			case <-s.ctx.Done():
				return
			}
		}
		if c.Write(s.ctx, websocket.MessageText, []byte(fmt.Sprintf("c%d m%d", n, i))) != nil {
			<-gone
			return
		}
	}
	switch sc.then {
	case "drop":
		c.CloseNow()
	case "close":
		c.Close(websocket.StatusGoingAway, "bye")
	}
	select {
	case <-gone:
	case <-s.ctx.Done():
		c.CloseNow()
		<-gone
	}
}

// subscribe is the venue handshake the client runs after every connect.
func subscribe(runs *int, mu *sync.Mutex) func(ctx context.Context, c *Conn) error {
	return func(ctx context.Context, c *Conn) error {
		mu.Lock()
		*runs++
		mu.Unlock()
		if err := c.Write(ctx, []byte("sub trades")); err != nil {
			return err
		}
		ack, err := c.Read(ctx)
		if err != nil {
			return err
		}
		if string(ack) != "ack trades" {
			return fmt.Errorf("subscription refused: %s", ack)
		}
		return nil
	}
}

// noLeak fails the test if goroutines started during it are still running
// at its end (after the test server is closed). Register it first: cleanups
// run last-in first-out.
func noLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Errorf("%d goroutines left behind (%d before):\n%s", runtime.NumGoroutine()-before, before, buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// runClient runs cl until handle stops it or the guard expires (a hang is
// a failure, not a wait).
func runClient(t *testing.T, cl *Client, handle func([]byte) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := cl.Run(ctx, handle)
	if ctx.Err() != nil {
		t.Fatal("Run did not finish: the guard timeout ended it")
	}
	return err
}

type events struct {
	mu       sync.Mutex
	subRuns  int
	connects []int
	discon   []error
}

func (e *events) config(url string) Config {
	return Config{
		URL:          url,
		Subscribe:    subscribe(&e.subRuns, &e.mu),
		OnConnect:    func(a int) { e.mu.Lock(); e.connects = append(e.connects, a); e.mu.Unlock() },
		OnDisconnect: func(err error) { e.mu.Lock(); e.discon = append(e.discon, err); e.mu.Unlock() },
	}
}

// A silent connection is torn down after StallTimeout and replaced; the
// subscription is sent again on every connection.
func TestStallReconnectsAndResubscribes(t *testing.T) {
	noLeak(t)
	srv := newServer(t, func(n int) script {
		if n <= 2 {
			return script{msgs: 1, then: "silent"}
		}
		return script{msgs: -1, gap: 5 * time.Millisecond}
	})
	var ev events
	cfg := ev.config(srv.url())
	cfg.StallTimeout = 300 * time.Millisecond
	cfg.MinBackoff, cfg.MaxBackoff = 10*time.Millisecond, 50*time.Millisecond
	var got []string
	err := runClient(t, New(cfg), func(m []byte) error {
		got = append(got, string(m))
		if len(got) == 5 {
			return Stop
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"c1 m0", "c2 m0", "c3 m0", "c3 m1", "c3 m2"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("messages %v, want %v", got, want)
	}
	_, subs, _, _ := srv.snapshot()
	if len(subs) != 3 || ev.subRuns != 3 || strings.Join(subs, ",") != "sub trades,sub trades,sub trades" {
		t.Errorf("subscriptions seen by the server %v, hook runs %d, want 3 each", subs, ev.subRuns)
	}
	if len(ev.discon) != 2 || !errors.Is(ev.discon[0], ErrStalled) || !errors.Is(ev.discon[1], ErrStalled) {
		t.Errorf("disconnects %v, want two stalls", ev.discon)
	}
	if fmt.Sprint(ev.connects) != "[1 2 3]" {
		t.Errorf("connect attempts %v", ev.connects)
	}
}

// Dropped connections are replaced; every message of every connection
// reaches the handler in order.
func TestDropReconnectsAndResubscribes(t *testing.T) {
	noLeak(t)
	srv := newServer(t, func(n int) script { return script{msgs: 3, gap: time.Millisecond, then: "drop"} })
	var ev events
	cfg := ev.config(srv.url())
	cfg.MinBackoff = 10 * time.Millisecond
	var got []string
	if err := runClient(t, New(cfg), func(m []byte) error {
		got = append(got, string(m))
		if len(got) == 9 {
			return Stop
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := "c1 m0,c1 m1,c1 m2,c2 m0,c2 m1,c2 m2,c3 m0,c3 m1,c3 m2"; strings.Join(got, ",") != want {
		t.Errorf("messages %v", got)
	}
	if ev.subRuns != 3 || len(ev.discon) != 2 {
		t.Errorf("%d subscriptions, %d disconnects", ev.subRuns, len(ev.discon))
	}
}

// The wait between refused attempts is MinBackoff·2^(n-1), capped, with
// jitter; after a connection delivers, it starts from MinBackoff again.
func TestBackoffWhileRefusedAndResetAfterSuccess(t *testing.T) {
	noLeak(t)
	srv := newServer(t, func(n int) script { return script{msgs: 1, then: "drop"} })
	srv.setRefuse(true)
	var ev events
	cfg := ev.config(srv.url())
	minB, maxB := 40*time.Millisecond, 1280*time.Millisecond
	cfg.MinBackoff, cfg.MaxBackoff = minB, maxB
	refusing := 2 * time.Second
	time.AfterFunc(refusing, func() { srv.setRefuse(false) })
	start := time.Now()
	n := 0
	if err := runClient(t, New(cfg), func([]byte) error {
		n++
		if n == 1 {
			// Refuse again: the next attempt comes after MinBackoff, not
			// after the wait the refusals had built up.
			srv.setRefuse(true)
			time.AfterFunc(500*time.Millisecond, func() { srv.setRefuse(false) })
			return nil
		}
		return Stop
	}); err != nil {
		t.Fatal(err)
	}
	attempts, _, _, _ := srv.snapshot()
	var refused []time.Time
	for _, a := range attempts {
		if a.Sub(start) < refusing {
			refused = append(refused, a)
		}
	}
	// Nominal waits 40, 80, 160, 320, 640, 1280 ms put 6 attempts in 2 s;
	// jitter of ±50% allows 6 to 8. Without backoff it would be hundreds.
	if len(refused) < 4 || len(refused) > 12 {
		t.Errorf("%d attempts while refused for %v", len(refused), refusing)
	}
	for i := 1; i < len(refused); i++ {
		nominal := min(minB<<(i-1), maxB)
		if gap := refused[i].Sub(refused[i-1]); gap < nominal/2 {
			t.Errorf("attempt %d came %v after the previous, under half the nominal %v", i+1, gap, nominal)
		}
	}
	// The connection after the refusals delivered one message and dropped;
	// the first retry after that is a fresh MinBackoff (≤ 60 ms with
	// jitter), where the built-up wait would be ≥ 640 ms.
	var after []time.Time
	for _, a := range attempts {
		if a.Sub(start) >= refusing {
			after = append(after, a)
		}
	}
	if len(after) < 3 {
		t.Fatalf("%d attempts after the refusals", len(after))
	}
	if gap := after[1].Sub(after[0]); gap > 400*time.Millisecond {
		t.Errorf("first retry after a successful connection came after %v: backoff not reset", gap)
	}
}

func TestBackoffJitterRange(t *testing.T) {
	cl := New(Config{URL: "ws://127.0.0.1:1", MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	for n, nominal := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second} {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for i := 0; i < 2000; i++ {
			d := cl.backoff(n)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < nominal/2 || hi >= nominal*3/2 || lo > nominal*6/10 || hi < nominal*14/10 {
			t.Errorf("failures %d: waits in [%v, %v], want spread over [%v, %v)", n, lo, hi, nominal/2, nominal*3/2)
		}
	}
}

// A connection reaching MaxAge is closed normally and replaced at once,
// while messages flow.
func TestMaxAgeRenews(t *testing.T) {
	noLeak(t)
	srv := newServer(t, func(n int) script { return script{msgs: -1, gap: 10 * time.Millisecond} })
	var ev events
	cfg := ev.config(srv.url())
	cfg.MaxAge = 250 * time.Millisecond
	cfg.MinBackoff = time.Second // renewal must not wait for it
	conns := map[string]bool{}
	if err := runClient(t, New(cfg), func(m []byte) error {
		conns[strings.Fields(string(m))[0]] = true
		if len(conns) == 3 {
			return Stop
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ev.discon) != 2 || !errors.Is(ev.discon[0], ErrMaxAge) || !errors.Is(ev.discon[1], ErrMaxAge) {
		t.Errorf("disconnects %v, want two renewals", ev.discon)
	}
	srv.stop()
	time.Sleep(50 * time.Millisecond)
	_, _, _, closes := srv.snapshot()
	if len(closes) < 2 || closes[0] != websocket.StatusNormalClosure || closes[1] != websocket.StatusNormalClosure {
		t.Errorf("server saw close codes %v, want normal closures for the renewals", closes)
	}
}

// Cancelling the context ends Run with nil, connected or waiting to retry,
// and closes the socket normally.
func TestShutdownByContext(t *testing.T) {
	noLeak(t)
	srv := newServer(t, func(n int) script { return script{msgs: -1, gap: 5 * time.Millisecond} })
	for _, refuse := range []bool{false, true} {
		srv.setRefuse(refuse)
		var ev events
		cfg := ev.config(srv.url())
		cfg.MinBackoff = time.Hour
		cfg.Ping = 20 * time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		cl := New(cfg)
		go func() { done <- cl.Run(ctx, func([]byte) error { return nil }) }()
		time.Sleep(200 * time.Millisecond)
		if !refuse {
			if err := cl.Send(ctx, []byte("hello")); err != nil {
				t.Errorf("send while connected: %v", err)
			}
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("refuse %v: Run returned %v", refuse, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("refuse %v: Run did not return after cancel", refuse)
		}
		if err := cl.Send(context.Background(), []byte("late")); !errors.Is(err, ErrNotConnected) {
			t.Errorf("send after Run: %v", err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	_, _, got, closes := srv.snapshot()
	if strings.Join(got, ",") != "hello" {
		t.Errorf("server got %v from Send", got)
	}
	if len(closes) != 1 || closes[0] != websocket.StatusNormalClosure {
		t.Errorf("server saw close codes %v, want one normal closure", closes)
	}
}

// A handler error ends Run with that error, after closing the socket.
func TestHandlerErrorEndsRun(t *testing.T) {
	noLeak(t)
	srv := newServer(t, func(n int) script { return script{msgs: -1, gap: 5 * time.Millisecond} })
	var ev events
	boom := errors.New("disk full")
	err := runClient(t, New(ev.config(srv.url())), func([]byte) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("Run returned %v", err)
	}
}

// A subscription the server refuses counts as a failed attempt: the
// client backs off and subscribes again on the next connection.
func TestSubscribeFailureBacksOff(t *testing.T) {
	noLeak(t)
	srv := newServer(t, func(n int) script { return script{msgs: -1, gap: 5 * time.Millisecond} })
	var ev events
	cfg := ev.config(srv.url())
	cfg.MinBackoff = 20 * time.Millisecond
	calls := 0
	cfg.Subscribe = func(ctx context.Context, c *Conn) error {
		calls++
		if calls <= 2 {
			return errors.New("symbol unknown")
		}
		return subscribe(&ev.subRuns, &ev.mu)(ctx, c)
	}
	if err := runClient(t, New(cfg), func([]byte) error { return Stop }); err != nil {
		t.Fatal(err)
	}
	if calls != 3 || len(ev.discon) != 2 || !strings.Contains(ev.discon[0].Error(), "symbol unknown") {
		t.Errorf("%d subscribe calls, disconnects %v", calls, ev.discon)
	}
}

// A peer that keeps sending but no longer answers pings is dropped once a
// pong is StallTimeout late, though messages still arrive.
func TestUnansweredPingReconnects(t *testing.T) {
	noLeak(t)
	srv := newServer(t, func(n int) script {
		return script{msgs: -1, gap: 5 * time.Millisecond, deaf: n == 1}
	})
	var ev events
	cfg := ev.config(srv.url())
	cfg.Ping, cfg.StallTimeout = 30*time.Millisecond, 300*time.Millisecond
	cfg.MinBackoff = 10 * time.Millisecond
	if err := runClient(t, New(cfg), func(m []byte) error {
		if strings.HasPrefix(string(m), "c2 ") {
			return Stop
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ev.discon) != 1 || !strings.Contains(ev.discon[0].Error(), "ping") {
		t.Errorf("disconnects %v, want one for the lost pong", ev.discon)
	}
}
