package examples_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"workbench/frames"
	"workbench/plots"
)

// overlayChart builds, from bars read here, the chart the overlay example
// documents: one line of closes per market on one price pane, scaled with
// the given overlay method.
func overlayChart(t *testing.T, st *frames.Store, method string, fqmes ...string) []byte {
	t.Helper()
	c := plots.NewChart("overlay 1h")
	pane := c.AddPane("price", 1)
	pane.Overlay = method
	for _, fq := range fqmes {
		f, err := st.Read(fq, 3600)
		if err != nil {
			t.Fatal(err)
		}
		pane.Line(fq, f.Time, f.Close)
	}
	b, err := c.PNG()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOverlayExample(t *testing.T) {
	dir := testStore(t)
	out := filepath.Join(t.TempDir(), "overlay.png")
	printed := runExample(t, "overlay/main.go", out, dir, "1h", markets[0], markets[1])
	if want := "wrote " + out + " with 2 markets\n"; printed != want {
		t.Errorf("printed %q, want %q", printed, want)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if b := img.Bounds(); b.Dx() != plots.DefaultWidth || b.Dy() != plots.DefaultHeight {
		t.Errorf("image %v, want the default %d×%d", b, plots.DefaultWidth, plots.DefaultHeight)
	}
	// Saturated colours are the series (axes, grid and text are grey).
	colours := map[[3]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			hi, lo := max(r, g, bl), min(r, g, bl)
			if hi-lo > 0x6000 {
				colours[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
			}
		}
	}
	lines := 0
	for _, n := range colours {
		if n >= 500 {
			lines++
		}
	}
	if lines != 2 {
		t.Errorf("%d saturated colours drawn over 500 pixels, want one per market (2): %v", lines, colours)
	}

	st, err := frames.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, overlayChart(t, st, plots.OverlayFirst, markets[0], markets[1])) {
		t.Errorf("%s differs from both markets' closes overlaid from the first value", out)
	}
	// The comparison tells the markets, their order and the scaling apart.
	for name, other := range map[string][]byte{
		"first market only":  overlayChart(t, st, plots.OverlayFirst, markets[0]),
		"markets swapped":    overlayChart(t, st, plots.OverlayFirst, markets[1], markets[0]),
		"no overlay scaling": overlayChart(t, st, plots.OverlayNone, markets[0], markets[1]),
	} {
		if bytes.Equal(got, other) {
			t.Errorf("the chart equals the one with %s", name)
		}
	}
}
