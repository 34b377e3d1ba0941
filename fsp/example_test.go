package fsp_test

import (
	"fmt"

	"workbench/frames"
	"workbench/fsp"
)

func ExampleParse() {
	specs, err := fsp.Parse("rsi(14), macd(12,26,9), ema(20, rsi(14)), bb=bbands(20,2)")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range specs {
		fmt.Println(s, s.Columns(), s.Lookback())
	}
	_, err = fsp.Parse("rsi(1)")
	fmt.Println(err)
	// Output:
	// rsi(14) [rsi_14] 14
	// macd(12,26,9) [macd_12_26_9 macd_signal_12_26_9 macd_hist_12_26_9] 33
	// ema(20,rsi(14)) [ema_20_rsi_14] 33
	// bb=bbands(20,2,2) [bb_upper bb_middle bb_lower] 19
	// indicator spec "rsi(1)", column 5: rsi parameter n = 1: want a whole number in [2, 100000]; rsi(n=14) -> rsi
}

func ExampleAttach() {
	f := frames.New(60, 0)
	for i := 0; i < 30; i++ {
		v := 100 + float64(i%7)
		f.Add(int64(i)*60, v, v+1, v-1, v, 10)
	}
	c, err := fsp.Attach(f, "sma(3), m=macd(3,6,2)")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Columns(), c.Len())
	// A live bar: appended, then revised twice before it closes.
	c.Push(frames.Bar{Time: 1800, Open: 102, High: 103, Low: 101, Close: 102})
	c.Push(frames.Bar{Time: 1800, Open: 102, High: 104, Low: 101, Close: 104})
	c.Push(frames.Bar{Time: 1800, Open: 102, High: 104, Low: 100, Close: 101})
	_, signal, _ := fsp.MACD(f.Close, 3, 6, 2)
	fmt.Println(c.Len(), c.Last("sma_3") == fsp.SMA(f.Close, 3)[30], c.Last("m_signal") == signal[30])
	// Output:
	// [sma_3 m m_signal m_hist] 30
	// 31 true true
}

// A To function writes into a buffer the caller keeps, so a loop over many
// series allocates nothing.
func ExampleSMATo() {
	dst := make([]float64, 5)
	for _, x := range [][]float64{{1, 2, 3, 4, 5}, {10, 20, 30, 40, 50}} {
		fmt.Println(fsp.SMATo(dst, x, 2))
	}
	// Output:
	// [NaN 1.5 2.5 3.5 4.5]
	// [NaN 15 25 35 45]
}
