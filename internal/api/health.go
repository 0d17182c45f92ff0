package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // tz= names an IANA zone on any machine

	"onair/internal/domain"
	"onair/internal/health"
	"onair/internal/health/chart"
)

// Health reads the health history (health.Service).
type Health interface {
	Series(ctx context.Context, q health.Query) ([]health.Series, time.Duration, error)
}

// The health endpoint's bounds.
const (
	defaultHealthPeriod = time.Hour
	maxHealthPeriod     = 31 * 24 * time.Hour
	maxJSONPoints       = 1500
)

// healthQueryNames are the health endpoint's query parameters; any other is refused.
var healthQueryNames = []string{"metrics", "tz", "width", "height", "start", "end", "period", "format"}

// healthQuery is a health request's parameters, checked.
type healthQuery struct {
	metrics       []string
	loc           *time.Location
	width, height int
	from, to      time.Time
	json          bool
	pipelines     []int // the channel's
}

// channelHealth answers GET /api/channels/{workflowId}/health: the
// channel's health graphs as PNG images, or with format=json the series.
func (s *Server) channelHealth(w http.ResponseWriter, r *http.Request) error {
	ch, q, err := s.healthRequest(r)
	if err != nil {
		return err
	}
	series, step, err := s.healthSeries(r.Context(), ch, q)
	if err != nil {
		return err
	}
	if q.json {
		writeJSON(w, http.StatusOK, healthSeriesList(q, series, step))
		return nil
	}
	out := HealthCharts{From: q.from.In(q.loc).Format(time.RFC3339), To: q.to.In(q.loc).Format(time.RFC3339),
		TimeZone: q.loc.String(), ResolutionSeconds: int(step / time.Second), Items: []HealthChart{}}
	for _, m := range q.metrics {
		item, err := drawHealth(q, m, series)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, item)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// channelHealthImage answers GET /api/channels/{workflowId}/health/{metric}.png:
// one of the graphs as an image.
func (s *Server) channelHealthImage(w http.ResponseWriter, r *http.Request) error {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".png")
	if !ok {
		return &domain.NotFoundError{Kind: "health graph", ID: r.PathValue("file")}
	}
	if _, known := health.Lookup(name); !known {
		return badRequest("metric", "unknown metric %q; the metrics are %s", name, strings.Join(health.Names(), ", "))
	}
	if r.URL.Query().Has("metrics") || r.URL.Query().Has("format") {
		return badRequest("metrics", "the path names the graph's metric; metrics and format are for /health")
	}
	ch, q, err := s.healthRequest(r)
	if err != nil {
		return err
	}
	q.metrics = []string{name}
	series, _, err := s.healthSeries(r.Context(), ch, q)
	if err != nil {
		return err
	}
	png, err := chart.PNG(chartOf(q, name, series))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(png)))
	w.Write(png)
	return nil
}

// healthRequest finds the channel and checks the parameters.
func (s *Server) healthRequest(r *http.Request) (domain.Channel, healthQuery, error) {
	ch, err := s.Store.GetChannel(r.Context(), s.org(r), r.PathValue("workflowId"))
	if err != nil {
		return ch, healthQuery{}, err
	}
	q, err := parseHealthQuery(r.URL.Query(), ch.Run, s.now())
	for p := range ch.Workflow.Blueprint.Settings.Channel.Class.Pipelines() {
		q.pipelines = append(q.pipelines, p)
	}
	return ch, q, err
}

func (s *Server) healthSeries(ctx context.Context, ch domain.Channel, q healthQuery) ([]health.Series, time.Duration, error) {
	if s.Health == nil {
		return nil, time.Second, nil
	}
	points := maxJSONPoints
	if !q.json {
		points = 2 * q.width
	}
	return s.Health.Series(ctx, health.Query{OrgID: ch.Workflow.OrgID, WorkflowID: ch.Workflow.ID, From: q.from, To: q.to,
		Metrics: q.metrics, MaxPoints: points})
}

// parseHealthQuery reads the health endpoint's parameters; each error names
// its parameter. Without start, end or period the range is the hour up to
// now, or up to the end of the channel's last run when it ended.
func parseHealthQuery(form url.Values, run *domain.Run, now time.Time) (healthQuery, error) {
	q := healthQuery{metrics: health.DefaultMetrics, loc: time.UTC, width: chart.DefaultWidth, height: chart.DefaultHeight}
	for name := range form {
		if !slices.Contains(healthQueryNames, name) {
			return q, badRequest(name, "is not a parameter of the health graphs; they take %s", strings.Join(healthQueryNames, ", "))
		}
	}
	if v := form.Get("metrics"); v != "" {
		q.metrics = nil
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if _, ok := health.Lookup(name); !ok {
				return q, badRequest("metrics", "unknown metric %q; the metrics are %s", name, strings.Join(health.Names(), ", "))
			}
			q.metrics = append(q.metrics, name)
		}
	}
	if v := form.Get("tz"); v != "" {
		loc, err := parseZone(v)
		if err != nil {
			return q, badRequest("tz", "%v", err)
		}
		q.loc = loc
	}
	var err error
	if q.width, err = chartSize(form, "width", chart.DefaultWidth); err != nil {
		return q, err
	}
	if q.height, err = chartSize(form, "height", chart.DefaultHeight); err != nil {
		return q, err
	}
	switch f := form.Get("format"); f {
	case "", "png":
	case "json":
		q.json = true
	default:
		return q, badRequest("format", "must be png (graphs as images, the default) or json (the series), got %q", f)
	}
	return q, q.timeRange(form, run, now)
}

// timeRange reads start, end and period.
func (q *healthQuery) timeRange(form url.Values, run *domain.Run, now time.Time) error {
	var start, end time.Time
	var err error
	if v := form.Get("start"); v != "" {
		if start, err = parseInstant(v); err != nil {
			return badRequest("start", "%v", err)
		}
	}
	if v := form.Get("end"); v != "" {
		if end, err = parseInstant(v); err != nil {
			return badRequest("end", "%v", err)
		}
	}
	period := time.Duration(0)
	if v := form.Get("period"); v != "" {
		if !start.IsZero() && !end.IsZero() {
			return badRequest("period", "give start and end, or period with one of them, not all three")
		}
		if period, err = parsePeriod(v); err != nil {
			return badRequest("period", "%v", err)
		}
	}
	switch {
	case !start.IsZero() && !end.IsZero():
	case !start.IsZero() && period == 0:
		end = now
	case !start.IsZero():
		end = start.Add(period)
	case !end.IsZero():
		if period == 0 {
			period = defaultHealthPeriod
		}
		start = end.Add(-period)
	default:
		end = now
		if run != nil && run.Stopped != nil && !run.Status.Active() {
			end = *run.Stopped
		}
		if period == 0 {
			period = defaultHealthPeriod
		}
		start = end.Add(-period)
	}
	field := "end"
	if form.Get("end") == "" {
		field = "start" // the end is now or start + period: the start is what is off
	}
	if period != 0 {
		field = "period"
	}
	switch {
	case !end.After(start):
		return badRequest(field, "the range must end after it starts, got %s to %s", start.Format(time.RFC3339), end.Format(time.RFC3339))
	case end.Sub(start) > maxHealthPeriod:
		return badRequest(field, "the range spans %s, more than %d days", end.Sub(start).Round(time.Second), int(maxHealthPeriod.Hours()/24))
	}
	q.from, q.to = start.UTC(), end.UTC()
	return nil
}

// chartSize reads width or height: 100 to 2000 pixels.
func chartSize(form url.Values, name string, def int) (int, error) {
	v := form.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < chart.MinSize || n > chart.MaxSize {
		return 0, badRequest(name, "must be a whole number of pixels from %d to %d, got %q", chart.MinSize, chart.MaxSize, v)
	}
	return n, nil
}

var offsetZone = regexp.MustCompile(`^([+-])(\d{2}):?(\d{2})$`)

// parseZone reads an IANA zone name (Europe/Sofia), UTC or Z, or an offset
// from UTC (+0530, -03:00); a leading space stands for the + that a URL
// query decodes as one.
func parseZone(v string) (*time.Location, error) {
	if strings.HasPrefix(v, " ") {
		v = "+" + v[1:]
	}
	if m := offsetZone.FindStringSubmatch(v); m != nil {
		h, _ := strconv.Atoi(m[2])
		min, _ := strconv.Atoi(m[3])
		if h > 14 || min > 59 || h == 14 && min > 0 {
			return nil, fmt.Errorf("offset %q is out of range (-14:00 to +14:00)", v)
		}
		off := h*3600 + min*60
		if m[1] == "-" {
			off = -off
		}
		return time.FixedZone("UTC"+m[1]+m[2]+":"+m[3], off), nil
	}
	if v == "Z" || strings.EqualFold(v, "UTC") {
		return time.UTC, nil
	}
	if strings.HasPrefix(v, "/") || strings.Contains(v, "..") || strings.EqualFold(v, "local") {
		return nil, fmt.Errorf("unknown time zone %q: give an IANA name such as Europe/Sofia, or an offset such as +0200", v)
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: give an IANA name such as Europe/Sofia, or an offset such as +0200", v)
	}
	return loc, nil
}

// parseInstant reads an RFC 3339 time or Unix seconds.
func parseInstant(v string) (time.Time, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.RFC3339, strings.Replace(v, " ", "+", 1))
	if err != nil {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 time (2026-12-02T10:00:00Z) or Unix seconds, got %q", v)
	}
	return t, nil
}

// parsePeriod reads a length of time: 15m, 1h, 24h, 7d.
func parsePeriod(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, perr := strconv.Atoi(days)
		d, err = time.Duration(n)*24*time.Hour, perr
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("must be a length of time such as 15m, 1h or 7d, got %q", v)
	}
	return d, nil
}

// chartOf is a metric's chart: every series of it, each pipeline (and
// rendition or destination) one line.
func chartOf(q healthQuery, metric string, series []health.Series) chart.Chart {
	m, _ := health.Lookup(metric)
	c := chart.Chart{Title: m.Name, Unit: m.Unit, Width: q.width, Height: q.height, Location: q.loc, From: q.from, To: q.to,
		Integer: m.Agg != health.Avg}
	for _, sr := range series {
		if sr.Metric.Name != metric {
			continue
		}
		line := chart.Series{Name: seriesName(sr)}
		for _, p := range sr.Points {
			line.Points = append(line.Points, chart.Point{T: p.T, V: p.V})
		}
		c.Series = append(c.Series, line)
	}
	return c
}

// seriesName is what a legend calls a series.
func seriesName(sr health.Series) string {
	name := "pipeline " + strconv.Itoa(sr.Pipeline)
	if sr.Metric.Channel {
		name = "channel"
	}
	if sr.Label != "" {
		name += " · " + sr.Label
	}
	return name
}

// drawHealth draws one metric's graph, with its statistics.
func drawHealth(q healthQuery, metric string, series []health.Series) (HealthChart, error) {
	c := chartOf(q, metric, series)
	png, err := chart.PNG(c)
	if err != nil {
		return HealthChart{}, fmt.Errorf("drawing %s: %w", metric, err)
	}
	m, _ := health.Lookup(metric)
	item := HealthChart{Metric: metric, Unit: c.Unit, Pipelines: pipelinesOf(q, m), Series: []HealthSeriesStats{}, AxisLabels: chart.AxisLabels(c),
		Image: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}
	var all []health.Point
	for _, sr := range series {
		if sr.Metric.Name != metric {
			continue
		}
		item.Series = append(item.Series, HealthSeriesStats{Name: seriesName(sr), Pipeline: sr.Pipeline, Label: sr.Label, Stats: statsOf(sr.Points)})
		all = append(all, sr.Points...)
	}
	if len(item.Pipelines) == 1 {
		item.Pipeline = &item.Pipelines[0]
	}
	item.Stats = statsOf(all)
	return item, nil
}

// pipelinesOf are the pipelines a metric's graph shows: the channel's, or
// pipeline 0 alone for the channel's own metrics (its viewers).
func pipelinesOf(q healthQuery, m health.Metric) []int {
	if m.Channel || len(q.pipelines) == 0 {
		return []int{0}
	}
	return q.pipelines
}

// statsOf is the minimum, maximum, mean and latest of points (of the
// latest period; the highest of that period's values across lines); nil
// for none.
func statsOf(points []health.Point) *HealthStats {
	if len(points) == 0 {
		return nil
	}
	st := HealthStats{Min: math.Inf(1), Max: math.Inf(-1)}
	var sum float64
	var last time.Time
	for _, p := range points {
		st.Min, st.Max = min(st.Min, p.V), max(st.Max, p.V)
		sum += p.V
		switch {
		case p.T.After(last):
			last, st.Last = p.T, p.V
		case p.T.Equal(last):
			st.Last = max(st.Last, p.V)
		}
	}
	st.Avg = sum / float64(len(points))
	return &st
}

// healthSeriesList is the JSON answer: every series, its points in the
// requested zone.
func healthSeriesList(q healthQuery, series []health.Series, step time.Duration) HealthSeriesList {
	out := HealthSeriesList{From: q.from.In(q.loc).Format(time.RFC3339), To: q.to.In(q.loc).Format(time.RFC3339),
		TimeZone: q.loc.String(), ResolutionSeconds: int(step / time.Second), Items: []HealthSeries{}}
	for _, name := range q.metrics {
		m, _ := health.Lookup(name)
		found := false
		for _, sr := range series {
			if sr.Metric.Name != name {
				continue
			}
			found = true
			item := HealthSeries{Metric: name, Unit: m.Unit, Aggregation: m.Agg.String(), Pipeline: sr.Pipeline, Label: sr.Label, Points: []HealthPoint{}}
			for _, p := range sr.Points {
				item.Points = append(item.Points, HealthPoint{T: p.T.In(q.loc).Format(time.RFC3339), Value: p.V})
			}
			out.Items = append(out.Items, item)
		}
		if !found {
			for _, p := range pipelinesOf(q, m) {
				out.Items = append(out.Items, HealthSeries{Metric: name, Unit: m.Unit, Aggregation: m.Agg.String(), Pipeline: p, Points: []HealthPoint{}})
			}
		}
	}
	return out
}
