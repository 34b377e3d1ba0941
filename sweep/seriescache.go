package sweep

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"workbench/frames"
)

// SeriesCache keeps the series a sweep worker used most recently: a
// sweep's jobs share each of its series read-only, fetched once, and a
// worker that serves sweep after sweep does not keep every series it saw.
type SeriesCache struct {
	// Keep is how many series it keeps; Load fetches a series' bars by
	// the hash of its blob.
	Keep int
	Load func(ctx context.Context, hash string) (*frames.OHLCV, error)
	mu   sync.Mutex
	// used is the kept series, the most recently used last.
	used []cachedSeries
}

type cachedSeries struct {
	key  string
	bars *frames.OHLCV
}

// Get returns the series of blob hash with the given bar period. Loads
// happen one at a time, under the lock, so that jobs wanting a series
// that is being fetched wait for it instead of fetching it too.
func (c *SeriesCache) Get(ctx context.Context, hash string, period int64) (*frames.OHLCV, error) {
	key := hash + "/" + strconv.FormatInt(period, 10)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range c.used {
		if s.key == key {
			c.used = append(append(c.used[:i:i], c.used[i+1:]...), s)
			return s.bars, nil
		}
	}
	b, err := c.Load(ctx, hash)
	if err != nil {
		return nil, err
	}
	b.Period = period
	c.used = append(c.used, cachedSeries{key, b})
	if len(c.used) > c.Keep {
		c.used = slices.Delete(c.used, 0, 1)
	}
	return b, nil
}
