package sweep

import (
	"fmt"
	"math"

	"workbench/paper"
)

// Surface is a metric over two parameters of a sweep: Z[i][j] is the best
// value of the metric over the other parameters and the markets at the
// i-th value of the X parameter and the j-th of the Y one (NaN where no
// row defines it).
type Surface struct {
	X, Y   paper.Param
	XS, YS []string // the values, formatted
	Z      [][]float64
}

// Surface builds the surface of statistic k over parameters x and y.
func (c *Config) Surface(rows []Row, x, y string, k int) (*Surface, error) {
	ax, ay := -1, -1
	for i, a := range c.Grid {
		switch a.Param.Name {
		case x:
			ax = i
		case y:
			ay = i
		}
	}
	if ax < 0 || ay < 0 || x == y {
		var names []string
		for _, a := range c.Grid {
			names = append(names, a.Param.Name)
		}
		return nil, fmt.Errorf("heatmap %s,%s: want two different swept parameters (swept: %v)", x, y, names)
	}
	s := &Surface{X: c.Grid[ax].Param, Y: c.Grid[ay].Param}
	for _, v := range c.Grid[ax].Values {
		s.XS = append(s.XS, paper.FormatParam(v))
	}
	for _, v := range c.Grid[ay].Values {
		s.YS = append(s.YS, paper.FormatParam(v))
	}
	s.Z = make([][]float64, len(s.XS))
	for i := range s.Z {
		s.Z[i] = make([]float64, len(s.YS))
		for j := range s.Z[i] {
			s.Z[i][j] = math.NaN()
		}
	}
	// The combination's index in each axis, from its mixed-radix number.
	index := func(combo, axis int) int {
		for a := len(c.Grid) - 1; a > axis; a-- {
			combo /= len(c.Grid[a].Values)
		}
		return combo % len(c.Grid[axis].Values)
	}
	for _, r := range rows {
		combo, _ := c.Job(r.Job)
		i, j := index(combo, ax), index(combo, ay)
		if v := r.Metric(k); !math.IsNaN(v) && (math.IsNaN(s.Z[i][j]) || v > s.Z[i][j]) {
			s.Z[i][j] = v
		}
	}
	return s, nil
}
