package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"

	"workbench/internal/atomicfile"
)

func init() {
	// After the notebook step: the sweep's heatmap goes into its report.
	registerDemoStep(demoStep{order: 65, name: "parameter sweep", run: demoSweep})
}

// demoSweepArgs are the demo's grid, 4 × 3 SMA crossovers (every one with
// fast < slow so no row fails), and its metric: the total return, since the
// demo's three weeks are short of the 30 days annualised figures such as
// the Sharpe ratio need.
var demoSweepArgs = []string{"--param", "fast=5:20:5", "--param", "slow=30,45,60", "--metric", "total_return"}

// demoSweep runs `workbench sweep` as a user would: the built-in crossover
// over a small grid on the crypto market's hourly bars, with the backtest
// step's fees and slippage, into Dir/sweep; then it adds the heatmap and
// the summary to the report.
func demoSweep(ctx context.Context, d *demoRun) error {
	if len(d.Markets) == 0 {
		fmt.Fprintln(d.out, "no markets to sweep")
		return nil
	}
	m := d.Markets[0]
	out := filepath.Join(d.Dir, "sweep")
	e := &env{stdin: d.env.stdin, stdout: d.out, stderr: d.env.stderr}
	args := append([]string{"--strategy", "sma-cross", "--fqme", m.FQME, "--period", "1h"}, demoSweepArgs...)
	args = append(args, "--taker-bps", "10", "--slip-ticks", "1", "--calendar", m.Calendar,
		"--heatmap", "fast,slow", "--top", "5", "--store", d.StoreDir, "-o", out)
	if err := runSweep(ctx, e, args); err != nil {
		return err
	}
	report := filepath.Join(d.Dir, "report.html")
	if err := addSweepToReport(report, out); err != nil {
		return fmt.Errorf("report %s: %w", report, err)
	}
	// The store is the demo's, not the default one the printed command reads.
	fmt.Fprintf(d.out, "heatmap %s, added to %s\n", filepath.Join(out, "heatmap.png"), report)
	return nil
}

// addSweepToReport appends a section with the sweep's summary and heatmap
// (embedded, as the notebook embeds its images) to the report, when the
// notebook step wrote one.
func addSweepToReport(report, sweepDir string) error {
	page, err := os.ReadFile(report)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	summary, err := os.ReadFile(filepath.Join(sweepDir, "summary.txt"))
	if err != nil {
		return err
	}
	img, err := os.ReadFile(filepath.Join(sweepDir, "heatmap.png"))
	if err != nil {
		return err
	}
	const end = "</body></html>"
	i := strings.LastIndex(string(page), end)
	if i < 0 {
		return fmt.Errorf("no %s to add the sweep before", end)
	}
	var b strings.Builder
	b.Write(page[:i])
	fmt.Fprintf(&b, "<div class=\"cell sweep\" id=\"sweep\">\n<h2>Parameter sweep</h2>\n<pre class=\"code\">workbench sweep --strategy sma-cross %s …</pre>\n",
		html.EscapeString(strings.Join(demoSweepArgs, " ")))
	fmt.Fprintf(&b, "<pre class=\"out\">%s</pre>\n", html.EscapeString(string(summary)))
	fmt.Fprintf(&b, "<img alt=\"heatmap.png\" src=\"data:image/png;base64,%s\">\n</div>\n", base64.StdEncoding.EncodeToString(img))
	b.Write(page[i:])
	return atomicfile.WriteBytes(report, 0o644, []byte(b.String()))
}
