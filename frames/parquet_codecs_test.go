package frames

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/brotli"
	"github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/lz4"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"workbench/internal/oracle"
)

// Row shapes written with parquet-go, an independent writer: required and
// optional columns, PLAIN, dictionary, DELTA_BINARY_PACKED and
// BYTE_STREAM_SPLIT encodings.
type (
	reqPlain struct {
		Time   int64   `parquet:"time"`
		Open   float64 `parquet:"open"`
		High   float64 `parquet:"high"`
		Low    float64 `parquet:"low"`
		Close  float64 `parquet:"close"`
		Volume float64 `parquet:"volume"`
	}
	reqDict struct {
		Time   int64   `parquet:"time,dict"`
		Open   float64 `parquet:"open,dict"`
		High   float64 `parquet:"high,dict"`
		Low    float64 `parquet:"low,dict"`
		Close  float64 `parquet:"close,dict"`
		Volume float64 `parquet:"volume,dict"`
	}
	reqDeltaSplit struct {
		Time   int64   `parquet:"time,delta"`
		Open   float64 `parquet:"open,split"`
		High   float64 `parquet:"high,split"`
		Low    float64 `parquet:"low,split"`
		Close  float64 `parquet:"close,split"`
		Volume float64 `parquet:"volume,split"`
	}
	optPlain struct {
		Time   *int64   `parquet:"time,optional"`
		Open   *float64 `parquet:"open,optional"`
		High   *float64 `parquet:"high,optional"`
		Low    *float64 `parquet:"low,optional"`
		Close  *float64 `parquet:"close,optional"`
		Volume *float64 `parquet:"volume,optional"`
	}
	optDict struct {
		Time   *int64   `parquet:"time,optional,dict"`
		Open   *float64 `parquet:"open,optional,dict"`
		High   *float64 `parquet:"high,optional,dict"`
		Low    *float64 `parquet:"low,optional,dict"`
		Close  *float64 `parquet:"close,optional,dict"`
		Volume *float64 `parquet:"volume,optional,dict"`
	}
)

// codecBars is a 2024 minute series with gaps, cent prices that repeat
// (so dictionaries are used) and values that must keep their bits.
func codecBars(n int) *OHLCV {
	f := New(60, n)
	t := int64(1_704_067_200)
	p := 42000.0
	for i := 0; i < n; i++ {
		t += 60
		if i%211 == 0 {
			t += 3600
		}
		p += float64((i*7919)%21-10) / 100
		o, h, l, c, v := p, p+0.5, p-0.25, p+0.01, float64(i%13)*0.001
		switch i % 389 {
		case 5:
			c = math.NaN()
		case 6:
			h = math.Inf(1)
		case 7:
			v = math.Copysign(0, -1)
		}
		f.Add(t, o, h, l, c, v)
	}
	return f
}

func ptr[T any](v T) *T { return &v }

// rowsAs converts bars into rows of a parquet-go struct shape.
func rowsAs[T any](f *OHLCV) []T {
	rows := make([]T, f.Len())
	for i := range rows {
		var r any = &rows[i]
		switch r := r.(type) {
		case *reqPlain:
			*r = reqPlain{f.Time[i], f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i]}
		case *reqDict:
			*r = reqDict{f.Time[i], f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i]}
		case *reqDeltaSplit:
			*r = reqDeltaSplit{f.Time[i], f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i]}
		case *optPlain:
			*r = optPlain{ptr(f.Time[i]), ptr(f.Open[i]), ptr(f.High[i]), ptr(f.Low[i]), ptr(f.Close[i]), ptr(f.Volume[i])}
		case *optDict:
			*r = optDict{ptr(f.Time[i]), ptr(f.Open[i]), ptr(f.High[i]), ptr(f.Low[i]), ptr(f.Close[i]), ptr(f.Volume[i])}
		}
	}
	return rows
}

// writeWith writes rows with parquet-go in small pages and row groups, so
// that every file has many pages and several row groups.
func writeWith[T any](t testing.TB, rows []T, codec compress.Codec, pageVersion int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, parquet.Compression(codec), parquet.DataPageVersion(pageVersion),
		parquet.PageBufferSize(2048), parquet.MaxRowsPerRowGroup(1500))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var testCodecs = []compress.Codec{&uncompressed.Codec{}, &snappy.Codec{}, &gzip.Codec{}, &zstd.Codec{}, &lz4.Codec{}, &brotli.Codec{}}

// firstPages reads, with parquet-go's thrift decoder, the type and codec of
// the first page of every column chunk, to check a test file has the layout
// the test means it to have.
func firstPages(t *testing.T, b []byte) (types map[format.PageType]bool, codecs map[format.CompressionCodec]bool, encodings map[format.Encoding]bool) {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	types, codecs, encodings = map[format.PageType]bool{}, map[format.CompressionCodec]bool{}, map[format.Encoding]bool{}
	for _, rg := range pf.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			md := cc.MetaData
			codecs[md.Codec] = true
			for _, e := range md.Encoding {
				encodings[e] = true
			}
			off := md.DataPageOffset
			var h format.PageHeader
			if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(bytes.NewReader(b[off:]))).Decode(&h); err != nil {
				t.Fatal(err)
			}
			types[h.Type] = true
		}
	}
	return types, codecs, encodings
}

// TestReadParquetEveryCodecAndPageVersion reads files parquet-go wrote in
// every codec, both data page versions, required and optional columns and
// each value encoding, and checks the bars bit for bit against the ones
// written. LZ4_RAW read as garbage before our own page path.
func TestReadParquetEveryCodecAndPageVersion(t *testing.T) {
	want := codecBars(4000)
	shapes := []struct {
		name  string
		rows  func(codec compress.Codec, v int) []byte
		enc   format.Encoding
		isOpt bool
	}{
		{"required/plain", func(c compress.Codec, v int) []byte { return writeWith(t, rowsAs[reqPlain](want), c, v) }, format.Plain, false},
		{"required/dict", func(c compress.Codec, v int) []byte { return writeWith(t, rowsAs[reqDict](want), c, v) }, format.RLEDictionary, false},
		{"required/delta+split", func(c compress.Codec, v int) []byte { return writeWith(t, rowsAs[reqDeltaSplit](want), c, v) }, format.ByteStreamSplit, false},
		{"optional/plain", func(c compress.Codec, v int) []byte { return writeWith(t, rowsAs[optPlain](want), c, v) }, format.Plain, true},
		{"optional/dict", func(c compress.Codec, v int) []byte { return writeWith(t, rowsAs[optDict](want), c, v) }, format.RLEDictionary, true},
	}
	for _, codec := range testCodecs {
		for _, v := range []int{1, 2} {
			for _, sh := range shapes {
				t.Run(fmt.Sprintf("%s/v%d/%s", codec, v, sh.name), func(t *testing.T) {
					b := sh.rows(codec, v)
					types, codecs, encs := firstPages(t, b)
					wantType := map[int]format.PageType{1: format.DataPage, 2: format.DataPageV2}[v]
					if !types[wantType] || !codecs[codec.CompressionCodec()] || !encs[sh.enc] {
						t.Fatalf("test file has pages %v, codecs %v, encodings %v", types, codecs, encs)
					}
					got, err := ReadParquet(bytes.NewReader(b), int64(len(b)))
					if err != nil {
						t.Fatal(err)
					}
					if d := sameBits(got, want); d != "" {
						t.Fatal(d)
					}
					part, err := ReadParquetRange(bytes.NewReader(b), int64(len(b)), want.Time[1700], want.Time[2900])
					if err != nil {
						t.Fatal(err)
					}
					if d := sameBits(part, want.Rows(1700, 2900)); d != "" {
						t.Fatalf("range read: %s", d)
					}
				})
			}
		}
	}
}

// dataPageBodies finds, with parquet-go's thrift decoder, where the body of
// each data page of the named column lies in the file.
func dataPageBodies(t *testing.T, b []byte, column string) [][2]int {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]int
	for _, rg := range pf.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			md := cc.MetaData
			if md.PathInSchema[0] != column {
				continue
			}
			off := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < off {
				off = md.DictionaryPageOffset
			}
			end := off + md.TotalCompressedSize
			for off < end {
				r := bytes.NewReader(b[off:end])
				var h format.PageHeader
				if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(r)).Decode(&h); err != nil {
					t.Fatal(err)
				}
				start := int(end) - r.Len()
				if h.Type == format.DataPage || h.Type == format.DataPageV2 {
					out = append(out, [2]int{start, start + int(h.CompressedPageSize)})
				}
				off = int64(start) + int64(h.CompressedPageSize)
			}
		}
	}
	return out
}

// TestReadParquetDamagedPageFails flips one byte in the middle of a data
// page, in files from parquet-go (which writes page checksums) in every
// codec and from our own writer: the read must fail, naming the checksum,
// never return changed bars.
func TestReadParquetDamagedPageFails(t *testing.T) {
	bars := codecBars(3000)
	files := map[string][]byte{}
	for _, codec := range testCodecs {
		for _, v := range []int{1, 2} {
			files[fmt.Sprintf("parquet-go %s v%d", codec, v)] = writeWith(t, rowsAs[reqPlain](bars), codec, v)
		}
	}
	var ours bytes.Buffer
	if err := WriteParquet(&ours, bars); err != nil {
		t.Fatal(err)
	}
	files["ours"] = ours.Bytes()
	for name, good := range files {
		pages := dataPageBodies(t, good, "close")
		if len(pages) == 0 {
			t.Fatalf("%s: no data pages found", name)
		}
		for _, pg := range []int{0, len(pages) - 1} {
			b := bytes.Clone(good)
			b[(pages[pg][0]+pages[pg][1])/2] ^= 0x20
			f, err := ReadParquet(bytes.NewReader(b), int64(len(b)))
			if err == nil {
				t.Fatalf("%s, page %d damaged: read %d bars without error", name, pg, f.Len())
			}
			if !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), `"close"`) {
				t.Errorf("%s: error %q does not name the column and the checksum", name, err)
			}
		}
	}
}

// rewriteFooter re-encodes a file's footer after edit changes it.
func rewriteFooter(t *testing.T, b []byte, edit func(*format.FileMetaData)) []byte {
	t.Helper()
	meta, err := readFooter(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	edit(meta)
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), meta)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(b[:len(b)-8-n]), footer...)
	out = append(out, byte(len(footer)), byte(len(footer)>>8), byte(len(footer)>>16), byte(len(footer)>>24))
	return append(out, "PAR1"...)
}

// allocatedBy is how many bytes fn allocates.
func allocatedBy(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestReadParquetLyingFooterDoesNotAllocate: footers claiming far more rows
// or elements than the file holds fail with an error, having allocated
// about what the file is, not what it claims (831 M rows killed the process).
func TestReadParquetLyingFooterDoesNotAllocate(t *testing.T) {
	good := oursBytes(t, 1440)
	cases := map[string][]byte{
		"row group claims 831M rows": rewriteFooter(t, good, func(m *format.FileMetaData) {
			m.NumRows = 831_000_000
			m.RowGroups[0].NumRows = 831_000_000
			for i := range m.RowGroups[0].Columns {
				m.RowGroups[0].Columns[i].MetaData.NumValues = 831_000_000
			}
		}),
		"column claims more values than its rows": rewriteFooter(t, good, func(m *format.FileMetaData) {
			m.RowGroups[0].Columns[3].MetaData.NumValues = 1 << 30
		}),
		"chunk reaches past the file": rewriteFooter(t, good, func(m *format.FileMetaData) {
			m.RowGroups[0].Columns[2].MetaData.TotalCompressedSize = 1 << 40
		}),
	}
	// A thrift list claiming 2^31 row groups, where parquet-go's decoder
	// would allocate them all before finding the bytes missing.
	hugeList := []byte{0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00}
	b := append([]byte("PAR1"), hugeList...)
	b = append(b, byte(len(hugeList)), 0, 0, 0)
	cases["thrift list of 2^31 row groups"] = append(b, "PAR1"...)
	for name, b := range cases {
		var err error
		alloc := allocatedBy(func() { _, err = ReadParquet(bytes.NewReader(b), int64(len(b))) })
		if err == nil {
			t.Errorf("%s: read without error", name)
			continue
		}
		if alloc > 16<<20 {
			t.Errorf("%s: allocated %d MB before failing (%v)", name, alloc>>20, err)
		}
		t.Logf("%s: %v (%d KB allocated)", name, err, alloc>>10)
	}
}

// TestCheckThriftBounds walks corrupt thrift: counts beyond the bytes and
// nesting beyond any footer are errors, a good footer walks to its end.
func TestCheckThriftBounds(t *testing.T) {
	good := oursBytes(t, 100)
	n := int(binary.LittleEndian.Uint32(good[len(good)-8:]))
	footer := good[len(good)-8-n : len(good)-8]
	if got, err := checkThrift(footer); err != nil || got != len(footer) {
		t.Fatalf("our footer: %d of %d bytes, %v", got, len(footer), err)
	}
	deep := bytes.Repeat([]byte{0x1c}, 100) // struct field in struct field …
	for name, b := range map[string][]byte{
		"binary of 1 GB":       {0x18, 0x80, 0x80, 0x80, 0x80, 0x04},
		"list of 2^31 structs": {0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x08},
		"map of 2^20 entries":  {0x1b, 0x80, 0x80, 0x40, 0x55},
		"nested 100 deep":      deep,
		"truncated varint":     {0x15, 0x80},
		"unknown type":         {0x1d, 0x00},
	} {
		if _, err := checkThrift(b); err == nil {
			t.Errorf("%s: walked without error", name)
		}
	}
}

// TestReadParquetPagesMustFillTheRows: a page header whose value count
// disagrees with the footer is caught before decoding.
func TestReadParquetPagesMustFillTheRows(t *testing.T) {
	good := oursBytes(t, 1440)
	b := rewriteFooter(t, good, func(m *format.FileMetaData) {
		m.NumRows = 2000
		m.RowGroups[0].NumRows = 2000
		for i := range m.RowGroups[0].Columns {
			m.RowGroups[0].Columns[i].MetaData.NumValues = 2000
		}
	})
	_, err := ReadParquet(bytes.NewReader(b), int64(len(b)))
	if err == nil || !strings.Contains(err.Error(), "pages hold 1440 values, the footer says 2000 rows") {
		t.Fatalf("err = %v", err)
	}
}

// TestReadParquetDamagedPageWithoutChecksum: DuckDB writes no page
// checksums; a value damaged in such a page is caught by the chunk's
// statistics instead of being read as a bar.
func TestReadParquetDamagedPageWithoutChecksum(t *testing.T) {
	good, err := os.ReadFile(oracle.Path(t, "parquet", "duckdb", "binance_1m.uncompressed.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	pages := dataPageBodies(t, good, "close")
	if len(pages) == 0 {
		t.Fatal("no close pages")
	}
	// The last byte of the page is the sign and exponent of the last close:
	// flipping a bit there moves it far out of the day's range.
	b := bytes.Clone(good)
	b[pages[0][1]-1] ^= 0x08
	_, err = ReadParquet(bytes.NewReader(b), int64(len(b)))
	if err == nil || !strings.Contains(err.Error(), `column "close"`) || !strings.Contains(err.Error(), "row 1440") ||
		!strings.Contains(err.Error(), "outside its column chunk's statistics") {
		t.Fatalf("err = %v", err)
	}
}

// TestWithoutChecksumsKeepsTheBars checks the fuzz seeds' rewriting: the
// same bars, and a damaged page is now left to the other checks.
func TestWithoutChecksumsKeepsTheBars(t *testing.T) {
	want := codecBars(3000)
	for _, b := range [][]byte{oursBytesOf(t, want), writeWith(t, rowsAs[optDict](want), &zstd.Codec{}, 2)} {
		plain := withoutChecksums(t, b)
		got, err := ReadParquet(bytes.NewReader(plain), int64(len(plain)))
		if err != nil {
			t.Fatal(err)
		}
		if d := sameBits(got, want); d != "" {
			t.Fatal(d)
		}
		pages := dataPageBodies(t, plain, "close")
		plain[(pages[0][0]+pages[0][1])/2] ^= 0x20
		if _, err := ReadParquet(bytes.NewReader(plain), int64(len(plain))); err != nil && strings.Contains(err.Error(), "checksum") {
			t.Fatalf("a page without a checksum failed one: %v", err)
		}
	}
}

func oursBytesOf(t *testing.T, f *OHLCV) []byte {
	var buf bytes.Buffer
	if err := WriteParquet(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
