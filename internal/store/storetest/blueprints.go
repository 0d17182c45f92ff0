package storetest

import (
	"errors"
	"strings"
	"testing"

	"onair/internal/domain"
	"onair/internal/store"
)

func testBlueprints(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListBlueprints(ctx, "org-a")
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("new store lists %d blueprints", len(list))
	}

	b := sampleBlueprint("news-720")
	b.BuiltIn = true // never stored: a stored blueprint is the organization's own
	must(t, s.CreateBlueprint(ctx, "org-a", b))
	must(t, s.CreateBlueprint(ctx, "org-a", domain.Blueprint{ID: "audio-only", Name: "Audio"}))

	want := b
	want.BuiltIn = false
	got, err := s.GetBlueprint(ctx, "org-a", "news-720")
	must(t, err)
	equal(t, "GetBlueprint", got, want)

	list, err = s.ListBlueprints(ctx, "org-a")
	must(t, err)
	equal(t, "ListBlueprints ids, by id", ids(list, func(b domain.Blueprint) string { return b.ID }),
		[]string{"audio-only", "news-720"})
	equal(t, "ListBlueprints[1]", list[1], want)

	err = s.CreateBlueprint(ctx, "org-a", sampleBlueprint("news-720"))
	var conflict *domain.ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("CreateBlueprint with a taken id: got %v (%T), want a *domain.ConflictError", err, err)
	}
	if !strings.Contains(conflict.Message, "news-720") {
		t.Errorf("conflict message %q does not name the id", conflict.Message)
	}

	changed := want
	changed.Name = "News 720p"
	changed.Featured = false
	changed.Tags = []string{"news"}
	changed.Settings.Channel.Class = domain.ClassSinglePipeline
	changed.Settings.Destinations = nil
	changed.Settings.OutputGroups = changed.Settings.OutputGroups[:2]
	must(t, s.UpdateBlueprint(ctx, "org-a", changed))
	got, err = s.GetBlueprint(ctx, "org-a", "news-720")
	must(t, err)
	equal(t, "GetBlueprint after UpdateBlueprint", got, changed)

	must(t, s.DeleteBlueprint(ctx, "org-a", "news-720"))
	_, err = s.GetBlueprint(ctx, "org-a", "news-720")
	wantNotFound(t, "GetBlueprint after delete", err, "blueprint", "news-720")
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("errors.Is(%v, domain.ErrNotFound) is false", err)
	}
	wantNotFound(t, "UpdateBlueprint missing", s.UpdateBlueprint(ctx, "org-a", changed), "blueprint", "news-720")
	wantNotFound(t, "DeleteBlueprint missing", s.DeleteBlueprint(ctx, "org-a", "news-720"), "blueprint", "news-720")

	// A deleted id may be used again.
	must(t, s.CreateBlueprint(ctx, "org-a", want))
}

func testBlueprintsOrgIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := sampleBlueprint("shared-id")
	must(t, s.CreateBlueprint(ctx, "org-a", a))

	list, err := s.ListBlueprints(ctx, "org-b")
	must(t, err)
	if len(list) != 0 {
		t.Errorf("org-b lists org-a's blueprints: %+v", list)
	}
	_, err = s.GetBlueprint(ctx, "org-b", "shared-id")
	wantNotFound(t, "org-b GetBlueprint", err, "blueprint", "shared-id")
	changed := a
	changed.Name = "taken over"
	wantNotFound(t, "org-b UpdateBlueprint", s.UpdateBlueprint(ctx, "org-b", changed), "blueprint", "shared-id")
	wantNotFound(t, "org-b DeleteBlueprint", s.DeleteBlueprint(ctx, "org-b", "shared-id"), "blueprint", "shared-id")

	// Ids are per organization: org-b may use the same one.
	b := sampleBlueprint("shared-id")
	b.Name = "org-b's own"
	must(t, s.CreateBlueprint(ctx, "org-b", b))
	got, err := s.GetBlueprint(ctx, "org-a", "shared-id")
	must(t, err)
	equal(t, "org-a's blueprint after org-b's changes", got, a)
	got, err = s.GetBlueprint(ctx, "org-b", "shared-id")
	must(t, err)
	equal(t, "org-b's blueprint", got.Name, "org-b's own")
}
