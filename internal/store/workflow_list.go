package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"onair/internal/domain"
)

// Listing workflows. Each filter has an index (migration 0007), so that no
// filter reads every row, and a page reads the summary columns, never the
// blueprint snapshot.

// summaryColumns are what a domain.WorkflowSummary is read from.
const summaryColumns = `id, name, description, region, status, blueprint_id, tags, created`

func scanSummary(r scanner) (domain.WorkflowSummary, error) {
	var w domain.WorkflowSummary
	err := r.Scan(textCol{&w.ID}, textCol{&w.Name}, textCol{&w.Description}, textCol{&w.Region},
		textCol{(*string)(&w.Status)}, textCol{&w.BlueprintID}, jsonCol{&w.Tags}, timeCol{&w.Created})
	return w, err
}

func summaryKey(w domain.WorkflowSummary) (time.Time, string) { return w.Created, w.ID }

// ListWorkflows returns one page of the organization's workflows, newest first.
func (s *sqlStore) ListWorkflows(ctx context.Context, org string, f WorkflowFilter) (WorkflowPage, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return WorkflowPage{}, err
	}
	q, args, err := workflowsQuery(ctx, s.conn(), org, f, limit)
	if err != nil {
		return WorkflowPage{}, err
	}
	items, next, err := queryPage(ctx, s.conn(), limit, scanSummary, summaryKey, q, args...)
	if err != nil {
		return WorkflowPage{}, err
	}
	return WorkflowPage{Items: items, Next: next}, nil
}

// workflowsQuery is the statement that ListWorkflows runs, with its arguments;
// on SQLite a search first looks up its matches (planSearch).
//
// Without tags it walks workflows in page order: by (org_id, created, id), or by
// (org_id, status, created, id) for a status. With tags, the first tag's rows
// of workflow_tags, which carry the creation time, drive it in page order, and
// each other tag is one primary-key lookup per row. Either way it stops as soon
// as the page is full.
//
// Several statuses are one such statement each, cut at the page's size and
// merged: a single status IN (…) cannot be read in page order from the status
// index, and SQLite's planner, which has no statistics, then walks every
// workflow in page order instead, which for rare statuses is every row.
func workflowsQuery(ctx context.Context, c conn, org string, f WorkflowFilter, limit int) (string, []any, error) {
	d := c.d
	var found search
	if f.Search != "" {
		var err error
		if found, err = planSearch(ctx, c, f.Search); err != nil {
			return "", nil, err
		}
	}
	var base conditions
	from, key := "workflows w"+found.indexedBy, pageKey{created: "w.created", id: "w.id"}
	if tags := distinct(f.Tags); len(tags) > 0 {
		from = "workflow_tags t JOIN workflows w" + found.indexedBy + " ON w.id = t.workflow_id"
		key = pageKey{created: "t.created", id: "t.workflow_id"}
		base.add("t.org_id = ? AND t.tag = ?", org, tags[0])
		for _, tag := range tags[1:] {
			base.add("EXISTS (SELECT 1 FROM workflow_tags o WHERE o.workflow_id = t.workflow_id AND o.tag = ?)", tag)
		}
	}
	base.add("w.org_id = ?", org)
	for _, cl := range found.clauses {
		base.add(cl.clause, cl.args...)
	}
	statuses := make([]string, len(f.Statuses))
	for i, st := range f.Statuses {
		statuses[i] = string(st)
	}
	statuses = distinct(statuses)
	if len(statuses) <= 1 {
		cond := base
		if len(statuses) == 1 {
			cond.add("w.status = ?", statuses[0])
		}
		tail, err := pageQuery(d, &cond, key, f.Cursor, limit)
		if err != nil {
			return "", nil, err
		}
		return `SELECT ` + qualify("w", summaryColumns) + ` FROM ` + from + tail, cond.args, nil
	}
	parts := make([]string, len(statuses))
	var args []any
	for i, st := range statuses {
		cond := base.clone()
		cond.add("w.status = ?", st)
		tail, err := pageQuery(d, &cond, key, f.Cursor, limit)
		if err != nil {
			return "", nil, err
		}
		parts[i] = `SELECT * FROM (SELECT ` + qualify("w", summaryColumns) + ` FROM ` + from + tail + `) s` + strconv.Itoa(i)
		args = append(args, cond.args...)
	}
	args = append(args, limit+1)
	return strings.Join(parts, " UNION ALL ") + " ORDER BY created DESC, id DESC LIMIT ?", args, nil
}
