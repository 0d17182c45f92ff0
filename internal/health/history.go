package health

import (
	"maps"
	"math"
	"sync"
	"time"

	"onair/internal/domain"
)

// Frame is one second of a pipeline's health: each series' value then.
type Frame struct {
	T      time.Time // the second, truncated
	Values map[string]float64
}

// The resolutions the store keeps, and how long the memory keeps frames.
const (
	Fine   = 10 * time.Second
	Coarse = time.Minute
	Recent = 15 * time.Minute
)

// RunRef names a run.
type RunRef struct{ OrgID, WorkflowID, RunID string }

// History keeps each pipeline's frames of the last 15 minutes, and folds
// them into the 10 s and 1 min points that go to the store.
type History struct {
	mu    sync.Mutex
	pipes map[pipeKey]*pipeHistory
}

type pipeKey struct {
	run      string
	pipeline int
}

type pipeHistory struct {
	ref          RunRef
	frames       []Frame // oldest first, at most Recent's worth
	fine, coarse bucket
}

// NewHistory returns an empty history.
func NewHistory() *History { return &History{pipes: map[pipeKey]*pipeHistory{}} }

// Add records a pipeline's frame and returns the points it closed: a 10 s
// or 1 min period that the frame is past.
func (h *History) Add(ref RunRef, pipeline int, f Frame) []domain.MetricPoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := pipeKey{ref.RunID, pipeline}
	p := h.pipes[k]
	if p == nil {
		p = &pipeHistory{ref: ref, fine: bucket{res: Fine}, coarse: bucket{res: Coarse}}
		h.pipes[k] = p
	}
	if n := len(p.frames); n > 0 && !f.T.After(p.frames[n-1].T) {
		return nil // a second already recorded (the clock went back)
	}
	p.frames = append(p.frames, f)
	cut := 0
	for cut < len(p.frames) && f.T.Sub(p.frames[cut].T) >= Recent {
		cut++
	}
	if cut > 0 {
		p.frames = append(p.frames[:0], p.frames[cut:]...)
	}
	var out []domain.MetricPoint
	for _, b := range []*bucket{&p.fine, &p.coarse} {
		if pt, ok := b.add(f); ok {
			out = append(out, p.point(pipeline, pt, b.res))
		}
	}
	return out
}

// End forgets a run's frames and returns its open periods' points.
func (h *History) End(runID string) []domain.MetricPoint {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []domain.MetricPoint
	for k, p := range h.pipes {
		if k.run != runID {
			continue
		}
		for _, b := range []*bucket{&p.fine, &p.coarse} {
			if pt, ok := b.flush(); ok {
				out = append(out, p.point(k.pipeline, pt, b.res))
			}
		}
		delete(h.pipes, k)
	}
	return out
}

// Runs are the runs the history has frames of.
func (h *History) Runs() []RunRef {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]bool{}
	var out []RunRef
	for _, p := range h.pipes {
		if !seen[p.ref.RunID] {
			seen[p.ref.RunID] = true
			out = append(out, p.ref)
		}
	}
	return out
}

// Latest visits each pipeline's newest frame, outside the history's lock.
func (h *History) Latest(visit func(ref RunRef, pipeline int, f Frame)) {
	type newest struct {
		ref      RunRef
		pipeline int
		frame    Frame
	}
	h.mu.Lock()
	var all []newest
	for k, p := range h.pipes {
		if n := len(p.frames); n > 0 {
			all = append(all, newest{p.ref, k.pipeline, p.frames[n-1]})
		}
	}
	h.mu.Unlock()
	for _, n := range all {
		visit(n.ref, n.pipeline, n.frame)
	}
}

// Frames are a workflow's frames from from (inclusive) to to (exclusive),
// by pipeline, and since when the memory holds them: frames before that are
// only in the store. ok is false when it holds none of the workflow's.
func (h *History) Frames(workflowID string, from, to time.Time) (byPipeline map[int][]Frame, since time.Time, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	byPipeline = map[int][]Frame{}
	for k, p := range h.pipes {
		if p.ref.WorkflowID != workflowID || len(p.frames) == 0 {
			continue
		}
		if first := p.frames[0].T; !ok || first.Before(since) {
			since = first
		}
		ok = true
		for _, f := range p.frames {
			if !f.T.Before(from) && f.T.Before(to) {
				byPipeline[k.pipeline] = append(byPipeline[k.pipeline], Frame{T: f.T, Values: maps.Clone(f.Values)})
			}
		}
	}
	return byPipeline, since, ok
}

func (p *pipeHistory) point(pipeline int, pt Frame, res time.Duration) domain.MetricPoint {
	return domain.MetricPoint{OrgID: p.ref.OrgID, WorkflowID: p.ref.WorkflowID, RunID: p.ref.RunID,
		Pipeline: pipeline, Resolution: res, Time: pt.T, Values: pt.Values}
}

// bucket folds the frames of one period into its point.
type bucket struct {
	res    time.Duration
	start  time.Time
	frames []map[string]float64
}

// add folds f in; when f starts a new period, the last one's point comes
// back.
func (b *bucket) add(f Frame) (Frame, bool) {
	start := f.T.Truncate(b.res)
	var out Frame
	var closed bool
	if len(b.frames) > 0 && !start.Equal(b.start) {
		out, closed = b.flush()
	}
	b.start = start
	b.frames = append(b.frames, f.Values)
	return out, closed
}

// flush returns the open period's point, if it has frames, and empties it.
func (b *bucket) flush() (Frame, bool) {
	if len(b.frames) == 0 {
		return Frame{}, false
	}
	out := Frame{T: b.start, Values: foldValues(b.frames)}
	b.frames = nil
	return out, true
}

// foldValues makes one period's values out of the values of its parts (frames,
// or shorter periods), each series as its metric aggregates: a sum, a mean
// or the highest. A series absent from some parts folds the others.
func foldValues(parts []map[string]float64) map[string]float64 {
	type acc struct {
		v float64
		n int
	}
	accs := map[string]*acc{}
	for _, p := range parts {
		for k, v := range p {
			if math.IsNaN(v) {
				continue
			}
			a := accs[k]
			if a == nil {
				accs[k] = &acc{v: v, n: 1}
				continue
			}
			switch aggOf(k) {
			case Max:
				a.v = max(a.v, v)
			default:
				a.v += v
			}
			a.n++
		}
	}
	out := make(map[string]float64, len(accs))
	for k, a := range accs {
		v := a.v
		if aggOf(k) == Avg {
			v /= float64(a.n)
		}
		out[k] = v
	}
	return out
}
