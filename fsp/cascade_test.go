package fsp

import (
	"strings"
	"testing"

	"workbench/frames"
)

// cascadeSpecs mixes averages, multi-output indicators, indicators of
// indicators, a field source and a label; every registered indicator is
// appended with its defaults, labelled with its name.
func cascadeSpecs() string {
	list := []string{"ema(20, rsi(14))", "sma(5, macd(12,26,9).hist)", "sma(10, high)", "x=bbands(20, 2)",
		"stddev(5, ema(3, low))"}
	for _, name := range Names() {
		list = append(list, name+"="+name) // labelled: adx and dmi's adx output would share a column name
	}
	return strings.Join(list, ",")
}

// wantColumns computes every spec with the batch functions.
func wantColumns(t *testing.T, f *frames.OHLCV, specs string) map[string][]float64 {
	t.Helper()
	list, err := Parse(specs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{}
	for _, s := range list {
		out := s.Compute(f)
		for j, name := range s.Columns() {
			want[name] = out[j]
		}
	}
	return want
}

func checkColumns(t *testing.T, c *Cascade, want map[string][]float64, when string) {
	t.Helper()
	if len(c.Columns()) != len(want) {
		t.Fatalf("%s: %d columns, want %d", when, len(c.Columns()), len(want))
	}
	for _, name := range c.Columns() {
		got, w := c.Column(name), want[name]
		if len(got) != len(w) || len(got) != len(c.Time()) {
			t.Fatalf("%s: column %s has %d values, want %d", when, name, len(got), len(w))
		}
		for i := range w {
			if !sameBits(got[i], w[i]) {
				t.Fatalf("%s: column %s bar %d = %.17g, batch %.17g", when, name, i, got[i], w[i])
			}
		}
	}
}

func TestCascadeHistoryEqualsBatch(t *testing.T) {
	specs := cascadeSpecs()
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		f := oracleFrame(s)
		c, err := Attach(f, specs)
		if err != nil {
			t.Fatal(err)
		}
		checkColumns(t, c, wantColumns(t, f, specs), "attach")
	})
}

// A live feed: attach to the first bars, then push the rest, each bar first
// as a still-forming bar revised twice, then closed.
func TestCascadeLiveEqualsBatch(t *testing.T) {
	specs := cascadeSpecs()
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		full := oracleFrame(s)
		k := min(100, full.Len())
		c, err := Attach(full.Rows(0, k).Clone(), specs)
		if err != nil {
			t.Fatal(err)
		}
		for i := k; i < full.Len(); i++ {
			b := full.At(i)
			if i%3 != 0 {
				forming := b
				forming.Close, forming.High, forming.Low = b.Open, max(b.Open, b.Low), b.Low
				for _, p := range []frames.Bar{forming, full.At(i - 1)} {
					p.Time = b.Time
					if err := c.Push(p); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := c.Push(b); err != nil {
				t.Fatal(err)
			}
		}
		checkColumns(t, c, wantColumns(t, full, specs), "live")
		if err := c.Push(full.At(0)); err == nil {
			t.Fatal("pushing an old bar: no error")
		}
	})
}

// Bars added to the frame by someone else, with the newest one changed in
// place before it closed, are picked up by Sync.
func TestCascadeSync(t *testing.T) {
	specs := "rsi(14), macd(12,26,9), ema(5, stddev(10, high))"
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		full := oracleFrame(s)
		f := full.Rows(0, 50).Clone()
		c, err := Attach(f, specs)
		if err != nil {
			t.Fatal(err)
		}
		for i := 50; i < full.Len(); i += 7 {
			end := min(i+7, full.Len())
			for j := i; j < end; j++ {
				b := full.At(j)
				f.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
			}
			f.Close[end-1] = full.Open[end-1] // the newest bar is still forming
			c.Sync()
			f.Close[end-1] = full.Close[end-1]
		}
		c.Sync()
		checkColumns(t, c, wantColumns(t, full, specs), "sync")
	})
}

func TestCascadeDedupAndErrors(t *testing.T) {
	s := oracles(t)[0]
	f := oracleFrame(s)
	c, err := Attach(f, "rsi(14), ema(20, rsi(14)), sma(5, ema(20, rsi(14)))")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.nodes) != 3 {
		t.Fatalf("%d nodes, want 3 (rsi computed once)", len(c.nodes))
	}
	if _, err := Attach(f, "rsi(14), rsi(14)"); err == nil || !strings.Contains(err.Error(), `column "rsi_14" given twice`) {
		t.Fatalf("duplicate column: %v", err)
	}
	if _, err := c.Get("nope"); err == nil || !strings.Contains(err.Error(), "rsi_14") {
		t.Fatalf("unknown column: %v", err)
	}
	if got, want := c.Last("rsi_14"), RSI(s.close, 14)[len(s.close)-1]; got != want {
		t.Fatalf("Last = %v, want %v", got, want)
	}
	empty, err := Attach(frames.New(60, 0), "macd")
	if err != nil || empty.Len() != 0 || len(empty.Column("macd_12_26_9")) != 0 {
		t.Fatalf("empty frame: %v %v", empty, err)
	}
}

func BenchmarkCascadeAttach(b *testing.B) {
	x := benchInput(benchBars)
	f := frames.New(60, len(x))
	for i, v := range x {
		f.Add(int64(i)*60, v, v+1, v-1, v, 100)
	}
	for b.Loop() {
		if _, err := Attach(f, "rsi(14), macd(12,26,9), ema(20, rsi(14)), bbands(20,2)"); err != nil {
			b.Fatal(err)
		}
	}
}

// Indicators added to a running cascade are computed over the bars seen so
// far, share sources already there, and then follow the live bars.
func TestCascadeAdd(t *testing.T) {
	forEachOracle(t, func(t *testing.T, s *oracleSeries) {
		full := oracleFrame(s)
		k := min(300, full.Len())
		c, err := Attach(full.Rows(0, k).Clone(), "rsi(14)")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Add("ema(20, rsi(14)), m=macd, rsi(14)"); err == nil {
			t.Fatal("adding rsi(14) twice: no error")
		}
		if err := c.Add("ema(20, rsi(14)), m=macd, sma(3, m=macd(5,10,3).hist)"); err == nil {
			t.Fatal("duplicate m: no error")
		}
		if len(c.Columns()) != 1 || len(c.nodes) != 1 {
			t.Fatalf("a failed Add left columns %v", c.Columns())
		}
		if err := c.Add("ema(20, rsi(14)), m=macd, sma(3, stddev(5, rsi(14)))"); err != nil {
			t.Fatal(err)
		}
		for i := k; i < full.Len(); i++ {
			b := full.At(i)
			forming := b
			forming.Close = b.Open
			if err := c.Push(forming); err != nil {
				t.Fatal(err)
			}
			if err := c.Push(b); err != nil {
				t.Fatal(err)
			}
		}
		checkColumns(t, c, wantColumns(t, full, "rsi(14), ema(20, rsi(14)), m=macd, sma(3, stddev(5, rsi(14)))"), "add")
		if len(c.nodes) != 5 {
			t.Fatalf("%d nodes, want 5 (rsi shared)", len(c.nodes))
		}
	})
}
