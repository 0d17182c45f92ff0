// Package chart draws the health chart of one metric of a live channel as a
// PNG, the picture that GET /api/channels/{id}/health answers with.
//
// The pictures are meant to be read by a person, so the package lays the
// chart out itself (title with the time zone, y labels, time labels at round
// wall-clock times, grid, legend) and lets github.com/go-analyze/charts draw
// the text and the lines. The library's own axes are not used: its category
// x axis can only label evenly spaced data indices, not round times, and it
// does not report where it put the plot area, which custom labels need.
package chart

import (
	"fmt"
	"time"

	"github.com/go-analyze/charts"
)

// Point is one value of a series at a time; math.NaN() is "no data" (drawn as a gap, never as 0).
type Point struct {
	T time.Time
	V float64
}

// Series is one line: Name is what the legend shows ("pipeline 0", "pipeline 1", "720p", "cdn-main").
type Series struct {
	Name   string
	Points []Point
}

// Chart is one metric's chart.
type Chart struct {
	Title    string // the metric, "NetworkIn"
	Unit     string // "kbps", "fps", "s", "ms", "x", "count", "viewers", "requests/s"; shown in the title
	Width    int    // pixels, MinSize..MaxSize; clamped into it
	Height   int
	Location *time.Location // time zone of the time-axis labels; nil = UTC
	From, To time.Time      // the time range of the x axis (points outside are ignored)
	Series   []Series       // each series' points sorted by T; the series may have different times: they are aligned onto one time grid
	// Integer: the values are whole counts (errors, alerts, seconds lost),
	// so the value axis steps by whole numbers.
	Integer bool
}

// Size limits and defaults of a chart in pixels.
const (
	MinSize       = 100
	MaxSize       = 2000
	DefaultWidth  = 600
	DefaultHeight = 400
)

// PNG draws c as a PNG of exactly Width x Height pixels. It never panics:
// a panic of the chart library comes back as an error.
//
// A Width or Height outside 100..2000 is clamped into it (0 means the
// default 600x400), a nil Location means UTC, and an empty time range is
// widened so that a chart is still drawn.
func PNG(c Chart) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("chart %q: drawing failed: %v", c.Title, r)
		}
	}()
	c = normalize(c)
	p := charts.NewPainter(charts.PainterOptions{
		OutputFormat: charts.ChartOutputPNG,
		Width:        c.Width,
		Height:       c.Height,
		Font:         fontFace,
	})
	l := newLayout(c, p)
	if err := draw(p, c, l); err != nil {
		return nil, fmt.Errorf("chart %q: %w", c.Title, err)
	}
	return p.Bytes()
}

// AxisLabels are the time-axis labels PNG draws for c, in c.Location, left to right (exported for tests and for the JSON answer).
//
// It lays the chart out exactly as PNG does, so the labels are the ones in
// the picture; it returns nil if the layout fails.
func AxisLabels(c Chart) (labels []string) {
	defer func() {
		if recover() != nil {
			labels = nil
		}
	}()
	for _, t := range newLayout(normalize(c), measurer()).xTicks {
		labels = append(labels, t.text.s)
	}
	return labels
}

// normalize applies the defensive defaults that PNG documents.
func normalize(c Chart) Chart {
	c.Width = clampSize(c.Width, DefaultWidth)
	c.Height = clampSize(c.Height, DefaultHeight)
	if c.Location == nil {
		c.Location = time.UTC
	}
	if !c.To.After(c.From) {
		c.To = c.From.Add(time.Hour)
	}
	return c
}

// measurer is a painter to measure text with: the font is the real one,
// the canvas is too small to matter.
func measurer() *charts.Painter {
	return charts.NewPainter(charts.PainterOptions{Width: 1, Height: 1, Font: fontFace})
}

// clampSize keeps a pixel size within MinSize..MaxSize, with def for unset.
func clampSize(v, def int) int {
	if v <= 0 {
		return def
	}
	return min(max(v, MinSize), MaxSize)
}
