package kraken

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// APIError is an error Kraken answered a request with (its own message,
// e.g. "EQuery:Unknown asset pair"), or an HTTP failure that retrying did
// not cure.
type APIError struct {
	Method string     // e.g. "OHLC"
	Query  url.Values // the request's parameters
	Status int        // HTTP status
	Errors []string   // Kraken's error strings
}

func (e *APIError) Error() string {
	msg := strings.Join(e.Errors, "; ")
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", e.Status)
	}
	q := ""
	if len(e.Query) > 0 {
		q = " " + e.Query.Encode()
	}
	return fmt.Sprintf("kraken %s%s: %s", e.Method, q, msg)
}

// throttled reports Kraken's own rate-limit and busy errors, which are
// retried like an HTTP 429.
func throttled(errs []string) bool {
	for _, e := range errs {
		if strings.Contains(e, "Too many requests") || strings.Contains(e, "Rate limit exceeded") ||
			strings.HasPrefix(e, "EService:Unavailable") || strings.HasPrefix(e, "EService:Busy") {
			return true
		}
	}
	return false
}

type restClient struct {
	base                   string
	hc                     *http.Client
	minBackoff, maxBackoff time.Duration
	attempts               int
}

type envelope struct {
	Error  []string        `json:"error"`
	Result json.RawMessage `json:"result"`
}

// get calls /0/public/<method>?q and hands the result to decode. HTTP 429
// (honouring Retry-After), 5xx, transport errors and Kraken's throttling
// errors are retried with exponential backoff and jitter; any other error
// is returned as an *APIError naming the request.
func (c *restClient) get(ctx context.Context, method string, q url.Values, decode func(json.RawMessage) error) error {
	u := c.base + "/0/public/" + method
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var last error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		wait, err := c.once(ctx, u, method, q, decode)
		if err == nil {
			return nil
		}
		if wait < 0 || ctx.Err() != nil {
			return err
		}
		last = err
		d := c.backoff(attempt)
		if wait > d {
			d = min(wait, c.maxBackoff)
		}
		slog.Debug("kraken REST retry", "method", method, "attempt", attempt, "wait", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return fmt.Errorf("after %d attempts: %w", c.attempts, last)
}

// once makes one request; wait ≥ 0 means retry (after at least wait), < 0
// means the error is final.
func (c *restClient) once(ctx context.Context, u, method string, q url.Values, decode func(json.RawMessage) error) (wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return -1, fmt.Errorf("kraken %s: %w", method, err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("kraken %s: %w", method, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("kraken %s: reading the response: %w", method, err)
	}
	var env envelope
	jerr := json.Unmarshal(body, &env)
	apiErr := &APIError{Method: method, Query: q, Status: resp.StatusCode, Errors: env.Error}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		var ra time.Duration
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			ra = time.Duration(s) * time.Second
		}
		return ra, apiErr
	case resp.StatusCode != http.StatusOK:
		if jerr != nil || len(env.Error) == 0 {
			apiErr.Errors = []string{strings.TrimSpace(string(body))}
		}
		return -1, apiErr
	case jerr != nil:
		return -1, fmt.Errorf("kraken %s: decoding the response: %w", method, jerr)
	case len(env.Error) > 0 && throttled(env.Error):
		return 0, apiErr
	case len(env.Error) > 0:
		return -1, apiErr
	}
	if err := decode(env.Result); err != nil {
		return -1, fmt.Errorf("kraken %s %s: %w", method, q.Encode(), err)
	}
	return 0, nil
}

// backoff is minBackoff·2^(n-1) capped at maxBackoff, times [0.5, 1.5).
func (c *restClient) backoff(n int) time.Duration {
	d := c.minBackoff
	for i := 1; i < n && d < c.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.maxBackoff)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}
