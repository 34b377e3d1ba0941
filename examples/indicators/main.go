// Indicators computes a few indicators over a stored series with the batch
// functions of fsp (compiled loops, so they cost the same from a script) and
// summarises them with gonum's stat.
//
//	workbench run examples/indicators/main.go -- STORE FQME PERIOD
package main

import (
	"fmt"
	"math"
	"os"

	"gonum.org/v1/gonum/stat"

	"workbench/frames"
	"workbench/fsp"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: indicators STORE FQME PERIOD")
		os.Exit(2)
	}
	if err := study(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "indicators:", err)
		os.Exit(1)
	}
}

func study(dir, fqme, periodText string) error {
	period, err := frames.ParsePeriod(periodText)
	if err != nil {
		return err
	}
	st, err := frames.OpenStore(dir)
	if err != nil {
		return err
	}
	f, err := st.Read(fqme, period)
	if err != nil {
		return err
	}
	sma := fsp.SMA(f.Close, 20)
	rsi := fsp.RSI(f.Close, 14)
	upper, _, lower := fsp.BBANDS(f.Close, 20, 2, 2)
	rets := finite(fsp.LogReturns(f.Close))
	last := f.Len() - 1
	fmt.Printf("%s %s: %d bars\n", fqme, periodText, f.Len())
	fmt.Printf("last close %.4f  sma(20) %.4f  rsi(14) %.2f  bands [%.4f, %.4f]\n",
		f.Close[last], sma[last], rsi[last], lower[last], upper[last])
	mean, std := stat.MeanStdDev(rets, nil)
	fmt.Printf("log returns: mean %.6f  stddev %.6f  skew %.3f\n", mean, std, stat.Skew(rets, nil))
	above := 0
	for i := range f.Close {
		if !math.IsNaN(sma[i]) && f.Close[i] > sma[i] {
			above++
		}
	}
	fmt.Printf("closes above sma(20): %.1f%%\n", 100*float64(above)/float64(f.Len()))
	return nil
}

// finite drops the NaNs indicators put where they have no value yet.
func finite(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}
