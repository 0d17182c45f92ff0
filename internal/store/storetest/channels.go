package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

func testUpdateChannel(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := newWorkflow("org-a", "wf", 0)
	w.Tags = []string{"old", "kept"}
	create(t, s, w)

	written, err := s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error {
		equal(t, "fn sees the stored workflow", c.Workflow, w)
		if c.Run != nil {
			t.Errorf("fn sees a run before any start: %+v", c.Run)
		}
		c.Workflow.Name = "Renamed"
		c.Workflow.Description = "New description"
		c.Workflow.Region = "eu-west"
		c.Workflow.Status = domain.StatusDone
		c.Workflow.Cause = "stopped by hand"
		c.Workflow.BlueprintID = "other"
		c.Workflow.Blueprint = sampleBlueprint("other")
		c.Workflow.Tags = []string{"kept", "new"}
		c.Workflow.Schedule = &domain.Schedule{StartDateTime: "2024-04-01T10:00:00.000Z", Duration: 45}
		c.Workflow.CreateArchives = false
		c.Workflow.Updated = at(5).Add(1500 * time.Nanosecond) // stored at microseconds
		return nil
	})
	must(t, err)

	want := w
	want.Name, want.Description, want.Region = "Renamed", "New description", "eu-west"
	want.Status, want.Cause = domain.StatusDone, "stopped by hand"
	want.BlueprintID, want.Blueprint = "other", sampleBlueprint("other")
	want.Tags = []string{"kept", "new"}
	want.Schedule = &domain.Schedule{StartDateTime: "2024-04-01T10:00:00.000Z", Duration: 45}
	want.CreateArchives = false
	want.Updated = at(5).Add(time.Microsecond)
	equal(t, "UpdateChannel's result", written, domain.Channel{Workflow: want})
	got, err := s.GetWorkflow(ctx, "org-a", "wf")
	must(t, err)
	equal(t, "GetWorkflow after UpdateChannel", got, want)

	// The tag filter follows the new tags.
	equal(t, "new tag", listIDs(t, s, "org-a", store.WorkflowFilter{Tags: []string{"new", "kept"}}), []string{"wf"})
	equal(t, "old tag", listIDs(t, s, "org-a", store.WorkflowFilter{Tags: []string{"old"}}), []string{})
	equal(t, "search the new name", listIDs(t, s, "org-a", store.WorkflowFilter{Search: "renamed"}), []string{"wf"})

	// Removing the schedule stores no schedule.
	_, err = s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error {
		c.Workflow.Schedule = nil
		return nil
	})
	must(t, err)
	got, err = s.GetWorkflow(ctx, "org-a", "wf")
	must(t, err)
	if got.Schedule != nil {
		t.Errorf("schedule after removing it: %+v", got.Schedule)
	}

	called := false
	_, err = s.UpdateChannel(ctx, "org-a", "missing", func(*domain.Channel) error { called = true; return nil })
	wantNotFound(t, "UpdateChannel missing", err, "workflow", "missing")
	if called {
		t.Error("UpdateChannel called fn for a missing workflow")
	}
}

func testUpdateChannelError(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := newWorkflow("org-a", "wf", 0)
	create(t, s, w)

	refusal := &domain.ConflictError{Message: "workflow wf is READY, not running"}
	got, err := s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error {
		// Changes made before the error must not be written.
		c.Workflow.Name = "changed"
		c.Workflow.Tags = []string{"changed"}
		if err := c.RequestStart("run-1", true, at(1)); err != nil {
			return err
		}
		return refusal
	})
	if err != error(refusal) {
		t.Errorf("UpdateChannel returned %v (%T), want fn's error as is", err, err)
	}
	var conflict *domain.ConflictError
	if !errors.As(err, &conflict) {
		t.Errorf("errors.As(%v, *domain.ConflictError) is false", err)
	}
	equal(t, "the channel returned with an error", got, domain.Channel{})

	ch, err := s.GetChannel(ctx, "org-a", "wf")
	must(t, err)
	equal(t, "GetChannel after fn failed", ch, domain.Channel{Workflow: w})
	runs, err := s.ListRuns(ctx, "org-a", store.RunFilter{})
	must(t, err)
	equal(t, "runs after fn failed", runIDs(runs.Items), []string{})
	equal(t, "tags after fn failed", listIDs(t, s, "org-a", store.WorkflowFilter{Tags: []string{"changed"}}), []string{})
}

func testUpdateChannelRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, newWorkflow("org-a", "wf", 0))

	// A start: the new run is inserted and becomes the current one.
	started, err := s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error {
		if err := c.RequestStart("run-1", true, at(1)); err != nil {
			return err
		}
		c.Run.Inputs = []domain.Ingest{{Pipeline: 0, App: "live", StreamKey: "k0"}, {Pipeline: 1, App: "live", StreamKey: "k1"}}
		return nil
	})
	must(t, err)
	if started.Workflow.RunID != "run-1" || started.Run == nil || started.Run.ID != "run-1" {
		t.Fatalf("after a start: %+v", started)
	}
	ch, err := s.GetChannel(ctx, "org-a", "wf")
	must(t, err)
	equal(t, "GetChannel after a start", ch, started)
	if ch.Run.WorkflowID != "wf" || ch.Run.OrgID != "org-a" || ch.Run.Status != domain.StatusProvisioning ||
		ch.Run.StartRequested == nil || !ch.Run.StartRequested.Equal(at(1)) || !ch.Run.Created.Equal(at(1)) {
		t.Errorf("the new run: %+v", ch.Run)
	}

	// A running run's events and open alerts are kept with it.
	nextTry := at(4)
	retrying := domain.DestinationStatus{ID: "cdn", Pipeline: 1, URL: "rtmp://cdn.example.com/…", State: domain.DestinationRetrying,
		Since: at(3), LastError: "EOF", NextAttempt: &nextTry, BytesSent: 1 << 40, Reconnects: 2, Dropped: 3}
	running, err := s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error {
		for _, st := range []domain.Status{domain.StatusStarting, domain.StatusRunning} {
			if err := c.SetStatus(st, "", at(2)); err != nil {
				return err
			}
		}
		c.Run.AddEvent(domain.RunEvent{Time: at(3), Type: domain.EventPipelineFailing, Pipeline: 1, Message: "ffmpeg was killed"})
		c.Run.SetDestination(retrying)
		return nil
	})
	must(t, err)
	ch, err = s.GetChannel(ctx, "org-a", "wf")
	must(t, err)
	equal(t, "GetChannel of the running run", ch, running)
	equal(t, "its alerts", ch.Run.Alerts, []domain.Alert{{Type: domain.AlertPipelineFailing, Pipeline: 1, Since: at(3), Cause: "ffmpeg was killed"}})
	equal(t, "its destinations", ch.Run.Destinations, []domain.DestinationStatus{retrying})

	// The current run changes with the workflow, and is updated, not added.
	stopped := at(30).Add(123456789 * time.Nanosecond)
	updated, err := s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error {
		if err := c.RequestStop(at(29)); err != nil {
			return err
		}
		for _, st := range []domain.Status{domain.StatusStopping, domain.StatusDeleting, domain.StatusDone} {
			if err := c.SetStatus(st, "", stopped); err != nil {
				return err
			}
		}
		c.Run.Archives = []domain.Archive{{ID: "a0", Pipeline: 0, Playlist: "wf/run-1/0/index.m3u8", MP4: "wf/run-1/0/main.mp4", FileSize: 1 << 30, Duration: 1679.5}}
		return nil
	})
	must(t, err)
	ch, err = s.GetChannel(ctx, "org-a", "wf")
	must(t, err)
	equal(t, "GetChannel after the run's update", ch, updated)
	r := ch.Run
	if r.Status != domain.StatusDone || r.Started == nil || !r.Started.Equal(at(2)) ||
		r.StopRequested == nil || !r.StopRequested.Equal(at(29)) ||
		r.Stopped == nil || !r.Stopped.Equal(stopped.Truncate(time.Microsecond)) || r.Stopped.Location() != time.UTC ||
		len(r.Archives) != 1 || len(r.Inputs) != 2 {
		t.Errorf("the updated run: %+v", r)
	}
	runs, err := s.ListRuns(ctx, "org-a", store.RunFilter{WorkflowID: "wf"})
	must(t, err)
	equal(t, "runs after an update", runs.Items, []domain.Run{*updated.Run})

	// The next occurrence: a second run becomes current; the first one stays.
	next, err := s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error {
		return c.RequestStart("run-2", false, at(60))
	})
	must(t, err)
	ch, err = s.GetChannel(ctx, "org-a", "wf")
	must(t, err)
	equal(t, "GetChannel after the second start", ch, next)
	equal(t, "current run", ch.Workflow.RunID, "run-2")
	runs, err = s.ListRuns(ctx, "org-a", store.RunFilter{WorkflowID: "wf"})
	must(t, err)
	equal(t, "runs after the second start", runs.Items, []domain.Run{*next.Run, *updated.Run})

	// A run id of another workflow is not taken over.
	create(t, s, newWorkflow("org-a", "wf-2", 1))
	_, err = s.UpdateChannel(ctx, "org-a", "wf-2", func(c *domain.Channel) error {
		return c.RequestStart("run-1", true, at(70))
	})
	if err == nil {
		t.Error("UpdateChannel reused another workflow's run id")
	}
	runs, err = s.ListRuns(ctx, "org-a", store.RunFilter{WorkflowID: "wf"})
	must(t, err)
	equal(t, "wf's runs after wf-2 tried to take one", runs.Items, []domain.Run{*next.Run, *updated.Run})
}

// testUpdateChannelSerializes runs updates of one workflow at once: each must see
// the others' writes, so none is lost.
func testUpdateChannelSerializes(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, newWorkflow("org-a", "wf", 0))
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateChannel(ctx, "org-a", "wf", func(c *domain.Channel) error {
				desc := c.Workflow.Description
				archives := c.Workflow.CreateArchives
				// Widen the window between read and write, where a store that
				// does not serialize would let another update in.
				time.Sleep(2 * time.Millisecond)
				c.Workflow.Description = desc + fmt.Sprintf("[%d]", i)
				c.Workflow.CreateArchives = !archives
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err := s.GetWorkflow(ctx, "org-a", "wf")
	must(t, err)
	for i := 0; i < n; i++ {
		if !strings.Contains(got.Description, fmt.Sprintf("[%d]", i)) {
			t.Errorf("update %d was lost: description %q", i, got.Description)
		}
	}
	if !got.CreateArchives { // toggled an even number of times
		t.Errorf("createArchives toggled %d times is false: an update was lost", n)
	}
}

func testDeleteWorkflow(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := newWorkflow("org-a", "wf", 0)
	w.Tags = []string{"doomed"}
	create(t, s, w, newWorkflow("org-a", "keep", 1))
	for _, id := range []string{"wf", "keep"} {
		_, err := s.UpdateChannel(ctx, "org-a", id, func(c *domain.Channel) error {
			return c.RequestStart("run-"+id, true, at(2))
		})
		must(t, err)
	}

	var checked domain.Workflow
	var refusal error
	err := s.DeleteWorkflow(ctx, "org-a", "wf", func(got domain.Workflow) error {
		checked = got
		refusal = got.CheckModifiable("delete")
		return refusal
	})
	if refusal == nil || err != refusal {
		t.Errorf("DeleteWorkflow with a refusing check: got %v (%T), want check's error %v as is", err, err, refusal)
	}
	if checked.ID != "wf" || checked.Status != domain.StatusProvisioning || checked.RunID != "run-wf" {
		t.Errorf("check got %+v, want the stored workflow", checked)
	}
	equal(t, "workflows after the refused delete", listIDs(t, s, "org-a", store.WorkflowFilter{Tags: []string{"doomed"}}), []string{"wf"})
	ch, err := s.GetChannel(ctx, "org-a", "wf")
	must(t, err)
	if ch.Run == nil {
		t.Error("the refused delete removed the run")
	}

	must(t, s.DeleteWorkflow(ctx, "org-a", "wf", func(domain.Workflow) error { return nil }))
	_, err = s.GetWorkflow(ctx, "org-a", "wf")
	wantNotFound(t, "GetWorkflow after delete", err, "workflow", "wf")
	_, err = s.GetChannel(ctx, "org-a", "wf")
	wantNotFound(t, "GetChannel after delete", err, "workflow", "wf")
	runs, err := s.ListRuns(ctx, "org-a", store.RunFilter{})
	must(t, err)
	equal(t, "runs after delete", runIDs(runs.Items), []string{"run-keep"})
	equal(t, "tag filter after delete", listIDs(t, s, "org-a", store.WorkflowFilter{Tags: []string{"doomed"}}), []string{})
	equal(t, "workflows after delete", listIDs(t, s, "org-a", store.WorkflowFilter{}), []string{"keep"})

	err = s.DeleteWorkflow(ctx, "org-a", "wf", func(domain.Workflow) error { return nil })
	wantNotFound(t, "DeleteWorkflow missing", err, "workflow", "wf")

	// The id is free again, with no tags or runs left over.
	create(t, s, newWorkflow("org-a", "wf", 3))
	ch, err = s.GetChannel(ctx, "org-a", "wf")
	must(t, err)
	if ch.Run != nil || ch.Workflow.RunID != "" {
		t.Errorf("a new workflow under a deleted one's id: %+v", ch)
	}
}
