package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"onair/internal/domain"
)

const runColumns = `id, org_id, workflow_id, region, status, cause,
	start_requested, started, stop_requested, stopped, inputs, archives, events, created, occurrence, options, alerts`

// ListRuns returns one page of the organization's runs, newest first, of one
// workflow when f.WorkflowID is set. An unknown workflow has no runs.
func (s *sqlStore) ListRuns(ctx context.Context, org string, f RunFilter) (RunPage, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return RunPage{}, err
	}
	var cond conditions
	cond.add("org_id = ?", org)
	if f.WorkflowID != "" {
		cond.add("workflow_id = ?", f.WorkflowID)
	}
	tail, err := pageQuery(s.d, &cond, f.Cursor, limit)
	if err != nil {
		return RunPage{}, err
	}
	rows, err := s.conn().query(ctx, `SELECT `+runColumns+` FROM runs`+tail, cond.args...)
	if err != nil {
		return RunPage{}, err
	}
	defer rows.Close()
	items := []domain.Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return RunPage{}, err
		}
		items = append(items, r)
	}
	if err := rows.Err(); err != nil {
		return RunPage{}, err
	}
	items, next := cutPage(items, limit, func(r domain.Run) (time.Time, string) { return r.Created, r.ID })
	return RunPage{Items: items, Next: next}, nil
}

func getRun(ctx context.Context, c conn, org, id string) (domain.Run, error) {
	r, err := scanRun(c.queryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE org_id = ? AND id = ?`, org, id))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Run{}, &domain.NotFoundError{Kind: "run", ID: id}
	}
	return r, err
}

func scanRun(s scanner) (domain.Run, error) {
	var r domain.Run
	err := s.Scan(runDest(&r)...)
	return r, err
}

// runDest is where the runColumns of a row go.
func runDest(r *domain.Run) []any {
	return []any{textCol{&r.ID}, textCol{&r.OrgID}, textCol{&r.WorkflowID}, textCol{&r.Region},
		textCol{(*string)(&r.Status)}, textCol{&r.Cause},
		nullTimeCol{&r.StartRequested}, nullTimeCol{&r.Started}, nullTimeCol{&r.StopRequested}, nullTimeCol{&r.Stopped},
		jsonCol{&r.Inputs}, jsonCol{&r.Archives}, jsonCol{&r.Events}, timeCol{&r.Created}, nullTimeCol{&r.Occurrence}, jsonCol{&r.Options}, jsonCol{&r.Alerts}}
}

// upsertRun inserts r, or updates it when its id exists. A run id that belongs
// to another workflow or organization is refused, not taken over; c is a
// transaction.
func upsertRun(ctx context.Context, c conn, r domain.Run) error {
	if r.ID == "" {
		return fmt.Errorf("store: run of workflow %q has no id", r.WorkflowID)
	}
	inputs, err := jsonText(r.Inputs)
	if err != nil {
		return fmt.Errorf("run %q inputs: %w", r.ID, err)
	}
	archives, err := jsonText(r.Archives)
	if err != nil {
		return fmt.Errorf("run %q archives: %w", r.ID, err)
	}
	events, err := jsonText(r.Events)
	if err != nil {
		return fmt.Errorf("run %q events: %w", r.ID, err)
	}
	options, err := jsonText(r.Options)
	if err != nil {
		return fmt.Errorf("run %q options: %w", r.ID, err)
	}
	alerts, err := jsonText(r.Alerts)
	if err != nil {
		return fmt.Errorf("run %q alerts: %w", r.ID, err)
	}
	d := c.d
	res, err := c.exec(ctx, `INSERT INTO runs (`+runColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			region = excluded.region, status = excluded.status, cause = excluded.cause,
			start_requested = excluded.start_requested, started = excluded.started,
			stop_requested = excluded.stop_requested, stopped = excluded.stopped,
			inputs = excluded.inputs, archives = excluded.archives, events = excluded.events,
			created = excluded.created, occurrence = excluded.occurrence, options = excluded.options,
			alerts = excluded.alerts
		WHERE runs.org_id = excluded.org_id AND runs.workflow_id = excluded.workflow_id`,
		r.ID, r.OrgID, r.WorkflowID, r.Region, string(r.Status), r.Cause,
		d.nullTime(r.StartRequested), d.nullTime(r.Started), d.nullTime(r.StopRequested), d.nullTime(r.Stopped),
		inputs, archives, events, d.time(r.Created), d.nullTime(r.Occurrence), options, alerts)
	conflict := &domain.ConflictError{Message: fmt.Sprintf("run %q belongs to another workflow", r.ID)}
	return mustAffect(res, err, conflict)
}
