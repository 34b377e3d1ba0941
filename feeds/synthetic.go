package feeds

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"workbench/frames"
)

// SyntheticMarket describes a made-up market for demos and tests. The same
// market and start always give the same bars.
type SyntheticMarket struct {
	FQME string
	// Calendar is a frames.CalendarByName name: crypto, us-equity or cme.
	// Bars fall only in its open sessions.
	Calendar string
	// Period is the bar length in seconds.
	Period int64
	Seed   int64
	// Price is the first bar's open.
	Price float64
	// Tick is the price increment prices are rounded to (0: no rounding);
	// Lot the same for volumes.
	Tick, Lot float64
	// Volatility is the long-run standard deviation of one bar's log return
	// at average activity.
	Volatility float64
	// Volume is the mean volume of a bar at average activity.
	Volume float64
	// DropRate is the chance that a bar starts a run of deliberately missing
	// bars (lost data, as a flaky feed would leave), so a gap report has
	// something to find; runs are 1 to 30 bars long.
	DropRate float64
}

// Validate reports a market the generator cannot use.
func (m SyntheticMarket) Validate() error {
	if _, err := frames.CalendarByName(m.Calendar); err != nil {
		return fmt.Errorf("synthetic market %s: %w", m.FQME, err)
	}
	switch {
	case m.Period <= 0:
		return fmt.Errorf("synthetic market %s: period %d: want a positive number of seconds", m.FQME, m.Period)
	case !(m.Price > 0):
		return fmt.Errorf("synthetic market %s: price %v: want a positive price", m.FQME, m.Price)
	case m.Volatility < 0:
		return fmt.Errorf("synthetic market %s: volatility %v: must not be negative", m.FQME, m.Volatility)
	case m.Volume < 0:
		return fmt.Errorf("synthetic market %s: volume %v: must not be negative", m.FQME, m.Volume)
	case m.Tick < 0:
		return fmt.Errorf("synthetic market %s: tick %v: must not be negative", m.FQME, m.Tick)
	case m.Lot < 0:
		return fmt.Errorf("synthetic market %s: lot %v: must not be negative", m.FQME, m.Lot)
	case m.DropRate < 0 || m.DropRate >= 1:
		return fmt.Errorf("synthetic market %s: drop rate %v: want 0 ≤ rate < 1", m.FQME, m.DropRate)
	}
	return nil
}

// DemoMarkets are the demo's three markets: a 24/7 crypto pair, a US equity
// in NYSE sessions and a CME future on Globex hours, all one-minute bars.
func DemoMarkets() []SyntheticMarket {
	return []SyntheticMarket{
		{FQME: "btcusdt.spot.synthetic", Calendar: "crypto", Period: 60, Seed: 1,
			Price: 64000, Tick: 0.01, Lot: 0.00001, Volatility: 0.0007, Volume: 8, DropRate: 0.0003},
		{FQME: "acme.nasdaq.synthetic", Calendar: "us-equity", Period: 60, Seed: 2,
			Price: 182.5, Tick: 0.01, Lot: 1, Volatility: 0.0009, Volume: 25000, DropRate: 0.0008},
		{FQME: "esz6.cme.synthetic", Calendar: "cme", Period: 60, Seed: 3,
			Price: 6050, Tick: 0.25, Lot: 1, Volatility: 0.00035, Volume: 900, DropRate: 0.0004},
	}
}

// GARCH(1,1) weights: shocks persist (alpha+beta close to 1), which gives
// the volatility clustering real returns show.
const (
	garchAlpha = 0.07
	garchBeta  = 0.91
)

// Synthetic generates one market's bars in time order.
type Synthetic struct {
	m   SyntheticMarket
	cal frames.Calendar
	rng *rand.Rand

	t        int64          // next candidate bar time
	sess     frames.Session // the session t is in, or one that has ended
	price    float64        // last close
	variance float64        // conditional variance of a bar's log return
	dropLeft int            // bars still to leave out of the current run
}

// NewSynthetic starts m's generator at the first bar slot at or after start
// (slots are multiples of the period since the epoch). A Calendar that
// SyntheticMarket.Validate rejects is treated as crypto, a period ≤ 0 as 60 s.
func NewSynthetic(m SyntheticMarket, start int64) *Synthetic {
	cal, err := frames.CalendarByName(m.Calendar)
	if err != nil {
		cal = frames.Crypto
	}
	if m.Period <= 0 {
		m.Period = 60
	}
	if !(m.Price > 0) {
		m.Price = 100
	}
	p := m.Period
	return &Synthetic{
		m:   m,
		cal: cal,
		// Two words of seed: the market's seed and a constant, so seed 0 is
		// as good as any other.
		rng:      rand.New(rand.NewPCG(uint64(m.Seed), 0x9e3779b97f4a7c15)),
		t:        (start + p - 1) / p * p,
		sess:     frames.Session{Open: math.MinInt64, Close: math.MinInt64},
		price:    m.Price,
		variance: m.Volatility * m.Volatility,
	}
}

// Market is the market being generated.
func (s *Synthetic) Market() SyntheticMarket { return s.m }

// Next returns the next bar in an open session. Deliberately dropped bars
// still move the price, so the bar after a hole opens where the market went.
func (s *Synthetic) Next() frames.Bar {
	for {
		t, reopened := s.nextSlot()
		b := s.bar(t, reopened)
		if s.dropLeft > 0 {
			s.dropLeft--
			continue
		}
		if s.m.DropRate > 0 && s.rng.Float64() < s.m.DropRate {
			s.dropLeft = min(29, int(s.rng.ExpFloat64()*4))
			continue
		}
		return b
	}
}

// nextSlot returns the next bar time whose bar overlaps an open session and
// whether a closure came before it.
func (s *Synthetic) nextSlot() (int64, bool) {
	p := s.m.Period
	t := s.t
	reopened := false
	for t >= s.sess.Close {
		// Every calendar opens within a few days; look a month ahead.
		ss := s.cal.Sessions(t, t+30*86400)
		if len(ss) == 0 {
			t += 30 * 86400
			continue
		}
		s.sess = ss[0]
		if g := s.sess.Open / p * p; g > t {
			t, reopened = g, true
		}
	}
	s.t = t + p
	return t, reopened
}

// bar draws the bar at t: a GARCH return scaled by the time of day's
// activity, wicks from the same volatility, and volume rising with activity
// and with the size of the move.
func (s *Synthetic) bar(t int64, reopened bool) frames.Bar {
	act := s.activity(t)
	sigma := math.Sqrt(s.variance * act)
	z := s.rng.NormFloat64()
	if s.rng.Float64() < 0.01 {
		z *= 3 // occasional fat-tailed shock
	}
	r := sigma * z
	open := s.price
	if reopened {
		// News arrives while the market is shut: the first bar gaps.
		open *= math.Exp(sigma * 8 * s.rng.NormFloat64())
	}
	close := open * math.Exp(r)
	base := s.m.Volatility * s.m.Volatility
	s.variance = base*(1-garchAlpha-garchBeta) + garchAlpha*r*r/act + garchBeta*s.variance

	o, c := roundTo(open, s.m.Tick), roundTo(close, s.m.Tick)
	hi := math.Max(open, close) * math.Exp(math.Abs(s.rng.NormFloat64())*sigma*0.6)
	lo := math.Min(open, close) * math.Exp(-math.Abs(s.rng.NormFloat64())*sigma*0.6)
	h := math.Max(math.Max(o, c), ceilTo(hi, s.m.Tick))
	l := math.Min(math.Min(o, c), floorTo(lo, s.m.Tick))
	if l <= 0 {
		l = math.Min(o, c)
	}
	s.price = close

	move := 1.0
	if s.m.Volatility > 0 {
		move += 0.8 * math.Abs(r) / s.m.Volatility
	}
	v := s.m.Volume * act * move * math.Exp(0.35*s.rng.NormFloat64()-0.5*0.35*0.35) / 1.6
	v = math.Max(roundTo(v, s.m.Lot), s.m.Lot)
	return frames.Bar{Time: t, Open: o, High: h, Low: l, Close: c, Volume: v}
}

// activity is the time-of-day trading intensity, 1 on average: a U over the
// equity session (busy open and close), the US day for CME, and a mild daily
// cycle peaking in the US afternoon for crypto.
func (s *Synthetic) activity(t int64) float64 {
	switch s.cal.Name() {
	case "us-equity":
		if n := s.sess.Close - s.sess.Open; n > 0 {
			x := float64(t-s.sess.Open)/float64(n)*2 - 1
			return 0.55 + 1.35*x*x
		}
	case "cme":
		h := time.Unix(t, 0).UTC().Hour()
		if h >= 13 && h < 21 {
			return 1.7
		}
		return 0.55
	}
	h := float64(time.Unix(t, 0).UTC().Hour())
	return 1 + 0.35*math.Cos(2*math.Pi*(h-16)/24)
}

// roundTo, ceilTo and floorTo put x on the tick grid. Dividing by the
// tick's whole inverse (100 for 0.01) gives the float nearest the decimal
// price, where multiplying by the tick would leave 182.50000000000003.
func roundTo(x, tick float64) float64 { return onTick(x, tick, math.Round) }
func ceilTo(x, tick float64) float64  { return onTick(x, tick, math.Ceil) }
func floorTo(x, tick float64) float64 { return onTick(x, tick, math.Floor) }

func onTick(x, tick float64, round func(float64) float64) float64 {
	if tick <= 0 {
		return x
	}
	if inv := math.Round(1 / tick); inv >= 1 && math.Abs(inv*tick-1) < 1e-12 {
		return round(x*inv) / inv
	}
	return round(x/tick) * tick
}

// GenerateBars returns m's bars in [from, to).
func GenerateBars(m SyntheticMarket, from, to int64) *frames.OHLCV {
	s := NewSynthetic(m, from)
	p := s.m.Period
	f := frames.New(p, int(max(0, (to-from)/p)))
	for {
		b := s.Next()
		if b.Time >= to {
			return f
		}
		f.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
	}
}
