package kraken

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/feeds/kraken/krakenfake"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

const (
	testTick = 0.1
	testLot  = 0.00001
)

// fakeAt starts a krakenfake whose clock stands at now (epoch s) and runs
// at speed, with a BTC/USDT tape from three days earlier (one minute in
// five without trades, so flat bars are exercised) and an ETH/USDT one.
func fakeAt(t *testing.T, now int64, speed float64, meanGap time.Duration, opts krakenfake.Options) (*krakenfake.Server, *Venue) {
	t.Helper()
	opts.Clock = venuefake.NewClock(now*1e9, speed)
	opts.Tapes = testTapes(now, meanGap)
	srv, err := krakenfake.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	v := New(feeds.VenueConfig{RESTURL: srv.RESTURL(), WSURL: srv.WSURL()},
		Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, StallTimeout: 1500 * time.Millisecond})
	return srv, v
}

// sameBars compares bar series at the market's decimals (prices 1, sizes
// 8), the precision Kraken writes them with. One-minute ranges must hold
// a flat bar (the tapes have quiet minutes).
func sameBars(t *testing.T, got, want *frames.OHLCV) {
	t.Helper()
	f := func(x float64, d int) string { return strconv.FormatFloat(x, 'f', d, 64) }
	if got.Len() != want.Len() {
		t.Fatalf("%d bars, want %d (got %v…, want %v…)", got.Len(), want.Len(), got.Rows(0, min(3, got.Len())), want.Rows(0, min(3, want.Len())))
	}
	flat := 0
	for i := range want.Len() {
		g, w := got.At(i), want.At(i)
		if g.Time != w.Time || f(g.Open, 1) != f(w.Open, 1) || f(g.High, 1) != f(w.High, 1) || f(g.Low, 1) != f(w.Low, 1) ||
			f(g.Close, 1) != f(w.Close, 1) || f(g.Volume, 8) != f(w.Volume, 8) {
			t.Fatalf("bar %d: %+v, want %+v", i, g, w)
		}
		if w.Volume == 0 {
			flat++
		}
	}
	if want.Period == 60 && flat == 0 {
		t.Errorf("no flat bar in the range: the flat-bar rule went unchecked")
	}
}

// testTapes are the fake's markets, made afresh (tapes are deterministic)
// for tests to compare with. They start three days before now, or one
// hour before with trades less than a second apart.
func testTapes(now int64, meanGap time.Duration) []*venuefake.Tape {
	start := (now - 3*86400) * 1e9
	if meanGap > 0 && meanGap < time.Second {
		start = (now - 3600) * 1e9
	}
	return []*venuefake.Tape{
		venuefake.NewTape(venuefake.TapeConfig{FQME: "btcusdt.spot.kraken", Seed: 7, Start: start, Price: 65000, Tick: testTick, Lot: testLot, MeanGap: meanGap, QuietEvery: 5}),
		venuefake.NewTape(venuefake.TapeConfig{FQME: "ethusdt.spot.kraken", Seed: 8, Start: start, Price: 3000, Tick: 0.01, Lot: 0.0001, MeanGap: meanGap}),
	}
}

func collect(t *testing.T, v *Venue, fqme string, period, from, to int64) (*frames.OHLCV, int) {
	t.Helper()
	out := frames.New(period, 0)
	pages := 0
	err := v.Bars(context.Background(), fqme, period, from, to, func(p *frames.OHLCV) error {
		pages++
		for i := range p.Len() {
			b := p.At(i)
			if out.Len() > 0 && b.Time <= out.Time[out.Len()-1] {
				t.Fatalf("page %d: bar %d not after %d", pages, b.Time, out.Time[out.Len()-1])
			}
			out.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, pages
}

const testNow = 1_760_000_000 // a fixed venue instant, 00:53:20 UTC

func TestBarsFromOHLCWindow(t *testing.T) {
	srv, v := fakeAt(t, testNow, 0, 0, krakenfake.Options{})
	if _, err := v.Market(context.Background(), "btcusdt.spot.kraken"); err != nil {
		t.Fatal(err)
	}
	forming := int64(testNow) / 60 * 60
	for _, c := range []struct {
		name     string
		period   int64
		from, to int64
	}{
		{"1m window", 60, forming - 700*60, forming - 10*60},
		{"1m up to the forming bar", 60, forming - 30*60, forming + 600},
		{"5m window", 300, forming/300*300 - 600*300, forming/300*300 - 300},
		{"15m", 900, forming/900*900 - 200*900, forming / 900 * 900},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := srv.RESTRequests()
			got, pages := collect(t, v, "btcusdt.spot.kraken", c.period, c.from, c.to)
			want, err := srv.TrueBars("btcusdt.spot.kraken", c.period, c.from, min(c.to, forming/c.period*c.period))
			if err != nil {
				t.Fatal(err)
			}
			sameBars(t, got, want)
			if n := srv.RESTRequests() - before; pages != 1 || n != 1 {
				t.Errorf("%d pages from %d requests, want one OHLC request", pages, n)
			}
			if last := got.Time[got.Len()-1]; last >= forming/c.period*c.period {
				t.Errorf("the forming bar %d was returned", last)
			}
		})
	}
}

// TestBarsOlderThanWindowFromTrades, on a stopped clock and one running
// 50× the wall clock (moving the OHLC window while the pages are fetched).
func TestBarsOlderThanWindowFromTrades(t *testing.T) {
	for _, speed := range []float64{0, 50} {
		t.Run(fmt.Sprintf("%gx", speed), func(t *testing.T) { barsOlderThanWindow(t, speed) })
	}
}

func barsOlderThanWindow(t *testing.T, speed float64) {
	srv, v := fakeAt(t, testNow, speed, 0, krakenfake.Options{})
	forming := int64(testNow) / 60 * 60
	from, to := forming-1000*60, forming-650*60 // straddles the window's start (720 bars back)
	got, pages := collect(t, v, "btcusdt.spot.kraken", 60, from, to)
	want, _ := srv.TrueBars("btcusdt.spot.kraken", 60, from, to)
	sameBars(t, got, want)
	if pages < 3 {
		t.Errorf("%d pages: want the Trades pages and the OHLC one", pages)
	}
	// A range entirely before the window: only trades.
	from, to = forming-2000*60, forming-1900*60
	got, _ = collect(t, v, "btcusdt.spot.kraken", 60, from, to)
	want, _ = srv.TrueBars("btcusdt.spot.kraken", 60, from, to)
	sameBars(t, got, want)
	// 5-minute bars the same way.
	from, to = forming/300*300-900*300, forming/300*300-700*300
	got, _ = collect(t, v, "btcusdt.spot.kraken", 300, from, to)
	want, _ = srv.TrueBars("btcusdt.spot.kraken", 300, from, to)
	sameBars(t, got, want)
}

func TestTradesPaged(t *testing.T) {
	_, v := fakeAt(t, testNow, 0, 0, krakenfake.Options{})
	from, to := int64(testNow-7200)*1e9, int64(testNow-600)*1e9
	var got []feeds.Trade
	pages := 0
	err := v.Trades(context.Background(), "xbtusdt.spot.kraken", from, to, func(ts []feeds.Trade) error {
		pages++
		got = append(got, ts...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := testTapes(testNow, 0)[0].Trades(from, to)
	if len(got) != len(want) || pages < 3 {
		t.Fatalf("%d trades in %d pages, want %d in several", len(got), pages, len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Time != w.Time || g.Side != w.Side || g.FQME != w.FQME ||
			strconv.FormatFloat(g.Price, 'f', 1, 64) != strconv.FormatFloat(w.Price, 'f', 1, 64) ||
			strconv.FormatFloat(g.Size, 'f', 8, 64) != strconv.FormatFloat(w.Size, 'f', 8, 64) {
			t.Fatalf("trade %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestMarket(t *testing.T) {
	_, v := fakeAt(t, testNow, 0, 0, krakenfake.Options{})
	ctx := context.Background()
	a, err := v.Market(ctx, "btcusdt.spot.kraken")
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Market(ctx, "xbtusdt.spot.kraken")
	if err != nil {
		t.Fatal(err)
	}
	if a.FQME() != "btcusdt.spot.kraken" || b.FQME() != a.FQME() || a.BSMktID != "XBTUSDT" ||
		a.PriceTick.String() != "0.1" || a.SizeTick.String() != "0.00001" || !a.MinNotional.Equal(decimal.RequireFromString("0.5")) {
		t.Errorf("market %+v / %+v", a, b)
	}
	if _, err := v.Market(ctx, "dogeusdt.spot.kraken"); err == nil || !strings.Contains(err.Error(), "dogeusdt") {
		t.Errorf("unknown market: %v", err)
	}
	if _, err := v.Market(ctx, "btcusdt.spot.binance"); err == nil {
		t.Errorf("another venue's market accepted")
	}
}

func TestRESTRetriesAndErrors(t *testing.T) {
	// AssetPairs, then OHLC, each through throttling.
	srv, v := fakeAt(t, testNow, 0, 0, krakenfake.Options{RESTFaults: []krakenfake.Reply{
		{Status: 429, RetryAfter: 0}, {Status: 502}, {Error: "EAPI:Rate limit exceeded"},
		{Status: 503}, {Error: "EGeneral:Too many requests"}, {Status: 500},
	}})
	forming := int64(testNow) / 60 * 60
	from, to := forming-60*60, forming-30*60
	want, _ := srv.TrueBars("btcusdt.spot.kraken", 60, from, to)
	got, _ := collect(t, v, "btcusdt.spot.kraken", 60, from, to)
	sameBars(t, got, want)
	if n := srv.RESTRequests(); n != 8 {
		t.Errorf("%d requests, want 6 refused and 2 answered", n)
	}

	// Kraken's own error reaches the caller naming the request.
	err := v.rest.get(context.Background(), "OHLC", map[string][]string{"pair": {"XBTUSDX"}}, nil)
	var api *APIError
	if !errors.As(err, &api) || !strings.Contains(err.Error(), "EQuery:Unknown asset pair") || !strings.Contains(err.Error(), "pair=XBTUSDX") {
		t.Errorf("unknown pair: %v", err)
	}
	// Bad periods are named.
	if err := v.Bars(context.Background(), "btcusdt.spot.kraken", 120, from, to, nil); err == nil || !strings.Contains(err.Error(), "2m") {
		t.Errorf("2m bars: %v", err)
	}
	// A 4xx is not retried; persistent 5xx gives up after the attempts.
	srv.FailREST(krakenfake.Reply{Status: http.StatusForbidden})
	before := srv.RESTRequests()
	if err := v.Trades(context.Background(), "btcusdt.spot.kraken", from*1e9, to*1e9, func([]feeds.Trade) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "Forbidden") || srv.RESTRequests()-before != 1 {
		t.Errorf("403: %v after %d requests", err, srv.RESTRequests()-before)
	}
	for range 8 {
		srv.FailREST(krakenfake.Reply{Status: 503})
	}
	if err := v.Trades(context.Background(), "btcusdt.spot.kraken", from*1e9, to*1e9, func([]feeds.Trade) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "after 8 attempts") || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("503s: %v", err)
	}
}

func TestRegistered(t *testing.T) {
	v, err := feeds.OpenVenue("kraken", feeds.VenueConfig{})
	if err != nil || v.Name() != "kraken" || v.EmptyBars() != feeds.FlatBar || len(v.BarPeriods()) != 9 {
		t.Errorf("OpenVenue: %v %v", v, err)
	}
}

// TestMarketDiskCache: a second venue with the same cache dir resolves
// btcusdt, and Kraken's xbtusdt spelling of it, from disk alone.
func TestMarketDiskCache(t *testing.T) {
	srv, _ := fakeAt(t, 1_704_067_200, 0, 0, krakenfake.Options{})
	dir := t.TempDir()
	open := func() *Venue {
		return New(feeds.VenueConfig{RESTURL: srv.RESTURL(), WSURL: srv.WSURL(), CacheDir: dir}, Options{MinBackoff: 5 * time.Millisecond})
	}
	want, err := open().Market(context.Background(), "btcusdt.spot.kraken")
	if err != nil {
		t.Fatal(err)
	}
	before := srv.RESTRequests()
	for _, q := range []string{"btcusdt.spot.kraken", "xbtusdt.spot.kraken", "XBTUSDT.spot.kraken"} {
		m, err := open().Market(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if m.FQME() != "btcusdt.spot.kraken" || !m.PriceTick.Equal(want.PriceTick) || !m.SizeTick.Equal(want.SizeTick) || m.BSMktID != want.BSMktID {
			t.Errorf("%s from the cache: %+v, want %+v", q, m, want)
		}
	}
	if n := srv.RESTRequests() - before; n != 0 {
		t.Fatalf("%d requests after the first run; want the disk cache to answer", n)
	}
}
