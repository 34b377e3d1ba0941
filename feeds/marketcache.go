package feeds

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"workbench/internal/atomicfile"
	"workbench/mkt"
)

// MarketCache is a venue's market info as last fetched from the exchange:
// what Venue.Market answers without a request while the cache is fresh.
type MarketCache struct {
	Venue     string
	FetchedAt time.Time
	// Markets by fqme (lower case, with the broker token).
	Markets map[string]mkt.MktPair
}

// MarketsFile is the cache file of venue in dir.
func MarketsFile(dir, venue string) string {
	return filepath.Join(dir, venue+".markets.json")
}

// Fresh reports whether the cache was fetched less than maxAge before now.
func (c *MarketCache) Fresh(now time.Time, maxAge time.Duration) bool {
	return now.Sub(c.FetchedAt) < maxAge
}

// Lookup finds fqme; the venue's broker token may be omitted.
func (c *MarketCache) Lookup(fqme string) (mkt.MktPair, bool) {
	fqme = strings.ToLower(fqme)
	if m, ok := c.Markets[fqme]; ok {
		return m, true
	}
	m, ok := c.Markets[fqme+"."+c.Venue]
	return m, ok
}

// marketsDoc is the file layout: decimals as strings so a tick of 0.00001
// stays that exact number, and the fetch time so a reader knows its age.
type marketsDoc struct {
	Venue     string       `json:"venue"`
	FetchedAt time.Time    `json:"fetched_at"`
	Markets   []marketJSON `json:"markets"`
}

type marketJSON struct {
	FQME        string `json:"fqme"`
	BSMktID     string `json:"bs_mkt_id"`
	Dst         string `json:"dst"`
	DstType     string `json:"dst_type,omitempty"`
	DstTxTick   string `json:"dst_tx_tick,omitempty"`
	Src         string `json:"src,omitempty"`
	SrcType     string `json:"src_type,omitempty"`
	SrcTxTick   string `json:"src_tx_tick,omitempty"`
	Venue       string `json:"venue,omitempty"`
	Expiry      string `json:"expiry,omitempty"`
	PriceTick   string `json:"price_tick"`
	SizeTick    string `json:"size_tick"`
	MinNotional string `json:"min_notional,omitempty"`
}

func decString(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// SaveMarkets atomically replaces venue's cache file in dir (made if
// missing) with markets fetched at fetchedAt.
func SaveMarkets(dir, venue string, fetchedAt time.Time, markets []mkt.MktPair) error {
	doc := marketsDoc{Venue: venue, FetchedAt: fetchedAt.UTC(), Markets: make([]marketJSON, 0, len(markets))}
	for _, m := range markets {
		if m.Broker != venue {
			return fmt.Errorf("market cache %s: market %s is not of venue %s", venue, m.FQME(), venue)
		}
		doc.Markets = append(doc.Markets, marketJSON{
			FQME: m.FQME(), BSMktID: m.BSMktID,
			Dst: m.Dst.Name, DstType: m.Dst.AType, DstTxTick: decString(m.Dst.TxTick),
			Src: m.Src.Name, SrcType: m.Src.AType, SrcTxTick: decString(m.Src.TxTick),
			Venue: m.Venue, Expiry: m.Expiry,
			PriceTick: m.PriceTick.String(), SizeTick: m.SizeTick.String(), MinNotional: decString(m.MinNotional),
		})
	}
	sort.Slice(doc.Markets, func(i, j int) bool { return doc.Markets[i].FQME < doc.Markets[j].FQME })
	data, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return fmt.Errorf("market cache %s: %w", venue, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("market cache %s: %w", venue, err)
	}
	return atomicfile.WriteBytes(MarketsFile(dir, venue), 0o644, append(data, '\n'))
}

// LoadMarkets reads venue's cache file in dir. A missing file gives an
// error that errors.Is(err, os.ErrNotExist); a damaged one an error naming
// the file, the market and the field.
func LoadMarkets(dir, venue string) (*MarketCache, error) {
	path := MarketsFile(dir, venue)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("market cache: %w", err)
	}
	var doc marketsDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("market cache %s: %w", path, err)
	}
	if doc.Venue != venue {
		return nil, fmt.Errorf("market cache %s: venue %q, want %q", path, doc.Venue, venue)
	}
	if doc.FetchedAt.IsZero() {
		return nil, fmt.Errorf("market cache %s: no fetched_at", path)
	}
	c := &MarketCache{Venue: venue, FetchedAt: doc.FetchedAt, Markets: make(map[string]mkt.MktPair, len(doc.Markets))}
	for i, j := range doc.Markets {
		m, err := j.pair(venue)
		if err != nil {
			return nil, fmt.Errorf("market cache %s: market %d (%s): %w", path, i+1, j.FQME, err)
		}
		c.Markets[m.FQME()] = m
	}
	return c, nil
}

func (j marketJSON) pair(venue string) (mkt.MktPair, error) {
	var err error
	dec := func(field, s string, required bool) decimal.Decimal {
		if s == "" && !required {
			return decimal.Zero
		}
		d, e := decimal.NewFromString(s)
		if e == nil && d.IsNegative() {
			e = errors.New("negative")
		}
		if e != nil && err == nil {
			err = fmt.Errorf("%s %q: %w", field, s, e)
		}
		return d
	}
	m := mkt.MktPair{
		Dst:         mkt.Asset{Name: j.Dst, AType: j.DstType, TxTick: dec("dst_tx_tick", j.DstTxTick, false)},
		Src:         mkt.Asset{Name: j.Src, AType: j.SrcType, TxTick: dec("src_tx_tick", j.SrcTxTick, false)},
		Venue:       j.Venue,
		Expiry:      j.Expiry,
		Broker:      venue,
		BSMktID:     j.BSMktID,
		PriceTick:   dec("price_tick", j.PriceTick, true),
		SizeTick:    dec("size_tick", j.SizeTick, true),
		MinNotional: dec("min_notional", j.MinNotional, false),
	}
	if err != nil {
		return mkt.MktPair{}, err
	}
	if m.FQME() != j.FQME {
		return mkt.MktPair{}, fmt.Errorf("fqme %q does not match its fields (%s)", j.FQME, m.FQME())
	}
	return m, nil
}

// CachedMarket resolves fqme from venue's cache in dir while it is younger
// than maxAge at now; otherwise, or when the cache lacks fqme, it calls
// fetch for all of the venue's markets and saves them. dir "" means no
// cache: every call fetches. When fetch fails, an older cache that knows
// fqme still answers (with a warning logged): a venue's market list
// changes rarely, and a flaky exchange should not stop a recording.
func CachedMarket(ctx context.Context, dir, venue, fqme string, now time.Time, maxAge time.Duration,
	fetch func(context.Context) ([]mkt.MktPair, error)) (mkt.MktPair, error) {
	var cached *MarketCache
	if dir != "" {
		c, err := LoadMarkets(dir, venue)
		switch {
		case err == nil:
			cached = c
			if m, ok := c.Lookup(fqme); ok && c.Fresh(now, maxAge) {
				return m, nil
			}
		case !errors.Is(err, os.ErrNotExist):
			// A damaged cache is replaced by the fetch below.
			slog.Warn("market cache unreadable; refetching", "venue", venue, "err", err)
		}
	}
	markets, err := fetch(ctx)
	if err != nil {
		if cached != nil {
			if m, ok := cached.Lookup(fqme); ok {
				slog.Warn("market info fetch failed; using the cached copy", "venue", venue, "fqme", fqme,
					"fetched_at", cached.FetchedAt, "err", err)
				return m, nil
			}
		}
		return mkt.MktPair{}, fmt.Errorf("%s markets: %w", venue, err)
	}
	fresh := &MarketCache{Venue: venue, FetchedAt: now, Markets: make(map[string]mkt.MktPair, len(markets))}
	for _, m := range markets {
		fresh.Markets[m.FQME()] = m
	}
	if dir != "" {
		if err := SaveMarkets(dir, venue, now, markets); err != nil {
			return mkt.MktPair{}, err
		}
	}
	m, ok := fresh.Lookup(fqme)
	if !ok {
		return mkt.MktPair{}, fmt.Errorf("%s: no market %q (%d markets listed)", venue, fqme, len(markets))
	}
	return m, nil
}
