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

// Gaps less than groupGap slots apart are asked for in one range (up to
// groupSpan slots): a page of history holds hundreds of bars, so a series
// with many short gaps (a quiet market's minutes without trades) costs a
// request per page, not one per gap. The stored bars in between that come
// along are not written again.
const (
	groupGap  = 500
	groupSpan = 50000
)

// Fill asks the venue for the bars of each unexpected gap the calendar
// finds in the stored series and appends them, a group of nearby gaps at a
// time. Slots the venue has no bar for (nobody traded) are reported and
// remembered, so a later Fill or Fetch does not ask again.
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
	for _, g := range frames.FindGaps(stored, cal).Gaps {
		if g.Kind == frames.GapUnexpected {
			r := Range{g.LastBar + period, g.NextBar}
			rep.Gaps = append(rep.Gaps, GapFill{Gap: g, Range: r, Asked: subtract([]Range{r}, known), Empty: []Range{}})
		}
	}
	for i := 0; i < len(rep.Gaps); {
		if len(rep.Gaps[i].Asked) == 0 {
			i++
			continue
		}
		span := Range{rep.Gaps[i].Asked[0].From, rep.Gaps[i].Range.To}
		j := i + 1
		for ; j < len(rep.Gaps); j++ {
			g := rep.Gaps[j]
			if len(g.Asked) == 0 {
				continue
			}
			if g.Asked[0].From-span.To > groupGap*period || g.Range.To-span.From > groupSpan*period {
				break
			}
			span.To = g.Asked[len(g.Asked)-1].To
		}
		if err := c.fillGroup(ctx, fqme, period, span, stored.Close[rep.Gaps[i].Gap.LastRow], rep.Gaps[i:j], &rep.Retries); err != nil {
			return rep, fmt.Errorf("fill %s %s, gaps %s: %w", fqme, frames.FormatPeriod(period), span.Format(period), err)
		}
		i = j
	}
	return rep, nil
}

// fillGroup asks for span once and stores the bars of the gaps' asked
// ranges, reporting each gap's.
func (h *History) fillGroup(ctx context.Context, fqme string, period int64, span Range, prevClose float64,
	gaps []GapFill, retries *int) error {
	var asked []Range
	for _, g := range gaps {
		asked = append(asked, g.Asked...)
	}
	w := h.newWriter(fqme, period)
	var got []Range
	n, err := h.fetchRange(ctx, fqme, period, span, prevClose, func(f *frames.OHLCV) error {
		keep := frames.New(period, 0)
		k := 0
		for i, t := range f.Time {
			for k < len(asked) && asked[k].To <= t {
				k++
			}
			if k < len(asked) && asked[k].From <= t {
				keep.Add(t, f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i])
			}
		}
		got = append(got, slotRanges(keep.Time, period)...)
		return w.add(keep)
	})
	*retries += n
	if err == nil {
		err = w.flush()
	}
	if err != nil {
		return errors.Join(err, w.flush())
	}
	// The bar after each gap is stored, so the venue has closed every
	// slot before it: what it did not return, it does not have.
	got = union(got)
	var empty []Range
	for i := range gaps {
		g := &gaps[i]
		g.Empty = nonNilRanges(subtract(g.Asked, got))
		g.Got = int(totalSlots(g.Asked, period) - totalSlots(g.Empty, period))
		empty = append(empty, g.Empty...)
	}
	return addEmpty(h.Store, fqme, period, empty)
}

func nonNilRanges(r []Range) []Range {
	if r == nil {
		return []Range{}
	}
	return r
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
