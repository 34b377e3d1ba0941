//go:build unix

package sweep

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"workbench/frames"
)

// mapReadOnly copies b's columns into one anonymous mapping and makes it
// read-only. The slices point outside Go's heap: the garbage collector
// neither moves nor frees what they point at, and release unmaps it.
func mapReadOnly(b *frames.OHLCV) (*sharedBars, error) {
	n := b.Len()
	if n == 0 {
		return &sharedBars{bars: &frames.OHLCV{Period: b.Period}}, nil
	}
	const cols = 6
	mem, err := unix.Mmap(-1, 0, cols*8*n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, err
	}
	base := unsafe.Pointer(unsafe.SliceData(mem))
	col := func(k int) unsafe.Pointer { return unsafe.Add(base, k*8*n) }
	out := &frames.OHLCV{Period: b.Period}
	out.Time = unsafe.Slice((*int64)(col(0)), n)
	copy(out.Time, b.Time)
	for k, c := range []*[]float64{&out.Open, &out.High, &out.Low, &out.Close, &out.Volume} {
		*c = unsafe.Slice((*float64)(col(k+1)), n)
	}
	copy(out.Open, b.Open)
	copy(out.High, b.High)
	copy(out.Low, b.Low)
	copy(out.Close, b.Close)
	copy(out.Volume, b.Volume)
	if err := unix.Mprotect(mem, unix.PROT_READ); err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	lo := uintptr(base)
	return &sharedBars{bars: out, lo: lo, hi: lo + uintptr(len(mem)), unmap: func() error { return unix.Munmap(mem) }}, nil
}
