package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Sofia without the system's zone files

	"github.com/go-analyze/charts"
)

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

// wave is n points every step from start: a slow sine around base with a
// little deterministic wobble, like a bitrate.
func wave(start time.Time, step time.Duration, n int, base, amp float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		x := float64(i)
		pts[i] = Point{T: start.Add(time.Duration(i) * step), V: base + amp*math.Sin(x/40) + amp/5*math.Sin(x*1.7)}
	}
	return pts
}

// hour is the default chart: two pipelines of NetworkIn over one hour at 10 s.
func hour() Chart {
	return Chart{
		Title: "NetworkIn", Unit: "kbps", Width: 600, Height: 400,
		From: t0, To: t0.Add(time.Hour),
		Series: []Series{
			{Name: "pipeline 0", Points: wave(t0, 10*time.Second, 361, 4500, 600)},
			{Name: "pipeline 1", Points: wave(t0.Add(5*time.Second), 10*time.Second, 360, 3000, 400)},
		},
	}
}

// decode renders c and decodes the PNG, failing the test on any error.
func decode(t testing.TB, c Chart) image.Image {
	t.Helper()
	b, err := PNG(c)
	if err != nil {
		t.Fatalf("PNG: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return img
}

// colours counts the distinct colours in r of img.
func colours(img image.Image, r image.Rectangle) int {
	seen := map[[4]uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			seen[[4]uint32{cr, cg, cb, ca}] = true
		}
	}
	return len(seen)
}

// seriesPixels counts the pixels in the plot of c that have the colour of
// series i (its lines are the only saturated green/yellow there).
func seriesPixels(t *testing.T, c Chart, i int) int {
	img := decode(t, c)
	l := newLayout(normalize(c), measurer())
	want := seriesTheme.GetSeriesColor(i)
	n := 0
	for y := l.plot.Top; y < l.plot.Bottom; y++ {
		for x := l.plot.Left; x < l.plot.Right; x++ {
			if towards(img.At(x, y), colorBackground, want) {
				n++
			}
		}
	}
	return n
}

// towards reports whether c lies on the way from the background bg to the
// series colour want, at least 40% of it: a line pixel, anti-aliased or not.
func towards(c color.Color, bg, want charts.Color) bool {
	r, g, b, _ := c.RGBA()
	px := [3]float64{float64(r >> 8), float64(g >> 8), float64(b >> 8)}
	from := [3]float64{float64(bg.R), float64(bg.G), float64(bg.B)}
	to := [3]float64{float64(want.R), float64(want.G), float64(want.B)}
	var dot, norm float64
	for i := range px {
		dot += (px[i] - from[i]) * (to[i] - from[i])
		norm += (to[i] - from[i]) * (to[i] - from[i])
	}
	k := dot / norm
	var off float64
	for i := range px {
		d := px[i] - (from[i] + k*(to[i]-from[i]))
		off += d * d
	}
	return k > 0.4 && math.Sqrt(off) < 30
}

func TestPNGSize(t *testing.T) {
	for _, sz := range [][2]int{{100, 100}, {600, 400}, {2000, 2000}, {2000, 100}, {100, 2000}, {333, 217}} {
		c := hour()
		c.Width, c.Height = sz[0], sz[1]
		img := decode(t, c)
		if got := img.Bounds().Size(); got.X != sz[0] || got.Y != sz[1] {
			t.Errorf("%dx%d: got %dx%d", sz[0], sz[1], got.X, got.Y)
		}
	}
}

func TestPNGClampsSize(t *testing.T) {
	c := hour()
	c.Width, c.Height = 0, 5000
	if got := decode(t, c).Bounds().Size(); got.X != 600 || got.Y != 2000 {
		t.Errorf("got %v, want 600x2000", got)
	}
}

func TestNotBlank(t *testing.T) {
	c := hour()
	img := decode(t, c)
	l := newLayout(normalize(c), measurer())
	plot := image.Rect(l.plot.Left, l.plot.Top, l.plot.Right, l.plot.Bottom)
	if n := colours(img, plot); n < 10 {
		t.Errorf("plot area has %d colours, want a drawn chart", n)
	}
	for i := range c.Series {
		if n := seriesPixels(t, c, i); n < 200 {
			t.Errorf("series %d: %d pixels of its colour, want a line", i, n)
		}
	}
}

// parseLabels turns labels back into instants: they are HH:MM in loc on the
// day of from, a label that reads earlier than from is on the next day.
func parseLabels(t *testing.T, labels []string, from time.Time, loc *time.Location) []time.Time {
	t.Helper()
	f := from.In(loc)
	var out []time.Time
	for _, s := range labels {
		hm, err := time.Parse("15:04", s)
		if err != nil {
			t.Fatalf("label %q: %v", s, err)
		}
		at := time.Date(f.Year(), f.Month(), f.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
		if at.Before(from.Add(-time.Minute)) {
			at = at.AddDate(0, 0, 1)
		}
		out = append(out, at)
	}
	return out
}

func TestAxisLabelsZone(t *testing.T) {
	c := hour()
	c.From, c.To = t0.Add(7*time.Minute), t0.Add(2*time.Hour+7*time.Minute)
	utc := AxisLabels(c)
	c.Location = time.FixedZone("", 5*3600+1800)
	local := AxisLabels(c)
	if len(utc) < 4 || len(utc) > 8 || len(local) != len(utc) {
		t.Fatalf("want 4..8 labels in both zones, got %q and %q", utc, local)
	}
	u := parseLabels(t, utc, c.From, time.UTC)
	l := parseLabels(t, local, c.From, c.Location)
	for i := range u {
		if !u[i].Equal(l[i]) {
			t.Errorf("label %d: %s UTC and %s +05:30 are different instants", i, utc[i], local[i])
		}
		wall := func(s string) time.Time { v, _ := time.Parse("15:04", s); return v }
		if d := wall(local[i]).Sub(wall(utc[i])); d != 5*time.Hour+30*time.Minute && d != 5*time.Hour+30*time.Minute-24*time.Hour {
			t.Errorf("label %d: %s vs %s differ by %v, want 5h30m", i, local[i], utc[i], d)
		}
		if u[i].Before(c.From) || u[i].After(c.To) {
			t.Errorf("label %s outside the range", utc[i])
		}
	}
	if l := newLayout(normalize(c), measurer()); !strings.Contains(l.title[0].s, "UTC+05:30") {
		t.Errorf("title %q does not name the zone", l.title[0].s)
	}
}

func TestAxisLabelsSofia(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Sofia")
	if err != nil {
		t.Fatalf("Europe/Sofia: %v", err)
	}
	c := hour()
	c.Location = loc
	labels := AxisLabels(c)
	if len(labels) < 4 {
		t.Fatalf("labels %q", labels)
	}
	// 09:00 UTC on 14 March is 11:00 in Sofia (EET, UTC+2).
	if labels[0] != "11:00" {
		t.Errorf("first label %q, want 11:00", labels[0])
	}
	for _, at := range parseLabels(t, labels, c.From, loc) {
		if at.Before(c.From) || at.After(c.To) {
			t.Errorf("label at %v outside the range", at)
		}
	}
	if l := newLayout(normalize(c), measurer()); !strings.Contains(l.title[0].s, "Europe/Sofia") {
		t.Errorf("title %q does not name the zone", l.title[0].s)
	}
	decode(t, c)
	// A week over the change to summer time (29 March 2026): day ticks stay on midnight.
	c.From = time.Date(2026, 3, 26, 12, 0, 0, 0, loc)
	c.To = c.From.Add(7 * 24 * time.Hour)
	week := AxisLabels(c)
	if len(week) < 4 {
		t.Fatalf("week labels %q", week)
	}
	for _, s := range week {
		if !strings.HasSuffix(s, " 00:00") {
			t.Errorf("week label %q is not at midnight (all: %q)", s, week)
		}
	}
}

func TestAxisLabelsFormatAndFit(t *testing.T) {
	c := hour()
	c.To = t0.Add(3 * 24 * time.Hour)
	for _, s := range AxisLabels(c) {
		if _, err := time.Parse("01-02 15:04", s); err != nil {
			t.Errorf("multi-day label %q: %v", s, err)
		}
	}
	for _, w := range []int{100, 160, 600, 2000} {
		c := hour()
		c.Width = w
		n := normalize(c)
		l := newLayout(n, measurer())
		if len(l.xTicks) == 0 || len(l.xTicks) > maxTimeLabels {
			t.Errorf("width %d: %d labels", w, len(l.xTicks))
		}
		if w >= 600 && len(l.xTicks) < 4 {
			t.Errorf("width %d: only %d labels", w, len(l.xTicks))
		}
		p := measurer()
		for i, tk := range l.xTicks {
			r := tk.text.x + p.MeasureText(tk.text.s, 0, l.font).Width()
			if tk.text.x < 0 || r > w {
				t.Errorf("width %d: label %q at %d..%d outside the picture", w, tk.text.s, tk.text.x, r)
			}
			if i > 0 && tk.text.x <= l.xTicks[i-1].text.x+p.MeasureText(l.xTicks[i-1].text.s, 0, l.font).Width() {
				t.Errorf("width %d: labels %q and %q overlap", w, l.xTicks[i-1].text.s, tk.text.s)
			}
		}
	}
}

func TestGaps(t *testing.T) {
	c := hour()
	c.Series = c.Series[:1]
	full := seriesPixels(t, c, 0)
	pts := c.Series[0].Points
	for i := 100; i < 250; i++ {
		pts[i].V = math.NaN()
	}
	gapped := seriesPixels(t, c, 0)
	if gapped >= full*3/4 {
		t.Errorf("NaN for 40%% of the range left %d of %d line pixels, want a gap", gapped, full)
	}
	g := newGrid(normalize(c), 500)
	vals := g.align(pts)
	mid := g.index(pts[175].T)
	if vals[mid] != charts.GetNullValue() {
		t.Errorf("slot of a NaN point holds %v, want the null value", vals[mid])
	}
}

func TestEdgeCasesRender(t *testing.T) {
	nan := func(n int) []Point {
		pts := wave(t0, 10*time.Second, n, 1, 1)
		for i := range pts {
			pts[i].V = math.NaN()
		}
		return pts
	}
	cases := map[string][]Series{
		"empty":       nil,
		"no points":   {{Name: "pipeline 0"}},
		"all NaN":     {{Name: "pipeline 0", Points: nan(361)}},
		"single":      {{Name: "pipeline 0", Points: []Point{{T: t0.Add(30 * time.Minute), V: 25}}}},
		"constant":    {{Name: "fps", Points: constant(361, 30)}},
		"zeros":       {{Name: "drops", Points: constant(361, 0)}},
		"negative":    {{Name: "skew", Points: wave(t0, 10*time.Second, 361, -50, 20)}},
		"huge":        {{Name: "bytes", Points: wave(t0, 10*time.Second, 361, 1e9, 3e8)}},
		"tiny":        {{Name: "ratio", Points: wave(t0, 10*time.Second, 361, 0.002, 0.001)}},
		"lengths":     {{Name: "a", Points: wave(t0, 10*time.Second, 361, 10, 2)}, {Name: "b", Points: wave(t0.Add(20*time.Minute), 7*time.Second, 90, 5, 1)}},
		"outside":     {{Name: "a", Points: wave(t0.Add(-2*time.Hour), time.Minute, 60, 10, 2)}},
		"infinite":    {{Name: "a", Points: []Point{{T: t0, V: math.Inf(1)}, {T: t0.Add(time.Minute), V: 3}}}},
		"many series": manySeries(12),
	}
	for name, series := range cases {
		for _, sz := range [][2]int{{100, 100}, {600, 400}} {
			c := hour()
			c.Series, c.Width, c.Height = series, sz[0], sz[1]
			img := decode(t, c)
			if img.Bounds().Dx() != sz[0] || img.Bounds().Dy() != sz[1] {
				t.Errorf("%s %v: size %v", name, sz, img.Bounds())
			}
			if n := colours(img, img.Bounds()); n < 5 {
				t.Errorf("%s %v: %d colours, want text and grid", name, sz, n)
			}
		}
	}
}

func TestOddInputsRender(t *testing.T) {
	far := time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC)
	unsorted := wave(t0, time.Minute, 60, 10, 3)
	unsorted[3], unsorted[40] = unsorted[40], unsorted[3]
	cases := map[string]Chart{
		"reversed range": {From: t0, To: t0.Add(-time.Hour), Series: hour().Series},
		"zero time":      {Series: hour().Series},
		"ages":           {From: time.Time{}, To: far, Series: hour().Series},
		"one second":     {From: t0, To: t0.Add(time.Second), Series: hour().Series},
		"unsorted":       {From: t0, To: t0.Add(time.Hour), Series: []Series{{Name: "u", Points: unsorted}}},
		"extreme values": {From: t0, To: t0.Add(time.Hour), Series: []Series{{Name: "x", Points: []Point{
			{T: t0, V: -1e308}, {T: t0.Add(time.Minute), V: 1e308}, {T: t0.Add(2 * time.Minute), V: math.MaxFloat64}}}}},
		"long names": {From: t0, To: t0.Add(time.Hour), Title: strings.Repeat("VeryLongMetricName", 10), Unit: "requests/s",
			Series: []Series{{Name: strings.Repeat("pipeline ", 30), Points: wave(t0, time.Minute, 60, 1, 1)}}},
	}
	for name, c := range cases {
		for _, sz := range [][2]int{{100, 100}, {600, 400}} {
			c.Width, c.Height = sz[0], sz[1]
			if img := decode(t, c); img.Bounds().Dx() != sz[0] || img.Bounds().Dy() != sz[1] {
				t.Errorf("%s %v: size %v", name, sz, img.Bounds())
			}
			AxisLabels(c)
		}
	}
}

func TestLegendNamesEverySeries(t *testing.T) {
	for _, tc := range []struct {
		w, h   int
		series []Series
	}{
		{600, 400, hour().Series[:1]},
		{600, 400, hour().Series},
		{100, 100, hour().Series},
		{600, 400, manySeries(6)},
		{250, 150, manySeries(6)},
	} {
		c := hour()
		c.Width, c.Height, c.Series = tc.w, tc.h, tc.series
		l := newLayout(normalize(c), measurer())
		if len(l.legend) != len(tc.series) {
			t.Fatalf("%dx%d: %d legend items for %d series", tc.w, tc.h, len(l.legend), len(tc.series))
		}
		for i, it := range l.legend {
			if it.name.s != tc.series[i].Name {
				t.Errorf("%dx%d: legend %d reads %q, want %q", tc.w, tc.h, i, it.name.s, tc.series[i].Name)
			}
			if it.y <= l.plot.Bottom || it.y >= tc.h {
				t.Errorf("%dx%d: legend %d at y %d, want below the plot (%d) in the picture", tc.w, tc.h, i, it.y, l.plot.Bottom)
			}
			if i > 0 && it.color == l.legend[i-1].color {
				t.Errorf("legend %d has the colour of %d", i, i-1)
			}
		}
	}
}

func TestValueAxis(t *testing.T) {
	labels := func(series ...Series) (*layout, []string) {
		c := hour()
		c.Series = series
		l := newLayout(normalize(c), measurer())
		var s []string
		for _, tk := range l.yTicks {
			s = append(s, tk.text.s)
		}
		return l, s
	}
	l, s := labels(hour().Series...)
	if l.yMin != 0 || s[0] != "0" || !slices.Contains(s, "5k") {
		t.Errorf("kbps axis %v..%v %q, want 0 and humanized 5k", l.yMin, l.yMax, s)
	}
	_, s = labels(Series{Name: "b", Points: wave(t0, 10*time.Second, 361, 1e9, 3e8)})
	if !slices.Contains(s, "1G") || slices.ContainsFunc(s, func(v string) bool { return strings.HasSuffix(v, ".0M") }) {
		t.Errorf("1e9 axis %q, want 1G and no .0M", s)
	}
	_, s = labels(Series{Name: "r", Points: wave(t0, 10*time.Second, 361, 0.002, 0.001)})
	if !slices.Contains(s, "0.001") {
		t.Errorf("small values axis %q, want decimals", s)
	}
	l, s = labels(Series{Name: "z", Points: constant(361, 0)})
	if l.yMin != 0 || l.yMax <= 0 || len(s) < 2 {
		t.Errorf("all zeros: %v..%v %q", l.yMin, l.yMax, s)
	}
	l, _ = labels(Series{Name: "n", Points: wave(t0, 10*time.Second, 361, -50, 20)})
	if l.yMin >= -70 || l.yMax < -30 {
		t.Errorf("negative values: axis %v..%v does not cover -70..-30", l.yMin, l.yMax)
	}
	l, s = labels(Series{Name: "nan", Points: nan361()})
	if l.hasData || slices.ContainsFunc(s, func(v string) bool { return v != "" }) {
		t.Errorf("all NaN: hasData %v, labels %q, want none", l.hasData, s)
	}
	for i := 1; i < len(l.yTicks); i++ {
		if l.yTicks[i].y >= l.yTicks[i-1].y {
			t.Errorf("value ticks not bottom to top: %v", l.yTicks)
		}
	}
}

func TestSinglePointAndConstantAreDrawn(t *testing.T) {
	c := hour()
	c.Series = []Series{{Name: "x", Points: []Point{{T: t0.Add(30 * time.Minute), V: 25}}}}
	if n := seriesPixels(t, c, 0); n == 0 {
		t.Error("a single point is not drawn")
	}
	c.Series = []Series{{Name: "fps", Points: constant(361, 30)}}
	if n := seriesPixels(t, c, 0); n < 300 {
		t.Errorf("constant line: %d pixels", n)
	}
	l := newLayout(normalize(c), measurer())
	if l.yMin != 0 || l.yMax <= 30 {
		t.Errorf("constant 30: axis %v..%v, want 0..above 30", l.yMin, l.yMax)
	}
}

func TestDenseKeepsSpikes(t *testing.T) {
	pts := constant(8640, 10)
	pts[4321].V = 1000
	c := hour()
	c.To = t0.Add(24 * time.Hour)
	c.Series = []Series{{Name: "a", Points: pts}}
	g := newGrid(normalize(c), 500)
	if !g.dense || g.n != 1000 {
		t.Fatalf("grid %+v, want 2 slots per pixel", g)
	}
	if v := g.align(pts); !containsValue(v, 1000) {
		t.Error("the spike was lost by the reduction")
	}
}

func TestDeterministic(t *testing.T) {
	a, err1 := PNG(hour())
	b, err2 := PNG(hour())
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Errorf("two renders differ (%v, %v)", err1, err2)
	}
}

func TestConcurrent(t *testing.T) {
	want, _ := PNG(hour())
	done := make(chan []byte)
	for range 4 {
		go func() { b, _ := PNG(hour()); done <- b }()
	}
	for range 4 {
		if !bytes.Equal(<-done, want) {
			t.Error("concurrent render differs")
		}
	}
}

func constant(n int, v float64) []Point {
	pts := wave(t0, 24*time.Hour/time.Duration(n), n, 0, 0)
	for i := range pts {
		pts[i].V = v
	}
	return pts
}

func containsValue(vals []float64, want float64) bool {
	for _, v := range vals {
		if v == want {
			return true
		}
	}
	return false
}

func manySeries(n int) []Series {
	s := make([]Series, n)
	for i := range s {
		s[i] = Series{Name: "rendition " + string(rune('A'+i)), Points: wave(t0, 10*time.Second, 361, float64(100*(i+1)), 30)}
	}
	return s
}

// TestWriteSamples writes sample PNGs for a person to look at:
// ONAIR_CHART_SAMPLES=/tmp/chart-samples go test -run TestWriteSamples ./internal/health/chart/
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("ONAIR_CHART_SAMPLES")
	if dir == "" {
		t.Skip("set ONAIR_CHART_SAMPLES=dir to write sample charts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sofia, _ := time.LoadLocation("Europe/Sofia")
	gapped := hour()
	for i := 120; i < 170; i++ {
		gapped.Series[0].Points[i].V = math.NaN()
	}
	gapped.Series[1].Points = gapped.Series[1].Points[:200]
	day := hour()
	day.Title, day.Unit, day.Location = "FrameRate", "fps", sofia
	day.To = t0.Add(24 * time.Hour)
	day.Series = []Series{{Name: "pipeline 0", Points: wave(t0, 10*time.Second, 8640, 29.97, 0.5)}}
	day.Series[0].Points[5000].V = 3
	samples := map[string]Chart{
		"default-600x400": hour(),
		"small-100x100":   with(hour(), 100, 100),
		"big-2000x2000":   with(hour(), 2000, 2000),
		"wide-1200x300":   with(hour(), 1200, 300),
		"gaps-ist":        withZone(gapped, time.FixedZone("", 5*3600+1800)),
		"day-8640-sofia":  day,
		"week":            withRange(hour(), 7*24*time.Hour, time.Hour, 1e9),
		"empty":           withSeries(hour(), nil),
		"all-nan":         withSeries(hour(), []Series{{Name: "pipeline 0", Points: nan361()}}),
		"single-point":    withSeries(hour(), []Series{{Name: "viewers", Points: []Point{{T: t0.Add(20 * time.Minute), V: 42}}}}),
		"constant":        withSeries(hour(), []Series{{Name: "pipeline 0", Points: constant(361, 30)}}),
		"many-series":     withSeries(hour(), manySeries(6)),
		"negative":        withSeries(hour(), []Series{{Name: "drift", Points: wave(t0, 10*time.Second, 361, -5, 20)}}),
		"short-3min":      withRange(hour(), 3*time.Minute, time.Second, 2),
		"strip-2000x100":  with(hour(), 2000, 100),
		"tall-100x2000":   with(hour(), 100, 2000),
		"many-250x150":    with(withSeries(hour(), manySeries(6)), 250, 150),
	}
	for name, c := range samples {
		b, err := PNG(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %q", name, AxisLabels(c))
	}
}

func with(c Chart, w, h int) Chart               { c.Width, c.Height = w, h; return c }
func withZone(c Chart, loc *time.Location) Chart { c.Location = loc; return c }
func withSeries(c Chart, s []Series) Chart       { c.Series = s; return c }
func nan361() []Point {
	p := constant(361, 0)
	for i := range p {
		p[i].V = math.NaN()
	}
	return p
}
func withRange(c Chart, span, step time.Duration, base float64) Chart {
	c.To = t0.Add(span)
	n := int(span / step)
	c.Series = []Series{{Name: "cdn-main", Points: wave(t0, step, n, base, base/4)}, {Name: "cdn-backup", Points: wave(t0, step, n, base/2, base/5)}}
	return c
}

func benchmarkPNG(b *testing.B, points, series int) {
	c := hour()
	c.To = t0.Add(time.Duration(points) * 10 * time.Second)
	c.Series = nil
	for i := range series {
		c.Series = append(c.Series, Series{Name: "pipeline " + string(rune('0'+i)), Points: wave(t0, 10*time.Second, points, 3000*float64(i+1), 500)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PNG(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPNG600x400(b *testing.B)     { benchmarkPNG(b, 900, 2) }
func BenchmarkPNG600x400Day(b *testing.B)  { benchmarkPNG(b, 8640, 1) }
func BenchmarkPNG600x400Day2(b *testing.B) { benchmarkPNG(b, 8640, 2) }

func TestIntegerScale(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		step   float64
	}{{0, 2, 1}, {0, 17, 5}, {0, 1, 1}, {0, 4000, 500}} {
		if _, step, _ := niceScale(c.lo, c.hi, 8, true); step != c.step {
			t.Errorf("counts %v..%v step by %v, want %v", c.lo, c.hi, step, c.step)
		}
	}
	if _, step, _ := niceScale(0, 1.2, 8, false); step >= 1 {
		t.Errorf("rates 0..1.2 step by %v, want a fraction", step)
	}
}
