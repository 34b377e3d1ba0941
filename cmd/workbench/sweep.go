package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"workbench/frames"
	"workbench/internal/atomicfile"
	"workbench/paper"
	"workbench/scripts"
	"workbench/sweep"
)

func init() {
	register(&command{
		name: "sweep",
		usage: "sweep FILE.go|--strategy NAME --fqme F[,F...] --period P --param k=a:b:step|k=x,y,z [--param ...] " +
			"[--from T --to T] [--metric sharpe|cagr|calmar|...] [--walk-forward train=D,test=D[,anchored]] [--workers N] [--top N] [--heatmap X,Y] [--nats URL [--nats-keep D]] -o DIR",
		summary: "backtest every combination of the strategy's parameters on every market, in parallel; " +
			"write results.csv and results.parquet (one row per combination and market) to DIR, print the best rows " +
			"and the command that re-runs the best as a plain backtest. An interrupted sweep resumes when rerun with the same -o",
		run: runSweep,
	})
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// paramUsage turns a parameter mistake into a usage error naming it.
func paramUsage(flagName string, err error) error {
	var pe *paper.ParamError
	if errors.As(err, &pe) {
		return usagef("%s: %v", flagName, err)
	}
	return err
}

// builtinWith returns built-in strategy name with --set settings applied.
func builtinWith(name string, sets []string) (paper.Strategy, error) {
	params, err := paper.BuiltinParams(name)
	if err != nil {
		return nil, usagef("--strategy: %v", err)
	}
	set, err := paper.ParseSettings(params, sets)
	if err != nil {
		return nil, paramUsage("--set", err)
	}
	return paper.NewBuiltin(name, set)
}

func (e *env) scriptOptions() scripts.Options {
	return scripts.Options{Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr}
}

// scriptWith interprets a strategy script with --set settings applied.
func scriptWith(ctx context.Context, e *env, path string, sets []string) (paper.Strategy, error) {
	if len(sets) == 0 {
		return scripts.LoadStrategy(ctx, path, e.scriptOptions())
	}
	params, err := scripts.StrategyParams(ctx, path, e.scriptOptions())
	if err != nil {
		return nil, err
	}
	set, err := paper.ParseSettings(params, sets)
	if err != nil {
		return nil, paramUsage("--set", fmt.Errorf("%s: %w", path, err))
	}
	return scripts.LoadStrategyWith(ctx, path, e.scriptOptions(), set)
}

func runSweep(ctx context.Context, e *env, args []string) error {
	c := commands["sweep"]
	fs := e.flags(c)
	var opts backtestOpts
	opts.register(fs)
	optNames := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { optNames[f.Name] = true })
	fqmes := fs.String("fqme", "", "market(s), comma-separated `F[,F...]`: each is swept on its own")
	var period periodFlag
	fs.Var(&period, "period", "bar `P`eriod: 60, 1m, 1h, 1d")
	strategy := fs.String("strategy", "", "built-in strategy `NAME` ("+strings.Join(paper.BuiltinStrategies(), ", ")+")")
	var specs listFlag
	fs.Var(&specs, "param", "a parameter's values, `name=from:to:step` or name=a,b,c (repeatable)")
	from := fs.String("from", "", "first bar `T`ime (RFC 3339, YYYY-MM-DD or epoch seconds)")
	to := fs.String("to", "", "end `T`ime, exclusive")
	metric := fs.String("metric", "sharpe", "statistic that ranks the rows (a key of backtest --json's stats)")
	workers := fs.Int("workers", 0, "backtests run at once (0: one per CPU)")
	top := fs.Int("top", 10, "rows in the table of the best")
	walk := fs.String("walk-forward", "", "optimise on each train window and trade the next test window: `train=90d,test=30d[,anchored]`")
	heatmap := fs.String("heatmap", "", "draw the metric over two parameters `X,Y` to DIR/heatmap.png")
	out := fs.String("o", "", "output `DIR` (required; a rerun with the same DIR resumes)")
	var nf natsFlags
	nf.register(fs)
	keep := fs.Duration("nats-keep", 7*24*time.Hour, "with --nats, how long NATS keeps the sweep's jobs no worker took and its results: "+
		"a rerun within it collects what workers finished")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	keepSet := false
	fs.Visit(func(f *flag.Flag) { keepSet = keepSet || f.Name == "nats-keep" })
	switch {
	case keepSet && nf.url == "":
		return usagef("sweep --nats-keep is for a sweep on NATS (--nats URL)")
	case *keep < time.Second:
		return usagef("sweep --nats-keep %v: want at least 1s", *keep)
	case *fqmes == "":
		return usagef("sweep: --fqme is required")
	case period.secs <= 0:
		return usagef("sweep: --period is required")
	case *out == "":
		return usagef("sweep: -o DIR is required")
	case *workers < 0:
		return usagef("sweep --workers %d: want ≥ 0", *workers)
	case *top < 0:
		return usagef("sweep --top %d: want ≥ 0", *top)
	case len(pos) > 1:
		return usagef("sweep: one strategy file at a time, got %d", len(pos))
	case len(pos) == 1 && *strategy != "":
		return usagef("sweep: give a strategy file or --strategy, not both")
	case len(pos) == 0 && *strategy == "":
		return usagef("sweep: give a strategy file or --strategy NAME (%s)", strings.Join(paper.BuiltinStrategies(), ", "))
	}
	metricIdx, err := sweep.StatIndex(*metric)
	if err != nil {
		return usagef("sweep --metric: %v", err)
	}
	var (
		params   []paper.Param
		factory  sweep.Factory
		identity string
		rerun    = []string{"workbench", "backtest"}
		spec     struct {
			jobSpec
			scriptSrc []byte
		}
	)
	if len(pos) == 1 {
		path := pos[0]
		src, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if params, err = scripts.StrategyParams(ctx, path, e.scriptOptions()); err != nil {
			return err
		}
		sopts := scripts.Options{Stdin: strings.NewReader(""), Stdout: e.stderr, Stderr: e.stderr}
		factory = func(ctx context.Context, set []paper.Setting) (paper.Strategy, error) {
			s, err := scripts.LoadStrategyWith(ctx, path, sopts, set)
			if err != nil {
				return nil, err
			}
			return sweep.Guard(path, s), nil
		}
		identity = "script\n" + string(src)
		rerun = append(rerun, path)
		spec.scriptSrc, spec.ScriptName = src, path
	} else {
		name := *strategy
		if params, err = paper.BuiltinParams(name); err != nil {
			return usagef("sweep --strategy: %v", err)
		}
		factory = func(_ context.Context, set []paper.Setting) (paper.Strategy, error) {
			return paper.NewBuiltin(name, set)
		}
		identity = "builtin " + name
		spec.Builtin = name
		rerun = append(rerun, "--strategy", name)
	}
	grid, err := sweep.NewGrid(params, specs)
	if err != nil {
		return paramUsage("sweep --param", err)
	}
	fromT, err := parseTimeFlag("--from", *from, 0)
	if err != nil {
		return err
	}
	toT, err := parseTimeFlag("--to", *to, 1<<62)
	if err != nil {
		return err
	}
	if fromT >= toT {
		return usagef("sweep: --from must be before --to")
	}
	base, err := opts.config()
	if err != nil {
		return err
	}
	cfg := &sweep.Config{Grid: grid, Base: base, Factory: factory, Workers: *workers}
	if _, err := cfg.Columns(); err != nil {
		return paramUsage("sweep --param", err)
	}
	var wf sweep.WalkForward
	if *walk != "" {
		if nf.url != "" {
			return usagef("sweep --walk-forward runs on this machine, window after window; --nats is for a plain sweep")
		}
		if wf, err = sweep.ParseWalkForward(*walk); err != nil {
			return usagef("sweep --%v", err)
		}
	}
	var hx, hy string
	if *heatmap != "" {
		var ok bool
		if hx, hy, ok = strings.Cut(*heatmap, ","); !ok {
			return usagef("sweep --heatmap %q: want two parameters X,Y", *heatmap)
		}
		if _, err := cfg.Surface(nil, hx, hy, metricIdx); err != nil {
			return usagef("sweep --%v", err)
		}
	}
	src := e.bars
	if src == nil {
		store, err := frames.OpenStore(e.storeDir())
		if err != nil {
			return err
		}
		src = store
	}
	series, err := opts.series(src, *fqmes, period.secs, fromT, toT)
	if err != nil {
		return err
	}
	cfg.Series = append(cfg.Series, series...)
	// The jobs' read-only copy replaces the bars just read, so the sweep
	// holds each series once: their memory goes back to the system now, not
	// whenever the heap next doubles (the copy is outside the heap).
	release, err := sweep.Share(cfg)
	if err != nil {
		return err
	}
	defer release()
	debug.FreeOSMemory()
	// The re-run command and the sweep's identity carry the flags that
	// shape the simulated exchange, as given.
	rerun = append(rerun, "--fqme", "FQME", "--period", frames.FormatPeriod(period.secs))
	var shaping []string
	fs.Visit(func(f *flag.Flag) {
		if optNames[f.Name] && f.Name != "store" && f.Name != "config" {
			shaping = append(shaping, "--"+f.Name, f.Value.String())
		}
	})
	for _, f := range []struct{ name, v string }{{"--from", *from}, {"--to", *to}} {
		if f.v != "" {
			rerun = append(rerun, f.name, f.v)
		}
	}
	rerun = append(rerun, shaping...)
	identity += "\n" + strings.Join(shaping, " ")
	// Where the bars came from is not part of the sweep's identity, but the
	// re-run command must read the same store.
	for _, f := range []struct{ name, v string }{{"--store", e.storeFlag}, {"--config", e.configFlag}} {
		if f.v != "" {
			rerun = append(rerun, f.name, f.v)
		}
	}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if *walk != "" {
		return runWalkForward(ctx, e, cfg, identity, wf, *walk, metricIdx, *metric, *out)
	}
	journal, rows, err := sweep.OpenJournal(filepath.Join(*out, "journal.jsonl"), cfg.Key(identity))
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer journal.Close()
	total, resumed := cfg.Jobs(), len(rows)
	done := make(map[int]bool, len(rows))
	for j := range rows {
		done[j] = true
	}
	var bar *progressbar.ProgressBar
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && total > resumed {
		bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription("sweep"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
		bar.Set(resumed)
	}
	start := time.Now()
	run := func(store func(sweep.Row) error) error { return sweep.Run(ctx, cfg, done, store) }
	if nf.url != "" {
		q, err := nf.connect(ctx)
		if err != nil {
			return err
		}
		defer q.Close()
		spec.Flags, spec.Blocks = shaping, cfg.Blocks
		run = func(store func(sweep.Row) error) error {
			return publishSweep(ctx, q, cfg, cfg.Key(identity), spec.jobSpec, spec.scriptSrc, *keep, done, store)
		}
	}
	runErr := run(func(r sweep.Row) error {
		if err := journal.Append(r); err != nil {
			return err
		}
		rows[r.Job] = r
		if bar != nil {
			bar.Add(1)
		}
		return nil
	})
	if bar != nil {
		bar.Finish()
	}
	slog.Info("sweep", "jobs", total, "resumed", resumed, "ran", len(rows)-resumed, "workers", *workers,
		"elapsed", time.Since(start).Round(time.Millisecond))
	if runErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("sweep: interrupted: %d of %d backtests done and kept in %s; rerun the same command to resume",
				len(rows), total, *out)
		}
		return fmt.Errorf("sweep: %w", runErr)
	}
	sorted := sweep.Sorted(rows)
	for _, w := range []struct {
		name  string
		write func(io.Writer, []sweep.Row) error
	}{{"results.csv", cfg.WriteCSV}, {"results.parquet", cfg.WriteParquet}} {
		if err := atomicfile.Write(filepath.Join(*out, w.name), 0o644, func(wr io.Writer) error { return w.write(wr, sorted) }); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	if hx != "" {
		surf, err := cfg.Surface(sorted, hx, hy, metricIdx)
		if err == nil {
			err = writeHeatmap(filepath.Join(*out, "heatmap.png"), surf, *metric)
		}
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	var buf bytes.Buffer
	writeSweepSummary(&buf, cfg, sorted, metricIdx, *metric, *top, rerun, resumed)
	fmt.Fprintf(&buf, "  results in      %s\n", filepath.Join(*out, "results.csv")+", results.parquet")
	if err := atomicfile.WriteBytes(filepath.Join(*out, "summary.txt"), 0o644, buf.Bytes()); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	_, err = e.stdout.Write(buf.Bytes())
	return err
}

// writeSweepSummary prints the top rows by the metric and the command that
// re-runs the best one.
func writeSweepSummary(w io.Writer, cfg *sweep.Config, rows []sweep.Row, k int, metric string, top int, rerun []string, resumed int) {
	fmt.Fprintf(w, "sweep: %d combinations × %d markets = %d backtests", cfg.Grid.Len(), len(cfg.Series), len(rows))
	if resumed > 0 {
		fmt.Fprintf(w, " (%d resumed)", resumed)
	}
	fmt.Fprintln(w)
	best := sweep.Best(rows, k)
	if top > len(best) {
		top = len(best)
	}
	cols, _ := cfg.Columns()
	show := []int{}
	for i := range cfg.Grid {
		show = append(show, i)
	}
	nParams := len(cfg.Grid)
	show = append(show, nParams)
	for _, name := range []string{metric, "total_return", "cagr", "max_drawdown", "trades"} {
		for i, c := range cols {
			if c == name && i > nParams && !contains(show, i) {
				show = append(show, i)
			}
		}
	}
	fmt.Fprintf(w, "  top %d by %s:\n", top, metric)
	table := [][]string{}
	head := []string{}
	for _, i := range show {
		head = append(head, cols[i])
	}
	table = append(table, head)
	for _, r := range best[:top] {
		cells := cfg.Cells(r)
		line := []string{}
		for _, i := range show {
			c := shortCell(cells[i])
			if c == "" && i > nParams {
				c = "n/a" // undefined, as the backtest report says it (see paper.Num)
			}
			line = append(line, c)
		}
		table = append(table, line)
	}
	widths := make([]int, len(show))
	for _, l := range table {
		for i, s := range l {
			widths[i] = max(widths[i], len([]rune(s)))
		}
	}
	for _, l := range table {
		fmt.Fprint(w, "   ")
		for i, s := range l {
			fmt.Fprintf(w, " %*s", widths[i], s)
		}
		fmt.Fprintln(w)
	}
	failed := 0
	for _, r := range rows {
		if r.Err != "" {
			if failed == 0 {
				fmt.Fprintf(w, "  failed backtests (empty rows in the results): first: %s\n", r.Err)
			}
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(w, "  %d of %d backtests failed\n", failed, len(rows))
	}
	if len(best) == 0 || best[0].Err != "" {
		return
	}
	combo, si := cfg.Job(best[0].Job)
	cmd := make([]string, 0, len(rerun)+2*nParams)
	for _, a := range rerun {
		if a == "FQME" {
			a = cfg.Series[si].Market.FQME()
		}
		cmd = append(cmd, shellQuote(a))
	}
	for _, s := range cfg.Grid.At(combo) {
		cmd = append(cmd, "--set", shellQuote(s.Name+"="+paper.FormatParam(s.Value)))
	}
	fmt.Fprintf(w, "  best as a plain backtest:\n    %s\n", strings.Join(cmd, " "))
	writeOverfit(w, cfg, rows)
}

// writeOverfit prints, per market, how much of the best row may be luck.
func writeOverfit(w io.Writer, cfg *sweep.Config, rows []sweep.Row) {
	fmt.Fprintf(w, "  overfitting (per-bar Sharpe ratios; DSR < 0.95: the best row may be luck; PBO: the chance the in-sample best is below the median out of sample):\n")
	for _, o := range cfg.Overfitting(rows) {
		fmt.Fprintf(w, "    %s, %d trials: ", o.FQME, o.Trials)
		if o.Best < 0 || math.IsNaN(o.DSR) {
			fmt.Fprint(w, "DSR n/a (fewer than two defined Sharpe ratios)")
		} else {
			fmt.Fprintf(w, "best Sharpe %.4g vs %.4g expected of the best by luck, DSR %.4f", o.Sharpe, o.ExpectedMax, o.DSR)
		}
		if o.PBOErr != nil {
			fmt.Fprintf(w, "; PBO n/a (%v)\n", o.PBOErr)
		} else {
			fmt.Fprintf(w, "; PBO %.4f over %d splits\n", o.PBO.PBO, o.PBO.Splits)
		}
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// shortCell rounds a long float for the terminal table (the files keep
// every digit).
func shortCell(s string) string {
	if f, err := strconv.ParseFloat(s, 64); err == nil && len(s) > 10 {
		return strconv.FormatFloat(f, 'g', 6, 64)
	}
	return s
}

// shellQuote quotes an argument for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// surfaceGrid adapts a sweep.Surface to gonum's plotter.GridXYZ, cells at
// the values' indices.
type surfaceGrid struct{ s *sweep.Surface }

func (g surfaceGrid) Dims() (c, r int)   { return len(g.s.XS), len(g.s.YS) }
func (g surfaceGrid) Z(c, r int) float64 { return g.s.Z[c][r] }
func (g surfaceGrid) X(c int) float64    { return float64(c) }
func (g surfaceGrid) Y(r int) float64    { return float64(r) }

// heatmapMargin is the blank border of a heatmap image, in points.
const heatmapMargin = 8

// writeHeatmap draws the metric over two parameters as a PNG.
func writeHeatmap(path string, s *sweep.Surface, metric string) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, col := range s.Z {
		for _, v := range col {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return fmt.Errorf("heatmap: %s is undefined in every row", metric)
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s by %s and %s (best over the rest)", metric, s.X.Name, s.Y.Name)
	p.X.Label.Text, p.Y.Label.Text = s.X.Name, s.Y.Name
	ticks := func(vals []string) plot.ConstantTicks {
		var t []plot.Tick
		step := max(1, len(vals)/12)
		for i, v := range vals {
			if i%step == 0 {
				t = append(t, plot.Tick{Value: float64(i), Label: v})
			}
		}
		return t
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = ticks(s.XS), ticks(s.YS)
	pal := palette.Heat(64, 1)
	h := plotter.NewHeatMap(surfaceGrid{s}, pal)
	h.Min, h.Max = lo, hi
	h.NaN = color.Gray{Y: 200}
	p.Add(h)
	// A colour bar as a legend: the palette's ends and middle.
	for _, q := range []float64{1, 0.5, 0} {
		c := pal.Colors()[int(q*float64(len(pal.Colors())-1))]
		thumb, _ := plotter.NewPolygon(plotter.XYs{})
		thumb.Color = c
		p.Legend.Add(strconv.FormatFloat(lo+q*(hi-lo), 'g', 4, 64), thumb)
	}
	p.Legend.Top = true
	p.X.Min, p.X.Max = -0.5, float64(len(s.XS))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(s.YS))-0.5
	// A white margin round the plot keeps the title off the image's edge.
	img := vgimg.New(8*vg.Inch, 6*vg.Inch)
	pad := vg.Length(heatmapMargin)
	p.Draw(draw.Crop(draw.New(img), pad, -pad, pad, -pad))
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}

// runWalkForward runs a walk-forward and writes walkforward.csv (one row
// per window and market) and oos_equity.csv (the stitched out-of-sample
// curves); their statistics are the headline. Finished windows go to
// walkforward.jsonl, so an interrupted walk-forward resumes.
func runWalkForward(ctx context.Context, e *env, cfg *sweep.Config, identity string, wf sweep.WalkForward, spec string, k int, metric, out string) error {
	key := cfg.Key(fmt.Sprintf("%s\nwalk-forward %+v ranked by %s", identity, wf, metric))
	journal, done, err := sweep.OpenWalkJournal(filepath.Join(out, "walkforward.jsonl"), key)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer journal.Close()
	resumed, ran := len(done), 0
	res, err := sweep.RunWalkForward(ctx, cfg, wf, k, done, func(wr sweep.WindowRun) error {
		ran++
		return journal.Append(wr)
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("sweep --walk-forward: interrupted: %d windows done and kept in %s; rerun the same command to resume",
				resumed+ran, out)
		}
		return fmt.Errorf("sweep: %w", err)
	}
	cols, _ := cfg.Columns()
	nParams := len(cfg.Grid)
	head := append([]string{"fqme", "train_from", "train_to", "test_from", "test_to"}, cols[:nParams]...)
	head = append(head, "in_sample_"+metric)
	head = append(head, cols[nParams+1:]...)
	var wbuf bytes.Buffer
	cw := csv.NewWriter(&wbuf)
	cw.Write(head)
	iso := func(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }
	for _, w := range res.Windows {
		// The window's row: the chosen combination's cells with the
		// out-of-sample statistics in place of the sweep's.
		cells := cfg.Cells(sweep.Row{Job: w.Combo*len(cfg.Series) + w.Series, Stats: w.OutOfSample})
		rec := []string{cells[nParams], iso(w.TrainFrom), iso(w.TrainTo), iso(w.TestFrom), iso(w.TestTo)}
		rec = append(rec, cells[:nParams]...)
		rec = append(rec, sweep.Cell(w.InSample))
		rec = append(rec, cells[nParams+1:]...)
		cw.Write(rec)
	}
	cw.Flush()
	var ebuf bytes.Buffer
	ebuf.WriteString("time,fqme,equity\n")
	for si, c := range res.Stitched {
		fq := cfg.Series[si].Market.FQME()
		for i := range c.Len() {
			fmt.Fprintf(&ebuf, "%s,%s,%s\n", time.Unix(0, c.Time(i)).UTC().Format(time.RFC3339), fq, strconv.FormatFloat(c.Value[i], 'f', -1, 64))
		}
	}
	for name, data := range map[string][]byte{"walkforward.csv": wbuf.Bytes(), "oos_equity.csv": ebuf.Bytes()} {
		if err := atomicfile.WriteBytes(filepath.Join(out, name), 0o644, data); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "walk-forward %s: %d windows, %d combinations each, ranked by %s", spec, len(res.Windows), cfg.Grid.Len(), metric)
	if resumed > 0 {
		fmt.Fprintf(&buf, " (%d resumed)", resumed)
	}
	fmt.Fprintln(&buf)
	for si, st := range res.Stats {
		fmt.Fprintf(&buf, "  %s stitched out of sample: total return %s, CAGR %s, Sharpe %s, max drawdown %s\n",
			cfg.Series[si].Market.FQME(), st.TotalReturn, st.CAGR, st.Sharpe, st.MaxDrawdown)
	}
	fmt.Fprintf(&buf, "  windows in      %s, stitched curves in oos_equity.csv\n", filepath.Join(out, "walkforward.csv"))
	if err := atomicfile.WriteBytes(filepath.Join(out, "summary.txt"), 0o644, buf.Bytes()); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	_, err = e.stdout.Write(buf.Bytes())
	return err
}
