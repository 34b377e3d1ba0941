package paper

import "math"

// tradeTotals are the sums the fill and round-trip statistics are made of,
// added up in the order the fills happened.
type tradeTotals struct {
	fills, trades, wins      int
	gain, loss, total, notnl float64
	fees                     decSum
}

// trip adds a round trip's PnL.
func (tt *tradeTotals) trip(p float64) {
	tt.trades++
	tt.total += p
	if p > 0 {
		tt.wins++
		tt.gain += p
	} else {
		tt.loss -= p
	}
}

// apply fills in st's trade statistics over an equity curve of n samples
// summing to eqSum.
func (tt *tradeTotals) apply(st *Stats, n int, eqSum float64) {
	st.Fills, st.Trades, st.Wins = tt.fills, tt.trades, tt.wins
	st.WinRate, st.Expectancy, st.ProfitFactor = Num(math.NaN()), Num(math.NaN()), Num(math.NaN())
	if st.Trades > 0 {
		st.WinRate = Num(float64(st.Wins) / float64(st.Trades))
		st.Expectancy = Num(tt.total / float64(st.Trades))
		st.ProfitFactor = Num(tt.gain / tt.loss)
	}
	st.Fees = tt.fees.value()
	st.Turnover = Num(math.NaN())
	if n > 0 && eqSum != 0 {
		st.Turnover = Num(tt.notnl / (eqSum / float64(n)))
	}
}

// compactTotals is tradeTotals straight from the run's fill records,
// without the decimals of a Report or a RoundTrip: what a StatsOnly
// backtest spends at its end instead of building them. It gives the floats
// RoundTrips and tradeStats give, from the same integer sums; it reports
// false where those would have left integers (a fill without ticks, a fee
// split between a closing and an opening part, a sum past int64), and the
// caller then takes the long way.
func (r *runner) compactTotals() (tradeTotals, bool) {
	var tt tradeTotals
	if len(r.opening) > 0 {
		return tt, false
	}
	type open struct {
		m                *market
		pos, inTL, outTL int64
		fees             decSum
		tlC              int64
		tlE              int32
		tlOK             bool
	}
	var st *open
	state := make(map[*market]*open)
	fees := r.e.cfg.Fees != nil
	for _, chunk := range r.fills {
		for i := range chunk {
			f := &chunk[i]
			o := r.e.list[f.ord]
			m := o.m
			if f.dec > 0 || m == nil || f.ticks < 0 || f.lots <= 0 {
				return tt, false
			}
			var fc int64
			var fe int32
			if fees {
				var ok bool
				if fc, fe, ok = m.feeCoef(f.ticks, f.lots, f.liq); !ok {
					return tt, false
				}
			}
			tt.fills++
			tt.notnl += float64(f.ticks) * m.tick * float64(f.lots) * m.lot
			if fc != 0 && !tt.fees.addInt(fc, fe) {
				return tt, false
			}
			if st == nil || st.m != m {
				if st = state[m]; st == nil {
					st = &open{m: m}
					st.tlC, st.tlE, st.tlOK = smallDec(m.tickD.Mul(m.lotD))
					state[m] = st
				}
			}
			side, lots := int64(o.Side), f.lots
			tl, ok := mulInt(lots, f.ticks)
			if !ok {
				return tt, false
			}
			if st.pos != 0 && (st.pos > 0) != (side > 0) {
				if lots > max(st.pos, -st.pos) {
					return tt, false // a flip: its fee is split in decimal
				}
				if st.outTL, ok = addInt(st.outTL, tl); !ok {
					return tt, false
				}
			} else if st.inTL, ok = addInt(st.inTL, tl); !ok {
				return tt, false
			}
			if fc != 0 && !st.fees.addInt(fc, fe) {
				return tt, false
			}
			if st.pos += side * lots; st.pos != 0 {
				continue
			}
			// The trip is closed: its PnL as subDecInt makes it, as a float
			// as decFloat reads that decimal.
			net := -side * (st.outTL - st.inTL)
			gross, ok := mulInt(net, st.tlC)
			if !ok || !st.tlOK {
				return tt, false
			}
			p, ok := pnlFloat(gross, st.tlE, st.fees)
			if !ok {
				return tt, false
			}
			tt.trip(p)
			st.inTL, st.outTL, st.fees = 0, 0, decSum{}
		}
	}
	return tt, true
}

// pnlFloat is decFloat(subDecInt(gross, e, fees.value())) without the
// decimals, when the sums stay in int64.
func pnlFloat(gross int64, e int32, fees decSum) (float64, bool) {
	if fees.big {
		return 0, false
	}
	fc, fe := fees.c, fees.e
	if fc == 0 {
		fe = 0 // decSum.value's zero is decimal.Zero
	}
	s := decSum{c: gross, e: e}
	if gross == 0 {
		s.e = fe
	}
	if fc == math.MinInt64 || !s.addInt(-fc, fe) {
		return 0, false
	}
	if s.c == 0 {
		return 0, true
	}
	if decDigits(s.c) > 15 {
		return 0, false
	}
	return floatOf(s.c, s.e)
}

// decDigits is decimal.New(c, 0).NumDigits(), whose test decFloat makes,
// reckoned the way decimal reckons it (through Log10, which may be one
// short at a power of ten); past 2^53 it only needs to say "more than 15".
func decDigits(c int64) int {
	switch {
	case c == 0:
		return 1
	case c > 1<<53 || c < -(1<<53):
		return 16
	}
	return int(math.Log10(math.Abs(float64(c)))) + 1
}
