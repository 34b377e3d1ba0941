package main

import (
	"fmt"
	"io"
	"log/slog"

	"workbench/feeds"
	"workbench/frames"
	"workbench/paper"
	"workbench/plots"
)

// chartedStrategy runs a paper session's strategy and shows the session in
// the live window: each market's bars as they close, its fills as markers
// at their prices (▲ buy, ▼ sell) and its position as a step in a pane
// below. It sees what the strategy sees, on the session's goroutine, so the
// paper loop needs no hook of its own. A paper session is fed bars only:
// the quote and trade handlers of a strategy are not forwarded.
type chartedStrategy struct {
	inner   paper.Strategy
	live    *plots.Live
	markets map[string]*chartedMarket
}

type chartedMarket struct {
	chart      int
	bars       *frames.OHLCV
	buys, sell *plots.Series
	position   *plots.Series
	fills      []paper.Report // fills of the bar being closed, not drawn yet
	pos        float64        // the position after the bar being closed
}

// chartPaper wraps strat so that the session is drawn in a live window
// served on 127.0.0.1 (a browser opens when there is a display, else the
// URL goes to w). Call stop when the session ends.
func chartPaper(strat paper.Strategy, fqmes []string, period int64, w io.Writer) (_ paper.Strategy, stop func() error, _ error) {
	s := &chartedStrategy{inner: strat, markets: map[string]*chartedMarket{}}
	var charts []*plots.Chart
	for i, fq := range fqmes {
		m := &chartedMarket{chart: i, bars: frames.New(period, 0)}
		c := plots.NewChart("paper " + fq + " " + frames.FormatPeriod(period))
		c.Index = true // bars side by side, as workbench live draws them by default
		price := c.AddPane("price", 3)
		price.Candles(fq, m.bars)
		m.buys = price.Markers("buys", nil, nil, plots.ShapeUp)
		m.sell = price.Markers("sells", nil, nil, plots.ShapeDown)
		m.position = c.AddPane("position", 1).Step("position", nil, nil)
		charts = append(charts, c)
		s.markets[fq] = m
	}
	l, err := plots.NewLive(charts...)
	if err != nil {
		return nil, nil, err
	}
	l.Out = w
	for _, m := range s.markets {
		l.Derive(m.chart, m.draw)
	}
	if _, err := l.Show("127.0.0.1:0"); err != nil {
		return nil, nil, fmt.Errorf("paper --chart: %w", err)
	}
	s.live = l
	return s, l.Close, nil
}

// draw adds the closed bar's fills and position to the chart's series; the
// live window calls it with the chart locked, as the bar is appended.
func (m *chartedMarket) draw() {
	t := m.bars.Time[m.bars.Len()-1]
	for _, f := range m.fills {
		s := m.buys
		if f.Side == paper.Sell {
			s = m.sell
		}
		s.Time, s.Y = append(s.Time, t), append(s.Y, f.Price.InexactFloat64())
	}
	m.fills = m.fills[:0]
	p := m.position
	if n := len(p.Time); n == 0 || p.Time[n-1] != t {
		p.Time, p.Y = append(p.Time, t), append(p.Y, m.pos)
	} else {
		p.Y[n-1] = m.pos
	}
}

func (s *chartedStrategy) OnBar(c *paper.Context, b feeds.BarEvent) {
	if m := s.markets[b.FQME]; m != nil {
		m.pos = c.Position(b.FQME)
		// The bar's fills came before it closed: they go with it.
		if err := s.live.Append(b.FQME, b.Bar); err != nil {
			slog.Warn("paper --chart", "err", err)
		}
	}
	s.inner.OnBar(c, b)
}

func (s *chartedStrategy) OnFill(c *paper.Context, f paper.Report) {
	if m := s.markets[f.FQME]; m != nil {
		m.fills = append(m.fills, f)
	}
	if h, ok := s.inner.(paper.FillHandler); ok {
		h.OnFill(c, f)
	}
}

func (s *chartedStrategy) Start(c *paper.Context) error {
	if st, ok := s.inner.(paper.Starter); ok {
		return st.Start(c)
	}
	return nil
}

func (s *chartedStrategy) Finish(c *paper.Context) {
	if f, ok := s.inner.(paper.Finisher); ok {
		f.Finish(c)
	}
}
