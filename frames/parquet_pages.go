package frames

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"unsafe"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// The reader decodes pages itself rather than through parquet-go's page
// reader, for three reasons: parquet-go sizes buffers from the claims in page
// headers and thrift lists before checking them (a few corrupt bytes made it
// allocate gigabytes, which is what stalled the fuzzer); its LZ4_RAW codec
// retries a failing block with an ever larger buffer; and it accepts a page
// that decodes to a different size than its header says. Here every buffer
// is sized from a count already checked against the file: a chunk from the
// file's size, a page from its chunk, the values of a page from the row
// count that the footer and every page header agree on.

// readFooter reads and checks the file's metadata.
func readFooter(r io.ReaderAt, size int64) (meta *format.FileMetaData, err error) {
	defer func() {
		if p := recover(); p != nil {
			meta, err = nil, fmt.Errorf("not a readable parquet file (truncated or corrupt?): footer: decoder failed: %v", p)
		}
	}()
	if size == 0 {
		return nil, errors.New("empty file (0 bytes), not parquet")
	}
	if size < 12 {
		return nil, fmt.Errorf("%d bytes is too short for a parquet file (truncated?)", size)
	}
	var head, tail [8]byte
	if _, err := r.ReadAt(head[:4], 0); err != nil {
		return nil, fmt.Errorf("not a readable parquet file: %w", err)
	}
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("not a readable parquet file: %w", err)
	}
	switch {
	case string(tail[4:]) == "PARE":
		return nil, errors.New("encrypted parquet files are not supported")
	case string(head[:4]) != "PAR1" || string(tail[4:]) != "PAR1":
		return nil, errors.New("not a readable parquet file (truncated or corrupt?): no PAR1 magic at its start and end")
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > size-12 {
		return nil, fmt.Errorf("not a readable parquet file (truncated or corrupt?): a footer of %d bytes does not fit in %d bytes", n, size)
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return nil, fmt.Errorf("not a readable parquet file: %w", err)
	}
	used, err := checkThrift(footer)
	if err == nil && used != len(footer) {
		err = fmt.Errorf("%d bytes after the metadata", len(footer)-used)
	}
	meta = new(format.FileMetaData)
	if err == nil {
		err = thrift.Unmarshal(new(thrift.CompactProtocol), footer, meta)
	}
	if err != nil {
		return nil, fmt.Errorf("not a readable parquet file (truncated or corrupt?): footer: %w", err)
	}
	return meta, nil
}

// pageHeader decodes the page header at the start of b and returns it with
// its length.
func pageHeader(b []byte) (format.PageHeader, int, error) {
	var h format.PageHeader
	n, err := checkThrift(b)
	if err == nil {
		err = thrift.Unmarshal(new(thrift.CompactProtocol), b[:n], &h)
	}
	if err != nil {
		return h, 0, fmt.Errorf("corrupt page header: %w", err)
	}
	if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 {
		return h, 0, fmt.Errorf("corrupt page header: page sizes %d and %d", h.CompressedPageSize, h.UncompressedPageSize)
	}
	return h, n, nil
}

// chunkSpan is where a column chunk's pages lie, checked against the file.
func chunkSpan(cc *format.ColumnChunk, size int64) (off, n int64, err error) {
	md := &cc.MetaData
	switch {
	case cc.FilePath != "":
		return 0, 0, fmt.Errorf("its data is in another file (%q), which is not supported", cc.FilePath)
	case cc.CryptoMetadata.Value != nil || cc.EncryptedColumnMetadata != nil:
		return 0, 0, errors.New("it is encrypted, which is not supported")
	}
	off, n = md.DataPageOffset, md.TotalCompressedSize
	if d := md.DictionaryPageOffset; d > 0 && d < off {
		off = d
	}
	if off < 4 || n <= 0 || n > size-8-off {
		return 0, 0, fmt.Errorf("corrupt footer: the column chunk's %d bytes at offset %d do not lie within the file's %d bytes", n, off, size)
	}
	return off, n, nil
}

// scanChunk reads only the page headers of a column chunk and returns how
// many values its data pages hold, so that a footer's row count is checked
// against the pages before anything is allocated for the rows.
func scanChunk(r io.ReaderAt, size int64, cc *format.ColumnChunk, buf []byte) (int64, []byte, error) {
	off, n, err := chunkSpan(cc, size)
	if err != nil {
		return 0, buf, err
	}
	var values int64
	for pos := int64(0); pos < n; {
		// Headers are tens of bytes; a window of 512 holds one with page
		// statistics, and a larger one is read only when it does not.
		var h format.PageHeader
		var hn int
		for window := int64(512); ; window *= 4 {
			w := min(window, n-pos)
			buf = slices.Grow(buf[:0], int(w))[:w]
			if _, err := r.ReadAt(buf, off+pos); err != nil && err != io.EOF {
				return 0, buf, err
			}
			h, hn, err = pageHeader(buf)
			if err == nil || w == n-pos {
				break
			}
		}
		if err != nil {
			return 0, buf, fmt.Errorf("at byte %d of its column chunk: %w", pos, err)
		}
		pos += int64(hn)
		if int64(h.CompressedPageSize) > n-pos {
			return 0, buf, fmt.Errorf("a page at byte %d of its column chunk claims %d bytes, the chunk has %d left", pos-int64(hn), h.CompressedPageSize, n-pos)
		}
		pos += int64(h.CompressedPageSize)
		switch {
		case h.Type == format.DataPage && h.DataPageHeader.Valid:
			values += int64(max(h.DataPageHeader.V.NumValues, 0))
		case h.Type == format.DataPageV2 && h.DataPageHeaderV2.Valid:
			values += int64(max(h.DataPageHeaderV2.V.NumValues, 0))
		}
	}
	return values, buf, nil
}

// pageScratch is one decoding goroutine's reusable buffers and decoders.
type pageScratch struct {
	chunk, page []byte
	split       []byte // a BYTE_STREAM_SPLIT page put back in value order
	idx, levels []uint32
	ints        []int64
	i32         []int32
	dict        []float64 // the chunk's dictionary of a DOUBLE or FLOAT column
	idict       []int64   // … or of an integer column
	zstd        *zstd.Decoder
	gzip        *gzip.Reader
}

func (s *pageScratch) close() {
	if s.zstd != nil {
		s.zstd.Close()
	}
}

// maxExpansion is how many bytes one compressed byte can at most become
// under each codec (LZ4's 255-byte length steps, deflate's 258-byte matches
// of 2 bits, zstd's 128 KiB RLE blocks of 4 bytes); a page claiming more is
// corrupt. Brotli has no useful bound and is limited only by the values.
func maxExpansion(c format.CompressionCodec) int64 {
	switch c {
	case format.Uncompressed:
		return 1
	case format.Snappy:
		return 32
	case format.Lz4Raw:
		return 256
	case format.Gzip:
		return 1032
	case format.Zstd:
		return 1 << 15
	}
	return math.MaxInt32
}

// decompress fills exactly out from a page body compressed with codec; a
// body that decodes to more or fewer bytes is an error, and no codec is let
// write past out.
func (s *pageScratch) decompress(codec format.CompressionCodec, out, body []byte) error {
	if int64(len(out)) > maxExpansion(codec)*int64(len(body))+1<<10 {
		return fmt.Errorf("page claims %d bytes uncompressed from %d bytes of %s, more than %s can hold", len(out), len(body), codec, codec)
	}
	short := func(got int) error {
		return fmt.Errorf("%s page decodes to %d bytes, its header says %d", codec, got, len(out))
	}
	switch codec {
	case format.Uncompressed:
		if len(body) != len(out) {
			return short(len(body))
		}
		copy(out, body)
		return nil
	case format.Snappy:
		n, err := snappy.DecodedLen(body)
		if err != nil {
			return fmt.Errorf("snappy: %w", err)
		}
		if n != len(out) {
			return short(n)
		}
		got, err := snappy.Decode(out, body)
		if err != nil {
			return fmt.Errorf("snappy: %w", err)
		}
		if len(got) != len(out) {
			return short(len(got))
		}
		if len(out) > 0 && &got[0] != &out[0] {
			copy(out, got)
		}
		return nil
	case format.Zstd:
		if s.zstd == nil {
			d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecodeAllCapLimit(true))
			if err != nil {
				return err
			}
			s.zstd = d
		}
		got, err := s.zstd.DecodeAll(body, out[:0:len(out)])
		if err != nil {
			return fmt.Errorf("zstd: %w", err)
		}
		if len(got) != len(out) {
			return short(len(got))
		}
		return nil
	case format.Lz4Raw:
		n, err := lz4.UncompressBlock(body, out)
		if err != nil {
			return fmt.Errorf("lz4: %w (or the page is larger than its header says)", err)
		}
		if n != len(out) {
			return short(n)
		}
		return nil
	case format.Gzip:
		if s.gzip == nil {
			s.gzip = new(gzip.Reader)
		}
		if err := s.gzip.Reset(bytes.NewReader(body)); err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		return readExactly(s.gzip, out, short)
	case format.Brotli:
		return readExactly(brotli.NewReader(bytes.NewReader(body)), out, short)
	case format.Lz4:
		return errors.New("codec LZ4 (the deprecated Hadoop framing) is not supported; rewrite the file with LZ4_RAW, zstd or snappy")
	}
	return fmt.Errorf("codec %s is not supported (want uncompressed, snappy, gzip, brotli, zstd or LZ4_RAW)", codec)
}

// readExactly fills out from a decompressing reader and checks that the
// stream ends there.
func readExactly(r io.Reader, out []byte, short func(int) error) error {
	n, err := io.ReadFull(r, out)
	if err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return short(n)
		}
		return err
	}
	var one [1]byte
	if m, _ := r.Read(one[:]); m > 0 {
		return fmt.Errorf("page decodes to more than the %d bytes its header says", len(out))
	}
	return nil
}

// readColumnChunk decodes one column chunk of a flat numeric column into
// dst, whose length is the row group's row count. base is dst's first row in
// the file, for error messages. Pages of PLAIN values of dst's own type are
// decompressed straight into dst's memory.
func readColumnChunk[T int64 | float64](r io.ReaderAt, size int64, cc *format.ColumnChunk, spec columnSpec, dst []T, base int64, s *pageScratch) error {
	codec := cc.MetaData.Codec
	off, n, err := chunkSpan(cc, size)
	if err != nil {
		return err
	}
	s.chunk = slices.Grow(s.chunk[:0], int(n))[:n]
	if got, err := r.ReadAt(s.chunk, off); got != len(s.chunk) {
		return fmt.Errorf("reading the column chunk: %w", err)
	}
	chunk := s.chunk
	s.dict, s.idict = s.dict[:0], s.idict[:0]
	haveDict, allCRC := false, true
	done := 0
	for pos := 0; done < len(dst); {
		if pos >= len(chunk) {
			return fmt.Errorf("the column chunk ends after %d of its %d values (truncated?)", done, len(dst))
		}
		h, hn, err := pageHeader(chunk[pos:])
		if err != nil {
			return fmt.Errorf("at byte %d of its column chunk: %w", pos, err)
		}
		start := pos + hn
		if int(h.CompressedPageSize) > len(chunk)-start {
			return fmt.Errorf("a page at byte %d of its column chunk claims %d bytes, the chunk has %d left", pos, h.CompressedPageSize, len(chunk)-start)
		}
		body := chunk[start : start+int(h.CompressedPageSize)]
		pos = start + len(body)
		allCRC = allCRC && h.CRC != 0
		if h.CRC != 0 && uint32(h.CRC) != crc32.ChecksumIEEE(body) {
			return fmt.Errorf("page at byte %d of its column chunk fails its checksum (CRC %08x, the page hashes to %08x)", start-hn, uint32(h.CRC), crc32.ChecksumIEEE(body))
		}
		row := base + int64(done) + 1
		switch {
		case h.Type == format.DictionaryPage && h.DictionaryPageHeader.Valid:
			if haveDict || done > 0 {
				return errors.New("a second dictionary page, or one after data pages")
			}
			haveDict = true
			if err := s.readDictionary(codec, &h, body, spec, len(dst)); err != nil {
				return fmt.Errorf("dictionary page: %w", err)
			}
		case h.Type == format.DataPage && h.DataPageHeader.Valid:
			m, err := pageValues(int64(h.DataPageHeader.V.NumValues), len(dst)-done)
			if err == nil && m > 0 {
				err = readPageV1(s, codec, &h, body, spec, dst[done:done+m], row)
			}
			if err != nil {
				return rowError(row, err)
			}
			done += m
		case h.Type == format.DataPageV2 && h.DataPageHeaderV2.Valid:
			m, err := pageValues(int64(h.DataPageHeaderV2.V.NumValues), len(dst)-done)
			if err == nil && m > 0 {
				err = readPageV2(s, codec, &h, body, spec, dst[done:done+m], row)
			}
			if err != nil {
				return rowError(row, err)
			}
			done += m
		case h.Type == format.IndexPage:
		default:
			return fmt.Errorf("page of unknown type %d at byte %d of its column chunk", h.Type, start-hn)
		}
	}
	if !allCRC {
		return checkStatistics(&cc.MetaData, spec.kind, dst, base)
	}
	return nil
}

// checkStatistics is the check of last resort for pages without checksums
// (DuckDB writes none): every decoded value must lie within the chunk's
// min/max statistics, when it has them, or a damaged page went unnoticed.
// NaN, which statistics leave out, is not compared.
func checkStatistics[T int64 | float64](md *format.ColumnMetaData, kind format.Type, dst []T, base int64) error {
	lo, ok := statNumber(md.Statistics.MinValue, kind)
	hi, ok2 := statNumber(md.Statistics.MaxValue, kind)
	if !ok || !ok2 {
		return nil
	}
	for i, v := range dst {
		if f := float64(v); f < lo || f > hi {
			return &ParquetError{Row: base + int64(i) + 1, Err: fmt.Errorf("value %v lies outside its column chunk's statistics [%v, %v]: a damaged page", v, lo, hi)}
		}
	}
	return nil
}

// statNumber reads a min or max statistic of a numeric column.
func statNumber(b []byte, kind format.Type) (float64, bool) {
	switch {
	case kind == format.Int64 && len(b) == 8:
		return float64(int64(binary.LittleEndian.Uint64(b))), true
	case kind == format.Double && len(b) == 8:
		v := math.Float64frombits(binary.LittleEndian.Uint64(b))
		return v, !math.IsNaN(v)
	case kind == format.Int32 && len(b) == 4:
		return float64(int32(binary.LittleEndian.Uint32(b))), true
	case kind == format.Float && len(b) == 4:
		v := float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		return v, !math.IsNaN(v)
	}
	return 0, false
}

// rowError places a page error at the page's first row unless it names its
// own row.
func rowError(row int64, err error) error {
	var pe *ParquetError
	if errors.As(err, &pe) {
		return err
	}
	return &ParquetError{Row: row, Err: err}
}

func pageValues(claimed int64, left int) (int, error) {
	if claimed < 0 || claimed > int64(left) {
		return 0, fmt.Errorf("data page claims %d values where %d rows are left in its row group", claimed, left)
	}
	return int(claimed), nil
}

// maxPageBytes bounds the uncompressed size of a page of m values: no
// encoding we read spends more than 9 bytes a value (an RLE run of 32-bit
// dictionary indexes, a varint) nor levels more than 2 bytes one, plus
// headers.
func maxPageBytes(m int) int64 { return 11*int64(m) + 1<<10 }

func readPageV1[T int64 | float64](s *pageScratch, codec format.CompressionCodec, h *format.PageHeader, body []byte, spec columnSpec, dst []T, row int64) error {
	v := &h.DataPageHeader.V
	size := int(h.UncompressedPageSize)
	if int64(size) > maxPageBytes(len(dst)) {
		return fmt.Errorf("page of %d values claims %d bytes", len(dst), size)
	}
	if spec.required && direct(v.Encoding, spec, dst) {
		return decompressInto(s, codec, dst, size, body)
	}
	s.page = slices.Grow(s.page[:0], size)[:size]
	if err := s.decompress(codec, s.page, body); err != nil {
		return err
	}
	data := s.page
	if !spec.required {
		if v.DefinitionLevelEncoding != format.RLE {
			return fmt.Errorf("definition levels in %s encoding are not supported", v.DefinitionLevelEncoding)
		}
		if len(data) < 4 {
			return errors.New("page ends before its definition levels")
		}
		n := binary.LittleEndian.Uint32(data)
		if uint64(n) > uint64(len(data)-4) {
			return fmt.Errorf("definition levels claim %d bytes, the page has %d", n, len(data)-4)
		}
		if err := s.checkNoNulls(data[4:4+n], len(dst), row); err != nil {
			return err
		}
		data = data[4+n:]
	}
	return s.decodeValues(data, v.Encoding, spec, dst)
}

func readPageV2[T int64 | float64](s *pageScratch, codec format.CompressionCodec, h *format.PageHeader, body []byte, spec columnSpec, dst []T, row int64) error {
	v := &h.DataPageHeaderV2.V
	rl, dl := int64(v.RepetitionLevelsByteLength), int64(v.DefinitionLevelsByteLength)
	if rl < 0 || dl < 0 || rl+dl > int64(len(body)) || rl+dl > int64(h.UncompressedPageSize) {
		return fmt.Errorf("levels of %d and %d bytes do not fit in the page", rl, dl)
	}
	if v.NumNulls < 0 || int(v.NumNulls) > len(dst) {
		return fmt.Errorf("page claims %d nulls in %d values", v.NumNulls, len(dst))
	}
	if !spec.required {
		if err := s.checkNoNulls(body[rl:rl+dl], len(dst), row); err != nil {
			return err
		}
	}
	if v.NumNulls != 0 {
		return &ParquetError{Row: row, Err: fmt.Errorf("%d null values in this page; bars must be complete", v.NumNulls)}
	}
	body = body[rl+dl:]
	size := int64(h.UncompressedPageSize) - rl - dl
	if size > maxPageBytes(len(dst)) {
		return fmt.Errorf("page of %d values claims %d bytes", len(dst), size)
	}
	if v.IsCompressed.Valid && !v.IsCompressed.V {
		codec = format.Uncompressed
	}
	if direct(v.Encoding, spec, dst) {
		return decompressInto(s, codec, dst, int(size), body)
	}
	s.page = slices.Grow(s.page[:0], int(size))[:size]
	if err := s.decompress(codec, s.page, body); err != nil {
		return err
	}
	return s.decodeValues(s.page, v.Encoding, spec, dst)
}

// direct reports whether a page's values are PLAIN in dst's own type and
// byte order, so the page can be decompressed into dst itself.
func direct(enc format.Encoding, spec columnSpec, dst any) bool {
	if !littleEndian || enc != format.Plain {
		return false
	}
	switch dst.(type) {
	case []int64:
		return spec.kind == format.Int64
	case []float64:
		return spec.kind == format.Double
	}
	return false
}

// decompressInto decompresses a page of PLAIN values straight into dst's
// memory.
func decompressInto[T int64 | float64](s *pageScratch, codec format.CompressionCodec, dst []T, size int, body []byte) error {
	if size != 8*len(dst) {
		return fmt.Errorf("PLAIN page has %d bytes for %d values of 8", size, len(dst))
	}
	return s.decompress(codec, unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), size), body)
}

// checkNoNulls decodes the definition levels of a flat optional column (bit
// width 1) and fails, naming the row, at the first null.
func (s *pageScratch) checkNoNulls(src []byte, n int, row int64) error {
	s.levels = slices.Grow(s.levels[:0], n)[:n]
	if err := decodeHybrid(s.levels, src, 1); err != nil {
		return fmt.Errorf("definition levels: %w", err)
	}
	nulls := 0
	first := -1
	for i, l := range s.levels {
		if l == 0 {
			nulls++
			if first < 0 {
				first = i
			}
		}
	}
	if nulls > 0 {
		return &ParquetError{Row: row + int64(first), Err: fmt.Errorf("null value (%d nulls in this page); bars must be complete", nulls)}
	}
	return nil
}

// width is the size of a PLAIN value of kind.
func width(kind format.Type) int {
	switch kind {
	case format.Int32, format.Float:
		return 4
	case format.Int64, format.Double:
		return 8
	}
	return 0
}

// readDictionary decodes a dictionary page into s.dict or s.idict (by
// whether the column decodes to float64 or int64). rows bounds its size: a
// dictionary never needs more entries than its chunk has values.
func (s *pageScratch) readDictionary(codec format.CompressionCodec, h *format.PageHeader, body []byte, spec columnSpec, rows int) error {
	v := &h.DictionaryPageHeader.V
	if v.Encoding != format.Plain && v.Encoding != format.PlainDictionary {
		return fmt.Errorf("dictionary in %s encoding is not supported", v.Encoding)
	}
	w := width(spec.kind)
	if v.NumValues < 0 || int(v.NumValues) > rows || int64(h.UncompressedPageSize) != int64(v.NumValues)*int64(w) {
		return fmt.Errorf("dictionary of %d values in %d bytes for a chunk of %d rows", v.NumValues, h.UncompressedPageSize, rows)
	}
	s.page = slices.Grow(s.page[:0], int(h.UncompressedPageSize))[:h.UncompressedPageSize]
	if err := s.decompress(codec, s.page, body); err != nil {
		return err
	}
	n := int(v.NumValues)
	if spec.kind == format.Int64 || spec.kind == format.Int32 {
		s.idict = slices.Grow(s.idict[:0], n)[:n]
		return decodePlain(s.idict, s.page, spec.kind)
	}
	s.dict = slices.Grow(s.dict[:0], n)[:n]
	return decodePlain(s.dict, s.page, spec.kind)
}

// decodeValues decodes the values section of a page into dst.
func (s *pageScratch) decodeValues(data []byte, enc format.Encoding, spec columnSpec, dst any) error {
	switch d := dst.(type) {
	case []int64:
		return decodeValuesInto(s, data, enc, spec, d)
	case []float64:
		return decodeValuesInto(s, data, enc, spec, d)
	}
	panic("unreachable")
}

func decodeValuesInto[T int64 | float64](s *pageScratch, data []byte, enc format.Encoding, spec columnSpec, dst []T) error {
	kind := spec.kind
	switch enc {
	case format.Plain:
		return decodePlain(dst, data, kind)
	case format.ByteStreamSplit:
		w := width(kind)
		if len(data) != w*len(dst) {
			return fmt.Errorf("BYTE_STREAM_SPLIT page has %d bytes for %d values of %d", len(data), len(dst), w)
		}
		// data is s.page: interleave into another buffer.
		s.split = slices.Grow(s.split[:0], len(data))[:len(data)]
		n := len(dst)
		for i := 0; i < n; i++ {
			for k := 0; k < w; k++ {
				s.split[i*w+k] = data[k*n+i]
			}
		}
		return decodePlain(dst, s.split, kind)
	case format.DeltaBinaryPacked:
		return decodeDelta(s, data, kind, dst)
	case format.PlainDictionary, format.RLEDictionary:
		if len(data) < 1 {
			return errors.New("dictionary-encoded page has no bit width")
		}
		bw := uint(data[0])
		if bw > 32 {
			return fmt.Errorf("dictionary indexes of bit width %d", bw)
		}
		s.idx = slices.Grow(s.idx[:0], len(dst))[:len(dst)]
		if err := decodeHybrid(s.idx, data[1:], bw); err != nil {
			return fmt.Errorf("dictionary indexes: %w", err)
		}
		if kind == format.Int64 || kind == format.Int32 {
			return gather(dst, s.idict, s.idx)
		}
		return gather(dst, s.dict, s.idx)
	}
	return fmt.Errorf("encoding %s is not supported for %s columns", enc, kind)
}

// decodePlain converts PLAIN values of kind into dst; the byte count must
// be exactly that of len(dst) values.
func decodePlain[T int64 | float64](dst []T, src []byte, kind format.Type) error {
	w := width(kind)
	if w == 0 {
		return fmt.Errorf("unsupported physical type %s", kind)
	}
	if len(src) != w*len(dst) {
		return fmt.Errorf("PLAIN page has %d bytes for %d values of %d bytes", len(src), len(dst), w)
	}
	switch kind {
	case format.Int64:
		for i := range dst {
			dst[i] = T(int64(binary.LittleEndian.Uint64(src[8*i:])))
		}
	case format.Double:
		for i := range dst {
			dst[i] = T(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	case format.Int32:
		for i := range dst {
			dst[i] = T(int32(binary.LittleEndian.Uint32(src[4*i:])))
		}
	case format.Float:
		for i := range dst {
			dst[i] = T(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))
		}
	}
	return nil
}

// decodeDelta decodes DELTA_BINARY_PACKED integers. The count in the
// encoding's own header must be the page's: parquet-go's decoder sizes its
// output from that count.
func decodeDelta[T int64 | float64](s *pageScratch, data []byte, kind format.Type, dst []T) error {
	if kind != format.Int64 && kind != format.Int32 {
		return fmt.Errorf("DELTA_BINARY_PACKED is not an encoding for %s", kind)
	}
	var total uint64
	rest := data
	for k := 0; k < 3; k++ {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return errors.New("DELTA_BINARY_PACKED header is corrupt")
		}
		total, rest = v, rest[n:]
	}
	if total != uint64(len(dst)) {
		return fmt.Errorf("DELTA_BINARY_PACKED data holds %d values, the page %d", total, len(dst))
	}
	var enc delta.BinaryPackedEncoding
	if kind == format.Int32 {
		got, err := enc.DecodeInt32(s.i32[:0], data)
		if err != nil {
			return fmt.Errorf("DELTA_BINARY_PACKED: %w", err)
		}
		s.i32 = got
		if len(got) != len(dst) {
			return fmt.Errorf("DELTA_BINARY_PACKED decoded %d values, the page has %d", len(got), len(dst))
		}
		for i, v := range got {
			dst[i] = T(v)
		}
		return nil
	}
	if d, ok := any(dst).([]int64); ok {
		got, err := enc.DecodeInt64(d[:0:len(d)], data)
		if err != nil {
			return fmt.Errorf("DELTA_BINARY_PACKED: %w", err)
		}
		if len(got) != len(d) || &got[0] != &d[0] {
			return fmt.Errorf("DELTA_BINARY_PACKED decoded %d values, the page has %d", len(got), len(d))
		}
		return nil
	}
	got, err := enc.DecodeInt64(s.ints[:0], data)
	if err != nil {
		return fmt.Errorf("DELTA_BINARY_PACKED: %w", err)
	}
	s.ints = got
	if len(got) != len(dst) {
		return fmt.Errorf("DELTA_BINARY_PACKED decoded %d values, the page has %d", len(got), len(dst))
	}
	for i, v := range got {
		dst[i] = T(v)
	}
	return nil
}

func gather[T int64 | float64, S int64 | float64](dst []T, dict []S, idx []uint32) error {
	for i, k := range idx {
		if uint64(k) >= uint64(len(dict)) {
			return fmt.Errorf("dictionary index %d out of range (the dictionary has %d values)", k, len(dict))
		}
		dst[i] = T(dict[k])
	}
	return nil
}

// decodeHybrid fills out from parquet's RLE/bit-packed hybrid encoding of
// values of the given bit width. It writes only into out, however long a
// run claims to be, and fails if src ends first.
func decodeHybrid(out []uint32, src []byte, bitWidth uint) error {
	if bitWidth > 32 {
		return fmt.Errorf("bit width %d", bitWidth)
	}
	byteWidth := int(bitWidth+7) / 8
	mask := uint64(1)<<bitWidth - 1
	for n := 0; n < len(out); {
		h, k := binary.Uvarint(src)
		if k <= 0 {
			return fmt.Errorf("ends after %d of %d values", n, len(out))
		}
		src = src[k:]
		if h&1 == 0 { // a run of one repeated value
			count := h >> 1
			if count == 0 || len(src) < byteWidth {
				return fmt.Errorf("corrupt run after %d of %d values", n, len(out))
			}
			var v uint32
			for i := 0; i < byteWidth; i++ {
				v |= uint32(src[i]) << (8 * i)
			}
			src = src[byteWidth:]
			c := int(min(count, uint64(len(out)-n)))
			for i := range out[n : n+c] {
				out[n+i] = v
			}
			n += c
			continue
		}
		// Bit-packed groups of 8 values, least significant bit first.
		groups := h >> 1
		if groups == 0 || groups > uint64(len(out)) {
			return fmt.Errorf("corrupt bit-packed run after %d of %d values", n, len(out))
		}
		c := int(min(groups*8, uint64(len(out)-n)))
		need := (uint64(c)*uint64(bitWidth) + 7) / 8
		if need > uint64(len(src)) {
			return fmt.Errorf("ends inside a bit-packed run after %d of %d values", n, len(out))
		}
		var acc uint64
		var bits uint
		j := 0
		for i := 0; i < c; i++ {
			for bits < bitWidth {
				acc |= uint64(src[j]) << bits
				j++
				bits += 8
			}
			out[n+i] = uint32(acc & mask)
			acc >>= bitWidth
			bits -= bitWidth
		}
		n += c
		src = src[min(groups*uint64(bitWidth), uint64(len(src))):]
	}
	return nil
}
