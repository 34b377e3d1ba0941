package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/fsp"
	"workbench/mkt"
	"workbench/paper"
)

// debianPython is the interpreter Debian's Jupyter packages live in; the
// first python3 on the PATH may be another one.
const debianPython = "/usr/bin/python3"

// needJupyter skips (fails under CI=true) when Debian's python3 lacks
// jupyter_client or the other modules named.
func needJupyter(t testing.TB, modules ...string) {
	t.Helper()
	imports := "import " + strings.Join(append([]string{"jupyter_client"}, modules...), ", ")
	if out, err := exec.Command(debianPython, "-c", imports).CombinedOutput(); err != nil {
		msg := "Jupyter tests need " + debianPython + " with " + strings.Join(append([]string{"jupyter_client"}, modules...), ", ") +
			" (apt-get install python3-jupyter-client python3-nbclient python3-nbformat jupyter-nbconvert): " + strings.TrimSpace(string(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// installKernel installs the built workbench as kernel name under prefix
// and returns its kernel.json path.
func installKernel(t testing.TB, bin, prefix, name string, extra ...string) string {
	t.Helper()
	args := append([]string{"jupyter", "install", "--prefix", prefix, "--name", name}, extra...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("workbench %v: %v\n%s", args, err, out)
	}
	return filepath.Join(prefix, "share", "jupyter", "kernels", name, "kernel.json")
}

func TestJupyterInstallKernelspec(t *testing.T) {
	bin := workbenchBinary(t)
	prefix := t.TempDir()
	path := installKernel(t, bin, prefix, "wb")
	var spec struct {
		Argv          []string `json:"argv"`
		DisplayName   string   `json:"display_name"`
		Language      string   `json:"language"`
		InterruptMode string   `json:"interrupt_mode"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	want := []string{bin, "jupyter", "kernel", "-f", "{connection_file}"}
	if strings.Join(spec.Argv, " ") != strings.Join(want, " ") || spec.Language != "go" || spec.DisplayName != "Go (workbench)" {
		t.Errorf("kernel.json = %s", b)
	}
	for _, logo := range []string{"logo-32x32.png", "logo-64x64.png"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), logo)); err != nil {
			t.Errorf("logo: %v", err)
		}
	}
	// `jupyter kernelspec list` shows it.
	const kernelspec = "/usr/bin/jupyter-kernelspec"
	if _, err := os.Stat(kernelspec); err != nil {
		msg := kernelspec + " is missing (apt-get install jupyter-client)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(kernelspec, "list", "--json")
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jupyter kernelspec list: %v\n%s", err, out)
	}
	var list struct {
		Kernelspecs map[string]struct {
			ResourceDir string `json:"resource_dir"`
			Spec        struct {
				DisplayName string `json:"display_name"`
			} `json:"spec"`
		} `json:"kernelspecs"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("jupyter kernelspec list --json: %v\n%s", err, out)
	}
	if ks, ok := list.Kernelspecs["wb"]; !ok || ks.ResourceDir != filepath.Dir(path) || ks.Spec.DisplayName != "Go (workbench)" {
		t.Errorf("jupyter kernelspec list: %s", out)
	}
}

// TestJupyterClientProtocol runs kernel/testdata/smoke.py: jupyter_client
// starts the installed kernel and checks execution, streaming, errors,
// completion, inspection, is_complete, history, interrupts by signal and
// by interrupt_request with state kept, stop_on_error, a bad HMAC being
// dropped, restart and shutdown.
func TestJupyterClientProtocol(t *testing.T) {
	needJupyter(t, "zmq")
	bin := workbenchBinary(t)
	prefix := t.TempDir()
	installKernel(t, bin, prefix, "wb")
	msgSpec := installKernel(t, bin, prefix, "wb-msg")
	setInterruptMode(t, msgSpec, "message")
	script, err := filepath.Abs(filepath.Join("..", "..", "kernel", "testdata", "smoke.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(debianPython, script, "wb", "wb-msg")
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"),
		"JUPYTER_RUNTIME_DIR="+t.TempDir(), "WORKBENCH_STORE="+t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("smoke.py: %v", err)
	}
	if !strings.Contains(string(out), "ok done") {
		t.Fatal("smoke.py did not finish")
	}
}

func setInterruptMode(t *testing.T, path, mode string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	spec["interrupt_mode"] = mode
	if b, err = json.Marshal(spec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestJupyterNBConvertStudy runs examples/notebook/study.ipynb with
// `jupyter nbconvert --to notebook --execute` in the installed kernel over
// a `workbench demo` store, and checks its outputs against the store read
// here: the table's rows are the stored hourly bars, the indicator line is
// fsp's, the gap table has FindGaps' rows, the backtest summary is
// paper.Backtest's, and the overlay PNG decodes and is the very file
// `workbench chart` draws for the same markets.
func TestJupyterNBConvertStudy(t *testing.T) {
	needJupyter(t, "nbclient", "nbformat")
	if _, err := os.Stat("/usr/bin/jupyter-nbconvert"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("/usr/bin/jupyter-nbconvert is missing (apt-get install jupyter-nbconvert)")
		}
		t.Skip("/usr/bin/jupyter-nbconvert is missing (apt-get install jupyter-nbconvert)")
	}
	bin := workbenchBinary(t)
	dir := t.TempDir()
	demo := filepath.Join(dir, "demo")
	if out, err := exec.Command(bin, "demo", "-o", demo).CombinedOutput(); err != nil {
		t.Fatalf("workbench demo: %v\n%s", err, out)
	}
	storeDir := filepath.Join(demo, "store")
	prefix := filepath.Join(dir, "jupyter")
	installKernel(t, bin, prefix, "workbench", "--store", storeDir)
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "notebook", "study.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	nbPath := filepath.Join(dir, "study.ipynb")
	if err := os.WriteFile(nbPath, src, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/jupyter-nbconvert", "--to", "notebook", "--execute", nbPath, "--output", "executed.ipynb")
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"), "JUPYTER_RUNTIME_DIR="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "executed.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cells []struct {
			Metadata struct {
				Title string `json:"title"`
			} `json:"metadata"`
			Outputs []struct {
				Type   string                   `json:"output_type"`
				Text   multilineText            `json:"text"`
				Data   map[string]multilineText `json:"data"`
				EValue string                   `json:"evalue"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	type output = struct {
		stream string
		data   map[string]string
	}
	cells := map[string]output{}
	for _, c := range doc.Cells {
		var o output
		for _, x := range c.Outputs {
			switch x.Type {
			case "error":
				t.Fatalf("cell %q failed: %s", c.Metadata.Title, x.EValue)
			case "stream":
				o.stream += string(x.Text)
			case "execute_result", "display_data":
				o.data = map[string]string{}
				for k, v := range x.Data {
					o.data[k] = string(v)
				}
			}
		}
		cells[c.Metadata.Title] = o
	}

	store, err := frames.OpenStore(storeDir)
	if err != nil {
		t.Fatal(err)
	}
	read := func(fq string) *frames.OHLCV {
		f, _, err := store.ReadRangeAs(fq, 3600, 0, 1<<62)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	btc := read("btcusdt.spot.synthetic")

	// The table: every row shown is the stored bar of that index.
	table := cells["Hourly bars from the store"].data["text/html"]
	rowRE := regexp.MustCompile(`<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>`)
	rows := rowRE.FindAllStringSubmatch(table, -1)
	if len(rows) < 10 || !strings.Contains(table, fmt.Sprintf("%d rows", btc.Len())) {
		t.Fatalf("bars table: %d rows shown\n%s", len(rows), table)
	}
	for _, r := range rows {
		i, _ := strconv.Atoi(r[1])
		if i >= btc.Len() {
			t.Fatalf("row %d of %d", i, btc.Len())
		}
		if want := time.Unix(btc.Time[i], 0).UTC().Format("2006-01-02 15:04:05"); r[2] != want {
			t.Errorf("row %d time %s, stored %s", i, r[2], want)
		}
		for j, col := range [][]float64{btc.Open, btc.High, btc.Low, btc.Close, btc.Volume} {
			// Tables show 12 significant digits (an hourly volume is a
			// sum of minute volumes, with float noise in the last digits).
			v, err := strconv.ParseFloat(r[3+j], 64)
			stored, _ := strconv.ParseFloat(strconv.FormatFloat(col[i], 'g', 12, 64), 64)
			if err != nil || v != stored {
				t.Errorf("row %d column %d: %s, stored %v", i, j, r[3+j], col[i])
			}
		}
	}

	// Indicators.
	sma, rsi := fsp.SMA(btc.Close, 20), fsp.RSI(btc.Close, 14)
	last := btc.Len() - 1
	if got, want := cells["Indicators"].stream, fmt.Sprintf("close %.2f, sma(20) %.2f, rsi(14) %.1f\n", btc.Close[last], sma[last], rsi[last]); got != want {
		t.Errorf("indicators %q, want %q", got, want)
	}

	// Gaps.
	gaps := frames.FindGaps(read("acme.nasdaq.synthetic"), frames.USEquity)
	gapCell := cells["Gaps of an equity market against its calendar"]
	if want := fmt.Sprintf("%d gaps, %d unexpected\n", gaps.Summary.Gaps, gaps.Summary.Unexpected); gapCell.stream != want || gaps.Summary.Gaps == 0 {
		t.Errorf("gaps %q, want %q", gapCell.stream, want)
	}
	if want := fmt.Sprintf("%d × frames.Gap", len(gaps.Gaps)); !strings.Contains(gapCell.data["text/html"], want) {
		t.Errorf("gap table lacks %q:\n%s", want, gapCell.data["text/html"])
	}

	// The backtest.
	pair, err := mkt.ParseFQME("btcusdt.spot.synthetic")
	if err != nil {
		t.Fatal(err)
	}
	pair.PriceTick, pair.SizeTick = decimal.New(1, -2), decimal.New(1, -3)
	res, err := paper.Backtest(paper.BacktestConfig{
		Series: []paper.Series{{Market: pair, Bars: btc}},
		Fees:   paper.BpsFees(0, 10),
	}, &paper.SMACross{Fast: 10, Slow: 30, Fraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	var summary bytes.Buffer
	if err := res.WriteText(&summary); err != nil {
		t.Fatal(err)
	}
	if got := cells["An SMA crossover backtest"].data["text/plain"]; got != summary.String() {
		t.Errorf("backtest summary:\n%s\nwant:\n%s", got, summary.String())
	}

	// The overlay chart is `workbench chart`'s.
	cliPNG := filepath.Join(dir, "overlay.png")
	if out, err := exec.Command(bin, "chart", "btcusdt.spot.synthetic,acme.nasdaq.synthetic,esz6.cme.synthetic",
		"--period", "1h", "--overlay", "pin", "--store", storeDir, "-o", cliPNG).CombinedOutput(); err != nil {
		t.Fatalf("workbench chart: %v\n%s", err, out)
	}
	want, err := os.ReadFile(cliPNG)
	if err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cells["The markets overlaid, pinned to the major one"].data["image/png"]))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("overlay PNG: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("overlay PNG (%v, %d bytes) differs from workbench chart's (%d bytes)", img.Bounds(), len(got), len(want))
	}
}

// multilineText is nbformat's text: a string or a list of lines.
type multilineText string

func (m *multilineText) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multilineText(s)
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err != nil {
		return err
	}
	*m = multilineText(strings.Join(lines, ""))
	return nil
}

// BenchmarkJupyterKernel runs kernel/testdata/bench.py against the
// installed kernel, as Jupyter runs it (supervised evaluator included):
// kernel start to ready, and the round trip of b.N trivial cells
// (execute_request to execute_reply and idle) through jupyter_client.
// Run it with -benchtime=200x.
func BenchmarkJupyterKernel(b *testing.B) {
	needJupyter(b)
	bin := workbenchBinary(b)
	prefix := b.TempDir()
	installKernel(b, bin, prefix, "wb")
	script, _ := filepath.Abs(filepath.Join("..", "..", "kernel", "testdata", "bench.py"))
	cmd := exec.Command(debianPython, script, "wb", strconv.Itoa(max(b.N, 20)))
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"), "JUPYTER_RUNTIME_DIR="+b.TempDir(),
		"WORKBENCH_STORE="+b.TempDir())
	b.ResetTimer()
	out, err := cmd.Output()
	b.StopTimer()
	if err != nil {
		b.Fatalf("bench.py: %v\n%s", err, out)
	}
	var m map[string]float64
	if err := json.Unmarshal(out, &m); err != nil {
		b.Fatalf("bench.py: %v\n%s", err, out)
	}
	b.ReportMetric(m["start_to_idle_ms"], "start-ms")
	b.ReportMetric(m["p50_ms"], "p50-ms")
	b.ReportMetric(m["p99_ms"], "p99-ms")
}

// BenchmarkJupyterChart1M draws a chart of 1M one-minute bars from the
// store in a kernel cell, to its image/png arriving in jupyter_client, and
// with `workbench chart` on the same series (process start to file
// written); it reports both and their ratio (the anchor: ≤ 1.5).
func BenchmarkJupyterChart1M(b *testing.B) {
	needJupyter(b)
	bin := workbenchBinary(b)
	storeDir := b.TempDir()
	store, err := frames.OpenStore(storeDir)
	if err != nil {
		b.Fatal(err)
	}
	const n, fq = 1_000_000, "big.spot.synthetic"
	f := frames.New(60, n)
	price := 100.0
	for i := range n {
		next := price * (1 + 0.001*math.Sin(float64(i)*0.37)*math.Cos(float64(i)*0.011))
		f.Add(1_700_000_040+int64(i)*60, price, max(price, next)*1.0005, min(price, next)*0.9995, next, 1+float64(i%13))
		price = next
	}
	if err := store.Write(fq, f); err != nil {
		b.Fatal(err)
	}
	prefix := b.TempDir()
	installKernel(b, bin, prefix, "wb", "--store", storeDir)
	script, _ := filepath.Abs(filepath.Join("..", "..", "kernel", "testdata", "bench.py"))
	cell := `f, _ := frames.Load("` + fq + `", "1m")
c := plots.NewChart("` + fq + ` 1m")
c.AddPane("price", 3).Candles("` + fq + `", f)
c.AddPane("volume", 1).Volume("volume", f)
c`
	b.ResetTimer()
	var cli time.Duration
	for range 3 {
		start := time.Now()
		if out, err := exec.Command(bin, "chart", fq, "--period", "1m", "--store", storeDir, "-o", filepath.Join(prefix, "cli.png")).CombinedOutput(); err != nil {
			b.Fatalf("workbench chart: %v\n%s", err, out)
		}
		if d := time.Since(start); cli == 0 || d < cli {
			cli = d
		}
	}
	cmd := exec.Command(debianPython, script, "wb", "20", cell)
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"), "JUPYTER_RUNTIME_DIR="+b.TempDir())
	out, err := cmd.Output()
	b.StopTimer()
	if err != nil {
		b.Fatalf("bench.py: %v\n%s", err, out)
	}
	var m map[string]float64
	if err := json.Unmarshal(out, &m); err != nil {
		b.Fatalf("bench.py: %v\n%s", err, out)
	}
	cliMS := float64(cli.Microseconds()) / 1000
	b.ReportMetric(m["chart_ms"], "cell-ms")
	b.ReportMetric(cliMS, "cli-ms")
	b.ReportMetric(m["chart_ms"]/cliMS, "ratio")
}
