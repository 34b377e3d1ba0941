package paper

import (
	"math"
	"reflect"
	"strings"

	"github.com/shopspring/decimal"
)

// StatKind is the type of a statistic's value.
type StatKind int

// The kinds of statistic: a float (NaN where the JSON report has null), an
// integer, or an exact decimal (money).
const (
	FloatStat StatKind = iota
	IntStat
	DecimalStat
)

// StatColumn names one key of the stats object of a report's JSON, so
// that a table of many backtests (a sweep's) uses the report's names.
type StatColumn struct {
	Name string
	Kind StatKind
}

var (
	numType     = reflect.TypeOf(Num(0))
	decimalType = reflect.TypeOf(decimal.Decimal{})
)

// StatColumns lists the keys of the JSON report's stats object, in order.
func StatColumns() []StatColumn {
	t := reflect.TypeOf(jsonStats{})
	out := make([]StatColumn, t.NumField())
	for i := range out {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		k := IntStat
		switch f.Type {
		case numType:
			k = FloatStat
		case decimalType:
			k = DecimalStat
		}
		out[i] = StatColumn{Name: name, Kind: k}
	}
	return out
}

// Values returns the statistics in StatColumns' order: a float64 for a
// FloatStat, an int64 for an IntStat, a decimal.Decimal for a DecimalStat.
func (s Stats) Values() []any {
	v := reflect.ValueOf(s.json())
	out := make([]any, v.NumField())
	for i := range out {
		f := v.Field(i)
		switch f.Type() {
		case numType:
			out[i] = f.Float()
		case decimalType:
			out[i] = f.Interface().(decimal.Decimal)
		default:
			out[i] = f.Int()
		}
	}
	return out
}

// CurveStats are the statistics of an equity curve alone (a walk-forward's
// stitched out-of-sample curve): those of the curve as a backtest computes
// them, with start the first bar's open (epoch ns) and no trade figures.
func CurveStats(initial decimal.Decimal, start int64, curve EquityCurve, periodsPerYear float64) Stats {
	res := &Result{InitialCash: initial, Start: start, Equity: curve}
	if n := curve.Len(); n > 0 {
		res.End = curve.Time(n - 1)
	}
	st, _ := equityStats(res, periodsPerYear, 0)
	st.Exposure = Num(math.NaN())
	return st
}
