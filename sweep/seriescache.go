package sweep

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"workbench/frames"
	"workbench/paper"
)

// SeriesCache keeps the series a sweep worker used most recently: a
// sweep's jobs share each of its series read-only (see Run), fetched once,
// and a worker that serves sweep after sweep does not keep every series it
// saw.
type SeriesCache struct {
	// Keep is how many series it keeps; Load fetches a series' bars by
	// the hash of its blob.
	Keep int
	Load func(ctx context.Context, hash string) (*frames.OHLCV, error)
	mu   sync.Mutex
	// used is the kept series, the most recently used last.
	used []*cachedSeries
}

type cachedSeries struct {
	key string
	s   *sharedBars
	// refs counts the jobs using the bars; a series dropped from used is
	// released when the last of them is done.
	refs    int
	dropped bool
}

// Get returns the series of blob hash with the given bar period (its bars,
// and what vouches for them; the caller sets its market), and the function
// the caller calls once it is done with the bars (and every view of them):
// until then they stay mapped, even if the cache drops them.
// Loads happen one at a time, under the lock, so that jobs wanting a
// series that is being fetched wait for it instead of fetching it too.
func (c *SeriesCache) Get(ctx context.Context, hash string, period int64) (paper.Series, func(), error) {
	key := hash + "/" + strconv.FormatInt(period, 10)
	c.mu.Lock()
	defer c.mu.Unlock()
	var e *cachedSeries
	for i, s := range c.used {
		if s.key == key {
			e = s
			c.used = append(slices.Delete(c.used, i, i+1), e)
			break
		}
	}
	if e == nil {
		b, err := c.Load(ctx, hash)
		if err != nil {
			return paper.Series{}, nil, err
		}
		b.Period = period
		s, err := share(b)
		if err != nil {
			return paper.Series{}, nil, err
		}
		e = &cachedSeries{key: key, s: s}
		c.used = append(c.used, e)
		if len(c.used) > c.Keep {
			c.used[0].drop()
			c.used = slices.Delete(c.used, 0, 1)
		}
	}
	e.refs++
	var once sync.Once
	return paper.Series{Bars: e.s.bars, Checked: e.s.checked}, func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if e.refs--; e.refs == 0 && e.dropped {
				e.s.release()
			}
		})
	}, nil
}

// drop marks e as no longer kept, and releases it if no job uses it.
func (e *cachedSeries) drop() {
	e.dropped = true
	if e.refs == 0 {
		e.s.release()
	}
}

// Close drops every series; those jobs still use go when they are done.
func (c *SeriesCache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.used {
		e.drop()
	}
	c.used = nil
}
