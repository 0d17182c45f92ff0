package store_test

import (
	"path/filepath"
	"testing"

	"onair/internal/store"
	"onair/internal/store/storetest"
)

// openSQLite opens a store on a new database file in t's temporary directory.
func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, openSQLite)
}

func TestSQLiteReopen(t *testing.T) {
	storetest.RunReopen(t, "sqlite://"+filepath.Join(t.TempDir(), "data", "onair.db"))
}
