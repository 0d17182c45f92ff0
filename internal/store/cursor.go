package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"onair/internal/domain"
)

// Lists are newest first, ordered by (created DESC, id DESC), and paged by keyset:
// a cursor is the (created, id) of the last item of the previous page, so a page
// never repeats or skips an item when others are added in between.

// cursor is a decoded page cursor.
type cursor struct {
	created time.Time
	id      string
}

// encodeCursor makes an opaque cursor: base64url of "<unix microseconds>.<id>".
func encodeCursor(created time.Time, id string) string {
	raw := strconv.FormatInt(storedTime(created).UnixMicro(), 10) + "." + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reads a cursor from a previous page; anything else is a
// *domain.ValidationError on the field "next", where the client got it from.
func decodeCursor(s string) (cursor, error) {
	bad := func(why string) error {
		return &domain.ValidationError{Errors: []domain.FieldError{{
			Field:   "next",
			Message: "is not a cursor from a previous page (" + why + "); pass next exactly as it was returned, or omit it for the first page",
		}}}
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad("not base64url")
	}
	micros, id, ok := strings.Cut(string(raw), ".")
	if !ok || id == "" {
		return cursor{}, bad("no id")
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return cursor{}, bad("no time")
	}
	return cursor{created: time.UnixMicro(n).UTC(), id: id}, nil
}

// pageLimit applies the page size rules: DefaultLimit for 0, at most MaxLimit.
func pageLimit(limit int) (int, error) {
	switch {
	case limit < 0:
		return 0, &domain.ValidationError{Errors: []domain.FieldError{{
			Field: "limit", Message: fmt.Sprintf("must be between 1 and %d, got %d", MaxLimit, limit),
		}}}
	case limit == 0:
		return DefaultLimit, nil
	case limit > MaxLimit:
		return MaxLimit, nil
	}
	return limit, nil
}

// conditions collects a query's WHERE clauses and their arguments.
type conditions struct {
	clauses []string
	args    []any
}

func (c *conditions) add(clause string, args ...any) {
	c.clauses = append(c.clauses, clause)
	c.args = append(c.args, args...)
}

// clone is a copy that conditions can be added to without changing c.
func (c *conditions) clone() conditions {
	return conditions{clauses: slices.Clone(c.clauses), args: slices.Clone(c.args)}
}

func (c *conditions) where() string {
	if len(c.clauses) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.clauses, " AND ")
}

// pageKey names the columns a list is ordered and paged by: a creation time
// and an id, qualified by the alias of the table whose index gives the order.
type pageKey struct{ created, id string }

// pageQuery finishes a list query: it adds the cursor's condition and returns
// the WHERE, ORDER BY and LIMIT tail, fetching one row more than limit to learn
// whether another page exists.
func pageQuery(d dialect, c *conditions, key pageKey, cur string, limit int) (string, error) {
	if cur != "" {
		k, err := decodeCursor(cur)
		if err != nil {
			return "", err
		}
		c.add("("+key.created+", "+key.id+") < (?, ?)", d.time(k.created), k.id)
	}
	c.args = append(c.args, limit+1)
	return c.where() + " ORDER BY " + key.created + " DESC, " + key.id + " DESC LIMIT ?", nil
}

// cutPage trims the extra row that pageQuery asked for and, when it was there,
// returns the cursor of the next page.
func cutPage[T any](items []T, limit int, key func(T) (time.Time, string)) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(key(items[limit-1]))
}

// queryPage runs a statement that pageQuery finished and reads one page with
// scan, returning the items and the next page's cursor.
func queryPage[T any](ctx context.Context, c conn, limit int, scan func(scanner) (T, error),
	key func(T) (time.Time, string), query string, args ...any) ([]T, string, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	items := []T{}
	for rows.Next() {
		it, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	items, next := cutPage(items, limit, key)
	return items, next, nil
}
