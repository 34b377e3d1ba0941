package paper

import (
	"fmt"
	"io"
	"math"

	"github.com/shopspring/decimal"
)

// MarketBreakdown is one market's share of a run: what it traded and what
// it earned. Money is exact: the PnL of every market adds up to the
// account's final equity minus its initial cash.
type MarketBreakdown struct {
	FQME  string
	Fills int
	// Trades are the round trips closed in the market, Wins those with a
	// positive PnL.
	Trades, Wins int
	// Bought and Sold are the sizes traded, Notional the price·size of
	// every fill.
	Bought, Sold, Notional decimal.Decimal
	Fees                   decimal.Decimal
	// TradePnL is the closed round trips' PnL, net of their fees.
	TradePnL decimal.Decimal
	// Position is the size still held, marked at LastClose (NaN: no bar).
	Position  decimal.Decimal
	LastClose float64
	// PnL is the market's cash flow (sales less purchases less fees) plus
	// the position marked at its last close; Return is PnL over the
	// account's initial cash, the market's part of the total return.
	PnL, Return decimal.Decimal
}

// returnDigits is the precision of a market's return, a fraction of the
// initial cash: 1e-10 of 1M is a hundredth of a cent.
const returnDigits = 10

// Breakdown splits the run by market, in the order of res.Markets.
func (res *Result) Breakdown() []MarketBreakdown {
	out := make([]MarketBreakdown, len(res.Markets))
	index := make(map[string]int, len(res.Markets))
	for i, fq := range res.Markets {
		out[i] = MarketBreakdown{FQME: fq, LastClose: math.NaN()}
		index[fq] = i
	}
	at := func(fq string) *MarketBreakdown {
		if k, ok := index[fq]; ok {
			return &out[k]
		}
		return nil
	}
	cash := make([]decimal.Decimal, len(out))
	for _, f := range res.Fills {
		k, ok := index[f.FQME]
		if !ok {
			continue
		}
		m := &out[k]
		n := f.Price.Mul(f.Size)
		m.Fills++
		m.Notional = m.Notional.Add(n)
		m.Fees = m.Fees.Add(f.Fee)
		if f.Side == Buy {
			m.Bought = m.Bought.Add(f.Size)
			cash[k] = cash[k].Sub(n)
		} else {
			m.Sold = m.Sold.Add(f.Size)
			cash[k] = cash[k].Add(n)
		}
		cash[k] = cash[k].Sub(f.Fee)
	}
	for _, t := range res.Trades {
		if m := at(t.FQME); m != nil {
			m.Trades++
			m.TradePnL = m.TradePnL.Add(t.PnL)
			if t.PnL.IsPositive() {
				m.Wins++
			}
		}
	}
	for _, p := range res.Positions {
		if m := at(p.FQME); m != nil {
			m.Position, m.LastClose = p.Size, p.LastClose
		}
	}
	for k := range out {
		m := &out[k]
		m.PnL = cash[k]
		// As FinalEquity does: a position without a close is not valued.
		if !m.Position.IsZero() && !math.IsNaN(m.LastClose) {
			m.PnL = m.PnL.Add(m.Position.Mul(decimal.NewFromFloat(m.LastClose)))
		}
		if res.InitialCash.IsPositive() {
			m.Return = m.PnL.DivRound(res.InitialCash, returnDigits)
		}
	}
	return out
}

// jsonMarket is a market's breakdown in report.json, under per_market.
type jsonMarket struct {
	Fills     int             `json:"fills"`
	Trades    int             `json:"trades"`
	Wins      int             `json:"wins"`
	WinRate   Num             `json:"win_rate"`
	Bought    decimal.Decimal `json:"bought"`
	Sold      decimal.Decimal `json:"sold"`
	Notional  decimal.Decimal `json:"notional"`
	Fees      decimal.Decimal `json:"fees"`
	TradePnL  decimal.Decimal `json:"trade_pnl"`
	Position  decimal.Decimal `json:"position"`
	LastClose Num             `json:"last_close"`
	PnL       decimal.Decimal `json:"pnl"`
	Return    decimal.Decimal `json:"return"`
}

func (m MarketBreakdown) json() jsonMarket {
	win := Num(math.NaN())
	if m.Trades > 0 {
		win = Num(float64(m.Wins) / float64(m.Trades))
	}
	return jsonMarket{m.Fills, m.Trades, m.Wins, win, m.Bought, m.Sold, m.Notional, m.Fees, m.TradePnL,
		m.Position, Num(m.LastClose), m.PnL, m.Return}
}

// writeBreakdown writes a line per market: its round trips, fees and PnL,
// money to the cent.
func writeBreakdown(w io.Writer, ms []MarketBreakdown) {
	if len(ms) == 0 {
		return
	}
	width := 0
	for _, m := range ms {
		width = max(width, len(m.FQME))
	}
	fmt.Fprintln(w, "  per market")
	for _, m := range ms {
		fmt.Fprintf(w, "    %-*s  %d fills, %d round trips (%d won), fees %s, pnl %s (%s of the cash)",
			width, m.FQME, m.Fills, m.Trades, m.Wins, m.Fees.StringFixed(2), m.PnL.StringFixed(2),
			m.Return.Shift(2).StringFixed(2)+"%")
		if !m.Position.IsZero() {
			fmt.Fprintf(w, ", holding %s", m.Position)
		}
		fmt.Fprintln(w)
	}
}
