package storetest

import (
	"fmt"
	"testing"

	"onair/internal/domain"
	"onair/internal/store"
)

// The filters as the indexes serve them: a tag filter driven by its first
// tag's rows, searches through the trigram index, and the index kept in step
// with every write.

// pageIDs walks every page of f, limit items at a time, and returns the ids.
func pageIDs(t *testing.T, s store.Store, org string, f store.WorkflowFilter) []string {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		if pages == 20 {
			t.Fatalf("pagination of %+v does not end", f)
		}
		page, err := s.ListWorkflows(t.Context(), org, f)
		must(t, err)
		got = append(got, workflowIDs(page.Items)...)
		if page.Next == "" {
			return got
		}
		f.Cursor = page.Next
	}
}

func testListWorkflowsTagPages(t *testing.T, s store.Store) {
	// Ten workflows, several created at the same minute so that the id breaks
	// ties; "x" on all but w-03, "y" on the even ones, DONE on the multiples of 3.
	minutes := []int{0, 1, 1, 1, 2, 3, 3, 4, 5, 5}
	for i, m := range minutes {
		w := newWorkflow("org-a", wfID("w", i), m)
		w.Tags = []string{"x"}
		if i == 3 {
			w.Tags = []string{}
		}
		if i%2 == 0 {
			w.Tags = append(w.Tags, "y")
		}
		if i%3 == 0 {
			w.Status = domain.StatusDone
		}
		create(t, s, w)
	}
	other := newWorkflow("org-b", "other", 9)
	other.Tags = []string{"x", "y"}
	create(t, s, other)

	for _, tc := range []struct {
		name string
		f    store.WorkflowFilter
		want []string
	}{
		{"one tag", store.WorkflowFilter{Tags: []string{"x"}, Limit: 2},
			[]string{"w-09", "w-08", "w-07", "w-06", "w-05", "w-04", "w-02", "w-01", "w-00"}},
		{"two tags", store.WorkflowFilter{Tags: []string{"x", "y"}, Limit: 2}, []string{"w-08", "w-06", "w-04", "w-02", "w-00"}},
		{"two tags, the other way", store.WorkflowFilter{Tags: []string{"y", "x"}, Limit: 3}, []string{"w-08", "w-06", "w-04", "w-02", "w-00"}},
		{"tags and a status", store.WorkflowFilter{Tags: []string{"y", "x"}, Statuses: []domain.Status{domain.StatusDone}, Limit: 1},
			[]string{"w-06", "w-00"}},
		{"tags and any status", store.WorkflowFilter{Tags: []string{"y"}, Statuses: []domain.Status{domain.StatusDone, domain.StatusReady}, Limit: 4},
			[]string{"w-08", "w-06", "w-04", "w-02", "w-00"}},
		{"tags and search", store.WorkflowFilter{Tags: []string{"x", "y"}, Search: "FIXTURE W-0", Limit: 2},
			[]string{"w-08", "w-06", "w-04", "w-02", "w-00"}},
		{"statuses, by pages", store.WorkflowFilter{Statuses: []domain.Status{domain.StatusReady, domain.StatusDone}, Limit: 3},
			[]string{"w-09", "w-08", "w-07", "w-06", "w-05", "w-04", "w-03", "w-02", "w-01", "w-00"}},
		{"a repeated status", store.WorkflowFilter{Statuses: []domain.Status{domain.StatusDone, domain.StatusDone}, Limit: 2},
			[]string{"w-09", "w-06", "w-03", "w-00"}},
		{"a status nobody has", store.WorkflowFilter{Statuses: []domain.Status{domain.StatusRunning}}, nil},
	} {
		equal(t, tc.name, pageIDs(t, s, "org-a", tc.f), tc.want)
	}

	// Retagging a workflow moves it between the tag lists at once.
	_, err := s.UpdateChannel(t.Context(), "org-a", "w-09", func(c *domain.Channel) error {
		c.Workflow.Tags = []string{"y", "x"}
		return nil
	})
	must(t, err)
	equal(t, "two tags after a retag", pageIDs(t, s, "org-a", store.WorkflowFilter{Tags: []string{"x", "y"}}),
		[]string{"w-09", "w-08", "w-06", "w-04", "w-02", "w-00"})
}

func testListWorkflowsSearchIndex(t *testing.T, s store.Store) {
	fixture := []struct{ id, name, description string }{
		{"i1", "xfooy", "inside a word"},
		{"i2", "Quote \"here\"", "double quotes"},
		{"i3", "ab", "two letters"},
		{"i4", "Plain", "AND OR NOT NEAR"},
		{"i5", "Straße", "ﬁne ligature"},
	}
	for i, f := range fixture {
		w := newWorkflow("org-a", f.id, i)
		w.Name, w.Description = f.name, f.description
		create(t, s, w)
	}
	other := newWorkflow("org-b", "other", 9)
	other.Name = "xfooy too"
	create(t, s, other)

	search := func(q string) []string {
		t.Helper()
		return listIDs(t, s, "org-a", store.WorkflowFilter{Search: q})
	}
	for _, tc := range []struct {
		search string
		want   []string
	}{
		{"foo", []string{"i1"}},                 // inside a word
		{"FOO", []string{"i1"}},                 // other case
		{"xFoOy", []string{"i1"}},               // the whole name, mixed case
		{"xfooyy", []string{}},                  // longer than the name
		{"oo", []string{"i1"}},                  // shorter than a trigram
		{"o", []string{"i4", "i3", "i2", "i1"}}, // one letter
		{"a", []string{"i5", "i4", "i3", "i1"}}, // another
		{"ab", []string{"i3"}},                  // a two-letter name
		{"si", []string{"i1"}},                  // two letters inside a word
		{"sid", []string{"i1"}},                 // three
		{"zzz", []string{}},                     // three, no match
		{" a word", []string{"i1"}},             // across spaces
		{"inside a word ", []string{}},          // past the end
		{`"here"`, []string{"i2"}},              // quotes are characters, not query syntax
		{`e "h`, []string{"i2"}},                // ... even unbalanced
		{`"`, []string{"i2"}},                   // ... even alone
		{`""`, []string{}},                      // two, which no text has together
		{"and or", []string{"i4"}},              // FTS5 operators are characters too
		{"not near", []string{"i4"}},            // ... NEAR as well
		{"or not*", []string{}},                 // ... and * is no prefix query
		{"straße", []string{"i5"}},              // non-ASCII
		{"ß", []string{"i5"}},                   // ... one character
		{"strasse", []string{}},                 // ß is not folded to ss
		{"ne lig", []string{"i5"}},              // after a ligature
		{"fine", []string{}},                    // a ligature is one character, not two
		{"xfooy inside", []string{}},            // name and description are apart
		{"double quotes two", []string{}},       // so are two workflows
		{"xfooy too", []string{}},               // another organization's
		{"\x00", []string{}},                    // NUL is in no text
		{"fo\x00o", []string{}},                 // ... wherever it is
		{"word\x00", []string{}},                // ... even after a text's end
	} {
		equal(t, "search "+tc.search, search(tc.search), tc.want)
	}

	// Renaming and deleting update the index in the same transaction.
	_, err := s.UpdateChannel(t.Context(), "org-a", "i1", func(c *domain.Channel) error {
		c.Workflow.Name = "Renamed barbaz"
		return nil
	})
	must(t, err)
	equal(t, "old name after a rename", search("foo"), []string{})
	equal(t, "new name after a rename", search("barbaz"), []string{"i1"})
	equal(t, "description after a rename", search("inside a"), []string{"i1"})
	must(t, s.DeleteWorkflow(t.Context(), "org-a", "i1", nil))
	equal(t, "name after a delete", search("barbaz"), []string{})
	again := newWorkflow("org-a", "i1", 9)
	again.Name = "Back again"
	create(t, s, again)
	equal(t, "a new workflow under a deleted one's id", search("barbaz"), []string{})
	equal(t, "its own name", search("back ag"), []string{"i1"})
}

func testListChannels(t *testing.T, s store.Store) {
	ctx := t.Context()
	w1 := newWorkflow("org-a", "wf-1", 0)
	w1.Tags = []string{"news"}
	w2 := newWorkflow("org-a", "wf-2", 0)
	w2.Blueprint.Settings.Channel.Class = domain.ClassSinglePipeline
	create(t, s, w1, w2, newWorkflow("org-b", "wf-b", 0))
	for i, ref := range []struct{ org, wf, run string }{
		{"org-a", "wf-1", "r1"}, {"org-a", "wf-2", "r2"}, {"org-a", "wf-1", "r3"}, {"org-b", "wf-b", "rb"},
	} {
		_, err := s.UpdateChannel(ctx, ref.org, ref.wf, func(c *domain.Channel) error {
			if c.Workflow.Status != domain.StatusReady {
				c.Workflow.Status = domain.StatusDone
			}
			return c.RequestStart(ref.run, false, at(i+1))
		})
		must(t, err)
	}

	for _, f := range []store.RunFilter{{}, {Limit: 1}, {Limit: 2}, {WorkflowID: "wf-1"}, {WorkflowID: "wf-b"}} {
		var got, want []string
		for cur, pages := "", 0; ; pages++ {
			if pages == 10 {
				t.Fatalf("ListChannels(%+v) does not end", f)
			}
			f.Cursor = cur
			page, err := s.ListChannels(ctx, "org-a", f)
			must(t, err)
			runs, err := s.ListRuns(ctx, "org-a", f)
			must(t, err)
			equal(t, "ListChannels' next page", page.Next, runs.Next)
			for i, item := range page.Items {
				got = append(got, item.Run.ID)
				equal(t, "ListChannels run "+item.Run.ID, item.Run, runs.Items[i])
				w, err := s.GetWorkflow(ctx, "org-a", item.Run.WorkflowID)
				must(t, err)
				equal(t, "ListChannels workflow of "+item.Run.ID, item.Workflow, w.ChannelWorkflow())
			}
			want = append(want, runIDs(runs.Items)...)
			if page.Next == "" {
				break
			}
			cur = page.Next
		}
		equal(t, "ListChannels runs", got, want)
	}
	page, err := s.ListChannels(ctx, "org-a", store.RunFilter{})
	must(t, err)
	if len(page.Items) != 3 || page.Items[0].Workflow.Class != domain.ClassStandard || page.Items[1].Workflow.Class != domain.ClassSinglePipeline {
		t.Errorf("ListChannels: %+v", page.Items)
	}
	_, err = s.ListChannels(ctx, "org-a", store.RunFilter{Cursor: "not a cursor!"})
	wantValidation(t, "ListChannels bad cursor", err, "next")
}

// testListWorkflowsSearchMany pages through searches that match more
// workflows than a SQLite search reads before it chooses how to read them.
func testListWorkflowsSearchMany(t *testing.T, s store.Store) {
	const n = 300
	var all, rare, tagged []string
	for i := n - 1; i >= 0; i-- {
		id := fmt.Sprintf("m-%03d", i)
		all = append(all, id)
		if i%100 == 7 {
			rare = append(rare, id)
		}
		if i%2 == 0 {
			tagged = append(tagged, id)
		}
	}
	for i := range n {
		w := newWorkflow("org-a", all[n-1-i], i)
		w.Name = "Common name"
		if i%100 == 7 {
			w.Name = "Common rare name"
		}
		if i%2 == 0 {
			w.Tags = []string{"even"}
		}
		create(t, s, w)
	}
	equal(t, "a search that matches all, by pages", pageIDs(t, s, "org-a", store.WorkflowFilter{Search: "common", Limit: 70}), all)
	equal(t, "... with a tag", pageIDs(t, s, "org-a", store.WorkflowFilter{Search: "common", Tags: []string{"even"}, Limit: 70}), tagged)
	equal(t, "a search that matches a few", pageIDs(t, s, "org-a", store.WorkflowFilter{Search: "rare", Limit: 2}), rare)
	equal(t, "... with a tag", pageIDs(t, s, "org-a", store.WorkflowFilter{Search: "rare", Tags: []string{"even"}}), []string(nil))
	equal(t, "... with statuses", pageIDs(t, s, "org-a", store.WorkflowFilter{Search: "RARE",
		Statuses: []domain.Status{domain.StatusReady, domain.StatusDone}, Limit: 1}), rare)
}
