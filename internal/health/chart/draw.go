package chart

import (
	"github.com/go-analyze/charts"
)

// draw paints the laid-out chart: background, title, grid with its labels
// and legend first, then the lines (or "no data") over the grid.
func draw(p *charts.Painter, c Chart, l *layout) error {
	p.FilledRect(0, 0, c.Width, c.Height, colorBackground, colorBackground, 0)
	for _, t := range l.title {
		p.Text(t.s, t.x, t.y, 0, l.titleFont)
	}
	for _, t := range l.yTicks {
		hline(p, l.plot.Left, l.plot.Right, t.y)
		p.Text(t.text.s, t.text.x, t.text.y, 0, l.font)
	}
	for _, t := range l.xTicks {
		p.LineStroke([]charts.Point{{X: t.x, Y: l.plot.Top}, {X: t.x, Y: l.plot.Bottom}}, colorGrid, 1)
		p.Text(t.text.s, t.text.x, t.text.y, 0, l.font)
	}
	for _, it := range l.legend {
		p.LineStroke([]charts.Point{{X: it.x, Y: it.y}, {X: it.x + it.swatch, Y: it.y}}, it.color, l.lineWidth*2)
		p.Text(it.name.s, it.name.x, it.name.y, 0, l.font)
	}
	if !l.hasData {
		noData(p, l)
		return nil
	}
	return drawLines(p, c, l)
}

// hline draws one horizontal grid line.
func hline(p *charts.Painter, x0, x1, y int) {
	p.LineStroke([]charts.Point{{X: x0, Y: y}, {X: x1, Y: y}}, colorGrid, 1)
}

// noData writes "no data" in the middle of the plot.
func noData(p *charts.Painter, l *layout) {
	style := l.titleFont
	style.FontColor = colorNoData
	box := p.MeasureText("no data", 0, style)
	x := l.plot.Left + (l.plot.Width()-box.Width())/2
	y := l.plot.Top + (l.plot.Height()+box.Height())/2
	p.Text("no data", x, y, 0, style)
}

// sparseDots is the number of values below which a series also gets a dot
// on each value, so that a lone point or a short run stays visible.
const sparseDots = 60

// drawn counts the values of a series that are not gaps.
func drawn(values []float64) int {
	n := 0
	for _, v := range values {
		if v != charts.GetNullValue() {
			n++
		}
	}
	return n
}

// drawLines lets the library's line chart draw the series inside the plot
// box: its axes, title and legend are hidden and its value range is pinned
// to the layout's, so the lines land exactly on the grid drawn around them.
func drawLines(p *charts.Painter, c Chart, l *layout) error {
	list := make(charts.LineSeriesList, len(c.Series))
	for i, s := range c.Series {
		list[i] = charts.LineSeries{Name: s.Name, Values: l.grid.align(s.Points)}
		if drawn(list[i].Values) < sparseDots {
			list[i].Symbol = charts.Symbol{Shape: charts.SymbolDot, Size: l.lineWidth * 1.5}
		}
	}
	hidden := charts.Ptr(false)
	opt := charts.LineChartOption{
		Theme:      seriesTheme,
		SeriesList: list,
		XAxis: charts.XAxisOption{
			Show:        hidden,
			BoundaryGap: hidden,
			Labels:      make([]string, l.grid.n), // empty: the library would otherwise measure "1".."n"
		},
		YAxis:           []charts.YAxisOption{{Show: hidden, Min: charts.Ptr(l.yMin), Max: charts.Ptr(l.yMax)}},
		Title:           charts.TitleOption{Show: hidden},
		Legend:          charts.LegendOption{Show: hidden},
		Symbol:          charts.Symbol{Shape: charts.SymbolNone},
		LineStrokeWidth: l.lineWidth,
	}
	return p.Child(charts.PainterBoxOption(l.plot)).LineChart(opt)
}
