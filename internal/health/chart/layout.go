package chart

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-analyze/charts"
)

// The dark, Grafana-like look: panel background, faint grid, soft text and
// Grafana's default series colours, in that order for pipeline 0, 1, ...
var (
	colorBackground = charts.ColorFromHex("181b1f")
	colorGrid       = charts.ColorFromHex("2c3036")
	colorTitle      = charts.ColorFromHex("d8d9da")
	colorText       = charts.ColorFromHex("a7aab4")
	colorNoData     = charts.ColorFromHex("8e8e9a")
	fontFace        = charts.GetFont(charts.FontFamilyRoboto)
	seriesTheme     = charts.MakeTheme(charts.ThemeOption{
		IsDarkMode:      true,
		BackgroundColor: charts.ColorTransparent, // the grid drawn before the lines must stay visible
		TextColor:       colorText,
		SeriesColors: []charts.Color{
			charts.ColorFromHex("73bf69"), charts.ColorFromHex("f2cc0c"), charts.ColorFromHex("5794f2"),
			charts.ColorFromHex("ff9830"), charts.ColorFromHex("f2495c"), charts.ColorFromHex("b877d9"),
			charts.ColorFromHex("8ab8ff"), charts.ColorFromHex("37872d"),
		},
	})
)

// text is one piece of text placed on the canvas at its baseline.
type text struct {
	s    string
	x, y int
}

// xTick is one time label with the x of its grid line.
type xTick struct {
	x    int
	text text
}

// yTick is one value label with the y of its grid line.
type yTick struct {
	y    int
	text text
}

// legendItem is one series' swatch, a short line from x centred on y, and name.
type legendItem struct {
	color  charts.Color
	x, y   int
	swatch int
	name   text
}

// layout is where everything of one chart goes; PNG draws it and AxisLabels
// reads its time labels, so both always agree.
type layout struct {
	font, titleFont charts.FontStyle
	textH           int // pixel height of a line of axis text
	lineWidth       float64
	title           []text
	legend          []legendItem
	plot            charts.Box
	yMin, yMax      float64
	yTicks          []yTick
	xTicks          []xTick
	grid            grid
	hasData         bool
	integer         bool // whole-number value steps
}

// newLayout lays c out, measuring text with p. The order matters: title
// and legend depend on the width only, the value labels on the plot's
// height, the time labels and the grid on the plot's width.
func newLayout(c Chart, p *charts.Painter) *layout {
	fs := fontSize(c.Width, c.Height)
	l := &layout{
		font:      charts.FontStyle{FontSize: fs, FontColor: colorText, Font: fontFace},
		titleFont: charts.FontStyle{FontSize: fs * titleScale(c.Height), FontColor: colorTitle, Font: fontFace},
		lineWidth: math.Max(1.25, math.Min(3, fs/6)),
		integer:   c.Integer,
	}
	l.textH = p.MeasureText("0", 0, l.font).Height()
	pad := max(4, l.textH*2/3)
	top := l.layoutTitle(p, c, pad)
	bottom := c.Height - pad - l.layoutLegend(p, c, pad)
	l.plot = charts.Box{Top: top + l.textH*2/3, Bottom: bottom - l.textH*2, Right: c.Width - pad, IsSet: true}
	lo, hi, ok := dataRange(c)
	l.hasData = ok
	l.plot.Bottom = max(l.plot.Bottom, l.plot.Top+1) // never an empty plot box, however much text
	l.plot.Left = min(pad+l.layoutValues(p, lo, hi, pad), l.plot.Right-1)
	l.layoutTimes(p, c)
	l.grid = newGrid(c, l.plot.Width())
	return l
}

// fontSize is the text size in points for a w x h chart: it grows with the
// area (9.6 at 600x400, 18 at 2000x2000) but stays small enough for a short
// or narrow chart to keep room for its plot, and never below legible.
func fontSize(w, h int) float64 {
	fw, fh := float64(w), float64(h)
	return math.Max(6.5, math.Min(18, min(math.Sqrt(fw*fh)/51, fh/30, fw/15)))
}

// titleScale makes the title larger than the labels, less so in a short
// chart, where every line of text takes room from the plot.
func titleScale(h int) float64 {
	return 1 + 0.2*math.Min(1, math.Max(0, float64(h-100)/200))
}

// layoutTitle places "Title (unit) · zone" on one line, or on two when it
// does not fit, and returns the y below it. A title too long for the width
// is shortened, never the unit or the zone.
func (l *layout) layoutTitle(p *charts.Painter, c Chart, pad int) int {
	width := c.Width - 2*pad
	unit := ""
	if c.Unit != "" {
		unit = " (" + c.Unit + ")"
	}
	head := strings.TrimSpace(fitText(p, c.Title, width-p.MeasureText(unit, 0, l.titleFont).Width(), l.titleFont) + unit)
	zone := zoneName(c.Location, c.From)
	lines := []string{head + " · " + zone}
	if head == "" {
		lines = []string{zone}
	} else if p.MeasureText(lines[0], 0, l.titleFont).Width() > width {
		lines = []string{head, zone}
	}
	y := pad
	for _, s := range lines {
		s = fitText(p, s, width, l.titleFont)
		h := p.MeasureText(s, 0, l.titleFont).Height()
		y += h
		l.title = append(l.title, text{s: s, x: pad, y: y})
		y += h / 4
	}
	return y
}

// zoneName names loc for the title: the IANA name when it has one
// ("Europe/Sofia"), else the offset at t ("UTC+05:30").
func zoneName(loc *time.Location, t time.Time) string {
	if name := loc.String(); name == "UTC" || strings.Contains(name, "/") {
		return name
	}
	_, offset := t.In(loc).Zone()
	sign := '+'
	if offset < 0 {
		sign, offset = '-', -offset
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, offset/3600, offset/60%60)
}

// fitText shortens s with an ellipsis until it is at most width pixels wide.
func fitText(p *charts.Painter, s string, width int, style charts.FontStyle) string {
	r := []rune(s)
	for cut := len(r); cut > 0; cut-- {
		t := string(r[:cut])
		if cut < len(r) {
			t += "…"
		}
		if p.MeasureText(t, 0, style).Width() <= width {
			return t
		}
	}
	return ""
}

// layoutLegend flows the series names left to right in rows at the bottom,
// at most a third of the height of them, and returns the height it takes.
func (l *layout) layoutLegend(p *charts.Painter, c Chart, pad int) int {
	swatch, gap, spacing := l.textH, l.textH/3, l.textH
	rowH := l.textH * 4 / 3
	maxRows := max(1, c.Height/3/rowH)
	var rows []int // the row of each legend item
	x, row := pad, 0
	for i, s := range c.Series {
		name := fitText(p, s.Name, c.Width-2*pad-swatch-gap, l.font)
		w := swatch + gap + p.MeasureText(name, 0, l.font).Width()
		if x > pad && x+w > c.Width-pad {
			x, row = pad, row+1
		}
		if row >= maxRows {
			break
		}
		l.legend = append(l.legend, legendItem{
			color: seriesTheme.GetSeriesColor(i), x: x, swatch: swatch, name: text{s: name, x: x + swatch + gap},
		})
		rows = append(rows, row)
		x += w + spacing
	}
	if len(rows) == 0 {
		return 0
	}
	used := (row + 1) * rowH
	top := c.Height - pad - used
	for i, r := range rows {
		base := top + r*rowH + l.textH*4/5 // baseline of the row's text
		l.legend[i].y, l.legend[i].name.y = base-l.textH*7/20, base
	}
	return used
}

// dataRange is the smallest and largest drawable value in c's time range.
func dataRange(c Chart) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for _, pt := range s.Points {
			if usable(pt.V) && !pt.T.Before(c.From) && !pt.T.After(c.To) {
				lo, hi, ok = math.Min(lo, pt.V), math.Max(hi, pt.V), true
			}
		}
	}
	return lo, hi, ok
}

// layoutValues chooses the value axis for lo..hi (unlabelled 0..1 without
// data), right-aligns its labels at pad + their width, and returns the
// width of the labels plus their gap to the plot.
func (l *layout) layoutValues(p *charts.Painter, lo, hi float64, pad int) int {
	if !l.hasData {
		lo, hi = 0, 1
	}
	lo, hi = valueRange(lo, hi)
	height := l.plot.Height()
	first, step, n := niceScale(lo, hi, min(8, height/(l.textH*2)), l.integer)
	l.yMin, l.yMax = first, first+step*float64(n)
	widths := make([]int, n+1)
	for i := range widths {
		y := l.plot.Top + height - int(float64(i)/float64(n)*float64(height))
		s := ""
		if l.hasData {
			s = valueLabel((math.Round(first/step) + float64(i)) * step)
		}
		widths[i] = p.MeasureText(s, 0, l.font).Width()
		l.yTicks = append(l.yTicks, yTick{y: y, text: text{s: s, y: y + l.textH*3/10}})
	}
	width := slices.Max(widths)
	for i := range l.yTicks {
		l.yTicks[i].text.x = pad + width - widths[i]
	}
	if width == 0 {
		return 0
	}
	return width + l.textH/2
}

// layoutTimes places the time labels centred under their grid lines, kept
// inside the picture and dropped where they would touch their neighbour.
func (l *layout) layoutTimes(p *charts.Painter, c Chart) {
	width := l.plot.Width()
	gap := l.textH / 2
	// A layout string is as wide as its labels: Roboto's digits all have one width.
	measure := func(layout string) int { return p.MeasureText(layout, 0, l.font).Width() }
	step, ticks := stepFor(c.From, c.To, c.Location, width, gap, measure)
	layout := timeLayout(c.To.Sub(c.From), step)
	span := float64(c.To.Sub(c.From))
	right := math.MinInt
	for _, t := range ticks {
		label := t.In(c.Location).Format(layout)
		w := p.MeasureText(label, 0, l.font).Width()
		x := l.plot.Left + int(float64(t.Sub(c.From))/span*float64(width))
		tx := min(max(x-w/2, 0), c.Width-w)
		if tx < right+gap {
			continue
		}
		right = tx + w
		l.xTicks = append(l.xTicks, xTick{x: x, text: text{s: label, x: tx, y: l.plot.Bottom + l.textH*7/5}})
	}
}
