package store

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Searching workflows: the workflows whose name or description holds a
// string, whatever the case. Both sides are folded by fold, and the folded
// text is what the trigram indexes hold.
//
// On PostgreSQL, LIKE uses the pg_trgm indexes by itself, or the planner walks
// the page order when many rows match.
//
// On SQLite the FTS5 trigram table answers searches of three characters or
// more, as a phrase, which matches exactly where the characters appear in that
// order; shorter ones have no trigram and read every row with LIKE. SQLite's
// planner, which has no statistics, always walks the page-order index then,
// testing each entry's search_rowid: that reads no row it does not return and
// stops when the page is full, but for a search that matches only a few
// workflows it is the whole index. So a search first reads up to
// ftsDriveLimit+1 matches: none is an empty page at once, and a few drive the
// page by workflows_search_rowid, sorted. The statement still tests the index
// itself, so that it returns only what matches in its own snapshot, whatever
// was written between the two.
//
// A search holding NUL matches nothing on either: PostgreSQL text cannot hold
// one, SQLite's LIKE and FTS5 queries end at it, and no name or description
// has one (the domain refuses control characters).

// ftsDriveLimit is the most matches for which a SQLite search reads the page
// from its matches rather than by walking the page order.
const ftsDriveLimit = 256

// search is how a list query selects a search's workflows.
type search struct {
	clauses []clause
	// indexedBy, after "workflows w", names the index the workflows must be
	// read by: the matches, not the page order, drive the page.
	indexedBy string
}

type clause struct {
	clause string
	args   []any
}

// planSearch works out how a list finds the workflows that text selects.
func planSearch(ctx context.Context, c conn, text string) (search, error) {
	folded := fold(text)
	if strings.ContainsRune(folded, 0) {
		return search{clauses: []clause{{clause: "1 = 0"}}}, nil
	}
	if !c.d.ftsSearch || utf8.RuneCountInString(folded) < 3 {
		pattern := "%" + escapeLike(folded) + "%"
		return search{clauses: []clause{{
			clause: `(w.name_fold LIKE ? ESCAPE '\' OR w.description_fold LIKE ? ESCAPE '\')`,
			args:   []any{pattern, pattern},
		}}}, nil
	}
	phrase := `"` + strings.ReplaceAll(folded, `"`, `""`) + `"`
	index := clause{clause: `w.search_rowid IN (SELECT rowid FROM workflow_search WHERE workflow_search MATCH ?)`, args: []any{phrase}}
	rowids, err := searchMatches(ctx, c, phrase, ftsDriveLimit+1)
	switch {
	case err != nil:
		return search{}, err
	case len(rowids) == 0:
		return search{clauses: []clause{{clause: "1 = 0"}}}, nil
	case len(rowids) > ftsDriveLimit:
		return search{clauses: []clause{index}}, nil
	}
	return search{
		clauses:   []clause{{clause: "w.search_rowid IN (" + placeholders(len(rowids)) + ")", args: rowids}, index},
		indexedBy: " INDEXED BY workflows_search_rowid",
	}, nil
}

// searchMatches returns the rowids of up to limit matches of an FTS5 phrase.
func searchMatches(ctx context.Context, c conn, phrase string, limit int) ([]any, error) {
	rows, err := c.query(ctx, `SELECT rowid FROM workflow_search WHERE workflow_search MATCH ? LIMIT ?`, phrase, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
