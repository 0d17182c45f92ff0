package chart

import (
	"math"
	"slices"
	"time"

	"github.com/go-analyze/charts"
)

// grid is the common time axis all series are drawn on: n evenly spaced
// slots, slot 0 at From and slot n-1 at To, which is how the library's line
// chart places values (one x position per index).
//
// When the data has at most about one point per pixel, a slot is one data
// step wide and holds the point that falls in it (the mean, should jitter
// put two points in one slot). When the data is denser, the grid has two
// slots per pixel and each pixel's pair holds the minimum and the maximum of
// that pixel's points, in time order: that keeps short spikes and dips,
// which an average would flatten, and bounds the work to the chart's width.
type grid struct {
	from  time.Time
	to    time.Time
	slot  float64 // slot width in nanoseconds
	n     int
	dense bool
}

// newGrid chooses the grid for c's series drawn plotWidth pixels wide.
func newGrid(c Chart, plotWidth int) grid {
	plotWidth = max(plotWidth, 1)
	span := float64(c.To.Sub(c.From))
	n := plotWidth + 1 // no step known (single points): one slot per pixel
	dense := false
	if step := medianStep(c.Series); step > 0 {
		steps := math.Floor(span / float64(step))
		if steps <= float64(plotWidth) {
			// floor makes a slot at least one step wide, so regular data never leaves a slot empty.
			n = int(steps) + 1
		} else {
			n, dense = 2*plotWidth, true
		}
	}
	n = max(n, 2)
	return grid{from: c.From, to: c.To, slot: span / float64(n-1), n: n, dense: dense}
}

// medianStep is the median time between consecutive points over all series,
// a step that holes in the data or jitter do not distort; 0 if unknown.
func medianStep(series []Series) time.Duration {
	var steps []time.Duration
	for _, s := range series {
		for i := 1; i < len(s.Points); i++ {
			if d := s.Points[i].T.Sub(s.Points[i-1].T); d > 0 {
				steps = append(steps, d)
			}
		}
	}
	if len(steps) == 0 {
		return 0
	}
	slices.Sort(steps)
	return steps[len(steps)/2]
}

// index is the slot of t, or -1 when t is outside the grid's range.
func (g grid) index(t time.Time) int {
	if t.Before(g.from) || t.After(g.to) {
		return -1
	}
	return min(int(math.Round(float64(t.Sub(g.from))/g.slot)), g.n-1)
}

// align puts the points of one series on the grid; slots without data hold
// the library's null value, which the line chart draws as a gap.
func (g grid) align(points []Point) []float64 {
	values := make([]float64, g.n)
	for i := range values {
		values[i] = charts.GetNullValue()
	}
	if g.dense {
		g.alignMinMax(points, values)
	} else {
		g.alignMean(points, values)
	}
	return values
}

// usable reports whether v is a value to draw: not NaN, not infinite, and
// not the library's null value (math.MaxFloat64), which it would skip.
func usable(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && v != charts.GetNullValue()
}

// alignMean stores in each slot the mean of the points that fall in it.
func (g grid) alignMean(points []Point, values []float64) {
	counts := make([]int, g.n)
	for _, p := range points {
		i := g.index(p.T)
		if i < 0 || !usable(p.V) {
			continue
		}
		if counts[i] == 0 {
			values[i] = 0
		}
		counts[i]++
		values[i] += (p.V - values[i]) / float64(counts[i])
	}
}

// extremes are the smallest and the largest point of one pixel.
type extremes struct {
	lo, hi Point
	ok     bool
}

// alignMinMax stores each pixel's minimum and maximum in its two slots, the
// earlier of the two first.
func (g grid) alignMinMax(points []Point, values []float64) {
	pixels := make([]extremes, g.n/2)
	for _, p := range points {
		i := g.index(p.T)
		if i < 0 || !usable(p.V) {
			continue
		}
		e := &pixels[i/2]
		if !e.ok {
			*e = extremes{lo: p, hi: p, ok: true}
			continue
		}
		if p.V < e.lo.V {
			e.lo = p
		}
		if p.V > e.hi.V {
			e.hi = p
		}
	}
	for b, e := range pixels {
		if !e.ok {
			continue
		}
		first, second := e.lo, e.hi
		if second.T.Before(first.T) {
			first, second = second, first
		}
		values[2*b], values[2*b+1] = first.V, second.V
	}
}
