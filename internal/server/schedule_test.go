package server_test

import (
	"sync/atomic"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/server"
	"onair/internal/testutil/e2e"
)

// TestScheduledRun: a schedule a few seconds ahead leaves READY within 1 s of its
// time, and stops on its own once its duration has passed. The clock is moved
// forward rather than waited for: the minimum duration is 5 minutes.
func TestScheduledRun(t *testing.T) {
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	n := startNode(t, nil, server.WithClock(clock), server.WithResync(200*time.Millisecond))

	start := time.Now().UTC().Add(3 * time.Second).Truncate(time.Millisecond)
	var id struct{ ID string }
	code := n.Call("POST", "/api/workflows", map[string]any{
		"name": "Scheduled", "blueprint": e2e.SmallBlueprint(domain.ClassSinglePipeline),
		"schedule": map[string]any{"startDateTime": start.Format(time.RFC3339Nano), "duration": 5},
	}, &id)
	if code != 201 {
		t.Fatalf("create: %d", code)
	}
	var wf domain.Workflow
	n.Call("GET", "/api/workflows/"+id.ID, nil, &wf)
	if wf.NextRun == nil || !wf.NextRun.Equal(start) {
		t.Fatalf("nextRun %v, want %v", wf.NextRun, start)
	}

	var left time.Time
	e2e.WaitFor(t, "the scheduled start", 15*time.Second, func() bool {
		if n.Channel(id.ID).Status != domain.StatusReady {
			left = time.Now()
			return true
		}
		return false
	})
	if d := left.Sub(start); d < 0 || d > time.Second {
		t.Errorf("left READY %v after its start time; want within 1 s", d)
	}
	info := n.WaitStatus(id.ID, domain.StatusRunning)
	if d := info.StartRequestedDateTime.Sub(start); d < 0 || d > time.Second {
		t.Errorf("start requested %v after the scheduled time", d)
	}

	offset.Store(int64(5*time.Minute + time.Second))
	done := n.WaitStatus(id.ID, domain.StatusDone)
	if done.StopRequestedDateTime == nil || done.Cause != "" {
		t.Errorf("the run did not stop on its own: %+v", done)
	}
	wf = domain.Workflow{}
	n.Call("GET", "/api/workflows/"+id.ID, nil, &wf)
	if wf.NextRun != nil {
		t.Errorf("a one-off schedule has a next run after it ran: %v", wf.NextRun)
	}
}
