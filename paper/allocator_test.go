package paper

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"workbench/mkt"
)

// piker-notes §7.11 example 6 (currency limit 6000, 6 slots, size tick 0.01),
// with slots used counted on the position after the order.
func TestAllocatorPikerExample(t *testing.T) {
	m, _ := mkt.ParseFQME("btcusdt.spot.binance")
	m.SizeTick = dec("0.01")
	a := Allocator{Mkt: m, CurrencyLimit: dec("6000"), Slots: 6}
	z := decimal.Zero
	cases := []struct {
		side             Side
		price, live, avg string
		size, fiat       string
		used             int
		closeAll         bool
	}{
		{Buy, "100", "0", "0", "10", "1000", 1, false},
		{Buy, "100", "55", "100", "5", "500", 6, false},    // only the room left
		{Sell, "100", "55", "100", "10", "1000", 5, false}, // one slot at the entry price
		{Sell, "100", "12", "100", "12", "1200", 0, true},  // less than half a step would be left
		{Buy, "120", "60", "100", "0", "0", 6, false},      // full
		{Sell, "100", "0", "0", "10", "1000", 1, false},    // open a short
	}
	for _, c := range cases {
		got, err := a.Next(c.side, dec(c.price), dec(c.live), dec(c.avg), z)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Size.Equal(dec(c.size)) || !got.FiatSize.Equal(dec(c.fiat)) || got.SlotsUsed != c.used || got.CloseAll != c.closeAll {
			t.Errorf("%v @%s live %s: %+v, want size %s fiat %s used %d close %v", c.side, c.price, c.live, got, c.size, c.fiat, c.used, c.closeAll)
		}
	}
}

func TestAllocatorUnits(t *testing.T) {
	m, _ := mkt.ParseFQME("mnq.cme.20230616.ib")
	m.SizeTick = dec("1")
	a := Allocator{Mkt: m, Units: true, UnitsLimit: dec("10"), Slots: 3}
	got, err := a.Next(Buy, dec("13000"), dec("0"), dec("0"), decimal.Zero)
	if err != nil || !got.Size.Equal(dec("3")) || got.SlotsUsed != 1 {
		t.Errorf("entry: %+v %v, want 3 (10/3 rounded down, never over the limit)", got, err)
	}
	got, _ = a.Next(Buy, dec("13000"), dec("9"), dec("13000"), decimal.Zero)
	if !got.Size.Equal(dec("1")) || got.SlotsUsed != 3 {
		t.Errorf("last room: %+v", got)
	}
	// exits sized from the larger of the startup and live sizes
	got, _ = a.Next(Sell, dec("13000"), dec("6"), dec("13000"), dec("9"))
	if !got.Size.Equal(dec("3")) || got.CloseAll {
		t.Errorf("exit: %+v", got)
	}
	for _, bad := range []Allocator{{Mkt: m, Units: true, UnitsLimit: dec("10")}, {Mkt: m, Units: true, Slots: 2}} {
		if _, err := bad.Next(Buy, dec("1"), decimal.Zero, decimal.Zero, decimal.Zero); err == nil || !strings.Contains(err.Error(), "mnq.cme.20230616.ib") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := a.Next(Buy, dec("0"), decimal.Zero, decimal.Zero, decimal.Zero); err == nil {
		t.Error("zero price accepted")
	}
}

func ExampleAllocator_NextFor() {
	m, _ := mkt.ParseFQME("btcusdt.spot.binance")
	m.SizeTick = decimal.New(1, -5)
	alloc := Allocator{Mkt: m, CurrencyLimit: decimal.NewFromInt(10000), Slots: 4}
	pos := NewPosition(m)
	price := decimal.NewFromInt(60000)
	for i := 0; i < 5; i++ {
		o, _ := alloc.NextFor(Buy, price, pos, decimal.Zero)
		fmt.Println(o.Size, o.FiatSize, o.SlotsUsed)
		if o.Size.IsZero() {
			break
		}
		_ = pos.Apply(Transaction{TID: fmt.Sprint(i), Size: o.Size, Price: price})
	}
	// Output:
	// 0.04166 2499.6 1
	// 0.04166 2499.6 2
	// 0.04166 2499.6 3
	// 0.04166 2499.6 4
	// 0.00002 1.2 4
}
