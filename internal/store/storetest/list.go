package storetest

import (
	"testing"

	"onair/internal/domain"
	"onair/internal/store"
)

// listIDs lists the ids of the workflows that f selects, from one page.
func listIDs(t *testing.T, s store.Store, org string, f store.WorkflowFilter) []string {
	t.Helper()
	page, err := s.ListWorkflows(t.Context(), org, f)
	if err != nil {
		t.Fatalf("ListWorkflows(%+v): %v", f, err)
	}
	if page.Next != "" {
		t.Fatalf("ListWorkflows(%+v) has more than one page", f)
	}
	return workflowIDs(page.Items)
}

func testListWorkflowsTagsAndStatuses(t *testing.T, s store.Store) {
	fixture := []struct {
		id     string
		tags   []string
		status domain.Status
	}{
		{"w1", []string{"news", "sport"}, domain.StatusReady},
		{"w2", []string{"news"}, domain.StatusRunning},
		{"w3", []string{"sport", "live"}, domain.StatusDone},
		{"w4", []string{}, domain.StatusRunning},
		{"w5", []string{"live", "news", "sport"}, domain.StatusStartFailed},
	}
	for i, f := range fixture {
		w := newWorkflow("org-a", f.id, i)
		w.Tags, w.Status = f.tags, f.status
		create(t, s, w)
	}
	other := newWorkflow("org-b", "other", 9)
	other.Tags = []string{"news", "sport"}
	create(t, s, other)

	for _, tc := range []struct {
		name string
		f    store.WorkflowFilter
		want []string
	}{
		{"none", store.WorkflowFilter{}, []string{"w5", "w4", "w3", "w2", "w1"}},
		{"one tag", store.WorkflowFilter{Tags: []string{"news"}}, []string{"w5", "w2", "w1"}},
		{"all tags", store.WorkflowFilter{Tags: []string{"news", "sport"}}, []string{"w5", "w1"}},
		{"three tags", store.WorkflowFilter{Tags: []string{"sport", "news", "live"}}, []string{"w5"}},
		{"repeated tag", store.WorkflowFilter{Tags: []string{"news", "news"}}, []string{"w5", "w2", "w1"}},
		{"unknown tag", store.WorkflowFilter{Tags: []string{"news", "weather"}}, []string{}},
		{"tags are exact", store.WorkflowFilter{Tags: []string{"NEWS"}}, []string{}},
		{"one status", store.WorkflowFilter{Statuses: []domain.Status{domain.StatusRunning}}, []string{"w4", "w2"}},
		{"any status", store.WorkflowFilter{Statuses: []domain.Status{domain.StatusReady, domain.StatusDone}}, []string{"w3", "w1"}},
		{"tags and status", store.WorkflowFilter{Tags: []string{"news"}, Statuses: []domain.Status{domain.StatusRunning, domain.StatusStartFailed}}, []string{"w5", "w2"}},
		{"tags, status and search", store.WorkflowFilter{Tags: []string{"sport"}, Statuses: []domain.Status{domain.StatusReady, domain.StatusDone}, Search: "W3"}, []string{"w3"}},
	} {
		equal(t, tc.name, listIDs(t, s, "org-a", tc.f), tc.want)
	}
}

func testListWorkflowsSearch(t *testing.T, s store.Store) {
	fixture := []struct{ id, name, description string }{
		{"s1", "Morning Show", "Weekday mornings"},
		{"s2", "Cooking live", "Chef's TABLE, every Sunday"},
		{"s3", "100% live", "full rate"},
		{"s4", "100 live", "no percent"},
		{"s5", "a_b test", "underscore"},
		{"s6", "axb test", "no underscore"},
		{"s7", "Ésta Noche", "Über alles, Ελληνικά"},
		{"s8", "Backslash", `C:\streams\main`},
		{"s9", "Backslash too", `C:streams`},
	}
	for i, f := range fixture {
		w := newWorkflow("org-a", f.id, i)
		w.Name, w.Description = f.name, f.description
		create(t, s, w)
	}
	for _, tc := range []struct {
		search string
		want   []string
	}{
		{"morning", []string{"s1"}},          // name, other case
		{"TABLE, every", []string{"s2"}},     // description, with punctuation
		{"chef's table", []string{"s2"}},     // description, other case
		{"live", []string{"s4", "s3", "s2"}}, // a substring of names
		{"100%", []string{"s3"}},             // % is a character, not a wildcard
		{"%", []string{"s3"}},                // ... even alone
		{"a_b", []string{"s5"}},              // _ is a character, not a wildcard
		{"_", []string{"s5"}},                // ... even alone
		{`\streams`, []string{"s8"}},         // \ is a character, not an escape
		{"éSTA", []string{"s7"}},             // non-ASCII, other case
		{"über", []string{"s7"}},             // non-ASCII in the description
		{"ελληνικά", []string{"s7"}},         // Greek, other case
		{"nothing like this", []string{}},    // no match
		{"show weekday", []string{}},         // name and description are searched separately
		{"rate", []string{"s3"}},             // a word inside the description only
	} {
		equal(t, "search "+tc.search, listIDs(t, s, "org-a", store.WorkflowFilter{Search: tc.search}), tc.want)
	}
}

func testListWorkflowsPages(t *testing.T, s store.Store) {
	// Seven workflows; three share one creation time, so that the id breaks ties.
	minutes := []int{0, 1, 2, 2, 2, 3, 4}
	for i, m := range minutes {
		create(t, s, newWorkflow("org-a", wfID("p", i), m))
	}
	create(t, s, newWorkflow("org-b", "other", 5))
	want := []string{"p-06", "p-05", "p-04", "p-03", "p-02", "p-01", "p-00"}

	var got []string
	var sizes []int
	f := store.WorkflowFilter{Limit: 3}
	for pages := 0; ; pages++ {
		if pages == 10 {
			t.Fatal("pagination does not end")
		}
		page, err := s.ListWorkflows(t.Context(), "org-a", f)
		must(t, err)
		got = append(got, workflowIDs(page.Items)...)
		sizes = append(sizes, len(page.Items))
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	equal(t, "pages, newest first", got, want)
	equal(t, "page sizes", sizes, []int{3, 3, 1})

	// When the last page is full, it still has no Next.
	page, err := s.ListWorkflows(t.Context(), "org-a", store.WorkflowFilter{Limit: 7})
	must(t, err)
	equal(t, "one full page", workflowIDs(page.Items), want)
	equal(t, "one full page's Next", page.Next, "")

	// A cursor works with the filters it came with.
	f = store.WorkflowFilter{Limit: 2, Search: "p-0"}
	page, err = s.ListWorkflows(t.Context(), "org-a", f)
	must(t, err)
	f.Cursor = page.Next
	page, err = s.ListWorkflows(t.Context(), "org-a", f)
	must(t, err)
	equal(t, "second filtered page", workflowIDs(page.Items), []string{"p-04", "p-03"})
}

func testListWorkflowsLimits(t *testing.T, s store.Store) {
	for i := 0; i < store.DefaultLimit+1; i++ {
		create(t, s, newWorkflow("org-a", wfID("l", i), i))
	}
	page, err := s.ListWorkflows(t.Context(), "org-a", store.WorkflowFilter{})
	must(t, err)
	if len(page.Items) != store.DefaultLimit || page.Next == "" {
		t.Errorf("no limit: got %d items and Next %q, want %d and a cursor", len(page.Items), page.Next, store.DefaultLimit)
	}
	page, err = s.ListWorkflows(t.Context(), "org-a", store.WorkflowFilter{Limit: store.MaxLimit + 1})
	must(t, err)
	if len(page.Items) != store.DefaultLimit+1 || page.Next != "" {
		t.Errorf("limit above MaxLimit: got %d items and Next %q, want all %d", len(page.Items), page.Next, store.DefaultLimit+1)
	}
	_, err = s.ListWorkflows(t.Context(), "org-a", store.WorkflowFilter{Limit: -1})
	wantValidation(t, "ListWorkflows limit -1", err, "limit")
	_, err = s.ListRuns(t.Context(), "org-a", store.RunFilter{Limit: -1})
	wantValidation(t, "ListRuns limit -1", err, "limit")
}

func testBadCursor(t *testing.T, s store.Store) {
	create(t, s, newWorkflow("org-a", "w", 0))
	for _, cur := range []string{"not a cursor!", "bm9wZQ", "MTIzNA", "eC5pZA"} {
		_, err := s.ListWorkflows(t.Context(), "org-a", store.WorkflowFilter{Cursor: cur})
		wantValidation(t, "ListWorkflows cursor "+cur, err, "next")
		_, err = s.ListRuns(t.Context(), "org-a", store.RunFilter{Cursor: cur})
		wantValidation(t, "ListRuns cursor "+cur, err, "next")
	}
}
