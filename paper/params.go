package paper

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// A strategy declares its parameters once, as the exported fields of a
// struct: a compiled strategy's own fields, a script's `var Params =
// struct{…}{…}`. A field's name is its `param:"name"` tag, else its Go name
// in lower case; `param:"-"` leaves a field out. Types are int (any size),
// float64/float32, time.Duration, bool and string. The struct's value when
// declared holds the defaults.

// ParamKind is the type of a parameter.
type ParamKind int

// The kinds of parameter.
const (
	IntParam ParamKind = iota
	FloatParam
	DurationParam
	BoolParam
	StringParam
)

func (k ParamKind) String() string {
	return [...]string{"int", "float", "duration", "bool", "string"}[k]
}

// Param describes one parameter.
type Param struct {
	Name    string
	Field   string // the Go field it sets
	Kind    ParamKind
	Default any // int64, float64, time.Duration, bool or string
}

// Setting is a parameter's value, of its kind's Go type (see Param.Default).
type Setting struct {
	Name  string
	Value any
}

// ParamError is a parameter the strategy does not declare, or a value that
// is not of its type.
type ParamError struct {
	Name, Value string
	Problem     string
}

func (e *ParamError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("parameter %q: %s", e.Name, e.Problem)
	}
	return fmt.Sprintf("parameter %q = %q: %s", e.Name, e.Value, e.Problem)
}

var durationType = reflect.TypeOf(time.Duration(0))

// DescribeParams lists the parameters of struct value v (a struct or a
// pointer to one), in field order, with v's values as the defaults.
func DescribeParams(v reflect.Value) ([]Param, error) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("params: want a struct, got %v", v.Kind())
	}
	t := v.Type()
	var out []Param
	seen := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Tag.Get("param")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		k, ok := kindOf(f.Type)
		if !ok {
			return nil, fmt.Errorf("params: field %s (%s): type %v is not int, float, duration, bool or string", f.Name, name, f.Type)
		}
		if seen[name] {
			return nil, fmt.Errorf("params: two fields named %q", name)
		}
		seen[name] = true
		out = append(out, Param{Name: name, Field: f.Name, Kind: k, Default: valueOf(v.Field(i), k)})
	}
	return out, nil
}

func kindOf(t reflect.Type) (ParamKind, bool) {
	if t == durationType {
		return DurationParam, true
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return IntParam, true
	case reflect.Float32, reflect.Float64:
		return FloatParam, true
	case reflect.Bool:
		return BoolParam, true
	case reflect.String:
		return StringParam, true
	}
	return 0, false
}

func valueOf(v reflect.Value, k ParamKind) any {
	switch k {
	case IntParam:
		return v.Int()
	case FloatParam:
		return v.Float()
	case DurationParam:
		return time.Duration(v.Int())
	case BoolParam:
		return v.Bool()
	}
	return v.String()
}

// Parse reads a value of p's kind from text.
func (p Param) Parse(text string) (any, error) {
	bad := func(err error) error {
		return &ParamError{Name: p.Name, Value: text, Problem: fmt.Sprintf("want %s: %v", p.Kind, unwrapNum(err))}
	}
	s := strings.TrimSpace(text)
	switch p.Kind {
	case IntParam:
		x, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		return x, nil
	case FloatParam:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, bad(err)
		}
		return x, nil
	case DurationParam:
		x, err := time.ParseDuration(s)
		if err != nil {
			return nil, bad(err)
		}
		return x, nil
	case BoolParam:
		x, err := strconv.ParseBool(s)
		if err != nil {
			return nil, bad(err)
		}
		return x, nil
	}
	return text, nil
}

func unwrapNum(err error) error {
	if ne, ok := err.(*strconv.NumError); ok {
		return ne.Err
	}
	return err
}

// FormatParam writes a parameter value as Parse reads it back.
func FormatParam(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Duration:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// GoLiteral writes a parameter value as a Go constant expression that an
// assignment to a field of its kind accepts.
func GoLiteral(v any) string {
	switch x := v.(type) {
	case time.Duration:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		// Inf and NaN have no literal.
		switch {
		case math.IsNaN(x):
			return "math.NaN()"
		case math.IsInf(x, 0):
			return fmt.Sprintf("math.Inf(%d)", int(math.Copysign(1, x)))
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return strconv.Quote(x)
	}
	return FormatParam(v)
}

// ParseSettings reads name=value texts against params; an unknown name or a
// value of the wrong type is a *ParamError naming it.
func ParseSettings(params []Param, texts []string) ([]Setting, error) {
	var out []Setting
	for _, t := range texts {
		name, val, ok := strings.Cut(t, "=")
		if !ok {
			return nil, &ParamError{Name: t, Problem: "want name=value"}
		}
		p, err := FindParam(params, strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		x, err := p.Parse(val)
		if err != nil {
			return nil, err
		}
		out = append(out, Setting{Name: p.Name, Value: x})
	}
	return out, nil
}

// FindParam returns the parameter called name.
func FindParam(params []Param, name string) (Param, error) {
	for _, p := range params {
		if p.Name == name {
			return p, nil
		}
	}
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	known := "the strategy declares none"
	if len(names) > 0 {
		known = "known: " + strings.Join(names, ", ")
	}
	return Param{}, &ParamError{Name: name, Problem: "unknown parameter (" + known + ")"}
}

// ApplyParams sets the settings on the struct ptr points to, after checking
// each against the struct's parameters.
func ApplyParams(ptr any, set []Setting) error {
	v := reflect.ValueOf(ptr)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("params: want a pointer to a struct, got %T", ptr)
	}
	params, err := DescribeParams(v)
	if err != nil {
		return err
	}
	s := v.Elem()
	for _, st := range set {
		p, err := FindParam(params, st.Name)
		if err != nil {
			return err
		}
		f := s.FieldByName(p.Field)
		x := reflect.ValueOf(st.Value)
		if k, _ := kindOf(x.Type()); k != p.Kind || (k == IntParam && x.Type().Kind() != reflect.Int64) {
			return &ParamError{Name: p.Name, Value: FormatParam(st.Value), Problem: fmt.Sprintf("want %s, got %T", p.Kind, st.Value)}
		}
		switch p.Kind {
		case IntParam, DurationParam:
			if f.OverflowInt(x.Int()) {
				return &ParamError{Name: p.Name, Value: FormatParam(st.Value), Problem: fmt.Sprintf("out of range of %v", f.Type())}
			}
			f.SetInt(x.Int())
		case FloatParam:
			f.SetFloat(x.Float())
		case BoolParam:
			f.SetBool(x.Bool())
		default:
			f.SetString(x.String())
		}
	}
	return nil
}

// BuiltinParams lists a built-in strategy's parameters.
func BuiltinParams(name string) ([]Param, error) {
	s, err := BuiltinStrategy(name)
	if err != nil {
		return nil, err
	}
	return DescribeParams(reflect.ValueOf(s))
}

// NewBuiltin returns a new built-in strategy with the settings applied.
func NewBuiltin(name string, set []Setting) (Strategy, error) {
	s, err := BuiltinStrategy(name)
	if err != nil {
		return nil, err
	}
	if err := ApplyParams(s, set); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}
