package store

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/domain"
)

// openSQLiteStore opens a store on a new SQLite file, closed when t ends.
func openSQLiteStore(t *testing.T) *sqlStore {
	t.Helper()
	st, err := Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.(*sqlStore)
}

// TestSQLiteSearchIndexInStep checks that SQLite's trigram index holds one row
// for each workflow, the one its search_rowid names, through creates, renames
// and deletes: a row left behind would never be found again but would stay.
func TestSQLiteSearchIndexInStep(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteStore(t)
	inStep := func(when string) {
		t.Helper()
		var fts, rows []int64
		for q, dst := range map[string]*[]int64{
			`SELECT rowid FROM workflow_search`:                              &fts,
			`SELECT search_rowid FROM workflows WHERE search_rowid NOT NULL`: &rows,
		} {
			r, err := s.db.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var id int64
				if err := r.Scan(&id); err != nil {
					t.Fatal(err)
				}
				*dst = append(*dst, id)
			}
			r.Close()
		}
		slices.Sort(fts)
		slices.Sort(rows)
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM workflows`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fts, rows) || len(rows) != n || len(slices.Compact(slices.Clone(rows))) != n {
			t.Errorf("%s: index rows %v, workflows' %v of %d workflows", when, fts, rows, n)
		}
	}
	for i, id := range []string{"a", "b", "c"} {
		w := domain.Workflow{ID: id, OrgID: "o", Name: "Name " + id, Created: time.Unix(int64(i), 0)}
		if err := s.CreateWorkflow(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	inStep("after creates")
	if _, err := s.UpdateChannel(ctx, "o", "b", func(c *domain.Channel) error { c.Workflow.Name = "Renamed"; return nil }); err != nil {
		t.Fatal(err)
	}
	inStep("after a rename")
	for _, id := range []string{"c", "a"} {
		if err := s.DeleteWorkflow(ctx, "o", id, nil); err != nil {
			t.Fatal(err)
		}
	}
	inStep("after deletes")
	if err := s.CreateWorkflow(ctx, domain.Workflow{ID: "d", OrgID: "o", Name: "New"}); err != nil {
		t.Fatal(err)
	}
	inStep("after a create past a delete")
}

// TestStatementCache checks that queries answer the same through the cache,
// past its bound, and with an error in them.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteStore(t)
	for i := range maxCachedStatements + 10 {
		var got int
		if err := s.conn().queryRow(ctx, "SELECT ? + "+strconv.Itoa(i), 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("query %d: %d, %v", i, got, err)
		}
	}
	if n := len(s.stmts.stmts); n != maxCachedStatements {
		t.Errorf("%d statements cached, want the bound, %d", n, maxCachedStatements)
	}
	if _, err := s.conn().query(ctx, "SELECT nope FROM nowhere"); err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("a bad query: %v, want the database's error", err)
	}
}
