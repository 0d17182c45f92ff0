package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"onair/internal/domain"
	"onair/internal/store"
)

// newManagedInput is an input of org created at the given minute.
func newManagedInput(org, id, region string, class domain.ChannelClass, minute int) domain.ManagedInput {
	in := domain.ManagedInput{
		ID: id, OrgID: org, Name: "Input " + id, Region: region, Type: domain.InputTypeRTMPPush, Class: class,
		Created: at(minute),
	}
	for p := range class.Pipelines() {
		in.Ingests = append(in.Ingests, domain.Ingest{Pipeline: p, App: domain.IngestApp, StreamKey: fmt.Sprintf("%s-key-%d", id, p)})
	}
	return in
}

func inputIDs(ins []domain.ManagedInput) []string {
	return ids(ins, func(in domain.ManagedInput) string { return in.ID })
}

// wantConflict checks that err is a *domain.ConflictError whose message names
// every one of names.
func wantConflict(t *testing.T, what string, err error, names ...string) {
	t.Helper()
	var ce *domain.ConflictError
	if !errors.As(err, &ce) {
		t.Errorf("%s: got error %v (%T), want a *domain.ConflictError", what, err, err)
		return
	}
	for _, n := range names {
		if !strings.Contains(ce.Message, n) {
			t.Errorf("%s: message %q does not name %q", what, ce.Message, n)
		}
	}
}

// setWorkflowStatus sets a workflow's status, as the controller would.
func setWorkflowStatus(t *testing.T, s store.Store, org, id string, st domain.Status) {
	t.Helper()
	_, err := s.UpdateChannel(t.Context(), org, id, func(c *domain.Channel) error {
		c.Workflow.Status = st
		return nil
	})
	must(t, err)
}

func testManagedInputs(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListManagedInputs(ctx, "org-a", "")
	must(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("new store lists %#v, want an empty list", list)
	}

	single := newManagedInput("org-a", "mi-single", "local", domain.ClassSinglePipeline, 1)
	std := newManagedInput("org-a", "mi-std", "local", domain.ClassStandard, 3)
	other := newManagedInput("org-a", "mi-eu", "eu-west", domain.ClassSinglePipeline, 2)
	for _, in := range []domain.ManagedInput{single, std, other} {
		must(t, s.CreateManagedInput(ctx, in))
	}

	got, err := s.GetManagedInput(ctx, "org-a", "mi-std")
	must(t, err)
	equal(t, "GetManagedInput", got, std)
	if len(got.Ingests) != 2 || got.Ingests[1].Pipeline != 1 || got.Created.Location().String() != "UTC" {
		t.Errorf("STANDARD input's endpoints and time: %+v", got)
	}

	list, err = s.ListManagedInputs(ctx, "org-a", "")
	must(t, err)
	equal(t, "ListManagedInputs, newest first", inputIDs(list), []string{"mi-std", "mi-eu", "mi-single"})
	equal(t, "ListManagedInputs[2]", list[2], single)
	list, err = s.ListManagedInputs(ctx, "org-a", "local")
	must(t, err)
	equal(t, "ListManagedInputs of region local", inputIDs(list), []string{"mi-std", "mi-single"})
	list, err = s.ListManagedInputs(ctx, "org-a", "eu-west")
	must(t, err)
	equal(t, "ListManagedInputs of region eu-west", inputIDs(list), []string{"mi-eu"})
	list, err = s.ListManagedInputs(ctx, "org-a", "mars")
	must(t, err)
	equal(t, "ListManagedInputs of an unknown region", inputIDs(list), []string{})

	// Same creation time: the id breaks the tie, as in every list.
	tie := newManagedInput("org-a", "mi-tie", "local", domain.ClassSinglePipeline, 3)
	must(t, s.CreateManagedInput(ctx, tie))
	list, err = s.ListManagedInputs(ctx, "org-a", "local")
	must(t, err)
	equal(t, "ListManagedInputs with a tie", inputIDs(list), []string{"mi-tie", "mi-std", "mi-single"})

	dup := newManagedInput("org-a", "mi-std", "local", domain.ClassSinglePipeline, 9)
	wantConflict(t, "CreateManagedInput with a taken id", s.CreateManagedInput(ctx, dup), "mi-std")
	got, err = s.GetManagedInput(ctx, "org-a", "mi-std")
	must(t, err)
	equal(t, "input after a refused create with its id", got, std)

	must(t, s.DeleteManagedInput(ctx, "org-a", "mi-single"))
	_, err = s.GetManagedInput(ctx, "org-a", "mi-single")
	wantNotFound(t, "GetManagedInput after delete", err, "managed input", "mi-single")
	wantNotFound(t, "DeleteManagedInput again", s.DeleteManagedInput(ctx, "org-a", "mi-single"), "managed input", "mi-single")
	_, err = s.ClaimManagedInput(ctx, "org-a", "mi-single", "wf")
	wantNotFound(t, "ClaimManagedInput of a deleted input", err, "managed input", "mi-single")
	list, err = s.ListManagedInputs(ctx, "org-a", "")
	must(t, err)
	equal(t, "ListManagedInputs after delete", inputIDs(list), []string{"mi-tie", "mi-std", "mi-eu"})
}

func testManagedInputsOrgIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newManagedInput("org-a", "mi", "local", domain.ClassSinglePipeline, 1)
	must(t, s.CreateManagedInput(ctx, a))
	create(t, s, newWorkflow("org-b", "wf-b", 0))

	list, err := s.ListManagedInputs(ctx, "org-b", "")
	must(t, err)
	equal(t, "org-b lists org-a's inputs", inputIDs(list), []string{})
	_, err = s.GetManagedInput(ctx, "org-b", "mi")
	wantNotFound(t, "org-b GetManagedInput", err, "managed input", "mi")
	_, err = s.ClaimManagedInput(ctx, "org-b", "mi", "wf-b")
	wantNotFound(t, "org-b ClaimManagedInput", err, "managed input", "mi")
	wantNotFound(t, "org-b DeleteManagedInput", s.DeleteManagedInput(ctx, "org-b", "mi"), "managed input", "mi")

	// org-b releasing its workflow's inputs frees nothing of org-a's.
	create(t, s, newWorkflow("org-a", "wf-a", 0))
	setWorkflowStatus(t, s, "org-a", "wf-a", domain.StatusRunning)
	_, err = s.ClaimManagedInput(ctx, "org-a", "mi", "wf-a")
	must(t, err)
	must(t, s.ReleaseManagedInputs(ctx, "org-b", "wf-a"))
	got, err := s.GetManagedInput(ctx, "org-a", "mi")
	must(t, err)
	equal(t, "org-a's claim after org-b's release", got.InUseBy, "wf-a")

	got.InUseBy = ""
	equal(t, "org-a's input after org-b's calls", got, a)
}

// testManagedInputClaims checks that one run at a time holds an input: a claim
// by an active workflow keeps others out, and one by a workflow no longer active
// is taken over.
func testManagedInputClaims(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newManagedInput("org-a", "mi", "local", domain.ClassStandard, 1)
	must(t, s.CreateManagedInput(ctx, in))
	spare := newManagedInput("org-a", "mi-spare", "local", domain.ClassSinglePipeline, 2)
	must(t, s.CreateManagedInput(ctx, spare))
	create(t, s, newWorkflow("org-a", "wf-a", 0), newWorkflow("org-a", "wf-b", 1), newWorkflow("org-a", "wf-c", 2))

	claimed, err := s.ClaimManagedInput(ctx, "org-a", "mi", "wf-a")
	must(t, err)
	want := in
	want.InUseBy = "wf-a"
	equal(t, "ClaimManagedInput's result", claimed, want)
	got, err := s.GetManagedInput(ctx, "org-a", "mi")
	must(t, err)
	equal(t, "GetManagedInput after the claim", got, want)

	// The same workflow claiming again (a retry) keeps it.
	setWorkflowStatus(t, s, "org-a", "wf-a", domain.StatusRunning)
	_, err = s.ClaimManagedInput(ctx, "org-a", "mi", "wf-a")
	must(t, err)

	for _, st := range domain.Statuses {
		if !st.Active() {
			continue
		}
		setWorkflowStatus(t, s, "org-a", "wf-a", st)
		_, err = s.ClaimManagedInput(ctx, "org-a", "mi", "wf-b")
		wantConflict(t, "claim by wf-b while wf-a is "+string(st), err, "mi", "wf-a")
	}
	got, err = s.GetManagedInput(ctx, "org-a", "mi")
	must(t, err)
	equal(t, "holder after refused claims", got.InUseBy, "wf-a")

	// Another input is not held by wf-a's claim.
	_, err = s.ClaimManagedInput(ctx, "org-a", "mi-spare", "wf-b")
	must(t, err)

	// wf-a's run ended without releasing (a crash in between): wf-b takes over.
	setWorkflowStatus(t, s, "org-a", "wf-a", domain.StatusDone)
	claimed, err = s.ClaimManagedInput(ctx, "org-a", "mi", "wf-b")
	must(t, err)
	equal(t, "holder after the takeover", claimed.InUseBy, "wf-b")
	setWorkflowStatus(t, s, "org-a", "wf-b", domain.StatusProvisioning)
	_, err = s.ClaimManagedInput(ctx, "org-a", "mi", "wf-a")
	wantConflict(t, "claim by the old holder after the takeover", err, "wf-b")

	// Release frees every input of the workflow, and only those.
	must(t, s.ReleaseManagedInputs(ctx, "org-a", "wf-c"))
	got, err = s.GetManagedInput(ctx, "org-a", "mi")
	must(t, err)
	equal(t, "holder after another workflow's release", got.InUseBy, "wf-b")
	must(t, s.ReleaseManagedInputs(ctx, "org-a", "wf-b"))
	for _, id := range []string{"mi", "mi-spare"} {
		got, err = s.GetManagedInput(ctx, "org-a", id)
		must(t, err)
		equal(t, id+"'s holder after the release", got.InUseBy, "")
	}
	list, err := s.ListManagedInputs(ctx, "org-a", "")
	must(t, err)
	equal(t, "listed holders after the release", ids(list, func(in domain.ManagedInput) string { return in.InUseBy }), []string{"", ""})
	must(t, s.ReleaseManagedInputs(ctx, "org-a", "wf-b")) // nothing left to free

	// Free again: wf-c may claim it though wf-b is still active.
	claimed, err = s.ClaimManagedInput(ctx, "org-a", "mi", "wf-c")
	must(t, err)
	equal(t, "holder after a claim of a released input", claimed.InUseBy, "wf-c")

	// A claim left by a workflow deleted since does not count.
	must(t, s.DeleteWorkflow(ctx, "org-a", "wf-c", func(domain.Workflow) error { return nil }))
	setWorkflowStatus(t, s, "org-a", "wf-a", domain.StatusReady)
	claimed, err = s.ClaimManagedInput(ctx, "org-a", "mi", "wf-a")
	must(t, err)
	equal(t, "holder after its workflow was deleted", claimed.InUseBy, "wf-a")
}

// testManagedInputClaimRace: of several workflows claiming one input at once,
// exactly one gets it.
func testManagedInputClaimRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateManagedInput(ctx, newManagedInput("org-a", "mi", "local", domain.ClassSinglePipeline, 1)))
	const n = 6
	for i := range n {
		w := newWorkflow("org-a", wfID("wf", i), i)
		w.Status = domain.StatusProvisioning
		create(t, s, w)
	}
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := s.ClaimManagedInput(ctx, "org-a", "mi", wfID("wf", i))
			errs <- err
		}()
	}
	won := 0
	for range n {
		err := <-errs
		var ce *domain.ConflictError
		switch {
		case err == nil:
			won++
		case errors.As(err, &ce):
		default:
			t.Errorf("concurrent claim: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent claims won, want exactly 1", won, n)
	}
}

func testDeleteManagedInput(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := newManagedInput("org-a", "mi", "local", domain.ClassSinglePipeline, 1)
	must(t, s.CreateManagedInput(ctx, in))
	create(t, s, newWorkflow("org-a", "wf", 0))
	_, err := s.ClaimManagedInput(ctx, "org-a", "mi", "wf")
	must(t, err)

	for _, st := range domain.Statuses {
		if !st.Active() {
			continue
		}
		setWorkflowStatus(t, s, "org-a", "wf", st)
		wantConflict(t, "DeleteManagedInput while its holder is "+string(st), s.DeleteManagedInput(ctx, "org-a", "mi"), "mi", "wf")
	}
	got, err := s.GetManagedInput(ctx, "org-a", "mi")
	must(t, err)
	want := in
	want.InUseBy = "wf"
	equal(t, "input after refused deletes", got, want)

	// The run is over but nobody released the claim: it does not count.
	setWorkflowStatus(t, s, "org-a", "wf", domain.StatusDone)
	must(t, s.DeleteManagedInput(ctx, "org-a", "mi"))
	_, err = s.GetManagedInput(ctx, "org-a", "mi")
	wantNotFound(t, "GetManagedInput after delete", err, "managed input", "mi")

	// A released input is deleted too, and its id may be used again.
	must(t, s.CreateManagedInput(ctx, in))
	_, err = s.ClaimManagedInput(ctx, "org-a", "mi", "wf")
	must(t, err)
	must(t, s.ReleaseManagedInputs(ctx, "org-a", "wf"))
	must(t, s.DeleteManagedInput(ctx, "org-a", "mi"))
}
