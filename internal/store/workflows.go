package store

import (
	"context"
	"database/sql"
	"errors"

	"onair/internal/domain"
)

// CreateWorkflow stores a new workflow; a taken id is a *domain.ConflictError.
func (s *sqlStore) CreateWorkflow(ctx context.Context, w domain.Workflow) error {
	if w.ID == "" || w.OrgID == "" {
		return errors.New("store: a workflow needs an id and an organization")
	}
	return s.inTx(ctx, func(c conn) error { return insertWorkflow(ctx, c, w) })
}

// GetWorkflow returns one of the organization's workflows.
func (s *sqlStore) GetWorkflow(ctx context.Context, org, id string) (domain.Workflow, error) {
	return getWorkflow(ctx, s.conn(), org, id, false)
}

// DeleteWorkflow deletes a workflow, its tags and its runs when check, given the
// workflow as stored and locked, returns nil; check's error is returned as is.
func (s *sqlStore) DeleteWorkflow(ctx context.Context, org, id string, check func(domain.Workflow) error) error {
	return s.inTx(ctx, func(c conn) error {
		w, err := getWorkflow(ctx, c, org, id, true)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(w); err != nil {
				return err
			}
		}
		return deleteWorkflowRows(ctx, c, org, id)
	})
}

// deleteWorkflowRows deletes a workflow with its runs and tags, inside the
// caller's transaction.
func deleteWorkflowRows(ctx context.Context, c conn, org, id string) error {
	// The foreign keys cascade too; saying it here keeps the store correct
	// on a database where they are off.
	for _, q := range []string{
		`DELETE FROM runs WHERE org_id = ? AND workflow_id = ?`,
		`DELETE FROM workflow_tags WHERE org_id = ? AND workflow_id = ?`,
		`DELETE FROM workflows WHERE org_id = ? AND id = ?`,
	} {
		if _, err := c.exec(ctx, q, org, id); err != nil {
			return err
		}
	}
	return nil
}

// CountWorkflows counts workflows by status across organizations. Every known
// status is in the map, with 0 when no workflow has it, so that a metric drops
// to zero instead of keeping its last value.
func (s *sqlStore) CountWorkflows(ctx context.Context) (map[domain.Status]int, error) {
	rows, err := s.conn().query(ctx, `SELECT status, COUNT(*) FROM workflows GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := make(map[domain.Status]int, len(domain.Statuses))
	for _, st := range domain.Statuses {
		counts[st] = 0
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		counts[domain.Status(st)] = n
	}
	return counts, rows.Err()
}

// getWorkflow reads one workflow; with lock, inside a transaction, no other
// transaction can change or lock it until this one ends.
func getWorkflow(ctx context.Context, c conn, org, id string, lock bool) (domain.Workflow, error) {
	q := `SELECT ` + workflowColumns + ` FROM workflows WHERE org_id = ? AND id = ?`
	if lock {
		q += c.d.forUpdate
	}
	w, err := scanWorkflow(c.queryRow(ctx, q, org, id))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Workflow{}, &domain.NotFoundError{Kind: "workflow", ID: id}
	}
	return w, err
}

// distinct drops repeated strings, keeping the first order.
func distinct(list []string) []string {
	var out []string
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
