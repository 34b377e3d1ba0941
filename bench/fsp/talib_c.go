//go:build talib

package main

/*
#cgo LDFLAGS: -lm
#include <ta_libc.h>
*/
import "C"

import "fmt"

func talibCStatus() string {
	if rc := C.TA_Initialize(); rc != C.TA_SUCCESS {
		return fmt.Sprintf("TA_Initialize failed (%d)", int(rc))
	}
	return C.GoString(C.TA_GetVersionString())
}

// talibC calls TA-Lib's C functions over the whole series into buffers
// allocated once, as TA-Lib's own benchmark does.
func talibC(b *bars) map[string]func() {
	n := len(b.c)
	o1, o2, o3 := make([]float64, n), make([]float64, n), make([]float64, n)
	p := func(x []float64) *C.double { return (*C.double)(&x[0]) }
	o, h, l, c, v := p(b.o), p(b.h), p(b.l), p(b.c), p(b.v)
	r1, r2, r3 := p(o1), p(o2), p(o3)
	end := C.int(n - 1)
	var beg, nb C.int
	check := func(rc C.TA_RetCode) {
		if rc != C.TA_SUCCESS {
			panic(fmt.Sprintf("TA-Lib returned %d", int(rc)))
		}
		sink += o1[int(nb)-1]
	}
	return map[string]func(){
		"SMA(20)":        func() { check(C.TA_SMA(0, end, c, 20, &beg, &nb, r1)) },
		"EMA(20)":        func() { check(C.TA_EMA(0, end, c, 20, &beg, &nb, r1)) },
		"RSI(14)":        func() { check(C.TA_RSI(0, end, c, 14, &beg, &nb, r1)) },
		"MACD(12,26,9)":  func() { check(C.TA_MACD(0, end, c, 12, 26, 9, &beg, &nb, r1, r2, r3)) },
		"BBANDS(20,2,2)": func() { check(C.TA_BBANDS(0, end, c, 20, 2, 2, C.TA_MAType_SMA, &beg, &nb, r1, r2, r3)) },
		"TRANGE":         func() { check(C.TA_TRANGE(0, end, h, l, c, &beg, &nb, r1)) },
		"ATR(14)":        func() { check(C.TA_ATR(0, end, h, l, c, 14, &beg, &nb, r1)) },
		"NATR(14)":       func() { check(C.TA_NATR(0, end, h, l, c, 14, &beg, &nb, r1)) },
		"STOCH(14,3,3)": func() {
			check(C.TA_STOCH(0, end, h, l, c, 14, 3, C.TA_MAType_SMA, 3, C.TA_MAType_SMA, &beg, &nb, r1, r2))
		},
		"WILLR(14)":       func() { check(C.TA_WILLR(0, end, h, l, c, 14, &beg, &nb, r1)) },
		"CCI(14)":         func() { check(C.TA_CCI(0, end, h, l, c, 14, &beg, &nb, r1)) },
		"MFI(14)":         func() { check(C.TA_MFI(0, end, h, l, c, v, 14, &beg, &nb, r1)) },
		"ADX(14)":         func() { check(C.TA_ADX(0, end, h, l, c, 14, &beg, &nb, r1)) },
		"PLUS_DI(14)":     func() { check(C.TA_PLUS_DI(0, end, h, l, c, 14, &beg, &nb, r1)) },
		"AROON(14)":       func() { check(C.TA_AROON(0, end, h, l, 14, &beg, &nb, r1, r2)) },
		"ULTOSC(7,14,28)": func() { check(C.TA_ULTOSC(0, end, h, l, c, 7, 14, 28, &beg, &nb, r1)) },
		"SAR(0.02,0.2)":   func() { check(C.TA_SAR(0, end, h, l, 0.02, 0.2, &beg, &nb, r1)) },
		"MIDPRICE(14)":    func() { check(C.TA_MIDPRICE(0, end, h, l, 14, &beg, &nb, r1)) },
		"OBV":             func() { check(C.TA_OBV(0, end, c, v, &beg, &nb, r1)) },
		"AD":              func() { check(C.TA_AD(0, end, h, l, c, v, &beg, &nb, r1)) },
		"ADOSC(3,10)":     func() { check(C.TA_ADOSC(0, end, h, l, c, v, 3, 10, &beg, &nb, r1)) },
		"BOP":             func() { check(C.TA_BOP(0, end, o, h, l, c, &beg, &nb, r1)) },
	}
}
