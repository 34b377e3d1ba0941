package fsp

import (
	"fmt"
	"math"

	"workbench/frames"
)

// Cascade is a set of indicators attached to a bar series and kept current:
// computed over the history in one pass when attached, then updated by each
// indicator's stream (O(1) per bar for most; see the package doc) as bars
// are appended or the newest bar is revised. Every
// output column is as long as the series and aligned with its Time. An
// indicator used as a source by several others is computed once.
//
// The frame may only grow (its newest bar may change until it closes). A
// Cascade is not safe for concurrent use.
type Cascade struct {
	frame *frames.OHLCV
	specs []*Spec
	nodes []*node
	byKey map[string]int
	cols  []string
	col   map[string]colRef
	done  int // bars processed
}

type colRef struct{ node, out int }

type node struct {
	spec   *Spec
	stream Stream
	src    int         // node index of the source, -1 when reading bar fields
	srcOut int         // output of the source node
	fields []int       // indexes into Fields when src < 0
	cols   [][]float64 // the frame's columns for fields, nil for time (see bind)
	in     []float64
	out    []float64
	vals   [][]float64 // one history per output
}

// Attach parses specs (see Parse) and attaches them to f.
func Attach(f *frames.OHLCV, specs string) (*Cascade, error) {
	list, err := Parse(specs)
	if err != nil {
		return nil, err
	}
	return AttachSpecs(f, list)
}

// AttachSpecs attaches parsed specs to f and computes them over its bars. Two
// specs giving the same column name is an error.
func AttachSpecs(f *frames.OHLCV, specs []*Spec) (*Cascade, error) {
	c := &Cascade{frame: f, specs: specs, byKey: map[string]int{}, col: map[string]colRef{}}
	for _, s := range specs {
		ni := c.add(s)
		for j, name := range s.Columns() {
			if _, dup := c.col[name]; dup {
				return nil, fmt.Errorf("fsp: column %q given twice (by %s); label one of them", name, s)
			}
			c.col[name] = colRef{ni, j}
			c.cols = append(c.cols, name)
		}
	}
	c.Sync()
	return c, nil
}

// Add parses more specs and attaches them to a running cascade: they are
// computed over the bars seen so far and kept current from then on. On an
// error nothing is added.
func (c *Cascade) Add(specs string) error {
	list, err := Parse(specs)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range list {
		for _, name := range s.Columns() {
			if _, dup := c.col[name]; dup || seen[name] {
				return fmt.Errorf("fsp: column %q given twice (by %s); label one of them", name, s)
			}
			seen[name] = true
		}
	}
	first := len(c.nodes)
	for _, s := range list {
		ni := c.add(s)
		for j, name := range s.Columns() {
			c.col[name] = colRef{ni, j}
			c.cols = append(c.cols, name)
		}
		c.specs = append(c.specs, s)
	}
	// Bring the new nodes over the history, sources first (they come first).
	c.bind()
	for _, n := range c.nodes[first:] {
		for j := range n.vals {
			n.vals[j] = make([]float64, c.done, max(c.done, c.frame.Len()))
		}
		for i := 0; i < c.done; i++ {
			if n.src >= 0 {
				n.in[0] = c.nodes[n.src].vals[n.srcOut][i]
			} else {
				c.load(n, i)
			}
			n.stream.Update(n.in, n.out)
			for j, v := range n.out {
				n.vals[j][i] = v
			}
		}
	}
	c.Sync()
	return nil
}

// add returns the node computing s, creating it and its sources.
func (c *Cascade) add(s *Spec) int {
	key := s.key()
	if i, ok := c.byKey[key]; ok {
		return i
	}
	n := &node{spec: s, src: -1, stream: s.Def.Stream(s.Params)}
	switch {
	case s.Source != nil && s.Source.Spec != nil:
		n.src, n.srcOut = c.add(s.Source.Spec), s.Source.Output
		n.in = make([]float64, 1)
	case s.Source != nil:
		n.fields = []int{fieldIndex(s.Source.Field)}
	default:
		for _, name := range s.Def.Inputs {
			n.fields = append(n.fields, fieldIndex(name))
		}
	}
	if n.in == nil {
		n.in = make([]float64, len(n.fields))
	}
	n.out = make([]float64, len(s.Def.Outputs))
	n.vals = make([][]float64, len(s.Def.Outputs))
	c.nodes = append(c.nodes, n)
	c.byKey[key] = len(c.nodes) - 1
	return len(c.nodes) - 1
}

func fieldIndex(name string) int {
	for i, f := range Fields {
		if f == name {
			return i
		}
	}
	return -1
}

// bind points the nodes at the frame's columns, which Add may reallocate.
func (c *Cascade) bind() {
	f := c.frame
	all := [][]float64{f.Open, f.High, f.Low, f.Close, f.Volume, nil}
	for _, n := range c.nodes {
		if len(n.cols) != len(n.fields) {
			n.cols = make([][]float64, len(n.fields))
		}
		for j, k := range n.fields {
			n.cols[j] = all[k]
		}
	}
}

// grow makes every output column n long.
func (c *Cascade) grow(n int) {
	for _, nd := range c.nodes {
		for j, v := range nd.vals {
			if cap(v) < n {
				nv := make([]float64, len(v), max(n, 2*cap(v)))
				copy(nv, v)
				v = nv
			}
			nd.vals[j] = v[:n]
		}
	}
}

// load reads bar i's fields into a field-reading node's inputs.
func (c *Cascade) load(n *node, i int) {
	for j, col := range n.cols {
		if col == nil {
			n.in[j] = float64(c.frame.Time[i])
		} else {
			n.in[j] = col[i]
		}
	}
}

// step feeds bar i to every node: a new bar, or a revision of the newest.
func (c *Cascade) step(i int, revise bool) {
	for _, n := range c.nodes {
		if n.src >= 0 {
			n.in[0] = c.nodes[n.src].out[n.srcOut]
		} else {
			c.load(n, i)
		}
		if revise {
			n.stream.Revise(n.in, n.out)
		} else {
			n.stream.Update(n.in, n.out)
		}
		for j, v := range n.out {
			n.vals[j][i] = v
		}
	}
}

// Sync catches up with bars added to the frame by someone else since the
// last call: the newest bar already seen is revised with its current values
// (it may have changed until it closed), then each new bar is consumed.
func (c *Cascade) Sync() {
	n := c.frame.Len()
	c.bind()
	if c.done > 0 && c.done <= n {
		c.step(c.done-1, true)
	}
	c.grow(max(n, c.done))
	for ; c.done < n; c.done++ {
		c.step(c.done, false)
	}
}

// Push adds a bar to the frame and the indicators: a bar with the newest
// bar's time revises it (a live bar still forming), a later one is appended.
// An earlier time is an error and changes nothing.
func (c *Cascade) Push(b frames.Bar) error {
	c.Sync()
	f := c.frame
	last := f.Len() - 1
	switch {
	case last >= 0 && b.Time == f.Time[last]:
		f.Open[last], f.High[last], f.Low[last], f.Close[last], f.Volume[last] = b.Open, b.High, b.Low, b.Close, b.Volume
		c.step(last, true)
	case last < 0 || b.Time > f.Time[last]:
		f.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
		c.bind()
		c.grow(c.done + 1)
		c.step(c.done, false)
		c.done++
	default:
		return fmt.Errorf("fsp: bar at %d is older than the newest bar at %d", b.Time, f.Time[last])
	}
	return nil
}

// Frame is the attached series.
func (c *Cascade) Frame() *frames.OHLCV { return c.frame }

// Specs are the attached indicators, in the order given.
func (c *Cascade) Specs() []*Spec { return c.specs }

// Len is the number of bars computed.
func (c *Cascade) Len() int { return c.done }

// Time is the bar times the columns are aligned with.
func (c *Cascade) Time() []int64 { return c.frame.Time[:min(c.done, c.frame.Len())] }

// Columns names every output column, in spec order (see Spec.Columns).
func (c *Cascade) Columns() []string { return c.cols }

// Column returns an output column by name, nil if there is none. The slice
// is the cascade's own: read it, and take it again after Push or Sync.
func (c *Cascade) Column(name string) []float64 {
	r, ok := c.col[name]
	if !ok {
		return nil
	}
	return c.nodes[r.node].vals[r.out]
}

// Get is Column with an error naming the known columns.
func (c *Cascade) Get(name string) ([]float64, error) {
	if col := c.Column(name); col != nil {
		return col, nil
	}
	return nil, fmt.Errorf("fsp: no column %q; columns: %v", name, c.cols)
}

// Last is a column's value at the newest bar (NaN for an unknown column or
// an empty series).
func (c *Cascade) Last(name string) float64 {
	col := c.Column(name)
	if len(col) == 0 {
		return math.NaN()
	}
	return col[len(col)-1]
}
