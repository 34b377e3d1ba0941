package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/binance/binancefake"
	"workbench/feeds/kraken/krakenfake"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

// churnScript trades on every few bars, with market and limit orders, so a
// short session has fills to audit.
const churnScript = `package main

import (
	"workbench/feeds"
	"workbench/paper"
)

var n int

func OnBar(c *paper.Context, b feeds.BarEvent) {
	n++
	switch {
	case n%4 == 1 && c.Position(b.FQME) == 0:
		c.Buy(b.FQME, 0.01)
	case n%4 == 3 && c.Position(b.FQME) > 0:
		c.LimitOrder(b.FQME, -c.Position(b.FQME), b.Bar.Close)
	case n%4 == 0:
		for _, o := range c.OpenOrders(b.FQME) {
			c.Cancel(o.ID)
		}
		if p := c.Position(b.FQME); p > 0 {
			c.Sell(b.FQME, p)
		}
	}
}
`

// exchangeFake is a running fake exchange for the CLI tests.
type exchangeFake struct {
	name, fqme, restURL, wsURL string
	trueBars                   func(from, to int64) *frames.OHLCV
	tape                       *venuefake.Tape
	close                      func()
}

// tapeT0 is the fakes' venue time at the start: 2024-01-01 00:00:30 UTC,
// half way into a minute, so the first bar is partial and must be dropped.
var tapeT0 = time.Date(2024, 1, 1, 0, 0, 30, 0, time.UTC).UnixNano()

func startExchangeFake(t *testing.T, venue string, clock *venuefake.Clock) *exchangeFake {
	t.Helper()
	start := tapeT0 - int64(time.Hour)
	switch venue {
	case "binance":
		fq := "btcusdt.spot.binance"
		tape := venuefake.NewTape(venuefake.TapeConfig{FQME: fq, Seed: 11, Start: start, Price: 42000, Tick: 0.01, Lot: 0.00001,
			MeanGap: 3 * time.Second, QuietEvery: 4})
		srv, err := binancefake.New(binancefake.Options{Markets: []binancefake.Market{{Tape: tape}}, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		return &exchangeFake{name: venue, fqme: fq, tape: tape, restURL: srv.RESTURL(), wsURL: srv.WSURL(), close: srv.Close,
			trueBars: func(from, to int64) *frames.OHLCV { return srv.TrueBars(fq, 60, from, to) }}
	case "kraken":
		fq := "btcusdt.spot.kraken"
		tape := venuefake.NewTape(venuefake.TapeConfig{FQME: fq, Seed: 12, Start: start, Price: 65000, Tick: 0.1, Lot: 0.00000001,
			MeanGap: 3 * time.Second, QuietEvery: 4})
		srv, err := krakenfake.New(krakenfake.Options{Tapes: []*venuefake.Tape{tape}, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		return &exchangeFake{name: venue, fqme: fq, tape: tape, restURL: srv.RESTURL(), wsURL: srv.WSURL(), close: srv.Close,
			trueBars: func(from, to int64) *frames.OHLCV {
				b, err := srv.TrueBars(fq, 60, from, to)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}}
	}
	t.Fatalf("no fake venue %q", venue)
	return nil
}

// lineWatcher collects a process's output and waits for lines in it.
type lineWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	n    int // lines matching the counted prefix
	pref string
	more chan struct{}
	eof  chan struct{}
}

func newLineWatcher(prefix string) *lineWatcher {
	return &lineWatcher{pref: prefix, more: make(chan struct{}, 1), eof: make(chan struct{})}
}

func (w *lineWatcher) read(r *os.File) {
	defer close(w.eof)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		w.mu.Lock()
		w.buf.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), w.pref) {
			w.n++
		}
		w.mu.Unlock()
		select {
		case w.more <- struct{}{}:
		default:
		}
	}
}

func (w *lineWatcher) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitLines waits until n counted lines came, or fails after d.
func (w *lineWatcher) waitLines(t *testing.T, n int, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for w.count() < n {
		select {
		case <-w.more:
		case <-w.eof:
			if w.count() < n {
				t.Fatalf("output ended with %d %q lines, want %d:\n%s", w.count(), w.pref, n, w)
			}
		case <-deadline:
			t.Fatalf("%d %q lines after %v, want %d; output:\n%s", w.count(), w.pref, d, n, w)
		}
	}
}

// TestPaperOnVenueIsAuditable paper trades a script as a real process on
// each fake exchange (its clock at 300×: a minute every 0.2 s), stops it
// with SIGINT, and replays it: a backtest of the same script over the
// bars the session recorded, --from its start --to its end, gives exactly
// the session's fills, and those bars are the exchange's true bars.
func TestPaperOnVenueIsAuditable(t *testing.T) {
	bin := workbenchBinary(t)
	for _, venue := range []string{"binance", "kraken"} {
		t.Run(venue, func(t *testing.T) {
			fv := startExchangeFake(t, venue, venuefake.NewClock(tapeT0, 300))
			dir := t.TempDir()
			script := filepath.Join(dir, "churn.go")
			if err := os.WriteFile(script, []byte(churnScript), 0o644); err != nil {
				t.Fatal(err)
			}
			store := filepath.Join(dir, "store")
			cmd := exec.Command(bin, "paper", script, "--fqme", fv.fqme, "--period", "1m", "--rest-url", fv.restURL, "--ws-url", fv.wsURL,
				"--store", store, "--accounts", filepath.Join(dir, "accounts"), "--taker-bps", "10", "--json")
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = pw
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pw.Close()
			w := newLineWatcher("bar ")
			go w.read(pr)
			w.waitLines(t, 30, 60*time.Second)
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("paper: %v\nstderr:\n%s", err, w)
			}
			if !strings.Contains(w.String(), "market "+fv.fqme+": tick ") {
				t.Errorf("no market info line:\n%s", w)
			}
			var sess struct {
				Start, End string
				Bars       int
				Fills      []json.RawMessage
			}
			if err := json.Unmarshal(stdout.Bytes(), &sess); err != nil {
				t.Fatalf("paper --json: %v\n%s\nstderr:\n%s", err, stdout.String(), w)
			}
			if len(sess.Fills) < 4 {
				t.Fatalf("%d fills in %d bars: want a session that trades\n%s", len(sess.Fills), sess.Bars, w)
			}
			start, err1 := time.Parse(time.RFC3339, sess.Start)
			end, err2 := time.Parse(time.RFC3339, sess.End)
			if err1 != nil || err2 != nil {
				t.Fatalf("start %q end %q", sess.Start, sess.End)
			}
			if start.Second() != 0 {
				t.Errorf("session starts at %s: want a whole minute", start)
			}

			// The recorded bars are the exchange's.
			st, err := frames.OpenStore(store)
			if err != nil {
				t.Fatal(err)
			}
			got, err := st.Read(fv.fqme, 60)
			if err != nil {
				t.Fatal(err)
			}
			want := fv.trueBars(start.Unix(), end.Unix())
			if got.Len() != want.Len() || got.Len() == 0 {
				t.Fatalf("%d bars recorded, the exchange has %d from %s to %s", got.Len(), want.Len(), start, end)
			}
			flat := 0
			for i := range want.Len() {
				if got.At(i) != want.At(i) {
					t.Fatalf("bar %d: recorded %+v, the exchange's %+v", i, got.At(i), want.At(i))
				}
				if want.Volume[i] == 0 {
					flat++
				}
			}
			if sess.Bars != got.Len() {
				t.Errorf("session traded %d bars, %d recorded", sess.Bars, got.Len())
			}
			t.Logf("%d bars (%d flat), %d fills", got.Len(), flat, len(sess.Fills))

			// The replay of the recorded bars gives the session's fills.
			tick := regexpTicks(t, w.String(), fv.fqme)
			code, out, errOut := runCLI(t, "backtest", script, "--fqme", fv.fqme, "--period", "1m", "--from", sess.Start, "--to", sess.End,
				"--store", store, "--taker-bps", "10", "--price-tick", tick[0], "--size-tick", tick[1], "--json", "-o", "")
			if code != 0 {
				t.Fatalf("backtest: exit %d: %s", code, errOut)
			}
			var bt struct {
				Start, End string
				Bars       int
				Fills      []json.RawMessage
			}
			if err := json.Unmarshal([]byte(out), &bt); err != nil {
				t.Fatal(err)
			}
			if bt.Start != sess.Start || bt.End != sess.End || bt.Bars != sess.Bars {
				t.Errorf("backtest %s..%s %d bars, session %s..%s %d bars", bt.Start, bt.End, bt.Bars, sess.Start, sess.End, sess.Bars)
			}
			if len(bt.Fills) != len(sess.Fills) {
				t.Fatalf("backtest %d fills, session %d", len(bt.Fills), len(sess.Fills))
			}
			for i := range bt.Fills {
				if !bytes.Equal(bt.Fills[i], sess.Fills[i]) {
					t.Fatalf("fill %d: backtest %s, session %s", i, bt.Fills[i], sess.Fills[i])
				}
			}
			if !strings.Contains(w.String(), "replay: workbench backtest "+script) {
				t.Errorf("no replay line:\n%s", w)
			}
		})
	}
}

// regexpTicks reads the price tick and lot paper printed for fqme.
func regexpTicks(t *testing.T, out, fqme string) [2]string {
	t.Helper()
	var tick, lot, mn string
	for _, l := range strings.Split(out, "\n") {
		if n, _ := fmt.Sscanf(l, "market "+fqme+": tick %s lot %s min notional %s", &tick, &lot, &mn); n >= 2 {
			return [2]string{tick, lot}
		}
	}
	t.Fatalf("no market line for %s:\n%s", fqme, out)
	return [2]string{}
}

// TestLiveOnVenueShowsFormingBar runs `workbench live --feed VENUE` on each
// fake exchange with its clock stopped, moves the clock so the fake sends
// the trades up to a chosen instant, and checks that the forming bar the
// window is given closes at the last of those trades, and that the
// window's chart got a new frame.
func TestLiveOnVenueShowsFormingBar(t *testing.T) {
	for _, venue := range []string{"binance", "kraken"} {
		t.Run(venue, func(t *testing.T) {
			clock := venuefake.NewClock(tapeT0, 0)
			fv := startExchangeFake(t, venue, clock)
			dir := t.TempDir()
			t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errb lockedBuffer
			done := make(chan int, 1)
			go func() {
				done <- run(ctx, []string{"live", fv.fqme, "--period", "1m", "--no-browser", "--store", filepath.Join(dir, "store"),
					"--feed", venue, "--rest-url", fv.restURL, "--ws-url", fv.wsURL}, strings.NewReader(""), &out, &errb)
			}()
			waitFor := func(what string, ok func() bool) {
				t.Helper()
				deadline := time.Now().Add(20 * time.Second)
				for !ok() {
					select {
					case code := <-done:
						t.Fatalf("live ended with %d: %s%s", code, out.String(), errb.String())
					default:
					}
					if time.Now().After(deadline) {
						t.Fatalf("no %s: %s%s", what, out.String(), errb.String())
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			waitFor("start", func() bool { return strings.Contains(out.String(), "streaming "+venue+" trades") })
			m := regexp.MustCompile(`chart window: (\S+)`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("stdout %q", out.String())
			}
			events, err := http.Get(strings.Replace(m[1], "/?", "/events?", 1))
			if err != nil {
				t.Fatal(err)
			}
			defer events.Body.Close()
			frames := make(chan string, 16)
			go func() {
				sc := bufio.NewScanner(events.Body)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "data: ") {
						frames <- sc.Text()
					}
				}
			}()
			first := <-frames // the frame the page starts with

			// Let the connection settle, then release 40 s of trades.
			time.Sleep(300 * time.Millisecond)
			to := tapeT0 + 40*int64(time.Second)
			sent := fv.tape.Trades(tapeT0, to)
			if len(sent) < 3 {
				t.Fatalf("only %d trades in the span", len(sent))
			}
			clock.Set(to)
			last := sent[len(sent)-1]
			bucket := time.Unix(0, last.Time/60e9*60e9).UTC().Format(time.RFC3339)
			want := fmt.Sprintf("forming %s %s ", fv.fqme, bucket)
			close := fmt.Sprintf(" c %g ", last.Price)
			waitFor("forming bar closing at the last trade "+close, func() bool {
				for _, l := range strings.Split(out.String(), "\n") {
					if strings.HasPrefix(l, want) && strings.Contains(l+" ", close) {
						return true
					}
				}
				return false
			})
			select {
			case f := <-frames:
				if f == first {
					t.Errorf("frame event repeats %s", f)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("the window got no new frame for the trades")
			}
			cancel()
			if code := <-done; code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
		})
	}
}

// TestVenueBarsReleaseOrder: the first, partial bucket is dropped; bars
// are released only once every market's sampler has passed their close
// (so a quiet market's bar closes from the clock alone), in order of close
// and then of the markets given; nothing is released before a trade.
func TestVenueBarsReleaseOrder(t *testing.T) {
	const a, b = "aaa.spot.test", "bbb.spot.test"
	vb, err := newVenueBars([]string{a, b}, 60, feeds.NoBar, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	const m = int64(60e9)
	t0 := int64(1_700_000_000) / 60 * m // a minute's start (ns)
	if got := vb.release(t0 + 10*m); got != nil {
		t.Fatalf("released %v before any trade", got)
	}
	// Receive times equal exchange times: no skew.
	trade := func(fq string, at int64, px float64, id int64) {
		vb.trade(feeds.Trade{FQME: fq, Time: at, Price: px, Size: 1, ID: id, Recv: at}, at)
	}
	trade(a, t0+30e9, 10, 1)  // the partial first minute
	trade(b, t0+m+5e9, 20, 1) // minute 1
	trade(a, t0+m+50e9, 11, 2)
	trade(a, t0+2*m+1e9, 12, 3) // closes a's minute 1 by trade
	if got := vb.release(t0 + 2*m + 1e9); len(got) != 0 {
		t.Fatalf("released %v within the grace after minute 1", got)
	}
	got := vb.release(t0 + 2*m + 3e9) // past the grace: b's quiet close too
	if len(got) != 2 || got[0].FQME != a || got[1].FQME != b || got[0].Bar.Time != (t0+m)/1e9 || got[1].Bar.Time != (t0+m)/1e9 ||
		got[0].Bar.Open != 11 || got[1].Bar.Close != 20 {
		t.Fatalf("released %+v: want minute 1 of a then b, the partial minute 0 dropped", got)
	}
	// b quiet in minute 2 (NoBar: no bar), a's minute 2 closes by the clock.
	got = vb.release(t0 + 3*m + 3e9)
	if len(got) != 1 || got[0].FQME != a || got[0].Bar.Close != 12 {
		t.Fatalf("released %+v: want a's minute 2 alone", got)
	}
}
