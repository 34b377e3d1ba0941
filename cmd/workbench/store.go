package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"workbench/frames"
	"workbench/internal/atomicfile"
)

// storeCommand is one `workbench store` subcommand. Other files add theirs
// to storeCommands from their init (gaps.go adds "gaps").
type storeCommand struct {
	usage, summary string
	run            func(ctx context.Context, e *env, args []string) error
}

// Usage and summary of each store subcommand, shared by the table and the
// subcommands' own --help (which cannot refer to the table it is in).
const (
	storeLsUsage       = "store ls [--json]"
	storeLsSummary     = "list the series in the store: market, period, rows, first and last bar, file size"
	storeImportUsage   = "store import FILE --fqme F [--period P]"
	storeImportSummary = "merge bars from a .csv or .parquet file into a series (period detected when omitted)"
	storeExportUsage   = "store export F --period P -o FILE"
	storeExportSummary = "write a series to a .csv or .parquet file (-o - writes CSV to stdout)"
	storeRmUsage       = "store rm F --period P"
	storeRmSummary     = "delete a series from the store"
)

var storeCommands = map[string]storeCommand{
	"ls":     {usage: storeLsUsage, summary: storeLsSummary, run: runStoreLs},
	"import": {usage: storeImportUsage, summary: storeImportSummary, run: runStoreImport},
	"export": {usage: storeExportUsage, summary: storeExportSummary, run: runStoreExport},
	"rm":     {usage: storeRmUsage, summary: storeRmSummary, run: runStoreRm},
}

func init() {
	register(&command{
		name:    "store",
		usage:   "store ls|import|export|rm|gaps|fetch|fill …",
		summary: "list, import, export, delete and check the parquet series in the store; fetch and fill them from a venue",
		run:     runStore,
	})
}

func runStore(ctx context.Context, e *env, args []string) error {
	name, rest := splitSubcommand(args)
	switch name {
	case "":
		e.storeHelp()
		return usagef("missing subcommand")
	case "help", "-h", "-help", "--help":
		e.storeHelp()
		return nil
	}
	sc, ok := storeCommands[name]
	if !ok {
		e.storeHelp()
		return usagef("unknown subcommand %q", name)
	}
	return sc.run(ctx, e, rest)
}

// splitSubcommand finds the subcommand name, letting the global flags come
// before it (`workbench store --store DIR ls`), and returns the other
// arguments in order.
func splitSubcommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--store" || a == "-store" || a == "--config" || a == "-config":
			i++
		case strings.HasPrefix(a, "-") && strings.Contains(a, "="):
		case a == "-h" || a == "-help" || a == "--help" || !strings.HasPrefix(a, "-"):
			rest := append(append([]string{}, args[:i]...), args[i+1:]...)
			return a, rest
		}
	}
	return "", args
}

func (e *env) storeHelp() {
	names := make([]string, 0, len(storeCommands))
	for n := range storeCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(e.stderr, "workbench store subcommands:")
	for _, n := range names {
		sc := storeCommands[n]
		fmt.Fprintf(e.stderr, "  workbench %s\n      %s\n", sc.usage, sc.summary)
	}
}

// storeFlags is e.flags for a store subcommand, so its usage names it.
func (e *env) storeFlags(name, usage, summary string) *flag.FlagSet {
	return e.flags(&command{name: "store " + name, usage: usage, summary: summary})
}

func (e *env) openStore() (*frames.Store, error) {
	return frames.OpenStore(e.storeDir())
}

// lsEntry is one line of `store ls --json`.
type lsEntry struct {
	frames.SeriesInfo
	PeriodLabel string `json:"period_label"`
	FirstISO    string `json:"first_iso,omitempty"`
	LastISO     string `json:"last_iso,omitempty"`
}

func runStoreLs(_ context.Context, e *env, args []string) error {
	fs := e.storeFlags("ls", storeLsUsage, storeLsSummary)
	asJSON := fs.Bool("json", false, "print JSON (one array of series) instead of a table")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	// The store folder is created by the first import; listing one that
	// does not exist is most likely a mistyped --store.
	if _, err := os.Stat(st.Dir()); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store %s does not exist (no such folder; `workbench store import` creates it)", st.Dir())
	}
	list, err := st.List()
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]lsEntry, len(list))
		for i, s := range list {
			out[i] = lsEntry{SeriesInfo: s, PeriodLabel: frames.FormatPeriod(s.Period)}
			if s.Rows > 0 && s.Problem == "" {
				out[i].FirstISO, out[i].LastISO = isoTime(s.First), isoTime(s.Last)
			}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stdout, "store %s holds no series (add some with `workbench store import`)\n", st.Dir())
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MARKET\tPERIOD\tBARS\tFIRST\tLAST\tSIZE\t")
	for _, s := range list {
		if s.Problem != "" {
			fmt.Fprintf(tw, "%s\t%s\t?\t\t\t%s\t  unreadable: %s\n", s.FQME, frames.FormatPeriod(s.Period), humanBytes(s.Bytes), s.Problem)
			continue
		}
		first, last := "-", "-"
		if s.Rows > 0 {
			first, last = humanTime(s.First, s.Period), humanTime(s.Last, s.Period)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", s.FQME, frames.FormatPeriod(s.Period), humanCount(s.Rows), first, last, humanBytes(s.Bytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d series in %s\n", len(list), st.Dir())
	return nil
}

func isoTime(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }

// humanTime shows a bar time with as much precision as its period needs.
func humanTime(t, period int64) string {
	u := time.Unix(t, 0).UTC()
	switch {
	case period > 0 && period%86400 == 0 && t%86400 == 0:
		return u.Format("2006-01-02")
	case period > 0 && period%60 == 0 && t%60 == 0:
		return u.Format("2006-01-02 15:04")
	}
	return u.Format("2006-01-02 15:04:05")
}

// humanCount writes n with thousands separators.
func humanCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + humanCount(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i])
}

// progressMin is the file size from which an import on a terminal shows a
// progress bar; smaller files load faster than the bar would draw.
const progressMin = 1 << 20

func runStoreImport(_ context.Context, e *env, args []string) error {
	fs := e.storeFlags("import", storeImportUsage, storeImportSummary)
	fqme := fs.String("fqme", "", "market `NAME` to store the bars under, e.g. btcusdt.spot.binance")
	var period periodFlag
	fs.Var(&period, "period", "bar `PERIOD` (60, 1m, 1h, 1d); detected from the times when omitted")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("want exactly one FILE to import, got %d arguments", len(pos))
	case *fqme == "":
		return usagef("--fqme is required")
	}
	path := pos[0]
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".csv" && ext != ".parquet" {
		return usagef("%s: want a .csv or .parquet file", path)
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	bars, warns, err := e.readImport(path, ext)
	if err != nil {
		return err
	}
	if bars.Len() == 0 {
		return fmt.Errorf("import %s: the file holds no bars", path)
	}
	// Append sorts the bars, so the period is what the sorted times say; an
	// unsorted file is not blamed on the period, and where the period still
	// does not fit, the disorder is named too.
	times, disorder := bars.Time, outOfOrder(bars.Time)
	if disorder != "" {
		times = slices.Clone(bars.Time)
		slices.Sort(times)
	}
	detected := frames.DetectPeriod(times)
	switch {
	case period.secs == 0 && bars.Period == 0 && detected == 0:
		return usagef("%s: cannot tell the bar period from %d bar(s)%s; give --period", path, bars.Len(), disorder)
	case period.secs == 0 && bars.Period == 0:
		bars.Period = detected
	case period.secs != 0:
		if detected != 0 && detected != period.secs && bars.Len() > 2 {
			return fmt.Errorf("import %s: the bars are %s apart most often%s, not --period %s",
				path, frames.FormatPeriod(detected), disorder, frames.FormatPeriod(period.secs))
		}
		bars.Period = period.secs
	}
	// Bad bars are stored as they are (dropping them would hide them) but
	// named, by their row in the file; order is Append's business.
	var bad []frames.RowError
	for _, p := range bars.Validate() {
		if p.Field != "time" {
			bad = append(bad, p)
		}
	}
	rep, err := st.Append(*fqme, bars)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %s bars from %s into %s %s\n", humanCount(int64(bars.Len())), path, *fqme, frames.FormatPeriod(bars.Period))
	fmt.Fprintf(e.stdout, "  %s new, %s identical duplicates dropped, %d conflicting (newer kept)",
		humanCount(int64(rep.Added)), humanCount(int64(rep.Duplicates)), len(rep.Conflicts))
	if rep.Resorted {
		fmt.Fprintf(e.stdout, ", input was out of order%s and has been sorted", disorder)
	}
	fmt.Fprintln(e.stdout)
	for i, w := range warns {
		if i == 5 {
			fmt.Fprintf(e.stdout, "  … and %d more times read in another unit\n", len(warns)-5)
			break
		}
		fmt.Fprintf(e.stdout, "  warning: %s\n", w)
	}
	for i, c := range rep.Conflicts {
		if i == 5 {
			fmt.Fprintf(e.stdout, "  … and %d more conflicts\n", len(rep.Conflicts)-5)
			break
		}
		fmt.Fprintf(e.stdout, "  conflict %s\n", c)
	}
	for i, p := range bad {
		if i == 5 {
			fmt.Fprintf(e.stdout, "  … and %d more invalid bars\n", len(bad)-5)
			break
		}
		fmt.Fprintf(e.stdout, "  invalid bar, kept: %s\n", p)
	}
	fmt.Fprintf(e.stdout, "  %s %s now holds %s bars\n", *fqme, frames.FormatPeriod(bars.Period), humanCount(int64(rep.Rows)))
	return nil
}

// outOfOrder names the first bar that comes before the one above it in
// the file, as " (row N at T comes after row N-1 at T')", or is "".
func outOfOrder(t []int64) string {
	for i := 1; i < len(t); i++ {
		if t[i] < t[i-1] {
			return fmt.Sprintf(" (the rows are out of order: row %d, %s, comes after row %d, %s)",
				i+1, isoTime(t[i]), i, isoTime(t[i-1]))
		}
	}
	return ""
}

// readImport reads the file, with a byte progress bar when stdout is a
// terminal and the file is big enough to wait for. It returns the rows
// whose time was read in another unit than the rest of the file's.
func (e *env) readImport(path, ext string) (*frames.OHLCV, []frames.ReadWarning, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	var bar *progressbar.ProgressBar
	if out, ok := e.stdout.(*os.File); ok && term.IsTerminal(int(out.Fd())) && info.Size() >= progressMin {
		bar = progressbar.NewOptions64(info.Size(),
			progressbar.OptionSetWriter(out),
			progressbar.OptionSetDescription("reading "+filepath.Base(path)),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Finish()
	}
	if ext == ".csv" {
		var r io.Reader = fh
		if bar != nil {
			r = io.TeeReader(fh, bar)
		}
		f, warns, err := frames.ReadCSVWithWarnings(r)
		if err != nil {
			var pe *frames.ParseError
			if errors.As(err, &pe) && pe.File == "" {
				pe.File = path
				return nil, nil, pe
			}
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return f, inFile(warns, path), nil
	}
	var r io.ReaderAt = fh
	if bar != nil {
		r = progressReaderAt{fh, bar}
	}
	f, warns, err := frames.ReadParquetWithWarnings(r, info.Size())
	if err != nil {
		var pe *frames.ParquetError
		if errors.As(err, &pe) && pe.File == "" {
			pe.File = path
			return nil, nil, pe
		}
		return nil, nil, &frames.ParquetError{File: path, Err: err}
	}
	return f, inFile(warns, path), nil
}

func inFile(warns []frames.ReadWarning, path string) []frames.ReadWarning {
	for i := range warns {
		warns[i].File = path
	}
	return warns
}

// progressReaderAt counts the bytes a parquet read pulls into the bar.
type progressReaderAt struct {
	r   io.ReaderAt
	bar *progressbar.ProgressBar
}

func (p progressReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	p.bar.Add(n)
	return n, err
}

func runStoreExport(_ context.Context, e *env, args []string) error {
	fs := e.storeFlags("export", storeExportUsage, storeExportSummary)
	var period periodFlag
	fs.Var(&period, "period", "bar `PERIOD` of the series (60, 1m, 1h, 1d)")
	out := fs.String("o", "", "output `FILE`: .csv or .parquet; - writes CSV to stdout")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("want exactly one market (fqme), got %d arguments", len(pos))
	case period.secs == 0:
		return usagef("--period is required")
	case *out == "":
		return usagef("-o FILE is required")
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if *out != "-" && ext != ".csv" && ext != ".parquet" {
		return usagef("-o %s: want a .csv or .parquet file name", *out)
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	// As everywhere else, a period not stored is resampled from one that
	// divides it.
	f, src, err := st.ReadRangeAs(pos[0], period.secs, math.MinInt64, math.MaxInt64)
	if err != nil {
		return err
	}
	from := ""
	if src != period.secs {
		from = " (resampled from " + frames.FormatPeriod(src) + ")"
	}
	switch {
	case *out == "-":
		return f.WriteCSV(e.stdout)
	case ext == ".csv":
		err = atomicfile.Write(*out, 0o644, f.WriteCSV)
	default:
		err = frames.WriteParquetFile(*out, f)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", pos[0], err)
	}
	fmt.Fprintf(e.stdout, "exported %s bars of %s %s%s to %s\n", humanCount(int64(f.Len())), pos[0], frames.FormatPeriod(period.secs), from, *out)
	return nil
}

func runStoreRm(_ context.Context, e *env, args []string) error {
	fs := e.storeFlags("rm", storeRmUsage, storeRmSummary)
	var period periodFlag
	fs.Var(&period, "period", "bar `PERIOD` of the series (60, 1m, 1h, 1d)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("want exactly one market (fqme), got %d arguments", len(pos))
	case period.secs == 0:
		return usagef("--period is required")
	}
	st, err := e.openStore()
	if err != nil {
		return err
	}
	if err := st.Delete(pos[0], period.secs); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "removed %s %s\n", pos[0], frames.FormatPeriod(period.secs))
	return nil
}
