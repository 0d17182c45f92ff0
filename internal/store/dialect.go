package store

import (
	"strconv"
	"strings"
	"time"
)

// sqliteTimeFormat is how SQLite stores times: UTC, fixed width, microseconds, so
// that comparing the text compares the times.
const sqliteTimeFormat = "2006-01-02T15:04:05.000000Z"

// dialect is everything that differs between SQLite and PostgreSQL. Queries are
// written once, with ? placeholders, and the dialect adapts them.
type dialect struct {
	// name is the driver-independent name, also the migrations directory.
	name string
	// numbered placeholders ($1, $2, …) instead of ?.
	numbered bool
	// textTimes stores times as sqliteTimeFormat text instead of timestamptz.
	textTimes bool
	// forUpdate is appended to a SELECT that must lock the rows it reads. SQLite
	// has no row locks: there every write transaction begins IMMEDIATE, which
	// takes the database's write lock up front.
	forUpdate string
	// lockMigrations, run inside a migration's transaction, keeps two processes
	// from migrating at once.
	lockMigrations string
	// ftsSearch searches through the workflow_search FTS5 table; otherwise
	// LIKE, which pg_trgm's indexes serve, does.
	ftsSearch bool
	// cacheStatements keeps the queries run outside transactions prepared
	// (stmtCache), for a driver that does not itself.
	cacheStatements bool
}

var (
	sqliteDialect = dialect{
		name:            "sqlite",
		textTimes:       true,
		ftsSearch:       true,
		cacheStatements: true,
	}
	postgresDialect = dialect{
		name:      "postgres",
		numbered:  true,
		forUpdate: " FOR UPDATE",
		// Any constant works; this one spells "onair" in ASCII.
		lockMigrations: "SELECT pg_advisory_xact_lock(478560168306)",
	}
)

// rebind turns the ? placeholders of query into the dialect's. Queries never
// contain a literal ?.
func (d dialect) rebind(query string) string {
	if !d.numbered || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// time encodes t for a query argument, in UTC at microsecond precision, the
// precision of both databases. Truncating here, rather than letting PostgreSQL
// round, makes both databases return the same value.
func (d dialect) time(t time.Time) any {
	t = storedTime(t)
	if d.textTimes {
		return t.Format(sqliteTimeFormat)
	}
	return t
}

// nullTime is time for a column that may be NULL.
func (d dialect) nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.time(*t)
}

// storedTime is t as the store returns it after a round trip.
func storedTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// storedTimePtr is storedTime for an optional time.
func storedTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := storedTime(*t)
	return &s
}
