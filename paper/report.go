package paper

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"path/filepath"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"workbench/internal/atomicfile"
	"workbench/mkt"
)

// RoundTrip is a position from flat back to flat in one market. A fill that
// crosses zero closes one round trip and opens the next with the rest of its
// size; its fee is split between them pro rata.
type RoundTrip struct {
	FQME string
	Side Side // Buy for a long position, Sell for a short one
	// Open and Close are the times of the first and last fill (epoch ns).
	Open, Close int64
	// Size is the total size entered; EntryPrice and ExitPrice are the
	// size-weighted mean prices of the entries and the exits.
	Size                  decimal.Decimal
	EntryPrice, ExitPrice decimal.Decimal
	Fees                  decimal.Decimal
	// PnL is net of fees: side·(exit notional − entry notional) − fees.
	PnL decimal.Decimal
}

// RoundTrips cuts a fill sequence (in time order) into round trips per
// market. Positions still open at the end make no round trip.
func RoundTrips(fills []Report) []RoundTrip {
	if out, ok := roundTripsLots(fills); ok {
		return out
	}
	return roundTripsDecimal(fills)
}

func roundTripsDecimal(fills []Report) []RoundTrip {
	type open struct {
		t                     RoundTrip
		pos, inQty, inN, outN decimal.Decimal
		fees                  decimal.Decimal
		active                bool
	}
	state := make(map[string]*open)
	var out []RoundTrip
	for _, f := range fills {
		st := state[f.FQME]
		if st == nil {
			st = &open{}
			state[f.FQME] = st
		}
		size, fee := f.Size, f.Fee
		if st.active && int(f.Side) != st.pos.Sign() {
			closeQty := decimal.Min(size, st.pos.Abs())
			part := fee
			if closeQty.LessThan(size) {
				part = fee.Mul(closeQty).Div(size)
			}
			st.outN = st.outN.Add(closeQty.Mul(f.Price))
			st.fees = st.fees.Add(part)
			st.pos = st.pos.Add(closeQty.Mul(decimal.NewFromInt(int64(f.Side))))
			st.t.Close = f.Time
			if st.pos.IsZero() {
				t := st.t
				t.Size = st.inQty
				t.EntryPrice = st.inN.Div(st.inQty)
				t.ExitPrice = st.outN.Div(st.inQty)
				t.Fees = st.fees
				t.PnL = st.outN.Sub(st.inN).Mul(decimal.NewFromInt(int64(t.Side))).Sub(st.fees)
				out = append(out, t)
				*st = open{}
			}
			size, fee = size.Sub(closeQty), fee.Sub(part)
			if size.IsZero() {
				continue
			}
		}
		if !st.active {
			st.active = true
			st.t = RoundTrip{FQME: f.FQME, Side: f.Side, Open: f.Time}
		}
		st.inQty = st.inQty.Add(size)
		st.inN = st.inN.Add(size.Mul(f.Price))
		st.fees = st.fees.Add(fee)
		st.pos = st.pos.Add(size.Mul(decimal.NewFromInt(int64(f.Side))))
		st.t.Close = f.Time
	}
	return out
}

// roundTripsLots is RoundTrips for the engine's own fills, summing prices
// and sizes as integer ticks and lots; it gives the same decimals. It
// reports false for a fill without ticks or when a sum would overflow.
func roundTripsLots(fills []Report) ([]RoundTrip, bool) {
	type open struct {
		t                        RoundTrip
		m                        *market
		pos, inLots, inTL, outTL int64
		fees                     decSum
		// tick·lot as c·10^e, when it fits: PnL in int64 arithmetic.
		tlC  int64
		tlE  int32
		tlOK bool
	}
	state := make(map[*market]*open)
	out := make([]RoundTrip, 0, len(fills)/2)
	var st *open
	for i := range fills {
		f := &fills[i]
		if f.mk == nil || f.ticks < 0 || f.lots <= 0 {
			return nil, false
		}
		if st == nil || st.m != f.mk {
			st = state[f.mk]
			if st == nil {
				m := f.mk
				st = &open{m: m}
				st.tlC, st.tlE, st.tlOK = smallDec(m.tickD.Mul(m.lotD))
				state[m] = st
			}
		}
		side := int64(f.Side)
		lots, fee := f.lots, f.Fee
		if st.pos != 0 && (st.pos > 0) != (side > 0) {
			closeLots := min(lots, max(st.pos, -st.pos))
			part := fee
			if closeLots < lots {
				part = fee.Mul(decimal.NewFromInt(closeLots)).Div(decimal.NewFromInt(lots))
			}
			tl, ok := mulInt(closeLots, f.ticks)
			if !ok {
				return nil, false
			}
			if st.outTL, ok = addInt(st.outTL, tl); !ok {
				return nil, false
			}
			if closeLots == lots {
				st.fees.addFee(f)
			} else {
				st.fees.add(part)
			}
			st.pos += side * closeLots
			st.t.Close = f.Time
			if st.pos == 0 {
				m := st.m
				t := st.t
				t.Size = m.sizeOf(st.inLots)
				t.EntryPrice = avgPrice(m, st.inTL, st.inLots)
				t.ExitPrice = avgPrice(m, st.outTL, st.inLots)
				t.Fees = st.fees.value()
				net := int64(t.Side) * (st.outTL - st.inTL)
				if gross, ok := mulInt(net, st.tlC); ok && st.tlOK {
					t.PnL = subDecInt(gross, st.tlE, t.Fees)
				} else {
					t.PnL = m.tickD.Mul(m.lotD).Mul(decimal.NewFromInt(net)).Sub(t.Fees)
				}
				out = append(out, t)
				st.t, st.pos, st.inLots, st.inTL, st.outTL, st.fees = RoundTrip{}, 0, 0, 0, 0, decSum{}
			}
			if closeLots < lots {
				fee = fee.Sub(part)
			}
			lots -= closeLots
			if lots == 0 {
				continue
			}
		}
		if st.pos == 0 {
			st.t = RoundTrip{FQME: f.FQME, Side: f.Side, Open: f.Time}
		}
		tl, ok := mulInt(lots, f.ticks)
		if !ok {
			return nil, false
		}
		if st.inTL, ok = addInt(st.inTL, tl); !ok {
			return nil, false
		}
		st.inLots += lots
		if lots == f.lots {
			st.fees.addFee(f)
		} else {
			st.fees.add(fee)
		}
		st.pos += side * lots
		st.t.Close = f.Time
	}
	return out, true
}

// avgPrice is tl ticks·lots over lots as a price, computed as the decimal
// path computes it (notional over size) when it is not a whole tick.
func avgPrice(m *market, tl, lots int64) decimal.Decimal {
	if tl%lots == 0 {
		return m.priceOf(tl / lots)
	}
	return m.tickD.Mul(m.lotD).Mul(decimal.NewFromInt(tl)).Div(m.sizeOf(lots))
}

// addDec is a+b, skipping decimal's rescaling of a zero (a power of ten
// computed afresh) when one side is zero: sums of fees start at zero.
func addDec(a, b decimal.Decimal) decimal.Decimal {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	}
	return a.Add(b)
}

// mulInt is a·b and whether it fits in an int64. The check multiplies the
// magnitudes into 128 bits: a division to check it took a twentieth of a
// backtest that trades often.
func mulInt(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(absU(a), absU(b))
	if hi != 0 {
		return a * b, false
	}
	if (a < 0) != (b < 0) {
		return a * b, lo <= 1<<63
	}
	return a * b, lo < 1<<63
}

// absU is |a| as a uint64, which holds |math.MinInt64|.
func absU(a int64) uint64 {
	if a < 0 {
		return -uint64(a)
	}
	return uint64(a)
}

func addInt(a, b int64) (int64, bool) {
	c := a + b
	return c, (c > a) == (b > 0)
}

// Num is a statistic that may be undefined (NaN, or infinite as a profit
// factor without losses); it is written as null in JSON.
type Num float64

// MarshalJSON writes null for a non-finite value.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (n Num) String() string {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(f, 'f', 4, 64)
}

// Stats are a backtest's summary figures. Returns are per equity sample (one
// per distinct bar close, the first measured from the starting cash);
// annualised figures scale by PeriodsPerYear; the risk-free rate is 0.
//
// Annualised figures (CAGR, AnnualVol, Sharpe, Sortino, Calmar) need a
// sample that says something about a year: at least MinAnnualDays days
// from start to end and at least MinAnnualReturns returns. Below either
// they are undefined (n/a, null in JSON): a 99-minute session compounded
// to a year is a number of no meaning.
type Stats struct {
	InitialEquity, FinalEquity Num
	TotalReturn                Num // final/initial − 1
	CAGR                       Num // (final/initial)^(1/years) − 1, years of 365.25 days
	AnnualVol                  Num // sample standard deviation of returns · √PeriodsPerYear
	Sharpe                     Num // mean/std · √PeriodsPerYear
	// Sortino is mean/downside deviation · √PeriodsPerYear, the downside
	// deviation being √(Σ min(r, 0)² / n).
	Sortino     Num
	MaxDrawdown Num // largest fall from a peak, as a fraction of the peak
	// MaxDrawdownDuration is the seconds from that drawdown's peak until the
	// equity first regained it (or until the end).
	MaxDrawdownDuration int64
	Calmar              Num // CAGR / MaxDrawdown
	Trades, Wins        int
	WinRate             Num // wins (PnL > 0) / round trips
	ProfitFactor        Num // Σ winning PnL / |Σ losing PnL|
	Expectancy          Num // mean PnL per round trip
	Exposure            Num // share of equity samples with a position open
	Turnover            Num // Σ |fill notional| / mean equity
	Fees                decimal.Decimal
	Fills               int
	PeriodsPerYear      Num
}

// The minimum sample for annualised statistics (see Stats).
const (
	MinAnnualDays    = 30
	MinAnnualReturns = 30
)

func computeStats(res *Result, ppy float64, exposed int) Stats {
	st, eqSum := equityStats(res, ppy, exposed)
	tradeStats(&st, res, eqSum)
	return st
}

// equityStats is the part of the Stats that depends on the equity curve
// only (a backtest computes it while it assembles the fills); it also
// returns the sum of the curve.
func equityStats(res *Result, ppy float64, exposed int) (Stats, float64) {
	st, eqSum := rawEquityStats(res, ppy, exposed)
	days := float64(res.End-res.Start) / 1e9 / 86400
	if days < MinAnnualDays || res.Equity.Len() < MinAnnualReturns {
		nan := Num(math.NaN())
		st.CAGR, st.AnnualVol, st.Sharpe, st.Sortino, st.Calmar = nan, nan, nan, nan, nan
	}
	return st, eqSum
}

// rawEquityStats is equityStats whatever the sample's size.
func rawEquityStats(res *Result, ppy float64, exposed int) (Stats, float64) {
	eq := res.Equity
	init := decFloat(res.InitialCash)
	st := Stats{InitialEquity: Num(init), FinalEquity: Num(init), PeriodsPerYear: Num(ppy)}
	if len(eq.Value) > 0 {
		st.FinalEquity = Num(eq.Value[len(eq.Value)-1])
	}
	final := float64(st.FinalEquity)
	st.TotalReturn = Num(final/init - 1)
	years := float64(res.End-res.Start) / 1e9 / secondsPerYear
	st.CAGR = Num(math.NaN())
	if years > 0 && init > 0 {
		if final <= 0 {
			st.CAGR = -1
		} else {
			st.CAGR = Num(math.Pow(final/init, 1/years) - 1)
		}
	}
	// Returns, mean, deviations.
	n := len(eq.Value)
	var sum, down, eqSum float64
	prev := init
	// The drawdown rides along: its comparisons overlap the sums' chains of
	// additions, where a pass of its own would read the curve again.
	drawdn := drawdown{peak: init, peakI: -1, mddPeak: init, mddPeakI: -1, trough: -1}
	for i, v := range eq.Value {
		r := v/prev - 1
		sum += r
		// r where it is negative, else +0: a branch on its sign mispredicts
		// about every other sample of a position's returns. (A NaN return
		// may count here; it makes the mean, and so the ratio, NaN anyway.)
		neg := math.Float64frombits(math.Float64bits(r) & uint64(int64(math.Float64bits(r))>>63))
		down += neg * neg
		prev = v
		eqSum += v
		drawdn.add(i, v)
	}
	mean := sum / float64(n)
	var ss float64
	prev = init
	for _, v := range eq.Value {
		r := v/prev - 1 - mean
		ss += r * r
		prev = v
	}
	sd := math.NaN()
	if n > 1 {
		sd = math.Sqrt(ss / float64(n-1))
	}
	ann := math.Sqrt(ppy)
	st.AnnualVol = Num(sd * ann)
	st.Sharpe = Num(mean / sd * ann)
	dd := math.Sqrt(down / float64(n))
	st.Sortino = Num(mean / dd * ann)
	if n == 0 {
		st.AnnualVol, st.Sharpe, st.Sortino = Num(math.NaN()), Num(math.NaN()), Num(math.NaN())
	}
	mdd, dur := drawdn.result(res.Start, eq, res.End)
	st.MaxDrawdown, st.MaxDrawdownDuration = Num(mdd), dur
	st.Calmar = Num(float64(st.CAGR) / mdd)
	if mdd == 0 {
		st.Calmar = Num(math.NaN())
	}
	st.Exposure = Num(math.NaN())
	if n > 0 {
		st.Exposure = Num(float64(exposed) / float64(n))
	}
	return st, eqSum
}

// tradeStats fills in the Stats of the round trips and fills.
func tradeStats(st *Stats, res *Result, eqSum float64) {
	tt := tradeTotals{fills: len(res.Fills)}
	for _, t := range res.Trades {
		tt.trip(decFloat(t.PnL))
	}
	for i := range res.Fills {
		f := &res.Fills[i]
		if f.mk != nil && f.ticks >= 0 {
			tt.notnl += float64(f.ticks) * f.mk.tick * float64(f.lots) * f.mk.lot
		} else {
			tt.notnl += decFloat(f.Size.Mul(f.Price))
		}
		tt.fees.addFee(f)
	}
	tt.apply(st, len(res.Equity.Value), eqSum)
}

// drawdown finds the largest fall from a running peak as a fraction of the
// peak, over the starting value (sample -1) and the curve's samples in
// order, and the seconds from that fall's peak to the first sample back at
// or above it (or to the end).
type drawdown struct {
	peak             float64
	peakI            int
	mdd, mddPeak     float64
	mddPeakI, trough int
}

func (d *drawdown) add(i int, v float64) {
	if v >= d.peak {
		d.peak, d.peakI = v, i
		return
	}
	if x := 1 - v/d.peak; x > d.mdd {
		d.mdd, d.mddPeak, d.mddPeakI, d.trough = x, d.peak, d.peakI, i
	}
}

// result is the largest drawdown and its duration in seconds, for the curve
// eq starting at start and ending at end (epoch ns).
func (d *drawdown) result(start int64, eq EquityCurve, end int64) (float64, int64) {
	if d.trough < 0 {
		return 0, 0
	}
	peakT := start
	if d.mddPeakI >= 0 {
		peakT = eq.Time(d.mddPeakI)
	}
	for i := d.trough + 1; i < len(eq.Value); i++ {
		if eq.Value[i] >= d.mddPeak {
			return d.mdd, (eq.Time(i) - peakT) / 1e9
		}
	}
	return d.mdd, (end - peakT) / 1e9
}

// Transactions are the fills as ledger transactions, in fill order. A
// fill's TID is its order's ID and its number among that order's fills,
// "o12:1", so a ledger of one backtest never repeats one.
func (res *Result) Transactions() []Transaction {
	n := make(map[string]int)
	out := make([]Transaction, len(res.Fills))
	for i, f := range res.Fills {
		n[f.OrderID]++
		out[i] = Transaction{TID: f.OrderID + ":" + strconv.Itoa(n[f.OrderID]), FQME: f.FQME,
			Time: time.Unix(0, f.Time).UTC(), Size: f.SignedSize(), Price: f.Price, Cost: f.Fee,
			BSMktID: f.FQME, Etype: "clear"}
	}
	return out
}

// Accounts books the transactions into one Position per market, in the
// order of Positions, by the accounting's exact rules: average entry price,
// realized PnL, fees, break-even.
func (res *Result) Accounts() ([]*Position, error) {
	ps := make([]*Position, len(res.Config.Series))
	by := make(map[string]*Position, len(ps))
	for i, s := range res.Config.Series {
		ps[i] = NewPosition(s.Market)
		by[s.Market.FQME()] = ps[i]
	}
	for _, tx := range res.Transactions() {
		p := by[tx.FQME]
		if p == nil {
			return nil, fmt.Errorf("backtest accounts: transaction %s for unknown market %s", tx.TID, tx.FQME)
		}
		if err := p.Apply(tx); err != nil {
			return nil, fmt.Errorf("backtest accounts: %w", err)
		}
	}
	return ps, nil
}

// FinalEquity is the exact final cash plus positions marked at their last close.
func (res *Result) FinalEquity() decimal.Decimal {
	eq := res.FinalCash
	for _, p := range res.Positions {
		if !p.Size.IsZero() && !math.IsNaN(p.LastClose) {
			eq = eq.Add(p.Size.Mul(decimal.NewFromFloat(p.LastClose)))
		}
	}
	return eq
}

type jsonFill struct {
	Time      string          `json:"time"`
	OrderID   string          `json:"order"`
	FQME      string          `json:"fqme"`
	Side      string          `json:"side"`
	Price     decimal.Decimal `json:"price"`
	Size      decimal.Decimal `json:"size"`
	Fee       decimal.Decimal `json:"fee"`
	Liquidity string          `json:"liquidity"`
}

type jsonTrade struct {
	FQME       string          `json:"fqme"`
	Side       string          `json:"side"`
	Open       string          `json:"open"`
	Close      string          `json:"close"`
	Size       decimal.Decimal `json:"size"`
	EntryPrice decimal.Decimal `json:"entry_price"`
	ExitPrice  decimal.Decimal `json:"exit_price"`
	Fees       decimal.Decimal `json:"fees"`
	PnL        decimal.Decimal `json:"pnl"`
}

type jsonOrder struct {
	ID       string          `json:"id"`
	FQME     string          `json:"fqme"`
	Side     string          `json:"side"`
	Type     string          `json:"type"`
	TIF      string          `json:"tif"`
	Size     decimal.Decimal `json:"size"`
	Price    decimal.Decimal `json:"price,omitzero"`
	Stop     decimal.Decimal `json:"stop,omitzero"`
	Status   string          `json:"status"`
	Filled   decimal.Decimal `json:"filled"`
	AvgPrice decimal.Decimal `json:"avg_price,omitzero"`
	Parent   string          `json:"parent,omitempty"`
}

type jsonReject struct {
	Time    string `json:"time"`
	OrderID string `json:"order,omitempty"`
	FQME    string `json:"fqme"`
	Reason  string `json:"reason"`
}

type jsonPosition struct {
	FQME       string          `json:"fqme"`
	Size       decimal.Decimal `json:"size"`
	LastClose  Num             `json:"last_close"`
	AvgPrice   decimal.Decimal `json:"avg_price,omitzero"`
	BreakEven  decimal.Decimal `json:"break_even,omitzero"`
	Realized   decimal.Decimal `json:"realized"`
	Unrealized decimal.Decimal `json:"unrealized"`
	Fees       decimal.Decimal `json:"fees"`
}

type jsonReport struct {
	Markets     []string        `json:"markets"`
	Start       string          `json:"start"`
	End         string          `json:"end"`
	Bars        int             `json:"bars"`
	SkippedBars int             `json:"skipped_bars"`
	Skipped     []jsonSkipped   `json:"skipped"`
	InitialCash decimal.Decimal `json:"initial_cash"`
	FinalCash   decimal.Decimal `json:"final_cash"`
	FinalEquity decimal.Decimal `json:"final_equity"`
	Stats       jsonStats       `json:"stats"`
	Positions   []jsonPosition  `json:"positions"`
	Trades      []jsonTrade     `json:"trades"`
	Fills       []jsonFill      `json:"fills"`
	Orders      []jsonOrder     `json:"orders"`
	Rejects     []jsonReject    `json:"rejects"`
	// PerMarket is each market's breakdown, keyed by fqme.
	PerMarket map[string]jsonMarket `json:"per_market"`
}

// jsonSkipped is an invalid bar skipped.
type jsonSkipped struct {
	FQME    string `json:"fqme"`
	Time    string `json:"time"`
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

type jsonStats struct {
	InitialEquity       Num             `json:"initial_equity"`
	FinalEquity         Num             `json:"final_equity"`
	TotalReturn         Num             `json:"total_return"`
	CAGR                Num             `json:"cagr"`
	AnnualVol           Num             `json:"annual_volatility"`
	Sharpe              Num             `json:"sharpe"`
	Sortino             Num             `json:"sortino"`
	MaxDrawdown         Num             `json:"max_drawdown"`
	MaxDrawdownDuration int64           `json:"max_drawdown_seconds"`
	Calmar              Num             `json:"calmar"`
	Trades              int             `json:"trades"`
	Wins                int             `json:"wins"`
	WinRate             Num             `json:"win_rate"`
	ProfitFactor        Num             `json:"profit_factor"`
	Expectancy          Num             `json:"expectancy"`
	Exposure            Num             `json:"exposure"`
	Turnover            Num             `json:"turnover"`
	Fees                decimal.Decimal `json:"fees"`
	Fills               int             `json:"fills"`
	PeriodsPerYear      Num             `json:"periods_per_year"`
}

func (s Stats) json() jsonStats {
	return jsonStats{s.InitialEquity, s.FinalEquity, s.TotalReturn, s.CAGR, s.AnnualVol, s.Sharpe, s.Sortino,
		s.MaxDrawdown, s.MaxDrawdownDuration, s.Calmar, s.Trades, s.Wins, s.WinRate, s.ProfitFactor, s.Expectancy,
		s.Exposure, s.Turnover, s.Fees, s.Fills, s.PeriodsPerYear}
}

func isoNs(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339Nano) }

func (res *Result) jsonReport() (jsonReport, error) {
	s := res.Stats
	j := jsonReport{
		Markets: res.Markets, Start: isoNs(res.Start), End: isoNs(res.End), Bars: res.Bars,
		InitialCash: res.InitialCash, FinalCash: res.FinalCash, FinalEquity: res.FinalEquity(),
		Stats:     s.json(),
		Positions: []jsonPosition{}, Trades: []jsonTrade{}, Fills: []jsonFill{}, Orders: []jsonOrder{}, Rejects: []jsonReject{},
		SkippedBars: res.SkippedBars, Skipped: []jsonSkipped{}, PerMarket: map[string]jsonMarket{},
	}
	for _, m := range res.Breakdown() {
		j.PerMarket[m.FQME] = m.json()
	}
	for _, b := range res.Skipped {
		j.Skipped = append(j.Skipped, jsonSkipped{b.FQME, isoNs(b.Time * 1e9), b.Field, b.Problem})
	}
	accts, err := res.Accounts()
	if err != nil {
		return j, err
	}
	for i, p := range res.Positions {
		a := accts[i]
		jp := jsonPosition{FQME: p.FQME, Size: p.Size, LastClose: Num(p.LastClose), AvgPrice: a.AvgPrice(),
			BreakEven: a.BreakEven(), Realized: a.Realized(), Fees: a.Fees()}
		if !a.IsFlat() && !math.IsNaN(p.LastClose) {
			jp.Unrealized = a.Unrealized(decimal.NewFromFloat(p.LastClose))
		}
		j.Positions = append(j.Positions, jp)
	}
	for _, t := range res.Trades {
		j.Trades = append(j.Trades, jsonTrade{t.FQME, t.Side.String(), isoNs(t.Open), isoNs(t.Close), t.Size,
			t.EntryPrice, t.ExitPrice, t.Fees, t.PnL})
	}
	for _, f := range res.Fills {
		j.Fills = append(j.Fills, jsonFill{isoNs(f.Time), f.OrderID, f.FQME, f.Side.String(), f.Price, f.Size, f.Fee,
			f.Liquidity.String()})
	}
	for _, o := range res.Orders {
		j.Orders = append(j.Orders, jsonOrder{o.ID, o.FQME, o.Side.String(), o.Type.String(), o.TIF.String(), o.Size,
			o.Price, o.Stop, o.Status.String(), o.Filled, o.AvgPrice, o.Parent})
	}
	for _, r := range res.Rejects {
		j.Rejects = append(j.Rejects, jsonReject{isoNs(r.Time), r.OrderID, r.FQME, r.Reason})
	}
	return j, nil
}

// WriteJSON writes the report (everything but the equity curve) as indented JSON.
func (res *Result) WriteJSON(w io.Writer) error {
	j, err := res.jsonReport()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}

// WriteEquityCSV writes the equity curve as time,equity rows (RFC 3339, float).
func (res *Result) WriteEquityCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("time,equity\n")
	buf := make([]byte, 0, 64)
	for i := range res.Equity.Value {
		buf = time.Unix(0, res.Equity.Time(i)).UTC().AppendFormat(buf[:0], time.RFC3339)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, res.Equity.Value[i], 'f', -1, 64)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}

// WriteText writes a human summary of the statistics.
func (res *Result) WriteText(w io.Writer) error {
	s := res.Stats
	pct := func(n Num) string {
		if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
			return "n/a"
		}
		return strconv.FormatFloat(float64(n)*100, 'f', 2, 64) + "%"
	}
	bw := bufio.NewWriter(w)
	head := "backtest"
	if res.session {
		head = "paper session"
	}
	fmt.Fprintf(bw, "%s %v\n", head, res.Markets)
	fmt.Fprintf(bw, "  period          %s .. %s (%d bars)\n", isoNs(res.Start), isoNs(res.End), res.Bars)
	if res.Config.SkipInvalid || res.SkippedBars > 0 {
		fmt.Fprintf(bw, "  invalid bars    %d skipped", res.SkippedBars)
		if len(res.Skipped) > 0 {
			fmt.Fprintf(bw, " (first: %v)", &res.Skipped[0])
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "  equity          %s -> %s\n", res.InitialCash.StringFixed(2), res.FinalEquity().StringFixed(2))
	fmt.Fprintf(bw, "  total return    %s\n", pct(s.TotalReturn))
	fmt.Fprintf(bw, "  CAGR            %s\n", pct(s.CAGR))
	fmt.Fprintf(bw, "  volatility      %s a year\n", pct(s.AnnualVol))
	fmt.Fprintf(bw, "  Sharpe          %s\n", s.Sharpe)
	fmt.Fprintf(bw, "  Sortino         %s\n", s.Sortino)
	fmt.Fprintf(bw, "  max drawdown    %s over %s\n", pct(s.MaxDrawdown), humanSeconds(s.MaxDrawdownDuration))
	fmt.Fprintf(bw, "  Calmar          %s\n", s.Calmar)
	fmt.Fprintf(bw, "  round trips     %d, %d won (%s)\n", s.Trades, s.Wins, pct(s.WinRate))
	fmt.Fprintf(bw, "  profit factor   %s\n", s.ProfitFactor)
	fmt.Fprintf(bw, "  expectancy      %s a trade\n", s.Expectancy)
	fmt.Fprintf(bw, "  exposure        %s\n", pct(s.Exposure))
	fmt.Fprintf(bw, "  turnover        %s x mean equity\n", s.Turnover)
	fmt.Fprintf(bw, "  fills / fees    %d / %s\n", s.Fills, s.Fees.StringFixed(2))
	accts, err := res.Accounts()
	if err != nil {
		return err
	}
	for i, p := range res.Positions {
		if a := accts[i]; !a.IsFlat() {
			fmt.Fprintf(bw, "  open position   %s %s at %s, break-even %s\n", p.FQME, p.Size,
				a.AvgPrice().Round(8), a.BreakEven().Round(8))
		}
	}
	writeBreakdown(bw, res.Breakdown())
	if len(res.Rejects) > 0 {
		fmt.Fprintf(bw, "  rejected        %d (first: %s)\n", len(res.Rejects), res.Rejects[0].Reason)
	}
	return bw.Flush()
}

// humanSeconds writes a duration as days, hours and minutes ("23d 1h").
func humanSeconds(s int64) string {
	d, h, m := s/86400, s%86400/3600, s%3600/60
	switch {
	case d > 0 && h > 0:
		return fmt.Sprintf("%dd %dh", d, h)
	case d > 0:
		return fmt.Sprintf("%dd", d)
	case h > 0 && m > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	case h > 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dm", m)
}

// The broker and account names of a backtest's ledger and account files.
const (
	BacktestBroker  = "paper"
	BacktestAccount = "backtest"
)

// Ledger is the backtest's transactions ledger, to be saved in dir.
func (res *Result) Ledger(dir string) (*Ledger, error) {
	l := NewLedger(filepath.Join(dir, LedgerFileName(BacktestBroker, BacktestAccount)), BacktestBroker, BacktestAccount)
	for _, tx := range res.Transactions() {
		if err := l.Add(tx); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// WriteFiles writes into dir, each file atomically: report.json,
// report.txt, equity.csv, the transactions ledger
// (trades_paper_backtest.toml) and the account file of the positions still
// open (account.paper.backtest.toml), both in piker's layout.
func (res *Result) WriteFiles(dir string) error {
	for _, f := range []struct {
		name  string
		write func(io.Writer) error
	}{{"report.json", res.WriteJSON}, {"report.txt", res.WriteText}, {"equity.csv", res.WriteEquityCSV}} {
		path := filepath.Join(dir, f.name)
		if err := atomicfile.Write(path, 0o644, f.write); err != nil {
			return fmt.Errorf("backtest report %s: %w", path, err)
		}
	}
	l, err := res.Ledger(dir)
	if err != nil {
		return err
	}
	if err := l.Save(); err != nil {
		return err
	}
	markets := make([]mkt.MktPair, len(res.Config.Series))
	for i, s := range res.Config.Series {
		markets[i] = s.Market
	}
	acct, err := AccountFromLedger(l, res.InitialCash, markets)
	if err != nil {
		return err
	}
	return acct.SaveFile(filepath.Join(dir, AccountFileName(BacktestBroker, BacktestAccount)))
}
