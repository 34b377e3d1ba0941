// Package display lets a script show rich output at any point of a cell:
// an image, HTML, Markdown, a table, or any value rendered as the cell's
// last expression would be. Where the output goes is the host's business:
// the Jupyter kernel sends display_data messages, `workbench notebook`
// puts it in the report, and the REPL and `workbench run` print its text
// form. With no host attached (a plain Go program) the text form goes to
// standard output.
package display

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"sync"
)

// Bundle is a MIME bundle: MIME type → data (base64 for images).
type Bundle map[string]string

// Sink receives what scripts display.
type Sink interface {
	Show(b Bundle)
	Clear(wait bool)
}

var (
	mu       sync.Mutex
	sink     Sink
	renderer func(v any) Bundle
)

// SetSink makes s receive displays until the returned function restores
// the previous sink. Hosts call it around each cell.
func SetSink(s Sink) (restore func()) {
	mu.Lock()
	prev := sink
	sink = s
	mu.Unlock()
	return func() {
		mu.Lock()
		sink = prev
		mu.Unlock()
	}
}

// SetRenderer sets how values become bundles (Show, Table): the scripts
// package renders frames, dataframes, records, charts and results.
func SetRenderer(r func(v any) Bundle) {
	mu.Lock()
	renderer = r
	mu.Unlock()
}

func show(b Bundle) {
	mu.Lock()
	s := sink
	mu.Unlock()
	if s != nil {
		s.Show(b)
		return
	}
	fmt.Fprintln(os.Stdout, b["text/plain"])
}

// HTML shows an HTML fragment.
func HTML(html string) { show(Bundle{"text/html": html, "text/plain": "[HTML]"}) }

// Markdown shows Markdown text.
func Markdown(md string) { show(Bundle{"text/markdown": md, "text/plain": md}) }

// Image shows a PNG, JPEG or SVG image given as its bytes, or any value
// the renderer draws as an image (a *plots.Chart).
func Image(img any) {
	switch x := img.(type) {
	case []byte:
		show(imageBundle(x))
	default:
		Show(img)
	}
}

func imageBundle(b []byte) Bundle {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return Bundle{"image/png": base64.StdEncoding.EncodeToString(b), "text/plain": fmt.Sprintf("[PNG image, %d bytes]", len(b))}
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return Bundle{"image/jpeg": base64.StdEncoding.EncodeToString(b), "text/plain": fmt.Sprintf("[JPEG image, %d bytes]", len(b))}
	case bytes.Contains(b[:min(len(b), 512)], []byte("<svg")):
		return Bundle{"image/svg+xml": string(b), "text/plain": fmt.Sprintf("[SVG image, %d bytes]", len(b))}
	}
	return Bundle{"text/plain": fmt.Sprintf("[%d bytes: not a PNG, JPEG or SVG image]", len(b))}
}

// Table shows a table: an OHLCV frame, a gota DataFrame or a slice of
// records, rendered as a cell's value is.
func Table(v any) { Show(v) }

// Show shows any value the way a cell's last expression is shown.
func Show(v any) {
	mu.Lock()
	r := renderer
	mu.Unlock()
	if r == nil {
		show(Bundle{"text/plain": fmt.Sprint(v)})
		return
	}
	show(r(v))
}

// Clear clears the cell's output so far (in Jupyter, when the next output
// arrives, so a loop redrawing a chart does not flicker).
func Clear() {
	mu.Lock()
	s := sink
	mu.Unlock()
	if s != nil {
		s.Clear(true)
	}
}
