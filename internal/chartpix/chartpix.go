// Package chartpix reads drawn charts back from their pixels, for tests:
// whether a colour is stroked at a point, whether each bar's candle and
// each fill's marker is where the bars and fills say, using the layout the
// renderer reports (plots.PaneLayout) only to map values to pixels.
package chartpix

import (
	"fmt"
	"image"
	"math"
	"sort"

	"workbench/frames"
	"workbench/plots"
)

// Down is the colour of a falling candle (TradingView's red); a rising
// one's is the candle series' colour in the layout.
var Down = [3]float64{0xef, 0x53, 0x50}

// RGB is the colour of a pixel, 0..255 a channel.
func RGB(img image.Image, x, y int) [3]float64 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)}
}

// Hex reads a #rrggbb colour.
func Hex(s string) ([3]float64, error) {
	var r, g, b uint8
	if _, err := fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return [3]float64{}, fmt.Errorf("colour %q: %w", s, err)
	}
	return [3]float64{float64(r), float64(g), float64(b)}, nil
}

// Inked tells whether a pixel is a stroke of colour c over the white
// background, at least 40% of the pixel covered (antialiasing blends a
// one-pixel line that falls between two rows half into each).
func Inked(p, c [3]float64) bool {
	var dot, norm float64
	for k := range p {
		dot += (255 - p[k]) * (255 - c[k])
		norm += (255 - c[k]) * (255 - c[k])
	}
	a := dot / norm
	if a < 0.4 {
		return false
	}
	res := 0.0
	for k := range p {
		d := p[k] - (255 + a*(c[k]-255))
		res += d * d
	}
	return math.Sqrt(res) < 40
}

// Candles counts the bars (drawn side by side on the pane's index axis
// from position 0) that have ink of their candle colour (up, or Down for a
// close under the open) in their column, between their high and low.
func Candles(img image.Image, pane plots.PaneLayout, bars *frames.OHLCV, up [3]float64) int {
	n := 0
	for i := range bars.Len() {
		want := up
		if bars.Close[i] < bars.Open[i] {
			want = Down
		}
		x := int(pane.Column(float64(i)))
		found := false
		for y := int(pane.Row(bars.High[i])) - 1; y <= int(pane.Row(bars.Low[i]))+1 && !found; y++ {
			for xx := x - 1; xx <= x+1; xx++ {
				found = found || Inked(RGB(img, xx, y), want)
			}
		}
		if found {
			n++
		}
	}
	return n
}

// FillMarked tells whether a fill at time sec and a price is marked on the
// bar it happened in (bars side by side on the pane's index axis): a buy's
// ▲ in colour c hangs below its tip at the price and nothing of it shows
// above; a sell's ▼ the other way round.
func FillMarked(img image.Image, pane plots.PaneLayout, bars *frames.OHLCV, sec int64, price float64, sell bool, c [3]float64) bool {
	i := sort.Search(bars.Len(), func(i int) bool { return bars.Time[i] > sec }) - 1
	x, y := int(pane.Column(float64(i))), int(pane.Row(price))
	body, beyond := []int{y + 2, y + 7}, []int{y - 6, y - 3}
	if sell {
		body, beyond = []int{y - 7, y - 2}, []int{y + 3, y + 6}
	}
	count := func(rows []int, is func(p [3]float64) bool) int {
		n := 0
		for yy := rows[0]; yy <= rows[1]; yy++ {
			for xx := x - 2; xx <= x+2; xx++ {
				if is(RGB(img, xx, yy)) {
					n++
				}
			}
		}
		return n
	}
	exact := func(p [3]float64) bool { return p == c }
	faint := func(p [3]float64) bool { return Inked(p, c) }
	return count(body, exact) >= 6 && count(beyond, faint) == 0
}

// InkedColumns counts the columns of a pane's data area where colour c is
// drawn.
func InkedColumns(img image.Image, p plots.PaneLayout, c [3]float64) int {
	n := 0
	for x := int(p.Left) + 2; x < int(p.Right)-2; x++ {
		for y := int(p.Top) + 1; y < int(p.Bottom); y++ {
			if Inked(RGB(img, x, y), c) {
				n++
				break
			}
		}
	}
	return n
}

// TextPixels counts near-black pixels in a pane's data area: a legend's
// text is the only black the renderer draws there.
func TextPixels(img image.Image, p plots.PaneLayout) int {
	n := 0
	for x := int(p.Left) + 3; x < int(p.Right)-3; x++ {
		for y := int(p.Top) + 3; y < int(p.Bottom)-3; y++ {
			if c := RGB(img, x, y); c[0] < 0x30 && c[1] < 0x30 && c[2] < 0x30 {
				n++
			}
		}
	}
	return n
}
