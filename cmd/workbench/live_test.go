package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"workbench/frames"
	"workbench/fsp"
	"workbench/plots"
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
// that holds only one-minute bars; and its time axis is an index one unless
// --time-axis linear asks for bars at their time.
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
	for _, axis := range [][]string{nil, {"--time-axis", "linear"}} {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb lockedBuffer
		done := make(chan int, 1)
		go func() {
			args := append([]string{"live", "abcusd.spot.test", "--period", "1h", "--no-browser", "--store", store}, axis...)
			done <- run(ctx, args, strings.NewReader(""), &out, &errb)
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
		d := liveDescription(t, m[1], 0)
		cancel()
		if code := <-done; code != 0 || resp.StatusCode != 200 {
			t.Fatalf("exit %d, page %d %.300q, stderr %q", code, resp.StatusCode, page, errb.String())
		}
		if d.Period != 3600 || d.Index != (axis == nil) {
			t.Errorf("%v: a chart of period %d, index axis %v", axis, d.Period, d.Index)
		}
	}
}

// liveDescription fetches chart i's description from a live window.
func liveDescription(t *testing.T, url string, i int) *plots.ChartDescription {
	t.Helper()
	resp, err := http.Get(strings.Replace(url, "/?token=", fmt.Sprintf("/chart?chart=%d&token=", i), 1))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d plots.ChartDescription
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != 200 {
		t.Fatalf("chart %d: status %d, %v", i, resp.StatusCode, err)
	}
	return &d
}

func sameFloats(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.IsNaN(got[i]) != math.IsNaN(want[i]) || (!math.IsNaN(want[i]) && math.Abs(got[i]-want[i]) > 1e-9*math.Max(1, math.Abs(want[i]))) {
			t.Fatalf("%s: value %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}

// workbench live --ind draws the indicators on the candles and in panes
// below, and recomputes them as bars land in the store.
func TestLiveCommandIndicators(t *testing.T) {
	store, f := chartStore(t)
	url, next := liveSession(t, "btcusdt.binance", "--period", "1m", "--store", store, "--poll", "50ms", "--ind", "sma(20),rsi(14)")
	next()
	check := func(when string, closes []float64) {
		t.Helper()
		d := liveDescription(t, url, 0)
		var titles []string
		for _, p := range d.Panes {
			titles = append(titles, p.Title)
		}
		if len(d.Panes) != 3 || d.Panes[0].Series[1].Name != "sma_20" || d.Panes[2].Series[0].Name != "rsi_14" {
			t.Fatalf("%s: panes %v", when, titles)
		}
		price, rsi := d.Panes[0], d.Panes[2]
		sameFloats(t, when+": closes", price.Series[0].Close, closes)
		sameFloats(t, when+": sma(20)", price.Series[1].Values, fsp.SMA(closes, 20))
		sameFloats(t, when+": rsi(14)", rsi.Series[0].Values, fsp.RSI(closes, 14))
		if !rsi.Fixed || rsi.YMin != 0 || rsi.YMax != 100 || len(rsi.Levels) != 2 || rsi.Levels[0].Y != 30 || rsi.Levels[1].Y != 70 {
			t.Errorf("%s: rsi pane %g..%g fixed %v levels %v", when, rsi.YMin, rsi.YMax, rsi.Fixed, rsi.Levels)
		}
	}
	check("at start", f.Close)
	st, err := frames.OpenStore(store)
	if err != nil {
		t.Fatal(err)
	}
	last := f.At(f.Len() - 1)
	nb := frames.New(60, 1)
	nb.Add(last.Time+60, last.Close, last.Close+90, last.Close-1, last.Close+80, 2)
	if _, err := st.Append("btcusdt.binance", nb); err != nil {
		t.Fatal(err)
	}
	next()
	check("after a new bar", append(append([]float64(nil), f.Close...), last.Close+80))
}

// workbench live --overlay draws several markets in one pane: a market at
// half the other's prices, pinned to it, lands on it exactly.
func TestLiveCommandOverlay(t *testing.T) {
	store, f := chartStore(t)
	url, next := liveSession(t, "btcusdt.binance,half.test", "--period", "1m", "--store", store, "--overlay", "pin")
	next()
	d := liveDescription(t, url, 0)
	if len(d.Panes) != 1 || d.Panes[0].Overlay != "pin" || len(d.Panes[0].Series) != 2 {
		t.Fatalf("description %+v", d.Panes)
	}
	half := d.Panes[0].Series[1]
	drawn := make([]float64, len(half.Close))
	for i, y := range half.Close {
		drawn[i] = half.Map.Apply(y)
	}
	sameFloats(t, "half.test drawn over btcusdt.binance", drawn, f.Close)
}
