package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"onair/internal/domain"
)

// Managed inputs. Which workflow holds an input is a column, claimed with one
// conditional UPDATE so that two starts can never both hold it; a claim left by
// a workflow that is no longer active (a crash between start and release) does
// not count.

const managedInputColumns = `id, org_id, name, region, type, class, ingests, in_use_by, created`

func scanManagedInput(r scanner) (domain.ManagedInput, error) {
	var in domain.ManagedInput
	var inUse sql.NullString
	err := r.Scan(textCol{&in.ID}, textCol{&in.OrgID}, textCol{&in.Name}, textCol{&in.Region},
		textCol{&in.Type}, textCol{(*string)(&in.Class)}, jsonCol{&in.Ingests}, &inUse, timeCol{&in.Created})
	in.InUseBy = inUse.String
	return in, err
}

// activeStatuses are the statuses of a workflow whose run holds resources.
func activeStatuses() []any {
	var out []any
	for _, st := range domain.Statuses {
		if st.Active() {
			out = append(out, string(st))
		}
	}
	return out
}

func (s *sqlStore) CreateManagedInput(ctx context.Context, in domain.ManagedInput) error {
	ingests, err := jsonText(in.Ingests)
	if err != nil {
		return err
	}
	res, err := s.conn().exec(ctx, `INSERT INTO managed_inputs (`+managedInputColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?) ON CONFLICT DO NOTHING`,
		in.ID, in.OrgID, in.Name, in.Region, in.Type, string(in.Class), ingests, s.d.time(in.Created))
	return mustAffect(res, err, &domain.ConflictError{Message: fmt.Sprintf("managed input %q already exists", in.ID)})
}

func (s *sqlStore) GetManagedInput(ctx context.Context, org, id string) (domain.ManagedInput, error) {
	return getManagedInput(ctx, s.conn(), org, id)
}

func getManagedInput(ctx context.Context, c conn, org, id string) (domain.ManagedInput, error) {
	in, err := scanManagedInput(c.queryRow(ctx, `SELECT `+managedInputColumns+` FROM managed_inputs WHERE org_id = ? AND id = ?`, org, id))
	if errors.Is(err, sql.ErrNoRows) {
		return in, &domain.NotFoundError{Kind: "managed input", ID: id}
	}
	return in, err
}

func (s *sqlStore) ListManagedInputs(ctx context.Context, org, region string) ([]domain.ManagedInput, error) {
	q := `SELECT ` + managedInputColumns + ` FROM managed_inputs WHERE org_id = ?`
	args := []any{org}
	if region != "" {
		q += ` AND region = ?`
		args = append(args, region)
	}
	rows, err := s.conn().query(ctx, q+` ORDER BY created DESC, id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.ManagedInput{}
	for rows.Next() {
		in, err := scanManagedInput(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// heldBy is the condition "another active workflow holds the input".
func heldBy() string {
	return `in_use_by IS NOT NULL AND in_use_by IN
		(SELECT id FROM workflows WHERE status IN (` + placeholders(len(activeStatuses())) + `))`
}

func (s *sqlStore) DeleteManagedInput(ctx context.Context, org, id string) error {
	return s.inTx(ctx, func(c conn) error { return deleteManagedInput(ctx, c, org, id) })
}

// deleteManagedInput deletes an input that no active workflow holds, inside
// the caller's transaction.
func deleteManagedInput(ctx context.Context, c conn, org, id string) error {
	in, err := getManagedInput(ctx, c, org, id)
	if err != nil {
		return err
	}
	res, err := c.exec(ctx, `DELETE FROM managed_inputs WHERE org_id = ? AND id = ? AND NOT (`+heldBy()+`)`,
		append([]any{org, id}, activeStatuses()...)...)
	return mustAffect(res, err, &domain.ConflictError{Message: fmt.Sprintf(
		"managed input %s is in use by the running workflow %s; stop its channel first", id, in.InUseBy)})
}

func (s *sqlStore) ClaimManagedInput(ctx context.Context, org, id, workflowID string) (domain.ManagedInput, error) {
	var in domain.ManagedInput
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if in, err = getManagedInput(ctx, c, org, id); err != nil {
			return err
		}
		args := append([]any{workflowID, org, id, workflowID}, activeStatuses()...)
		res, err := c.exec(ctx, `UPDATE managed_inputs SET in_use_by = ?
			WHERE org_id = ? AND id = ? AND (in_use_by = ? OR NOT (`+heldBy()+`))`, args...)
		if err := mustAffect(res, err, &domain.ConflictError{Message: fmt.Sprintf(
			"managed input %s is in use by workflow %s; one run at a time may use it", id, in.InUseBy)}); err != nil {
			return err
		}
		in.InUseBy = workflowID
		return nil
	})
	return in, err
}

func (s *sqlStore) ReleaseManagedInputs(ctx context.Context, org, workflowID string) error {
	_, err := s.conn().exec(ctx, `UPDATE managed_inputs SET in_use_by = NULL WHERE org_id = ? AND in_use_by = ?`, org, workflowID)
	return err
}
