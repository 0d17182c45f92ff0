package store_test

import (
	"testing"

	"onair/internal/store"
	"onair/internal/store/storetest"
	"onair/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openPostgres opens a store on a new database of the test PostgreSQL.
func openPostgres(t *testing.T) store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), pgtest.Start(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, openPostgres)
}

func TestPostgresReopen(t *testing.T) {
	storetest.RunReopen(t, pgtest.Start(t))
}
