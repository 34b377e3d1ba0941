package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"workbench/frames"
	"workbench/fsp"
	"workbench/internal/atomicfile"
	"workbench/plots"
)

func init() {
	register(&command{
		name: "chart",
		usage: "chart F[,F…] --period P [--overlay pin|first|none] [--percent] [--from T] [--to T] [--time-axis index|linear] [--tz ZONE] [--log] " +
			"[--ind SPECS] [--ranges-json FILE] [--width PX] [--height PX] [--dpi N] -o OUT.png|svg|pdf",
		summary: "draw markets from the store: one market as candles with volume, several overlaid so equal percentage moves look equal",
		run:     runChart,
	})
}

// chartOptions are what a chart of stored markets is drawn with.
type chartOptions struct {
	overlay string // pin, first or none; "" picks pin for several markets
	percent bool
	linear  bool           // bars at their time, closed hours taking room
	log     bool           // a single market's price pane on a log scale
	loc     *time.Location // of the time labels; nil: the first market's calendar's, else UTC
	title   string
	ind     []*fsp.Spec // indicators of a single market's chart
}

// onPricePane tells whether an indicator's outputs are prices of the bars
// (the registry says its outputs are in its input's units, and the input is
// a price field or such an indicator): those go over the candles.
func onPricePane(s *fsp.Spec) bool {
	if s.Def.Pane != fsp.PanePrice {
		return false
	}
	src := s.Source
	switch {
	case src == nil:
		return true
	case src.Spec != nil:
		return onPricePane(src.Spec)
	}
	return src.Field != "volume" && src.Field != "time"
}

// addIndicators computes specs over f: price-unit ones become lines on the
// price pane, on the candles' axis; every other instance gets a pane of its
// own for all its outputs (outputs named *hist as histograms), on the
// registry's fixed range with its guide levels for a bounded oscillator.
func addIndicators(c *plots.Chart, price *plots.Pane, f *frames.OHLCV, specs []*fsp.Spec) {
	for _, s := range specs {
		outs := s.Compute(f)
		cols := s.Columns()
		pane := price
		if !onPricePane(s) {
			pane = c.AddPane(s.String(), 1)
			if s.Source == nil {
				pane.Bounds = s.Def.Bounds
				for _, g := range s.Def.Guides {
					pane.AddLevel(g, strconv.FormatFloat(g, 'f', -1, 64))
				}
			}
		}
		for k, y := range outs {
			if strings.Contains(s.Def.Outputs[k], "hist") {
				pane.Histogram(cols[k], f.Time, y)
			} else {
				pane.Line(cols[k], f.Time, y)
			}
		}
	}
}

// marketChart builds the chart of one or several markets: a single market
// as candles over a volume pane, its indicators on the price pane's axis or
// in panes below; several as one overlay pane.
func marketChart(names []string, bars []*frames.OHLCV, o chartOptions) *plots.Chart {
	c := plots.NewChart(o.title)
	c.Index = !o.linear
	c.Location = o.loc
	if cal := frames.CalendarForFQME(names[0]); c.Location == nil && cal != nil {
		c.Location = cal.Location()
	}
	method := o.overlay
	if method == "" {
		method = plots.OverlayPin
	}
	if len(names) == 1 {
		// One market is drawn on its own prices, not through an overlay: an
		// overlay would give each indicator line a range of its own.
		price := c.AddPane("price", 3)
		price.Log = o.log
		price.Candles(names[0], bars[0])
		c.AddPane("volume", 1).Volume("volume", bars[0])
		addIndicators(c, price, bars[0], o.ind)
		return c
	}
	p := c.AddPane("", 1)
	p.Overlay, p.Percent = method, o.percent
	for i, name := range names {
		p.Candles(name, bars[i])
	}
	return c
}

// chartTime reads a --from or --to value: RFC 3339, a date, a date with
// hours and minutes (UTC), or epoch seconds; empty gives def.
func chartTime(flagName, s string, def int64) (int64, error) {
	if s == "" {
		return def, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, usagef("chart %s %q: want RFC 3339, YYYY-MM-DD[THH:MM] or epoch seconds", flagName, s)
}

// chartRanges is what --ranges-json writes: the overlay ranges of the price
// pane (a single market's own range) and where every pane was drawn.
type chartRanges struct {
	*plots.OverlayRanges
	Panes []plots.PaneLayout `json:"panes"`
}

// writeRanges saves the overlay ranges of a chart's price pane and the
// layout of its panes as JSON.
func writeRanges(path string, c *plots.Chart, panes []plots.PaneLayout) error {
	rs, err := c.OverlayRanges()
	if err != nil {
		return err
	}
	out := chartRanges{Panes: panes}
	for _, x := range rs {
		if x != nil {
			out.OverlayRanges = x
			break
		}
	}
	if out.OverlayRanges == nil {
		// A single market: its candles on their own range.
		for _, s := range c.Panes[0].Series {
			if s.Kind == plots.KindCandles {
				r, err := plots.Overlay([]plots.OverlayCurve{plots.CurveFromBars(s.Name, s.Bars)}, plots.OverlayNone, c.From, c.To)
				if err != nil {
					return err
				}
				out.OverlayRanges = r
				break
			}
		}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o644, append(b, '\n'))
}

func runChart(ctx context.Context, e *env, args []string) error {
	c := commands["chart"]
	fs := e.flags(c)
	var period periodFlag
	fs.Var(&period, "period", "bar `P`eriod of the series (1m, 1h, 1d)")
	overlay := fs.String("overlay", "", "overlay `METHOD`: pin (default for several markets), first or none")
	percent := fs.Bool("percent", false, "draw an overlay as cumulative log returns in percent")
	logScale := fs.Bool("log", false, "draw a single market's prices on a log scale (equal % moves, equal heights)")
	timeAxis := addTimeAxisFlag(fs)
	tz := fs.String("tz", "", "time `ZONE` of the time labels, e.g. America/New_York (default: the market's calendar's; UTC for crypto)")
	from := fs.String("from", "", "first bar `T`ime (RFC 3339, YYYY-MM-DD or epoch seconds)")
	to := fs.String("to", "", "end `T`ime, exclusive")
	ind := fs.String("ind", "", "indicator `SPECS` for a single market, e.g. \"sma(20),bbands(20,2),rsi(14),macd(12,26,9)\"")
	rangesJSON := fs.String("ranges-json", "", "also write the y range computed for every curve to `FILE`")
	width := fs.Int("width", plots.DefaultWidth, "image width in `PX`")
	height := fs.Int("height", plots.DefaultHeight, "image height in `PX`")
	dpi := fs.Int("dpi", plots.DefaultDPI, "resolution for SVG and PDF sizes")
	out := fs.String("o", "", "output `FILE` (.png, .svg or .pdf)")
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	var names []string
	for _, p := range pos {
		for _, f := range strings.Split(p, ",") {
			if f = strings.TrimSpace(f); f != "" {
				names = append(names, f)
			}
		}
	}
	switch {
	case len(names) == 0:
		return usagef("chart: name at least one market (F[,F…])")
	case period.secs == 0:
		return usagef("chart: --period is required")
	case *out == "":
		return usagef("chart: -o OUT.png|svg|pdf is required")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"--width", *width}, {"--height", *height}, {"--dpi", *dpi}} {
		if f.v <= 0 {
			return usagef("chart: %s %d: must be positive", f.name, f.v)
		}
	}
	switch strings.ToLower(filepath.Ext(*out)) {
	case ".png", ".svg", ".pdf":
	default:
		return usagef("chart -o %s: want a .png, .svg or .pdf file", *out)
	}
	switch *overlay {
	case "", plots.OverlayPin, plots.OverlayFirst, plots.OverlayNone:
	default:
		return usagef("chart --overlay %q: want pin, first or none", *overlay)
	}
	var loc *time.Location
	if *tz != "" {
		if loc, err = time.LoadLocation(*tz); err != nil {
			return usagef("chart --tz %q: %v", *tz, err)
		}
	}
	if *logScale && len(names) > 1 {
		return usagef("chart --log: a log scale is for a single market; an overlay shows log returns with --percent")
	}
	var specs []*fsp.Spec
	if *ind != "" {
		if len(names) > 1 {
			return usagef("chart --ind: indicators draw on a single market's chart, not an overlay")
		}
		if specs, err = fsp.Parse(*ind); err != nil {
			return usagef("chart --ind: %v", err)
		}
	}
	fromT, err := chartTime("--from", *from, 0)
	if err != nil {
		return err
	}
	toT, err := chartTime("--to", *to, 1<<62)
	if err != nil {
		return err
	}
	store, err := frames.OpenStore(e.storeDir())
	if err != nil {
		return err
	}
	bars := make([]*frames.OHLCV, len(names))
	total := 0
	for i, fq := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, _, err := store.ReadRangeAs(fq, period.secs, fromT, toT)
		if err != nil {
			return fmt.Errorf("chart %s: %w", fq, err)
		}
		if f.Len() == 0 {
			return fmt.Errorf("chart %s %s: no bars in the range", fq, frames.FormatPeriod(period.secs))
		}
		bars[i], total = f, total+f.Len()
	}
	title := strings.Join(names, ", ") + " " + frames.FormatPeriod(period.secs)
	ch := marketChart(names, bars, chartOptions{overlay: *overlay, percent: *percent, linear: timeAxis.linear, log: *logScale, loc: loc, title: title, ind: specs})
	ch.Width, ch.Height, ch.DPI = *width, *height, *dpi
	panes, err := ch.SaveLayout(*out)
	if err != nil {
		return err
	}
	if *rangesJSON != "" {
		if err := writeRanges(*rangesJSON, ch, panes); err != nil {
			return fmt.Errorf("chart --ranges-json %s: %w", *rangesJSON, err)
		}
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d market(s), %d bars\n", *out, len(names), total)
	return nil
}
