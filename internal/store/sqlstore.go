package store

import (
	"context"
	"database/sql"
	"time"
)

// sqlStore is the Store for both databases: the SQL is shared and d holds what
// differs.
type sqlStore struct {
	db    *sql.DB
	d     dialect
	stmts *stmtCache       // nil when the driver caches statements itself
	now   func() time.Time // stamps the blueprints' bookkeeping columns
}

var _ Store = (*sqlStore)(nil)

func newSQLStore(db *sql.DB, d dialect) *sqlStore {
	s := &sqlStore{db: db, d: d, now: time.Now}
	if d.cacheStatements {
		s.stmts = newStmtCache(db)
	}
	return s
}

// Ping checks that the database answers.
func (s *sqlStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the database's connections.
func (s *sqlStore) Close() error {
	if s.stmts != nil {
		s.stmts.close()
	}
	return s.db.Close()
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries written with ? placeholders on a database or in a
// transaction; outside one, through the statement cache when there is one.
type conn struct {
	q     querier
	d     dialect
	stmts *stmtCache
}

// prepared is the cached statement for query, or nil.
func (c conn) prepared(ctx context.Context, query string) *sql.Stmt {
	if c.stmts == nil {
		return nil
	}
	return c.stmts.get(ctx, query)
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = c.d.rebind(query)
	if st := c.prepared(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, query, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = c.d.rebind(query)
	if st := c.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, query, args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = c.d.rebind(query)
	if st := c.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

// conn runs queries outside a transaction.
func (s *sqlStore) conn() conn { return conn{q: s.db, d: s.d, stmts: s.stmts} }

// inTx runs fn in a transaction, committed when fn returns nil and rolled back
// otherwise. fn's error is returned as is, so that callers can match it.
func (s *sqlStore) inTx(ctx context.Context, fn func(c conn) error) error {
	return inTx(ctx, s.db, s.d, fn)
}

func inTx(ctx context.Context, db *sql.DB, d dialect, fn func(c conn) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	// Rolls back when fn fails or panics; a no-op after Commit.
	defer tx.Rollback()
	if err := fn(conn{q: tx, d: d}); err != nil {
		return err
	}
	return tx.Commit()
}

// mustAffect turns "no row changed" into err: the statement's WHERE found nothing.
func mustAffect(res sql.Result, err error, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	if n == 0 {
		return ""
	}
	b := make([]byte, 0, 3*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}
