package examples_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"workbench/fsp"
	"workbench/internal/oracle"
	"workbench/scripts"
)

// The study notebook over the test store: the store listing and the gap
// reports say what testStore built (599 hours each, the hour at index 300
// missing); the indicator line is the last close, a 20-close mean computed
// here and fsp.RSI (checked against TA-Lib in fsp); the crossover's final
// and highest equity are those of the backtest example on the same store
// (whose fills TestBacktestExample replays); each cell's chart is a PNG,
// and the HTML report embeds all three.
func TestNotebookExample(t *testing.T) {
	storeDir, img := testStore(t), t.TempDir()
	nb := runNotebook(t, "notebook/report.go", scripts.NotebookOptions{ImageDir: img, StoreDir: storeDir, Args: []string{markets[1] + "=crypto"}})
	cells := map[string]*scripts.Cell{}
	for _, c := range nb.Cells {
		cells[c.Title] = c
	}
	cell := func(title string) *scripts.Cell {
		c, ok := cells[title]
		if !ok {
			t.Fatalf("no cell %q", title)
		}
		return c
	}

	listing := cell("The store").Output
	for _, fq := range markets {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(fq) + ` +1h +599 bars$`).MatchString(listing) {
			t.Errorf("store listing lacks %s with 599 hourly bars:\n%s", fq, listing)
		}
	}
	hour := func(i int) string { return time.Unix(1700000000+int64(i)*3600, 0).UTC().Format("2006-01-02 15:04:05") }
	gaps := cell("Gaps against each market's calendar").Output
	row := regexp.MustCompile(regexp.QuoteMeta(hour(299)) + ` +` + regexp.QuoteMeta(hour(301)) + ` +2h +1 +unexpected \(missing-data\)`)
	for _, fq := range markets {
		i := strings.Index(gaps, "== "+fq+" (crypto calendar)\n")
		if i < 0 {
			t.Fatalf("no gap report for %s:\n%s", fq, gaps)
		}
		part := gaps[i:]
		if j := strings.Index(part[1:], "== "); j >= 0 {
			part = part[:j+1]
		}
		if !strings.Contains(part, "gaps: 1 (0 market closed, 1 unexpected: 1 missing data, 0 plausibly no trades; 1 bars missing)") || !row.MatchString(part) {
			t.Errorf("%s: gap report does not show the one missing hour %s:\n%s", fq, hour(300), part)
		}
	}

	bars := storedHours(t, storeDir)
	last := bars.Len() - 1
	mean := 0.0
	for _, c := range bars.Close[last-19:] {
		mean += c / 20
	}
	ind := cell("Indicators on the first market")
	m := regexp.MustCompile(`^` + regexp.QuoteMeta(markets[0]) + `: close (\S+), sma\(20\) (\S+), rsi\(14\) (\S+)\n$`).FindStringSubmatch(ind.Output)
	if m == nil {
		t.Fatalf("indicator line %q", ind.Output)
	}
	printedNear(t, "close", m[1], 4, bars.Close[last], 0)
	printedNear(t, "sma(20)", m[2], 4, mean, 1e-9)
	printedNear(t, "rsi(14)", m[3], 1, fsp.RSI(bars.Close, 14)[last], 1e-9)
	if ind.Value != "OHLCV 1h, 599 rows" && !strings.HasPrefix(ind.Value, "OHLCV 1h, 599 rows\n") {
		t.Errorf("indicator cell value %q, want the 599-row frame", ind.Value)
	}

	// The backtest example runs the same crossover with the same market
	// settings on the same bars.
	dir := filepath.Join(t.TempDir(), "report")
	runExample(t, "backtest/main.go", storeDir, markets[0], "1h", dir)
	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		FinalEquity json.Number `json:"final_equity"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	fe, _ := rep.FinalEquity.Float64()
	rows := oracle.CSVRows(t, filepath.Join(dir, "equity.csv"))
	peak := math.Inf(-1)
	for _, r := range rows[1:] {
		v, _ := strconv.ParseFloat(r[1], 64)
		peak = math.Max(peak, v)
	}
	want := fmt.Sprintf("final equity %.2f, max equity %.2f\n", fe, peak)
	if bt := cell("SMA crossover backtest on the first market").Output; !strings.HasSuffix(bt, want) {
		t.Errorf("backtest cell ends\n%s\nwant %q (the backtest example's report)", bt[max(0, len(bt)-80):], want)
	}

	for title, name := range map[string]string{
		"Indicators on the first market":             "indicators.png",
		"Every market on one axis":                   "overlay.png",
		"SMA crossover backtest on the first market": "equity.png",
	} {
		c := cell(title)
		if len(c.Images) != 1 || filepath.Base(c.Images[0]) != name {
			t.Errorf("cell %q images %v, want %s", title, c.Images, name)
			continue
		}
		b, err := os.ReadFile(c.Images[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	var html bytes.Buffer
	if err := nb.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	var embedded []string
	for _, m := range regexp.MustCompile(`<img alt="([^"]*)" src="data:image/png;base64,([^"]*)">`).FindAllStringSubmatch(h, -1) {
		b, err := base64.StdEncoding.DecodeString(m[2])
		if err == nil {
			_, err = png.Decode(bytes.NewReader(b))
		}
		if err != nil {
			t.Errorf("embedded %s: %v", m[1], err)
		}
		embedded = append(embedded, m[1])
	}
	if got := strings.Join(embedded, " "); got != "indicators.png overlay.png equity.png" {
		t.Errorf("report embeds %q, want the three charts in cell order", got)
	}
	for _, want := range []string{"Market study", strings.TrimSuffix(want, "\n"), "OHLCV 1h, 599 rows"} {
		if !strings.Contains(h, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
