package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onair/internal/store"
)

func TestOpenRejectsOtherDatabases(t *testing.T) {
	for _, dsn := range []string{"", "onair.db", "mysql://root:s3cret@db/onair", "sqlite:onair.db", "sqlite://"} {
		s, err := store.Open(t.Context(), dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", dsn)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "s3cret") {
			t.Errorf("Open(%q)'s error repeats the password: %s", dsn, msg)
		}
		if dsn != "sqlite://" && (!strings.Contains(msg, "sqlite://PATH") || !strings.Contains(msg, "postgres://")) {
			t.Errorf("Open(%q)'s error does not name the accepted forms: %s", dsn, msg)
		}
	}
}

func TestOpenSQLiteRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := store.Open(t.Context(), "sqlite://state/nested/onair.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("state", "nested", "onair.db")); err != nil {
		t.Errorf("the database file is not where the DSN says: %v", err)
	}
}
