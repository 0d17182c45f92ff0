package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"onair/internal/domain"
)

// Mapping workflows to rows and back. A workflow's tags are kept twice: as a JSON
// array in its row, in the user's order, and one row each in workflow_tags, with
// the workflow's creation time, which the tag filter walks. The blueprint's
// channel class is kept beside the snapshot, for lists.

const workflowColumns = `id, org_id, name, description, region, status, cause, blueprint_id,
	blueprint, tags, schedule, create_archives, run_id, created, updated, schedule_state, prepared_inputs,
	playout_profiles, event_state`

func scanWorkflow(r scanner) (domain.Workflow, error) {
	var w domain.Workflow
	err := r.Scan(workflowDest(&w)...)
	return w, err
}

// workflowDest is where the workflowColumns of a row go.
func workflowDest(w *domain.Workflow) []any {
	return []any{textCol{&w.ID}, textCol{&w.OrgID}, textCol{&w.Name}, textCol{&w.Description}, textCol{&w.Region},
		textCol{(*string)(&w.Status)}, textCol{&w.Cause}, textCol{&w.BlueprintID},
		jsonCol{&w.Blueprint}, jsonCol{&w.Tags}, jsonCol{&w.Schedule}, &w.CreateArchives, textCol{&w.RunID},
		timeCol{&w.Created}, timeCol{&w.Updated}, jsonCol{&w.ScheduleState}, jsonCol{&w.PreparedInputs},
		jsonCol{&w.PlayoutProfileIDs}, jsonCol{&w.EventState}}
}

// workflowValues are the values of every column but id and org_id, in the order
// of writableWorkflowColumns.
func workflowValues(d dialect, w domain.Workflow) ([]any, error) {
	blueprint, err := jsonText(w.Blueprint)
	if err != nil {
		return nil, fmt.Errorf("workflow %q blueprint: %w", w.ID, err)
	}
	tags, err := jsonText(w.Tags)
	if err != nil {
		return nil, fmt.Errorf("workflow %q tags: %w", w.ID, err)
	}
	var schedule sql.NullString
	if w.Schedule != nil {
		if schedule.String, err = jsonText(w.Schedule); err != nil {
			return nil, fmt.Errorf("workflow %q schedule: %w", w.ID, err)
		}
		schedule.Valid = true
	}
	state, err := jsonText(w.ScheduleState)
	if err != nil {
		return nil, fmt.Errorf("workflow %q schedule state: %w", w.ID, err)
	}
	prepared, err := jsonText(w.PreparedInputs)
	if err != nil {
		return nil, fmt.Errorf("workflow %q prepared inputs: %w", w.ID, err)
	}
	profiles, err := jsonText(w.PlayoutProfileIDs)
	if err != nil {
		return nil, fmt.Errorf("workflow %q playout profiles: %w", w.ID, err)
	}
	var eventState sql.NullString
	if w.EventState != nil {
		if eventState.String, err = jsonText(w.EventState); err != nil {
			return nil, fmt.Errorf("workflow %q event state: %w", w.ID, err)
		}
		eventState.Valid = true
	}
	outputs, err := jsonText(w.Blueprint.Settings.LiveOutputs())
	if err != nil {
		return nil, fmt.Errorf("workflow %q live outputs: %w", w.ID, err)
	}
	return []any{
		w.Name, fold(w.Name), w.Description, fold(w.Description), w.Region, string(w.Status), w.Cause,
		w.BlueprintID, blueprint, tags, schedule, w.CreateArchives, nullString(w.RunID),
		d.time(w.Created), d.time(w.Updated), state, prepared, string(w.Blueprint.Settings.Channel.Class), outputs, w.PlayerPreview(),
		profiles, eventState,
	}, nil
}

const writableWorkflowColumns = "name, name_fold, description, description_fold, region, status, cause, " +
	"blueprint_id, blueprint, tags, schedule, create_archives, run_id, created, updated, schedule_state, prepared_inputs, " +
	"channel_class, live_outputs, player_preview, playout_profiles, event_state"

// insertWorkflow adds w and its tags; c is a transaction.
func insertWorkflow(ctx context.Context, c conn, w domain.Workflow) error {
	values, err := workflowValues(c.d, w)
	if err != nil {
		return err
	}
	args := append([]any{w.ID, w.OrgID}, values...)
	res, err := c.exec(ctx, `INSERT INTO workflows (id, org_id, `+writableWorkflowColumns+`)
		VALUES (`+placeholders(len(args))+`) ON CONFLICT DO NOTHING`, args...)
	conflict := &domain.ConflictError{Message: fmt.Sprintf("workflow %q already exists", w.ID)}
	if err := mustAffect(res, err, conflict); err != nil {
		return err
	}
	if err := insertTags(ctx, c, w); err != nil {
		return err
	}
	return insertPlayoutLinks(ctx, c, w)
}

// updateWorkflow writes every column of w and rewrites its tags; c is a transaction.
func updateWorkflow(ctx context.Context, c conn, w domain.Workflow) error {
	values, err := workflowValues(c.d, w)
	if err != nil {
		return err
	}
	set := strings.ReplaceAll(writableWorkflowColumns, ",", " = ?,") + " = ?"
	res, err := c.exec(ctx, `UPDATE workflows SET `+set+` WHERE org_id = ? AND id = ?`,
		append(values, w.OrgID, w.ID)...)
	if err := mustAffect(res, err, &domain.NotFoundError{Kind: "workflow", ID: w.ID}); err != nil {
		return err
	}
	if _, err := c.exec(ctx, `DELETE FROM workflow_tags WHERE org_id = ? AND workflow_id = ?`, w.OrgID, w.ID); err != nil {
		return err
	}
	if err := insertTags(ctx, c, w); err != nil {
		return err
	}
	if _, err := c.exec(ctx, `DELETE FROM workflow_playout_profiles WHERE workflow_id = ?`, w.ID); err != nil {
		return err
	}
	return insertPlayoutLinks(ctx, c, w)
}

// insertPlayoutLinks records which playout profiles the workflow has, for
// the profiles' event lists; c is a transaction.
func insertPlayoutLinks(ctx context.Context, c conn, w domain.Workflow) error {
	for _, id := range distinct(w.PlayoutProfileIDs) {
		if _, err := c.exec(ctx, `INSERT INTO workflow_playout_profiles (org_id, workflow_id, profile_id) VALUES (?, ?, ?)`,
			w.OrgID, w.ID, id); err != nil {
			return err
		}
	}
	return nil
}

func insertTags(ctx context.Context, c conn, w domain.Workflow) error {
	tags := distinct(w.Tags)
	if len(tags) == 0 {
		return nil
	}
	rows := make([]string, len(tags))
	args := make([]any, 0, 4*len(tags))
	for i, t := range tags {
		rows[i] = "(?, ?, ?, ?)"
		args = append(args, w.OrgID, w.ID, t, c.d.time(w.Created))
	}
	_, err := c.exec(ctx, `INSERT INTO workflow_tags (org_id, workflow_id, tag, created) VALUES `+strings.Join(rows, ", "), args...)
	return err
}

// fold is how search compares text: both the stored name and description and the
// search string are lowered here, in Go, because neither SQLite's lower() (ASCII
// only) nor PostgreSQL's under the C locale lowers other letters.
func fold(s string) string { return strings.ToLower(s) }

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
