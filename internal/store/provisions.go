package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"onair/internal/domain"
)

// Provisions. A provision is keyed by its scope and stream name across
// organizations, as RTMP paths are; provision_names holds every name it
// answers for under its scope, so that two provisions never claim one.

const provisionColumns = `scope, name, org_id, meta, workflows, created, updated`

func scanProvision(r scanner) (domain.Provision, error) {
	var p domain.Provision
	err := r.Scan(textCol{&p.Scope}, textCol{&p.Name}, textCol{&p.OrgID}, jsonCol{&p.Meta}, jsonCol{&p.Workflows},
		timeCol{&p.Created}, timeCol{&p.Updated})
	if p.Workflows == nil {
		p.Workflows = map[string]string{}
	}
	return p, err
}

func provisionNotFound(scope, name string) error {
	return &domain.NotFoundError{Kind: "provision", ID: scope + "/" + name}
}

func (s *sqlStore) CreateProvision(ctx context.Context, p domain.Provision) error {
	return s.inTx(ctx, func(c conn) error {
		meta, workflows, err := provisionJSON(p)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, `INSERT INTO provisions (`+provisionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, p.Scope, p.Name, p.OrgID, meta, workflows, c.d.time(p.Created), c.d.time(p.Updated))
		if err := mustAffect(res, err, nil); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &domain.ConflictError{Message: fmt.Sprintf("a provision for %s/%s already exists; update it with PUT", p.Scope, p.Name)}
		}
		return claimProvisionNames(ctx, c, p)
	})
}

// claimProvisionNames records the names p answers for, refusing one that
// another provision of its scope answers for.
func claimProvisionNames(ctx context.Context, c conn, p domain.Provision) error {
	for _, n := range p.PathNames() {
		res, err := c.exec(ctx, `INSERT INTO provision_names (scope, name, provision_name) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, p.Scope, n, p.Name)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil {
			return err
		} else if k == 0 {
			var owner string
			if err := c.queryRow(ctx, `SELECT provision_name FROM provision_names WHERE scope = ? AND name = ?`, p.Scope, n).Scan(&owner); err != nil {
				return err
			}
			if owner == p.Name {
				continue // the stream's own name as a variant's: Validate refuses that
			}
			return &domain.ConflictError{Message: fmt.Sprintf("%s/%s is already the stream or a variant of the provision %s/%s", p.Scope, n, p.Scope, owner)}
		}
	}
	return nil
}

func provisionJSON(p domain.Provision) (meta, workflows string, err error) {
	if meta, err = jsonText(p.Meta); err != nil {
		return "", "", err
	}
	if p.Workflows == nil {
		p.Workflows = map[string]string{}
	}
	workflows, err = jsonText(p.Workflows)
	return meta, workflows, err
}

func (s *sqlStore) GetProvision(ctx context.Context, org, scope, name string) (domain.Provision, error) {
	return getProvision(ctx, s.conn(), org, scope, name, false)
}

func getProvision(ctx context.Context, c conn, org, scope, name string, lock bool) (domain.Provision, error) {
	q := `SELECT ` + provisionColumns + ` FROM provisions WHERE org_id = ? AND scope = ? AND name = ?`
	if lock {
		q += c.d.forUpdate
	}
	p, err := scanProvision(c.queryRow(ctx, q, org, scope, name))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Provision{}, provisionNotFound(scope, name)
	}
	return p, err
}

func (s *sqlStore) ListProvisions(ctx context.Context, org string) ([]domain.Provision, error) {
	rows, err := s.conn().query(ctx, `SELECT `+provisionColumns+` FROM provisions WHERE org_id = ? ORDER BY scope, name`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Provision{}
	for rows.Next() {
		p, err := scanProvision(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *sqlStore) UpdateProvision(ctx context.Context, org, scope, name string, fn func(*domain.Provision) error) (domain.Provision, error) {
	var written domain.Provision
	err := s.inTx(ctx, func(c conn) error {
		stored, err := getProvision(ctx, c, org, scope, name, true)
		if err != nil {
			return err
		}
		p := stored
		p.Workflows = make(map[string]string, len(stored.Workflows))
		for k, v := range stored.Workflows {
			p.Workflows[k] = v
		}
		if err := fn(&p); err != nil {
			return err
		}
		p.Scope, p.Name, p.OrgID, p.Created = stored.Scope, stored.Name, stored.OrgID, stored.Created
		meta, workflows, err := provisionJSON(p)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM provision_names WHERE scope = ? AND provision_name = ?`, scope, name); err != nil {
			return err
		}
		if err := claimProvisionNames(ctx, c, p); err != nil {
			return err
		}
		res, err := c.exec(ctx, `UPDATE provisions SET meta = ?, workflows = ?, updated = ? WHERE org_id = ? AND scope = ? AND name = ?`,
			meta, workflows, c.d.time(p.Updated), org, scope, name)
		if err := mustAffect(res, err, provisionNotFound(scope, name)); err != nil {
			return err
		}
		written, err = getProvision(ctx, c, org, scope, name, false)
		return err
	})
	return written, err
}

func (s *sqlStore) DeleteProvision(ctx context.Context, org, scope, name string) (domain.Provision, error) {
	var deleted domain.Provision
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if deleted, err = getProvision(ctx, c, org, scope, name, true); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM provision_names WHERE scope = ? AND provision_name = ?`, scope, name); err != nil {
			return err
		}
		res, err := c.exec(ctx, `DELETE FROM provisions WHERE org_id = ? AND scope = ? AND name = ?`, org, scope, name)
		return mustAffect(res, err, provisionNotFound(scope, name))
	})
	return deleted, err
}

func (s *sqlStore) ProvisionByName(ctx context.Context, scope, name string) (domain.Provision, bool, error) {
	p, err := scanProvision(s.conn().queryRow(ctx, `SELECT `+qualify("p", provisionColumns)+`
		FROM provision_names n JOIN provisions p ON p.scope = n.scope AND p.name = n.provision_name
		WHERE n.scope = ? AND n.name = ?`, scope, name))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Provision{}, false, nil
	}
	return p, err == nil, err
}

func (s *sqlStore) ProvisionOfWorkflow(ctx context.Context, workflowID string) (domain.Provision, bool, error) {
	quoted, err := jsonText(workflowID) // as the workflows JSON holds it, so only a whole id matches
	if err != nil {
		return domain.Provision{}, false, err
	}
	rows, err := s.conn().query(ctx, `SELECT `+provisionColumns+` FROM provisions WHERE `+s.d.containsText("workflows"), quoted)
	if err != nil {
		return domain.Provision{}, false, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanProvision(rows)
		if err != nil {
			return domain.Provision{}, false, err
		}
		for _, id := range p.Workflows {
			if id == workflowID {
				return p, true, nil
			}
		}
	}
	return domain.Provision{}, false, rows.Err()
}

func (s *sqlStore) ProvisionWorkflow(ctx context.Context, org, scope, name, runName string, wf domain.Workflow) (string, error) {
	var id string
	err := s.inTx(ctx, func(c conn) error {
		p, err := getProvision(ctx, c, org, scope, name, true)
		if err != nil {
			return err
		}
		if id = p.Workflows[runName]; id != "" {
			switch _, err := getWorkflow(ctx, c, org, id, false); {
			case err == nil:
				return nil
			case !errors.Is(err, domain.ErrNotFound):
				return err
			}
		}
		if err := insertWorkflow(ctx, c, wf); err != nil {
			return err
		}
		p.Workflows[runName], id = wf.ID, wf.ID
		_, workflows, err := provisionJSON(p)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, `UPDATE provisions SET workflows = ? WHERE org_id = ? AND scope = ? AND name = ?`, workflows, org, scope, name)
		return mustAffect(res, err, provisionNotFound(scope, name))
	})
	return id, err
}
