package frames

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"workbench/internal/atomicfile"
)

// ParquetRowGroupRows is the row-group size WriteParquet uses. A range read
// decodes whole row groups, so smaller groups make short reads cheaper;
// 128Ki one-minute bars are about three months, a few hundred KB on disk.
const ParquetRowGroupRows = 1 << 17

// periodKey is the footer key-value entry in which we record the bar period,
// so a series reads back with its period even when it has gaps.
const periodKey = "workbench.period"

// parquetPageRows is how many values one data page holds. A page is the unit
// of compression: one page per column chunk (about 1 MiB of doubles, as
// DuckDB writes) gives zstd the most context and the reader the fewest
// decompress calls, and a range read decodes whole row groups anyway.
const parquetPageRows = ParquetRowGroupRows

// parquetColumns are our columns in file order: time (INT64 epoch seconds,
// no logical type, as piker writes it, delta-encoded, which shrinks a regular
// time column to almost nothing) and five DOUBLE columns, all REQUIRED.
var parquetColumns = [6]string{"time", "open", "high", "low", "close", "volume"}

// parquetEncoders holds zstd encoders between writes; see newParquetEncoder.
var parquetEncoders sync.Pool

// newParquetEncoder makes the zstd encoder one writer goroutine compresses
// its pages with. Each goroutine keeps its own for the whole file: parquet-go's
// codec takes one from a sync.Pool per page, and the pool, emptied by GCs
// (a write of millions of bars runs many), kept re-creating encoders and
// their large tables. zstd's fastest level: on
// 10M bars of a cent-rounded random walk it compresses with 30-45% less CPU
// than the default level for a 5% larger file (138.6 MB against 132.0),
// still smaller than DuckDB's zstd file of the same bars (143.7 MB).
func newParquetEncoder() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false),
		zstd.WithZeroFrames(true))
}

// WriteParquetFile atomically replaces path with the series as parquet (see
// WriteParquet): a crash leaves the old file or the new one, never a mix.
func WriteParquetFile(path string, f *OHLCV) error {
	if err := f.checkColumns(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return WriteParquet(w, f) })
}

// WriteParquet writes the series as one parquet file: a `time` INT64 column
// of epoch seconds (delta-encoded) and DOUBLE open, high, low, close and
// volume columns, zstd-compressed, in row groups of ParquetRowGroupRows with
// min/max statistics that range reads use to skip groups. The period goes in
// the footer's key-value metadata.
//
// The file is assembled column by column straight from the series' slices:
// each (row group, column) chunk is encoded and compressed on its own
// goroutine, and chunks are written in order as they complete, so at most a
// few compressed chunks are held at once.
func WriteParquet(w io.Writer, f *OHLCV) error {
	if f == nil {
		f = &OHLCV{}
	}
	if err := f.checkColumns(); err != nil {
		return err
	}
	n := f.Len()
	groups := (n + ParquetRowGroupRows - 1) / ParquetRowGroupRows
	chunks := make([]parquetChunk, groups*len(parquetColumns))
	for i := range chunks {
		chunks[i].done = make(chan struct{})
	}
	floats := [5][]float64{f.Open, f.High, f.Low, f.Close, f.Volume}
	// Buffers of chunks already written go back to the workers.
	spare := make(chan []byte, 8)
	encode := func(i int, z *zstd.Encoder, raw []byte) []byte {
		g, c := i/len(parquetColumns), i%len(parquetColumns)
		lo, hi := g*ParquetRowGroupRows, min(n, (g+1)*ParquetRowGroupRows)
		ch := &chunks[i]
		select {
		case ch.data = <-spare:
		default:
		}
		if c == 0 {
			raw = ch.encodeTime(z, raw, f.Time[lo:hi])
		} else {
			raw = ch.encodeDoubles(z, raw, floats[c-1][lo:hi])
		}
		close(ch.done)
		return raw
	}

	// Workers take chunks in file order; a token per chunk in flight bounds
	// the memory held by chunks waiting for their turn to be written.
	workers := min(runtime.GOMAXPROCS(0), len(chunks))
	tokens := make(chan struct{}, 4*max(workers, 1))
	next := make(chan int)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			z, _ := parquetEncoders.Get().(*zstd.Encoder)
			var err error
			if z == nil {
				z, err = newParquetEncoder()
			}
			var raw []byte
			for i := range next {
				if err != nil {
					chunks[i].err = err
					close(chunks[i].done)
					continue
				}
				raw = encode(i, z, raw)
			}
			if err == nil {
				parquetEncoders.Put(z)
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range chunks {
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(stop)

	cw := &countingWriter{w: w}
	if _, err := cw.Write([]byte("PAR1")); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	meta := format.FileMetaData{
		Version:   1,
		NumRows:   int64(n),
		CreatedBy: "workbench",
		RowGroups: make([]format.RowGroup, groups),
	}
	meta.Schema = append(meta.Schema, format.SchemaElement{Name: "schema", NumChildren: thrift.New(int32(len(parquetColumns)))})
	for c, name := range parquetColumns {
		typ := format.Double
		if c == 0 {
			typ = format.Int64
		}
		meta.Schema = append(meta.Schema, format.SchemaElement{
			Name:           name,
			Type:           thrift.New(typ),
			RepetitionType: thrift.New(format.Required),
		})
		meta.ColumnOrders = append(meta.ColumnOrders, format.ColumnOrder{Value: &format.TypeDefinedOrder{}})
	}
	if f.Period > 0 {
		meta.KeyValueMetadata = []format.KeyValue{{Key: periodKey, Value: strconv.FormatInt(f.Period, 10)}}
	}
	for g := range meta.RowGroups {
		rg := &meta.RowGroups[g]
		rg.NumRows = int64(min(n, (g+1)*ParquetRowGroupRows) - g*ParquetRowGroupRows)
		rg.FileOffset = cw.n
		rg.Ordinal = int16(min(g, math.MaxInt16))
		for c := range parquetColumns {
			ch := &chunks[g*len(parquetColumns)+c]
			<-ch.done
			if ch.err != nil {
				return fmt.Errorf("parquet: column %q, row group %d: %w", parquetColumns[c], g, ch.err)
			}
			md := ch.meta
			md.PathInSchema = []string{parquetColumns[c]}
			md.DataPageOffset = cw.n
			if _, err := cw.Write(ch.data); err != nil {
				return fmt.Errorf("parquet: %w", err)
			}
			select {
			case spare <- ch.data[:0]:
			default:
			}
			ch.data = nil
			<-tokens
			rg.Columns = append(rg.Columns, format.ColumnChunk{FileOffset: md.DataPageOffset, MetaData: md})
			rg.TotalByteSize += md.TotalUncompressedSize
			rg.TotalCompressedSize += md.TotalCompressedSize
		}
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &meta)
	if err != nil {
		return fmt.Errorf("parquet: footer: %w", err)
	}
	footer = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
	footer = append(footer, "PAR1"...)
	if _, err := cw.Write(footer); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// parquetChunk is one column of one row group, encoded: its pages (headers
// and compressed bodies) as they go in the file and its metadata, less the
// offsets only the file writer knows.
type parquetChunk struct {
	data []byte
	meta format.ColumnMetaData
	err  error
	done chan struct{}
}

// encodeTime encodes a chunk of the time column; raw is scratch space, and
// is returned for reuse.
func (ch *parquetChunk) encodeTime(z *zstd.Encoder, raw []byte, t []int64) []byte {
	ch.meta.Type = format.Int64
	ch.meta.Encoding = []format.Encoding{format.DeltaBinaryPacked}
	if len(t) > 0 {
		lo, hi := t[0], t[0]
		for _, v := range t {
			lo, hi = min(lo, v), max(hi, v)
		}
		ch.meta.Statistics.MinValue = binary.LittleEndian.AppendUint64(nil, uint64(lo))
		ch.meta.Statistics.MaxValue = binary.LittleEndian.AppendUint64(nil, uint64(hi))
	}
	var enc delta.BinaryPackedEncoding
	for p := 0; p < len(t) && ch.err == nil; p += parquetPageRows {
		vals := t[p:min(len(t), p+parquetPageRows)]
		raw, ch.err = enc.EncodeInt64(raw, vals)
		if ch.err == nil {
			ch.addPage(z, raw, len(vals), format.DeltaBinaryPacked)
		}
	}
	return raw
}

// encodeDoubles encodes a chunk of a DOUBLE column; raw is scratch space,
// and is returned for reuse.
func (ch *parquetChunk) encodeDoubles(z *zstd.Encoder, raw []byte, x []float64) []byte {
	ch.meta.Type = format.Double
	ch.meta.Encoding = []format.Encoding{format.Plain}
	// Statistics leave NaN out, as the format asks; a chunk of only NaN has
	// none. Zero bounds are signed so that -0 and +0 both fall inside.
	// (NaN fails both comparisons, and an all-NaN chunk ends with lo > hi.)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	if lo <= hi {
		if lo == 0 {
			lo = math.Copysign(0, -1)
		}
		if hi == 0 {
			hi = 0
		}
		ch.meta.Statistics.MinValue = binary.LittleEndian.AppendUint64(nil, math.Float64bits(lo))
		ch.meta.Statistics.MaxValue = binary.LittleEndian.AppendUint64(nil, math.Float64bits(hi))
	}
	for p := 0; p < len(x) && ch.err == nil; p += parquetPageRows {
		vals := x[p:min(len(x), p+parquetPageRows)]
		if littleEndian {
			// PLAIN is the column's own memory on this machine: compress it
			// where it lies.
			ch.addPage(z, unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), 8*len(vals)), len(vals), format.Plain)
			continue
		}
		raw = slices.Grow(raw[:0], 8*len(vals))[:8*len(vals)]
		for k, v := range vals {
			binary.LittleEndian.PutUint64(raw[8*k:], math.Float64bits(v))
		}
		ch.addPage(z, raw, len(vals), format.Plain)
	}
	return raw
}

// addPage compresses one page of n encoded values and appends it, with its
// header, to the chunk.
func (ch *parquetChunk) addPage(z *zstd.Encoder, raw []byte, n int, enc format.Encoding) {
	// The body is compressed in place after room for the header, whose
	// length is only known once the body's is: compress, then shift.
	const room = 64
	start := len(ch.data)
	ch.data = z.EncodeAll(raw, slices.Grow(ch.data, room+len(raw)/2)[:start+room])
	body := ch.data[start+room:]
	header, err := thrift.Marshal(new(thrift.CompactProtocol), &format.PageHeader{
		Type:                 format.DataPage,
		UncompressedPageSize: int32(len(raw)),
		CompressedPageSize:   int32(len(body)),
		// Readers that check it (ours does) catch a page damaged on disk
		// instead of decoding it into wrong bars.
		CRC: int32(crc32.ChecksumIEEE(body)),
		DataPageHeader: thrift.New(format.DataPageHeader{
			NumValues:               int32(n),
			Encoding:                enc,
			DefinitionLevelEncoding: format.RLE,
			RepetitionLevelEncoding: format.RLE,
		}),
	})
	if err != nil {
		ch.err = err
		return
	}
	if len(header) > room {
		ch.err = fmt.Errorf("page header of %d bytes", len(header))
		return
	}
	copy(ch.data[start+len(header):], body)
	copy(ch.data[start:], header)
	ch.data = ch.data[:start+len(header)+len(body)]
	ch.meta.Codec = format.Zstd
	ch.meta.NumValues += int64(n)
	ch.meta.TotalUncompressedSize += int64(len(header) + len(raw))
	ch.meta.TotalCompressedSize += int64(len(header) + len(body))
}

// countingWriter counts the bytes written, for the footer's offsets.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ParquetError is a problem with a parquet file: which file, which column
// (when one is at fault) and what is wrong.
type ParquetError struct {
	File   string // the file's path, when reading a file
	Column string // the column's name in the file, when one is at fault
	Row    int64  // 1-based row, when one is at fault
	Err    error
}

func (e *ParquetError) Error() string {
	var b strings.Builder
	b.WriteString("parquet")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if e.Column != "" {
		b.WriteString(": column " + strconv.Quote(e.Column))
	}
	if e.Row > 0 {
		b.WriteString(": row " + strconv.FormatInt(e.Row, 10))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ParquetError) Unwrap() error { return e.Err }

// cutRange keeps the bars with from ≤ time < to. Sorted input (ours always
// is) is cut by binary search into a view; unsorted input is filtered.
func cutRange(f *OHLCV, from, to int64) *OHLCV {
	t := f.Time
	if to <= from {
		return f.Rows(0, 0)
	}
	if sort.SliceIsSorted(t, func(i, j int) bool { return t[i] < t[j] }) {
		i := sort.Search(len(t), func(k int) bool { return t[k] >= from })
		j := sort.Search(len(t), func(k int) bool { return t[k] >= to })
		return f.Rows(i, j)
	}
	out := New(f.Period, 0)
	for i, v := range t {
		if v >= from && v < to {
			out.Add(v, f.Open[i], f.High[i], f.Low[i], f.Close[i], f.Volume[i])
		}
	}
	return out
}
