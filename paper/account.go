package paper

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/shopspring/decimal"

	"workbench/internal/atomicfile"
	"workbench/mkt"
)

// Account is one cash balance and the positions it holds, in decimal.
// Buying s at p with fee f takes s×p + f from cash; selling adds s×p − f.
type Account struct {
	Broker, Name string
	Initial      decimal.Decimal // cash at the start
	Cash         decimal.Decimal

	markets map[string]mkt.MktPair
	pos     map[string]*Position
}

// NewAccount returns an account holding cash and no positions.
func NewAccount(broker, name string, cash decimal.Decimal) *Account {
	return &Account{Broker: broker, Name: name, Initial: cash, Cash: cash,
		markets: map[string]mkt.MktPair{}, pos: map[string]*Position{}}
}

// AddMarket tells the account a market's ticks and asset types, used for
// positions opened after it and written to the account file.
func (a *Account) AddMarket(m mkt.MktPair) {
	fq := m.FQME()
	a.markets[fq] = m
	if p := a.pos[fq]; p != nil {
		p.Mkt = m
	}
}

// Apply books a transaction into its position and the cash balance; on
// error nothing changes.
func (a *Account) Apply(tx Transaction) error {
	fq := strings.ToLower(tx.FQME)
	p := a.pos[fq]
	if p == nil {
		m, ok := a.markets[fq]
		if !ok {
			var err error
			if m, err = mkt.ParseFQME(tx.FQME); err != nil {
				return fmt.Errorf("account %s.%s: transaction %s: %w", a.Broker, a.Name, tx.TID, err)
			}
			m.BSMktID = tx.BSMktID
		}
		p = NewPosition(m)
	}
	if err := p.Apply(tx); err != nil {
		return fmt.Errorf("account %s.%s: %w", a.Broker, a.Name, err)
	}
	a.pos[fq] = p
	a.Cash = a.Cash.Sub(tx.Size.Mul(tx.Price)).Sub(tx.Cost)
	return nil
}

// Position returns the position in a market, or nil if it never traded.
func (a *Account) Position(fqme string) *Position { return a.pos[strings.ToLower(fqme)] }

// Positions returns the open positions sorted by fqme.
func (a *Account) Positions() []*Position {
	var out []*Position
	for _, p := range a.pos {
		if !p.IsFlat() {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FQME() < out[j].FQME() })
	return out
}

// Realized returns the PnL realized in all markets, before fees.
func (a *Account) Realized() decimal.Decimal {
	sum := decimal.Zero
	for _, p := range a.pos {
		sum = sum.Add(p.Realized())
	}
	return sum
}

// Fees returns the fees paid in all markets.
func (a *Account) Fees() decimal.Decimal {
	sum := decimal.Zero
	for _, p := range a.pos {
		sum = sum.Add(p.Fees())
	}
	return sum
}

// Unrealized returns the open positions' PnL at the given marks (by fqme);
// every open position needs a mark.
func (a *Account) Unrealized(marks map[string]decimal.Decimal) (decimal.Decimal, error) {
	sum := decimal.Zero
	for _, p := range a.Positions() {
		m, ok := marks[p.FQME()]
		if !ok {
			return decimal.Zero, fmt.Errorf("account %s.%s: no mark for open position %s", a.Broker, a.Name, p.FQME())
		}
		sum = sum.Add(p.Unrealized(m))
	}
	return sum, nil
}

// Equity returns cash plus the open positions valued at the marks (by fqme);
// it equals Initial + Realized − Fees + Unrealized.
func (a *Account) Equity(marks map[string]decimal.Decimal) (decimal.Decimal, error) {
	eq := a.Cash
	for _, p := range a.Positions() {
		m, ok := marks[p.FQME()]
		if !ok {
			return decimal.Zero, fmt.Errorf("account %s.%s: no mark for open position %s", a.Broker, a.Name, p.FQME())
		}
		eq = eq.Add(p.Size().Mul(m))
	}
	return eq, nil
}

// AccountFromLedger replays a ledger into a new account holding cash at the start.
func AccountFromLedger(l *Ledger, cash decimal.Decimal, markets []mkt.MktPair) (*Account, error) {
	a := NewAccount(l.Broker, l.Account, cash)
	for _, m := range markets {
		a.AddMarket(m)
	}
	for _, tx := range l.Transactions() {
		if err := a.Apply(tx); err != nil {
			return nil, &LedgerError{File: l.Path, Table: tx.TID, Err: err}
		}
	}
	return a, nil
}

// WriteTo writes the account file in piker's layout (§7.8 of the piker
// notes): one table per open position keyed by fqme with bs_mktid,
// asset_type, price_tick, size_tick, expiry (dated contracts only) and the
// clears since the position last opened. ppu is our average entry price
// (piker's includes fees); for a clear that crossed zero, cumsize is the
// residual it opened.
func (a *Account) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	for i, p := range a.Positions() {
		if i > 0 {
			b.WriteByte('\n')
		}
		m := p.Mkt
		bs := m.BSMktID
		if bs == "" {
			bs = p.FQME()
		}
		fmt.Fprintf(&b, "[%s]\nbs_mktid = %s\nasset_type = %s\nprice_tick = %s\nsize_tick = %s\n",
			tomlQuote(p.FQME()), tomlQuote(bs), tomlQuote(m.TypeKey()), numberText(m.PriceTick), numberText(m.SizeTick))
		if m.Expiry != "" && m.Expiry != "perp" {
			fmt.Fprintf(&b, "expiry = %s\n", tomlQuote(m.Expiry))
		}
		b.WriteString("clears = [\n")
		for _, c := range p.Clears() {
			b.WriteString("{ ")
			if !c.AvgPrice.IsZero() {
				fmt.Fprintf(&b, "ppu = %s, ", numberText(c.AvgPrice))
			}
			fmt.Fprintf(&b, "cumsize = %s, price = %s, size = %s, cost = %s, dt = %s, tid = %s },\n",
				numberText(c.CumSize), numberText(c.Price), numberText(c.Size), numberText(c.Cost),
				tomlQuote(formatTime(c.Time)), tomlQuote(c.TID))
		}
		b.WriteString("]\n")
	}
	return b.WriteTo(w)
}

// SaveFile writes the account file atomically; with nothing open it is empty.
func (a *Account) SaveFile(path string) error {
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { _, err := a.WriteTo(w); return err }); err != nil {
		return fmt.Errorf("account %s: %w", path, err)
	}
	return nil
}

// LoadAccountFile reads an account file into an account with zero cash
// whose positions hold the stored clears. Broker and name come from an
// account.<broker>.<name>.toml file name; a missing file is an empty account.
// Legacy keys bsuid, price_tick_size and lot_tick_size are accepted.
func LoadAccountFile(path string) (*Account, error) {
	broker, name := "", ""
	if base := strings.TrimSuffix(filepath.Base(path), ".toml"); strings.HasPrefix(base, "account.") {
		broker, name, _ = strings.Cut(strings.TrimPrefix(base, "account."), ".")
	}
	a := NewAccount(broker, name, decimal.Zero)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	return readAccount(a, path, data)
}

func readAccount(a *Account, path string, data []byte) (*Account, error) {
	var doc map[string]map[string]any
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return nil, &LedgerError{File: path, Err: err}
	}
	fqmes := make([]string, 0, len(doc))
	for fq := range doc {
		fqmes = append(fqmes, fq)
	}
	sort.Strings(fqmes)
	for _, fq := range fqmes {
		p, err := loadAccountTable(fq, doc[fq])
		if err != nil {
			var le *LedgerError
			if errors.As(err, &le) {
				le.File = path
				return nil, le
			}
			return nil, &LedgerError{File: path, Table: fq, Err: err}
		}
		a.markets[p.FQME()] = p.Mkt
		a.pos[p.FQME()] = p
	}
	return a, nil
}

func loadAccountTable(fq string, t map[string]any) (*Position, error) {
	fail := func(field string, err error) error { return &LedgerError{Table: fq, Field: field, Err: err} }
	m, err := mkt.ParseFQME(fq)
	if err != nil {
		return nil, fail("", err)
	}
	str := func(keys ...string) (string, error) {
		for _, k := range keys {
			if v, ok := t[k]; ok {
				s, ok := v.(string)
				if !ok {
					return "", fail(k, fmt.Errorf("want a string, got %T", v))
				}
				return s, nil
			}
		}
		return "", nil
	}
	num := func(def string, keys ...string) (decimal.Decimal, error) {
		for _, k := range keys {
			if v, ok := t[k]; ok {
				d, err := decimalValue(v)
				if err != nil {
					return d, fail(k, err)
				}
				return d, nil
			}
		}
		return decimal.RequireFromString(def), nil
	}
	if m.BSMktID, err = str("bs_mktid", "bsuid"); err != nil {
		return nil, err
	}
	if m.Dst.AType, err = str("asset_type"); err != nil {
		return nil, err
	}
	if exp, err := str("expiry"); err != nil {
		return nil, err
	} else if exp != "" {
		m.Expiry = exp
	}
	if m.PriceTick, err = num("0.01", "price_tick", "price_tick_size"); err != nil {
		return nil, err
	}
	if m.SizeTick, err = num("0", "size_tick", "lot_tick_size"); err != nil {
		return nil, err
	}
	p := NewPosition(m)
	list, ok := t["clears"].([]any)
	if !ok {
		if tables, isTables := t["clears"].([]map[string]any); isTables {
			for _, c := range tables {
				list = append(list, c)
			}
		} else {
			return nil, fail("clears", fmt.Errorf("want an array of tables, got %T", t["clears"]))
		}
	}
	raw := make([]map[string]any, len(list))
	for i, v := range list {
		if raw[i], ok = v.(map[string]any); !ok {
			return nil, fail(fmt.Sprintf("clears[%d]", i), fmt.Errorf("want a table, got %T", v))
		}
	}
	for i, c := range raw {
		field := func(k string) string { return fmt.Sprintf("clears[%d].%s", i, k) }
		var tx Transaction
		tx.FQME = fq
		tx.BSMktID = m.BSMktID
		tid, ok := c["tid"].(string)
		if !ok {
			return nil, fail(field("tid"), errors.New("missing or not a string"))
		}
		tx.TID = tid
		var cum decimal.Decimal
		for k, dst := range map[string]*decimal.Decimal{"size": &tx.Size, "price": &tx.Price, "cost": &tx.Cost, "cumsize": &cum} {
			v, ok := c[k]
			if !ok {
				if k == "cost" || k == "cumsize" {
					continue // piker omits zero values
				}
				return nil, fail(field(k), errors.New("missing"))
			}
			if *dst, err = decimalValue(v); err != nil {
				return nil, fail(field(k), err)
			}
		}
		if tx.Time, err = timeValue(c["dt"]); err != nil {
			return nil, fail(field("dt"), err)
		}
		if i == 0 && cum.Sign() == tx.Size.Sign() && cum.Abs().LessThan(tx.Size.Abs()) {
			err = p.restoreFlip(tx, cum)
		} else {
			err = p.Apply(tx)
		}
		if err != nil {
			return nil, fail(field("size"), err)
		}
		if !p.Size().Equal(cum) {
			return nil, fail(field("cumsize"), fmt.Errorf("%s, but the clears sum to %s", cum, p.Size()))
		}
	}
	if p.IsFlat() {
		return nil, fail("clears", errors.New("position is flat; an account file holds open positions only"))
	}
	return p, nil
}

// restoreFlip opens a position from a stored fill that crossed zero: only
// its residual cum (same sign as the fill, smaller) is open, with the
// pro-rata share of its fee.
func (p *Position) restoreFlip(tx Transaction, cum decimal.Decimal) error {
	if err := p.check(tx); err != nil {
		return err
	}
	openFee := tx.Cost.Sub(tx.Cost.Mul(tx.Size.Sub(cum).Abs()).DivRound(tx.Size.Abs(), divPrecision))
	p.size, p.basis = cum, cum.Mul(tx.Price)
	p.fees, p.oFees = p.fees.Add(openFee), openFee
	p.oReal = decimal.Zero
	p.last = tx.Time
	p.clears = append(p.clears[:0], Clear{Transaction: tx, CumSize: cum, AvgPrice: p.AvgPrice()})
	return nil
}
