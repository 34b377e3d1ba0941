// Overlay draws several stored markets on one price axis, each scaled to
// the first at their first common bar, and saves the chart.
//
//	workbench run examples/overlay/main.go -- OUT.png STORE PERIOD FQME FQME...
package main

import (
	"fmt"
	"os"

	"workbench/frames"
	"workbench/plots"
)

func main() {
	if len(os.Args) < 6 {
		fmt.Fprintln(os.Stderr, "usage: overlay OUT.png STORE PERIOD FQME FQME...")
		os.Exit(2)
	}
	if err := draw(os.Args[1], os.Args[2], os.Args[3], os.Args[4:]); err != nil {
		fmt.Fprintln(os.Stderr, "overlay:", err)
		os.Exit(1)
	}
}

func draw(out, dir, periodText string, fqmes []string) error {
	period, err := frames.ParsePeriod(periodText)
	if err != nil {
		return err
	}
	st, err := frames.OpenStore(dir)
	if err != nil {
		return err
	}
	c := plots.NewChart("overlay " + periodText)
	pane := c.AddPane("price", 1)
	pane.Overlay = plots.OverlayFirst
	for _, fq := range fqmes {
		f, err := st.Read(fq, period)
		if err != nil {
			return err
		}
		pane.Line(fq, f.Time, f.Close)
	}
	if err := c.Save(out); err != nil {
		return err
	}
	fmt.Printf("wrote %s with %d markets\n", out, len(fqmes))
	return nil
}
