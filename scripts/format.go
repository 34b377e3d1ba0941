package scripts

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/go-gota/gota/dataframe"
	"github.com/shopspring/decimal"

	"workbench/frames"
	"workbench/plots"
)

// maxItems is how many elements of a slice, and rows at each end of a
// frame, the REPL prints.
const (
	maxItems = 20
	headTail = 5
)

// Format renders a value the way the REPL and notebooks print it: frames and
// dataframes as head/tail tables with the row count, slices truncated with
// their length, decimals exact, errors as their message (red with color).
func Format(v reflect.Value, color bool) string {
	if !v.IsValid() {
		return "<nil>"
	}
	if !v.CanInterface() {
		return fmt.Sprint(v)
	}
	x := v.Interface()
	switch x := x.(type) {
	case nil:
		return "<nil>"
	case *frames.OHLCV:
		if x == nil {
			return "<nil frame>"
		}
		return FrameTable(x)
	case frames.OHLCV:
		return FrameTable(&x)
	case dataframe.DataFrame:
		return x.String()
	case *dataframe.DataFrame:
		if x == nil {
			return "<nil dataframe>"
		}
		return x.String()
	case *plots.Chart:
		if x == nil {
			return "<nil chart>"
		}
		return ChartSummary(x)
	case *plots.Pane:
		if x == nil {
			return "<nil pane>"
		}
		return paneSummary(x)
	case *plots.Series:
		if x == nil {
			return "<nil series>"
		}
		return seriesSummary(x)
	case decimal.Decimal:
		return x.String()
	case error:
		if color {
			return "\x1b[31m" + x.Error() + "\x1b[0m"
		}
		return "error: " + x.Error()
	case fmt.Stringer:
		if v.Kind() == reflect.Ptr && v.IsNil() {
			return "<nil>"
		}
		return x.String()
	case string:
		return strconv.Quote(x)
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return fmt.Sprintf("%s(nil)", v.Type())
		}
		if isRecordList(v) {
			return recordTable(v)
		}
		return formatList(v)
	case reflect.Ptr:
		if v.IsNil() {
			return "<nil>"
		}
		if v.Elem().Kind() == reflect.Struct {
			return "&" + fmt.Sprintf("%+v", v.Elem().Interface())
		}
	case reflect.Struct:
		return fmt.Sprintf("%+v", x)
	}
	return fmt.Sprint(x)
}

// ChartSummary describes a chart in a few lines, pane by pane, rather than
// as the thousands of numbers its series hold.
func ChartSummary(c *plots.Chart) string {
	w, h := c.Width, c.Height
	if w == 0 || h == 0 {
		w, h = 1600, 900
	}
	var b strings.Builder
	fmt.Fprintf(&b, "chart %q: %d panes, %d×%d", c.Title, len(c.Panes), w, h)
	if c.From != 0 || c.To != 0 {
		fmt.Fprintf(&b, ", from %s to %s", formatTime(c.From, 1), formatTime(c.To, 1))
	}
	for i, p := range c.Panes {
		fmt.Fprintf(&b, "\n  %d. %s", i+1, paneSummary(p))
	}
	return b.String()
}

func paneSummary(p *plots.Pane) string {
	parts := make([]string, len(p.Series))
	for i, s := range p.Series {
		parts[i] = seriesSummary(s)
	}
	out := fmt.Sprintf("pane %q: %s", p.Title, strings.Join(parts, ", "))
	if len(p.Series) == 0 {
		out = fmt.Sprintf("pane %q: no series", p.Title)
	}
	if len(p.Levels) > 0 {
		out += fmt.Sprintf("; %d levels", len(p.Levels))
	}
	if p.Overlay != "" {
		out += "; overlay " + p.Overlay
	}
	return out
}

var kindNames = map[plots.Kind]string{
	plots.KindCandles: "candles", plots.KindOHLC: "ohlc", plots.KindLine: "line",
	plots.KindStep: "step", plots.KindHistogram: "histogram", plots.KindMarkers: "markers",
}

func seriesSummary(s *plots.Series) string {
	n, unit := len(s.Time), "points"
	if s.Bars != nil {
		n, unit = s.Bars.Len(), "bars"
	}
	kind := kindNames[s.Kind]
	if kind == "" {
		kind = fmt.Sprintf("kind %d", s.Kind)
	}
	return fmt.Sprintf("%s %q (%d %s)", kind, s.Name, n, unit)
}

func formatList(v reflect.Value) string {
	n := v.Len()
	var b strings.Builder
	b.WriteByte('[')
	show := n
	if n > maxItems {
		show = maxItems
	}
	for i := 0; i < show; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		e := v.Index(i)
		if e.CanInterface() {
			if d, ok := e.Interface().(decimal.Decimal); ok {
				b.WriteString(d.String())
				continue
			}
			if s, ok := e.Interface().(string); ok {
				b.WriteString(strconv.Quote(s))
				continue
			}
		}
		fmt.Fprint(&b, e)
	}
	if n > show {
		fmt.Fprintf(&b, " ... %d more", n-show)
	}
	b.WriteByte(']')
	if n > show {
		fmt.Fprintf(&b, " (len %d)", n)
	}
	return b.String()
}

// isRecordList reports whether v is a non-empty list of plain structs (the
// store's SeriesInfo, round trips, gaps) that reads best as a table.
func isRecordList(v reflect.Value) bool {
	t := v.Type().Elem()
	if v.Len() == 0 || t.Kind() != reflect.Struct || t.Implements(stringerType) || reflect.PointerTo(t).Implements(stringerType) {
		return false
	}
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return true
		}
	}
	return false
}

var stringerType = reflect.TypeOf((*fmt.Stringer)(nil)).Elem()

// recordTable renders a list of structs with a column per exported field,
// its first and last rows when long.
func recordTable(v reflect.Value) string {
	t := v.Type().Elem()
	var fields []int
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			fields = append(fields, i)
		}
	}
	n := v.Len()
	var b strings.Builder
	fmt.Fprintf(&b, "%d × %s\n", n, t)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, i := range fields {
		fmt.Fprintf(tw, "\t%s", t.Field(i).Name)
	}
	fmt.Fprintln(tw, "\t")
	row := func(r int) {
		fmt.Fprintf(tw, "%d", r)
		for _, i := range fields {
			fmt.Fprintf(tw, "\t%s", cell(v.Index(r).Field(i)))
		}
		fmt.Fprintln(tw, "\t")
	}
	for r := 0; r < n; r++ {
		if n > 2*headTail && r == headTail {
			fmt.Fprintln(tw, "..."+strings.Repeat("\t", len(fields)+1))
			r = n - headTail
		}
		row(r)
	}
	tw.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// cell is one table cell: numbers to 12 significant digits, decimals
// exact, strings bare.
func cell(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return num(v.Float())
	case reflect.String:
		return v.String()
	}
	if v.CanInterface() {
		if d, ok := v.Interface().(decimal.Decimal); ok {
			return d.String()
		}
		return fmt.Sprint(v.Interface())
	}
	return fmt.Sprint(v)
}

// FrameTable renders an OHLCV frame as its first and last rows with the row
// count and period, times in UTC.
func FrameTable(f *frames.OHLCV) string {
	n := f.Len()
	var b strings.Builder
	fmt.Fprintf(&b, "OHLCV %s, %d rows\n", frames.FormatPeriod(f.Period), n)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\ttime\topen\thigh\tlow\tclose\tvolume\t")
	row := func(i int) {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", i, formatTime(f.Time[i], f.Period),
			num(f.Open[i]), num(f.High[i]), num(f.Low[i]), num(f.Close[i]), num(f.Volume[i]))
	}
	if n <= 2*headTail {
		for i := 0; i < n; i++ {
			row(i)
		}
	} else {
		for i := 0; i < headTail; i++ {
			row(i)
		}
		fmt.Fprintln(tw, "...\t\t\t\t\t\t\t")
		for i := n - headTail; i < n; i++ {
			row(i)
		}
	}
	tw.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// formatTime prints a bar time as a date for daily and longer periods, else
// with the time of day, so a table's column is uniform.
func formatTime(t, period int64) string {
	tm := time.Unix(t, 0).UTC()
	if period > 0 && period%86400 == 0 {
		return tm.Format("2006-01-02")
	}
	return tm.Format("2006-01-02 15:04:05")
}

// num prints a table cell to 12 significant digits, in plain notation:
// sums of prices and volumes carry binary rounding noise in their last
// digits (457.6284300000001) that only hides the number a person wants.
func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}
