package storetest

import (
	"errors"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

// newStream is a never-started stream of org, created at the given minute.
func newStream(org, id string, minute int) domain.Stream {
	return domain.Stream{
		ID: id, OrgID: org, Name: "Stream " + id, Description: "Fixture " + id, BlueprintID: "rtmp-abr-1080",
		WorkflowID: "wf-" + id, InputID: "mi-" + id, SegmentLength: 6,
		StartoverWindowSeconds: 3600, KeyRotationInterval: 60,
		ArchivesPath: map[string]string{}, LastUpdate: at(minute), Created: at(minute),
	}
}

func streamIDs(sts []domain.Stream) []string {
	return ids(sts, func(st domain.Stream) string { return st.ID })
}

func testStreams(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListStreams(ctx, "org-a")
	must(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("new store lists %#v, want an empty list", list)
	}

	first, second := newStream("org-a", "st-1", 1), newStream("org-a", "st-2", 2)
	must(t, s.CreateStream(ctx, first))
	must(t, s.CreateStream(ctx, second))
	got, err := s.GetStream(ctx, "org-a", "st-1")
	must(t, err)
	equal(t, "GetStream of a new stream", got, first)
	if got.LastStarted != nil || got.CurrentSessionID != "" || got.Created.Location() != time.UTC {
		t.Errorf("a new stream's session and times: %+v", got)
	}

	list, err = s.ListStreams(ctx, "org-a")
	must(t, err)
	equal(t, "ListStreams, newest first", streamIDs(list), []string{"st-2", "st-1"})
	equal(t, "ListStreams[1]", list[1], first)

	dup := newStream("org-a", "st-1", 9)
	dup.Name = "Impostor"
	wantConflict(t, "CreateStream with a taken id", s.CreateStream(ctx, dup), "st-1")
	got, err = s.GetStream(ctx, "org-a", "st-1")
	must(t, err)
	equal(t, "stream after a refused create with its id", got, first)

	// A start: every changeable field written, the ties to the workflow and
	// input kept whatever fn does to them.
	started := at(10).Add(123456 * time.Microsecond)
	updated, err := s.UpdateStream(ctx, "org-a", "st-1", func(st *domain.Stream) error {
		st.Name, st.Description = "Renamed", "New description"
		st.SegmentLength, st.StartoverWindowSeconds, st.KeyRotationInterval = 10, 600, 0
		st.CloudfrontAssociated = true
		st.ArchivesPath["sess-1"] = "2024/03/10/st-1-1710057600"
		st.CurrentSessionID = "sess-1"
		st.LastStarted, st.LastUpdate = &started, started
		st.WorkflowID, st.InputID, st.BlueprintID, st.OrgID = "other-wf", "other-mi", "other-bp", "org-b"
		return nil
	})
	must(t, err)
	want := first
	want.Name, want.Description = "Renamed", "New description"
	want.SegmentLength, want.StartoverWindowSeconds, want.KeyRotationInterval = 10, 600, 0
	want.CloudfrontAssociated = true
	want.ArchivesPath = map[string]string{"sess-1": "2024/03/10/st-1-1710057600"}
	want.CurrentSessionID = "sess-1"
	want.LastStarted, want.LastUpdate = &started, started
	equal(t, "UpdateStream's answer", updated, want)
	got, err = s.GetStream(ctx, "org-a", "st-1")
	must(t, err)
	equal(t, "GetStream after UpdateStream", got, want)
	if len(first.ArchivesPath) != 0 {
		t.Errorf("UpdateStream changed the caller's map: %v", first.ArchivesPath)
	}

	// A stop, then a second session: the first session's path stays.
	stopped := at(20)
	_, err = s.UpdateStream(ctx, "org-a", "st-1", func(st *domain.Stream) error {
		st.LastStopped, st.CloudfrontAssociated = &stopped, false
		st.ArchivesPath["sess-2"] = "shows/keynote"
		st.CurrentSessionID = "sess-2"
		return nil
	})
	must(t, err)
	got, err = s.GetStream(ctx, "org-a", "st-1")
	must(t, err)
	equal(t, "sessions after a second start", got.ArchivesPath, map[string]string{
		"sess-1": "2024/03/10/st-1-1710057600", "sess-2": "shows/keynote"})
	if got.LastStopped == nil || !got.LastStopped.Equal(stopped) || got.CloudfrontAssociated || got.CurrentSessionID != "sess-2" {
		t.Errorf("after a stop and a start: %+v", got)
	}

	// fn's error is returned as is, and nothing is written.
	refusal := &domain.ConflictError{Message: "stream st-1 is started"}
	_, err = s.UpdateStream(ctx, "org-a", "st-1", func(st *domain.Stream) error {
		st.Name = "Lost"
		st.ArchivesPath["lost"] = "lost"
		return refusal
	})
	if !errors.Is(err, refusal) {
		t.Errorf("UpdateStream with fn failing: %v, want fn's error", err)
	}
	after, err := s.GetStream(ctx, "org-a", "st-1")
	must(t, err)
	equal(t, "stream after a refused update", after, got)

	_, err = s.UpdateStream(ctx, "org-a", "nope", func(*domain.Stream) error { return nil })
	wantNotFound(t, "UpdateStream of a missing stream", err, "stream", "nope")

	must(t, s.DeleteStream(ctx, "org-a", "st-1", nil))
	_, err = s.GetStream(ctx, "org-a", "st-1")
	wantNotFound(t, "GetStream after delete", err, "stream", "st-1")
	wantNotFound(t, "DeleteStream again", s.DeleteStream(ctx, "org-a", "st-1", nil), "stream", "st-1")
	list, err = s.ListStreams(ctx, "org-a")
	must(t, err)
	equal(t, "ListStreams after delete", streamIDs(list), []string{"st-2"})
}

func testStreamsOrgIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateStream(ctx, newStream("org-a", "st", 1)))

	_, err := s.GetStream(ctx, "org-b", "st")
	wantNotFound(t, "GetStream from another org", err, "stream", "st")
	list, err := s.ListStreams(ctx, "org-b")
	must(t, err)
	equal(t, "ListStreams of another org", streamIDs(list), []string{})
	called := false
	_, err = s.UpdateStream(ctx, "org-b", "st", func(*domain.Stream) error { called = true; return nil })
	wantNotFound(t, "UpdateStream from another org", err, "stream", "st")
	if called {
		t.Error("UpdateStream called fn with another org's stream")
	}
	wantNotFound(t, "DeleteStream from another org", s.DeleteStream(ctx, "org-b", "st", nil), "stream", "st")
	got, err := s.GetStream(ctx, "org-a", "st")
	must(t, err)
	equal(t, "the stream after another org's attempts", got, newStream("org-a", "st", 1))
}

// testDeleteStreamParts: a stream goes with its workflow, the workflow's runs
// and its managed input, all or nothing.
func testDeleteStreamParts(t *testing.T, s store.Store) {
	ctx := t.Context()
	st := newStream("org-a", "st", 1)
	wf := newWorkflow("org-a", st.WorkflowID, 1)
	wf.Blueprint.Settings.Inputs = []domain.Input{{ManagedInput: &domain.ManagedInputRef{ID: st.InputID}}}
	create(t, s, wf)
	must(t, s.CreateManagedInput(ctx, newManagedInput("org-a", st.InputID, "local", domain.ClassStandard, 1)))
	must(t, s.CreateStream(ctx, st))
	_, err := s.UpdateChannel(ctx, "org-a", wf.ID, func(c *domain.Channel) error { return c.RequestStart("run-1", true, at(2)) })
	must(t, err)
	_, err = s.ClaimManagedInput(ctx, "org-a", st.InputID, wf.ID)
	must(t, err)
	// present says whether the stream, its workflow, its run and its input exist.
	present := func(what string, want bool) {
		t.Helper()
		_, e1 := s.GetStream(ctx, "org-a", st.ID)
		_, e2 := s.GetWorkflow(ctx, "org-a", wf.ID)
		_, e3 := s.GetManagedInput(ctx, "org-a", st.InputID)
		runs, e4 := s.ListRuns(ctx, "org-a", store.RunFilter{WorkflowID: wf.ID})
		must(t, e4)
		for i, err := range []error{e1, e2, e3} {
			if got := err == nil; got != want {
				t.Errorf("%s: part %d present %v, want %v (%v)", what, i, got, want, err)
			}
		}
		if got := len(runs.Items) == 1; got != want {
			t.Errorf("%s: %d runs, want them present %v", what, len(runs.Items), want)
		}
	}

	// check sees the stored workflow; its refusal leaves everything.
	refusal := &domain.ConflictError{Message: "the stream is started"}
	var seen domain.Status
	err = s.DeleteStream(ctx, "org-a", st.ID, func(w domain.Workflow) error { seen = w.Status; return refusal })
	if !errors.Is(err, refusal) || seen != domain.StatusProvisioning {
		t.Errorf("DeleteStream with check refusing: %v, check saw %q; want check's error, PROVISIONING", err, seen)
	}
	present("after check refused", true)

	// Another active workflow holding the input refuses the whole delete,
	// though the stream's own workflow was deleted first in the transaction.
	setWorkflowStatus(t, s, "org-a", wf.ID, domain.StatusDone)
	create(t, s, newWorkflow("org-a", "wf-other", 3))
	setWorkflowStatus(t, s, "org-a", "wf-other", domain.StatusRunning)
	_, err = s.ClaimManagedInput(ctx, "org-a", st.InputID, "wf-other")
	must(t, err)
	wantConflict(t, "DeleteStream while another workflow holds the input", s.DeleteStream(ctx, "org-a", st.ID, nil), st.InputID, "wf-other")
	present("after the input refused", true)

	setWorkflowStatus(t, s, "org-a", "wf-other", domain.StatusDone)
	must(t, s.DeleteStream(ctx, "org-a", st.ID, nil))
	present("after delete", false)
	if _, err := s.GetWorkflow(ctx, "org-a", "wf-other"); err != nil {
		t.Errorf("another workflow went with the stream: %v", err)
	}

	// A workflow and input deleted on their own before are no error.
	lone := newStream("org-a", "lone", 4)
	must(t, s.CreateStream(ctx, lone))
	must(t, s.DeleteStream(ctx, "org-a", lone.ID, func(domain.Workflow) error { return refusal }))
	_, err = s.GetStream(ctx, "org-a", lone.ID)
	wantNotFound(t, "GetStream of a stream without parts after delete", err, "stream", lone.ID)
}

func testStreamArchivePathInUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	inUse := func(dir string) bool {
		t.Helper()
		ok, err := s.ArchivePathInUse(ctx, dir)
		must(t, err)
		return ok
	}
	if inUse("shows/keynote") {
		t.Error("an empty store has a path in use")
	}
	a, b := newStream("org-a", "st-a", 1), newStream("org-b", "st-b", 2)
	a.ArchivesPath = map[string]string{"s1": "shows/keynote", "s2": "2024/03/10/st-a-1"}
	b.ArchivesPath = map[string]string{"s3": "b/only"}
	must(t, s.CreateStream(ctx, a))
	must(t, s.CreateStream(ctx, b))
	for dir, want := range map[string]bool{
		"shows/keynote":        true,  // the same
		"shows":                true,  // holds it
		"shows/keynote/day-2":  true,  // inside it
		"shows/keynote-2":      false, // a sibling
		"2024/03/10/st-a-1":    true,
		"2024/03/10/st-a-10":   false,
		"b/only":               true, // another organization's: the root is shared
		"b":                    true,
		"elsewhere":            false,
		"2024/03/10/other-one": false,
	} {
		if got := inUse(dir); got != want {
			t.Errorf("ArchivePathInUse(%q) = %v, want %v", dir, got, want)
		}
	}
}
