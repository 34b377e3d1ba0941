package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"workbench/frames"
)

// lockedBuffer is a bytes.Buffer a command writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// live resamples as every other command does: hourly bars from a store
// that holds only one-minute bars.
func TestLiveDerivesPeriod(t *testing.T) {
	store := t.TempDir()
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	f := frames.New(60, 0)
	for i := int64(0); i < 180; i++ {
		f.Add(1_700_000_040+i*60, 100, 101, 99, 100.5, 1)
	}
	if err := st.Write("abcusd.spot.test", f); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"live", "abcusd.spot.test", "--period", "1h", "--no-browser", "--store", store}, strings.NewReader(""), &out, &errb)
	}()
	urlRE := regexp.MustCompile(`chart window: (\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "watching") {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("live ended with %d: %s%s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("live did not start: %s%s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := urlRE.FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "new 1h bars") {
		cancel()
		t.Fatalf("stdout %q", out.String())
	}
	resp, err := http.Get(m[1])
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	if code := <-done; code != 0 || resp.StatusCode != 200 {
		t.Fatalf("exit %d, page %d %.300q, stderr %q", code, resp.StatusCode, page, errb.String())
	}
}
