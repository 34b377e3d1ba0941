package main

import (
	"github.com/markcheno/go-talib"

	"workbench/fsp"
)

// sink keeps results alive so no measured work is optimised away.
var sink float64

func keep(x []float64) { sink += x[len(x)-1] }

// cases lists the measured indicators with TA-Lib's usual parameters. The
// streams are called directly on their concrete types, as Go code using
// them would.
func cases(b *bars) []case_ {
	o, h, l, c, v := b.o, b.h, b.l, b.c, b.v
	cf := talibC(b)
	// Our To functions write into buffers allocated once, as TA-Lib C does.
	d1, d2, d3 := make([]float64, len(c)), make([]float64, len(c)), make([]float64, len(c))
	list := []case_{
		{name: "SMA(20)", ours: func() { keep(fsp.SMATo(d1, c, 20)) }, alloc: func() { keep(fsp.SMA(c, 20)) },
			stream: func() {
				s := fsp.NewSMAStream(20)
				var y float64
				for _, x := range c {
					y = s.Update(x)
				}
				sink += y
			},
			goTalib: func() { keep(talib.Sma(c, 20)) }},
		{name: "EMA(20)", ours: func() { keep(fsp.EMATo(d1, c, 20)) }, alloc: func() { keep(fsp.EMA(c, 20)) },
			stream: func() {
				s := fsp.NewEMAStream(20)
				var y float64
				for _, x := range c {
					y = s.Update(x)
				}
				sink += y
			},
			goTalib: func() { keep(talib.Ema(c, 20)) }},
		{name: "RSI(14)", ours: func() { keep(fsp.RSITo(d1, c, 14)) }, alloc: func() { keep(fsp.RSI(c, 14)) },
			stream: func() {
				s := fsp.NewRSIStream(14)
				var y float64
				for _, x := range c {
					y = s.Update(x)
				}
				sink += y
			},
			goTalib: func() { keep(talib.Rsi(c, 14)) }},
		{name: "MACD(12,26,9)", ours: func() { _, _, x := fsp.MACDTo(d1, d2, d3, c, 12, 26, 9); keep(x) }, alloc: func() { _, _, x := fsp.MACD(c, 12, 26, 9); keep(x) },
			stream: func() {
				s := fsp.NewMACDStream(12, 26, 9)
				var y float64
				for _, x := range c {
					_, _, y = s.Update(x)
				}
				sink += y
			},
			goTalib: func() { _, _, x := talib.Macd(c, 12, 26, 9); keep(x) }},
		{name: "BBANDS(20,2,2)", ours: func() { x, _, _ := fsp.BBANDSTo(d1, d2, d3, c, 20, 2, 2); keep(x) }, alloc: func() { x, _, _ := fsp.BBANDS(c, 20, 2, 2); keep(x) },
			stream: func() {
				s := fsp.NewBBANDSStream(20, 2, 2)
				var y float64
				for _, x := range c {
					y, _, _ = s.Bands(x)
				}
				sink += y
			},
			goTalib: func() { x, _, _ := talib.BBands(c, 20, 2, 2, talib.SMA); keep(x) }},
		{name: "TRANGE", ours: func() { keep(fsp.TRANGETo(d1, h, l, c)) }, alloc: func() { keep(fsp.TRANGE(h, l, c)) },
			stream: func() {
				s := fsp.NewTRANGEStream()
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i], c[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.TRange(h, l, c)) }},
		{name: "ATR(14)", ours: func() { keep(fsp.ATRTo(d1, h, l, c, 14)) }, alloc: func() { keep(fsp.ATR(h, l, c, 14)) },
			stream: func() {
				s := fsp.NewATRStream(14)
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i], c[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.Atr(h, l, c, 14)) }},
		{name: "NATR(14)", ours: func() { keep(fsp.NATRTo(d1, h, l, c, 14)) }, alloc: func() { keep(fsp.NATR(h, l, c, 14)) },
			stream: func() {
				s := fsp.NewNATRStream(14)
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i], c[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.Natr(h, l, c, 14)) }},
		{name: "STOCH(14,3,3)", ours: func() { x, _ := fsp.STOCHTo(d1, d2, h, l, c, 14, 3, 3); keep(x) }, alloc: func() { x, _ := fsp.STOCH(h, l, c, 14, 3, 3); keep(x) },
			stream: func() {
				s := fsp.NewSTOCHStream(14, 3, 3)
				var y float64
				for i := range c {
					y, _ = s.Update(h[i], l[i], c[i])
				}
				sink += y
			},
			goTalib: func() { x, _ := talib.Stoch(h, l, c, 14, 3, talib.SMA, 3, talib.SMA); keep(x) }},
		{name: "WILLR(14)", ours: func() { keep(fsp.WILLRTo(d1, h, l, c, 14)) }, alloc: func() { keep(fsp.WILLR(h, l, c, 14)) },
			stream: func() {
				s := fsp.NewWILLRStream(14)
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i], c[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.WillR(h, l, c, 14)) }},
		{name: "CCI(14)", ours: func() { keep(fsp.CCITo(d1, h, l, c, 14)) }, alloc: func() { keep(fsp.CCI(h, l, c, 14)) },
			stream: func() {
				s := fsp.NewCCIStream(14)
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i], c[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.Cci(h, l, c, 14)) }},
		{name: "MFI(14)", ours: func() { keep(fsp.MFITo(d1, h, l, c, v, 14)) }, alloc: func() { keep(fsp.MFI(h, l, c, v, 14)) },
			stream: func() {
				s := fsp.NewMFIStream(14)
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i], c[i], v[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.Mfi(h, l, c, v, 14)) }},
		{name: "ADX(14)", ours: func() { keep(fsp.ADXTo(d1, h, l, c, 14)) }, alloc: func() { keep(fsp.ADX(h, l, c, 14)) },
			stream: func() {
				s := fsp.NewDMIStream(14)
				var y float64
				for i := range c {
					y, _, _ = s.Update(h[i], l[i], c[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.Adx(h, l, c, 14)) }},
		{name: "PLUS_DI(14)", ours: func() { keep(fsp.PLUS_DITo(d1, h, l, c, 14)) }, alloc: func() { keep(fsp.PLUS_DI(h, l, c, 14)) },
			goTalib: func() { keep(talib.PlusDI(h, l, c, 14)) }},
		{name: "AROON(14)", ours: func() { x, _ := fsp.AROONTo(d1, d2, h, l, 14); keep(x) }, alloc: func() { x, _ := fsp.AROON(h, l, 14); keep(x) },
			stream: func() {
				s := fsp.NewAROONStream(14)
				var y float64
				for i := range c {
					y, _, _ = s.Update(h[i], l[i])
				}
				sink += y
			},
			goTalib: func() { x, _ := talib.Aroon(h, l, 14); keep(x) }},
		{name: "ULTOSC(7,14,28)", ours: func() { keep(fsp.ULTOSCTo(d1, h, l, c, 7, 14, 28)) }, alloc: func() { keep(fsp.ULTOSC(h, l, c, 7, 14, 28)) },
			stream: func() {
				s := fsp.NewULTOSCStream(7, 14, 28)
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i], c[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.UltOsc(h, l, c, 7, 14, 28)) }},
		{name: "SAR(0.02,0.2)", ours: func() { keep(fsp.SARTo(d1, h, l, 0.02, 0.2)) }, alloc: func() { keep(fsp.SAR(h, l, 0.02, 0.2)) },
			stream: func() {
				s := fsp.NewSARStream(0.02, 0.2)
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.Sar(h, l, 0.02, 0.2)) }},
		{name: "MIDPRICE(14)", ours: func() { keep(fsp.MIDPRICETo(d1, h, l, 14)) }, alloc: func() { keep(fsp.MIDPRICE(h, l, 14)) },
			stream: func() {
				s := fsp.NewMIDPRICEStream(14)
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.MidPrice(h, l, 14)) }},
		{name: "OBV", ours: func() { keep(fsp.OBVTo(d1, c, v)) }, alloc: func() { keep(fsp.OBV(c, v)) },
			stream: func() {
				s := fsp.NewOBVStream()
				var y float64
				for i := range c {
					y = s.Update(c[i], v[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.Obv(c, v)) }},
		{name: "AD", ours: func() { keep(fsp.ADTo(d1, h, l, c, v)) }, alloc: func() { keep(fsp.AD(h, l, c, v)) },
			stream: func() {
				s := fsp.NewADStream()
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i], c[i], v[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.Ad(h, l, c, v)) }},
		{name: "ADOSC(3,10)", ours: func() { keep(fsp.ADOSCTo(d1, h, l, c, v, 3, 10)) }, alloc: func() { keep(fsp.ADOSC(h, l, c, v, 3, 10)) },
			stream: func() {
				s := fsp.NewADOSCStream(3, 10)
				var y float64
				for i := range c {
					y = s.Update(h[i], l[i], c[i], v[i])
				}
				sink += y
			},
			goTalib: func() { keep(talib.AdOsc(h, l, c, v, 3, 10)) }},
		{name: "BOP", ours: func() { keep(fsp.BOPTo(d1, o, h, l, c)) }, alloc: func() { keep(fsp.BOP(o, h, l, c)) },
			stream: func() {
				s := fsp.NewBOPStream()
				var y float64
				for i := range c {
					y = s.Update(o[i], h[i], l[i], c[i])
				}
				sink += y
			}},
		{name: "VWAP(cum)", ours: func() { keep(fsp.VWAPTo(d1, h, l, c, v)) }, alloc: func() { keep(fsp.VWAP(h, l, c, v)) }},
	}
	for i := range list {
		list[i].talibC = cf[list[i].name]
	}
	return list
}
