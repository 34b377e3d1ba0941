package paper_test

import (
	"fmt"
	"os"

	"github.com/shopspring/decimal"

	"workbench/feeds"
	"workbench/frames"
	"workbench/mkt"
	"workbench/paper"
)

// A backtest of the SMA crossover on hourly bars from a CSV file, with
// fees, slippage and a volume cap, its report written to a folder.
func ExampleBacktest() {
	bars, err := frames.ReadCSVFile("btcusdt_1h.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	if bars.Period == 0 {
		bars.Period = frames.DetectPeriod(bars.Time)
	}
	pair, err := mkt.ParseFQME("btcusdt.spot.binance")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := paper.Backtest(paper.BacktestConfig{
		Series:   []paper.Series{{Market: pair, Bars: bars}},
		Cash:     decimal.NewFromInt(10000),
		Fees:     paper.BpsFees(2, 10),
		Slippage: paper.Slippage{Ticks: 1},
		Fill:     paper.FillModel{VolumeShare: 0.1},
		Calendar: "crypto",
	}, paper.NewSMACross(10, 30))
	if err != nil {
		fmt.Println(err)
		return
	}
	res.WriteText(os.Stdout)
	if err := res.WriteFiles("."); err != nil {
		fmt.Println(err)
	}
}

// A strategy written as functions, the shape a script hands over: buy on
// the first bar with an attached stop-loss and take-profit.
func ExampleFuncs() {
	strategy := &paper.Funcs{
		BarFunc: func(c *paper.Context, b feeds.BarEvent) {
			if b.Index == 0 {
				c.Submit(paper.Order{FQME: b.FQME, Side: paper.Buy, Type: paper.Market, Size: decimal.NewFromInt(1),
					StopLoss: decimal.NewFromFloat(b.Bar.Close * 0.95).Round(2), TakeProfit: decimal.NewFromFloat(b.Bar.Close * 1.1).Round(2)})
			}
		},
		FillFunc: func(c *paper.Context, f paper.Report) {
			fmt.Println(f)
		},
	}
	_ = strategy
}

// The engine on its own: a resting limit, then a quote that crosses it.
func ExampleEngine() {
	pair, _ := mkt.ParseFQME("btcusdt.spot.binance")
	pair.PriceTick, pair.SizeTick = decimal.New(1, -2), decimal.New(1, -5)
	e, err := paper.NewEngine(paper.Config{Markets: []mkt.MktPair{pair}, Fees: paper.BpsFees(2, 10)})
	if err != nil {
		fmt.Println(err)
		return
	}
	e.OnQuote(feeds.Quote{Time: 1, FQME: pair.FQME(), Bid: 100, Ask: 100.5})
	e.Submit(paper.Order{FQME: pair.FQME(), Side: paper.Buy, Type: paper.Limit, Price: decimal.NewFromInt(100), Size: decimal.NewFromInt(1)})
	e.OnQuote(feeds.Quote{Time: 2, FQME: pair.FQME(), Bid: 99.4, Ask: 99.5})
	// The ask fell through the resting bid: it fills at its own price, as
	// maker, paying 2 bps of 100.
	for _, r := range e.Reports() {
		fmt.Println(r)
	}
	// Output:
	// 1 accepted o1 btcusdt.spot.binance buy
	// 2 fill o1 btcusdt.spot.binance buy 1@100 fee 0.02 (maker) remaining 0
}
