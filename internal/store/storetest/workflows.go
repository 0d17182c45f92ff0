package storetest

import (
	"errors"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

func testWorkflowRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	paris := time.FixedZone("CEST", 2*60*60)
	w := domain.Workflow{
		ID: "5f0c7d1e-3a51-4c0e-9d0b-1f2a3b4c5d6e", OrgID: "org-a",
		Name: "Évening news", Description: "Nightly bulletin, 19:00-19:30", Region: "eu-west",
		Status: domain.StatusStartFailed, Cause: "ffmpeg has no libx264",
		BlueprintID: "news-720", Blueprint: sampleBlueprint("news-720"),
		Tags: []string{"news", "daily", "fr"},
		Schedule: &domain.Schedule{StartDateTime: "2024-03-11T18:00:00.000Z", Duration: 30,
			Recurrence: &domain.Recurrence{Unit: "WEEK", Days: []string{"MON", "WED", "FRI"}, EndDate: "2024-06-30"}},
		CreateArchives: false, RunID: "",
		// Nanoseconds and a zone: the store keeps microseconds, in UTC.
		Created: time.Date(2024, 3, 10, 9, 30, 15, 123456789, paris),
		Updated: time.Date(2024, 3, 10, 9, 45, 0, 999999999, paris),
	}
	must(t, s.CreateWorkflow(ctx, w))

	want := w
	want.Created = time.Date(2024, 3, 10, 7, 30, 15, 123456000, time.UTC)
	want.Updated = time.Date(2024, 3, 10, 7, 45, 0, 999999000, time.UTC)
	got, err := s.GetWorkflow(ctx, "org-a", w.ID)
	must(t, err)
	equal(t, "GetWorkflow", got, want)
	if got.Created.Location() != time.UTC || got.Updated.Location() != time.UTC {
		t.Errorf("times are in %v and %v, want UTC", got.Created.Location(), got.Updated.Location())
	}

	ch, err := s.GetChannel(ctx, "org-a", w.ID)
	must(t, err)
	equal(t, "GetChannel before any run", ch, domain.Channel{Workflow: want})

	// No schedule, no tags, nil tags: each comes back as it went in.
	bare := newWorkflow("org-a", "bare", 1)
	bare.Tags = nil
	must(t, s.CreateWorkflow(ctx, bare))
	got, err = s.GetWorkflow(ctx, "org-a", "bare")
	must(t, err)
	equal(t, "GetWorkflow bare", got, bare)

	page, err := s.ListWorkflows(ctx, "org-a", store.WorkflowFilter{})
	must(t, err)
	equal(t, "ListWorkflows ids", workflowIDs(page.Items), []string{"bare", w.ID})
	equal(t, "ListWorkflows[1]", page.Items[1], want.Summary())
	equal(t, "ListWorkflows[0]", page.Items[0], bare.Summary())
	equal(t, "ListWorkflows Next", page.Next, "")

	err = s.CreateWorkflow(ctx, newWorkflow("org-a", "bare", 2))
	var conflict *domain.ConflictError
	if !errors.As(err, &conflict) {
		t.Errorf("CreateWorkflow with a taken id: got %v (%T), want a *domain.ConflictError", err, err)
	}

	_, err = s.GetWorkflow(ctx, "org-a", "missing")
	wantNotFound(t, "GetWorkflow missing", err, "workflow", "missing")
	_, err = s.GetChannel(ctx, "org-a", "missing")
	wantNotFound(t, "GetChannel missing", err, "workflow", "missing")
}

func testWorkflowOrgIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newWorkflow("org-a", "wf-a", 0)
	a.Tags = []string{"news"}
	create(t, s, a)
	_, err := s.UpdateChannel(ctx, "org-a", "wf-a", func(c *domain.Channel) error {
		return c.RequestStart("run-a", true, at(1))
	})
	must(t, err)

	_, err = s.GetWorkflow(ctx, "org-b", "wf-a")
	wantNotFound(t, "org-b GetWorkflow", err, "workflow", "wf-a")
	_, err = s.GetChannel(ctx, "org-b", "wf-a")
	wantNotFound(t, "org-b GetChannel", err, "workflow", "wf-a")
	called := false
	_, err = s.UpdateChannel(ctx, "org-b", "wf-a", func(c *domain.Channel) error { called = true; return nil })
	wantNotFound(t, "org-b UpdateChannel", err, "workflow", "wf-a")
	if called {
		t.Error("UpdateChannel called fn for another organization's workflow")
	}
	err = s.DeleteWorkflow(ctx, "org-b", "wf-a", func(domain.Workflow) error { called = true; return nil })
	wantNotFound(t, "org-b DeleteWorkflow", err, "workflow", "wf-a")
	if called {
		t.Error("DeleteWorkflow called check for another organization's workflow")
	}

	for _, f := range []store.WorkflowFilter{{}, {Tags: []string{"news"}}, {Search: "wf-a"}, {Statuses: []domain.Status{domain.StatusProvisioning}}} {
		page, err := s.ListWorkflows(ctx, "org-b", f)
		must(t, err)
		if len(page.Items) != 0 {
			t.Errorf("org-b ListWorkflows(%+v) sees %v", f, workflowIDs(page.Items))
		}
	}
	for _, f := range []store.RunFilter{{}, {WorkflowID: "wf-a"}} {
		runs, err := s.ListRuns(ctx, "org-b", f)
		must(t, err)
		if len(runs.Items) != 0 {
			t.Errorf("org-b ListRuns(%+v) sees %v", f, runIDs(runs.Items))
		}
	}

	// org-a's workflow is untouched, its run too.
	ch, err := s.GetChannel(ctx, "org-a", "wf-a")
	must(t, err)
	if ch.Workflow.Status != domain.StatusProvisioning || ch.Run == nil || ch.Run.ID != "run-a" {
		t.Errorf("org-a's channel changed: %+v", ch)
	}
}
