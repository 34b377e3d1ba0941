package binance_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/binance"
	"workbench/feeds/binance/binancefake"
	"workbench/feeds/venuefake"
	"workbench/frames"
)

const btc = "btcusdt.spot.binance"

// tapeStart is 2024-01-01 00:00 UTC.
var tapeStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

func btcTape(meanGap time.Duration) *venuefake.Tape {
	return venuefake.NewTape(venuefake.TapeConfig{FQME: btc, Seed: 7, Start: tapeStart, Price: 42000, Tick: 0.01, Lot: 0.00001, MeanGap: meanGap, QuietEvery: 5})
}

// fakeVenue starts a fake with tapes on a clock at now running speed×,
// and a venue pointed at it with quick retries.
func fakeVenue(t *testing.T, now int64, speed float64, faults binancefake.Faults, tapes ...*venuefake.Tape) (*binancefake.Server, *binance.Venue, *http.Transport) {
	t.Helper()
	var markets []binancefake.Market
	for _, tp := range tapes {
		markets = append(markets, binancefake.Market{Tape: tp})
	}
	srv, err := binancefake.New(binancefake.Options{Markets: markets, Clock: venuefake.NewClock(now, speed), Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	v := binance.New(feeds.VenueConfig{WSURL: srv.WSURL(), RESTURL: srv.RESTURL()}, testOptions(tr))
	return srv, v, tr
}

// testOptions are quick retries and timeouts for a local server.
func testOptions(tr *http.Transport) binance.Options {
	return binance.Options{
		HTTP: &http.Client{Transport: tr, Timeout: 10 * time.Second}, RetryMin: 5 * time.Millisecond,
		StallTimeout: 300 * time.Millisecond, Ping: 100 * time.Millisecond,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
	}
}

// TestRegistered: OpenVenue("binance") reaches the configured server.
func TestRegistered(t *testing.T) {
	srv, _, _ := fakeVenue(t, tapeStart, 0, binancefake.Faults{}, btcTape(0))
	v, err := feeds.OpenVenue("binance", feeds.VenueConfig{RESTURL: srv.RESTURL(), WSURL: srv.WSURL()})
	if err != nil {
		t.Fatal(err)
	}
	if v.Name() != "binance" || v.EmptyBars() != feeds.NoBar {
		t.Fatalf("%s %v", v.Name(), v.EmptyBars())
	}
	if m, err := v.Market(context.Background(), btc); err != nil || m.PriceTick.String() != "0.01" {
		t.Fatalf("%v %v", m, err)
	}
}

func fetchBars(t *testing.T, v feeds.Venue, fqme string, period, from, to int64) (*frames.OHLCV, int) {
	t.Helper()
	out := frames.New(period, 0)
	pages := 0
	err := v.Bars(context.Background(), fqme, period, from, to, func(f *frames.OHLCV) error {
		pages++
		for i := 0; i < f.Len(); i++ {
			out.Add(f.Time[i], f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, pages
}

func sameBars(t *testing.T, what string, got, want *frames.OHLCV) {
	t.Helper()
	if got.Len() != want.Len() {
		t.Fatalf("%s: %d bars, want %d", what, got.Len(), want.Len())
	}
	for i := 0; i < got.Len(); i++ {
		if got.At(i) != want.At(i) {
			t.Fatalf("%s: bar %d is %+v, want %+v", what, i, got.At(i), want.At(i))
		}
	}
}

// TestBarsPagedThroughFaults: 1-minute klines over 2.5 days (3 pages) with
// 429s and 503s injected equal the tape's true bars exactly.
func TestBarsPagedThroughFaults(t *testing.T) {
	now := tapeStart + 3*24*int64(time.Hour)
	srv, v, _ := fakeVenue(t, now, 0, binancefake.Faults{Fail429Every: 4, Fail5xxEvery: 3}, btcTape(2*time.Second))
	from, to := tapeStart/1e9, tapeStart/1e9+60*3600
	got, pages := fetchBars(t, v, btc, 60, from, to)
	want := srv.TrueBars(btc, 60, from, to)
	if want.Len() <= 2000 || want.Len() == 3600 {
		t.Fatalf("the tape gives %d bars: want quiet minutes and at least 3 pages", want.Len())
	}
	sameBars(t, "1m", got, want)
	if pages < 3 || srv.Failed() < 2 {
		t.Fatalf("%d pages, %d injected failures: the test did not exercise paging and retries", pages, srv.Failed())
	}
}

// TestBarsEveryPeriod: every served period, up to the clock, equals the
// true bars, and the forming bar is left out.
func TestBarsEveryPeriod(t *testing.T) {
	now := tapeStart + 3*24*int64(time.Hour) + 90*int64(time.Second) + 5e8
	srv, v, _ := fakeVenue(t, now, 0, binancefake.Faults{}, btcTape(2*time.Second))
	for _, p := range v.BarPeriods() {
		to := now/1e9 + 5*p // past the clock: the forming bar must not come
		from := max(tapeStart/1e9, (to-1500*p)/p*p)
		got, _ := fetchBars(t, v, btc, p, from, to)
		closed := now / 1e9 / p * p
		sameBars(t, binance.Name+" "+time.Duration(p*1e9).String(), got, srv.TrueBars(btc, p, from, closed))
		if got.Len() == 0 || got.Time[got.Len()-1]+p > now/1e9 {
			t.Fatalf("period %d: %d bars, last %v: forming bar served or nothing served", p, got.Len(), got.Time)
		}
	}
}

// TestTradesFromAggTrades: aggTrades from before the tape's first trade
// (empty hour windows, then fromId paging) equal the tape's trades.
func TestTradesFromAggTrades(t *testing.T) {
	now := tapeStart + 24*int64(time.Hour)
	tape := btcTape(2 * time.Second)
	_, v, _ := fakeVenue(t, now, 0, binancefake.Faults{Fail5xxEvery: 5}, tape)
	from, to := tapeStart-3*int64(time.Hour), tapeStart+2*int64(time.Hour)+123e6
	var got []feeds.Trade
	err := v.Trades(context.Background(), btc, from, to, func(ts []feeds.Trade) error {
		got = append(got, ts...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := tape.Trades(from, to)
	if len(want) < 2500 {
		t.Fatalf("only %d trades on the tape", len(want))
	}
	sameTrades(t, got, want)
}

// sameTrades compares trades from Binance with the tape's, whose times
// Binance reports in whole milliseconds.
func sameTrades(t *testing.T, got, want []feeds.Trade) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d trades, want %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		w.Time = w.Time / 1e6 * 1e6
		g.Recv = 0
		if g != w {
			t.Fatalf("trade %d: %+v, want %+v", i, g, w)
		}
	}
}

// TestMarket: exchangeInfo's filters become the market's ticks, trailing
// zeros stripped.
func TestMarket(t *testing.T) {
	_, v, _ := fakeVenue(t, tapeStart, 0, binancefake.Faults{}, btcTape(0))
	for _, q := range []string{btc, "btcusdt.spot", "BTCUSDT.spot.binance", "btcusdt.binance"} {
		m, err := v.Market(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if m.FQME() != btc || m.BSMktID != "BTCUSDT" || m.Dst.Name != "btc" || m.Src.Name != "usdt" ||
			m.PriceTick.String() != "0.01" || m.PriceTick.Exponent() != -2 ||
			m.SizeTick.String() != "0.00001" || m.SizeTick.Exponent() != -5 || m.MinNotional.String() != "5" {
			t.Fatalf("%s: %+v (ticks %s %s, min notional %s)", q, m, m.PriceTick, m.SizeTick, m.MinNotional)
		}
	}
	for _, q := range []string{"btcusdt.usdtm.perp.binance", "btcusdt.spot.kraken", "btc-usdt.spot.binance"} {
		if _, err := v.Market(context.Background(), q); err == nil {
			t.Errorf("%s: no error", q)
		}
	}
}

// TestAPIErrorReachesUser: Binance's own 4xx message, naming the request.
func TestAPIErrorReachesUser(t *testing.T) {
	srv, v, _ := fakeVenue(t, tapeStart+int64(time.Hour), 0, binancefake.Faults{}, btcTape(0))
	before := srv.Requests()
	_, err := v.Market(context.Background(), "foousdt.spot.binance")
	var api *binance.APIError
	if !errors.As(err, &api) || api.Code != -1121 || !strings.Contains(err.Error(), "Invalid symbol.") ||
		!strings.Contains(err.Error(), "exchangeInfo?symbol=FOOUSDT") || srv.Requests()-before != 1 {
		t.Fatalf("unknown symbol: %v after %d requests (a 4xx is not retried)", err, srv.Requests()-before)
	}
	err = v.Bars(context.Background(), "foousdt.spot.binance", 60, tapeStart/1e9, tapeStart/1e9+3600, func(*frames.OHLCV) error { return nil })
	if !errors.As(err, &api) || !strings.Contains(err.Error(), "klines?") || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("klines of an unknown symbol: %v", err)
	}
	if err := v.Bars(context.Background(), btc, 120, 0, 60, func(*frames.OHLCV) error { return nil }); err == nil || !strings.Contains(err.Error(), "1s 1m") {
		t.Fatalf("2m klines: %v", err)
	}
	// Told to come back later than we wait: an error saying so at once.
	srv.SetFaults(binancefake.Faults{Fail429Every: 1, RetryAfter: 200})
	before = srv.Requests()
	_, err = v.Market(context.Background(), "ethusdt.spot.binance")
	if err == nil || !strings.Contains(err.Error(), "HTTP 429: told to retry after 3m20s") || srv.Requests()-before != 1 {
		t.Fatalf("long Retry-After: %v after %d requests", err, srv.Requests()-before)
	}
	// A server that keeps failing: a bounded number of attempts, then an error.
	srv.SetFaults(binancefake.Faults{Fail5xxEvery: 1})
	before = srv.Requests()
	_, err = v.Market(context.Background(), "ethusdt.spot.binance")
	if err == nil || !strings.Contains(err.Error(), "giving up after 8 attempts") || !strings.Contains(err.Error(), "HTTP 503") || srv.Requests()-before != 8 {
		t.Fatalf("failing server: %v after %d requests", err, srv.Requests()-before)
	}
}

// TestMarketDiskCache: a second venue (a second run) with the same cache
// dir resolves the markets the first fetched without asking the exchange,
// and the cache file keeps every market resolved, not only the last.
func TestMarketDiskCache(t *testing.T) {
	eth := venuefake.NewTape(venuefake.TapeConfig{FQME: "ethusdt.spot.binance", Seed: 8, Start: tapeStart, Price: 2300, Tick: 0.01, Lot: 0.0001})
	srv, _, tr := fakeVenue(t, tapeStart, 0, binancefake.Faults{}, btcTape(0), eth)
	dir := t.TempDir()
	open := func() *binance.Venue {
		return binance.New(feeds.VenueConfig{WSURL: srv.WSURL(), RESTURL: srv.RESTURL(), CacheDir: dir}, testOptions(tr))
	}
	first := open()
	want := map[string]string{}
	for _, q := range []string{btc, "ethusdt.spot.binance"} {
		m, err := first.Market(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		want[q] = m.PriceTick.String() + " " + m.SizeTick.String() + " " + m.MinNotional.String()
	}
	before := srv.Requests()
	second := open()
	for q, w := range want {
		m, err := second.Market(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if g := m.PriceTick.String() + " " + m.SizeTick.String() + " " + m.MinNotional.String(); g != w {
			t.Errorf("%s from the cache: %s, want %s", q, g, w)
		}
	}
	if n := srv.Requests() - before; n != 0 {
		t.Fatalf("second run made %d requests; want the disk cache to answer", n)
	}
	c, err := feeds.LoadMarkets(dir, "binance")
	if err != nil || len(c.Markets) != 2 {
		t.Fatalf("cache file: %v, %v", c, err)
	}
}
