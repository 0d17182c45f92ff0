package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// ExplainListWorkflows returns the database's plan for the statement that
// ListWorkflows runs for org and f, one line per step: EXPLAIN QUERY PLAN on
// SQLite, EXPLAIN on PostgreSQL. It is for benchmarks and operators checking
// which index a list uses. On SQLite a search first reads its matches from
// the trigram index by rowid (planSearch), which the plan does not show.
func ExplainListWorkflows(ctx context.Context, st Store, org string, f WorkflowFilter) (string, error) {
	return explainList(ctx, st, f.Limit, func(c conn, limit int) (string, []any, error) {
		return workflowsQuery(ctx, c, org, f, limit)
	})
}

// ExplainListChannels is ExplainListWorkflows for ListChannels.
func ExplainListChannels(ctx context.Context, st Store, org string, f RunFilter) (string, error) {
	return explainList(ctx, st, f.Limit, func(c conn, limit int) (string, []any, error) {
		return channelsQuery(c.d, org, f, limit)
	})
}

// ExplainMetricPoints is ExplainListWorkflows for MetricPoints: the plan of
// reading a workflow's health history.
func ExplainMetricPoints(ctx context.Context, st Store, org, workflowID string, res time.Duration, from, to time.Time) (string, error) {
	s, ok := st.(*sqlStore)
	if !ok {
		return "", fmt.Errorf("store: %T has no SQL to explain", st)
	}
	q, args := metricPointsQuery(org, workflowID, res, from, to)
	return explain(ctx, s, q, args)
}

func explainList(ctx context.Context, st Store, limit int, build func(conn, int) (string, []any, error)) (string, error) {
	s, ok := st.(*sqlStore)
	if !ok {
		return "", fmt.Errorf("store: %T has no SQL to explain", st)
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return "", err
	}
	q, args, err := build(s.conn(), limit)
	if err != nil {
		return "", err
	}
	return explain(ctx, s, q, args)
}

// explain runs EXPLAIN on a query and returns its plan, a step a line.
func explain(ctx context.Context, s *sqlStore, q string, args []any) (string, error) {
	explain := "EXPLAIN "
	if s.d.name == sqliteDialect.name {
		explain = "EXPLAIN QUERY PLAN "
	}
	rows, err := s.conn().query(ctx, explain+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	// SQLite answers (id, parent, notused, detail), PostgreSQL one text column:
	// the step is the last column either way. SQLite's parent ids give the depth.
	var b strings.Builder
	depth := map[int64]int{}
	for rows.Next() {
		vals, err := scanValues(rows, len(cols))
		if err != nil {
			return "", err
		}
		if len(vals) == 4 {
			id, _ := vals[0].(int64)
			parent, _ := vals[1].(int64)
			depth[id] = depth[parent] + 1
			b.WriteString(strings.Repeat("  ", depth[id]-1))
		}
		var text string
		textCol{&text}.Scan(vals[len(vals)-1])
		b.WriteString(text)
		b.WriteByte('\n')
	}
	return b.String(), rows.Err()
}

// scanValues reads a row of n columns of any types, as the driver returns them.
func scanValues(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	dest := make([]any, n)
	for i := range vals {
		dest[i] = &vals[i]
	}
	return vals, rows.Scan(dest...)
}
