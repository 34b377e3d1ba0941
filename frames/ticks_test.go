package frames

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

var tickDay = time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC).UnixNano() // a Saturday

func sampleTrades() *Ticks {
	t := &Ticks{}
	base := tickDay - 2*int64(time.Second) // 23:59:58 on the 8th
	for i := int64(0); i < 6; i++ {
		t.Add(base+i*700*int64(time.Millisecond), 100+float64(i)*0.5, 0.25*float64(i+1), int8(1+i%2), 1000+i)
	}
	return t
}

func TestTicksRoundTripAcrossADay(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	in := sampleTrades()
	rep, err := s.AppendTrades("btcusdt.spot.binance", in)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (TickReport{Added: 6, Days: 2}) {
		t.Errorf("report %+v", rep)
	}
	for _, day := range []string{"2024-03-08", "2024-03-09"} {
		if _, err := os.Stat(filepath.Join(s.Dir(), "ticks", "btcusdt.spot.binance", day+".trades.parquet")); err != nil {
			t.Errorf("day file: %v", err)
		}
	}
	got, err := s.ReadTrades("btcusdt.spot.binance", tickDay-int64(time.Hour), tickDay+int64(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("read back %+v\nwant %+v", got, in)
	}
	// Half-open range across the midnight: [23:59:58.7, 00:00:00.8).
	got, err = s.ReadTrades("btcusdt.spot.binance", in.Time[1], in.Time[4])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.ID, []int64{1001, 1002, 1003}) {
		t.Errorf("range read ids %v", got.ID)
	}
	if got, _ := s.ReadTrades("ethusdt.spot.binance", 0, 1<<62); got.Len() != 0 {
		t.Errorf("a market without ticks read %d trades", got.Len())
	}
	// The bar series listing is not disturbed by the ticks folder.
	if l, err := s.List(); err != nil || len(l) != 0 {
		t.Errorf("List: %v %v", l, err)
	}
}

// Appending what the store has, in any order and mixed with new trades,
// adds only the new ones; a repeated id is one trade even within a batch.
func TestTicksAppendDeduplicatesByID(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	const fq = "btcusdt.spot.kraken"
	in := sampleTrades()
	if _, err := s.AppendTrades(fq, in); err != nil {
		t.Fatal(err)
	}
	path := s.TicksPath(fq, "trades", in.Time[0])
	before, _ := os.Stat(path)
	again := &Ticks{}
	for i := in.Len() - 1; i >= 0; i-- {
		again.Add(in.Time[i], in.Price[i], in.Size[i], in.Side[i], in.ID[i])
	}
	rep, err := s.AppendTrades(fq, again)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (TickReport{Duplicates: 6}) {
		t.Errorf("re-append: %+v", rep)
	}
	if after, _ := os.Stat(path); !after.ModTime().Equal(before.ModTime()) {
		t.Error("a re-append with nothing new rewrote the day file")
	}
	more := &Ticks{}
	last := in.Len() - 1
	more.Add(in.Time[last], in.Price[last], in.Size[last], in.Side[last], in.ID[last]) // have it
	more.Add(in.Time[last], 200, 1, 2, 1006)                                           // same instant, new id
	more.Add(in.Time[last]+1, 201, 1, 1, 1007)
	more.Add(in.Time[last]+1, 201, 1, 1, 1007) // twice in the batch
	more.Add(in.Time[0]+3, 150, 1, 1, 1001)    // an id the store has, at another time
	// Trades without ids: the identical one is dropped, the other kept.
	more.Add(in.Time[last]+5, 300, 1, 0, 0)
	more.Add(in.Time[last]+5, 300, 1, 0, 0)
	more.Add(in.Time[last]+5, 300, 2, 0, 0)
	rep, err = s.AppendTrades(fq, more)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (TickReport{Added: 4, Duplicates: 4, Days: 1}) {
		t.Errorf("mixed append: %+v", rep)
	}
	got, _ := s.ReadTrades(fq, 0, 1<<62)
	if want := []int64{1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 0, 0}; !reflect.DeepEqual(got.ID, want) {
		t.Errorf("ids %v, want %v", got.ID, want)
	}
}

// Appenders racing on one day keep every trade (the day's lock).
func TestTicksConcurrentAppends(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				b := &Ticks{}
				id := int64(g*100 + k*10)
				for i := int64(0); i < 10; i++ {
					b.Add(tickDay+(id+i)*int64(time.Millisecond), 10, 1, 1, id+i+1)
				}
				if _, err := s.AppendTrades("x.spot.test", b); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	got, _ := s.ReadTrades("x.spot.test", 0, 1<<62)
	if got.Len() != 200 {
		t.Errorf("%d trades kept of 200", got.Len())
	}
}

func TestQuotesRoundTrip(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	q := &Quotes{}
	q.Add(tickDay+5, 99.5, 100.5, 2, 3)
	q.Add(tickDay+1, 99, 100, 1, 1)
	q.Add(tickDay+5, 99.5, 100.5, 2, 3) // duplicate
	q.Add(tickDay+5, 99.5, 100.5, 2, 4)
	rep, err := s.AppendQuotes("x.spot.test", q)
	if err != nil || rep != (TickReport{Added: 3, Duplicates: 1, Days: 1}) {
		t.Fatalf("%+v %v", rep, err)
	}
	got, err := s.ReadQuotes("x.spot.test", tickDay, tickDay+10)
	if err != nil {
		t.Fatal(err)
	}
	want := &Quotes{Time: []int64{tickDay + 1, tickDay + 5, tickDay + 5}, Bid: []float64{99, 99.5, 99.5},
		Ask: []float64{100, 100.5, 100.5}, BidSize: []float64{1, 2, 2}, AskSize: []float64{1, 3, 4}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%+v", got)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "ticks", "x.spot.test", "2024-03-09.quotes.parquet")); err != nil {
		t.Error(err)
	}
}

// The day file is a plain parquet table: read with parquet-go's untyped row
// reader (no struct of ours), its columns are INT64 time_ns, DOUBLE price
// and size, INT32 side and INT64 id, holding the trades.
func TestTicksFileIsPlainParquet(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	in := sampleTrades()
	if _, err := s.AppendTrades("btcusdt.spot.binance", in); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(s.TicksPath("btcusdt.spot.binance", "trades", tickDay))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	f, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range f.Schema().Columns() {
		leaf, _ := f.Schema().Lookup(c...)
		names = append(names, strings.Join(c, ".")+":"+leaf.Node.Type().Kind().String())
	}
	if got := strings.Join(names, " "); got != "time_ns:INT64 price:DOUBLE size:DOUBLE side:INT32 id:INT64" {
		t.Fatalf("columns %s", got)
	}
	r := parquet.NewReader(f)
	rows := make([]parquet.Row, 10)
	n, _ := r.ReadRows(rows)
	if n != 3 { // 00:00:00.1 onwards: trades 3..5
		t.Fatalf("%d rows in the day file, want 3", n)
	}
	for i, row := range rows[:n] {
		k := i + 3
		if row[0].Int64() != in.Time[k] || row[1].Double() != in.Price[k] || row[2].Double() != in.Size[k] ||
			row[3].Int32() != int32(in.Side[k]) || row[4].Int64() != in.ID[k] {
			t.Errorf("row %d: %v", i, row)
		}
	}
}

func TestTicksBadInputAndForeignFiles(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	for _, c := range []struct {
		mod  func(*Ticks)
		want string
	}{
		{func(x *Ticks) { x.Price[3] = -1 }, "row 3: price -1"},
		{func(x *Ticks) { x.Side[2] = 7 }, "row 2: side 7"},
		{func(x *Ticks) { x.ID = x.ID[:2] }, "unequal length"},
	} {
		in := sampleTrades()
		c.mod(in)
		if _, err := s.AppendTrades("x.spot.test", in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err %v, want %q", err, c.want)
		}
	}
	if got, _ := s.ReadTrades("x.spot.test", 0, 1<<62); got.Len() != 0 {
		t.Errorf("refused batch wrote %d trades", got.Len())
	}
	if _, err := s.AppendTrades("../x", sampleTrades()); err == nil {
		t.Error("a market name with a path accepted")
	}
	// A file in the right place with another table: named, not read as zeros.
	path := s.TicksPath("y.spot.test", "trades", tickDay)
	os.MkdirAll(filepath.Dir(path), 0o755)
	type other struct {
		Time  int64   `parquet:"time_ns"`
		Price float64 `parquet:"price"`
	}
	fh, _ := os.Create(path)
	if err := parquet.Write(fh, []other{{tickDay, 1}}); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	if _, err := s.ReadTrades("y.spot.test", 0, 1<<62); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "size") {
		t.Errorf("foreign file: %v", err)
	}
}
