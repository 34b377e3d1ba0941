package paper

import (
	"math"

	"github.com/shopspring/decimal"
)

// decSum adds decimals exactly. While the terms' coefficients fit, it sums
// them in an int64 at the smallest exponent seen, and only falls back to
// decimal (a big.Int allocated per addition) when one does not: a backtest
// sums hundreds of thousands of fees.
type decSum struct {
	c   int64
	e   int32
	big bool
	d   decimal.Decimal
}

// add adds x.
func (s *decSum) add(x decimal.Decimal) {
	if !s.big {
		if x.IsZero() {
			return
		}
		if x.NumDigits() <= 18 && s.addInt(x.CoefficientInt64(), x.Exponent()) {
			return
		}
		s.big, s.d = true, s.intValue()
	}
	s.d = addDec(s.d, x)
}

// addFee adds a fill's fee, from its ticks and lots when the engine
// computed it from them.
func (s *decSum) addFee(f *Report) {
	if f.mk != nil && !s.big {
		if c, e, ok := f.mk.feeCoef(f.ticks, f.lots, f.Liquidity); ok && (c == 0 || s.addInt(c, e)) {
			return
		}
	}
	s.add(f.Fee)
}

// addInt adds c·10^e and reports whether the int64 sum could hold it.
func (s *decSum) addInt(c int64, e int32) bool {
	if s.c == 0 {
		s.c, s.e = c, e
		return true
	}
	sc := s.c
	switch {
	case e > s.e:
		var ok bool
		if c, ok = scale10(c, e-s.e); !ok {
			return false
		}
	case e < s.e:
		var ok bool
		if sc, ok = scale10(sc, s.e-e); !ok {
			return false
		}
	}
	sum, ok := addInt(sc, c)
	if !ok {
		return false
	}
	s.c, s.e = sum, min(s.e, e)
	return true
}

// value is the sum.
func (s *decSum) value() decimal.Decimal {
	if s.big {
		return s.d
	}
	return s.intValue()
}

func (s *decSum) intValue() decimal.Decimal {
	if s.c == 0 {
		return decimal.Zero
	}
	return decimal.New(s.c, s.e)
}

// scale10 is c·10^k (k > 0) and whether it fits in an int64.
func scale10(c int64, k int32) (int64, bool) {
	if int(k) >= len(pow10) {
		return 0, c == 0
	}
	return mulInt(c, pow10[k])
}

// smallDec is d as c·10^e when its coefficient fits in an int64.
func smallDec(d decimal.Decimal) (int64, int32, bool) {
	if d.NumDigits() > 18 {
		return 0, 0, false
	}
	return d.CoefficientInt64(), d.Exponent(), true
}

// subDecInt is a·10^ae − b·10^be as a decimal, in int64 arithmetic when it
// fits and in decimal otherwise.
func subDecInt(a int64, ae int32, b decimal.Decimal) decimal.Decimal {
	if bc, be, ok := smallDec(b); ok {
		s := decSum{c: a, e: ae}
		if a == 0 {
			s.e = be
		}
		if bc != math.MinInt64 && s.addInt(-bc, be) {
			return s.intValue()
		}
	}
	return decimal.New(a, ae).Sub(b)
}
