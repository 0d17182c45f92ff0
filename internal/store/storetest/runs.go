package storetest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/store"
)

func testListRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, newWorkflow("org-a", "wf-1", 0), newWorkflow("org-a", "wf-2", 0), newWorkflow("org-b", "wf-b", 0))
	// Each workflow's runs follow one another: start, stop, start again.
	start := func(org, wf, run string, minute int) {
		t.Helper()
		_, err := s.UpdateChannel(ctx, org, wf, func(c *domain.Channel) error {
			if c.Workflow.Status != domain.StatusReady {
				c.Workflow.Status = domain.StatusDone
			}
			return c.RequestStart(run, false, at(minute))
		})
		must(t, err)
	}
	start("org-a", "wf-1", "r1", 1)
	start("org-a", "wf-2", "r2", 2)
	start("org-a", "wf-1", "r3", 3)
	start("org-a", "wf-2", "r4", 4)
	start("org-a", "wf-1", "r5", 5)
	start("org-b", "wf-b", "rb", 6)

	pages := func(f store.RunFilter) []string {
		t.Helper()
		var got []string
		for i := 0; ; i++ {
			if i == 10 {
				t.Fatal("pagination does not end")
			}
			page, err := s.ListRuns(ctx, "org-a", f)
			must(t, err)
			got = append(got, runIDs(page.Items)...)
			if page.Next == "" {
				return got
			}
			f.Cursor = page.Next
		}
	}
	equal(t, "all runs, newest first", pages(store.RunFilter{}), []string{"r5", "r4", "r3", "r2", "r1"})
	equal(t, "all runs, two a page", pages(store.RunFilter{Limit: 2}), []string{"r5", "r4", "r3", "r2", "r1"})
	equal(t, "wf-1's runs, one a page", pages(store.RunFilter{WorkflowID: "wf-1", Limit: 1}), []string{"r5", "r3", "r1"})
	equal(t, "wf-2's runs", pages(store.RunFilter{WorkflowID: "wf-2"}), []string{"r4", "r2"})
	equal(t, "an unknown workflow's runs", pages(store.RunFilter{WorkflowID: "nope"}), []string(nil))
	equal(t, "another organization's workflow's runs", pages(store.RunFilter{WorkflowID: "wf-b"}), []string(nil))

	page, err := s.ListRuns(ctx, "org-a", store.RunFilter{WorkflowID: "wf-1", Limit: 1})
	must(t, err)
	r := page.Items[0]
	if r.OrgID != "org-a" || r.WorkflowID != "wf-1" || !r.Created.Equal(at(5)) || r.Created.Location() != time.UTC {
		t.Errorf("run r5: %+v", r)
	}
}

func testActiveChannelsAndCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	refs, err := s.ActiveChannels(ctx)
	must(t, err)
	if len(refs) != 0 {
		t.Errorf("a new store has active channels: %+v", refs)
	}

	// One workflow in each status in org-a, and one RUNNING in org-b.
	var want []store.ChannelRef
	for i, st := range domain.Statuses {
		w := newWorkflow("org-a", "wf-"+string(st), i)
		w.Status = st
		create(t, s, w)
		if st.Active() {
			want = append(want, store.ChannelRef{OrgID: "org-a", WorkflowID: w.ID})
		}
	}
	b := newWorkflow("org-b", "wf-b", 20)
	b.Status = domain.StatusRunning
	create(t, s, b)
	want = append(want, store.ChannelRef{OrgID: "org-b", WorkflowID: "wf-b"})

	refs, err = s.ActiveChannels(ctx)
	must(t, err)
	sortRefs(refs)
	sortRefs(want)
	equal(t, "ActiveChannels", refs, want)
	if len(want) != 6 {
		t.Errorf("the fixture has %d active workflows, want PROVISIONING, STARTING, RUNNING, STOPPING, DELETING and org-b's", len(want))
	}

	counts, err := s.CountWorkflows(ctx)
	must(t, err)
	wantCounts := map[domain.Status]int{}
	for _, st := range domain.Statuses {
		wantCounts[st] = 1
	}
	wantCounts[domain.StatusRunning] = 2
	equal(t, "CountWorkflows", counts, wantCounts)
}

func sortRefs(refs []store.ChannelRef) {
	slices.SortFunc(refs, func(a, b store.ChannelRef) int {
		return cmp.Or(cmp.Compare(a.OrgID, b.OrgID), cmp.Compare(a.WorkflowID, b.WorkflowID))
	})
}
