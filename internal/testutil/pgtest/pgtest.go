// Package pgtest gives tests a fresh, empty PostgreSQL database each: on the
// server that DATABASE_URL names when it is set, and otherwise in a throwaway
// cluster that the test binary starts once and stops when it ends.
//
// A test package that calls Start declares
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// What to do when PostgreSQL is unavailable, without DATABASE_URL and with it.
const (
	howToFixLocal = "To run these tests, install PostgreSQL (for example `apt-get install postgresql`) " +
		"so that initdb and pg_ctl are under /usr/lib/postgresql/*/bin or on PATH, " +
		"or set DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/postgres to a server where USER may CREATE DATABASE. " +
		"To skip them instead, set ONAIR_SKIP_POSTGRES=1."
	howToFixURL = "To run these tests, start the server that DATABASE_URL names and let its user CREATE DATABASE, " +
		"or unset DATABASE_URL to use a local PostgreSQL installation. To skip them instead, set ONAIR_SKIP_POSTGRES=1."
)

// The throwaway cluster is one per test binary, which is what a test binary's
// package-level state is for; mainCalled tells Start that Main will stop it.
var (
	shared     cluster
	mainCalled atomic.Bool
)

// Main runs the package's tests and then stops the throwaway cluster, if one was
// started, and removes its files. Call it from TestMain.
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain that has more to clean up: it runs the tests,
// stops the throwaway cluster, and returns the exit code for os.Exit.
func Run(m *testing.M) int {
	mainCalled.Store(true)
	code := m.Run()
	if err := shared.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
	}
	return code
}

// Start returns the URL of a new, empty database that only the caller uses.
// When PostgreSQL cannot be reached or started the test fails with what to do
// about it, or is skipped with the same message if ONAIR_SKIP_POSTGRES=1.
func Start(t testing.TB) string {
	t.Helper()
	if base := os.Getenv("DATABASE_URL"); base != "" {
		return startOnServer(t, base)
	}
	if !mainCalled.Load() {
		t.Fatal("pgtest: this package does not call pgtest.Main from TestMain, so nothing would stop the PostgreSQL cluster; " +
			"add: func TestMain(m *testing.M) { pgtest.Main(m) }")
	}
	admin, base, err := shared.get()
	if err != nil {
		unavailable(t, err, howToFixLocal)
	}
	name := newName()
	if err := createDatabase(admin, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return withDatabase(*base, name)
}

// startOnServer creates a database on the server at base, dropped after the test.
func startOnServer(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: DATABASE_URL must be a URL such as postgres://USER:PASSWORD@HOST:PORT/postgres")
	}
	admin, err := connect(base)
	if err != nil {
		unavailable(t, fmt.Errorf("DATABASE_URL: %w", err), howToFixURL)
	}
	defer admin.Close()
	name := newName()
	if err := createDatabase(admin, name); err != nil {
		t.Fatalf("pgtest: on the DATABASE_URL server: %v", err)
	}
	t.Cleanup(func() {
		admin, err := connect(base)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(*u, name)
}

// unavailable fails or skips t because PostgreSQL cannot be used, never silently.
func unavailable(t testing.TB, err error, howToFix string) {
	t.Helper()
	msg := fmt.Sprintf("pgtest: PostgreSQL is not available: %v\n%s", err, howToFix)
	if os.Getenv("ONAIR_SKIP_POSTGRES") == "1" {
		t.Skip(msg)
	}
	t.Fatal(msg)
}

// connect opens and pings a database.
func connect(dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func createDatabase(admin *sql.DB, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// newName is a database name that no other caller, in this binary or another
// one sharing the server, picks.
func newName() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "onair_test_" + hex.EncodeToString(b)
}

// withDatabase returns the connection URL u with its database replaced.
func withDatabase(u url.URL, name string) string {
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}
