package frames

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// thriftMaxDepth bounds the nesting of a thrift struct we decode. A parquet
// footer nests about eight deep (file, row group, column chunk, metadata,
// statistics, logical type, time unit); a deeper one is corrupt, and
// decoding it would recurse without bound.
const thriftMaxDepth = 32

// thriftWalker walks a compact-protocol thrift struct without building it.
// parquet-go's decoder trusts the counts it reads: a list length or a binary
// length of a few bytes makes it allocate up to 2^31 elements before it finds
// out the data is not there. The walker checks every count against the bytes
// left, so that the decoder, given only what the walker accepted, allocates
// no more than the bytes could hold.
type thriftWalker struct {
	b []byte
	i int // bytes consumed
}

var errThriftTruncated = errors.New("thrift data ends early")

// checkThrift reports the length of the compact-protocol struct at the start
// of b, or why it is corrupt.
func checkThrift(b []byte) (int, error) {
	w := thriftWalker{b: b}
	if err := w.structure(0); err != nil {
		return 0, err
	}
	return w.i, nil
}

func (w *thriftWalker) left() int { return len(w.b) - w.i }

func (w *thriftWalker) byte() (byte, error) {
	if w.i >= len(w.b) {
		return 0, errThriftTruncated
	}
	c := w.b[w.i]
	w.i++
	return c, nil
}

func (w *thriftWalker) uvarint() (uint64, error) {
	v, n := binary.Uvarint(w.b[w.i:])
	switch {
	case n == 0:
		return 0, errThriftTruncated
	case n < 0:
		return 0, errors.New("thrift varint overflows 64 bits")
	}
	w.i += n
	return v, nil
}

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(w.left()) {
		return fmt.Errorf("thrift field claims %d bytes, %d are left", n, w.left())
	}
	w.i += int(n)
	return nil
}

func (w *thriftWalker) structure(depth int) error {
	if depth > thriftMaxDepth {
		return fmt.Errorf("thrift structs nest deeper than %d", thriftMaxDepth)
	}
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if h>>4 == 0 { // long form: the field id follows as a zigzag varint
			if _, err := w.uvarint(); err != nil {
				return err
			}
		}
		if err := w.value(h&0x0f, depth, false); err != nil {
			return err
		}
	}
}

// value skips one value of compact type typ. Booleans take no byte as a
// struct field (the type carries the value) and one as a list element.
func (w *thriftWalker) value(typ byte, depth int, inList bool) error {
	switch typ {
	case 1, 2: // true, false
		if inList {
			return w.skip(1)
		}
		return nil
	case 3: // i8
		return w.skip(1)
	case 4, 5, 6: // i16, i32, i64
		_, err := w.uvarint()
		return err
	case 7: // double
		return w.skip(8)
	case 8: // binary
		n, err := w.uvarint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case 9, 10: // list, set
		h, err := w.byte()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = w.uvarint(); err != nil {
				return err
			}
		}
		// Every element takes at least one byte.
		if n > uint64(w.left()) {
			return fmt.Errorf("thrift list claims %d elements, %d bytes are left", n, w.left())
		}
		for k := uint64(0); k < n; k++ {
			if err := w.value(h&0x0f, depth+1, true); err != nil {
				return err
			}
		}
		return nil
	case 11: // map
		n, err := w.uvarint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		if n > uint64(w.left())/2 {
			return fmt.Errorf("thrift map claims %d entries, %d bytes are left", n, w.left())
		}
		for k := uint64(0); k < n; k++ {
			if err := w.value(kv>>4, depth+1, true); err != nil {
				return err
			}
			if err := w.value(kv&0x0f, depth+1, true); err != nil {
				return err
			}
		}
		return nil
	case 12: // struct
		return w.structure(depth + 1)
	}
	return fmt.Errorf("unknown thrift type %d", typ)
}
