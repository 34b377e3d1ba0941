package scripts

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"

	"workbench/paper"
)

// StrategyShapes documents what a strategy script may define; LoadStrategy
// takes the first shape it finds, in this order.
const StrategyShapes = `A strategy script is a Go file (package main, no main needed) defining one of:
  func NewStrategy() paper.Strategy            a type with OnBar (and optionally Start, OnFill, OnQuote, OnTrade, Finish),
                                               returned typed as paper.Strategy
  func OnBar(c *paper.Context, b feeds.BarEvent) plus optionally Start(c) error, OnFill(c, r paper.Report),
                                               OnQuote(c, q feeds.Quote), OnTrade(c, t feeds.Trade), Finish(c)
  func Run(c *paper.Context)                   its own loop over c.Next() (one call into the script per run)
  func Targets(bars *frames.OHLCV) []float64   the position to hold after each bar, computed once per market
Its parameters, if any, are the fields of var Params = struct{ Fast int ` + "`param:\"fast\"`" + `; ... }{10, ...}
(set with --set fast=5; see ParamsDoc).`

// LoadStrategy interprets the strategy script at path and returns it as a
// paper.Strategy (see StrategyShapes). Per-bar shapes cost about a
// microsecond per call into the interpreter; Run and Targets cross once,
// and so does, once per batch of bars, an OnBar whose body can run inside
// a loop (see onBarLoop). The interpreter stays alive inside the returned
// strategy.
func LoadStrategy(ctx context.Context, path string, opts Options) (paper.Strategy, error) {
	return LoadStrategyWith(ctx, path, opts, nil)
}

// ParamsDoc documents how a strategy script declares its parameters.
const ParamsDoc = `A strategy script declares its parameters once, as an exported struct variable:
  var Params = struct {
      Fast int     ` + "`param:\"fast\"`" + `
      Slow int     ` + "`param:\"slow\"`" + `
  }{10, 30}
A field's name is its param tag, else its Go name in lower case; types are int, float64,
time.Duration, bool and string; the values given are the defaults. backtest and paper set
them with --set fast=5, sweep with --param. Read Params inside the strategy's functions
(NewStrategy, Start, OnBar, Run, Targets): the settings are assigned after the file's
top-level declarations have run.`

// StrategyParams lists the parameters the strategy script at path
// declares (see ParamsDoc); none is an empty list.
func StrategyParams(ctx context.Context, path string, opts Options) ([]paper.Param, error) {
	in, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := in.LoadFile(ctx, path); err != nil {
		return nil, err
	}
	return scriptParams(ctx, in, path)
}

// scriptParams describes the script's Params variable.
func scriptParams(ctx context.Context, in *Interp, path string) ([]paper.Param, error) {
	if v, err := in.Eval(ctx, "Params"); err == nil && v.IsValid() {
		ps, err := paper.DescribeParams(v)
		if err != nil {
			return nil, fmt.Errorf("%s: var Params: %w", path, err)
		}
		return ps, nil
	}
	return nil, nil
}

// LoadStrategyWith is LoadStrategy with the script's parameters set (see
// ParamsDoc); a setting the script does not declare, or of the wrong type,
// is a *paper.ParamError.
func LoadStrategyWith(ctx context.Context, path string, opts Options, set []paper.Setting) (paper.Strategy, error) {
	in, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := in.LoadFile(ctx, path); err != nil {
		return nil, err
	}
	if len(set) > 0 {
		params, err := scriptParams(ctx, in, path)
		if err != nil {
			return nil, err
		}
		for _, st := range set {
			p, err := paper.FindParam(params, st.Name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if _, err := in.Eval(ctx, "Params."+p.Field+" = "+paper.GoLiteral(st.Value)); err != nil {
				return nil, fmt.Errorf("%s: set %s = %s: %w", path, p.Name, paper.FormatParam(st.Value), err)
			}
		}
	}
	defined := func(name string) bool {
		v, err := in.Eval(ctx, name)
		return err == nil && v.IsValid() && v.Kind() == reflect.Func
	}
	get := func(name string, target any) error {
		v, err := in.Eval(ctx, name)
		if err != nil {
			return err
		}
		tv := reflect.ValueOf(target).Elem()
		if !v.IsValid() || !v.Type().ConvertibleTo(tv.Type()) {
			return fmt.Errorf("%s: %s has type %v, want %v", path, name, v.Type(), tv.Type())
		}
		tv.Set(v.Convert(tv.Type()))
		return nil
	}
	switch {
	case defined("NewStrategy"):
		var mk func() paper.Strategy
		if err := get("NewStrategy", &mk); err != nil {
			return nil, err
		}
		s, err := callStrategy(path, mk)
		if err != nil {
			return nil, err
		}
		return s, nil
	case defined("OnBar"):
		f := &paper.Funcs{}
		if err := get("OnBar", &f.BarFunc); err != nil {
			return nil, err
		}
		if f.LoopFunc, err = in.onBarLoop(ctx); err != nil {
			slog.Debug("scripts: OnBar runs bar by bar", "file", path, "why", err)
		}
		optional := []struct {
			name   string
			target any
		}{
			{"Start", &f.StartFunc}, {"OnFill", &f.FillFunc}, {"OnQuote", &f.QuoteFunc},
			{"OnTrade", &f.TradeFunc}, {"Finish", &f.FinishFunc},
		}
		for _, o := range optional {
			if defined(o.name) {
				if err := get(o.name, o.target); err != nil {
					return nil, err
				}
			}
		}
		return f, nil
	case defined("Run"):
		d := &paper.Driver{}
		if err := get("Run", &d.Func); err != nil {
			return nil, err
		}
		return d, nil
	case defined("Targets"):
		t := &paper.Targets{}
		if err := get("Targets", &t.Func); err != nil {
			return nil, err
		}
		return t, nil
	}
	return nil, fmt.Errorf("%s: no strategy found.\n%s", path, StrategyShapes)
}

// callStrategy calls the script's constructor, turning a panic into an
// error.
func callStrategy(path string, mk func() paper.Strategy) (s paper.Strategy, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: NewStrategy panicked: %v", path, panicText(r))
		}
	}()
	s = mk()
	if s == nil {
		return nil, fmt.Errorf("%s: NewStrategy returned nil", path)
	}
	return s, nil
}
