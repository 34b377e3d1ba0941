package paper

import (
	"github.com/shopspring/decimal"
)

// FeeModel prices a fill. It is called once per fill, off the matching loop's
// hot path, and works in decimal.
type FeeModel interface {
	Fee(f FeeInput) decimal.Decimal
}

// FeeInput describes a fill to a FeeModel.
type FeeInput struct {
	FQME        string
	Side        Side
	Price, Size decimal.Decimal // Size unsigned
	Liquidity   Liquidity
}

// Fees is the usual venue schedule: a basis-point rate on the notional that
// depends on whether the fill made or took liquidity, plus a charge per unit
// traded, with a minimum per fill. The zero value charges nothing.
type Fees struct {
	MakerBps, TakerBps decimal.Decimal
	PerUnit            decimal.Decimal
	Minimum            decimal.Decimal
}

// Fee is bps·price·size/10⁴ + PerUnit·size, at least Minimum.
func (f Fees) Fee(in FeeInput) decimal.Decimal {
	bps := f.TakerBps
	if in.Liquidity == Maker {
		bps = f.MakerBps
	}
	fee := decimal.Zero
	if !bps.IsZero() {
		fee = mul3(in.Price, in.Size, bps, -4)
	}
	if !f.PerUnit.IsZero() {
		fee = fee.Add(mul3(f.PerUnit, in.Size, decimal.NewFromInt(1), 0))
	}
	if f.Minimum.Sign() > 0 && fee.LessThan(f.Minimum) {
		fee = f.Minimum
	}
	return fee
}

// mul3 is a·b·c·10^shift, in one int64 product when the coefficients are
// small enough (the usual case: a price, a size and a rate), else in decimal.
func mul3(a, b, c decimal.Decimal, shift int32) decimal.Decimal {
	if a.NumDigits()+b.NumDigits()+c.NumDigits() <= 18 {
		return decimal.New(a.CoefficientInt64()*b.CoefficientInt64()*c.CoefficientInt64(),
			a.Exponent()+b.Exponent()+c.Exponent()+shift)
	}
	return a.Mul(b).Mul(c).Shift(shift)
}

// BpsFees is a Fees with maker and taker rates in basis points.
func BpsFees(makerBps, takerBps float64) Fees {
	return Fees{MakerBps: decimal.NewFromFloat(makerBps), TakerBps: decimal.NewFromFloat(takerBps)}
}

// SlippageModel says how far a taker fill moves against the order.
type SlippageModel interface {
	// Slip returns a price distance ≥ 0; the engine adds it to buys and
	// subtracts it from sells, then rounds to the price tick against the order.
	Slip(in SlipInput) float64
}

// SlipInput describes a taker fill before slippage.
type SlipInput struct {
	FQME  string
	Side  Side
	Price float64 // the price the fill would have without slippage
	Size  float64 // units
	Tick  float64 // the market's price tick (0 if none)
	// Volume is the liquidity the fill drew on: the bar's volume, or the
	// displayed size at the touch; 0 when unknown.
	Volume float64
}

// Slippage adds a fixed number of ticks, a basis-point share of the price and
// a market-impact term in the style of zipline's volume-share slippage,
// Impact·price·(size/volume)², where the volume is known. The zero value
// adds nothing.
type Slippage struct {
	Ticks  float64
	Bps    float64
	Impact float64
}

// Slip implements SlippageModel.
func (s Slippage) Slip(in SlipInput) float64 {
	d := s.Ticks*in.Tick + in.Price*s.Bps/1e4
	if s.Impact != 0 && in.Volume > 0 {
		share := in.Size / in.Volume
		d += s.Impact * in.Price * share * share
	}
	if d < 0 {
		return 0
	}
	return d
}

// FillModel holds the engine's probabilistic and liquidity rules. The zero
// value is conservative: a price that only touches a resting limit never fills
// it, and fills are not capped by volume.
type FillModel struct {
	// ProbFillOnTouch is the chance that a resting limit fills when the market
	// reaches its price exactly without trading through it (nautilus's
	// prob_fill_on_limit; 1 fills every touch, 0 none). One draw per order
	// per event.
	ProbFillOnTouch float64
	// ProbSlippage is the chance that a taker fill slips one more tick
	// (nautilus's prob_slippage), on top of the SlippageModel.
	ProbSlippage float64
	// VolumeShare caps fills against a bar at this share of the bar's volume,
	// summed over all orders in the market (zipline's volume limit); 0 means
	// no cap.
	VolumeShare float64
}

// Latency delays orders in event time: a new order is live only Order ns
// after it was submitted; a cancel or an amend takes effect Cancel ns after
// it was asked for. Until then the order keeps trading as it was.
type Latency struct {
	Order, Cancel int64
}
