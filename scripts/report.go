package scripts

import (
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-gota/gota/dataframe"

	"workbench/frames"
)

// WriteHTML writes the notebook as one self-contained HTML page: each
// cell's code, output, value or table, embedded images and error.
func (nb *Notebook) WriteHTML(w io.Writer) error {
	var b strings.Builder
	title := filepath.Base(nb.File)
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
.cell{margin:1.2em 0}
pre{background:#f6f8fa;padding:.7em;overflow-x:auto;border-radius:4px;font-size:13px;tab-size:4}
pre.code{border-left:3px solid #4a7bd0}
pre.out{background:#fff;border:1px solid #ddd}
pre.err{background:#fff0f0;border:1px solid #e99;color:#a00}
.meta{color:#888;font-size:12px}
table.frame{border-collapse:collapse;font-size:13px;font-family:monospace}
table.frame td,table.frame th{border:1px solid #ddd;padding:2px 8px;text-align:right}
img{max-width:100%%;display:block;margin:.5em 0}
.notrun{opacity:.5}
</style></head><body>
<h1>%s</h1>
`, html.EscapeString(title), html.EscapeString(title))
	for i, c := range nb.Cells {
		if c.Markdown {
			fmt.Fprintf(&b, "<div class=\"cell md\">%s</div>\n", markdownHTML(c.Source))
			continue
		}
		cls := "cell code"
		if !c.Ran {
			cls += " notrun"
		}
		fmt.Fprintf(&b, "<div class=\"%s\" id=\"cell-%d\">\n", cls, i+1)
		meta := fmt.Sprintf("[%d] line %d", i+1, c.Line)
		if c.Title != "" {
			meta += " · " + c.Title
		}
		if c.Ran {
			meta += fmt.Sprintf(" · %v", c.Took.Round(1e5))
		} else {
			meta += " · not run"
		}
		fmt.Fprintf(&b, "<div class=\"meta\">%s</div>\n<pre class=\"code\">%s</pre>\n", html.EscapeString(meta), html.EscapeString(strings.Trim(c.Source, "\n")))
		if c.Output != "" {
			fmt.Fprintf(&b, "<pre class=\"out\">%s</pre>\n", html.EscapeString(c.Output))
		}
		switch {
		case c.Table.IsValid():
			b.WriteString(tableHTML(c.Table))
		case c.Value != "":
			fmt.Fprintf(&b, "<pre class=\"out value\">%s</pre>\n", html.EscapeString(c.Value))
		}
		for _, img := range c.Images {
			data, err := os.ReadFile(img)
			if err != nil {
				return fmt.Errorf("notebook image %s: %w", img, err)
			}
			mime := imageExt[strings.ToLower(filepath.Ext(img))]
			fmt.Fprintf(&b, "<img alt=\"%s\" src=\"data:%s;base64,%s\">\n", html.EscapeString(filepath.Base(img)), mime, base64.StdEncoding.EncodeToString(data))
		}
		if c.Err != nil {
			fmt.Fprintf(&b, "<pre class=\"err\">%s</pre>\n", html.EscapeString(c.Err.Error()))
		}
		b.WriteString("</div>\n")
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the notebook as Markdown; images are linked by their
// path relative to base, the folder the Markdown file is in.
func (nb *Notebook) WriteMarkdown(w io.Writer, base string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", filepath.Base(nb.File))
	for i, c := range nb.Cells {
		if c.Markdown {
			b.WriteString(c.Source + "\n\n")
			continue
		}
		if c.Title != "" {
			fmt.Fprintf(&b, "**[%d] %s**\n\n", i+1, c.Title)
		}
		fmt.Fprintf(&b, "```go\n%s\n```\n\n", strings.Trim(c.Source, "\n"))
		if !c.Ran {
			b.WriteString("_not run_\n\n")
			continue
		}
		if c.Output != "" {
			fmt.Fprintf(&b, "```\n%s\n```\n\n", strings.TrimRight(c.Output, "\n"))
		}
		if c.Value != "" {
			fmt.Fprintf(&b, "```\n%s\n```\n\n", c.Value)
		}
		for _, img := range c.Images {
			rel, err := filepath.Rel(base, img)
			if err != nil {
				rel = img
			}
			fmt.Fprintf(&b, "![%s](%s)\n\n", filepath.Base(img), filepath.ToSlash(rel))
		}
		if c.Err != nil {
			fmt.Fprintf(&b, "**Error:**\n\n```\n%s\n```\n\n", c.Err)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// tableHTML renders a frame or dataframe value as a head/tail table.
func tableHTML(v reflect.Value) string {
	var header []string
	var rows [][]string
	n := 0
	switch x := v.Interface().(type) {
	case *frames.OHLCV:
		n = x.Len()
		header = []string{"", "time", "open", "high", "low", "close", "volume"}
		for _, i := range headTailRows(n) {
			if i < 0 {
				rows = append(rows, nil)
				continue
			}
			rows = append(rows, []string{fmt.Sprint(i), formatTime(x.Time[i], x.Period), num(x.Open[i]), num(x.High[i]), num(x.Low[i]), num(x.Close[i]), num(x.Volume[i])})
		}
		return renderTable(fmt.Sprintf("OHLCV %s, %d rows", frames.FormatPeriod(x.Period), n), header, rows)
	case dataframe.DataFrame:
		return dataFrameHTML(x)
	case *dataframe.DataFrame:
		return dataFrameHTML(*x)
	}
	return ""
}

func dataFrameHTML(df dataframe.DataFrame) string {
	if df.Err != nil {
		return "<pre class=\"err\">" + html.EscapeString(df.Err.Error()) + "</pre>\n"
	}
	recs := df.Records()
	if len(recs) == 0 {
		return ""
	}
	n := df.Nrow()
	header := append([]string{""}, recs[0]...)
	var rows [][]string
	for _, i := range headTailRows(n) {
		if i < 0 {
			rows = append(rows, nil)
			continue
		}
		rows = append(rows, append([]string{fmt.Sprint(i)}, recs[i+1]...))
	}
	return renderTable(fmt.Sprintf("DataFrame, %d rows × %d columns", n, df.Ncol()), header, rows)
}

// headTailRows lists the row indexes to show, -1 marking the elision.
func headTailRows(n int) []int {
	var out []int
	if n <= 2*headTail {
		for i := 0; i < n; i++ {
			out = append(out, i)
		}
		return out
	}
	for i := 0; i < headTail; i++ {
		out = append(out, i)
	}
	out = append(out, -1)
	for i := n - headTail; i < n; i++ {
		out = append(out, i)
	}
	return out
}

func renderTable(caption string, header []string, rows [][]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<table class=\"frame\"><caption>%s</caption>\n<tr>", html.EscapeString(caption))
	for _, h := range header {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr>\n")
	for _, r := range rows {
		if r == nil {
			fmt.Fprintf(&b, "<tr><td colspan=\"%d\">…</td></tr>\n", len(header))
			continue
		}
		b.WriteString("<tr>")
		for _, c := range r {
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
	return b.String()
}

var (
	mdCode   = regexp.MustCompile("`([^`]+)`")
	mdBold   = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdItalic = regexp.MustCompile(`\b_([^_]+)_\b`)
)

// markdownHTML renders the Markdown a prose cell needs: headings,
// paragraphs, bullet lists, inline code, bold and italics. Everything is
// escaped first, so a cell cannot inject markup.
func markdownHTML(src string) string {
	var b strings.Builder
	inline := func(s string) string {
		s = html.EscapeString(s)
		s = mdCode.ReplaceAllString(s, "<code>$1</code>")
		s = mdBold.ReplaceAllString(s, "<strong>$1</strong>")
		return mdItalic.ReplaceAllString(s, "<em>$1</em>")
	}
	var para []string
	inList := false
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	endList := func() {
		if inList {
			b.WriteString("</ul>\n")
			inList = false
		}
	}
	for _, l := range strings.Split(src, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case t == "":
			flush()
			endList()
		case strings.HasPrefix(t, "#"):
			flush()
			endList()
			level := len(t) - len(strings.TrimLeft(t, "#"))
			if level > 6 {
				level = 6
			}
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", level+1, inline(strings.TrimSpace(t[level:])), level+1)
		case strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* "):
			flush()
			if !inList {
				b.WriteString("<ul>\n")
				inList = true
			}
			b.WriteString("<li>" + inline(t[2:]) + "</li>\n")
		default:
			endList()
			para = append(para, t)
		}
	}
	flush()
	endList()
	return b.String()
}
