package feeds_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/feeds/venuefake"
	"workbench/frames"
	"workbench/internal/cputime"
	"workbench/internal/oracle"
)

func newSampler(t testing.TB, period int64, empty feeds.EmptyBars) *feeds.Sampler {
	t.Helper()
	s, err := feeds.NewSampler("btcusdt.spot.test", period, empty)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func tr(sec float64, price, size float64, id int64) feeds.Trade {
	return feeds.Trade{Time: int64(math.Round(sec * 1e9)), FQME: "btcusdt.spot.test", Price: price, Size: size, ID: id}
}

func bars(evs []feeds.BarEvent) []frames.Bar {
	out := make([]frames.Bar, len(evs))
	for i, e := range evs {
		out[i] = e.Bar
	}
	return out
}

func TestNewSamplerRejectsBadPeriod(t *testing.T) {
	for _, p := range []int64{0, -60} {
		if _, err := feeds.NewSampler("x.spot.test", p, feeds.NoBar); err == nil || !strings.Contains(err.Error(), "period") {
			t.Errorf("period %d: err %v, want one naming the period", p, err)
		}
	}
}

// piker §9.3 case 3, without piker's defect: piker updates a flat row copied
// from the previous close, so the bar's low stays at 100 though nothing
// traded there. Here the flat bar is closed and the next bar starts at the
// first trade.
func TestSamplerPikerBarUpdate(t *testing.T) {
	s := newSampler(t, 60, feeds.FlatBar)
	s.Add(tr(550, 100, 1, 1))
	if got := bars(s.Advance(660e9)); !reflect.DeepEqual(got, []frames.Bar{
		{Time: 540, Open: 100, High: 100, Low: 100, Close: 100, Volume: 1},
		{Time: 600, Open: 100, High: 100, Low: 100, Close: 100, Volume: 0},
	}) {
		t.Fatalf("advance to 660: %+v", got)
	}
	s.Add(tr(661, 101, 2, 2))
	f, _ := s.Forming()
	if want := (frames.Bar{Time: 660, Open: 101, High: 101, Low: 101, Close: 101, Volume: 2}); f.Bar != want || !f.Forming {
		t.Fatalf("after 101×2: %+v, want %+v forming", f, want)
	}
	s.Add(tr(662, 99, 1, 3))
	f, _ = s.Forming()
	if want := (frames.Bar{Time: 660, Open: 101, High: 101, Low: 99, Close: 99, Volume: 3}); f.Bar != want {
		t.Fatalf("after 99×1: %+v, want %+v", f.Bar, want)
	}
	if f.Time != 720e9 || f.Period != 60 || f.Index != -1 {
		t.Errorf("forming event time %d period %d index %d", f.Time, f.Period, f.Index)
	}
}

// piker §9.3 case 4: the bar after (600, close 99) is (660, 99×4, 0) — here
// timed by the exchange clock passed to Advance, not by a sleep loop; with
// NoBar the same minute gives nothing.
func TestSamplerPikerIncrement(t *testing.T) {
	for _, empty := range []feeds.EmptyBars{feeds.FlatBar, feeds.NoBar} {
		s := newSampler(t, 60, empty)
		s.Add(tr(610, 99, 1, 0))
		if got := s.Advance(659e9); got != nil {
			t.Fatalf("advance inside the bar closed %+v", got)
		}
		got := bars(s.Advance(720e9))
		want := []frames.Bar{{Time: 600, Open: 99, High: 99, Low: 99, Close: 99, Volume: 1}}
		if empty == feeds.FlatBar {
			want = append(want, frames.Bar{Time: 660, Open: 99, High: 99, Low: 99, Close: 99})
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("empty %d: %+v, want %+v", empty, got, want)
		}
		if got := s.Advance(720e9); got != nil {
			t.Errorf("advancing again closed %+v", got)
		}
	}
}

// A trade for a later bucket closes the forming bar; the empty buckets in
// between are flat bars at the last close (Kraken) or nothing (Binance).
func TestSamplerFlatVersusNoBar(t *testing.T) {
	trades := []feeds.Trade{tr(5, 10, 1, 1), tr(70, 11, 1, 2), tr(250, 9, 2, 3)}
	want := map[feeds.EmptyBars][]frames.Bar{
		feeds.NoBar: {
			{Time: 0, Open: 10, High: 10, Low: 10, Close: 10, Volume: 1},
			{Time: 60, Open: 11, High: 11, Low: 11, Close: 11, Volume: 1},
		},
		feeds.FlatBar: {
			{Time: 0, Open: 10, High: 10, Low: 10, Close: 10, Volume: 1},
			{Time: 60, Open: 11, High: 11, Low: 11, Close: 11, Volume: 1},
			{Time: 120, Open: 11, High: 11, Low: 11, Close: 11},
			{Time: 180, Open: 11, High: 11, Low: 11, Close: 11},
		},
	}
	for empty, w := range want {
		s := newSampler(t, 60, empty)
		var got []frames.Bar
		for _, x := range trades {
			got = append(got, bars(s.Add(x))...)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("empty %d: %+v\nwant %+v", empty, got, w)
		}
		if f, ok := s.Forming(); !ok || f.Bar.Time != 240 || f.Bar.Close != 9 {
			t.Errorf("empty %d: forming %+v %v", empty, f, ok)
		}
	}
}

// Out of order within the forming bar: open and close follow exchange time
// (then trade id for equal times), not arrival.
func TestSamplerOutOfOrderRevisesFormingBar(t *testing.T) {
	s := newSampler(t, 60, feeds.NoBar)
	for _, x := range []feeds.Trade{
		tr(30, 102, 1, 4), // arrives first, trades in the middle
		tr(59, 104, 1, 7), // the last trade
		tr(1, 101, 1, 2),  // the first trade, late to arrive
		tr(10, 99, 1, 3),
		tr(59, 103, 1, 6), // same time as id 7, lower id: not the close
		tr(1, 100, 1, 1),  // same time as id 2, lower id: the open
	} {
		if out := s.Add(x); out != nil {
			t.Fatalf("trade %d closed %+v", x.ID, out)
		}
	}
	got := bars(s.Flush())
	want := []frames.Bar{{Time: 0, Open: 100, High: 104, Low: 99, Close: 104, Volume: 6}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v, want %+v", got, want)
	}
	if s.Late() != 0 || s.Duplicates() != 0 {
		t.Errorf("late %d dup %d", s.Late(), s.Duplicates())
	}
}

// A trade for a closed bar is counted, never applied; a repeated id is
// counted and ignored whether its bar is forming or closed.
func TestSamplerLateAndDuplicateTrades(t *testing.T) {
	s := newSampler(t, 1, feeds.NoBar)
	s.Add(tr(0.1, 10, 1, 1))
	s.Add(tr(0.5, 11, 1, 2))
	closed := bars(s.Add(tr(1.2, 12, 1, 3)))
	if want := []frames.Bar{{Time: 0, Open: 10, High: 11, Low: 10, Close: 11, Volume: 2}}; !reflect.DeepEqual(closed, want) {
		t.Fatalf("closed %+v, want %+v", closed, want)
	}
	s.Add(tr(0.9, 50, 1, 4))   // late: second 0 has closed
	s.Add(tr(1.3, 13, 1, 2))   // duplicate of a closed bar's trade
	s.Add(tr(1.2, 12, 1, 3))   // duplicate in the forming bar
	s.Add(tr(1.4, 1e16, 1, 5)) // not a price
	s.Add(tr(1.5, math.NaN(), 1, 6))
	if s.Late() != 1 || s.Duplicates() != 2 || s.Rejected() != 2 {
		t.Errorf("late %d dup %d rejected %d, want 1 2 2", s.Late(), s.Duplicates(), s.Rejected())
	}
	got := bars(s.Flush())
	if want := []frames.Bar{{Time: 1, Open: 12, High: 12, Low: 12, Close: 12, Volume: 1}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("forming bar revised by rejected trades: %+v", got)
	}
	// After a flush the flushed second is closed too.
	s.Add(tr(1.9, 14, 1, 7))
	if s.Late() != 2 {
		t.Errorf("late %d after a trade for the flushed bar", s.Late())
	}
}

// Duplicates are found across a long stream and after id jumps larger than
// the sampler's memory of ids.
func TestSamplerDuplicatesAcrossWindow(t *testing.T) {
	s := newSampler(t, 60, feeds.NoBar)
	n := int64(200000)
	for id := int64(1); id <= n; id++ {
		s.Add(tr(float64(id)*0.001, 10, 1, id))
		if id > 5 && id%7 == 0 {
			s.Add(tr(float64(id-5)*0.001, 10, 1, id-5)) // replayed a little behind
		}
	}
	if s.Duplicates() != n/7 {
		t.Errorf("duplicates %d, want %d", s.Duplicates(), n/7)
	}
	s.Add(tr(300, 10, 1, 1<<40))
	s.Add(tr(300.1, 10, 1, 1<<40))
	s.Add(tr(300.2, 10, 1, 1<<40-1)) // new, though below the newest id
	if got := s.Duplicates(); got != n/7+1 {
		t.Errorf("after the id jump: duplicates %d, want %d", got, n/7+1)
	}
}

// The sampler's bars of a venue tape equal the tape's own bars by plain
// bucketing, for both empty-bar rules and several periods, whatever the
// arrival order within a bar and however often (or never) Advance is
// called: a clock running faster or slower than the trades changes nothing.
func TestSamplerMatchesTapeWhateverTheClock(t *testing.T) {
	start := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	tape := venuefake.NewTape(venuefake.TapeConfig{FQME: "btcusdt.spot.test", Seed: 7, Start: start,
		Price: 100, Tick: 0.01, Lot: 0.001, MeanGap: 700 * time.Millisecond, QuietEvery: 5})
	from, to := start/1e9, start/1e9+3*3600
	trades := tape.Trades(from*1e9, to*1e9)
	for _, period := range []int64{1, 60, 300} {
		for _, empty := range []feeds.EmptyBars{feeds.NoBar, feeds.FlatBar} {
			want := tape.Bars(period, from, to, empty == feeds.FlatBar)
			// Advance every clockStep of exchange time (0: never); the
			// clock trails the trades by at most one step, never passes them.
			for _, clockStep := range []int64{0, 37e6, 1e9, 45e9} {
				rng := rand.New(rand.NewPCG(uint64(period), uint64(clockStep)))
				arrival := shuffleWithinBars(trades, period, rng)
				s := newSampler(t, period, empty)
				got := frames.New(period, 0)
				add := func(evs []feeds.BarEvent) {
					for _, e := range evs {
						if e.Forming || e.Period != period || e.Time != (e.Bar.Time+period)*1e9 {
							t.Fatalf("bad event %+v", e)
						}
						got.Add(e.Bar.Time, e.Bar.Open, e.Bar.High, e.Bar.Low, e.Bar.Close, e.Bar.Volume)
					}
				}
				clock := from * 1e9
				for _, x := range arrival {
					if clockStep > 0 {
						// The clock may only pass a bucket's end once every
						// trade of it has arrived: advance to the bar start.
						bucket := x.Time / (period * 1e9) * period * 1e9
						for clock+clockStep <= bucket {
							clock += clockStep
							add(s.Advance(clock))
						}
					}
					x.Recv = int64(rng.Uint64() >> 2) // receive times must not matter
					add(s.Add(x))
				}
				add(s.Advance(to * 1e9))
				if s.Late() != 0 || s.Duplicates() != 0 {
					t.Fatalf("period %d: late %d dup %d", period, s.Late(), s.Duplicates())
				}
				if !sameBars(got, want) {
					t.Fatalf("period %d empty %d clock step %d: %d bars, want %d\n%s", period, empty, clockStep, got.Len(), want.Len(), firstDiff(got, want))
				}
			}
		}
	}
}

// shuffleWithinBars returns trades in an arrival order that is shuffled
// inside each bucket of period seconds but keeps buckets in order.
func shuffleWithinBars(trades []feeds.Trade, period int64, rng *rand.Rand) []feeds.Trade {
	out := append([]feeds.Trade(nil), trades...)
	for i := 0; i < len(out); {
		j := i
		b := out[i].Time / (period * 1e9)
		for j < len(out) && out[j].Time/(period*1e9) == b {
			j++
		}
		rng.Shuffle(j-i, func(a, c int) { out[i+a], out[i+c] = out[i+c], out[i+a] })
		i = j
	}
	return out
}

func sameBars(a, b *frames.OHLCV) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i := range a.Time {
		x, y := a.At(i), b.At(i)
		if x.Time != y.Time || x.Open != y.Open || x.High != y.High || x.Low != y.Low || x.Close != y.Close ||
			math.Abs(x.Volume-y.Volume) > 1e-9*math.Max(1, y.Volume) {
			return false
		}
	}
	return true
}

func firstDiff(a, b *frames.OHLCV) string {
	for i := 0; i < min(a.Len(), b.Len()); i++ {
		if a.At(i) != b.At(i) {
			return fmt.Sprintf("row %d: got %+v, want %+v", i, a.At(i), b.At(i))
		}
	}
	return "one is a prefix of the other"
}

// The 1000 Kraken REST trades recorded in the oracles, bucketed by the
// sampler under Kraken's flat-bar rule, reproduce Kraken's own 1-minute OHLC
// rows for every minute they cover, flat minutes included. The first
// minute is partial (the recording starts inside it) and is left out.
func TestSamplerKrakenTradesReproduceKrakenOHLC(t *testing.T) {
	trades := readKrakenTrades(t, oracle.Path(t, "raw", "kraken", "rest_0_public_Trades.json"))
	ohlc := readKrakenOHLC(t, oracle.Path(t, "raw", "kraken", "rest_0_public_OHLC_XBTUSDT_1m.json"))
	if len(trades) != 1000 {
		t.Fatalf("%d trades in the recording, want 1000", len(trades))
	}
	s := newSampler(t, 60, feeds.FlatBar)
	var got []frames.Bar
	for _, x := range trades {
		got = append(got, bars(s.Add(x))...)
	}
	got = append(got, bars(s.Flush())...)
	first := trades[0].Time / 60e9 * 60
	var tradeMinutes, flatMinutes int
	for _, b := range got {
		if b.Time == first {
			continue
		}
		k, ok := ohlc[b.Time]
		if !ok {
			t.Fatalf("minute %d: not in Kraken's OHLC", b.Time)
		}
		if b.Open != k.Open || b.High != k.High || b.Low != k.Low || b.Close != k.Close ||
			math.Abs(b.Volume-k.Volume) > 1e-12*math.Max(k.Volume, 1e-8) {
			t.Errorf("minute %d: sampler %+v, Kraken %+v", b.Time, b, k)
		}
		if b.Volume > 0 {
			tradeMinutes++
		} else {
			flatMinutes++
		}
	}
	// SUMMARY.json kraken_trades_vs_ohlc: 274 minutes with trades, the first
	// partial.
	if tradeMinutes != 273 || flatMinutes == 0 {
		t.Errorf("compared %d minutes with trades (want 273) and %d flat minutes", tradeMinutes, flatMinutes)
	}
	t.Logf("%d minutes with trades and %d flat minutes equal Kraken's OHLC", tradeMinutes, flatMinutes)
}

func readKrakenResult(t *testing.T, path string) []json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Error  []string
		Result map[string]json.RawMessage
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(doc.Result["XBTUSDT"], &rows); err != nil {
		t.Fatalf("%s: result.XBTUSDT: %v", path, err)
	}
	return rows
}

// readKrakenTrades parses [price, volume, time, side, type, misc, id] rows;
// time is decimal seconds, converted to ns from its digits.
func readKrakenTrades(t *testing.T, path string) []feeds.Trade {
	var out []feeds.Trade
	for i, raw := range readKrakenResult(t, path) {
		var row []json.RawMessage
		if err := json.Unmarshal(raw, &row); err != nil || len(row) != 7 {
			t.Fatalf("%s: trade %d: %s", path, i, raw)
		}
		var price, size string
		var id int64
		if json.Unmarshal(row[0], &price) != nil || json.Unmarshal(row[1], &size) != nil || json.Unmarshal(row[6], &id) != nil {
			t.Fatalf("%s: trade %d: %s", path, i, raw)
		}
		sec, frac, _ := strings.Cut(string(row[2]), ".")
		frac = (frac + "000000000")[:9]
		s, err1 := strconv.ParseInt(sec, 10, 64)
		ns, err2 := strconv.ParseInt(frac, 10, 64)
		p, err3 := strconv.ParseFloat(price, 64)
		v, err4 := strconv.ParseFloat(size, 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Fatalf("%s: trade %d: %s", path, i, raw)
		}
		out = append(out, feeds.Trade{Time: s*1e9 + ns, Price: p, Size: v, ID: id})
	}
	return out
}

// readKrakenOHLC parses [time, open, high, low, close, vwap, volume, count].
func readKrakenOHLC(t *testing.T, path string) map[int64]frames.Bar {
	out := map[int64]frames.Bar{}
	for i, raw := range readKrakenResult(t, path) {
		var row []any
		if err := json.Unmarshal(raw, &row); err != nil || len(row) != 8 {
			t.Fatalf("%s: row %d: %s", path, i, raw)
		}
		num := func(j int) float64 {
			s, ok := row[j].(string)
			x, err := strconv.ParseFloat(s, 64)
			if !ok || err != nil {
				t.Fatalf("%s: row %d column %d: %v", path, i, j, row[j])
			}
			return x
		}
		ts, ok := row[0].(float64)
		if !ok {
			t.Fatalf("%s: row %d: time %v", path, i, row[0])
		}
		out[int64(ts)] = frames.Bar{Time: int64(ts), Open: num(1), High: num(2), Low: num(3), Close: num(4), Volume: num(6)}
	}
	return out
}

func benchmarkSampler(b *testing.B, period int64) {
	// 1.5 hours of trades at ~12 per second, replayed in a loop with times
	// shifted forward each pass so the stream never goes back. Few enough
	// to stay in cache, as trades fresh from a decoder are: a larger tape
	// measures the memory, not the sampler.
	const n = 1 << 16
	rng := rand.New(rand.NewPCG(1, 2))
	trades := make([]feeds.Trade, n)
	ts, price := int64(1.7e18), 100.0
	for i := range trades {
		ts += int64(rng.ExpFloat64() * 8e7)
		price += math.Round(rng.NormFloat64()*3) * 0.01
		trades[i] = feeds.Trade{Time: ts, FQME: "btcusdt.spot.bench", Price: price, Size: 0.001, ID: int64(i + 1)}
	}
	span := ts - trades[0].Time + period*1e9
	s := newSampler(b, period, feeds.FlatBar)
	closed := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for done, pass := 0, int64(0); done < b.N; pass++ {
		shift, idShift := pass*span, pass*n
		for j := 0; j < n && done < b.N; j++ {
			x := trades[j]
			x.Time += shift
			x.ID += idShift
			closed += len(s.Add(x))
			done++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mtrades/s")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds()/1e6, "Mtrades/cpu-s")
	}
	if closed == 0 && b.N > n {
		b.Fatal("no bar closed")
	}
}

func BenchmarkSampler1s(b *testing.B) { benchmarkSampler(b, 1) }
func BenchmarkSampler1m(b *testing.B) { benchmarkSampler(b, 60) }
