package storetest

import (
	"encoding/json"
	"errors"
	"testing"

	"onair/internal/domain"
	"onair/internal/store"
)

// newProvision is a provision of org for scope/name whose variants are
// published apart under the names given.
func newProvision(org, scope, name string, minute int, variants ...string) domain.Provision {
	qos := 3
	p := domain.Provision{
		OrgID: org, Scope: scope, Name: name, Created: at(minute), Updated: at(minute), Workflows: map[string]string{},
		Meta: domain.ProvisionMeta{
			Authentication: &domain.ProvisionAuth{Username: "acme", Password: "acme!newpass"},
			Georules:       &domain.Georules{Regions: []string{"US"}, Restricted: false, RestrictedText: true},
			Qos:            &qos,
			// Root properties onair does not know, kept as they came.
			Extra: map[string]json.RawMessage{"custom": json.RawMessage(`{"b":1,"a":[1,2]}`), "note": json.RawMessage(`"x"`), "none": json.RawMessage(`null`)},
		},
	}
	for i, v := range variants {
		p.Meta.Stream = append(p.Meta.Stream, domain.ProvisionVariant{Name: v, Level: i + 1})
	}
	return p
}

var errBoom = errors.New("boom")

func testProvisions(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListProvisions(ctx, "org-a")
	must(t, err)
	if list == nil || len(list) != 0 {
		t.Fatalf("new store lists %#v, want an empty list", list)
	}
	first := newProvision("org-a", "live", "stream1", 1, "stream1_1", "stream1_2")
	first.Meta.Stream[0].Properties = domain.VariantProperties{VideoWidth: 800, VideoHeight: 600, VideoBR: 750000, VideoFPS: 30}
	must(t, s.CreateProvision(ctx, first))
	got, err := s.GetProvision(ctx, "org-a", "live", "stream1")
	must(t, err)
	equal(t, "GetProvision of a new provision", got, first)

	// Every name a provision answers for is its own, across organizations.
	wantConflict(t, "CreateProvision with a taken path", s.CreateProvision(ctx, newProvision("org-b", "live", "stream1", 2)), "live/stream1")
	wantConflict(t, "CreateProvision of a stream named like a variant", s.CreateProvision(ctx, newProvision("org-b", "live", "stream1_2", 2)), "live/stream1_2")
	wantConflict(t, "CreateProvision with a variant named like a stream", s.CreateProvision(ctx, newProvision("org-b", "live", "other", 2, "stream1")), "live/stream1")
	must(t, s.CreateProvision(ctx, newProvision("org-b", "sports", "stream1", 2)))
	if _, err := s.GetProvision(ctx, "org-b", "live", "other"); err == nil {
		t.Error("a refused create left its provision behind")
	}

	for _, name := range []string{"stream1", "stream1_1", "stream1_2"} {
		found, ok, err := s.ProvisionByName(ctx, "live", name)
		must(t, err)
		if !ok || found.Name != "stream1" || found.OrgID != "org-a" {
			t.Errorf("ProvisionByName(live, %s) = %v %+v, want live/stream1 of org-a", name, ok, found)
		}
	}
	if _, ok, err := s.ProvisionByName(ctx, "live", "stream1_3"); ok || err != nil {
		t.Errorf("ProvisionByName of an unknown name: %v, %v", ok, err)
	}

	// An update rewrites meta and workflows, and moves the names it claims.
	updated, err := s.UpdateProvision(ctx, "org-a", "live", "stream1", func(p *domain.Provision) error {
		p.Meta.Stream = p.Meta.Stream[:1]
		p.Meta.Stream[0].Name = "stream1_3"
		p.Workflows["stream1"] = "wf-1"
		p.Updated = at(5)
		p.OrgID, p.Name = "org-x", "hijack" // ignored
		return nil
	})
	must(t, err)
	if updated.Name != "stream1" || updated.OrgID != "org-a" || updated.Workflows["stream1"] != "wf-1" || !updated.Updated.Equal(at(5)) ||
		len(updated.Meta.Stream) != 1 || updated.Meta.Stream[0].Name != "stream1_3" {
		t.Errorf("updated provision: %+v", updated)
	}
	if _, ok, _ := s.ProvisionByName(ctx, "live", "stream1_1"); ok {
		t.Error("a variant an update removed still names the provision")
	}
	if p, ok, _ := s.ProvisionByName(ctx, "live", "stream1_3"); !ok || p.Name != "stream1" {
		t.Error("a variant an update added does not name the provision")
	}
	_, err = s.UpdateProvision(ctx, "org-b", "sports", "stream1", func(p *domain.Provision) error {
		p.Meta.Stream = []domain.ProvisionVariant{{Name: "stream1", Level: 1}}
		return nil
	})
	if err != nil {
		t.Errorf("a variant named like a stream of another scope: %v", err)
	}
	for _, c := range []struct {
		id    string
		found bool
	}{{"wf-1", true}, {"wf-", false}, {"wf-12", false}, {"stream1", false}} {
		p, found, err := s.ProvisionOfWorkflow(ctx, c.id)
		if err != nil || found != c.found || (found && p.Path() != "live/stream1") {
			t.Errorf("ProvisionOfWorkflow(%q) = %v %v %v, want found %v", c.id, p.Path(), found, err, c.found)
		}
	}
	_, err = s.UpdateProvision(ctx, "org-a", "live", "stream1", func(p *domain.Provision) error { return errBoom })
	if err != errBoom {
		t.Errorf("fn's error: %v", err)
	}
	_, err = s.UpdateProvision(ctx, "org-b", "live", "stream1", func(p *domain.Provision) error { return nil })
	wantNotFound(t, "UpdateProvision of another organization's", err, "provision", "live/stream1")

	// A publish name's workflow is made once, with the provision's link to it.
	wf := domain.Workflow{ID: "wf-made", OrgID: "org-a", Name: "live/stream1", Status: domain.StatusReady, Created: at(6), Updated: at(6),
		Blueprint: sampleBlueprint("provision")}
	id, err := s.ProvisionWorkflow(ctx, "org-a", "live", "stream1", "stream1_3", wf)
	must(t, err)
	again := wf
	again.ID = "wf-again"
	id2, err := s.ProvisionWorkflow(ctx, "org-a", "live", "stream1", "stream1_3", again)
	must(t, err)
	if id != "wf-made" || id2 != "wf-made" {
		t.Errorf("ProvisionWorkflow made %q then %q, want wf-made twice", id, id2)
	}
	if _, err := s.GetWorkflow(ctx, "org-a", "wf-again"); err == nil {
		t.Error("a second ProvisionWorkflow made a workflow")
	}
	if p, _ := s.GetProvision(ctx, "org-a", "live", "stream1"); p.Workflows["stream1_3"] != "wf-made" || p.Workflows["stream1"] != "wf-1" {
		t.Errorf("the provision's workflows: %v", p.Workflows)
	}
	gone := wf
	gone.ID = "wf-gone"
	_, err = s.ProvisionWorkflow(ctx, "org-a", "live", "nothing", "nothing", gone)
	wantNotFound(t, "ProvisionWorkflow of no provision", err, "provision", "live/nothing")
	if _, err := s.GetWorkflow(ctx, "org-a", "wf-gone"); err == nil {
		t.Error("ProvisionWorkflow of no provision made a workflow")
	}

	list, err = s.ListProvisions(ctx, "org-b")
	must(t, err)
	if len(list) != 1 || list[0].Scope != "sports" {
		t.Errorf("org-b lists %+v", list)
	}

	_, err = s.DeleteProvision(ctx, "org-b", "live", "stream1")
	wantNotFound(t, "DeleteProvision of another organization's", err, "provision", "live/stream1")
	before, err := s.GetProvision(ctx, "org-a", "live", "stream1")
	must(t, err)
	deleted, err := s.DeleteProvision(ctx, "org-a", "live", "stream1")
	must(t, err)
	equal(t, "DeleteProvision's answer", deleted, before)
	if _, ok, _ := s.ProvisionByName(ctx, "live", "stream1_3"); ok {
		t.Error("a deleted provision's variant still names it")
	}
	// Its names are free again.
	must(t, s.CreateProvision(ctx, newProvision("org-b", "live", "stream1_3", 6)))
}
