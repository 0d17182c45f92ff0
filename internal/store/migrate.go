package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFiles holds one directory of NNNN_name.sql files per dialect. A file
// that has shipped is never edited: a change to the schema is a new file.
//
//go:embed migrations
var migrationFiles embed.FS

// migration is one schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the dialect's migrations in the order they apply.
func migrations(d dialect) ([]migration, error) {
	dir := path.Join("migrations", d.name)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var list []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: the name must start with a positive number and _", dir, e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same number", other, e.Name())
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		list = append(list, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	return list, nil
}

// migrate applies the migrations that the database has not seen, each in its own
// transaction with its row in schema_migrations, so that a failed one leaves
// nothing behind and none applies twice, even when two processes start at once.
// schema_migrations is this code's bookkeeping, not a migration, so it is the
// same in both dialects: applied is text.
func migrate(ctx context.Context, db *sql.DB, d dialect, now time.Time) error {
	return migrateTo(ctx, db, d, now, math.MaxInt)
}

// migrateTo is migrate up to the migration numbered last, for tests of what a
// migration does to the rows that an older schema holds.
func migrateTo(ctx context.Context, db *sql.DB, d dialect, now time.Time, last int) error {
	list, err := migrations(d)
	if err != nil {
		return err
	}
	err = inTx(ctx, db, d, func(c conn) error {
		if err := lockMigrations(ctx, c); err != nil {
			return err
		}
		_, err := c.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER NOT NULL PRIMARY KEY,
			name    TEXT    NOT NULL,
			applied TEXT    NOT NULL
		)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range list {
		if m.version > last {
			break
		}
		if err := inTx(ctx, db, d, func(c conn) error { return apply(ctx, c, m, now) }); err != nil {
			return fmt.Errorf("migration %s/%s: %w", d.name, m.name, err)
		}
	}
	return nil
}

// apply runs m unless schema_migrations says it already ran; c is a transaction.
func apply(ctx context.Context, c conn, m migration, now time.Time) error {
	if err := lockMigrations(ctx, c); err != nil {
		return err
	}
	var n int
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := c.exec(ctx, m.sql); err != nil {
		return err
	}
	_, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
		m.version, m.name, storedTime(now).Format(sqliteTimeFormat))
	return err
}

// lockMigrations serializes migrating processes. SQLite needs nothing more than
// its IMMEDIATE transactions.
func lockMigrations(ctx context.Context, c conn) error {
	if c.d.lockMigrations == "" {
		return nil
	}
	_, err := c.exec(ctx, c.d.lockMigrations)
	return err
}
