package paper

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"workbench/mkt"
)

// Transaction is one clear (fill) of a market, as stored in a ledger.
type Transaction struct {
	TID     string          // unique id within a ledger
	FQME    string          // market, e.g. "btcusdt.spot.binance"
	Time    time.Time       // when it cleared
	Size    decimal.Decimal // signed: + buy, − sell
	Price   decimal.Decimal
	Cost    decimal.Decimal // fee paid in the market's src units; negative for a maker rebate
	BSMktID string          // the broker's market id ("" = FQME)
	Etype   string          // "clear" ("" reads as "clear")
	Expiry  string          // contract expiry, "" for none
}

// divPrecision is the number of decimals kept where a quotient (average
// price, pro-rata fee, break-even) may not terminate. Sums stay exact: the
// account invariant holds to the last digit because realized PnL absorbs
// any rounding of the remaining cost basis.
const divPrecision = 16

// Clear is a transaction as held by an open position, with the position's
// size and average price after it.
type Clear struct {
	Transaction
	CumSize  decimal.Decimal // position size after the clear; for a fill that crossed zero, the residual
	AvgPrice decimal.Decimal // average entry price after the clear
}

// Position is the holding in one market, kept exactly in decimal.
//
// A fill of signed size s at price p with fee f:
//   - opening or increasing sets the average entry price to the size-weighted
//     mean of the entries (fees are not part of it);
//   - reducing leaves the average and realizes closed × (p − avg) × sign(Q);
//   - crossing zero closes the old position and opens the residual at p, the
//     fee split pro rata by size between the closing and the opening part;
//   - a flat position has no average price.
//
// Unlike piker's ppu, fees never enter the average price: they enter the
// break-even price.
type Position struct {
	Mkt mkt.MktPair // market; only FQME-derived fields are known for a ledger-only position

	size   decimal.Decimal // signed
	basis  decimal.Decimal // signed cost basis of the open size: Σ entry size × price, pro rata after reductions
	real   decimal.Decimal // realized PnL, lifetime
	fees   decimal.Decimal // fees paid, lifetime
	oReal  decimal.Decimal // realized since the position last opened
	oFees  decimal.Decimal // fees since the position last opened
	clears []Clear         // clears since the position last opened
	last   time.Time
}

// NewPosition returns a flat position in market m.
func NewPosition(m mkt.MktPair) *Position { return &Position{Mkt: m} }

// FQME returns the position's market name.
func (p *Position) FQME() string { return p.Mkt.FQME() }

// Size returns the signed size held.
func (p *Position) Size() decimal.Decimal { return p.size }

// IsFlat reports whether nothing is held.
func (p *Position) IsFlat() bool { return p.size.IsZero() }

// AvgPrice returns the average entry price, or zero when flat.
func (p *Position) AvgPrice() decimal.Decimal {
	if p.size.IsZero() {
		return decimal.Zero
	}
	return p.basis.DivRound(p.size, divPrecision)
}

// CostBasis returns size × average price (negative for a short), exactly.
func (p *Position) CostBasis() decimal.Decimal { return p.basis }

// Realized returns the PnL realized over the position's life, before fees.
func (p *Position) Realized() decimal.Decimal { return p.real }

// Fees returns the fees paid over the position's life.
func (p *Position) Fees() decimal.Decimal { return p.fees }

// OpenRealized returns the PnL realized since the position last opened.
func (p *Position) OpenRealized() decimal.Decimal { return p.oReal }

// OpenFees returns the fees paid since the position last opened.
func (p *Position) OpenFees() decimal.Decimal { return p.oFees }

// Unrealized returns the PnL of the open size at mark: Q × (mark − avg).
func (p *Position) Unrealized(mark decimal.Decimal) decimal.Decimal {
	return p.size.Mul(mark).Sub(p.basis)
}

// BreakEven returns the price at which closing the open size would make the
// position's PnL since it opened zero: avg + (fees − realized since open) / Q.
// It is zero when flat.
func (p *Position) BreakEven() decimal.Decimal { return p.BreakEvenAfterExit(decimal.Zero) }

// BreakEvenAfterExit is BreakEven with an estimated fee for the closing fill
// added (piker's ppu assumes the exit fee equals the entry fees).
func (p *Position) BreakEvenAfterExit(exitFee decimal.Decimal) decimal.Decimal {
	if p.size.IsZero() {
		return decimal.Zero
	}
	return p.basis.Add(p.oFees).Add(exitFee).Sub(p.oReal).DivRound(p.size, divPrecision)
}

// Clears returns the clears since the position last opened (empty when flat).
// For a fill that crossed zero the clear keeps the whole fill and its CumSize
// is the residual.
func (p *Position) Clears() []Clear { return append([]Clear(nil), p.clears...) }

// LastTime returns the time of the last applied transaction.
func (p *Position) LastTime() time.Time { return p.last }

// Apply books a transaction. It returns an error, and changes nothing, for a
// zero size, an etype other than "clear", or another market. A negative fee
// is a maker rebate.
func (p *Position) Apply(tx Transaction) error {
	if err := p.check(tx); err != nil {
		return err
	}
	s, px, fee := tx.Size, tx.Price, tx.Cost
	p.fees = p.fees.Add(fee)
	q := p.size
	next := q.Add(s)
	switch {
	case q.IsZero() || q.Sign() == s.Sign(): // open or increase
		if q.IsZero() {
			p.oReal, p.oFees, p.clears = decimal.Zero, decimal.Zero, p.clears[:0]
		}
		p.basis = p.basis.Add(s.Mul(px))
		p.oFees = p.oFees.Add(fee)
	case next.IsZero() || next.Sign() == q.Sign(): // reduce or close
		p.reduce(s, px, next)
		p.oFees = p.oFees.Add(fee)
	default: // cross zero: close q, open the residual at px
		closeFee := fee.Mul(q.Abs()).DivRound(s.Abs(), divPrecision)
		p.reduce(q.Neg(), px, decimal.Zero)
		p.oReal, p.oFees, p.clears = decimal.Zero, fee.Sub(closeFee), p.clears[:0]
		p.basis = next.Mul(px)
	}
	p.size = next
	p.last = tx.Time
	if next.IsZero() {
		p.clears = p.clears[:0]
		p.oReal, p.oFees = decimal.Zero, decimal.Zero
	} else {
		p.clears = append(p.clears, Clear{Transaction: tx, CumSize: next, AvgPrice: p.AvgPrice()})
	}
	return nil
}

// reduce closes part of the position: s has the opposite sign of the size
// and next is the size after it. Realized PnL is the fill's proceeds minus
// the cost basis released, so cash and basis stay exactly consistent.
func (p *Position) reduce(s, px, next decimal.Decimal) {
	remain := decimal.Zero
	if !next.IsZero() {
		remain = p.basis.Mul(next).DivRound(p.size, divPrecision)
	}
	r := s.Neg().Mul(px).Sub(p.basis.Sub(remain))
	p.basis = remain
	p.real = p.real.Add(r)
	p.oReal = p.oReal.Add(r)
}

func (p *Position) check(tx Transaction) error {
	if tx.Size.IsZero() {
		return fmt.Errorf("position %s: transaction %s: size is zero", p.FQME(), tx.TID)
	}
	if tx.Etype != "" && tx.Etype != "clear" {
		return fmt.Errorf("position %s: transaction %s: etype %q is not a clear", p.FQME(), tx.TID, tx.Etype)
	}
	if fq := p.FQME(); tx.FQME != "" && fq != "" && !strings.EqualFold(tx.FQME, fq) {
		return fmt.Errorf("position %s: transaction %s is for market %s", fq, tx.TID, tx.FQME)
	}
	return nil
}
