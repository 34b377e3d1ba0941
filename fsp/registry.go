package fsp

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"workbench/frames"
)

// Param describes one numeric parameter of an indicator.
type Param struct {
	Name     string
	Default  float64
	Min, Max float64
	Int      bool // a whole number (a period)
	// DefaultFrom names an earlier parameter whose value is the default
	// ("bbands(20,3)" means ±3: down defaults to up).
	DefaultFrom string
}

// Stream is a registered indicator's streaming state: in holds one bar's
// inputs in the order of Def.Inputs, out receives one value per output.
type Stream interface {
	Update(in, out []float64) // a new bar
	Revise(in, out []float64) // the newest bar changed
}

// Def is a registered indicator.
type Def struct {
	Name string // lower case, as written in a spec: "macd"
	Doc  string // one line for listings
	// Inputs are the bar fields read, from Fields. An indicator of one input
	// can take another indicator's output (or another field) as its source.
	Inputs  []string
	Params  []Param
	Outputs []string // named outputs: "macd", "macd_signal", "macd_hist"
	// Lookback is the first bar at which every output has a value, on inputs
	// without NaNs (a volume-weighted output may start later, after zero
	// volumes); an output may start earlier than the others.
	Lookback func(p []float64) int
	// OutputLookback, when set, gives each output's own first bar for
	// outputs that start before the others (nil: every output starts at
	// Lookback).
	OutputLookback func(p []float64) []int
	Batch          func(in [][]float64, p []float64) [][]float64 // one slice per output
	Stream         func(p []float64) Stream
	// Pane is where a chart draws the outputs; Register fills PaneAuto in.
	Pane PaneKind
	// Bounds, when Bounds[1] > Bounds[0], is the fixed axis range of a
	// bounded oscillator (RSI 0..100); Guides are the levels traders read
	// it against (30 and 70). Register fills both in for the indicators of
	// this package that have them.
	Bounds [2]float64
	Guides []float64
}

// PaneKind says on which pane of a chart an indicator belongs.
type PaneKind int

// Pane kinds.
const (
	// PaneAuto lets Register choose: PanePrice for the price-unit
	// indicators of this package, PaneOwn for the others.
	PaneAuto PaneKind = iota
	// PanePrice: the outputs are in the units of the input prices (moving
	// averages, bands, SAR, VWAP), drawn over the candles on their axis.
	PanePrice
	// PaneOwn: an oscillator or volume study, drawn in its own pane on its
	// own axis; all outputs of one instance share that pane.
	PaneOwn
)

// priceUnits are this package's indicators whose outputs are prices.
var priceUnits = map[string]bool{
	"sma": true, "ema": true, "wma": true, "dema": true, "tema": true, "trima": true, "kama": true,
	"t3": true, "bbands": true, "midpoint": true, "midprice": true, "sar": true, "vwap": true,
	"barwap": true, "typprice": true, "avgprice": true, "wclprice": true, "linearreg": true,
}

// oscillatorScale is the fixed range and guide levels of this package's
// bounded oscillators.
var oscillatorScale = map[string]struct {
	bounds [2]float64
	guides []float64
}{
	"rsi":      {[2]float64{0, 100}, []float64{30, 70}},
	"stoch":    {[2]float64{0, 100}, []float64{20, 80}},
	"stochrsi": {[2]float64{0, 100}, []float64{20, 80}},
	"mfi":      {[2]float64{0, 100}, []float64{20, 80}},
	"ultosc":   {[2]float64{0, 100}, []float64{30, 70}},
	"willr":    {[2]float64{-100, 0}, []float64{-80, -20}},
	"adx":      {[2]float64{0, 100}, []float64{25}},
	"plus_di":  {[2]float64{0, 100}, nil},
	"minus_di": {[2]float64{0, 100}, nil},
	"aroon":    {[2]float64{0, 100}, []float64{30, 70}},
	"aroonosc": {[2]float64{-100, 100}, []float64{0}},
	"cmo":      {[2]float64{-100, 100}, []float64{-50, 50}},
	"bop":      {[2]float64{-1, 1}, []float64{0}},
}

// Fields are the bar fields an indicator can read; "time" is epoch seconds.
var Fields = []string{"open", "high", "low", "close", "volume", "time"}

// MaxPeriod is the largest period a registered indicator accepts (TA-Lib's).
const MaxPeriod = 100000

var (
	regMu sync.RWMutex
	defs  = map[string]*Def{}
)

// Register adds an indicator; call it from init. A duplicate name or an
// incomplete definition is a programming error and panics.
func Register(d *Def) {
	if d.Name == "" || d.Name != strings.ToLower(d.Name) || len(d.Inputs) == 0 || len(d.Outputs) == 0 ||
		d.Lookback == nil || d.Batch == nil || d.Stream == nil {
		panic(fmt.Sprintf("fsp.Register: incomplete definition %q", d.Name))
	}
	for _, in := range d.Inputs {
		if !isField(in) {
			panic(fmt.Sprintf("fsp.Register %s: unknown input %q", d.Name, in))
		}
	}
	if d.Pane == PaneAuto {
		d.Pane = PaneOwn
		if priceUnits[d.Name] {
			d.Pane = PanePrice
		}
	}
	if sc, ok := oscillatorScale[d.Name]; ok && d.Bounds == [2]float64{} {
		d.Bounds, d.Guides = sc.bounds, sc.guides
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := defs[d.Name]; dup {
		panic(fmt.Sprintf("fsp.Register: %q registered twice", d.Name))
	}
	defs[d.Name] = d
}

// Lookup finds a registered indicator by name (case-insensitive).
func Lookup(name string) (*Def, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	d, ok := defs[strings.ToLower(name)]
	return d, ok
}

// Defs lists the registered indicators by name.
func Defs() []*Def {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]*Def, 0, len(defs))
	for _, d := range defs {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names lists the registered indicator names, sorted.
func Names() []string {
	var out []string
	for _, d := range Defs() {
		out = append(out, d.Name)
	}
	return out
}

// Usage is the indicator's call form with defaults and outputs, e.g.
// "macd(fast=12, slow=26, signal=9) -> macd, macd_signal, macd_hist".
func (d *Def) Usage() string {
	var b strings.Builder
	b.WriteString(d.Name)
	b.WriteByte('(')
	for i, p := range d.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s", p.Name, formatNum(p.Default))
	}
	b.WriteByte(')')
	if len(d.Inputs) > 1 || d.Inputs[0] != "close" {
		fmt.Fprintf(&b, " of %s", strings.Join(d.Inputs, ","))
	}
	fmt.Fprintf(&b, " -> %s", strings.Join(d.Outputs, ", "))
	return b.String()
}

func isField(s string) bool {
	for _, f := range Fields {
		if f == s {
			return true
		}
	}
	return false
}

// Source is where a one-input indicator reads from: a bar field, or one
// output of another indicator.
type Source struct {
	Field  string // set for a field
	Spec   *Spec  // set for an indicator
	Output int    // index into Spec.Def.Outputs
}

// String is the source as written in a spec.
func (s *Source) String() string {
	if s.Spec == nil {
		return s.Field
	}
	if len(s.Spec.Def.Outputs) > 1 {
		return s.Spec.String() + "." + s.Spec.Def.Outputs[s.Output]
	}
	return s.Spec.String()
}

func (s *Source) key() string {
	if s.Spec == nil {
		return s.Field
	}
	k := s.Spec.key()
	if len(s.Spec.Def.Outputs) > 1 {
		k = s.Spec.Def.Outputs[s.Output] + "_" + strings.TrimPrefix(k, s.Spec.Def.Name+"_")
	}
	return k
}

// Spec is one parsed indicator instance: a definition, its parameters (all
// of them, defaults filled in), an optional source and an optional label.
type Spec struct {
	Def    *Def
	Params []float64
	Source *Source // nil: the definition's own inputs from the bar
	Label  string  // from "label=...", names the output columns
}

// String is the canonical spec text, e.g. "ema(20,rsi(14))".
func (s *Spec) String() string {
	var b strings.Builder
	if s.Label != "" {
		b.WriteString(s.Label + "=")
	}
	b.WriteString(s.Def.Name + "(")
	for i, p := range s.Params {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(formatNum(p))
	}
	if s.Source != nil {
		if len(s.Params) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.Source.String())
	}
	b.WriteByte(')')
	return b.String()
}

// key names the instance without its label: name_params[_source].
func (s *Spec) key() string {
	parts := []string{s.Def.Name}
	for _, p := range s.Params {
		parts = append(parts, formatNum(p))
	}
	if s.Source != nil {
		parts = append(parts, s.Source.key())
	}
	return strings.Join(parts, "_")
}

// Columns names the outputs as columns: rsi_14, macd_12_26_9,
// macd_signal_12_26_9, ema_20_rsi_14. A label L replaces the outputs'
// shared prefix: m=macd gives m, m_signal, m_hist; bb=bbands gives bb_upper,
// bb_middle, bb_lower; a one-output indicator's column is L.
func (s *Spec) Columns() []string {
	out := make([]string, len(s.Def.Outputs))
	k := strings.TrimPrefix(s.key(), s.Def.Name)
	prefix := outputPrefix(s.Def.Outputs)
	for i, o := range s.Def.Outputs {
		switch {
		case s.Label == "":
			out[i] = o + k
		case len(out) == 1 || o == prefix:
			out[i] = s.Label
		case prefix != "":
			out[i] = s.Label + "_" + strings.TrimPrefix(o, prefix+"_")
		default:
			out[i] = s.Label + "_" + o
		}
	}
	return out
}

// outputPrefix is the word before "_" shared by several outputs (macd_signal,
// macd_hist and macd itself: "macd"), or "" if they share none.
func outputPrefix(outs []string) string {
	if len(outs) < 2 {
		return ""
	}
	prefix := ""
	for _, o := range outs {
		p, _, found := strings.Cut(o, "_")
		switch {
		case !found:
			// an output named like the prefix itself, as "macd"
		case prefix == "":
			prefix = p
		case p != prefix:
			return ""
		}
	}
	for _, o := range outs {
		if o != prefix && !strings.HasPrefix(o, prefix+"_") {
			return ""
		}
	}
	return prefix
}

// Lookback is the number of leading NaN outputs over a bar series, sources
// included: the bar from which every output has a value.
func (s *Spec) Lookback() int { return s.Def.Lookback(s.Params) + s.sourceLookback() }

// OutputLookback is output i's first bar, sources included.
func (s *Spec) OutputLookback(i int) int {
	if s.Def.OutputLookback != nil {
		return s.Def.OutputLookback(s.Params)[i] + s.sourceLookback()
	}
	return s.Lookback()
}

func (s *Spec) sourceLookback() int {
	if s.Source == nil || s.Source.Spec == nil {
		return 0
	}
	return s.Source.Spec.OutputLookback(s.Source.Output)
}

// Compute runs the indicator over a whole series with the batch functions and
// returns one slice per output.
func (s *Spec) Compute(f *frames.OHLCV) [][]float64 {
	var in [][]float64
	if s.Source != nil {
		in = [][]float64{s.Source.values(f)}
	} else {
		for _, name := range s.Def.Inputs {
			in = append(in, field(f, name))
		}
	}
	return s.Def.Batch(in, s.Params)
}

func (src *Source) values(f *frames.OHLCV) []float64 {
	if src.Spec == nil {
		return field(f, src.Field)
	}
	return src.Spec.Compute(f)[src.Output]
}

// field returns a bar field as floats (time converted from epoch seconds).
func field(f *frames.OHLCV, name string) []float64 {
	switch name {
	case "open":
		return f.Open
	case "high":
		return f.High
	case "low":
		return f.Low
	case "close":
		return f.Close
	case "volume":
		return f.Volume
	}
	t := make([]float64, len(f.Time))
	for i, v := range f.Time {
		t[i] = float64(v)
	}
	return t
}

func formatNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// SpecError is a parse or parameter error in a spec list, with the byte
// offset (1-based column) of the fault.
type SpecError struct {
	Text   string // the whole spec list
	Column int
	Err    error
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("indicator spec %q, column %d: %v", e.Text, e.Column, e.Err)
}

func (e *SpecError) Unwrap() error { return e.Err }

// Parse reads a comma-separated list of indicator specs:
//
//	rsi(14), macd(12,26,9), bbands(20,2), ema(20, rsi(14)), sma(10, high)
//	fast=ema(12), obv, ema(9, macd(12,26,9).macd_hist)
//
// Numbers fill the parameters in order (missing ones take their defaults); a
// field name or an indicator in the argument list is the source of a
// one-input indicator; ".output" picks one output of a multi-output source
// (the part after the indicator's prefix is enough: macd(...).hist);
// "label=" names the columns.
func Parse(text string) ([]*Spec, error) {
	p := &parser{text: text}
	var out []*Spec
	for {
		p.space()
		if p.pos >= len(text) {
			if len(out) == 0 {
				return nil, p.errf("no indicator given")
			}
			return out, nil
		}
		s, err := p.item()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		p.space()
		if p.pos < len(text) {
			if text[p.pos] != ',' {
				return nil, p.errf("want ',' between indicators, found %q", text[p.pos:p.pos+1])
			}
			p.pos++
		}
	}
}

// ParseOne parses exactly one spec.
func ParseOne(text string) (*Spec, error) {
	specs, err := Parse(text)
	if err != nil {
		return nil, err
	}
	if len(specs) != 1 {
		return nil, &SpecError{Text: text, Column: 1, Err: fmt.Errorf("want one indicator, got %d", len(specs))}
	}
	return specs[0], nil
}

type parser struct {
	text string
	pos  int
}

func (p *parser) errf(format string, a ...any) error {
	return &SpecError{Text: p.text, Column: p.pos + 1, Err: fmt.Errorf(format, a...)}
}

func (p *parser) errAt(pos int, format string, a ...any) error {
	return &SpecError{Text: p.text, Column: pos + 1, Err: fmt.Errorf(format, a...)}
}

func (p *parser) space() {
	for p.pos < len(p.text) && (p.text[p.pos] == ' ' || p.text[p.pos] == '\t' || p.text[p.pos] == '\n') {
		p.pos++
	}
}

func (p *parser) ident() string {
	p.space()
	i := p.pos
	for p.pos < len(p.text) {
		c := p.text[p.pos]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (p.pos > i && c >= '0' && c <= '9') {
			p.pos++
			continue
		}
		break
	}
	return strings.ToLower(p.text[i:p.pos])
}

func (p *parser) peek() byte {
	p.space()
	if p.pos < len(p.text) {
		return p.text[p.pos]
	}
	return 0
}

// item := [label '='] call
func (p *parser) item() (*Spec, error) {
	save := p.pos
	label := p.ident()
	if label != "" && p.peek() == '=' {
		p.pos++
	} else {
		label, p.pos = "", save
	}
	s, err := p.call()
	if err != nil {
		return nil, err
	}
	s.Label = label
	return s, nil
}

// call := name ['(' [arg {',' arg}] ')']
func (p *parser) call() (*Spec, error) {
	p.space()
	at := p.pos
	name := p.ident()
	if name == "" {
		if p.pos >= len(p.text) {
			return nil, p.errf("want an indicator name, found the end")
		}
		return nil, p.errf("want an indicator name, found %q", p.text[p.pos:p.pos+1])
	}
	d, ok := Lookup(name)
	if !ok {
		return nil, p.errAt(at, "unknown indicator %q; known: %s", name, strings.Join(Names(), ", "))
	}
	var nums []float64
	var numAt []int
	var src *Source
	if p.peek() == '(' {
		p.pos++
		for p.peek() != ')' {
			p.space()
			argAt := p.pos
			if p.pos >= len(p.text) {
				return nil, p.errf("unclosed '(' after %s", name)
			}
			if c := p.text[p.pos]; c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9' {
				v, err := p.number()
				if err != nil {
					return nil, err
				}
				nums, numAt = append(nums, v), append(numAt, argAt)
			} else {
				if src != nil {
					return nil, p.errAt(argAt, "%s takes one source, got a second", name)
				}
				var err error
				if src, err = p.source(); err != nil {
					return nil, err
				}
				if len(d.Inputs) != 1 {
					return nil, p.errAt(argAt, "%s reads %s from the bar and takes no source", name, strings.Join(d.Inputs, ","))
				}
			}
			if p.peek() == ',' {
				p.pos++
			} else if p.peek() != ')' {
				return nil, p.errf("want ',' or ')' in %s(...)", name)
			}
		}
		p.pos++
	}
	if src != nil && src.Spec == nil && src.Field == d.Inputs[0] {
		src = nil // ema(20, close) is ema(20)
	}
	if len(nums) > len(d.Params) {
		return nil, p.errAt(numAt[len(d.Params)], "%s takes %d parameters, got %d: %s", name, len(d.Params), len(nums), d.Usage())
	}
	params := make([]float64, len(d.Params))
	for i, pd := range d.Params {
		params[i] = pd.Default
		for j, q := range d.Params[:i] {
			if q.Name == pd.DefaultFrom {
				params[i] = params[j]
			}
		}
		if i < len(nums) {
			v := nums[i]
			if v < pd.Min || v > pd.Max || (pd.Int && v != math.Trunc(v)) {
				kind := "a number"
				if pd.Int {
					kind = "a whole number"
				}
				return nil, p.errAt(numAt[i], "%s parameter %s = %s: want %s in [%s, %s]; %s",
					name, pd.Name, formatNum(v), kind, formatNum(pd.Min), formatNum(pd.Max), d.Usage())
			}
			params[i] = v
		}
	}
	return &Spec{Def: d, Params: params, Source: src}, nil
}

func (p *parser) number() (float64, error) {
	i := p.pos
	for p.pos < len(p.text) && strings.IndexByte("+-.0123456789eE", p.text[p.pos]) >= 0 {
		p.pos++
	}
	v, err := strconv.ParseFloat(p.text[i:p.pos], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, p.errAt(i, "bad number %q", p.text[i:p.pos])
	}
	return v, nil
}

// source := field | call ['.' output]
func (p *parser) source() (*Source, error) {
	save := p.pos
	if name := p.ident(); isField(name) && p.peek() != '(' {
		return &Source{Field: name}, nil
	}
	p.pos = save
	p.space()
	at := p.pos
	s, err := p.call()
	if err != nil {
		return nil, err
	}
	outs := s.Def.Outputs
	if p.peek() != '.' {
		if len(outs) > 1 {
			return nil, p.errAt(at, "%s has several outputs; pick one with .%s", s.Def.Name, strings.Join(outs, " or ."))
		}
		return &Source{Spec: s}, nil
	}
	p.pos++
	selAt := p.pos
	sel := p.ident()
	for i, o := range outs {
		if o == sel || strings.HasSuffix(o, "_"+sel) {
			return &Source{Spec: s, Output: i}, nil
		}
	}
	return nil, p.errAt(selAt, "%s has no output %q; outputs: %s", s.Def.Name, sel, strings.Join(outs, ", "))
}

// Adapters from the typed streams to Stream.

type stream1 struct{ u, r func(float64) float64 }

func (s stream1) Update(in, out []float64) { out[0] = s.u(in[0]) }
func (s stream1) Revise(in, out []float64) { out[0] = s.r(in[0]) }

type stream2 struct {
	u, r func(float64) (float64, float64)
}

func (s stream2) Update(in, out []float64) { out[0], out[1] = s.u(in[0]) }
func (s stream2) Revise(in, out []float64) { out[0], out[1] = s.r(in[0]) }

type stream3 struct {
	u, r func(float64) (float64, float64, float64)
}

func (s stream3) Update(in, out []float64) { out[0], out[1], out[2] = s.u(in[0]) }
func (s stream3) Revise(in, out []float64) { out[0], out[1], out[2] = s.r(in[0]) }

// PeriodParam is a whole-number period parameter in [min, MaxPeriod].
func PeriodParam(name string, def, min float64) Param {
	return Param{Name: name, Default: def, Min: min, Max: MaxPeriod, Int: true}
}

// closeOnly registers a one-input, one-output indicator with periods only.
func closeOnly(name, doc string, params []Param, lookback func(p []float64) int,
	batch func(x []float64, p []float64) []float64, stream func(p []float64) (func(float64) float64, func(float64) float64)) {
	Register(&Def{
		Name: name, Doc: doc, Inputs: []string{"close"}, Params: params, Outputs: []string{name},
		Lookback: lookback,
		Batch:    func(in [][]float64, p []float64) [][]float64 { return [][]float64{batch(in[0], p)} },
		Stream: func(p []float64) Stream {
			u, r := stream(p)
			return stream1{u, r}
		},
	})
}

func init() {
	n := func(def, min float64) []Param { return []Param{PeriodParam("n", def, min)} }
	i := func(p []float64, k int) int { return int(p[k]) }
	closeOnly("sma", "simple moving average", n(20, 1), func(p []float64) int { return LookbackSMA(i(p, 0)) },
		func(x, p []float64) []float64 { return SMA(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewSMAStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("ema", "exponential moving average, SMA seed", n(20, 1), func(p []float64) int { return LookbackEMA(i(p, 0)) },
		func(x, p []float64) []float64 { return EMA(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewEMAStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("wma", "linearly weighted moving average", n(20, 1), func(p []float64) int { return LookbackWMA(i(p, 0)) },
		func(x, p []float64) []float64 { return WMA(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewWMAStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("dema", "double exponential moving average", n(20, 1), func(p []float64) int { return LookbackDEMA(i(p, 0)) },
		func(x, p []float64) []float64 { return DEMA(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewDEMAStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("tema", "triple exponential moving average", n(20, 1), func(p []float64) int { return LookbackTEMA(i(p, 0)) },
		func(x, p []float64) []float64 { return TEMA(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewTEMAStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("trima", "triangular moving average", n(20, 1), func(p []float64) int { return LookbackTRIMA(i(p, 0)) },
		func(x, p []float64) []float64 { return TRIMA(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewTRIMAStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("kama", "Kaufman adaptive moving average", n(30, 1), func(p []float64) int { return LookbackKAMA(i(p, 0)) },
		func(x, p []float64) []float64 { return KAMA(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewKAMAStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("t3", "Tillson T3 moving average", []Param{PeriodParam("n", 5, 1), {Name: "vfactor", Default: 0.7, Min: 0, Max: 1}},
		func(p []float64) int { return LookbackT3(i(p, 0)) },
		func(x, p []float64) []float64 { return T3(x, i(p, 0), p[1]) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewT3Stream(i(p, 0), p[1])
			return s.Update, s.Revise
		})
	closeOnly("rsi", "Wilder relative strength index", n(14, 2), func(p []float64) int { return LookbackRSI(i(p, 0)) },
		func(x, p []float64) []float64 { return RSI(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewRSIStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("cmo", "Chande momentum oscillator (TA-Lib, Wilder-smoothed)", n(14, 2), func(p []float64) int { return LookbackCMO(i(p, 0)) },
		func(x, p []float64) []float64 { return CMO(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewCMOStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("mom", "momentum x - x[n bars ago]", n(10, 1), func(p []float64) int { return LookbackMOM(i(p, 0)) },
		func(x, p []float64) []float64 { return MOM(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewMOMStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("roc", "rate of change in percent", n(10, 1), func(p []float64) int { return LookbackMOM(i(p, 0)) },
		func(x, p []float64) []float64 { return ROC(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewROCStream(i(p, 0))
			return s.Update, s.Revise
		})
	fastSlow := []Param{PeriodParam("fast", 12, 1), PeriodParam("slow", 26, 1)}
	closeOnly("apo", "absolute price oscillator EMA(fast) - EMA(slow)", fastSlow,
		func(p []float64) int { return LookbackAPO(i(p, 0), i(p, 1)) },
		func(x, p []float64) []float64 { return APO(x, i(p, 0), i(p, 1)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewAPOStream(i(p, 0), i(p, 1))
			return s.Update, s.Revise
		})
	closeOnly("ppo", "percentage price oscillator", fastSlow,
		func(p []float64) int { return LookbackAPO(i(p, 0), i(p, 1)) },
		func(x, p []float64) []float64 { return PPO(x, i(p, 0), i(p, 1)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewPPOStream(i(p, 0), i(p, 1))
			return s.Update, s.Revise
		})
	closeOnly("stddev", "population standard deviation times k", []Param{PeriodParam("n", 20, 2), {Name: "k", Default: 1, Min: -1e6, Max: 1e6}},
		func(p []float64) int { return LookbackSTDDEV(i(p, 0)) },
		func(x, p []float64) []float64 { return STDDEV(x, i(p, 0), p[1]) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewSTDDEVStream(i(p, 0), p[1])
			return s.Update, s.Revise
		})
	closeOnly("linearreg", "least-squares line's value at the newest bar", n(14, 2),
		func(p []float64) int { return LookbackLINEARREG(i(p, 0)) },
		func(x, p []float64) []float64 { return LINEARREG(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewLINEARREGStream(i(p, 0))
			return s.Update, s.Revise
		})
	closeOnly("linearreg_slope", "least-squares line's slope per bar", n(14, 2),
		func(p []float64) int { return LookbackLINEARREG(i(p, 0)) },
		func(x, p []float64) []float64 { return LINEARREG_SLOPE(x, i(p, 0)) },
		func(p []float64) (func(float64) float64, func(float64) float64) {
			s := NewLINEARREGSlopeStream(i(p, 0))
			return s.Update, s.Revise
		})
	Register(&Def{
		Name: "macd", Doc: "moving average convergence/divergence (TA-Lib seeding)", Inputs: []string{"close"},
		Params:   []Param{PeriodParam("fast", 12, 1), PeriodParam("slow", 26, 1), PeriodParam("signal", 9, 1)},
		Outputs:  []string{"macd", "macd_signal", "macd_hist"},
		Lookback: func(p []float64) int { return LookbackMACD(i(p, 0), i(p, 1), i(p, 2)) },
		Batch: func(in [][]float64, p []float64) [][]float64 {
			m, s, h := MACD(in[0], i(p, 0), i(p, 1), i(p, 2))
			return [][]float64{m, s, h}
		},
		Stream: func(p []float64) Stream {
			s := NewMACDStream(i(p, 0), i(p, 1), i(p, 2))
			return stream3{s.Update, s.Revise}
		},
	})
	Register(&Def{
		Name: "bbands", Doc: "Bollinger bands over an SMA", Inputs: []string{"close"},
		Params: []Param{PeriodParam("n", 20, 2), {Name: "up", Default: 2, Min: -1e6, Max: 1e6},
			{Name: "down", Default: 2, Min: -1e6, Max: 1e6, DefaultFrom: "up"}},
		Outputs:  []string{"bb_upper", "bb_middle", "bb_lower"},
		Lookback: func(p []float64) int { return LookbackBBANDS(i(p, 0)) },
		Batch: func(in [][]float64, p []float64) [][]float64 {
			u, m, l := BBANDS(in[0], i(p, 0), p[1], p[2])
			return [][]float64{u, m, l}
		},
		Stream: func(p []float64) Stream {
			s := NewBBANDSStream(i(p, 0), p[1], p[2])
			return stream3{s.Bands, s.ReviseBands}
		},
	})
	Register(&Def{
		Name: "stochrsi", Doc: "fast stochastic of RSI", Inputs: []string{"close"},
		Params:   []Param{PeriodParam("n", 14, 2), PeriodParam("k", 14, 1), PeriodParam("d", 3, 1)},
		Outputs:  []string{"stochrsi_k", "stochrsi_d"},
		Lookback: func(p []float64) int { return LookbackSTOCHRSI(i(p, 0), i(p, 1), i(p, 2)) },
		Batch: func(in [][]float64, p []float64) [][]float64 {
			k, d := STOCHRSI(in[0], i(p, 0), i(p, 1), i(p, 2))
			return [][]float64{k, d}
		},
		Stream: func(p []float64) Stream {
			s := NewSTOCHRSIStream(i(p, 0), i(p, 1), i(p, 2))
			return stream2{s.Update, s.Revise}
		},
	})
}
