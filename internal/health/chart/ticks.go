package chart

import (
	"math"
	"time"

	"github.com/go-analyze/charts"
)

// timeSteps are the distances between time labels, from the finest; ticks
// fall on multiples of the step counted from local midnight, so a reader
// sees round wall-clock times (14:15, 14:30) in the chart's zone.
var timeSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour, 28 * 24 * time.Hour,
}

// maxTimeLabels caps the time labels so that a wide chart is not cluttered.
const maxTimeLabels = 8

// timeLayout is the label format: the date is only shown when the range is
// longer than a day, seconds only when the labels are less than a minute apart.
func timeLayout(span, step time.Duration) string {
	switch {
	case span > 24*time.Hour:
		return "01-02 15:04"
	case step < time.Minute:
		return "15:04:05"
	default:
		return "15:04"
	}
}

// timeTicks are the times from..to that are multiples of step after local
// midnight in loc; it stops early once there are more than limit of them.
// Whole-day steps count calendar days, so that they stay on midnight across
// a daylight-saving change.
func timeTicks(from, to time.Time, loc *time.Location, step time.Duration, limit int) []time.Time {
	f := from.In(loc)
	midnight := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
	next := func(t time.Time) time.Time { return t.Add(step) }
	if days := int(step / (24 * time.Hour)); step%(24*time.Hour) == 0 {
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, days) }
	}
	var ticks []time.Time
	for t := midnight.Add(from.Sub(midnight) / step * step); !t.After(to) && len(ticks) <= limit; t = next(t) {
		if !t.Before(from) {
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// stepFor is the finest step whose labels fit an axis width pixels long:
// ticks a step apart must leave a label's width (labelWidth of its layout)
// plus gap between them, and there may be at most maxTimeLabels. Past the
// end of timeSteps it doubles the last step.
func stepFor(from, to time.Time, loc *time.Location, width, gap int, labelWidth func(string) int) (time.Duration, []time.Time) {
	span := to.Sub(from)
	for i := 0; ; i++ {
		step := timeSteps[min(i, len(timeSteps)-1)]
		if i >= len(timeSteps) {
			step <<= i - len(timeSteps) + 1
		}
		if step <= 0 { // shifted past the range of time.Duration
			return step, nil
		}
		spacing := float64(step) / float64(span) * float64(width)
		if spacing < float64(labelWidth(timeLayout(span, step))+gap) {
			continue
		}
		if ticks := timeTicks(from, to, loc, step, maxTimeLabels); len(ticks) <= maxTimeLabels {
			return step, ticks
		}
	}
}

// valueRange is the part of the y axis the data needs: from 0 when no value
// is negative (to 0 when none is positive), a little headroom above the top,
// and a unit range when every value is 0.
func valueRange(lo, hi float64) (float64, float64) {
	if lo >= 0 {
		lo = 0
	} else if hi <= 0 {
		hi = 0
	}
	if hi == lo {
		return 0, 1
	}
	if hi > 0 {
		hi += (hi - lo) * 0.05
	} else {
		lo -= (hi - lo) * 0.05
	}
	return lo, hi
}

// niceScale covers lo..hi with at most maxIntervals intervals of a round
// step (1, 2, 2.5 or 5 times a power of ten; whole numbers only for
// integer values); it returns the first value,
// the step and the number of intervals.
func niceScale(lo, hi float64, maxIntervals int, integer bool) (float64, float64, int) {
	maxIntervals = max(maxIntervals, 1)
	exp := math.Floor(math.Log10((hi - lo) / float64(maxIntervals)))
	if math.IsInf(exp, 0) || math.IsNaN(exp) { // a span of ±1e308 values overflows: one plain interval
		return lo, hi - lo, 1
	}
	for e := exp - 1; e < exp+3; e++ {
		for _, m := range []float64{1, 2, 2.5, 5} {
			step := m * math.Pow(10, e)
			if integer && step != math.Trunc(step) {
				continue // counts step by whole numbers: 0, 1, 2, not 0.5
			}
			first := math.Floor(lo/step + 1e-9)
			last := math.Ceil(hi/step - 1e-9)
			if n := int(last - first); n <= maxIntervals {
				return first * step, step, max(n, 1)
			}
		}
	}
	return lo, (hi - lo) / float64(maxIntervals), maxIntervals // e.g. -1..1 in one interval: plain steps
}

// valueLabel formats a y-axis value humanized (1.2k, 3.5M) with the
// decimals it needs at its own scale (at most 6): labels are multiples of a
// round step, so "1.25k" is exact and "800M" needs no ".0".
func valueLabel(v float64) string {
	scale := 1.0
	for _, s := range []float64{1e12, 1e9, 1e6, 1e3} {
		if math.Abs(v) >= s {
			scale = s
			break
		}
	}
	decimals, x := 0, math.Abs(v)/scale
	for ; decimals < 6 && math.Abs(x-math.Round(x)) > 1e-6*math.Max(1, x); decimals++ {
		x *= 10
	}
	return charts.FormatValueHumanizeShort(v, decimals, false)
}
