package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// acceptedForms is what Open understands, for error messages.
const acceptedForms = "use sqlite://PATH (for example sqlite://data/onair.db or sqlite:///var/lib/onair/onair.db) " +
	"or postgres://USER:PASSWORD@HOST:PORT/DATABASE (postgresql:// also works)"

// Open connects to the database that dsn names, brings its schema up to date and
// returns it as a Store:
//
//   - sqlite://PATH, a file on this machine, relative or absolute, created with
//     its parent directory when missing;
//   - postgres://… or postgresql://…, a PostgreSQL connection URL.
func Open(ctx context.Context, dsn string) (Store, error) {
	var (
		db  *sql.DB
		d   dialect
		err error
	)
	switch scheme, rest, _ := strings.Cut(dsn, "://"); scheme {
	case "sqlite":
		db, err = openSQLite(rest)
		d = sqliteDialect
	case "postgres", "postgresql":
		db, err = sql.Open("pgx", dsn)
		d = postgresDialect
	default:
		return nil, fmt.Errorf("store: unsupported database %s: %s", describeDSN(dsn), acceptedForms)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d.name, err)
	}
	keepConnections(db)
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", d.name, err)
	}
	if err := migrate(ctx, db, d, time.Now()); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrate %s: %w", d.name, err)
	}
	return newSQLStore(db, d), nil
}

// idleConnections is how many connections the pool keeps open between
// requests. database/sql keeps 2, so that with more requests at once each one
// past the second opens a connection and closes it again: a PostgreSQL
// connection costs a login and loses its prepared statements, and a SQLite one
// reads and parses the whole schema before its first statement.
const idleConnections = 16

// keepConnections sizes the pool's idle connections; those unused for a few
// minutes still close, so that a quiet server holds few.
func keepConnections(db *sql.DB) {
	db.SetMaxIdleConns(idleConnections)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// openSQLite opens the database file at path with the settings the store relies
// on: WAL so that readers never wait for the writer, a busy timeout so that
// writers wait for each other instead of failing, foreign keys for the cascades,
// and IMMEDIATE transactions so that a transaction that reads before it writes
// (UpdateChannel) holds the write lock from its first statement.
func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("sqlite:// needs a file path, such as sqlite://data/onair.db")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	// busy_timeout comes first: switching to WAL takes a lock too, and another
	// process (or a second Open) may hold it for a moment.
	dsn := "file:" + sqliteURIPath(path) +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	return sql.Open("sqlite", dsn)
}

// sqliteURIPath escapes the characters that mean something in a SQLite file: URI.
func sqliteURIPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
}

// describeDSN names what was given without repeating a password that it may hold.
func describeDSN(dsn string) string {
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		return fmt.Sprintf("URL scheme %q", scheme+"://")
	}
	if dsn == "" {
		return "(empty database URL)"
	}
	return "URL without a scheme"
}

// ping connects, waiting out SQLITE_BUSY: switching a new database to WAL takes
// an exclusive lock for which SQLite does not call the busy handler, so two
// processes opening one file at once can see it.
func ping(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
