package paper

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"workbench/internal/atomicfile"
	"workbench/mkt"
)

// LedgerFileName returns piker's transactions ledger file name,
// trades_<broker>_<account>.toml.
func LedgerFileName(broker, account string) string {
	return "trades_" + broker + "_" + account + ".toml"
}

// AccountFileName returns piker's account file name, account.<broker>.<account>.toml.
func AccountFileName(broker, account string) string {
	return "account." + broker + "." + account + ".toml"
}

// Ledger is a transactions ledger in piker's TOML layout: one table per
// transaction keyed by its tid, with tid, size, price, cost, dt (ISO-8601
// with offset), bs_mktid, fqme and optionally etype and expiry. Entries are
// kept sorted by time (ties in file or insertion order). As piker's
// iter_by_dt, an entry without dt may give its time as datetime (ISO-8601; a
// time without offset is UTC) or time (epoch seconds).
//
// Loading keeps each entry's key order and value spelling (piker's legacy
// fqsn key, integer or float numbers, dt text), so re-saving an unchanged
// file reproduces it byte for byte. Numbers are TOML floats, as piker writes
// them; a decimal that a float64 cannot hold exactly is written as a string
// so that nothing is lost, and strings are accepted on load.
type Ledger struct {
	Path    string // file the ledger loads from and saves to
	Broker  string
	Account string
	entries []ledgerEntry
	byTID   map[string]int
}

type ledgerEntry struct {
	tx   Transaction
	keys []string          // key names in file order
	raw  map[string]string // TOML value text per key
}

// LedgerError reports a bad ledger or account file entry, like encoding/csv's ParseError.
type LedgerError struct {
	File  string
	Table string // tid or fqme of the table at fault ("" for the whole file)
	Field string
	Err   error
}

func (e *LedgerError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Table != "" {
		fmt.Fprintf(&b, ": [%s]", e.Table)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, " field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *LedgerError) Unwrap() error { return e.Err }

// NewLedger returns an empty ledger saved to path.
func NewLedger(path, broker, account string) *Ledger {
	return &Ledger{Path: path, Broker: broker, Account: account, byTID: map[string]int{}}
}

// LoadLedger reads a ledger file; a missing file gives an empty ledger (as
// piker creates it). Broker and account come from a trades_<broker>_<acct>.toml name.
func LoadLedger(path string) (*Ledger, error) {
	broker, account := "", ""
	if base := strings.TrimSuffix(filepath.Base(path), ".toml"); strings.HasPrefix(base, "trades_") {
		broker, account, _ = strings.Cut(strings.TrimPrefix(base, "trades_"), "_")
	}
	l := NewLedger(path, broker, account)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if err := l.read(data); err != nil {
		return nil, err
	}
	return l, nil
}

var ledgerKeys = map[string]bool{"tid": true, "size": true, "price": true, "cost": true, "dt": true,
	"bs_mktid": true, "fqme": true, "fqsn": true, "etype": true, "expiry": true, "datetime": true, "time": true}

func (l *Ledger) read(data []byte) error {
	var doc map[string]map[string]any
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&doc)
	if err != nil {
		return &LedgerError{File: l.Path, Err: err}
	}
	// Keys lists tables and their keys in file order; a dotted key
	// (tid.size = 1) names its table without a header of its own.
	index := map[string]int{}
	for _, k := range md.Keys() {
		if len(k) > 2 {
			return &LedgerError{File: l.Path, Table: k[0], Field: strings.Join(k[1:], "."), Err: errors.New("nested tables are not part of a ledger")}
		}
		i, ok := index[k[0]]
		if !ok {
			i = len(l.entries)
			index[k[0]] = i
			l.entries = append(l.entries, ledgerEntry{keys: []string{k[0]}, raw: map[string]string{}})
		}
		if len(k) == 2 {
			l.entries[i].keys = append(l.entries[i].keys, k[1])
		}
	}
	for i := range l.entries {
		e := &l.entries[i]
		table := e.keys[0]
		e.keys = e.keys[1:]
		fail := func(field string, err error) error {
			return &LedgerError{File: l.Path, Table: table, Field: field, Err: err}
		}
		vals := doc[table]
		e.tx.TID = table
		rank := 0
		for _, key := range e.keys {
			if !ledgerKeys[key] {
				return fail(key, errors.New("unknown key"))
			}
			v := vals[key]
			text, err := tomlValue(v)
			if err != nil {
				return fail(key, err)
			}
			e.raw[key] = text
			switch key {
			case "size", "price", "cost":
				d, err := decimalValue(v)
				if err != nil {
					return fail(key, err)
				}
				*map[string]*decimal.Decimal{"size": &e.tx.Size, "price": &e.tx.Price, "cost": &e.tx.Cost}[key] = d
			case "dt", "datetime":
				t, err := timeValue(v)
				if err != nil {
					return fail(key, err)
				}
				if r := timeRank[key]; r > rank {
					e.tx.Time, rank = t, r
				}
			case "time":
				d, err := decimalValue(v)
				if err != nil {
					return fail(key, err)
				}
				if r := timeRank[key]; r > rank {
					e.tx.Time, rank = time.Unix(0, d.Shift(9).IntPart()).UTC(), r
				}
			default:
				s, ok := v.(string)
				if key == "tid" {
					if n, isInt := v.(int64); isInt {
						s, ok = strconv.FormatInt(n, 10), true
					}
				}
				if !ok {
					return fail(key, fmt.Errorf("want a string, got %s", text))
				}
				switch key {
				case "tid":
					if s != table {
						return fail(key, fmt.Errorf("tid %q differs from the table key", s))
					}
				case "fqme", "fqsn":
					e.tx.FQME = s
				case "bs_mktid":
					e.tx.BSMktID = s
				case "etype":
					e.tx.Etype = s
				case "expiry":
					e.tx.Expiry = s
				}
			}
		}
		for _, need := range []string{"size", "price"} {
			if _, ok := e.raw[need]; !ok {
				return fail(need, errors.New("missing"))
			}
		}
		if rank == 0 {
			return fail("dt", errors.New("missing (nor datetime or time)"))
		}
		if e.tx.FQME == "" {
			return fail("fqme", errors.New("missing"))
		}
		if e.tx.Size.IsZero() {
			return fail("size", errors.New("is zero"))
		}
	}
	sort.SliceStable(l.entries, func(i, j int) bool { return l.entries[i].tx.Time.Before(l.entries[j].tx.Time) })
	for i, e := range l.entries {
		l.byTID[e.tx.TID] = i
	}
	return nil
}

// timeRank orders the time keys as piker's iter_by_dt does: dt, else
// datetime (ISO-8601), else time (epoch seconds).
var timeRank = map[string]int{"dt": 3, "datetime": 2, "time": 1}

func decimalValue(v any) (decimal.Decimal, error) {
	switch x := v.(type) {
	case int64:
		return decimal.New(x, 0), nil
	case float64:
		return decimal.NewFromFloat(x), nil
	case string:
		d, err := decimal.NewFromString(x)
		if err != nil {
			return decimal.Zero, fmt.Errorf("%q is not a number", x)
		}
		return d, nil
	}
	return decimal.Zero, fmt.Errorf("want a number, got %T", v)
}

// isoLayout is Python's datetime.isoformat with an offset; fractions are
// written with 6 digits for whole microseconds and 9 otherwise.
const isoLayout = "2006-01-02T15:04:05.999999999-07:00"

func timeValue(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		for _, layout := range []string{isoLayout, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not an ISO-8601 time", x)
	}
	return time.Time{}, fmt.Errorf("want an ISO-8601 time, got %T", v)
}

func formatTime(t time.Time) string {
	frac := ""
	if ns := t.Nanosecond(); ns%1000 == 0 && ns != 0 {
		frac = fmt.Sprintf(".%06d", ns/1000)
	} else if ns != 0 {
		frac = fmt.Sprintf(".%09d", ns)
	}
	return t.Format("2006-01-02T15:04:05") + frac + t.Format("-07:00")
}

// tomlValue renders a decoded scalar back to TOML text the way piker's
// writer spells it (Python's float repr).
func tomlValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return tomlQuote(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return pyFloat(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		return tomlQuote(formatTime(x)), nil
	}
	return "", fmt.Errorf("unsupported value of type %T", v)
}

// pyFloat formats f as Python's repr does: shortest digits, fixed notation
// with at least one decimal for exponents in [-4, 16), else scientific.
func pyFloat(f float64) string {
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// numberText spells a decimal for a file: an integer literal for whole
// numbers, a float when float64 holds it exactly, else a string.
func numberText(d decimal.Decimal) string {
	if d.IsInteger() && d.Abs().LessThan(decimal.New(1, 18)) {
		return d.String()
	}
	if f, _ := d.Float64(); decimal.NewFromFloat(f).Equal(d) {
		return pyFloat(f)
	}
	return tomlQuote(d.String())
}

func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func tableKey(k string) string {
	if bareKey.MatchString(k) {
		return k
	}
	return tomlQuote(k)
}

// Len returns the number of transactions.
func (l *Ledger) Len() int { return len(l.entries) }

// Transactions returns the transactions sorted by time.
func (l *Ledger) Transactions() []Transaction {
	out := make([]Transaction, len(l.entries))
	for i, e := range l.entries {
		out[i] = e.tx
	}
	return out
}

// Add records a transaction. Adding one whose tid is already there with the
// same content does nothing; with other content it is an error.
func (l *Ledger) Add(tx Transaction) error {
	if tx.TID == "" {
		return fmt.Errorf("ledger %s: transaction without tid", l.Path)
	}
	if tx.FQME == "" {
		return fmt.Errorf("ledger %s: transaction %s: no fqme", l.Path, tx.TID)
	}
	if tx.Size.IsZero() {
		return fmt.Errorf("ledger %s: transaction %s: size is zero", l.Path, tx.TID)
	}
	if i, ok := l.byTID[tx.TID]; ok {
		if sameTx(l.entries[i].tx, tx) {
			return nil
		}
		return fmt.Errorf("ledger %s: transaction %s already recorded with other values", l.Path, tx.TID)
	}
	if tx.Etype == "" {
		tx.Etype = "clear"
	}
	if tx.BSMktID == "" {
		tx.BSMktID = tx.FQME
	}
	e := ledgerEntry{tx: tx, keys: []string{"fqme", "tid", "size", "price", "cost", "dt", "etype", "expiry", "bs_mktid"},
		raw: map[string]string{"fqme": tomlQuote(tx.FQME), "tid": tomlQuote(tx.TID), "size": numberText(tx.Size),
			"price": numberText(tx.Price), "cost": numberText(tx.Cost), "dt": tomlQuote(formatTime(tx.Time)),
			"etype": tomlQuote(tx.Etype), "expiry": tomlQuote(tx.Expiry), "bs_mktid": tomlQuote(tx.BSMktID)}}
	i := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].tx.Time.After(tx.Time) })
	l.entries = append(l.entries, ledgerEntry{})
	copy(l.entries[i+1:], l.entries[i:])
	l.entries[i] = e
	for j := i; j < len(l.entries); j++ {
		l.byTID[l.entries[j].tx.TID] = j
	}
	return nil
}

func sameTx(a, b Transaction) bool {
	norm := func(t Transaction) Transaction {
		if t.Etype == "" {
			t.Etype = "clear"
		}
		if t.BSMktID == "" {
			t.BSMktID = t.FQME
		}
		return t
	}
	a, b = norm(a), norm(b)
	return a.TID == b.TID && a.FQME == b.FQME && a.Time.Equal(b.Time) && a.Size.Equal(b.Size) &&
		a.Price.Equal(b.Price) && a.Cost.Equal(b.Cost) && a.BSMktID == b.BSMktID && a.Etype == b.Etype && a.Expiry == b.Expiry
}

// WriteTo writes the ledger's TOML.
func (l *Ledger) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	for i, e := range l.entries {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "[%s]\n", tableKey(e.tx.TID))
		for _, k := range e.keys {
			fmt.Fprintf(&b, "%s = %s\n", k, e.raw[k])
		}
	}
	return b.WriteTo(w)
}

// Save writes the ledger to its Path atomically.
func (l *Ledger) Save() error {
	if err := atomicfile.Write(l.Path, 0o644, func(w io.Writer) error { _, err := l.WriteTo(w); return err }); err != nil {
		return fmt.Errorf("ledger %s: %w", l.Path, err)
	}
	return nil
}

// Positions replays the ledger in time order into one position per market,
// keyed by lower-case fqme, flat ones included. markets gives known markets
// (ticks, asset types); others are parsed from the fqme.
func (l *Ledger) Positions(markets []mkt.MktPair) (map[string]*Position, error) {
	a, err := AccountFromLedger(l, decimal.Zero, markets)
	if err != nil {
		return nil, err
	}
	return a.pos, nil
}
