// Gaps reports the holes in a stored series against its market's calendar:
// which are market closures and which are missing data.
//
//	workbench run examples/gaps/main.go -- STORE FQME PERIOD CALENDAR
//	workbench run examples/gaps/main.go -- ~/.local/share/workbench/store aapl.nasdaq 1d us-equity
package main

import (
	"fmt"
	"os"

	"workbench/frames"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: gaps STORE FQME PERIOD CALENDAR (crypto, us-equity or cme)")
		os.Exit(2)
	}
	store, fqme, period, calendar := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	if err := report(store, fqme, period, calendar); err != nil {
		fmt.Fprintln(os.Stderr, "gaps:", err)
		os.Exit(1)
	}
}

func report(dir, fqme, periodText, calendar string) error {
	period, err := frames.ParsePeriod(periodText)
	if err != nil {
		return err
	}
	st, err := frames.OpenStore(dir)
	if err != nil {
		return err
	}
	f, err := st.Read(fqme, period)
	if err != nil {
		return err
	}
	cal, err := frames.CalendarByName(calendar)
	if err != nil {
		return err
	}
	r := frames.FindGaps(f, cal)
	fmt.Printf("%s %s: %d bars\n", fqme, periodText, f.Len())
	r.WriteTable(os.Stdout, false)
	return nil
}
