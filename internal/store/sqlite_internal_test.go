package store

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
