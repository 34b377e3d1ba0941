//go:build unix

package sweep

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"workbench/feeds"
	"workbench/frames"
	"workbench/paper"
)

// A strategy that writes to its bars in a sweep fails its jobs with an
// error saying so: guarded (a Funcs, or a type with OnBar only), naming
// it; unguarded, as "the strategy". The sma-cross jobs of the same sweep read the bars unchanged, and
// the caller's bars are never touched.
func TestRunSharesBarsReadOnly(t *testing.T) {
	want := runAll(t, testConfig(t, 1))
	for _, guarded := range []bool{true, false} {
		c := testConfig(t, 1)
		orig := c.Series[0].Bars.Clone()
		sma := c.Factory
		c.Factory = func(ctx context.Context, set []paper.Setting) (paper.Strategy, error) {
			// Every combination of fast=4 writes, before its first trade.
			if paper.FormatParam(set[0].Value) != "4" {
				return sma(ctx, set)
			}
			var s paper.Strategy = writer{}
			if paper.FormatParam(set[1].Value) == "20" {
				s = &paper.Funcs{BarFunc: writer{}.OnBar}
			}
			if guarded {
				s = Guard("writer.go", s)
			}
			return s, nil
		}
		got := runAll(t, c)
		failed := 0
		for i, r := range got {
			combo, _ := c.Job(i)
			if paper.FormatParam(c.Grid.At(combo)[0].Value) != "4" {
				if fmt.Sprint(r) != fmt.Sprint(want[i]) {
					t.Errorf("guarded %v: job %d: %v, want %v", guarded, i, r, want[i])
				}
				continue
			}
			failed++
			wantErr := "writer.go wrote to the sweep's shared bars"
			if !guarded {
				wantErr = "the strategy wrote to the sweep's shared bars"
			}
			if r.Stats != nil || !strings.Contains(r.Err, c.Describe(i)) || !strings.Contains(r.Err, wantErr) {
				t.Errorf("guarded %v: job %d: stats %v, error %q", guarded, i, r.Stats, r.Err)
			}
		}
		if failed != 4 {
			t.Fatalf("guarded %v: %d jobs of fast=4, want 4 (2 slows × 2 markets)", guarded, failed)
		}
		if digest(c.Series[0].Bars) != digest(orig) {
			t.Fatal("the caller's bars changed")
		}
	}
}

// writer is a compiled strategy that writes to its bars.
type writer struct{}

func (writer) OnBar(c *paper.Context, b feeds.BarEvent) {
	bars := c.Bars(b.FQME)
	bars.Close[bars.Len()-1] = 1
}

func digest(b *frames.OHLCV) string {
	return fmt.Sprint(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
}

// The cache unmaps a series it drops only once the last job using it is
// done; until then the job reads it whole.
func TestSeriesCacheKeepsSeriesInUse(t *testing.T) {
	src := map[string]*frames.OHLCV{"a": walk(1, 300), "b": walk(2, 200)}
	loads := 0
	c := &SeriesCache{Keep: 1, Load: func(_ context.Context, hash string) (*frames.OHLCV, error) {
		loads++
		if b, ok := src[hash]; ok {
			return b.Clone(), nil
		}
		return nil, errors.New("no such series")
	}}
	ctx := context.Background()
	a, doneA, err := c.Get(ctx, "a", 3600)
	if err != nil {
		t.Fatal(err)
	}
	b, doneB, err := c.Get(ctx, "b", 3600) // drops a, which a job holds
	if err != nil {
		t.Fatal(err)
	}
	if a.Checked == nil || b.Checked == nil {
		t.Fatal("the cache's read-only series are not vouched for: each job would check them again")
	}
	if digest(a.Bars) != digest(src["a"]) {
		t.Fatal("a dropped series changed under the job holding it")
	}
	doneA()
	doneA() // a second call does nothing
	if a.Bars.Len() != 0 {
		t.Fatalf("a dropped series no job holds is still there: %d bars", a.Bars.Len())
	}
	b2, doneB2, err := c.Get(ctx, "b", 3600)
	if err != nil || b2.Bars != b.Bars || loads != 2 {
		t.Fatalf("a kept series was loaded again (%d loads, %v)", loads, err)
	}
	doneB()
	c.Close()
	if digest(b.Bars) != digest(src["b"]) {
		t.Fatal("a closed cache's series changed under the job holding it")
	}
	doneB2()
	if b.Bars.Len() != 0 {
		t.Fatalf("a closed cache's series is still there once no job holds it: %d bars", b.Bars.Len())
	}
	if _, _, err := c.Get(ctx, "x", 60); err == nil {
		t.Fatal("a series that fails to load: no error")
	}
}

// Share puts the caller's series in read-only memory at once, and the
// sweep's jobs read those very bars: the sweep holds each series once. Its
// rows are those of a sweep of the caller's own bars; release empties them.
func TestShareHoldsEachSeriesOnce(t *testing.T) {
	want := runAll(t, testConfig(t, 2))
	c := testConfig(t, 2)
	orig := c.Series[0].Bars.Clone()
	release, err := Share(c)
	if err != nil {
		t.Fatal(err)
	}
	shared := c.Series[0].Bars
	if !inShared(uintptr(unsafe.Pointer(&shared.Close[0]))) || c.Series[0].Checked == nil || digest(shared) != digest(orig) {
		t.Fatal("Share left the series where they were, unvouched for, or changed")
	}
	var mu sync.Mutex
	var seen []*float64
	sma := c.Factory
	c.Factory = func(ctx context.Context, set []paper.Setting) (paper.Strategy, error) {
		s, err := sma(ctx, set)
		if err != nil {
			return nil, err
		}
		return &paper.Funcs{StartFunc: s.(paper.Starter).Start, BarFunc: func(pc *paper.Context, b feeds.BarEvent) {
			if b.Index == 0 && b.FQME == c.Series[0].Market.FQME() {
				mu.Lock()
				seen = append(seen, &pc.Bars(b.FQME).Close[0])
				mu.Unlock()
			}
			s.OnBar(pc, b)
		}}, nil
	}
	if got := runAll(t, c); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows of the shared series differ:\n%v\nwant\n%v", got, want)
	}
	if len(seen) != c.Grid.Len() {
		t.Fatalf("%d jobs of the first market, want %d", len(seen), c.Grid.Len())
	}
	for _, p := range seen {
		if p != &shared.Close[0] {
			t.Fatal("a job read a copy of the shared bars, not the bars Share made")
		}
	}
	release()
	if c.Series[0].Bars.Len() != 0 {
		t.Fatalf("released shared bars still hold %d bars", c.Series[0].Bars.Len())
	}
}
