package engine

import (
	"sync"
	"time"

	"onair/internal/media"
)

// timelineOrigin is where a run's timeline starts: its first unit's decode
// time. Not zero, so that a B-frame's presentation time before it, and
// ffmpeg's own output delay, never go below zero.
const timelineOrigin = 10 * time.Second

// frameGap is how far after the last unit a new publisher session starts:
// one frame at 30 fps.
const frameGap = 33 * time.Millisecond

// timeline puts a pipeline's publisher sessions, one after another, on one
// timeline whose decode times never go back: each session's units are moved
// by one offset, chosen at its first unit so that it starts one frame after
// the last unit of the session before (or at the origin, or after what an
// earlier server recorded for the run). It is safe for concurrent use.
type timeline struct {
	mu     sync.Mutex
	rebase bool          // the next unit sets the offset
	offset time.Duration // added to the session's timestamps
	floor  time.Duration // no decode time of the session goes below it
	last   time.Duration // the latest decode time placed
	has    bool          // last is set
}

func newTimeline() *timeline { return &timeline{rebase: true} }

// begin starts a publisher session.
func (t *timeline) begin() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rebase = true
}

// continueAfter makes the next session start after end: what an earlier
// server recorded for the run ends there.
func (t *timeline) continueAfter(end time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.has || end > t.last {
		t.last, t.has = end, true
	}
	t.rebase = true
}

// place returns the unit moved onto the timeline (a copy: units are shared).
func (t *timeline) place(u *media.Unit) *media.Unit {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rebase {
		t.rebase = false
		t.floor = timelineOrigin
		if t.has {
			t.floor = t.last + frameGap
		}
		t.offset = t.floor - u.DTS
	}
	dts := max(u.DTS+t.offset, t.floor)
	shift := dts - u.DTS
	if !t.has || dts > t.last {
		t.last, t.has = dts, true
	}
	placed := *u
	placed.DTS, placed.PTS = dts, u.PTS+shift
	return &placed
}
