package display

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/png"
	"strings"
	"testing"
)

type recorder struct {
	shown   []Bundle
	cleared []bool
}

func (r *recorder) Show(b Bundle)   { r.shown = append(r.shown, b) }
func (r *recorder) Clear(wait bool) { r.cleared = append(r.cleared, wait) }

func TestDisplayToSink(t *testing.T) {
	var r recorder
	restore := SetSink(&r)
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, image.NewRGBA(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	HTML("<b>x</b>")
	Markdown("# t")
	Image(pngBytes.Bytes())
	Image([]byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`))
	Image([]byte("not an image"))
	Clear()
	restore()
	HTML("after restore") // goes to stdout, not the recorder

	if len(r.shown) != 5 || len(r.cleared) != 1 || !r.cleared[0] {
		t.Fatalf("shown %d, cleared %v", len(r.shown), r.cleared)
	}
	if r.shown[0]["text/html"] != "<b>x</b>" || r.shown[1]["text/markdown"] != "# t" {
		t.Errorf("html/markdown %v %v", r.shown[0], r.shown[1])
	}
	raw, err := base64.StdEncoding.DecodeString(r.shown[2]["image/png"])
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() != 3 {
		t.Errorf("png round trip: %v", err)
	}
	if !strings.HasPrefix(r.shown[3]["image/svg+xml"], "<?xml") {
		t.Errorf("svg %v", r.shown[3])
	}
	if _, ok := r.shown[4]["text/plain"]; !ok || len(r.shown[4]) != 1 {
		t.Errorf("not an image: %v", r.shown[4])
	}
}

func TestShowUsesRenderer(t *testing.T) {
	var r recorder
	defer SetSink(&r)()
	Show(42)
	SetRenderer(func(v any) Bundle { return Bundle{"text/plain": "rendered", "text/html": "<i>r</i>"} })
	defer SetRenderer(nil)
	Table([]int{1})
	if r.shown[0]["text/plain"] != "42" || r.shown[1]["text/html"] != "<i>r</i>" {
		t.Errorf("shown %v", r.shown)
	}
}
