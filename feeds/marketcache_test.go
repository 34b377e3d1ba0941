package feeds_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/mkt"
)

func venueMarkets() []mkt.MktPair {
	d := decimal.RequireFromString
	return []mkt.MktPair{
		{Dst: mkt.Asset{Name: "btc", AType: mkt.CryptoCurrency, TxTick: d("0.00000001")},
			Src: mkt.Asset{Name: "usdt", AType: mkt.CryptoCurrency}, Venue: "spot", Broker: "binance", BSMktID: "BTCUSDT",
			PriceTick: d("0.01000000"), SizeTick: d("0.00001000"), MinNotional: d("5.00000000")},
		{Dst: mkt.Asset{Name: "shib", AType: mkt.CryptoCurrency}, Src: mkt.Asset{Name: "usdt", AType: mkt.CryptoCurrency},
			Venue: "spot", Broker: "binance", BSMktID: "SHIBUSDT",
			PriceTick: d("0.00000001"), SizeTick: d("1"), MinNotional: d("1")},
	}
}

// Saved and loaded back, every market is the same, decimals exactly, and
// the file is plain JSON with decimals as strings.
func TestMarketCacheRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache") // made on save
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := feeds.SaveMarkets(dir, "binance", at, venueMarkets()); err != nil {
		t.Fatal(err)
	}
	c, err := feeds.LoadMarkets(dir, "binance")
	if err != nil {
		t.Fatal(err)
	}
	if !c.FetchedAt.Equal(at) || len(c.Markets) != 2 {
		t.Fatalf("fetched %v, %d markets", c.FetchedAt, len(c.Markets))
	}
	for _, want := range venueMarkets() {
		got, ok := c.Lookup(want.BSFQME()) // without the broker token
		if !ok {
			t.Fatalf("%s not found", want.BSFQME())
		}
		if got.FQME() != want.FQME() || got.BSMktID != want.BSMktID || got.Dst.AType != want.Dst.AType ||
			!got.PriceTick.Equal(want.PriceTick) || !got.SizeTick.Equal(want.SizeTick) ||
			!got.MinNotional.Equal(want.MinNotional) || !got.Dst.TxTick.Equal(want.Dst.TxTick) {
			t.Errorf("%s: got %+v\nwant %+v", want.FQME(), got, want)
		}
	}
	raw, err := os.ReadFile(feeds.MarketsFile(dir, "binance"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	m0 := doc["markets"].([]any)[0].(map[string]any)
	if m0["price_tick"] != "0.01" || m0["size_tick"] != "0.00001" || m0["fqme"] != "btcusdt.spot.binance" || doc["fetched_at"] != "2026-01-02T03:04:05Z" {
		t.Errorf("file content: %s", raw)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d files in the cache folder, want only the cache", len(ents))
	}
	if err := feeds.SaveMarkets(dir, "kraken", at, venueMarkets()); err == nil {
		t.Error("binance markets saved as kraken's")
	}
}

func TestMarketCacheDamagedFileNamesTheField(t *testing.T) {
	dir := t.TempDir()
	if _, err := feeds.LoadMarkets(dir, "binance"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing cache: %v", err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := feeds.SaveMarkets(dir, "binance", at, venueMarkets()); err != nil {
		t.Fatal(err)
	}
	path := feeds.MarketsFile(dir, "binance")
	raw, _ := os.ReadFile(path)
	for _, c := range []struct{ from, to, want string }{
		{`"price_tick": "0.01"`, `"price_tick": "0.0x1"`, `market 1 (btcusdt.spot.binance): price_tick "0.0x1"`},
		{`"size_tick": "1"`, `"size_tick": "-1"`, `market 2 (shibusdt.spot.binance): size_tick "-1": negative`},
		{`"fqme": "btcusdt.spot.binance"`, `"fqme": "ethusdt.spot.binance"`, `does not match its fields`},
		{`"venue": "binance"`, `"venue": "kraken"`, `venue "kraken", want "binance"`},
	} {
		bad := strings.Replace(string(raw), c.from, c.to, 1)
		if bad == string(raw) {
			t.Fatalf("%s not in the file", c.from)
		}
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := feeds.LoadMarkets(dir, "binance")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err %v, want the path and %q", c.to, err, c.want)
		}
	}
}

// The cache answers while fresh; it is refetched when stale, when it lacks
// the market, and when damaged; a failed fetch falls back to a stale copy.
func TestCachedMarket(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	fetches := 0
	var fail error
	fetch := func(context.Context) ([]mkt.MktPair, error) {
		fetches++
		return venueMarkets(), fail
	}
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	get := func(fqme string, now time.Time) (mkt.MktPair, error) {
		return feeds.CachedMarket(ctx, dir, "binance", fqme, now, time.Hour, fetch)
	}
	steps := []struct {
		fqme    string
		at      time.Duration
		fetches int
	}{
		{"btcusdt.spot.binance", 0, 1},        // no cache
		{"BTCUSDT.spot", 30 * time.Minute, 1}, // fresh
		{"shibusdt.spot.binance", 59 * time.Minute, 1},
		{"btcusdt.spot.binance", 61 * time.Minute, 2}, // stale
		{"btcusdt.spot.binance", 90 * time.Minute, 2}, // fresh from the refetch
	}
	for _, s := range steps {
		m, err := get(s.fqme, t0.Add(s.at))
		if err != nil {
			t.Fatal(err)
		}
		if fetches != s.fetches || m.BSMktID != strings.ToUpper(strings.Split(s.fqme, ".")[0]) {
			t.Fatalf("%s at %v: %d fetches (want %d), got %s", s.fqme, s.at, fetches, s.fetches, m.BSMktID)
		}
		if !m.PriceTick.IsPositive() {
			t.Fatalf("%s: no tick", s.fqme)
		}
	}
	if _, err := get("ethusdt.spot.binance", t0.Add(91*time.Minute)); err == nil || fetches != 3 ||
		!strings.Contains(err.Error(), `no market "ethusdt.spot.binance"`) {
		t.Errorf("unknown market: err %v after %d fetches", err, fetches)
	}
	fail = errors.New("HTTP 503")
	if m, err := get("btcusdt.spot.binance", t0.Add(5*time.Hour)); err != nil || m.BSMktID != "BTCUSDT" || fetches != 4 {
		t.Errorf("stale cache while the venue fails: %v %v after %d fetches", m, err, fetches)
	}
	if _, err := feeds.CachedMarket(ctx, t.TempDir(), "binance", "btcusdt.spot", t0, time.Hour, fetch); err == nil ||
		!strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("no cache and a failing venue: %v", err)
	}
	fail = nil
	if err := os.WriteFile(feeds.MarketsFile(dir, "binance"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := get("btcusdt.spot.binance", t0.Add(5*time.Hour)); err != nil || fetches != 6 {
		t.Errorf("damaged cache: %v after %d fetches", err, fetches)
	}
	if _, err := feeds.LoadMarkets(dir, "binance"); err != nil {
		t.Errorf("damaged cache not replaced: %v", err)
	}
	n := fetches
	for i := 0; i < 2; i++ {
		if _, err := feeds.CachedMarket(ctx, "", "binance", "btcusdt.spot", t0, time.Hour, fetch); err != nil {
			t.Fatal(err)
		}
	}
	if fetches != n+2 {
		t.Errorf("without a cache folder: %d fetches for 2 lookups", fetches-n)
	}
}
