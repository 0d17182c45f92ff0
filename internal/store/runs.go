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
	start_requested, started, stop_requested, stopped, inputs, archives, events, created, occurrence, options, alerts, destinations`

// ListRuns returns one page of the organization's runs, newest first, of one
// workflow when f.WorkflowID is set. An unknown workflow has no runs.
func (s *sqlStore) ListRuns(ctx context.Context, org string, f RunFilter) (RunPage, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return RunPage{}, err
	}
	q, args, err := runsQuery(s.d, org, f, limit, "", "")
	if err != nil {
		return RunPage{}, err
	}
	items, next, err := queryPage(ctx, s.conn(), limit, scanRun, runKey, q, args...)
	if err != nil {
		return RunPage{}, err
	}
	return RunPage{Items: items, Next: next}, nil
}

// ListChannels is ListRuns with what each run's channel shows of its
// workflow, joined in the same statement: one query per page, whatever its size.
func (s *sqlStore) ListChannels(ctx context.Context, org string, f RunFilter) (ChannelPage, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return ChannelPage{}, err
	}
	q, args, err := channelsQuery(s.d, org, f, limit)
	if err != nil {
		return ChannelPage{}, err
	}
	scan := func(r scanner) (ChannelRun, error) {
		var c ChannelRun
		w := &c.Workflow
		err := r.Scan(append(runDest(&c.Run), textCol{&w.ID}, textCol{&w.Name}, textCol{&w.Region},
			textCol{(*string)(&w.Status)}, textCol{&w.Cause}, textCol{(*string)(&w.Class)}, jsonCol{&w.PreparedInputs}, jsonCol{&w.LiveOutputs}, textCol{&w.PlayerPreview})...)
		return c, err
	}
	key := func(c ChannelRun) (time.Time, string) { return runKey(c.Run) }
	items, next, err := queryPage(ctx, s.conn(), limit, scan, key, q, args...)
	if err != nil {
		return ChannelPage{}, err
	}
	return ChannelPage{Items: items, Next: next}, nil
}

// channelWorkflowColumns are what a domain.ChannelWorkflow is read from.
const channelWorkflowColumns = `id, name, region, status, cause, channel_class, prepared_inputs, live_outputs, player_preview`

// channelsQuery is the statement that ListChannels runs, with its arguments.
func channelsQuery(d dialect, org string, f RunFilter, limit int) (string, []any, error) {
	return runsQuery(d, org, f, limit, ", "+qualify("w", channelWorkflowColumns),
		" JOIN workflows w ON w.org_id = r.org_id AND w.id = r.workflow_id")
}

// runsQuery is the statement that lists the runs f selects, newest first, as
// runs r: their runColumns, then more columns from what join adds.
func runsQuery(d dialect, org string, f RunFilter, limit int, more, join string) (string, []any, error) {
	var cond conditions
	cond.add("r.org_id = ?", org)
	if f.WorkflowID != "" {
		cond.add("r.workflow_id = ?", f.WorkflowID)
	}
	tail, err := pageQuery(d, &cond, pageKey{created: "r.created", id: "r.id"}, f.Cursor, limit)
	if err != nil {
		return "", nil, err
	}
	return `SELECT ` + qualify("r", runColumns) + more + ` FROM runs r` + join + tail, cond.args, nil
}

func runKey(r domain.Run) (time.Time, string) { return r.Created, r.ID }

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
		jsonCol{&r.Inputs}, jsonCol{&r.Archives}, jsonCol{&r.Events}, timeCol{&r.Created}, nullTimeCol{&r.Occurrence}, jsonCol{&r.Options}, jsonCol{&r.Alerts}, jsonCol{&r.Destinations}}
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
	destinations, err := jsonText(r.Destinations)
	if err != nil {
		return fmt.Errorf("run %q destinations: %w", r.ID, err)
	}
	d := c.d
	res, err := c.exec(ctx, `INSERT INTO runs (`+runColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			region = excluded.region, status = excluded.status, cause = excluded.cause,
			start_requested = excluded.start_requested, started = excluded.started,
			stop_requested = excluded.stop_requested, stopped = excluded.stopped,
			inputs = excluded.inputs, archives = excluded.archives, events = excluded.events,
			created = excluded.created, occurrence = excluded.occurrence, options = excluded.options,
			alerts = excluded.alerts, destinations = excluded.destinations
		WHERE runs.org_id = excluded.org_id AND runs.workflow_id = excluded.workflow_id`,
		r.ID, r.OrgID, r.WorkflowID, r.Region, string(r.Status), r.Cause,
		d.nullTime(r.StartRequested), d.nullTime(r.Started), d.nullTime(r.StopRequested), d.nullTime(r.Stopped),
		inputs, archives, events, d.time(r.Created), d.nullTime(r.Occurrence), options, alerts, destinations)
	conflict := &domain.ConflictError{Message: fmt.Sprintf("run %q belongs to another workflow", r.ID)}
	return mustAffect(res, err, conflict)
}
