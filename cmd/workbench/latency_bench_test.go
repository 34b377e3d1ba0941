package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/binance"
	"workbench/feeds/binance/binancefake"
	"workbench/feeds/venuefake"
	"workbench/frames"
	"workbench/plots"
)

// BenchmarkTradeToBarLatency times issue 11's path from a trade frame
// leaving a local Binance server to its forming bar: (a) handed to the
// consumer (what a strategy or the paper session sees) and (b) accepted
// by the live window, through the same venueStream and Live.Append that
// `workbench live --feed binance` runs. The server runs on a venue clock at
// wall speed with a trade every millisecond on average, so trades arrive
// in the server's poll batches as on a busy market.
func BenchmarkTradeToBarLatency(b *testing.B) {
	const trades = 3000
	const fq = "btcusdt.spot.binance"
	var toBar, toWindow []time.Duration
	for range b.N {
		start := time.Now().UnixNano()
		tape := venuefake.NewTape(venuefake.TapeConfig{FQME: fq, Seed: 21, Start: start - int64(time.Minute),
			Price: 42000, Tick: 0.01, Lot: 0.00001, MeanGap: time.Millisecond})
		var mu sync.Mutex
		sent := map[int64]int64{} // trade id: wall ns the frame was written
		var order []int64         // trade ids in the order written
		srv, err := binancefake.New(binancefake.Options{Markets: []binancefake.Market{{Tape: tape}},
			Clock: venuefake.NewClock(start, 1),
			OnTradeSent: func(_ string, id int64) {
				now := time.Now().UnixNano()
				mu.Lock()
				sent[id] = now
				order = append(order, id)
				mu.Unlock()
			}})
		if err != nil {
			b.Fatal(err)
		}
		venue := binance.New(feeds.VenueConfig{WSURL: srv.WSURL(), RESTURL: srv.RESTURL(), CacheDir: b.TempDir()}, binance.Options{})
		l, err := plots.NewLive(marketChart([]string{fq}, []*frames.OHLCV{frames.New(60, 0)}, chartOptions{title: fq + " 1m"}))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Start("127.0.0.1:0"); err != nil {
			b.Fatal(err)
		}
		vb, err := newVenueBars([]string{fq}, 60, venue.EmptyBars(), venueGrace)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		seen := 0
		forming := func(ev feeds.BarEvent) error {
			visible := time.Now().UnixNano()
			if err := l.Append(ev.FQME, ev.Bar); err != nil {
				return err
			}
			accepted := time.Now().UnixNano()
			if seen >= trades {
				return nil
			}
			// Without faults the feed delivers trades in the order written,
			// one forming update each: the seen-th update is the seen-th
			// trade, which its close must show.
			mu.Lock()
			id := order[seen]
			at := sent[id]
			mu.Unlock()
			if tr := tape.TradesFromID(id, 1, time.Now().UnixNano()+int64(time.Second)); len(tr) != 1 || tr[0].Price != ev.Bar.Close {
				b.Fatalf("update %d: bar close %v is not trade %d's price", seen, ev.Bar.Close, id)
			}
			toBar = append(toBar, time.Duration(visible-at))
			toWindow = append(toWindow, time.Duration(accepted-at))
			if seen++; seen == trades {
				cancel()
			}
			return nil
		}
		err = venueStream(ctx, venue, vb, 100*time.Millisecond, venueHooks{forming: forming})
		cancel()
		l.Close()
		srv.Close()
		if err != nil {
			b.Fatal(err)
		}
		if seen < trades {
			b.Fatalf("%d trades reached the bar, want %d", seen, trades)
		}
	}
	b.StopTimer()
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"bar", toBar}, {"window", toWindow}} {
		slices.Sort(m.d)
		b.ReportMetric(float64(m.d[len(m.d)/2].Microseconds()), m.name+"-p50-µs")
		b.ReportMetric(float64(m.d[len(m.d)*99/100].Microseconds()), m.name+"-p99-µs")
	}
	b.ReportMetric(float64(len(toBar)), "trades")
}
