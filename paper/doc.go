// Package paper is the simulated exchange and its books: orders, the
// clearing engine with its fill, fee, slippage and latency models, the
// backtest runner and its report, and (from the accounting side) positions,
// the ledger and account files.
//
// # The engine
//
// Engine is a deterministic state machine in the manner of etcd's raft: it
// never reads a clock, never does I/O, and draws randomness only from a
// generator seeded by Config.Seed. Orders (Submit), cancels (Cancel), amends
// (Amend) and market events (OnQuote, OnTrade, OnBar, Advance) go in; Reports
// come out of Reports(): Accepted, Live, Fill, Cancel, Amended, Triggered,
// Reject. The same inputs in the same order give the same reports.
//
// Time is event time in epoch ns: the largest event time seen. A bar event's
// time is its close; quotes and trades carry their own.
//
// # Orders
//
// Market, Limit (at Price or better), Stop (a market order once the price
// reaches Stop) and StopLimit (a limit at Price once the price reaches
// Stop), each GTC, IOC or FOK. A non-zero StopLoss or TakeProfit makes a
// bracket: every fill of the order attaches, for the filled size, a stop at
// StopLoss and a limit at TakeProfit on the other side; the two are one
// cancels the other (a partial fill of one shrinks the other by as much; its
// complete fill cancels the other). Later fills of the parent grow the live
// pair. Each change of an exit's size is reported as Amended. Exits are held by the exchange: they are live at once, without
// latency.
//
// Rejected, with a reason, and changing nothing else: an unknown market, a
// side or type or TIF out of range, a size ≤ 0 or off the market's size tick,
// a limit/stop/stop-loss/take-profit price ≤ 0 or off the price tick (checked
// by mkt), a bracket whose stop-loss is not on the losing side of its
// take-profit, a duplicate ID; a cancel or amend of an unknown, filled or
// cancelled order; an amend to a size not above what has filled, of the price
// of a market order, or with nothing to change. IDs left empty become "o1",
// "o2", …; bracket exits are "<id>.sl" and "<id>.tp".
//
// Latency (in event time): an order is live only Latency.Order ns after it
// was submitted; a cancel or amend takes effect Latency.Cancel ns after it
// was asked for, and the order trades as it was until then. A cancel that
// arrives after the order filled is reported as a Reject.
//
// # Matching against quotes and trades
//
// A market that has seen a quote or a trade matches on them; its bars, if
// any, are information only.
//
// On arrival (when it becomes live, when a stop triggers, after a price
// amend) an order takes liquidity: a buy is marketable when the ask is at or
// below its limit (any ask for a market order) and fills at the ask, a sell
// likewise at the bid. The size is limited by the displayed size at the
// touch (a size ≤ 0 means not displayed: unlimited), shared by all our orders
// against the same quote. What is left rests (GTC), or is cancelled (IOC); an
// FOK order that cannot fill entirely at once is cancelled whole. IOC and FOK
// decide on their first look at the market, and wait for a first quote if
// none has come.
//
// A resting limit fills at its own price, as maker: on a quote when the
// opposite side trades through it (a buy when the ask falls below its limit)
// or, with probability FillModel.ProbFillOnTouch, when it only touches it;
// on a trade that prints through it (a buy when a print is below its limit)
// or, with the same probability, at it — limited by the quote's displayed
// size or the print's size. This fixes two defects of piker's paper engine:
// a resting buy was filled at the tick price rather than its limit, and
// trades cleared nothing unless buys and sells were both resting.
//
// Stops trigger when the touch on their side (the ask for a buy stop) or a
// print reaches the trigger. In a market with trades but no quotes,
// marketable orders take the print at its price, limited by its size.
//
// Orders of one market are matched in submission order.
//
// # Matching against bars
//
// In a market with only bars, an order takes part in a bar only if it was
// live at the bar's open. An order decided on bar t's close (the bar event's
// time) is live at that instant plus latency, so it trades on bar t+1 at the
// earliest; with latency reaching past bar t+1's open, on bar t+2.
//
// Within a bar, prices follow a path through the open, both extremes and the
// close: O→H→L→C when the high is nearer the open (or as near), else
// O→L→H→C. Every order's first event on that path is found, and events
// happen in path order (ties in submission order); each can change what
// follows (an OCO sibling is cancelled, a bracket attaches exits that then
// see the rest of the path, a stop-limit becomes a limit):
//
//   - A market order fills at the open.
//   - A limit fills at the open when the bar opens through it (gap-through,
//     at the open's better price); else at its own price where the path first
//     reaches it, if the path goes beyond it; if the path only touches it,
//     with probability ProbFillOnTouch (one draw per order per bar).
//   - A stop triggers where the path first reaches its trigger, or at the
//     open when the bar opens beyond it; a stop then fills there as a market
//     order (at the trigger price, or at the open after a gap), a stop-limit
//     continues along the path as a limit.
//   - IOC and FOK orders get the open (or, for stops, their trigger point)
//     only; what does not fill there is cancelled.
//   - With FillModel.VolumeShare > 0, all fills in the bar together take at
//     most that share of the bar's volume; an order cut short keeps its
//     remainder for later bars (GTC) or cancels it (IOC; FOK fills nothing).
//
// Bar fills are stamped with their place on the path: the open's time for
// fills at the open, and a linear share of the bar's span (open at 0, close
// at 3 thirds along the three legs) otherwise.
//
// # Prices, liquidity, slippage and fees
//
// A fill takes liquidity (taker) when it executes on arrival — a market
// order, a triggered stop, a limit marketable when it first looks; other
// fills are maker. Taker fills move against the order by the
// SlippageModel (Slippage: ticks, basis points, and zipline-style impact
// Impact·price·(size/volume)² where volume is the bar's volume or the
// displayed size) plus one tick with probability FillModel.ProbSlippage
// (nautilus's fill model); a limit order's fill never goes past its limit.
// Fill prices off the market's tick are rounded to it against the order (up
// for buys, down for sells). The FeeModel (Fees: maker/taker basis points of
// the notional, plus a charge per unit, at least a minimum per fill) prices
// each fill in decimal.
//
// Inside the matching loop prices and sizes are float64 and integer lots;
// everything a Report carries is decimal.Decimal: price (a whole number of
// ticks), size (a whole number of size ticks, 1e-8 when the market has
// none) and fee.
//
// # Bars nothing may trade on
//
// A bar with a price or volume that is not finite, a price ≤ 0 or beyond
// 2^53 ticks of its market (the largest count of ticks a float64 and an
// int64 hold exactly), or a high and low that do not bound it, never
// reaches the matching: Backtest checks a series before it trades on it
// (a single series bar by bar in its replay loop, others in one pass up
// front), Session.Push checks each bar, and the engine's OnBar, OnQuote and
// OnTrade refuse such events themselves, changing nothing. The error is a
// *BarError (*TickError for quotes and trades) naming the market, the
// bar's time and the field. With BacktestConfig.SkipInvalid the bars are
// skipped instead, counted in Result.SkippedBars and listed (the first 100)
// in Result.Skipped and the reports. A fill price the engine would compute
// outside (0, 2^53 ticks] — slippage below zero — cancels the order
// instead, and a limit never fills past its limit.
//
// # Backtests
//
// Backtest replays bar series of one or several markets, merged by bar
// close, through an Engine and a Strategy, with one cash account. For each
// bar the engine matches first, then the strategy's OnBar runs: it sees the
// bar, its fills so far, its positions and cash, and each market's bars up to
// the present (Context.Bars), never later ones. The equity curve is sampled
// once per distinct close time as cash plus positions marked at the last
// close (float64, for statistics; annualised figures need 30 days and 30
// returns, see Stats); the final cash, positions and round trips
// are exact decimal sums over the fills, and Accounts books the fills into
// the accounting's Positions. Stats documents each statistic. WriteFiles
// writes report.json, report.txt, equity.csv and, in piker's layout, the
// ledger trades_paper_backtest.toml and the account file
// account.paper.backtest.toml; the same inputs and seed give the same bytes.
// Strategies are compiled Go (SMACross is the reference) or scripts, in
// three shapes: a Funcs whose fields are script functions (one call into the
// interpreter per bar, or with a LoopFunc, a BarLoop, one call per batch of
// bars in a backtest of one market); a Driver whose function runs its own loop over
// Context.Next (one call from the interpreter into compiled code per bar,
// about three times cheaper); a Targets whose function computes the
// positions for a whole series at once (one call per market; checked not to
// look ahead by recomputing on the first half of the series).
package paper
