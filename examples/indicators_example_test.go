package examples_test

import (
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"workbench/frames"
	"workbench/internal/oracle"
)

// oracleStore writes the oracle's OHLCV CSV ohlcv/NAME.csv into a new store
// as fqme at period seconds and returns the store folder and the bars.
func oracleStore(t *testing.T, name, fqme string, period int64) (string, *frames.OHLCV) {
	t.Helper()
	f, err := frames.ReadCSVFile(oracle.Path(t, "ohlcv", name+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	f.Period = period
	dir := filepath.Join(t.TempDir(), "store")
	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(fqme, f); err != nil {
		t.Fatal(err)
	}
	return dir, f
}

// printedNear checks that the number the example printed with decimals
// digits after the point is want rounded there (half a unit in the last
// place, plus slack for want's own error).
func printedNear(t *testing.T, what, printed string, decimals int, want, slack float64) {
	t.Helper()
	got, err := strconv.ParseFloat(printed, 64)
	if err != nil {
		t.Errorf("%s printed as %q: %v", what, printed, err)
		return
	}
	if d := math.Abs(got - want); !(d <= 0.5*math.Pow(10, -float64(decimals))+slack) {
		t.Errorf("%s printed %s, reference %v (off by %g)", what, printed, want, d)
	}
}

// The indicators example run over a month of real BTCUSDT hours: its last
// SMA(20), RSI(14) and Bollinger bands are TA-Lib's (the oracle's
// talib.csv), the share of closes above the SMA counts TA-Lib's SMA column,
// and the log-return statistics are recomputed here from their definitions
// (mean, sample standard deviation, adjusted Fisher–Pearson skewness).
func TestIndicatorsExample(t *testing.T) {
	const fqme = "btcusdt.spot.binance"
	dir, bars := oracleStore(t, "binance_BTCUSDT_1h_2024-08", fqme, 3600)
	ref := oracle.Columns(t, oracle.Path(t, "ta", "binance_BTCUSDT_1h_2024-08.talib.csv"), "sma20", "rsi14", "bb_upper", "bb_lower")
	n := bars.Len()
	if len(ref["sma20"]) != n {
		t.Fatalf("oracle has %d rows for %d bars", len(ref["sma20"]), n)
	}
	out := runExample(t, "indicators/main.go", dir, fqme, "1h")

	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(fqme) + ` 1h: (\d+) bars\n` +
		`last close (\S+)  sma\(20\) (\S+)  rsi\(14\) (\S+)  bands \[(\S+), (\S+)\]\n` +
		`log returns: mean (\S+)  stddev (\S+)  skew (\S+)\n` +
		`closes above sma\(20\): (\S+)%\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output not in the documented shape:\n%s", out)
	}
	if m[1] != strconv.Itoa(n) {
		t.Errorf("printed %s bars, the series has %d", m[1], n)
	}
	last := n - 1
	printedNear(t, "last close", m[2], 4, bars.Close[last], 0)
	printedNear(t, "sma(20)", m[3], 4, ref["sma20"][last], 1e-9*bars.Close[last])
	printedNear(t, "rsi(14)", m[4], 2, ref["rsi14"][last], 1e-9)
	printedNear(t, "lower band", m[5], 4, ref["bb_lower"][last], 1e-6)
	printedNear(t, "upper band", m[6], 4, ref["bb_upper"][last], 1e-6)

	var rets []float64
	for i := 1; i < n; i++ {
		rets = append(rets, math.Log(bars.Close[i]/bars.Close[i-1]))
	}
	k := float64(len(rets))
	mean := 0.0
	for _, r := range rets {
		mean += r
	}
	mean /= k
	var m2, m3 float64
	for _, r := range rets {
		d := r - mean
		m2 += d * d
		m3 += d * d * d
	}
	sd := math.Sqrt(m2 / (k - 1))
	skew := k / ((k - 1) * (k - 2)) * m3 / (sd * sd * sd)
	printedNear(t, "mean log return", m[7], 6, mean, 1e-12)
	printedNear(t, "stddev of log returns", m[8], 6, sd, 1e-12)
	printedNear(t, "skew of log returns", m[9], 3, skew, 1e-9)

	above := 0
	for i, s := range ref["sma20"] {
		if !math.IsNaN(s) && bars.Close[i] > s {
			above++
		}
	}
	printedNear(t, "closes above sma(20) %", m[10], 1, 100*float64(above)/float64(n), 1e-9)
}
