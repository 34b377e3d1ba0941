package record

import (
	"context"
	"errors"
	"fmt"
	"io"

	"workbench/feeds"
	"workbench/frames"
)

// GapFill is what Fill did about one unexpected gap.
type GapFill struct {
	Gap frames.Gap `json:"gap"`
	// Range is the gap's bar slots; Asked the part asked of the venue
	// (the rest was known to have no bars).
	Range Range   `json:"range"`
	Asked []Range `json:"asked"`
	// Got bars from the venue; Empty are the slots it has none for.
	Got   int     `json:"got"`
	Empty []Range `json:"empty"`
}

// FillReport tells what Fill did.
type FillReport struct {
	FQME     string    `json:"fqme"`
	Period   int64     `json:"period"`
	Calendar string    `json:"calendar"`
	Gaps     []GapFill `json:"gaps"`
	Retries  int       `json:"retries"`
}

// Fill closes fqme's unexpected gaps (frames.FindGaps against cal; on the
// crypto calendar, every gap) with bars from venue; see History.Fill.
func Fill(ctx context.Context, venue feeds.Venue, store *frames.Store, fqme string, period int64,
	cal frames.Calendar) (FillReport, error) {
	h := History{Venue: venue, Store: store}
	return h.Fill(ctx, fqme, period, cal)
}

// Fill asks the venue for the bars of each unexpected gap the calendar
// finds in the stored series and appends them, one gap at a time. Slots
// the venue has no bar for (nobody traded) are reported and remembered, so
// a later Fill or Fetch does not ask again.
func (h *History) Fill(ctx context.Context, fqme string, period int64, cal frames.Calendar) (FillReport, error) {
	c := h.defaults()
	if cal == nil {
		cal = frames.Crypto
	}
	rep := FillReport{FQME: fqme, Period: period, Calendar: cal.Name(), Gaps: []GapFill{}}
	if err := c.checkPeriod(period); err != nil {
		return rep, err
	}
	stored, err := c.Store.Read(fqme, period)
	if err != nil {
		return rep, err
	}
	known, err := loadEmpty(c.Store, fqme, period)
	if err != nil {
		return rep, err
	}
	gr := frames.FindGaps(stored, cal)
	for _, g := range gr.Gaps {
		if g.Kind != frames.GapUnexpected {
			continue
		}
		r := Range{g.LastBar + period, g.NextBar}
		gf := GapFill{Gap: g, Range: r, Asked: subtract([]Range{r}, known), Empty: []Range{}}
		w := c.newWriter(fqme, period)
		var got []Range
		for _, a := range gf.Asked {
			retries, err := c.fetchRange(ctx, fqme, period, a, stored.Close[g.LastRow], func(f *frames.OHLCV) error {
				gf.Got += f.Len()
				got = append(got, slotRanges(f.Time, period)...)
				return w.add(f)
			})
			rep.Retries += retries
			if err == nil {
				err = w.flush()
			}
			if err != nil {
				rep.Gaps = append(rep.Gaps, gf)
				return rep, fmt.Errorf("fill %s %s, gap %s: %w", fqme, frames.FormatPeriod(period), r.Format(period), errors.Join(err, w.flush()))
			}
		}
		// The bar after the gap is stored, so the venue has closed every
		// slot before it: what it did not return, it does not have.
		gf.Empty = subtract(gf.Asked, union(got))
		if gf.Empty == nil {
			gf.Empty = []Range{}
		}
		if err := addEmpty(c.Store, fqme, period, gf.Empty); err != nil {
			return rep, err
		}
		rep.Gaps = append(rep.Gaps, gf)
	}
	return rep, nil
}

// WriteText writes the report as a person reads it: one line per gap.
func (r FillReport) WriteText(w io.Writer) {
	p := r.Period
	var got, empty int64
	for _, g := range r.Gaps {
		got += int64(g.Got)
		empty += totalSlots(g.Empty, p)
	}
	fmt.Fprintf(w, "%s %s, calendar %s: %d unexpected gaps, %d bars fetched, %d bars the exchange does not have (no trades)\n",
		r.FQME, frames.FormatPeriod(p), r.Calendar, len(r.Gaps), got, empty)
	known, knownSlots := 0, int64(0)
	const show = 20
	shown := 0
	for _, g := range r.Gaps {
		if len(g.Asked) == 0 {
			known++
			knownSlots += g.Range.Slots(p)
			continue
		}
		if shown++; shown > show {
			continue
		}
		line := fmt.Sprintf("  %s (%d bars): ", g.Range.Format(p), g.Range.Slots(p))
		if g.Got == 0 {
			line += "the exchange has no bars (no trades)"
		} else {
			line += fmt.Sprintf("got %d bars", g.Got)
			if n := totalSlots(g.Empty, p); n > 0 {
				line += fmt.Sprintf(", the exchange has none for %d", n)
			}
		}
		fmt.Fprintln(w, line)
	}
	if shown > show {
		fmt.Fprintf(w, "  ... and %d more gaps\n", shown-show)
	}
	if known > 0 {
		fmt.Fprintf(w, "%d gaps (%d bars) not asked: an earlier fetch found the exchange has no bars there\n", known, knownSlots)
	}
}
