package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"workbench/feeds"
	"workbench/frames"
)

// TestDemoEndToEnd runs `workbench demo` as a user does and checks what it
// leaves behind against independent facts: the generator's own bars, the
// exchange calendars' closures, and files that decode.
func TestDemoEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runCLI(t, "demo", "-o", dir)
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, step := range []string{"synthetic store", "gap reports", "indicator study", "backtest", "charts", "notebook report"} {
		if !strings.Contains(stdout, "== "+step+" ==") {
			t.Errorf("demo output lacks step %q", step)
		}
	}

	st, err := frames.OpenStore(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range feeds.DemoMarkets() {
		got, err := st.Read(m.FQME, m.Period)
		if err != nil {
			t.Fatalf("%s: %v", m.FQME, err)
		}
		want := feeds.GenerateBars(m, demoFrom, demoTo)
		if got.Len() != want.Len() || got.Len() == 0 {
			t.Fatalf("%s: %d bars stored, generator made %d", m.FQME, got.Len(), want.Len())
		}
		for i := range want.Len() {
			if got.Time[i] != want.Time[i] || got.Close[i] != want.Close[i] || got.Volume[i] != want.Volume[i] {
				t.Fatalf("%s row %d: stored %d %v %v, generated %d %v %v", m.FQME, i,
					got.Time[i], got.Close[i], got.Volume[i], want.Time[i], want.Close[i], want.Volume[i])
			}
		}
		for _, f := range []string{
			filepath.Join("gaps", m.FQME+".json"),
			filepath.Join("indicators", m.FQME+".csv"),
			filepath.Join("backtest", m.FQME, "report.json"),
			filepath.Join("backtest", m.FQME, "trades_paper_backtest.toml"),
		} {
			if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
				t.Errorf("demo output %s: %v", f, err)
			}
		}
	}

	// Martin Luther King Jr. Day 2026-01-19: the equity's report must call
	// the whole long weekend closed, not missing data.
	var rep struct {
		Gaps []struct {
			LastBar int64  `json:"last_bar"`
			NextBar int64  `json:"next_bar"`
			Kind    string `json:"kind"`
		} `json:"gaps"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "gaps", "acme.nasdaq.synthetic.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	holiday := time.Date(2026, 1, 19, 15, 0, 0, 0, time.UTC).Unix()
	found := false
	for _, g := range rep.Gaps {
		if g.LastBar < holiday && holiday < g.NextBar {
			found = true
			if g.Kind != "market-closed" {
				t.Errorf("gap over MLK day classified %q", g.Kind)
			}
		}
	}
	if !found {
		t.Error("no gap over MLK day in the equity's report")
	}

	for _, img := range []string{"chart_overlay.png", "chart_candles.png"} {
		b, err := os.ReadFile(filepath.Join(dir, img))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil || cfg.Width < 640 || cfg.Height < 360 {
			t.Errorf("%s: %dx%d, %v", img, cfg.Width, cfg.Height, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(html, []byte("<img")); n < 3 {
		t.Errorf("report.html has %d images, want the notebook's 3", n)
	}
	if !strings.Contains(stdout, "0 failed") {
		t.Errorf("notebook cells failed:\n%s", stdout)
	}
}
