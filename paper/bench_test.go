package paper

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/internal/cputime"
	"workbench/mkt"
)

// randomWalkBars makes n one-minute bars of a deterministic walk whose log
// price reverts slowly to that of 100 (so that ten million bars stay priced
// between about 70 and 140).
func randomWalkBars(n int) *frames.OHLCV {
	rng := rand.New(rand.NewPCG(1, 2))
	f := frames.New(60, n)
	x := 0.0
	p := 100.0
	for i := 0; i < n; i++ {
		o := p
		x += -1e-4*x + rng.NormFloat64()*0.001
		c := 100 * math.Exp(x)
		h := math.Max(o, c) * (1 + rng.Float64()*0.0005)
		l := math.Min(o, c) * (1 - rng.Float64()*0.0005)
		f.Add(int64(i)*60, math.Round(o*100)/100, math.Round(h*100)/100, math.Round(l*100)/100, math.Round(c*100)/100, 100+rng.Float64()*10)
		p = c
	}
	return f
}

var benchBars = map[int]*frames.OHLCV{}

// reportBarsPerSecond reports bars per wall second and per CPU second
// (the collector's CPU included) since start and cpu0: on a machine other
// work shares, bars per CPU second vary less than bars per wall second.
func reportBarsPerSecond(b *testing.B, bars int, start time.Time, cpu0 time.Duration) {
	b.ReportMetric(float64(bars)*float64(b.N)/time.Since(start).Seconds(), "bars/s")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(float64(bars)*float64(b.N)/cpu.Seconds(), "bars/cpu-s")
	}
}

func benchSeries(b testing.TB, n int) Series {
	f := benchBars[n]
	if f == nil {
		f = randomWalkBars(n)
		benchBars[n] = f
	}
	return Series{Market: testPair(b, testFQME, "0.01", "0.001"), Bars: f}
}

// BenchmarkBacktestSMACross runs the compiled SMA(10)/SMA(30) crossover,
// trading market orders with 10 bps fees, over one-minute bars; the issue's
// target is 20M bars/s on 10M bars.
func BenchmarkBacktestSMACross(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		b.Run(strconv.Itoa(n/1_000_000)+"M", func(b *testing.B) { benchSMACross(b, n, false) })
	}
}

// BenchmarkSweepJobSMACross is BenchmarkBacktestSMACross/1M as a sweep runs
// it: StatsOnly, keeping the statistics and the equity curve only, on bars
// checked once for all jobs (CheckBars).
func BenchmarkSweepJobSMACross(b *testing.B) { benchSMACross(b, 1_000_000, true) }

func benchSMACross(b *testing.B, n int, sweepJob bool) {
	s := benchSeries(b, n)
	statsOnly := sweepJob
	if sweepJob {
		var err error
		if s.Checked, err = CheckBars(s.Bars); err != nil {
			b.Fatal(err)
		}
	}
	cfg := BacktestConfig{Series: []Series{s}, Fees: BpsFees(0, 10), Calendar: "crypto", StatsOnly: statsOnly}
	b.ResetTimer()
	start, cpu0 := time.Now(), cputime.Process()
	fills := 0
	for i := 0; i < b.N; i++ {
		res, err := Backtest(cfg, &SMACross{Fast: 10, Slow: 30, Size: 1})
		if err != nil {
			b.Fatal(err)
		}
		fills = res.Stats.Fills
	}
	reportBarsPerSecond(b, n, start, cpu0)
	b.ReportMetric(float64(fills), "fills")
}

// BenchmarkBacktestLoop is the same crossover with a size that rounds to
// nothing: the moving averages and the replay loop without any order, the
// floor under BenchmarkBacktestSMACross.
func BenchmarkBacktestLoop(b *testing.B) {
	s := benchSeries(b, 10_000_000)
	cfg := BacktestConfig{Series: []Series{s}, Fees: BpsFees(0, 10), Calendar: "crypto"}
	b.ResetTimer()
	start, cpu0 := time.Now(), cputime.Process()
	for i := 0; i < b.N; i++ {
		res, err := Backtest(cfg, &SMACross{Fast: 10, Slow: 30, Size: 1e-9})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Orders) != 0 {
			b.Fatal("orders placed")
		}
	}
	reportBarsPerSecond(b, s.Bars.Len(), start, cpu0)
}

// BenchmarkEngineQuotes feeds the engine one quote per event with one
// resting order; the target is 10M events/s.
func BenchmarkEngineQuotes(b *testing.B) {
	e := newTestEngine(b, Config{Markets: []mkt.MktPair{testPair(b, testFQME, "0.01", "0.001")}})
	if _, err := e.Submit(Order{FQME: testFQME, Side: Buy, Type: Limit, Price: decimal.NewFromInt(50), Size: decimal.NewFromInt(1)}); err != nil {
		b.Fatal(err)
	}
	e.Reports()
	q := feeds.Quote{FQME: testFQME, BidSize: 1, AskSize: 1}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		q.Time = int64(i)
		q.Bid = 100 + float64(i&15)*0.01
		q.Ask = q.Bid + 0.01
		if err := e.OnQuote(q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if len(e.OpenOrders("")) != 1 {
		b.Fatal("the resting order went away")
	}
}

// BenchmarkEngineOrderRoundTrip is one market order's life on bars:
// submit, fill at the next open with a fee, reports drained.
func BenchmarkEngineOrderRoundTrip(b *testing.B) {
	e := newTestEngine(b, Config{Fees: BpsFees(0, 10)})
	size := decimal.NewFromInt(1)
	bars := randomWalkBars(1024)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		side := Buy
		if i&1 == 1 {
			side = Sell
		}
		if _, err := e.Submit(Order{FQME: testFQME, Side: side, Type: Market, Size: size}); err != nil {
			b.Fatal(err)
		}
		ev := feeds.NewBarEvent(testFQME, bars, i&1023)
		ev.Bar.Time = int64(i) * 60
		ev.Time = (ev.Bar.Time + 60) * 1e9
		if err := e.OnBar(ev); err != nil {
			b.Fatal(err)
		}
		e.Reports()
	}
}

// BenchmarkValidateBars is the pass over a series' bars (frames' rules and
// the tick range) that a backtest makes up front when it skips invalid bars
// or hands a Targets strategy the whole series, on the ten million bars of
// BenchmarkBacktestSMACross/10M. Other backtests check each bar in the
// replay loop instead; their cost shows in that benchmark itself.
func BenchmarkValidateBars(b *testing.B) {
	s := benchSeries(b, 10_000_000)
	maxPx := priceLimit(s.Market)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, n, err := checkSeries(testFQME, s.Bars, maxPx, false); err != nil || n != 0 {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkEngineCappedBook matches bars against a thousand resting limits
// that every bar reaches, with a volume cap that one fill spends: the case
// of a strategy that keeps many orders open under FillModel.VolumeShare.
func BenchmarkEngineCappedBook(b *testing.B) {
	e := newTestEngine(b, Config{Fill: FillModel{VolumeShare: 0.01, ProbFillOnTouch: 0.5}, Seed: 1})
	for i := 0; i < 1000; i++ {
		if _, err := e.Submit(Order{FQME: testFQME, Side: Buy, Type: Limit, Price: decimal.New(int64(9999-i), -2), Size: decimal.NewFromInt(1000)}); err != nil {
			b.Fatal(err)
		}
	}
	e.Reports()
	f := frames.New(60, 1)
	f.Add(0, 100, 100.5, 90, 91, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := feeds.NewBarEvent(testFQME, f, 0)
		ev.Bar.Time = int64(i) * 60
		ev.Time = (ev.Bar.Time + 60) * 1e9
		if err := e.OnBar(ev); err != nil {
			b.Fatal(err)
		}
		e.Reports()
	}
}
