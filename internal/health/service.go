package health

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"onair/internal/domain"
)

// Store is the part of the store the history writes and reads.
type Store interface {
	SaveMetricPoints(ctx context.Context, pts []domain.MetricPoint) error
	MetricPoints(ctx context.Context, org, workflowID string, res time.Duration, from, to time.Time) ([]domain.MetricPoint, error)
	PruneMetricPoints(ctx context.Context, fine time.Duration, fineBefore, coarseBefore time.Time) (int64, error)
}

// DefaultRetention is how long the 1 min points are kept: thirty days, as
// CloudWatch keeps MediaLive's 1 min metrics.
const DefaultRetention = 30 * 24 * time.Hour

// fineGrace is how long a run's 10 s points outlive its end.
const fineGrace = time.Hour

// maxPending bounds the points kept for a store that cannot be written;
// writeChunk is how many go in one transaction.
const (
	maxPending = 100_000
	writeChunk = 500
)

// Service is this node's health history and alerting: once a second it
// reads every started pipeline, keeps the frames, raises and clears the
// alerts as run events, and writes the 10 s and 1 min points to the store.
type Service struct {
	Store    Store
	Read     func() []Reading // the engine's readings
	Audience *AudienceMeter
	// OnEvent records an alert_raised or alert_cleared event in its run.
	OnEvent   func(RunRef, domain.RunEvent)
	Now       func() time.Time
	Log       *slog.Logger
	Retention time.Duration // of the 1 min points; DefaultRetention when 0

	once    sync.Once
	history *History
	monitor *Monitor

	mu      sync.Mutex
	pending []domain.MetricPoint // not written yet
}

func (s *Service) init() {
	s.once.Do(func() {
		s.history, s.monitor = NewHistory(), NewMonitor()
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.Log == nil {
			s.Log = slog.Default()
		}
		if s.Retention <= 0 {
			s.Retention = DefaultRetention
		}
		if s.OnEvent == nil {
			s.OnEvent = func(RunRef, domain.RunEvent) {}
		}
		if s.Audience == nil {
			s.Audience = NewAudienceMeter(s.Now)
		}
	})
}

// Run samples once a second and prunes the store every 10 minutes, until
// ctx ends; it then writes what it holds.
func (s *Service) Run(ctx context.Context) {
	s.init()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	s.prune(ctx)
	lastPrune := s.Now()
	for {
		select {
		case <-ctx.Done():
			s.flush(context.Background(), s.endAll())
			return
		case <-tick.C:
		}
		s.Tick(ctx)
		if s.Now().Sub(lastPrune) >= 10*time.Minute {
			s.prune(ctx)
			lastPrune = s.Now()
		}
	}
}

// Tick reads every pipeline once: Run calls it each second.
func (s *Service) Tick(ctx context.Context) {
	s.init()
	now := s.Now()
	readings := s.Read()
	live, workflows := map[string]bool{}, map[string]bool{}
	for _, r := range readings {
		live[r.Ref.RunID], workflows[r.Ref.WorkflowID] = true, true
	}
	s.Audience.SetLive(workflows)
	var pts []domain.MetricPoint
	for _, r := range readings {
		if r.Pipeline == 0 {
			a := s.Audience.Of(r.Ref.WorkflowID)
			r.Audience = &a
		}
		frame, events := s.monitor.Observe(now, r)
		for _, e := range events {
			s.OnEvent(r.Ref, e)
		}
		pts = append(pts, s.history.Add(r.Ref, r.Pipeline, frame)...)
	}
	for _, ref := range s.history.Runs() {
		if !live[ref.RunID] {
			pts = append(pts, s.end(ref)...)
		}
	}
	s.flush(ctx, pts)
}

// end forgets a run that is no longer up here, clears its open alerts and
// returns its last points.
func (s *Service) end(ref RunRef) []domain.MetricPoint {
	for _, e := range s.monitor.End(ref.RunID, s.Now()) {
		s.OnEvent(ref, e)
	}
	return s.history.End(ref.RunID)
}

// endAll returns the open periods' points of every run, for a server that
// stops. Their alerts stay open: the runs go on at the next start.
func (s *Service) endAll() []domain.MetricPoint {
	var pts []domain.MetricPoint
	for _, ref := range s.history.Runs() {
		pts = append(pts, s.history.End(ref.RunID)...)
	}
	return pts
}

// flush writes pts and whatever an earlier write could not; what fails
// again waits for the next tick, up to maxPending points.
func (s *Service) flush(ctx context.Context, pts []domain.MetricPoint) {
	s.mu.Lock()
	pts = append(s.pending, pts...)
	s.pending = nil
	s.mu.Unlock()
	if len(pts) == 0 {
		return
	}
	// In chunks, each with its own time: a backlog after an outage of the
	// store drains a chunk at a time.
	for len(pts) > 0 {
		chunk := pts[:min(len(pts), writeChunk)]
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := s.Store.SaveMetricPoints(wctx, chunk)
		cancel()
		if err != nil {
			s.Log.Warn("writing the health history; keeping it for the next try", "points", len(pts), "err", err)
			if n := len(pts) - maxPending; n > 0 {
				pts = pts[n:]
			}
			s.mu.Lock()
			s.pending = append(pts, s.pending...)
			s.mu.Unlock()
			return
		}
		pts = pts[len(chunk):]
	}
}

func (s *Service) prune(ctx context.Context) {
	now := s.Now()
	n, err := s.Store.PruneMetricPoints(ctx, Fine, now.Add(-fineGrace), now.Add(-s.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		s.Log.Warn("pruning the health history", "err", err)
	case n > 0:
		s.Log.Info("pruned the health history", "points", n)
	}
}

// ActiveAlerts is each pipeline's count of open alerts in its newest
// frame, for the metrics.
func (s *Service) ActiveAlerts(visit func(ref RunRef, pipeline int, n float64)) {
	s.init()
	s.history.Latest(func(ref RunRef, pipeline int, f Frame) { visit(ref, pipeline, f.Values["ActiveAlerts"]) })
}

// Series is one line of a health graph: a metric of one pipeline (and one
// rendition, destination or reader), a value per period.
type Series struct {
	Metric   Metric
	Pipeline int
	Label    string
	Points   []Point
}

// Point is one period's value.
type Point struct {
	T time.Time
	V float64
}

// Query asks for a workflow's series of some metrics over [From, To).
type Query struct {
	OrgID, WorkflowID string
	From, To          time.Time
	Metrics           []string
	// MaxPoints bounds the points of a series: periods are folded together
	// beyond it. 0 keeps the resolution read.
	MaxPoints int
}

// Series reads a workflow's history: from memory, a point a second, when
// the range spans at most 15 minutes and memory holds all of it; otherwise
// from the store, at 10 s while that makes no more than MaxPoints (and for
// up to 12 h) and at 1 min beyond or once the 10 s points are gone,
// completed with what memory holds after the store's last point. It returns
// the length of the periods of the series' points.
func (s *Service) Series(ctx context.Context, q Query) ([]Series, time.Duration, error) {
	s.init()
	span := q.To.Sub(q.From)
	frames, since, inMemory := s.history.Frames(q.WorkflowID, q.From, q.To)
	var rows map[int][]Frame
	res := time.Second
	complete := inMemory && span <= Recent && !since.After(q.From.Add(Fine))
	if inMemory && span <= Recent && !complete {
		// Memory began after the range did: it holds the whole range when
		// the store has nothing earlier (the run began in it), at either
		// resolution (an earlier run's 10 s points may be gone).
		complete = true
		for _, res := range []time.Duration{Fine, Coarse} {
			// Periods that begin before the one memory's first frame is in.
			earlier, err := s.Store.MetricPoints(ctx, q.OrgID, q.WorkflowID, res, q.From.Truncate(res), since.Truncate(res))
			if err != nil {
				return nil, 0, err
			}
			complete = complete && len(earlier) == 0
		}
	}
	switch {
	case complete:
		rows = frames
	default:
		res = Fine
		if span > 12*time.Hour || q.MaxPoints > 0 && span/Fine > time.Duration(q.MaxPoints) {
			res = Coarse // more 10 s points than asked for: minutes read less
		}
		var err error
		rows, err = s.stored(ctx, q, res)
		if err != nil {
			return nil, 0, err
		}
		if len(rows) == 0 && res == Fine {
			res = Coarse
			if rows, err = s.stored(ctx, q, res); err != nil {
				return nil, 0, err
			}
		}
		for p, fs := range frames {
			rows[p] = appendRecent(rows[p], fs, res)
		}
	}
	step := stepFor(span, res, q.MaxPoints)
	for p, fs := range rows {
		if step != res {
			rows[p] = fold(fs, step, time.Time{})
		}
	}
	var out []Series
	for _, name := range q.Metrics {
		m, ok := Lookup(name)
		if !ok {
			continue
		}
		out = append(out, seriesOf(m, rows)...)
	}
	return out, step, nil
}

// steps are the periods a series is folded into beyond its resolution.
var steps = []time.Duration{2 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour}

// stepFor is the shortest round period, a multiple of res, that makes no
// more than maxPoints of span; res itself when it does, or maxPoints is 0.
func stepFor(span, res time.Duration, maxPoints int) time.Duration {
	if maxPoints <= 0 || span/res <= time.Duration(maxPoints) {
		return res
	}
	for _, step := range steps {
		if step > res && step%res == 0 && span/step <= time.Duration(maxPoints) {
			return step
		}
	}
	return steps[len(steps)-1]
}

// stored reads the store's points of a resolution, by pipeline.
func (s *Service) stored(ctx context.Context, q Query, res time.Duration) (map[int][]Frame, error) {
	pts, err := s.Store.MetricPoints(ctx, q.OrgID, q.WorkflowID, res, q.From.Truncate(res), q.To)
	if err != nil {
		return nil, err
	}
	rows := map[int][]Frame{}
	for _, p := range pts {
		rows[p.Pipeline] = append(rows[p.Pipeline], Frame{T: p.Time, Values: p.Values})
	}
	return rows, nil
}

// appendRecent adds to a pipeline's stored points the periods of res that
// begin after the last of them, folded from the frames in memory.
func appendRecent(stored, frames []Frame, res time.Duration) []Frame {
	var after time.Time
	if n := len(stored); n > 0 {
		after = stored[n-1].T
	}
	return append(stored, fold(frames, res, after)...)
}

// fold folds frames into periods of step, keeping those after after.
func fold(frames []Frame, step time.Duration, after time.Time) []Frame {
	var out []Frame
	var parts []map[string]float64
	var start time.Time
	emit := func() {
		if len(parts) > 0 && (after.IsZero() || start.After(after)) {
			out = append(out, Frame{T: start, Values: foldValues(parts)})
		}
		parts = nil
	}
	for _, f := range frames {
		if t := f.T.Truncate(step); !t.Equal(start) {
			emit()
			start = t
		}
		parts = append(parts, f.Values)
	}
	emit()
	return out
}

// seriesOf makes a metric's series out of each pipeline's rows: one per
// pipeline, or per pipeline and label.
func seriesOf(m Metric, rows map[int][]Frame) []Series {
	pipelines := make([]int, 0, len(rows))
	for p := range rows {
		pipelines = append(pipelines, p)
	}
	sort.Ints(pipelines)
	var out []Series
	for _, p := range pipelines {
		if m.Channel && p != 0 {
			continue
		}
		byLabel := map[string][]Point{}
		for _, f := range rows[p] {
			for k, v := range f.Values {
				name, label := SplitKey(k)
				if name == m.Name && !math.IsNaN(v) {
					byLabel[label] = append(byLabel[label], Point{T: f.T, V: v})
				}
			}
		}
		labels := make([]string, 0, len(byLabel))
		for l := range byLabel {
			labels = append(labels, l)
		}
		slices.Sort(labels)
		for _, l := range labels {
			out = append(out, Series{Metric: m, Pipeline: p, Label: l, Points: byLabel[l]})
		}
	}
	return out
}
