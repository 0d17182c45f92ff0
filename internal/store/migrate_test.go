package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"onair/internal/domain"
	"onair/internal/testutil/pgtest"
)

// TestMigrationListIndexes checks that migration 0007 fills what lists read for
// the rows that were there before it: the channel class, the tags' creation
// times and the search index.
func TestMigrationListIndexes(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		db, err := openSQLite(filepath.Join(t.TempDir(), "onair.db"))
		if err != nil {
			t.Fatal(err)
		}
		testMigrationListIndexes(t, db, sqliteDialect)
	})
	t.Run("postgres", func(t *testing.T) {
		db, err := sql.Open("pgx", pgtest.Start(t))
		if err != nil {
			t.Fatal(err)
		}
		testMigrationListIndexes(t, db, postgresDialect)
	})
}

func testMigrationListIndexes(t *testing.T, db *sql.DB, d dialect) {
	ctx := context.Background()
	t.Cleanup(func() { db.Close() })
	now := time.Date(2024, 3, 10, 8, 0, 0, 0, time.UTC)
	if err := migrateTo(ctx, db, d, now, 6); err != nil {
		t.Fatal(err)
	}
	// Two workflows as the schema before 0007 stored them: one STANDARD with
	// tags, one with a blueprint that has no class.
	blueprint := `{"id":"abr","settings":{"channel":{"class":"STANDARD"}}}`
	c := conn{q: db, d: d}
	for _, w := range []struct{ id, name, blueprint, tags string }{
		{"old-1", "Évening xFOOy", blueprint, `["news","sport"]`},
		{"old-2", "Plain", `{"id":"bare","settings":{}}`, `["news"]`},
	} {
		_, err := c.exec(ctx, `INSERT INTO workflows (id, org_id, name, name_fold, description, description_fold, region,
			status, cause, blueprint_id, blueprint, tags, create_archives, created, updated)
			VALUES (?, 'org', ?, ?, 'Nightly', 'nightly', 'local', 'READY', '', 'abr', ?, ?, ?, ?, ?)`,
			w.id, w.name, fold(w.name), w.blueprint, w.tags, true, d.time(now), d.time(now))
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tag := range [][2]string{{"old-1", "news"}, {"old-1", "sport"}, {"old-2", "news"}} {
		if _, err := c.exec(ctx, `INSERT INTO workflow_tags (org_id, workflow_id, tag) VALUES ('org', ?, ?)`, tag[0], tag[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrate(ctx, db, d, now); err != nil {
		t.Fatal(err)
	}

	s := newSQLStore(db, d)
	list := func(f WorkflowFilter) []domain.WorkflowSummary {
		t.Helper()
		page, err := s.ListWorkflows(ctx, "org", f)
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	if got := list(WorkflowFilter{Tags: []string{"sport", "news"}}); len(got) != 1 || got[0].ID != "old-1" || !got[0].Created.Equal(now) {
		t.Errorf("tags sport and news: %+v, want old-1, created %s", got, now)
	}
	if got := list(WorkflowFilter{Tags: []string{"news"}}); len(got) != 2 {
		t.Errorf("tag news: %+v, want both", got)
	}
	for _, q := range []string{"foo", "évening", "xfooy"} {
		if got := list(WorkflowFilter{Search: q}); len(got) != 1 || got[0].ID != "old-1" {
			t.Errorf("search %q: %+v, want old-1", q, got)
		}
	}
	if got := list(WorkflowFilter{Search: "nightly"}); len(got) != 2 {
		t.Errorf("search nightly: %+v, want both", got)
	}
	if got := list(WorkflowFilter{Search: "plain"}); len(got) != 1 || got[0].ID != "old-2" {
		t.Errorf("search plain: %+v, want old-2", got)
	}
	// The channel class comes from the blueprint's JSON, and is empty when it has none.
	for id, want := range map[string]domain.ChannelClass{"old-1": domain.ClassStandard, "old-2": ""} {
		var class string
		if err := c.queryRow(ctx, `SELECT channel_class FROM workflows WHERE id = ?`, id).Scan(&class); err != nil || domain.ChannelClass(class) != want {
			t.Errorf("%s: channel class %q (%v), want %q", id, class, err, want)
		}
	}
}
