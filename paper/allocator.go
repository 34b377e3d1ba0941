package paper

import (
	"fmt"

	"github.com/shopspring/decimal"

	"workbench/mkt"
)

// Allocator sizes orders as piker's does: a limit, in units of the market
// or in the src currency, split into equal slots; each entry takes one slot
// (or what room is left), each exit gives back one slot.
//
// Fixed against piker's _allocate.py: the limits and slot count given are
// used (piker's mk_allocator overrides them with 6000 and 6); sizes are
// rounded down to the size tick so an entry never exceeds the limit (piker
// rounds to nearest, and keeps one decimal for whole-unit ticks); slots used
// are counted on the position after the order (piker counts a fresh empty
// position and reports 0).
type Allocator struct {
	Mkt           mkt.MktPair
	Units         bool            // limit in units of the market, else in src currency
	UnitsLimit    decimal.Decimal // largest absolute size, when Units
	CurrencyLimit decimal.Decimal // largest absolute size × price, when !Units
	Slots         int
}

// OrderSize is an Allocator's answer.
type OrderSize struct {
	Size      decimal.Decimal // unsigned, on the size tick; zero when there is no room
	FiatSize  decimal.Decimal // Size × price, to the cent
	SlotsUsed int             // slots the position fills after the order
	CloseAll  bool            // the order closes the whole position
}

// Next sizes the next order on side at price for a position of signed size
// live with average price avg (zero when flat). startup is the position's
// size when the strategy started; exits are sized from the larger of the two,
// so scaling out takes as many steps as scaling in did.
func (a Allocator) Next(side Side, price, live, avg, startup decimal.Decimal) (OrderSize, error) {
	if a.Slots <= 0 {
		return OrderSize{}, fmt.Errorf("allocator %s: slots %d, want ≥ 1", a.Mkt.FQME(), a.Slots)
	}
	if price.Sign() <= 0 {
		return OrderSize{}, fmt.Errorf("allocator %s: price %s, want > 0", a.Mkt.FQME(), price)
	}
	limit := a.CurrencyLimit
	if a.Units {
		limit = a.UnitsLimit
	}
	if limit.Sign() <= 0 {
		return OrderSize{}, fmt.Errorf("allocator %s: limit %s, want > 0", a.Mkt.FQME(), limit)
	}
	slots := decimal.NewFromInt(int64(a.Slots))
	held := live.Abs()
	var size decimal.Decimal
	closeAll := false
	if live.IsZero() || live.Sign() == int(side) {
		// Entering or adding: one slot, no more than the room left.
		slot, room := limit.Div(slots), limit.Sub(held)
		if !a.Units {
			slot = slot.DivRound(price, divPrecision)
			room = limit.Sub(held.Mul(avg)).DivRound(price, divPrecision)
		}
		size = decimal.Min(slot, decimal.Max(room, decimal.Zero))
		size = floorTick(size, a.Mkt.SizeTick)
	} else {
		// Reducing: a slot valued at the entry price, or an equal share of
		// the largest size held, whichever is larger; close all rather than
		// leave less than half a step.
		slot := limit.Div(slots)
		if !a.Units {
			ref := avg
			if ref.Sign() <= 0 {
				ref = price
			}
			slot = slot.DivRound(ref, divPrecision)
		}
		pp := decimal.Max(startup.Abs(), held)
		size = floorTick(decimal.Max(pp.Div(slots), slot), a.Mkt.SizeTick)
		if size.IsZero() || held.Sub(size).LessThan(size.Div(decimal.NewFromInt(2))) {
			size, closeAll = held, true
		}
	}
	after := held.Add(size)
	if !live.IsZero() && live.Sign() != int(side) {
		after = held.Sub(size)
	}
	used := after
	if !a.Units {
		ref := avg
		if live.IsZero() || live.Sign() == int(side) {
			ref = held.Mul(avg).Add(size.Mul(price)).DivRound(decimal.Max(after, decimal.New(1, -divPrecision)), divPrecision)
		}
		used = after.Mul(ref)
	}
	return OrderSize{
		Size:      size,
		FiatSize:  size.Mul(price).Round(2),
		SlotsUsed: int(used.Div(limit).Mul(slots).Round(0).IntPart()),
		CloseAll:  closeAll,
	}, nil
}

// NextFor is Next for a position (nil reads as flat).
func (a Allocator) NextFor(side Side, price decimal.Decimal, p *Position, startup decimal.Decimal) (OrderSize, error) {
	if p == nil {
		return a.Next(side, price, decimal.Zero, decimal.Zero, startup)
	}
	return a.Next(side, price, p.Size(), p.AvgPrice(), startup)
}

// floorTick rounds v down to a multiple of tick (v ≥ 0); a zero tick keeps v.
func floorTick(v, tick decimal.Decimal) decimal.Decimal {
	if tick.Sign() <= 0 {
		return v
	}
	return v.Div(tick).Floor().Mul(tick)
}
