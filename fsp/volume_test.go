package fsp

import (
	"math"
	"os"
	"strings"
	"testing"

	"workbench/frames"
	"workbench/internal/oracle"
)

// hlcv adapts a stream over (high, low, close, volume) to checkStream.
func hlcv(update, revise func(h, l, c, v float64) float64) streamer {
	return func(rev bool, in []float64) []float64 {
		if rev {
			return []float64{revise(in[0], in[1], in[2], in[3])}
		}
		return []float64{update(in[0], in[1], in[2], in[3])}
	}
}

func TestVolumeMatchesTALib(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		checkRef(t, s, "obv", OBV(s.close, s.volume), talibTol)
		checkRef(t, s, "ad", AD(s.high, s.low, s.close, s.volume), talibTol)
		checkRef(t, s, "adosc", ADOSC(s.high, s.low, s.close, s.volume, 3, 10), talibTol)
	})
}

// TestVWAPMatchesReference compares with vwap_cum and vwap_utc_day of the
// .alt.csv files (series without one are skipped).
func TestVWAPMatchesReference(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		p := oracle.Path(t, "ta", s.name+".alt.csv")
		if _, err := os.Stat(p); err != nil {
			t.Skipf("no %s", p)
		}
		alt, err := readCSVColumns(p)
		if err != nil {
			t.Fatal(err)
		}
		ref := *s
		ref.ref, ref.first = alt.cols, alt.first
		checkRef(t, &ref, "vwap_cum", VWAP(s.high, s.low, s.close, s.volume), talibTol)
		checkRef(t, &ref, "vwap_utc_day", VWAPReset(s.time, s.high, s.low, s.close, s.volume, 86400), talibTol)
		tp := TYPPRICE(s.high, s.low, s.close)
		checkRef(t, &ref, "vwap_cum", WAP(tp, s.volume), talibTol)
	})
}

// TestPikerVWAPAndDollarVolume runs piker-notes §8 test cases 5 and 6 (the
// bar history part) on our VWAP and dollar volume.
func TestPikerVWAPAndDollarVolume(t *testing.T) {
	h, l, c, v := []float64{11, 13}, []float64{9, 11}, []float64{10, 12}, []float64{1, 3}
	got := VWAP(h, l, c, v)
	if got[0] != 10 || got[1] != 11.5 {
		t.Fatalf("VWAP = %v, piker's tina_vwap history [10 11.5]", got)
	}
	dv := DollarVolume(h, l, c, v)
	if dv[0] != 10 || dv[1] != 36 {
		t.Fatalf("DollarVolume = %v, piker's dolla_vlm history [10 36]", dv)
	}
}

func TestVWAPAnchoredRestarts(t *testing.T) {
	s := oracles(t)[0]
	n := len(s.close)
	reset := make([]bool, n)
	reset[n/2] = true
	got := VWAPAnchored(s.high, s.low, s.close, s.volume, reset)
	whole := VWAP(s.high, s.low, s.close, s.volume)
	tail := VWAP(s.high[n/2:], s.low[n/2:], s.close[n/2:], s.volume[n/2:])
	for i := range got {
		want := whole[i]
		if i >= n/2 {
			want = tail[i-n/2]
		}
		if !sameBits(got[i], want) {
			t.Fatalf("anchored VWAP[%d] = %v, want %v", i, got[i], want)
		}
	}
}

func TestReturnsAndRates(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		c := s.close
		r, cum := LogReturns(c), CumLogReturns(c)
		if !math.IsNaN(r[0]) || cum[0] != 0 {
			t.Fatalf("first log return %v, cumulative %v", r[0], cum[0])
		}
		sum := 0.0
		for i := 1; i < len(c); i++ {
			if d := math.Log(c[i]) - math.Log(c[i-1]); math.Abs(r[i]-d) > 1e-12 {
				t.Fatalf("log return %d = %v, ln difference %v", i, r[i], d)
			}
			sum += r[i]
			if math.Abs(cum[i]-sum) > 1e-9 {
				t.Fatalf("cumulative log return %d = %v, sum of returns %v", i, cum[i], sum)
			}
		}
		const n = 10
		bw := BarWAP(s.high, s.low, s.close, s.volume, n)
		vr, dr := FlowRates(s.high, s.low, s.close, s.volume, 60, n)
		for i := n - 1; i < len(c); i++ {
			var sx, sv float64
			for j := i - n + 1; j <= i; j++ {
				sx += (s.high[j] + s.low[j] + s.close[j]) / 3 * s.volume[j]
				sv += s.volume[j]
			}
			if want := sx / sv; sv > 0 && math.Abs(bw[i]-want) > 1e-9*math.Abs(want) {
				t.Fatalf("BarWAP[%d] = %v, direct sum %v", i, bw[i], want)
			}
			if want := sv / n / 60; math.Abs(vr[i]-want) > 1e-9*math.Max(1, want) {
				t.Fatalf("volume rate[%d] = %v, direct %v", i, vr[i], want)
			}
			if want := sx / n / 60; math.Abs(dr[i]-want) > 1e-9*math.Max(1, want) {
				t.Fatalf("dollar volume rate[%d] = %v, direct %v", i, dr[i], want)
			}
		}
	})
}

func TestVolumeStreams(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		h, l, c, v := s.high, s.low, s.close, s.volume
		in := [][]float64{h, l, c, v}
		checkStream(t, "obv", [][]float64{c, v}, [][]float64{OBV(c, v)}, func() streamer {
			st := NewOBVStream()
			return multi(func(in []float64) []float64 { return []float64{st.Update(in[0], in[1])} },
				func(in []float64) []float64 { return []float64{st.Revise(in[0], in[1])} })
		})
		checkStream(t, "ad", in, [][]float64{AD(h, l, c, v)}, func() streamer {
			st := NewADStream()
			return hlcv(st.Update, st.Revise)
		})
		for _, p := range [][2]int{{3, 10}, {10, 3}, {2, 2}} {
			checkStream(t, "adosc", in, [][]float64{ADOSC(h, l, c, v, p[0], p[1])}, func() streamer {
				st := NewADOSCStream(p[0], p[1])
				return hlcv(st.Update, st.Revise)
			})
		}
		for _, n := range []int{1, 2, 10} {
			checkStream(t, "barwap", in, [][]float64{BarWAP(h, l, c, v, n)}, func() streamer {
				st := NewBarWAPStream(n)
				return hlcv(st.Update, st.Revise)
			})
			vr, dr := FlowRates(h, l, c, v, 60, n)
			checkStream(t, "flowrates", in, [][]float64{vr, dr}, func() streamer {
				st := NewFlowRatesStream(60, n)
				return multi(func(in []float64) []float64 {
					a, b := st.Update(in[0], in[1], in[2], in[3])
					return []float64{a, b}
				}, func(in []float64) []float64 {
					a, b := st.Revise(in[0], in[1], in[2], in[3])
					return []float64{a, b}
				})
			})
		}
		checkStream(t, "dollarvolume", in, [][]float64{DollarVolume(h, l, c, v)}, func() streamer {
			st := NewDollarVolumeStream()
			return hlcv(st.Update, st.Revise)
		})
		times := make([]float64, len(s.time))
		for i, x := range s.time {
			times[i] = float64(x)
		}
		for _, every := range []int64{0, 86400, 3600} {
			want := VWAPReset(s.time, h, l, c, v, every)
			checkStream(t, "vwap", [][]float64{times, h, l, c, v}, [][]float64{want}, func() streamer {
				st := NewVWAPStream(every)
				return multi(func(in []float64) []float64 {
					return []float64{st.Update(int64(in[0]), in[1], in[2], in[3], in[4])}
				}, func(in []float64) []float64 {
					return []float64{st.Revise(int64(in[0]), in[1], in[2], in[3], in[4])}
				})
			})
		}
		checkStream(t, "logret", [][]float64{c}, [][]float64{LogReturns(c)}, func() streamer {
			st := NewLogReturnStream()
			return single(st.Update, st.Revise)
		})
		checkStream(t, "cumlogret", [][]float64{c}, [][]float64{CumLogReturns(c)}, func() streamer {
			st := NewCumLogReturnStream()
			return single(st.Update, st.Revise)
		})
	})
}

// TestRegisteredBarIndicators runs every indicator registered from
// volatility.go, oscillators.go and volume.go through the registry: the
// outputs match TA-Lib's columns where there is one, the first output starts
// at the registered lookback, and the registered stream equals the batch bit
// for bit with revisions.
func TestRegisteredBarIndicators(t *testing.T) {
	cases := []struct {
		spec string
		refs []string // TA-Lib columns per output, "" for none
	}{
		{"trange", []string{"trange"}}, {"atr(14)", []string{"atr14"}}, {"natr(14)", []string{"natr14"}},
		{"midprice(14)", []string{"midprice14"}}, {"midpoint(5)", []string{""}},
		{"typprice", []string{"typprice"}}, {"avgprice", []string{"avgprice"}}, {"wclprice", []string{"wclprice"}},
		{"bop", []string{"bop"}}, {"stoch(14,3,3)", []string{"stoch_k", "stoch_d"}}, {"willr(14)", []string{"willr14"}},
		{"cci(14)", []string{"cci14"}}, {"mfi(14)", []string{"mfi14"}}, {"adx(14)", []string{"adx14"}},
		{"plus_di(14)", []string{"plus_di14"}}, {"minus_di(14)", []string{"minus_di14"}},
		{"aroon(14)", []string{"aroon_down14", "aroon_up14"}}, {"aroonosc(14)", []string{""}},
		{"ultosc(7,14,28)", []string{"ultosc"}}, {"sar(0.02,0.2)", []string{"sar"}},
		{"obv", []string{"obv"}}, {"ad", []string{"ad"}}, {"adosc(3,10)", []string{"adosc"}},
		{"vwap", []string{""}}, {"vwap(86400)", []string{""}}, {"barwap(20)", []string{""}},
		{"logret", []string{""}}, {"cumlogret", []string{""}}, {"dollar_volume", []string{""}},
		{"flow_rates(5,60)", []string{"", ""}}, {"midpoint(5, high)", []string{""}},
	}
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		f := &frames.OHLCV{Time: s.time, Open: s.open, High: s.high, Low: s.low, Close: s.close, Volume: s.volume}
		for _, c := range cases {
			sp, err := ParseOne(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			got := sp.Compute(f)
			if len(got) != len(c.refs) {
				t.Fatalf("%s: %d outputs, want %d", c.spec, len(got), len(c.refs))
			}
			for j, col := range c.refs {
				if col != "" {
					checkRef(t, s, col, got[j], talibTol)
				}
			}
			// VWAPs wait for the first volume (kraken's series opens with
			// empty bars), so only TA-Lib's indicators start exactly there.
			if first := firstValid(got[0]); first < sp.Lookback() || (first != sp.Lookback() && c.refs[0] != "") {
				t.Fatalf("%s: first value at %d, registered lookback %d", c.spec, first, sp.Lookback())
			}
			var in [][]float64
			if sp.Source != nil {
				in = [][]float64{field(f, sp.Source.Field)}
			} else {
				for _, name := range sp.Def.Inputs {
					in = append(in, field(f, name))
				}
			}
			checkStream(t, c.spec, in, got, func() streamer {
				st := sp.Def.Stream(sp.Params)
				return func(rev bool, row []float64) []float64 {
					out := make([]float64, len(got))
					if rev {
						st.Revise(row, out)
					} else {
						st.Update(row, out)
					}
					return out
				}
			})
		}
	})
}

func TestBarIndicatorSpecErrors(t *testing.T) {
	for _, spec := range []string{"atr(0)", "stoch(14,3,3,3)", "sar(2)", "adosc(1,10)", "willr(14.5)", "flow_rates(5,0)"} {
		if _, err := Parse(spec); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", spec)
		}
	}
	if _, err := Parse("atr(14, close)"); err == nil || !strings.Contains(err.Error(), "takes no source") {
		t.Errorf("atr with a source: %v", err)
	}
}
