package frames

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// The store Load reads. The workbench command sets it from --store and the
// config before it runs a script or the REPL, so `frames.Load` at a prompt
// reads the store the user named.
var defaultStore struct {
	sync.Mutex
	dir string
}

// SetStoreDir makes dir the store Load and LoadRange read.
func SetStoreDir(dir string) {
	defaultStore.Lock()
	defaultStore.dir = dir
	defaultStore.Unlock()
}

// StoreDir is the store Load reads: the one set by SetStoreDir, else
// DefaultStoreDir.
func StoreDir() string {
	defaultStore.Lock()
	dir := defaultStore.dir
	defaultStore.Unlock()
	if dir != "" {
		return dir
	}
	return DefaultStoreDir()
}

// DefaultStoreDir is $WORKBENCH_STORE, else $XDG_DATA_HOME/workbench/store
// (~/.local/share when XDG_DATA_HOME is unset).
func DefaultStoreDir() string {
	if d := os.Getenv("WORKBENCH_STORE"); d != "" {
		return d
	}
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" {
		data = filepath.Join(".local", "share")
		if home, err := os.UserHomeDir(); err == nil {
			data = filepath.Join(home, data)
		}
	}
	return filepath.Join(data, "workbench", "store")
}

// Load reads a whole series from the store (StoreDir) at a period such as
// "1m", "1h" or "1d"; a period that is not stored is derived from a finer
// stored one (see Store.ReadRangeAs).
//
//	h, err := frames.Load("btcusdt.spot.binance", "1h")
func Load(fqme, period string) (*OHLCV, error) {
	return LoadRange(fqme, period, "", "")
}

// LoadRange is Load of the bars with from ≤ time < to; each bound is a time
// as ParseTime reads it, or "" for no bound.
//
//	h, err := frames.LoadRange("btcusdt.spot.binance", "1m", "2026-01-05", "2026-01-06T12:00")
func LoadRange(fqme, period, from, to string) (*OHLCV, error) {
	p, err := ParsePeriod(period)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", fqme, err)
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if from != "" {
		if lo, err = ParseTime(from); err != nil {
			return nil, fmt.Errorf("load %s from: %w", fqme, err)
		}
	}
	if to != "" {
		if hi, err = ParseTime(to); err != nil {
			return nil, fmt.Errorf("load %s to: %w", fqme, err)
		}
	}
	st, err := OpenStore(StoreDir())
	if err != nil {
		return nil, err
	}
	f, _, err := st.ReadRangeAs(fqme, p, lo, hi)
	return f, err
}

// ParseTime reads a time as people type it, as epoch seconds: RFC 3339
// ("2026-01-05T14:30:00Z", "…+01:00"), "2026-01-05T14:30:00",
// "2026-01-05T14:30" and "2026-01-05" (UTC), or epoch seconds.
func ParseTime(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("time %q: want RFC 3339, YYYY-MM-DD[THH:MM[:SS]] or epoch seconds", s)
}
