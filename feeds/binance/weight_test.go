package binance

import (
	"net/http"
	"testing"
	"time"
)

func TestWeightPause(t *testing.T) {
	now := time.Date(2024, 1, 1, 12, 30, 45, 0, time.UTC)
	for _, c := range []struct {
		used int
		want time.Duration
	}{{0, 0}, {5399, 0}, {5400, 15 * time.Second}, {6000, 15 * time.Second}, {7000, 15 * time.Second}} {
		if got := weightPause(c.used, 6000, now); got != c.want {
			t.Errorf("used %d: pause %v, want %v", c.used, got, c.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for v, want := range map[string]time.Duration{"": -1, "0": 0, "3": 3 * time.Second, "x": -1, "-2": -1} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		d, ok := retryAfter(h)
		if (want < 0) == ok || (ok && d != want) {
			t.Errorf("Retry-After %q: %v %v", v, d, ok)
		}
	}
}
