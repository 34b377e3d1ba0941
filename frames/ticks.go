package frames

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/parquet-go/parquet-go"

	"workbench/internal/atomicfile"
)

// Ticks is a columnar run of trades: exchange time in epoch ns, price, size,
// the taker's side (0 unknown, 1 buy, 2 sell, as feeds.Side) and the venue's
// trade id (0: none).
type Ticks struct {
	Time        []int64
	Price, Size []float64
	Side        []int8
	ID          []int64
}

// Len is the number of trades.
func (t *Ticks) Len() int { return len(t.Time) }

// Add appends one trade.
func (t *Ticks) Add(ns int64, price, size float64, side int8, id int64) {
	t.Time = append(t.Time, ns)
	t.Price = append(t.Price, price)
	t.Size = append(t.Size, size)
	t.Side = append(t.Side, side)
	t.ID = append(t.ID, id)
}

// Quotes is a columnar run of top-of-book updates, time in epoch ns.
type Quotes struct {
	Time             []int64
	Bid, Ask         []float64
	BidSize, AskSize []float64
}

// Len is the number of quotes.
func (q *Quotes) Len() int { return len(q.Time) }

// Add appends one quote.
func (q *Quotes) Add(ns int64, bid, ask, bidSize, askSize float64) {
	q.Time = append(q.Time, ns)
	q.Bid = append(q.Bid, bid)
	q.Ask = append(q.Ask, ask)
	q.BidSize = append(q.BidSize, bidSize)
	q.AskSize = append(q.AskSize, askSize)
}

// TickReport says what an append of ticks did.
type TickReport struct {
	Added      int // rows new to the store
	Duplicates int // rows the store already had (or given twice), dropped
	Days       int // day files written
}

// The files' rows. Plain parquet columns (INT64, DOUBLE, INT32 with an
// 8-bit integer annotation) so DuckDB and pandas read them as they are;
// time_ns says its unit in its name.
type tradeRow struct {
	Time  int64   `parquet:"time_ns"`
	Price float64 `parquet:"price"`
	Size  float64 `parquet:"size"`
	Side  int8    `parquet:"side,int(8)"`
	ID    int64   `parquet:"id"`
}

type quoteRow struct {
	Time    int64   `parquet:"time_ns"`
	Bid     float64 `parquet:"bid"`
	Ask     float64 `parquet:"ask"`
	BidSize float64 `parquet:"bid_size"`
	AskSize float64 `parquet:"ask_size"`
}

// Tick files live apart from the bar series, one folder per market and one
// file per UTC day and kind:
//
//	<store>/ticks/<fqme>/<YYYY-MM-DD>.trades.parquet
//	<store>/ticks/<fqme>/<YYYY-MM-DD>.quotes.parquet
//
// A day file is replaced atomically under its own lock (the sidecar
// .<YYYY-MM-DD>.<kind>.parquet.lock beside it), like a bar series.
const (
	tradesKind = "trades"
	quotesKind = "quotes"
	dayNS      = 86400 * int64(time.Second)
)

// TicksPath is the file holding fqme's trades ("trades") or quotes
// ("quotes") of the UTC day containing ns.
func (s *Store) TicksPath(fqme, kind string, ns int64) string {
	day := time.Unix(0, floorDivNS(ns, dayNS)*dayNS).UTC().Format(time.DateOnly)
	return filepath.Join(s.dir, "ticks", fqme, day+"."+kind+".parquet")
}

func floorDivNS(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// AppendTrades merges t into fqme's day files (made as needed). Rows are
// kept sorted by time then id; a trade whose id the day already has is a
// duplicate and dropped, as is a trade without id identical in every
// column to one the day has. Rows with a time, price or size that cannot
// be a trade are refused before anything is written.
func (s *Store) AppendTrades(fqme string, t *Ticks) (TickReport, error) {
	if err := checkKey(fqme, 1); err != nil {
		return TickReport{}, fmt.Errorf("store append trades %s: %w", fqme, err)
	}
	n := t.Len()
	if len(t.Price) != n || len(t.Size) != n || len(t.Side) != n || len(t.ID) != n {
		return TickReport{}, fmt.Errorf("store append trades %s: columns of unequal length", fqme)
	}
	rows := make([]tradeRow, n)
	for i := range rows {
		r := tradeRow{t.Time[i], t.Price[i], t.Size[i], t.Side[i], t.ID[i]}
		switch {
		case !(r.Price > 0) || math.IsInf(r.Price, 0):
			return TickReport{}, fmt.Errorf("store append trades %s: row %d: price %v: want a positive number", fqme, i, r.Price)
		case math.IsNaN(r.Size) || math.IsInf(r.Size, 0):
			return TickReport{}, fmt.Errorf("store append trades %s: row %d: size %v", fqme, i, r.Size)
		case r.Side < 0 || r.Side > 2:
			return TickReport{}, fmt.Errorf("store append trades %s: row %d: side %d: want 0 (unknown), 1 (buy) or 2 (sell)", fqme, i, r.Side)
		}
		rows[i] = r
	}
	return appendDays(s, fqme, tradesKind, rows, rowKeys[tradeRow]{
		time: func(r tradeRow) int64 { return r.Time },
		id:   func(r tradeRow) int64 { return r.ID },
		less: lessTrade,
	})
}

func lessTrade(a, b tradeRow) bool {
	if a.Time != b.Time {
		return a.Time < b.Time
	}
	return a.ID < b.ID
}

// AppendQuotes merges q into fqme's day files; a quote equal in every
// column to one the day has is a duplicate and dropped.
func (s *Store) AppendQuotes(fqme string, q *Quotes) (TickReport, error) {
	if err := checkKey(fqme, 1); err != nil {
		return TickReport{}, fmt.Errorf("store append quotes %s: %w", fqme, err)
	}
	n := q.Len()
	if len(q.Bid) != n || len(q.Ask) != n || len(q.BidSize) != n || len(q.AskSize) != n {
		return TickReport{}, fmt.Errorf("store append quotes %s: columns of unequal length", fqme)
	}
	rows := make([]quoteRow, n)
	for i := range rows {
		r := quoteRow{q.Time[i], q.Bid[i], q.Ask[i], q.BidSize[i], q.AskSize[i]}
		for _, c := range []struct {
			name string
			v    float64
		}{{"bid", r.Bid}, {"ask", r.Ask}, {"bid_size", r.BidSize}, {"ask_size", r.AskSize}} {
			if math.IsNaN(c.v) || math.IsInf(c.v, 0) {
				return TickReport{}, fmt.Errorf("store append quotes %s: row %d: %s %v", fqme, i, c.name, c.v)
			}
		}
		rows[i] = r
	}
	// Equal times are ordered by every other column so that sorting is
	// total and duplicates end up side by side.
	less := func(a, b quoteRow) bool {
		switch {
		case a.Time != b.Time:
			return a.Time < b.Time
		case a.Bid != b.Bid:
			return a.Bid < b.Bid
		case a.Ask != b.Ask:
			return a.Ask < b.Ask
		case a.BidSize != b.BidSize:
			return a.BidSize < b.BidSize
		}
		return a.AskSize < b.AskSize
	}
	return appendDays(s, fqme, quotesKind, rows, rowKeys[quoteRow]{
		time: func(r quoteRow) int64 { return r.Time },
		id:   func(quoteRow) int64 { return 0 },
		less: less,
	})
}

// rowKeys are what merging a kind of row needs: its time, its id (0: none)
// and the file order.
type rowKeys[R comparable] struct {
	time, id func(R) int64
	less     func(a, b R) bool
}

// appendDays splits rows by UTC day and merges each day into its file
// under the file's lock.
func appendDays[R comparable](s *Store, fqme, kind string, rows []R, k rowKeys[R]) (TickReport, error) {
	var rep TickReport
	sort.SliceStable(rows, func(i, j int) bool { return k.less(rows[i], rows[j]) })
	for lo := 0; lo < len(rows); {
		day := floorDivNS(k.time(rows[lo]), dayNS)
		hi := lo
		for hi < len(rows) && floorDivNS(k.time(rows[hi]), dayNS) == day {
			hi++
		}
		path := s.TicksPath(fqme, kind, day*dayNS)
		added, dups, wrote, err := appendDay(path, rows[lo:hi], k)
		if err != nil {
			return rep, fmt.Errorf("store append %s %s: %w", kind, fqme, err)
		}
		rep.Added += added
		rep.Duplicates += dups
		if wrote {
			rep.Days++
		}
		lo = hi
	}
	return rep, nil
}

// appendDay merges rows (sorted, all of path's day) into path. A row with
// an id the day already has, whatever its time, is a duplicate (a venue
// never reuses a trade id); a row without id is one when equal in every
// column to a row the day has.
func appendDay[R comparable](path string, rows []R, k rowKeys[R]) (added, dups int, wrote bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, false, err
	}
	l, err := lockSeries(filepath.Join(dir, "."+filepath.Base(path)+".lock"), true)
	if err != nil {
		return 0, 0, false, fmt.Errorf("%s: %w", path, err)
	}
	defer l.unlock()
	// Writers hold the lock from temporary file to rename: holding it, any
	// temporary file of this day is a dead writer's.
	stale, _ := filepath.Glob(filepath.Join(dir, "."+filepath.Base(path)+".tmp-*"))
	for _, f := range stale {
		os.Remove(f)
	}
	old, err := readTickFile[R](path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, 0, false, err
	}
	var oldIDs []int64
	for _, r := range old {
		if id := k.id(r); id != 0 {
			oldIDs = append(oldIDs, id)
		}
	}
	slices.Sort(oldIDs)
	fresh := make([]R, 0, len(rows))
	seen := make(map[int64]struct{})
	for _, r := range rows {
		if id := k.id(r); id != 0 {
			_, again := seen[id]
			if _, have := slices.BinarySearch(oldIDs, id); have || again {
				dups++
				continue
			}
			seen[id] = struct{}{}
		}
		fresh = append(fresh, r)
	}
	merged := make([]R, 0, len(old)+len(fresh))
	// push keeps r unless it has no id and a row of the same instant
	// already kept equals it (an instant holds few rows).
	push := func(r R, isNew bool) {
		if k.id(r) == 0 {
			for j := len(merged) - 1; j >= 0 && k.time(merged[j]) == k.time(r); j-- {
				if merged[j] == r {
					if isNew {
						dups++
					}
					return
				}
			}
		}
		merged = append(merged, r)
		if isNew {
			added++
		}
	}
	for i, j := 0, 0; i < len(old) || j < len(fresh); {
		if j == len(fresh) || (i < len(old) && !k.less(fresh[j], old[i])) {
			push(old[i], false)
			i++
		} else {
			push(fresh[j], true)
			j++
		}
	}
	if added == 0 {
		return 0, dups, false, nil // nothing new: leave the file alone
	}
	err = atomicfile.Write(path, 0o644, func(w io.Writer) error {
		pw := parquet.NewGenericWriter[R](w, parquet.Compression(&parquet.Zstd))
		if _, err := pw.Write(merged); err != nil {
			return err
		}
		return pw.Close()
	})
	return added, dups, err == nil, err
}

// readTickFile reads a whole day file, after checking that it has every
// column R names with R's type: parquet-go would read a missing column as
// zeros.
func readTickFile[R any](path string) ([]R, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	f, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		return nil, &ParquetError{File: path, Err: err}
	}
	want := parquet.SchemaOf(new(R))
	for _, field := range want.Fields() {
		got, ok := f.Schema().Lookup(field.Name())
		switch {
		case !ok:
			return nil, &ParquetError{File: path, Column: field.Name(), Err: errors.New("missing")}
		case got.Node.Type().Kind() != field.Type().Kind() || got.Node.Optional() || got.Node.Repeated():
			return nil, &ParquetError{File: path, Column: field.Name(),
				Err: fmt.Errorf("type %v, want required %v", got.Node.Type(), field.Type())}
		}
	}
	rows, err := parquet.Read[R](fh, st.Size())
	if err != nil {
		return nil, &ParquetError{File: path, Err: err}
	}
	return rows, nil
}

// tickDays lists the day files of fqme's kind overlapping [from, to) ns.
func (s *Store) tickDays(fqme, kind string, from, to int64) []string {
	var out []string
	for d := floorDivNS(from, dayNS); d*dayNS < to; d++ {
		p := s.TicksPath(fqme, kind, d*dayNS)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// ReadTrades returns fqme's stored trades with from ≤ time < to (epoch
// ns), oldest first; none stored is an empty result, not an error.
func (s *Store) ReadTrades(fqme string, from, to int64) (*Ticks, error) {
	out := &Ticks{}
	for _, path := range s.tickDays(fqme, tradesKind, from, to) {
		rows, err := readTickFile[tradeRow](path)
		if err != nil {
			return nil, fmt.Errorf("store read trades %s: %w", fqme, err)
		}
		for _, r := range rows {
			if r.Time >= from && r.Time < to {
				out.Add(r.Time, r.Price, r.Size, r.Side, r.ID)
			}
		}
	}
	return out, nil
}

// ReadQuotes returns fqme's stored quotes with from ≤ time < to (epoch ns).
func (s *Store) ReadQuotes(fqme string, from, to int64) (*Quotes, error) {
	out := &Quotes{}
	for _, path := range s.tickDays(fqme, quotesKind, from, to) {
		rows, err := readTickFile[quoteRow](path)
		if err != nil {
			return nil, fmt.Errorf("store read quotes %s: %w", fqme, err)
		}
		for _, r := range rows {
			if r.Time >= from && r.Time < to {
				out.Add(r.Time, r.Bid, r.Ask, r.BidSize, r.AskSize)
			}
		}
	}
	return out, nil
}
