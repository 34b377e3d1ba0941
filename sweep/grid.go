// Package sweep runs a strategy over a grid of parameter values and a set
// of markets: it expands the grid into backtest jobs, runs them on a local
// worker pool (or, in sweep/natsq, on workers pulling from NATS JetStream),
// collects one table of statistics whatever ran them, and says how much of
// the best row is luck (the Deflated Sharpe Ratio and the Probability of
// Backtest Overfitting). Strategies come in as factories, so sweep never
// imports the interpreter.
package sweep

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"workbench/paper"
)

// Axis is one parameter and the values a sweep gives it.
type Axis struct {
	Param  paper.Param
	Values []any
}

// maxAxis bounds the values of one range, so a typo (a step of 0.0001)
// is an error rather than an hour of work.
const maxAxis = 100000

// ParseAxis reads an axis specification for p: a list `a,b,c`, or a range
// `from:to:step` (inclusive of to when the steps land on it) of an int,
// float or duration parameter. Bools and strings take lists.
func ParseAxis(p paper.Param, spec string) (Axis, error) {
	ax := Axis{Param: p}
	bad := func(problem string) error {
		return &paper.ParamError{Name: p.Name, Value: spec, Problem: problem}
	}
	if parts := strings.Split(spec, ":"); len(parts) > 1 {
		if len(parts) != 3 {
			return ax, bad("want a range from:to:step or a list a,b,c")
		}
		if p.Kind != paper.IntParam && p.Kind != paper.FloatParam && p.Kind != paper.DurationParam {
			return ax, bad(fmt.Sprintf("a %s parameter takes a list, not a range", p.Kind))
		}
		var v [3]any
		for i, s := range parts {
			x, err := p.Parse(s)
			if err != nil {
				return ax, err
			}
			v[i] = x
		}
		switch p.Kind {
		case paper.IntParam:
			a, b, st := v[0].(int64), v[1].(int64), v[2].(int64)
			if st <= 0 || b < a {
				return ax, bad("want from ≤ to and a positive step")
			}
			if (b-a)/st >= maxAxis {
				return ax, bad(fmt.Sprintf("more than %d values", maxAxis))
			}
			for x := a; x <= b; x += st {
				ax.Values = append(ax.Values, x)
			}
		case paper.DurationParam:
			a, b, st := v[0].(time.Duration), v[1].(time.Duration), v[2].(time.Duration)
			if st <= 0 || b < a {
				return ax, bad("want from ≤ to and a positive step")
			}
			if (b-a)/st >= maxAxis {
				return ax, bad(fmt.Sprintf("more than %d values", maxAxis))
			}
			for x := a; x <= b; x += st {
				ax.Values = append(ax.Values, x)
			}
		default:
			a, b, st := v[0].(float64), v[1].(float64), v[2].(float64)
			if !(st > 0) || !(b >= a) || math.IsInf(b-a, 0) {
				return ax, bad("want finite from ≤ to and a positive step")
			}
			// Values are from + i·step in decimal, so that 0.1:0.3:0.1 is
			// 0.1, 0.2, 0.3 as typed, not 0.30000000000000004.
			da, err1 := decimal.NewFromString(strings.TrimSpace(parts[0]))
			ds, err2 := decimal.NewFromString(strings.TrimSpace(parts[2]))
			if err1 != nil || err2 != nil {
				return ax, bad("want decimal numbers in a float range")
			}
			if n := math.Floor((b-a)/st + 1e-9); n >= maxAxis {
				return ax, bad(fmt.Sprintf("more than %d values", maxAxis))
			}
			for i := int64(0); ; i++ {
				x, _ := da.Add(ds.Mul(decimal.NewFromInt(i))).Float64()
				if x > b {
					break
				}
				ax.Values = append(ax.Values, x)
			}
		}
		return ax, nil
	}
	seen := map[string]bool{}
	for _, s := range strings.Split(spec, ",") {
		x, err := p.Parse(s)
		if err != nil {
			return ax, err
		}
		k := paper.FormatParam(x)
		if seen[k] {
			return ax, bad(fmt.Sprintf("%s is listed twice", k))
		}
		seen[k] = true
		ax.Values = append(ax.Values, x)
	}
	return ax, nil
}

// Grid is the cross product of its axes; the first axis varies slowest.
type Grid []Axis

// NewGrid reads --param style specifications (`name=spec`, see ParseAxis)
// against a strategy's parameters; a parameter named twice, unknown, or a
// value not of its type is a *paper.ParamError.
func NewGrid(params []paper.Param, specs []string) (Grid, error) {
	var g Grid
	seen := map[string]bool{}
	for _, s := range specs {
		name, spec, ok := strings.Cut(s, "=")
		if !ok {
			return nil, &paper.ParamError{Name: s, Problem: "want name=values (a,b,c or from:to:step)"}
		}
		p, err := paper.FindParam(params, strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		if seen[p.Name] {
			return nil, &paper.ParamError{Name: p.Name, Problem: "given twice"}
		}
		seen[p.Name] = true
		ax, err := ParseAxis(p, spec)
		if err != nil {
			return nil, err
		}
		g = append(g, ax)
	}
	return g, nil
}

// Len is the number of combinations.
func (g Grid) Len() int {
	n := 1
	for _, a := range g {
		n *= len(a.Values)
	}
	return n
}

// At returns combination i's settings, one per axis in axis order.
func (g Grid) At(i int) []paper.Setting {
	out := make([]paper.Setting, len(g))
	for k := len(g) - 1; k >= 0; k-- {
		n := len(g[k].Values)
		out[k] = paper.Setting{Name: g[k].Param.Name, Value: g[k].Values[i%n]}
		i /= n
	}
	return out
}
