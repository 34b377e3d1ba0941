package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"workbench/frames"
	"workbench/internal/atomicfile"
)

// Range is an interval of bar slots, open times From ≤ t < To in epoch
// seconds.
type Range struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

// Slots is how many bars of period fit in r.
func (r Range) Slots(period int64) int64 { return (r.To - r.From) / period }

// Format writes r as UTC times of its first and last slot.
func (r Range) Format(period int64) string {
	first := formatTime(r.From, period)
	if r.To-r.From <= period {
		return first
	}
	return first + " .. " + formatTime(r.To-period, period)
}

func formatTime(t, period int64) string {
	u := time.Unix(t, 0).UTC()
	if period%60 == 0 && t%60 == 0 {
		return u.Format("2006-01-02 15:04")
	}
	return u.Format("2006-01-02 15:04:05")
}

// missingSlots is [from, to) less the slots of times (ascending; times
// outside the range and off-grid times are skipped over).
func missingSlots(times []int64, period, from, to int64) []Range {
	var out []Range
	c := from
	for _, t := range times {
		if t < c {
			continue
		}
		if t >= to {
			break
		}
		if s := frames.FloorTime(t-from, period) + from; s > c {
			out = append(out, Range{c, s})
		}
		c = frames.FloorTime(t-from, period) + from + period
	}
	if c < to {
		out = append(out, Range{c, to})
	}
	return out
}

// subtract removes the ranges of b (sorted, disjoint) from a (sorted,
// disjoint).
func subtract(a, b []Range) []Range {
	var out []Range
	j := 0
	for _, r := range a {
		for j < len(b) && b[j].To <= r.From {
			j++
		}
		cur := r.From
		for k := j; k < len(b) && b[k].From < r.To; k++ {
			if b[k].From > cur {
				out = append(out, Range{cur, b[k].From})
			}
			cur = max(cur, b[k].To)
		}
		if cur < r.To {
			out = append(out, Range{cur, r.To})
		}
	}
	return out
}

// union merges rs (any order) into sorted, disjoint ranges; touching
// ranges join.
func union(rs ...[]Range) []Range {
	var all []Range
	for _, r := range rs {
		all = append(all, r...)
	}
	if len(all) == 0 {
		return nil
	}
	sortRanges(all)
	out := []Range{all[0]}
	for _, r := range all[1:] {
		last := &out[len(out)-1]
		if r.From <= last.To {
			last.To = max(last.To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

func sortRanges(rs []Range) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].From < rs[j-1].From; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// emptyFile is where the intervals a venue has confirmed to hold no bars
// of a series are kept, beside the series in the store folder: a second
// fetch need not ask again for minutes in which nobody traded. It records
// facts about the exchange, not the file, so it stays valid if the series
// is deleted and fetched again.
func emptyFile(st *frames.Store, fqme string, period int64) string {
	dir, base := filepath.Split(st.Path(fqme, period))
	return filepath.Join(dir, "."+strings.TrimSuffix(base, ".parquet")+".empty.json")
}

type emptyJSON struct {
	FQME   string  `json:"fqme"`
	Period int64   `json:"period"`
	Empty  []Range `json:"empty"`
}

// loadEmpty reads the known-empty intervals; none when the file is missing.
func loadEmpty(st *frames.Store, fqme string, period int64) ([]Range, error) {
	path := emptyFile(st, fqme, period)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("known-empty intervals %s: %w", path, err)
	}
	var e emptyJSON
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("known-empty intervals %s: %w", path, err)
	}
	return union(e.Empty), nil
}

// addEmpty merges rs into the known-empty intervals.
func addEmpty(st *frames.Store, fqme string, period int64, rs []Range) error {
	if len(rs) == 0 {
		return nil
	}
	old, err := loadEmpty(st, fqme, period)
	if err != nil {
		return err
	}
	b, err := json.Marshal(emptyJSON{FQME: fqme, Period: period, Empty: union(old, rs)})
	if err != nil {
		return err
	}
	path := emptyFile(st, fqme, period)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("known-empty intervals %s: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, 0o644, b); err != nil {
		return fmt.Errorf("known-empty intervals %s: %w", path, err)
	}
	return nil
}
