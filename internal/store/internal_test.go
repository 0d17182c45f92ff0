package store

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"onair/internal/domain"
)

func TestRebind(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c IN (?, ?) ESCAPE '\'`
	if got, want := postgresDialect.rebind(q), `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) ESCAPE '\'`; got != want {
		t.Errorf("postgres rebind:\n got  %s\n want %s", got, want)
	}
	if got := sqliteDialect.rebind(q); got != q {
		t.Errorf("sqlite rebind changed the query: %s", got)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	created := time.Date(2024, 3, 10, 8, 0, 0, 123456789, time.FixedZone("X", 3600))
	c, err := decodeCursor(encodeCursor(created, "id.with.dots"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.created.Equal(created.Truncate(time.Microsecond)) || c.created.Location() != time.UTC || c.id != "id.with.dots" {
		t.Errorf("cursor came back as %+v", c)
	}
}

func TestEscapeLike(t *testing.T) {
	if got, want := escapeLike(`50%_a\b`), `50\%\_a\\b`; got != want {
		t.Errorf("escapeLike = %s, want %s", got, want)
	}
}

// TestMigrationsPair checks that both dialects ship the same migrations.
func TestMigrationsPair(t *testing.T) {
	s, err := migrations(sqliteDialect)
	if err != nil {
		t.Fatal(err)
	}
	p, err := migrations(postgresDialect)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) == 0 || len(s) != len(p) {
		t.Fatalf("%d SQLite and %d PostgreSQL migrations", len(s), len(p))
	}
	for i := range s {
		if s[i].version != p[i].version || s[i].name != p[i].name {
			t.Errorf("migration %d: SQLite's %s, PostgreSQL's %s", i, s[i].name, p[i].name)
		}
	}
}

// TestSQLiteSettings checks that the DSN's settings take effect on every
// connection and that times are stored as sortable text.
func TestSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	s := openSQLiteStore(t)
	s.db.SetMaxIdleConns(4)
	// Hold several connections at once so that the checks do not all run on one.
	conns := make([]interface{ Close() error }, 0, 3)
	for i := 0; i < 3; i++ {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var mode string
		var fk, busy int
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || fk != 1 || busy != 10000 {
			t.Errorf("connection %d: journal_mode %s, foreign_keys %d, busy_timeout %d", i, mode, fk, busy)
		}
	}
	for _, c := range conns {
		c.Close()
	}

	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want, _ := migrations(sqliteDialect); n != len(want) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(want))
	}

	w := domain.Workflow{ID: "w", OrgID: "o", Created: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)}
	if err := s.CreateWorkflow(ctx, w); err != nil {
		t.Fatal(err)
	}
	var created string
	if err := s.db.QueryRowContext(ctx, "SELECT created FROM workflows WHERE id = 'w'").Scan(&created); err != nil {
		t.Fatal(err)
	}
	if created != "2024-01-02T03:04:05.000006Z" {
		t.Errorf("created is stored as %q", created)
	}
}

// TestEmptyDocument checks that the shortcut for empty JSON documents leaves
// each destination exactly as json.Unmarshal does.
func TestEmptyDocument(t *testing.T) {
	type opts struct{ A int }
	for _, doc := range []string{"null", "[]", "{}", `[""]`, `{"A":1}`, "0", `""`} {
		fresh := func() []any {
			return []any{new([]string), new([]domain.Ingest), new(map[string]int), new(opts), new(*opts), new(any), new(time.Time), new(int), new(string)}
		}
		shortcut, want := fresh(), fresh()
		for i := range shortcut {
			wantErr := json.Unmarshal([]byte(doc), want[i])
			gotErr := jsonCol{shortcut[i]}.Scan(doc)
			if (gotErr != nil) != (wantErr != nil) {
				t.Errorf("%s into %T: error %v, json.Unmarshal's %v", doc, want[i], gotErr, wantErr)
				continue
			}
			// DeepEqual tells a nil slice or map from an empty one.
			if got, w := reflect.ValueOf(shortcut[i]).Elem().Interface(), reflect.ValueOf(want[i]).Elem().Interface(); !reflect.DeepEqual(got, w) {
				t.Errorf("%s into %T: got %#v, json.Unmarshal gives %#v", doc, want[i], got, w)
			}
		}
	}
}
