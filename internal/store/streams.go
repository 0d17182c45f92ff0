package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"onair/internal/domain"
)

// Streams. A stream's sessions (session id → archive directory) are one JSON
// column: they are only ever read and written with the stream.

const streamColumns = `id, org_id, name, description, blueprint_id, workflow_id, input_id, segment_length,
	startover_window_seconds, key_rotation_interval, cloudfront_associated, archives_path,
	current_session_id, last_started, last_stopped, last_update, created`

func scanStream(r scanner) (domain.Stream, error) {
	var st domain.Stream
	err := r.Scan(textCol{&st.ID}, textCol{&st.OrgID}, textCol{&st.Name}, textCol{&st.Description},
		textCol{&st.BlueprintID}, textCol{&st.WorkflowID}, textCol{&st.InputID}, &st.SegmentLength,
		&st.StartoverWindowSeconds, &st.KeyRotationInterval, &st.CloudfrontAssociated, jsonCol{&st.ArchivesPath},
		textCol{&st.CurrentSessionID}, nullTimeCol{&st.LastStarted}, nullTimeCol{&st.LastStopped},
		timeCol{&st.LastUpdate}, timeCol{&st.Created})
	if st.ArchivesPath == nil {
		st.ArchivesPath = map[string]string{}
	}
	return st, err
}

// archivesJSON encodes a stream's sessions, never as null.
func archivesJSON(m map[string]string) (string, error) {
	if m == nil {
		m = map[string]string{}
	}
	return jsonText(m)
}

func (s *sqlStore) CreateStream(ctx context.Context, st domain.Stream) error {
	archives, err := archivesJSON(st.ArchivesPath)
	if err != nil {
		return err
	}
	d := s.d
	res, err := s.conn().exec(ctx, `INSERT INTO streams (`+streamColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		st.ID, st.OrgID, st.Name, st.Description, st.BlueprintID, st.WorkflowID, st.InputID, st.SegmentLength,
		st.StartoverWindowSeconds, st.KeyRotationInterval, st.CloudfrontAssociated, archives,
		st.CurrentSessionID, d.nullTime(st.LastStarted), d.nullTime(st.LastStopped), d.time(st.LastUpdate), d.time(st.Created))
	return mustAffect(res, err, &domain.ConflictError{Message: fmt.Sprintf("stream %q already exists", st.ID)})
}

func (s *sqlStore) GetStream(ctx context.Context, org, id string) (domain.Stream, error) {
	return getStream(ctx, s.conn(), org, id, false)
}

func getStream(ctx context.Context, c conn, org, id string, lock bool) (domain.Stream, error) {
	q := `SELECT ` + streamColumns + ` FROM streams WHERE org_id = ? AND id = ?`
	if lock {
		q += c.d.forUpdate
	}
	st, err := scanStream(c.queryRow(ctx, q, org, id))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Stream{}, &domain.NotFoundError{Kind: "stream", ID: id}
	}
	return st, err
}

func (s *sqlStore) ListStreams(ctx context.Context, org string) ([]domain.Stream, error) {
	rows, err := s.conn().query(ctx, `SELECT `+streamColumns+` FROM streams WHERE org_id = ?
		ORDER BY created DESC, id DESC`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Stream{}
	for rows.Next() {
		st, err := scanStream(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

func (s *sqlStore) UpdateStream(ctx context.Context, org, id string, fn func(*domain.Stream) error) (domain.Stream, error) {
	var written domain.Stream
	err := s.inTx(ctx, func(c conn) error {
		stored, err := getStream(ctx, c, org, id, true)
		if err != nil {
			return err
		}
		st := stored
		st.ArchivesPath = make(map[string]string, len(stored.ArchivesPath))
		for k, v := range stored.ArchivesPath {
			st.ArchivesPath[k] = v
		}
		if err := fn(&st); err != nil {
			return err
		}
		// What identifies the stream and ties it to its workflow and input stays.
		st.ID, st.OrgID, st.BlueprintID, st.WorkflowID, st.InputID, st.Created =
			stored.ID, stored.OrgID, stored.BlueprintID, stored.WorkflowID, stored.InputID, stored.Created
		archives, err := archivesJSON(st.ArchivesPath)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, `UPDATE streams SET name = ?, description = ?, segment_length = ?,
			startover_window_seconds = ?, key_rotation_interval = ?, cloudfront_associated = ?, archives_path = ?,
			current_session_id = ?, last_started = ?, last_stopped = ?, last_update = ?
			WHERE org_id = ? AND id = ?`,
			st.Name, st.Description, st.SegmentLength, st.StartoverWindowSeconds, st.KeyRotationInterval,
			st.CloudfrontAssociated, archives, st.CurrentSessionID, c.d.nullTime(st.LastStarted),
			c.d.nullTime(st.LastStopped), c.d.time(st.LastUpdate), org, id)
		if err := mustAffect(res, err, &domain.NotFoundError{Kind: "stream", ID: id}); err != nil {
			return err
		}
		written, err = getStream(ctx, c, org, id, false)
		return err
	})
	if err != nil {
		return domain.Stream{}, err
	}
	return written, nil
}

func (s *sqlStore) DeleteStream(ctx context.Context, org, id string, check func(domain.Workflow) error) error {
	return s.inTx(ctx, func(c conn) error {
		st, err := getStream(ctx, c, org, id, true)
		if err != nil {
			return err
		}
		// The workflow first: once it is gone, it holds the input no more.
		switch wf, err := getWorkflow(ctx, c, org, st.WorkflowID, true); {
		case err == nil:
			if check != nil {
				if err := check(wf); err != nil {
					return err
				}
			}
			if err := deleteWorkflowRows(ctx, c, org, wf.ID); err != nil {
				return err
			}
		case !errors.Is(err, domain.ErrNotFound):
			return err
		}
		if err := deleteManagedInput(ctx, c, org, st.InputID); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		res, err := c.exec(ctx, `DELETE FROM streams WHERE org_id = ? AND id = ?`, org, id)
		return mustAffect(res, err, &domain.NotFoundError{Kind: "stream", ID: id})
	})
}

func (s *sqlStore) ArchivePathInUse(ctx context.Context, dir string) (bool, error) {
	rows, err := s.conn().query(ctx, `SELECT archives_path FROM streams`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var paths map[string]string
		if err := rows.Scan(jsonCol{&paths}); err != nil {
			return false, err
		}
		for _, p := range paths {
			if domain.ArchivePathsOverlap(p, dir) {
				return true, nil
			}
		}
	}
	return false, rows.Err()
}
