package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"onair/internal/domain"
)

// Playout profiles, the workflows they are attached to, and the manifests
// that exist on the origin for them.

const playoutProfileColumns = `id, org_id, name, configuration_json, created, updated`

func scanPlayoutProfile(r scanner) (domain.PlayoutProfile, error) {
	var p domain.PlayoutProfile
	if err := r.Scan(textCol{&p.ID}, textCol{&p.OrgID}, textCol{&p.Name}, textCol{&p.ConfigurationJSON},
		timeCol{&p.Created}, timeCol{&p.Updated}); err != nil {
		return p, err
	}
	// Stored only after it parsed: an error here is a newer rule over an
	// older profile, which still loads with what could be read.
	p.Config, _ = domain.ParsePlayoutConfig(p.ConfigurationJSON)
	return p, nil
}

func playoutProfileNotFound(id string) error {
	return &domain.NotFoundError{Kind: "playout profile", ID: id}
}

func (s *sqlStore) CreatePlayoutProfile(ctx context.Context, p domain.PlayoutProfile) error {
	res, err := s.conn().exec(ctx, `INSERT INTO playout_profiles (`+playoutProfileColumns+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, p.ID, p.OrgID, p.Name, p.ConfigurationJSON, s.d.time(p.Created), s.d.time(p.Updated))
	return mustAffect(res, err, &domain.ConflictError{Message: fmt.Sprintf("playout profile %q already exists", p.ID)})
}

func (s *sqlStore) GetPlayoutProfile(ctx context.Context, org, id string) (domain.PlayoutProfile, error) {
	return getPlayoutProfile(ctx, s.conn(), org, id, false)
}

func getPlayoutProfile(ctx context.Context, c conn, org, id string, lock bool) (domain.PlayoutProfile, error) {
	q := `SELECT ` + playoutProfileColumns + ` FROM playout_profiles WHERE org_id = ? AND id = ?`
	if lock {
		q += c.d.forUpdate
	}
	p, err := scanPlayoutProfile(c.queryRow(ctx, q, org, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, playoutProfileNotFound(id)
	}
	return p, err
}

func (s *sqlStore) ListPlayoutProfiles(ctx context.Context, org string) ([]domain.PlayoutProfile, error) {
	return queryList(ctx, s.conn(), scanPlayoutProfile, `SELECT `+playoutProfileColumns+` FROM playout_profiles WHERE org_id = ? ORDER BY created, id`, org)
}

func (s *sqlStore) UpdatePlayoutProfile(ctx context.Context, org, id string, fn func(*domain.PlayoutProfile) error) (domain.PlayoutProfile, error) {
	var p domain.PlayoutProfile
	err := s.inTx(ctx, func(c conn) error {
		stored, err := getPlayoutProfile(ctx, c, org, id, true)
		if err != nil {
			return err
		}
		p = stored
		if err := fn(&p); err != nil {
			return err
		}
		p.ID, p.OrgID, p.Created = stored.ID, stored.OrgID, stored.Created
		res, err := c.exec(ctx, `UPDATE playout_profiles SET name = ?, configuration_json = ?, updated = ? WHERE org_id = ? AND id = ?`,
			p.Name, p.ConfigurationJSON, c.d.time(p.Updated), org, id)
		return mustAffect(res, err, playoutProfileNotFound(id))
	})
	return p, err
}

// DeletePlayoutProfile deletes a profile and takes it off every workflow it
// was attached to, in one transaction; the manifests it has on the origin
// are the sync controller's to remove.
func (s *sqlStore) DeletePlayoutProfile(ctx context.Context, org, id string) (domain.PlayoutProfile, error) {
	var p domain.PlayoutProfile
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if p, err = getPlayoutProfile(ctx, c, org, id, true); err != nil {
			return err
		}
		events, err := playoutEvents(ctx, c, org, id)
		if err != nil {
			return err
		}
		for _, wfID := range events {
			w, err := getWorkflow(ctx, c, org, wfID, true)
			if err != nil {
				return err
			}
			w.PlayoutProfileIDs = slices.DeleteFunc(w.PlayoutProfileIDs, func(p string) bool { return p == id })
			if err := updateWorkflow(ctx, c, w); err != nil {
				return err
			}
		}
		res, err := c.exec(ctx, `DELETE FROM playout_profiles WHERE org_id = ? AND id = ?`, org, id)
		return mustAffect(res, err, playoutProfileNotFound(id))
	})
	return p, err
}

func (s *sqlStore) PlayoutEvents(ctx context.Context, org, profileID string) ([]string, error) {
	return playoutEvents(ctx, s.conn(), org, profileID)
}

func playoutEvents(ctx context.Context, c conn, org, profileID string) ([]string, error) {
	return queryList(ctx, c, func(r scanner) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	}, `SELECT l.workflow_id FROM workflow_playout_profiles l JOIN workflows w ON w.id = l.workflow_id
		WHERE l.org_id = ? AND l.profile_id = ? ORDER BY w.created, w.id`, org, profileID)
}

// PlayoutChannels lists, across organizations, the workflows with a
// playout profile attached or a playout manifest on the origin.
func (s *sqlStore) PlayoutChannels(ctx context.Context) ([]ChannelRef, error) {
	return queryList(ctx, s.conn(), func(r scanner) (ChannelRef, error) {
		var c ChannelRef
		err := r.Scan(&c.OrgID, &c.WorkflowID)
		return c, err
	}, `SELECT DISTINCT org_id, workflow_id FROM (
		SELECT org_id, workflow_id FROM workflow_playout_profiles
		UNION SELECT org_id, workflow_id FROM playout_manifests) t ORDER BY org_id, workflow_id`)
}

const playoutManifestColumns = `path, org_id, workflow_id, profile_id, configuration_json, created, updated`

func scanPlayoutManifest(r scanner) (domain.PlayoutManifest, error) {
	var m domain.PlayoutManifest
	err := r.Scan(textCol{&m.Path}, textCol{&m.OrgID}, textCol{&m.WorkflowID}, textCol{&m.ProfileID},
		textCol{&m.ConfigurationJSON}, timeCol{&m.Created}, timeCol{&m.Updated})
	return m, err
}

func (s *sqlStore) PlayoutManifests(ctx context.Context, org, workflowID string) ([]domain.PlayoutManifest, error) {
	return queryList(ctx, s.conn(), scanPlayoutManifest, `SELECT `+playoutManifestColumns+` FROM playout_manifests
		WHERE org_id = ? AND workflow_id = ? ORDER BY created, path`, org, workflowID)
}

func (s *sqlStore) PlayoutManifest(ctx context.Context, path string) (domain.PlayoutManifest, bool, error) {
	m, err := scanPlayoutManifest(s.conn().queryRow(ctx, `SELECT `+playoutManifestColumns+` FROM playout_manifests WHERE path = ?`, path))
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	return m, err == nil, err
}

// PutPlayoutManifest creates the manifest of an event and profile, or
// moves and updates the one it has. A path that another event's or
// profile's manifest holds is a *domain.ConflictError.
func (s *sqlStore) PutPlayoutManifest(ctx context.Context, m domain.PlayoutManifest) error {
	return s.inTx(ctx, func(c conn) error {
		owner, err := scanPlayoutManifest(c.queryRow(ctx, `SELECT `+playoutManifestColumns+` FROM playout_manifests WHERE path = ?`, m.Path))
		switch {
		case err == nil && (owner.WorkflowID != m.WorkflowID || owner.ProfileID != m.ProfileID):
			// Another event's, perhaps another organization's: named by
			// its path alone.
			return &domain.ConflictError{Message: fmt.Sprintf("%s is already another event's manifest: give the profile a manifestFile with {0} in it", m.Path)}
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM playout_manifests WHERE workflow_id = ? AND profile_id = ?`, m.WorkflowID, m.ProfileID); err != nil {
			return err
		}
		_, err = c.exec(ctx, `INSERT INTO playout_manifests (`+playoutManifestColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.Path, m.OrgID, m.WorkflowID, m.ProfileID, m.ConfigurationJSON, c.d.time(m.Created), c.d.time(m.Updated))
		return err
	})
}

func (s *sqlStore) DeletePlayoutManifest(ctx context.Context, workflowID, profileID string) error {
	_, err := s.conn().exec(ctx, `DELETE FROM playout_manifests WHERE workflow_id = ? AND profile_id = ?`, workflowID, profileID)
	return err
}
