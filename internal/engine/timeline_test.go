package engine

import (
	"testing"
	"time"

	"onair/internal/media"
)

func TestTimeline(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	unit := func(dts, pts int) *media.Unit { return &media.Unit{DTS: ms(dts), PTS: ms(pts)} }
	tl := newTimeline()
	type step struct {
		begin        bool
		in           *media.Unit
		wantDTS, pts time.Duration
	}
	steps := []step{
		// The first session starts at the origin, whatever its encoder's clock.
		{begin: true, in: unit(5000, 5066), wantDTS: timelineOrigin, pts: timelineOrigin + ms(66)},
		{in: unit(5033, 5100), wantDTS: timelineOrigin + ms(33), pts: timelineOrigin + ms(100)},
		// A reconnect starting again at 0 goes on one frame after.
		{begin: true, in: unit(0, 0), wantDTS: timelineOrigin + ms(66), pts: timelineOrigin + ms(66)},
		{in: unit(40, 80), wantDTS: timelineOrigin + ms(106), pts: timelineOrigin + ms(146)},
		// A unit whose decode time goes back within a session is held at the floor.
		{in: unit(-500, -500), wantDTS: timelineOrigin + ms(66), pts: timelineOrigin + ms(66)},
	}
	for i, s := range steps {
		if s.begin {
			tl.begin()
		}
		got := tl.place(s.in)
		if got.DTS != s.wantDTS || got.PTS != s.pts {
			t.Errorf("step %d: DTS %s PTS %s, want %s %s", i, got.DTS, got.PTS, s.wantDTS, s.pts)
		}
		if got == s.in {
			t.Errorf("step %d: the shared unit was changed in place", i)
		}
	}
	// After a restart of the server: the next session goes on after what was recorded.
	tl = newTimeline()
	tl.continueAfter(ms(90_000))
	if got := tl.place(unit(0, 0)); got.DTS != ms(90_033) {
		t.Errorf("after continueAfter: DTS %s", got.DTS)
	}
}
