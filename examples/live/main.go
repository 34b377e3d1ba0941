// Live streams synthetic one-second bars into a live chart for a few
// seconds. Open the printed address in a browser to watch the candles form;
// pass -open to open it, and a number of seconds to run longer.
//
//	workbench run examples/live/main.go -- [SECONDS] [-open]
package main

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"strconv"
	"time"

	"workbench/frames"
	"workbench/plots"
)

func main() {
	seconds, open := 3.0, false
	for _, a := range os.Args[1:] {
		if a == "-open" {
			open = true
			continue
		}
		s, err := strconv.ParseFloat(a, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "usage: live [SECONDS] [-open]")
			os.Exit(2)
		}
		seconds = s
	}
	if err := stream(seconds, open); err != nil {
		fmt.Fprintln(os.Stderr, "live:", err)
		os.Exit(1)
	}
}

func stream(seconds float64, open bool) error {
	const fqme = "synusd.demo"
	start := time.Now().Unix() - 120
	bars := frames.New(1, 0)
	r := rand.New(rand.NewSource(1))
	price := 100.0
	next := func(t int64) frames.Bar {
		o := price
		price = math.Max(1, price*math.Exp(r.NormFloat64()*0.002))
		hi, lo := math.Max(o, price)*(1+r.Float64()*0.001), math.Min(o, price)*(1-r.Float64()*0.001)
		return frames.Bar{Time: t, Open: o, High: hi, Low: lo, Close: price, Volume: float64(1 + r.Intn(50))}
	}
	for t := start; t < start+120; t++ {
		b := next(t)
		bars.Add(b.Time, b.Open, b.High, b.Low, b.Close, b.Volume)
	}
	c := plots.NewChart(fqme + " live")
	c.AddPane("price", 3).Candles(fqme, bars)
	c.AddPane("volume", 1).Volume(fqme, bars)
	l, err := plots.NewLive(c)
	if err != nil {
		return err
	}
	var url string
	if open {
		url, err = l.Show("127.0.0.1:0")
	} else {
		url, err = l.Start("127.0.0.1:0")
	}
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Println("live chart at", url)
	t := start + 120
	n := 0
	for end := time.Now().Add(time.Duration(seconds * float64(time.Second))); time.Now().Before(end); n++ {
		if err := l.Append(fqme, next(t)); err != nil {
			return err
		}
		t++
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("streamed %d bars; last close %.2f\n", n, price)
	return nil
}
