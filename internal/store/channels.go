package store

import (
	"context"
	"database/sql"
	"errors"

	"onair/internal/domain"
)

// A channel is a workflow with its current run, workflows.run_id. UpdateChannel
// is the one way both change, so that the API and the controllers never
// overwrite each other's changes.

// GetChannel returns a workflow with its current run, nil before the first start.
// One statement reads both, so that they come from one snapshot: two would let
// an UpdateChannel commit in between and pair a workflow with a newer run.
func (s *sqlStore) GetChannel(ctx context.Context, org, workflowID string) (domain.Channel, error) {
	var (
		w domain.Workflow
		r domain.Run
	)
	row := s.conn().queryRow(ctx, `SELECT `+qualify("w", workflowColumns)+`, `+qualify("r", runColumns)+`
		FROM workflows w LEFT JOIN runs r ON r.org_id = w.org_id AND r.id = w.run_id
		WHERE w.org_id = ? AND w.id = ?`, org, workflowID)
	err := row.Scan(append(workflowDest(&w), runDest(&r)...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Channel{}, &domain.NotFoundError{Kind: "workflow", ID: workflowID}
	}
	if err != nil {
		return domain.Channel{}, err
	}
	ch := domain.Channel{Workflow: w}
	if w.RunID != "" {
		if r.ID == "" {
			return domain.Channel{}, &domain.NotFoundError{Kind: "run", ID: w.RunID}
		}
		ch.Run = &r
	}
	return ch, nil
}

// UpdateChannel reads and locks the workflow and its current run, lets fn change
// them, and writes back what fn left, all in one transaction. fn's error rolls
// back and is returned as is.
//
// The written channel is consistent whatever fn did: the workflow keeps its id
// and organization, the run belongs to them, and the workflow's RunID is the
// run's id (a new run becomes the current one; a nil Run leaves none current).
func (s *sqlStore) UpdateChannel(ctx context.Context, org, workflowID string, fn func(*domain.Channel) error) (domain.Channel, error) {
	var written domain.Channel
	err := s.inTx(ctx, func(c conn) error {
		ch, err := lockChannel(ctx, c, org, workflowID)
		if err != nil {
			return err
		}
		if err := fn(&ch); err != nil {
			return err
		}
		ch = settle(ch, org, workflowID)
		if ch.Run != nil {
			if err := upsertRun(ctx, c, *ch.Run); err != nil {
				return err
			}
		}
		if err := updateWorkflow(ctx, c, ch.Workflow); err != nil {
			return err
		}
		written = ch
		return nil
	})
	if err != nil {
		return domain.Channel{}, err
	}
	return written, nil
}

// ActiveChannels lists, across organizations, the workflows in a status that
// holds resources (domain.Status.Active), oldest first.
func (s *sqlStore) ActiveChannels(ctx context.Context) ([]ChannelRef, error) {
	active := activeStatuses()
	return s.channelRefs(ctx, `status IN (`+placeholders(len(active))+`)`, active...)
}

// ScheduledChannels lists, across organizations, the workflows with a schedule.
func (s *sqlStore) ScheduledChannels(ctx context.Context) ([]ChannelRef, error) {
	return s.channelRefs(ctx, `schedule IS NOT NULL`)
}

// channelRefs lists the workflows that match a condition, oldest first.
func (s *sqlStore) channelRefs(ctx context.Context, where string, args ...any) ([]ChannelRef, error) {
	rows, err := s.conn().query(ctx, `SELECT org_id, id FROM workflows WHERE `+where+` ORDER BY created, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	refs := []ChannelRef{}
	for rows.Next() {
		var ref ChannelRef
		if err := rows.Scan(&ref.OrgID, &ref.WorkflowID); err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	return refs, rows.Err()
}

// lockChannel locks a workflow and then reads its current run, in a transaction.
// Only the workflow's row is locked: every change to its runs goes through it, so
// the run read after the lock is the latest. (A join with FOR UPDATE would not do
// on PostgreSQL: when it waits for another update of the workflow, it re-reads
// the workflow's row but not a run inserted since the statement began.)
func lockChannel(ctx context.Context, c conn, org, workflowID string) (domain.Channel, error) {
	w, err := getWorkflow(ctx, c, org, workflowID, true)
	if err != nil {
		return domain.Channel{}, err
	}
	ch := domain.Channel{Workflow: w}
	if w.RunID != "" {
		r, err := getRun(ctx, c, org, w.RunID)
		if err != nil {
			return domain.Channel{}, err
		}
		ch.Run = &r
	}
	return ch, nil
}

// settle makes the channel that fn left consistent and gives it the values the
// database will return: UTC times at microsecond precision.
func settle(ch domain.Channel, org, workflowID string) domain.Channel {
	w := ch.Workflow
	w.ID, w.OrgID = workflowID, org
	w.Created, w.Updated = storedTime(w.Created), storedTime(w.Updated)
	w.RunID = ""
	if ch.Run != nil {
		r := *ch.Run
		r.OrgID, r.WorkflowID = org, workflowID
		r.Created = storedTime(r.Created)
		r.StartRequested = storedTimePtr(r.StartRequested)
		r.Started = storedTimePtr(r.Started)
		r.StopRequested = storedTimePtr(r.StopRequested)
		r.Stopped = storedTimePtr(r.Stopped)
		w.RunID = r.ID
		ch.Run = &r
	}
	ch.Workflow = w
	return ch
}
