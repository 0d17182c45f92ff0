package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds the statement cache. The statements are the
// store's own, with placeholders, so there are a few dozen of them plus a
// variant per number of tags or statuses a list asks for; past the bound a
// statement is simply prepared at each call, as without the cache.
const maxCachedStatements = 256

// stmtCache keeps the statements run outside transactions prepared, by query
// text, so that a list or lookup that runs thousands of times a second is
// parsed once per connection instead of at every call. SQLite needs it: its
// driver prepares each query anew, and parsing is a good part of a short
// query's cost. pgx caches prepared statements on each connection by itself.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for query, or nil when it cannot be
// cached (the cache is full, or preparing failed): the caller then runs the
// query as it is, which reports any error in it.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCachedStatements
	c.mu.Unlock()
	if ok || full {
		return st
	}
	// Preparing takes a connection, so the lock is not held meanwhile; it
	// parses the query on that connection only, and the others prepare it the
	// first time they run it.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached, ok := c.stmts[query]; ok {
		st.Close() // another caller prepared it meanwhile
		return cached
	}
	c.stmts[query] = st
	return st
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
