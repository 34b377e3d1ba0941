package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"math/rand"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"workbench/scripts"
)

// lineWriter is a script's standard output that hands over each complete
// line as it is written.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.lines <- strings.TrimSuffix(line, "\n")
	}
}

// The live example serves its chart while it streams: the events stream
// announces new frame versions of the one chart, a frame decodes as a PNG,
// and the closing line's count and last close agree with the seeded random
// walk the script documents (120 bars of history, then one per bar
// streamed), recomputed here.
func TestLiveExample(t *testing.T) {
	out := &lineWriter{lines: make(chan string, 16)}
	var errb bytes.Buffer
	in, err := scripts.New(scripts.Options{Stdout: out, Stderr: &errb, Args: []string{"live/main.go", "2"}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- in.RunFile(context.Background(), "live/main.go") }()

	var url string
	select {
	case line := <-out.lines:
		var ok bool
		if url, ok = strings.CutPrefix(line, "live chart at "); !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("first line %q, want the chart's loopback address", line)
		}
	case err := <-done:
		t.Fatalf("the example ended before serving: %v\n%s", err, errb.String())
	case <-time.After(time.Minute):
		t.Fatal("no address printed within a minute")
	}
	token := url[strings.Index(url, "?token="):]
	base := url[:strings.Index(url, "/?token=")]
	resp, err := http.Get(base + "/events" + token)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var versions []uint64
	events := bufio.NewScanner(resp.Body)
	for len(versions) < 3 && events.Scan() {
		d, ok := strings.CutPrefix(events.Text(), "data: ")
		if !ok {
			continue
		}
		var m struct {
			Chart   int
			Version uint64
		}
		if err := json.Unmarshal([]byte(d), &m); err != nil || m.Chart != 0 {
			t.Fatalf("event %q: %v", d, err)
		}
		if n := len(versions); n > 0 && m.Version <= versions[n-1] {
			t.Fatalf("frame versions %v then %d: not increasing", versions, m.Version)
		}
		versions = append(versions, m.Version)
	}
	if len(versions) < 3 {
		t.Fatalf("only %d frame events while bars streamed", len(versions))
	}
	frame, err := http.Get(base + "/frame" + token + "&chart=0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(frame.Body); err != nil || frame.StatusCode != http.StatusOK {
		t.Errorf("frame: status %d, %v", frame.StatusCode, err)
	}
	frame.Body.Close()
	if bare, err := http.Get(base + "/events"); err != nil || bare.StatusCode != http.StatusForbidden {
		t.Errorf("events without the token: %v %v", bare, err)
	} else {
		bare.Body.Close()
	}

	if err := <-done; err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	var last string
	select {
	case last = <-out.lines:
	default:
		t.Fatal("no closing line")
	}
	m := regexp.MustCompile(`^streamed (\d+) bars; last close (\S+)$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("closing line %q", last)
	}
	n, _ := strconv.Atoi(m[1])
	if n < 5 || n > 40 || int(versions[len(versions)-1]) > n+1 {
		t.Errorf("%d bars streamed in 2 s at 10 a second; frame version %d", n, versions[len(versions)-1])
	}
	r := rand.New(rand.NewSource(1))
	price := 100.0
	for i := 0; i < 120+n; i++ {
		price = math.Max(1, price*math.Exp(r.NormFloat64()*0.002))
		r.Float64()
		r.Float64()
		r.Intn(50)
	}
	if want := fmt.Sprintf("%.2f", price); m[2] != want {
		t.Errorf("last close %s after %d bars, the seeded walk gives %s", m[2], n, want)
	}
}
