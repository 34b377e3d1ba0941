package frames

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// writeRows writes rows of any struct shape with parquet-go, to make files
// with the wrong shape on purpose.
func writeRows[T any](t testing.TB, path string, rows []T, opts ...parquet.WriterOption) {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func oursBytes(t testing.TB, n int) []byte {
	t.Helper()
	f := New(60, n)
	for i := 0; i < n; i++ {
		f.Add(1_700_000_000+int64(i)*60, 1, 2, 0.5, 1.5, float64(i))
	}
	var buf bytes.Buffer
	if err := WriteParquet(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadParquetBadInput(t *testing.T) {
	dir := t.TempDir()
	good := oursBytes(t, 5000)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type stringTime struct {
		Time                           string `parquet:"time"`
		Open, High, Low, Close, Volume float64
	}
	type noVolume struct {
		Time                   int64 `parquet:"time"`
		Open, High, Low, Close float64
	}
	type boolClose struct {
		Time            int64 `parquet:"time"`
		Open, High, Low float64
		Close           bool `parquet:"close"`
		Volume          float64
	}
	type nullable struct {
		Time            int64 `parquet:"time"`
		Open, High, Low float64
		Close           *float64 `parquet:"close,optional"`
		Volume          float64
	}
	type twoTimes struct {
		Time                           int64 `parquet:"time"`
		TS                             int64 `parquet:"ts"`
		Open, High, Low, Close, Volume float64
	}
	c := 1.5
	cases := []struct {
		name string
		make func() string
		want []string // all must appear in the error
	}{
		{"empty", func() string { return write("empty.parquet", nil) }, []string{"empty.parquet", "empty file"}},
		{"tiny", func() string { return write("tiny.parquet", []byte("PAR1")) }, []string{"tiny.parquet", "too short"}},
		{"truncated half", func() string { return write("half.parquet", good[:len(good)/2]) }, []string{"half.parquet", "truncated or corrupt"}},
		{"truncated by one byte", func() string { return write("cut.parquet", good[:len(good)-1]) }, []string{"cut.parquet", "truncated or corrupt"}},
		{"not parquet", func() string {
			return write("csv.parquet", []byte("time,open,high,low,close,volume\n1,2,3,4,5,6\n"))
		}, []string{"csv.parquet", "not a readable parquet file"}},
		{"corrupt footer", func() string {
			b := append([]byte(nil), good...)
			for i := len(b) - 200; i < len(b)-8; i++ {
				b[i] ^= 0x5a
			}
			return write("footer.parquet", b)
		}, []string{"footer.parquet"}},
		{"string time", func() string {
			p := filepath.Join(dir, "strtime.parquet")
			writeRows(t, p, []stringTime{{"2024-01-01", 1, 2, 0, 1, 1}})
			return p
		}, []string{"strtime.parquet", `column "time"`, "BYTE_ARRAY"}},
		{"bool close", func() string {
			p := filepath.Join(dir, "boolclose.parquet")
			writeRows(t, p, []boolClose{{1, 1, 2, 0, true, 1}})
			return p
		}, []string{"boolclose.parquet", `column "close"`, "BOOLEAN"}},
		{"missing volume", func() string {
			p := filepath.Join(dir, "novol.parquet")
			writeRows(t, p, []noVolume{{1, 1, 2, 0, 1}})
			return p
		}, []string{"novol.parquet", "missing column(s) volume", "the file has time, Open, High, Low, Close"}},
		{"null close", func() string {
			p := filepath.Join(dir, "null.parquet")
			writeRows(t, p, []nullable{{60, 1, 2, 0, &c, 1}, {120, 1, 2, 0, nil, 1}, {180, 1, 2, 0, &c, 1}},
				parquet.Compression(&snappy.Codec{}))
			return p
		}, []string{"null.parquet", `column "close"`, "row 2", "null"}},
		{"two time columns", func() string {
			p := filepath.Join(dir, "twotimes.parquet")
			writeRows(t, p, []twoTimes{{60, 60, 1, 2, 0, 1, 1}})
			return p
		}, []string{"twotimes.parquet", `column "ts"`, "second time column"}},
		{"a folder", func() string {
			p := filepath.Join(dir, "folder.parquet")
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		}, []string{"folder.parquet", "is a folder"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.make()
			f, err := ReadParquetFile(p)
			if err == nil {
				t.Fatalf("read %d bars, want an error", f.Len())
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestReadParquetCorruptPages flips bytes all over a valid file: every read
// must end in an error or a well-formed frame, never a panic or a hang.
func TestReadParquetCorruptPages(t *testing.T) {
	good := oursBytes(t, 3000)
	for off := 4; off < len(good)-8; off += len(good) / 97 {
		b := append([]byte(nil), good...)
		b[off] ^= 0xff
		b[off+1] ^= 0x0f
		f, err := ReadParquet(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			if err := f.checkColumns(); err != nil {
				t.Fatalf("offset %d: read a malformed frame: %v", off, err)
			}
		}
	}
}

func TestStoreBadFolders(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "afile")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(file); err == nil || !strings.Contains(err.Error(), "is a file, not a folder") || !strings.Contains(err.Error(), file) {
		t.Errorf("store on a file: %v", err)
	}
	bars := New(60, 2)
	bars.Add(60, 1, 1, 1, 1, 1)
	bars.Add(120, 1, 1, 1, 1, 1)
	// A store folder below a file can never be created.
	if _, err := OpenStore(filepath.Join(file, "store")); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("store below a file: %v", err)
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(tmp, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		st, err := OpenStore(ro)
		if err != nil {
			t.Fatal(err)
		}
		err = st.Write("a.b", bars)
		if err == nil || !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), ro) {
			t.Errorf("write into a read-only folder: %v", err)
		}
	}
	st, err := OpenStore(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden"} {
		if err := st.Write(bad, bars); err == nil {
			t.Errorf("market name %q accepted", bad)
		}
	}
	unordered := New(60, 2)
	unordered.Add(120, 1, 1, 1, 1, 1)
	unordered.Add(60, 1, 1, 1, 1, 1)
	if err := st.Write("a.b", unordered); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("unordered write: %v", err)
	}
}

// fuzzMaxInput is the largest input the fuzz targets read. Inputs are
// kept small on purpose: every input that finds new coverage is minimised,
// byte range by byte range, and minimising the 30-400 KB oracle files the
// target was first seeded with took minutes per input (each candidate a
// full read), during which the fuzzer counted no executions and seemed
// stalled after a few dozen.
const fuzzMaxInput = 32 << 10

// FuzzReadParquet feeds arbitrary bytes to the parquet loader: it must
// return an error or a frame with equal-length columns, and never panic.
// The seeds are small files of each shape the reader handles: the checked-in
// corpus, our own writer's, and parquet-go's in every codec, page version
// and encoding.
func FuzzReadParquet(f *testing.F) {
	f.Add(oursBytes(f, 40))
	bars := codecBars(40)
	for _, codec := range testCodecs {
		for _, v := range []int{1, 2} {
			f.Add(writeWith(f, rowsAs[reqPlain](bars), codec, v))
			f.Add(writeWith(f, rowsAs[optDict](bars), codec, v))
		}
	}
	f.Add(writeWith(f, rowsAs[reqDeltaSplit](bars), &snappy.Codec{}, 2))
	// Files without page checksums, so that mutated pages reach the
	// decoders instead of failing the checksum.
	for _, codec := range testCodecs {
		f.Add(withoutChecksums(f, writeWith(f, rowsAs[reqDict](bars), codec, 1)))
		f.Add(withoutChecksums(f, writeWith(f, rowsAs[optPlain](bars), codec, 2)))
	}
	f.Add(withoutChecksums(f, writeWith(f, rowsAs[reqDeltaSplit](bars), &zstd.Codec{}, 1)))
	f.Add(withoutChecksums(f, oursBytes(f, 40)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > fuzzMaxInput {
			return
		}
		out, err := ReadParquet(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		if err := out.checkColumns(); err != nil {
			t.Fatalf("malformed frame: %v", err)
		}
		if _, err := ReadParquetRange(bytes.NewReader(b), int64(len(b)), 1_700_000_000, 1_800_000_000); err != nil {
			t.Fatalf("whole read worked, range read failed: %v", err)
		}
	})
}

// withoutChecksums rewrites a parquet file with its pages' CRCs removed.
func withoutChecksums(t testing.TB, b []byte) []byte {
	t.Helper()
	meta, err := readFooter(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := []byte("PAR1")
	for g := range meta.RowGroups {
		rg := &meta.RowGroups[g]
		for c := range rg.Columns {
			md := &rg.Columns[c].MetaData
			off, n, err := chunkSpan(&rg.Columns[c], int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			chunk := b[off : off+n]
			start := int64(len(out))
			if md.DictionaryPageOffset > 0 {
				md.DictionaryPageOffset = start
			}
			firstData := true
			for pos := 0; pos < len(chunk); {
				h, hn, err := pageHeader(chunk[pos:])
				if err != nil {
					t.Fatal(err)
				}
				body := chunk[pos+hn : pos+hn+int(h.CompressedPageSize)]
				if h.Type != format.DictionaryPage && firstData {
					md.DataPageOffset, firstData = int64(len(out)), false
				}
				h.CRC = 0
				hb, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
				if err != nil {
					t.Fatal(err)
				}
				out = append(append(out, hb...), body...)
				pos += hn + len(body)
			}
			md.TotalCompressedSize = int64(len(out)) - start
			cc := &rg.Columns[c]
			cc.FileOffset = start
			// The page indexes are not copied.
			cc.ColumnIndexOffset, cc.ColumnIndexLength, cc.OffsetIndexOffset, cc.OffsetIndexLength = 0, 0, 0, 0
		}
	}
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), meta)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}
