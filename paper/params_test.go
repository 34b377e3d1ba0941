package paper

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBuiltinParams(t *testing.T) {
	ps, err := BuiltinParams("sma-cross")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Name+":"+p.Kind.String()+"="+FormatParam(p.Default))
	}
	if want := "fast:int=10 slow:int=30 size:float=0 fraction:float=0.95"; strings.Join(got, " ") != want {
		t.Fatalf("sma-cross params %v, want %s", got, want)
	}
	set, err := ParseSettings(ps, []string{"fast=5", "slow = 50"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewBuiltin("sma-cross", set)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.(*SMACross); c.Fast != 5 || c.Slow != 50 || c.Fraction != 0.95 {
		t.Fatalf("sma-cross after fast=5 slow=50: %+v", c)
	}
}

func TestParamErrors(t *testing.T) {
	type params struct {
		N    int32         `param:"n"`
		X    float64       `param:"x"`
		D    time.Duration `param:"d"`
		B    bool
		S    string
		Skip int `param:"-"`
		priv int
	}
	ps, err := DescribeParams(reflect.ValueOf(params{N: 3}))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 5 || ps[3].Name != "b" || ps[4].Name != "s" {
		t.Fatalf("params %+v", ps)
	}
	for _, c := range []struct{ set, name, want string }{
		{"n=1.5", "n", `parameter "n" = "1.5": want int: invalid syntax`},
		{"x=abc", "x", `parameter "x" = "abc": want float`},
		{"d=5", "d", `parameter "d" = "5": want duration`},
		{"b=maybe", "b", `want bool`},
		{"zz=1", "zz", `unknown parameter (known: n, x, d, b, s)`},
		{"n", "n", `want name=value`},
	} {
		_, err := ParseSettings(ps, []string{c.set})
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Name != c.name || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want a ParamError for %s containing %q", c.set, err, c.name, c.want)
		}
	}
	var v params
	err = ApplyParams(&v, []Setting{{"n", int64(1) << 40}})
	if err == nil || !strings.Contains(err.Error(), "out of range of int32") {
		t.Errorf("n=2^40 into an int32: %v", err)
	}
	if err := ApplyParams(&v, []Setting{{"x", "1"}}); err == nil || !strings.Contains(err.Error(), "want float") {
		t.Errorf("a string for a float: %v", err)
	}
	set, err := ParseSettings(ps, []string{"n=7", "x=0.25", "d=90s", "b=true", "s=a=b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyParams(&v, set); err != nil {
		t.Fatal(err)
	}
	if v.N != 7 || v.X != 0.25 || v.D != 90*time.Second || !v.B || v.S != "a=b" {
		t.Fatalf("applied: %+v", v)
	}
	if _, err := DescribeParams(reflect.ValueOf(struct{ M map[string]int }{})); err == nil || !strings.Contains(err.Error(), "field M") {
		t.Errorf("a map field: %v", err)
	}
}
