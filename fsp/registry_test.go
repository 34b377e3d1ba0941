package fsp

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"workbench/frames"
)

func oracleFrame(s *oracleSeries) *frames.OHLCV {
	f := frames.New(0, len(s.time))
	for i, t := range s.time {
		f.Add(t, s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i])
	}
	return f
}

func TestParse(t *testing.T) {
	specs, err := Parse(" rsi(14), MACD(12,26,9),bbands(20, 3), ema(20, rsi(14)), sma(10, high), fast=ema(12), kama, ema(9, macd(5,35,5).hist), m=macd, s=stochrsi, b=bbands")
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	var text []string
	for _, s := range specs {
		got = append(got, s.Columns())
		text = append(text, s.String())
	}
	want := [][]string{
		{"rsi_14"},
		{"macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9"},
		{"bb_upper_20_3_3", "bb_middle_20_3_3", "bb_lower_20_3_3"},
		{"ema_20_rsi_14"},
		{"sma_10_high"},
		{"fast"},
		{"kama_30"},
		{"ema_9_macd_hist_5_35_5"},
		{"m", "m_signal", "m_hist"},
		{"s_k", "s_d"},
		{"b_upper", "b_middle", "b_lower"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("columns %q\nwant %q", got, want)
	}
	wantText := []string{"rsi(14)", "macd(12,26,9)", "bbands(20,3,3)", "ema(20,rsi(14))", "sma(10,high)",
		"fast=ema(12)", "kama(30)", "ema(9,macd(5,35,5).macd_hist)",
		"m=macd(12,26,9)", "s=stochrsi(14,14,3)", "b=bbands(20,2,2)"}
	if !reflect.DeepEqual(text, wantText) {
		t.Fatalf("text %q\nwant %q", text, wantText)
	}
	// The canonical text parses back to the same spec.
	for _, s := range specs {
		again, err := ParseOne(s.String())
		if err != nil || again.String() != s.String() {
			t.Fatalf("%s parsed back as %v, %v", s, again, err)
		}
	}
	if s, err := ParseOne("ema(20, close)"); err != nil || s.String() != "ema(20)" {
		t.Fatalf("ema(20, close) = %v, %v; want ema(20)", s, err)
	}
	if lb := specs[3].Lookback(); lb != 14+19 {
		t.Fatalf("ema(20,rsi(14)) lookback %d, want 33", lb)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"rsx(14)", `column 1: unknown indicator "rsx"; known: `},
		{"rsi(14), rsi(1)", `column 14: rsi parameter n = 1: want a whole number in [2, 100000]`},
		{"sma(2.5)", "want a whole number"},
		{"macd(1,2,3,4)", "column 12: macd takes 3 parameters, got 4: macd(fast=12, slow=26, signal=9) -> macd, macd_signal, macd_hist"},
		{"ema(20, macd())", "macd has several outputs; pick one with .macd or .macd_signal or .macd_hist"},
		{"ema(20, macd().foo)", `macd has no output "foo"`},
		{"ema(20, high, low)", "ema takes one source, got a second"},
		{"rsi(14", "want ',' or ')' in rsi(...)"},
		{"rsi(14) sma", "want ',' between indicators"},
		{"", "no indicator given"},
		{"sma(1e999)", "bad number"},
		{"bbands(20, 2, 2, 2)", "bbands takes 3 parameters"},
	} {
		_, err := Parse(c.text)
		var se *SpecError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", c.text, err, c.want)
		}
	}
}

// Every registered indicator, with its default parameters, on every oracle
// series: the lookback is the first valid index, the registry stream equals
// the batch bit for bit (with revisions), and nothing but the lookback is NaN.
func TestRegistryStreamsEqualBatch(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		f := oracleFrame(s)
		for _, d := range Defs() {
			spec, err := ParseOne(d.Name)
			if err != nil {
				t.Fatal(err)
			}
			want := spec.Compute(f)
			if len(want) != len(d.Outputs) {
				t.Fatalf("%s: %d outputs, %d names", d.Name, len(want), len(d.Outputs))
			}
			lb, last := spec.Lookback(), 0
			for j, col := range want {
				first := firstValid(col)
				last = max(last, first)
				if olb := spec.OutputLookback(j); first != olb && !(first > olb && readsZeroVolume(d, s.volume[:min(olb+1, len(s.volume))])) {
					t.Errorf("%s output %s: first valid %d, OutputLookback %d", d.Name, d.Outputs[j], first, olb)
				}
			}
			if last != lb && !(last > lb && readsZeroVolume(d, s.volume[:min(lb+1, len(s.volume))])) {
				t.Errorf("%s: every output valid from %d, Lookback %d", d.Name, last, lb)
			}
			var in [][]float64
			for _, name := range d.Inputs {
				in = append(in, field(f, name))
			}
			checkStream(t, d.Name, in, want, func() streamer {
				st := d.Stream(spec.Params)
				out := make([]float64, len(d.Outputs))
				return func(rev bool, in []float64) []float64 {
					if rev {
						st.Revise(in, out)
					} else {
						st.Update(in, out)
					}
					return append([]float64(nil), out...)
				}
			})
		}
	})
}

// readsZeroVolume tells whether d reads volume and vol has a zero in it (a
// volume-weighted value is undefined there, later than its lookback).
func readsZeroVolume(d *Def, vol []float64) bool {
	for _, in := range d.Inputs {
		if in == "volume" {
			for _, v := range vol {
				if v == 0 {
					return true
				}
			}
		}
	}
	return false
}

func TestComputeChained(t *testing.T) {
	s := oracles(t)[0]
	f := oracleFrame(s)
	spec, err := ParseOne("ema(20, rsi(14))")
	if err != nil {
		t.Fatal(err)
	}
	got := spec.Compute(f)[0]
	want := EMA(RSI(s.close, 14), 20)
	for i := range want {
		if !sameBits(got[i], want[i]) {
			t.Fatalf("bar %d: %v, want %v", i, got[i], want[i])
		}
	}
	if !math.IsNaN(got[32]) || math.IsNaN(got[33]) {
		t.Fatalf("ema(20,rsi(14)) starts at %d, want 33", firstValid(got))
	}
}

// benchFrame is a deterministic random-walk bar series for benchmarks.
func benchFrame(n int) *frames.OHLCV {
	x := benchInput(n)
	f := frames.New(60, n)
	for i, v := range x {
		f.Add(int64(i)*60, v, v+0.7, v-0.6, v+0.1, 100+float64(i%17))
	}
	return f
}

// Every registered indicator with its defaults, batch over 1M bars.
func BenchmarkRegistryBatch(b *testing.B) {
	f := benchFrame(benchBars)
	for _, d := range Defs() {
		spec, err := ParseOne(d.Name)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(d.Name, func(b *testing.B) {
			for b.Loop() {
				spec.Compute(f)
			}
		})
	}
}

// Every registered indicator with its defaults, one Update per bar over 1M
// bars, through the Stream interface.
func BenchmarkRegistryStream(b *testing.B) {
	f := benchFrame(benchBars)
	for _, d := range Defs() {
		spec, err := ParseOne(d.Name)
		if err != nil {
			b.Fatal(err)
		}
		var cols [][]float64
		for _, name := range d.Inputs {
			cols = append(cols, field(f, name))
		}
		b.Run(d.Name, func(b *testing.B) {
			in, out := make([]float64, len(cols)), make([]float64, len(d.Outputs))
			for b.Loop() {
				st := d.Stream(spec.Params)
				for i := range cols[0] {
					for j, c := range cols {
						in[j] = c[i]
					}
					st.Update(in, out)
				}
			}
		})
	}
}
