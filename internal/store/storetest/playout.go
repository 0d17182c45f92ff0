package storetest

import (
	"testing"

	"onair/internal/domain"
	"onair/internal/store"
)

func newPlayoutProfile(org, id string, minute int) domain.PlayoutProfile {
	cfg := `{"manifestFile":"clear_{0}.isml"}`
	c, _ := domain.ParsePlayoutConfig(cfg)
	return domain.PlayoutProfile{ID: id, OrgID: org, Name: "Profile " + id, ConfigurationJSON: cfg, Config: c, Created: at(minute), Updated: at(minute)}
}

// testPlayout: profiles by organization; a workflow's profiles, written with
// it, find the profile's events; a deleted profile leaves its workflows;
// manifests keyed by path, one per workflow and profile.
func testPlayout(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListPlayoutProfiles(ctx, "org-a")
	must(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("a new store lists %#v", list)
	}
	p1, p2 := newPlayoutProfile("org-a", "p1", 1), newPlayoutProfile("org-a", "p2", 2)
	must(t, s.CreatePlayoutProfile(ctx, p1))
	must(t, s.CreatePlayoutProfile(ctx, p2))
	must(t, s.CreatePlayoutProfile(ctx, newPlayoutProfile("org-b", "p3", 3)))
	wantConflict(t, "CreatePlayoutProfile with a taken id", s.CreatePlayoutProfile(ctx, p1), "p1")
	got, err := s.GetPlayoutProfile(ctx, "org-a", "p1")
	must(t, err)
	equal(t, "GetPlayoutProfile", got, p1)
	_, err = s.GetPlayoutProfile(ctx, "org-b", "p1")
	wantNotFound(t, "another organization's profile", err, "playout profile", "p1")
	list, err = s.ListPlayoutProfiles(ctx, "org-a")
	must(t, err)
	if len(list) != 2 || list[0].ID != "p1" || list[1].ID != "p2" {
		t.Errorf("ListPlayoutProfiles = %+v", list)
	}
	updated, err := s.UpdatePlayoutProfile(ctx, "org-a", "p2", func(p *domain.PlayoutProfile) error {
		p.Name, p.ConfigurationJSON, p.Updated, p.ID = "Renamed", `{"manifestFile":"x.isml"}`, at(9), "changed"
		return nil
	})
	must(t, err)
	if updated.ID != "p2" || updated.Name != "Renamed" {
		t.Errorf("UpdatePlayoutProfile = %+v", updated)
	}
	if got, _ := s.GetPlayoutProfile(ctx, "org-a", "p2"); got.ConfigurationJSON != `{"manifestFile":"x.isml"}` || !got.Updated.Equal(at(9)) {
		t.Errorf("after the update: %+v", got)
	}

	w1, w2 := newWorkflow("org-a", "w1", 1), newWorkflow("org-a", "w2", 2)
	w1.PlayoutProfileIDs = []string{"p2", "p1"}
	w2.PlayoutProfileIDs = []string{"p1"}
	create(t, s, w1, w2)
	stored, err := s.GetWorkflow(ctx, "org-a", "w1")
	must(t, err)
	equal(t, "a workflow's profiles, in its order", stored.PlayoutProfileIDs, []string{"p2", "p1"})
	events, err := s.PlayoutEvents(ctx, "org-a", "p1")
	must(t, err)
	equal(t, "PlayoutEvents(p1)", events, []string{"w1", "w2"})
	refs, err := s.PlayoutChannels(ctx)
	must(t, err)
	equal(t, "PlayoutChannels", refs, []store.ChannelRef{{OrgID: "org-a", WorkflowID: "w1"}, {OrgID: "org-a", WorkflowID: "w2"}})
	set := &domain.EventStateSet{State: domain.EventLiveUnpublished, Over: domain.EventLivePublished, RunID: "r", At: at(5)}
	_, err = s.UpdateChannel(ctx, "org-a", "w2", func(ch *domain.Channel) error {
		ch.Workflow.PlayoutProfileIDs = []string{"p2"}
		ch.Workflow.EventState = set
		return nil
	})
	must(t, err)
	events, _ = s.PlayoutEvents(ctx, "org-a", "p1")
	equal(t, "PlayoutEvents(p1) after w2 let it go", events, []string{"w1"})
	stored, _ = s.GetWorkflow(ctx, "org-a", "w2")
	equal(t, "the event state set by hand", stored.EventState, set)

	m := domain.PlayoutManifest{Path: "/playout/w1/clear_w1.isml", OrgID: "org-a", WorkflowID: "w1", ProfileID: "p1",
		ConfigurationJSON: p1.ConfigurationJSON, Created: at(3), Updated: at(3)}
	must(t, s.PutPlayoutManifest(ctx, m))
	taken := m
	taken.WorkflowID, taken.ProfileID = "w2", "p2"
	wantConflict(t, "PutPlayoutManifest on another's path", s.PutPlayoutManifest(ctx, taken), m.Path)
	moved := m
	moved.Path, moved.Updated = "/playout/w1/other.isml", at(4)
	must(t, s.PutPlayoutManifest(ctx, moved))
	if _, found, _ := s.PlayoutManifest(ctx, m.Path); found {
		t.Error("a moved manifest is still at its old path")
	}
	got2, found, err := s.PlayoutManifest(ctx, moved.Path)
	must(t, err)
	if !found {
		t.Fatal("the moved manifest is not at its new path")
	}
	equal(t, "PlayoutManifest", got2, moved)
	manifests, err := s.PlayoutManifests(ctx, "org-a", "w1")
	must(t, err)
	equal(t, "PlayoutManifests", manifests, []domain.PlayoutManifest{moved})

	deleted, err := s.DeletePlayoutProfile(ctx, "org-a", "p1")
	must(t, err)
	if deleted.ID != "p1" {
		t.Errorf("DeletePlayoutProfile = %+v", deleted)
	}
	stored, _ = s.GetWorkflow(ctx, "org-a", "w1")
	equal(t, "a workflow after its profile was deleted", stored.PlayoutProfileIDs, []string{"p2"})
	_, err = s.DeletePlayoutProfile(ctx, "org-a", "p1")
	wantNotFound(t, "deleting it again", err, "playout profile", "p1")
	// Its manifest stays for the sync controller to remove.
	refs, _ = s.PlayoutChannels(ctx)
	if len(refs) != 2 {
		t.Errorf("PlayoutChannels after the delete = %+v", refs)
	}
	must(t, s.DeletePlayoutManifest(ctx, "w1", "p1"))
	if manifests, _ := s.PlayoutManifests(ctx, "org-a", "w1"); len(manifests) != 0 {
		t.Errorf("after DeletePlayoutManifest: %+v", manifests)
	}
}
