package paper

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Side is the direction of an order: Buy (+1) or Sell (−1).
type Side int8

// Order sides.
const (
	Buy  Side = 1
	Sell Side = -1
)

func (s Side) String() string {
	switch s {
	case Buy:
		return "buy"
	case Sell:
		return "sell"
	}
	return fmt.Sprintf("Side(%d)", int8(s))
}

// OrderType is how an order executes.
type OrderType uint8

// Order types.
const (
	Market    OrderType = iota // at the best available price
	Limit                      // at Price or better
	Stop                       // a market order once the price reaches Stop
	StopLimit                  // a limit order at Price once the price reaches Stop
)

func (t OrderType) String() string {
	switch t {
	case Market:
		return "market"
	case Limit:
		return "limit"
	case Stop:
		return "stop"
	case StopLimit:
		return "stop-limit"
	}
	return fmt.Sprintf("OrderType(%d)", uint8(t))
}

// TIF is an order's time in force.
type TIF uint8

// Times in force.
const (
	GTC TIF = iota // good till cancelled
	IOC            // immediate or cancel: fill what is available at once, cancel the rest
	FOK            // fill or kill: fill all at once or nothing
)

func (t TIF) String() string {
	switch t {
	case GTC:
		return "GTC"
	case IOC:
		return "IOC"
	case FOK:
		return "FOK"
	}
	return fmt.Sprintf("TIF(%d)", uint8(t))
}

// Order is what a strategy asks for.
type Order struct {
	// ID names the order; the engine assigns "o1", "o2", … when it is empty.
	// IDs are unique per engine.
	ID   string
	FQME string
	Side Side
	Type OrderType
	TIF  TIF
	// Size is the unsigned quantity, > 0 and a multiple of the market's size tick.
	Size decimal.Decimal
	// Price is the limit price (Limit, StopLimit).
	Price decimal.Decimal
	// Stop is the trigger price (Stop, StopLimit).
	Stop decimal.Decimal
	// StopLoss and TakeProfit, when non-zero, make a bracket: each fill of this
	// order attaches exits on the other side for the filled size, a stop at
	// StopLoss and a limit at TakeProfit, one cancelling the other.
	StopLoss, TakeProfit decimal.Decimal
	// Tag is free text carried to the order's reports.
	Tag string
}

// Status is where an order is in its life.
type Status uint8

// Order statuses.
const (
	Pending  Status = iota // accepted, not live until its latency has passed
	Open                   // live: resting or waiting for its trigger
	Filled                 // completely filled
	Canceled               // cancelled by request, by TIF, or by its OCO sibling
	Rejected               // refused; never live
)

func (s Status) String() string {
	switch s {
	case Pending:
		return "pending"
	case Open:
		return "open"
	case Filled:
		return "filled"
	case Canceled:
		return "canceled"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Done reports whether the order can no longer fill.
func (s Status) Done() bool { return s >= Filled }

// ReportKind says what a Report announces.
type ReportKind uint8

// Report kinds.
const (
	Accepted  ReportKind = iota // the order is valid; it is live after the latency
	Live                        // the order has become live
	Fill                        // (part of) the order traded
	Cancel                      // the order is cancelled (Reason says why)
	Amended                     // a price or size change took effect
	Triggered                   // a stop order's trigger was reached
	Reject                      // an order, cancel or amend was refused (Reason says why)
)

func (k ReportKind) String() string {
	switch k {
	case Accepted:
		return "accepted"
	case Live:
		return "live"
	case Fill:
		return "fill"
	case Cancel:
		return "cancel"
	case Amended:
		return "amended"
	case Triggered:
		return "triggered"
	case Reject:
		return "reject"
	}
	return fmt.Sprintf("ReportKind(%d)", uint8(k))
}

// Liquidity says whether a fill added liquidity (maker) or took it (taker).
type Liquidity uint8

// Liquidity sides.
const (
	Taker Liquidity = iota
	Maker
)

func (l Liquidity) String() string {
	if l == Maker {
		return "maker"
	}
	return "taker"
}

// Report is one message out of the engine.
type Report struct {
	Kind    ReportKind
	Time    int64 // epoch ns, event time
	OrderID string
	FQME    string
	Side    Side
	// Fill reports: the traded price and unsigned size, the fee charged and
	// which side of the book the order was on.
	Price, Size, Fee decimal.Decimal
	Liquidity        Liquidity
	// Remaining is the unfilled size after this report.
	Remaining decimal.Decimal
	Reason    string
	Tag       string

	// For the backtest runner: the engine's order (only while the engine
	// runs: a backtest recycles its orders), and for a fill its market, its
	// price in ticks (-1 without a tick) and its size in lots.
	ord         *order
	mk          *market
	ticks, lots int64
}

func (r Report) String() string {
	switch r.Kind {
	case Fill:
		return fmt.Sprintf("%d %s %s %s %s %s@%s fee %s (%s) remaining %s", r.Time, r.Kind, r.OrderID, r.FQME,
			r.Side, r.Size, r.Price, r.Fee, r.Liquidity, r.Remaining)
	case Reject, Cancel:
		return fmt.Sprintf("%d %s %s %s: %s", r.Time, r.Kind, r.OrderID, r.FQME, r.Reason)
	}
	return fmt.Sprintf("%d %s %s %s %s", r.Time, r.Kind, r.OrderID, r.FQME, r.Side)
}

// SignedSize is the fill size with the sign of its side (+ buy, − sell).
func (r Report) SignedSize() decimal.Decimal {
	if r.Side == Sell {
		return r.Size.Neg()
	}
	return r.Size
}

// OrderInfo is an order's current state.
type OrderInfo struct {
	Order
	Status Status
	// Filled is the size traded so far; AvgPrice its size-weighted mean price.
	Filled, AvgPrice decimal.Decimal
	// Triggered reports whether a stop's trigger has been reached.
	Triggered bool
	// Parent is the ID of the order whose fills attached this one (brackets).
	Parent string
}
