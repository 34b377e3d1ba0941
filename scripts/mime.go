package scripts

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"reflect"

	"workbench/display"
	"workbench/paper"
	"workbench/plots"
)

func init() {
	display.SetRenderer(func(v any) display.Bundle { return MIME(reflect.ValueOf(v)) })
}

// MIME renders a value for rich front ends (Jupyter) as a MIME bundle:
// text/plain is always Format's text, so the REPL, `workbench notebook`
// and Jupyter show the same thing; frames, dataframes and lists of records
// add an HTML table of their first and last rows, a backtest Result its
// report, and a chart a PNG of itself (for SVG, display.Image the bytes
// of chart.Render(w, "svg")).
func MIME(v reflect.Value) display.Bundle {
	b := display.Bundle{"text/plain": Format(v, false)}
	if !v.IsValid() || !v.CanInterface() {
		return b
	}
	switch x := v.Interface().(type) {
	case *plots.Chart:
		if x == nil {
			return b
		}
		png, err := x.PNG()
		if err != nil {
			b["text/plain"] = "chart: " + err.Error()
			return b
		}
		b["image/png"] = base64.StdEncoding.EncodeToString(png)
	case *paper.Result:
		if x == nil {
			return b
		}
		var buf bytes.Buffer
		if err := x.WriteText(&buf); err == nil {
			b["text/plain"] = buf.String()
			b["text/html"] = "<pre class=\"result\">" + html.EscapeString(buf.String()) + "</pre>"
		}
	default:
		if isTable(v) {
			b["text/html"] = tableHTML(v)
		} else if (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) && isRecordList(v) {
			b["text/html"] = recordHTML(v)
		}
	}
	return b
}

// recordHTML is recordTable as HTML.
func recordHTML(v reflect.Value) string {
	t := v.Type().Elem()
	header := []string{""}
	var fields []int
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			fields = append(fields, i)
			header = append(header, t.Field(i).Name)
		}
	}
	var rows [][]string
	for _, r := range headTailRows(v.Len()) {
		if r < 0 {
			rows = append(rows, nil)
			continue
		}
		row := []string{fmt.Sprint(r)}
		for _, i := range fields {
			row = append(row, cell(v.Index(r).Field(i)))
		}
		rows = append(rows, row)
	}
	return renderTable(fmt.Sprintf("%d × %s", v.Len(), t), header, rows)
}
