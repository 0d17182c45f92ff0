package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"onair/internal/domain"
)

// An organization's own blueprints. Built-in ones live in code, so BuiltIn is
// never stored and always comes back false.

const blueprintColumns = `id, name, description, featured, tags, settings`

// ListBlueprints returns the organization's blueprints, by id.
func (s *sqlStore) ListBlueprints(ctx context.Context, org string) ([]domain.Blueprint, error) {
	rows, err := s.conn().query(ctx, `SELECT `+blueprintColumns+` FROM blueprints WHERE org_id = ? ORDER BY id`, org)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []domain.Blueprint{}
	for rows.Next() {
		b, err := scanBlueprint(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, b)
	}
	return list, rows.Err()
}

// GetBlueprint returns one of the organization's blueprints.
func (s *sqlStore) GetBlueprint(ctx context.Context, org, id string) (domain.Blueprint, error) {
	row := s.conn().queryRow(ctx, `SELECT `+blueprintColumns+` FROM blueprints WHERE org_id = ? AND id = ?`, org, id)
	b, err := scanBlueprint(row)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Blueprint{}, &domain.NotFoundError{Kind: "blueprint", ID: id}
	}
	return b, err
}

// CreateBlueprint stores a new blueprint; a taken id is a *domain.ConflictError.
func (s *sqlStore) CreateBlueprint(ctx context.Context, org string, b domain.Blueprint) error {
	tags, settings, err := blueprintDocs(b)
	if err != nil {
		return err
	}
	now := s.d.time(s.now())
	res, err := s.conn().exec(ctx, `INSERT INTO blueprints
		(org_id, id, name, description, featured, tags, settings, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		org, b.ID, b.Name, b.Description, b.Featured, tags, settings, now, now)
	conflict := &domain.ConflictError{Message: fmt.Sprintf("blueprint %q already exists; choose another id or update it", b.ID)}
	return mustAffect(res, err, conflict)
}

// UpdateBlueprint replaces a blueprint; a missing one is a *domain.NotFoundError.
func (s *sqlStore) UpdateBlueprint(ctx context.Context, org string, b domain.Blueprint) error {
	tags, settings, err := blueprintDocs(b)
	if err != nil {
		return err
	}
	res, err := s.conn().exec(ctx, `UPDATE blueprints
		SET name = ?, description = ?, featured = ?, tags = ?, settings = ?, updated = ?
		WHERE org_id = ? AND id = ?`,
		b.Name, b.Description, b.Featured, tags, settings, s.d.time(s.now()), org, b.ID)
	return mustAffect(res, err, &domain.NotFoundError{Kind: "blueprint", ID: b.ID})
}

// DeleteBlueprint removes a blueprint. Workflows keep their snapshots of it.
func (s *sqlStore) DeleteBlueprint(ctx context.Context, org, id string) error {
	res, err := s.conn().exec(ctx, `DELETE FROM blueprints WHERE org_id = ? AND id = ?`, org, id)
	return mustAffect(res, err, &domain.NotFoundError{Kind: "blueprint", ID: id})
}

func blueprintDocs(b domain.Blueprint) (tags, settings string, err error) {
	if tags, err = jsonText(b.Tags); err != nil {
		return "", "", fmt.Errorf("blueprint %q tags: %w", b.ID, err)
	}
	if settings, err = jsonText(b.Settings); err != nil {
		return "", "", fmt.Errorf("blueprint %q settings: %w", b.ID, err)
	}
	return tags, settings, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func scanBlueprint(r scanner) (domain.Blueprint, error) {
	var b domain.Blueprint
	err := r.Scan(&b.ID, &b.Name, &b.Description, &b.Featured, jsonCol{&b.Tags}, jsonCol{&b.Settings})
	return b, err
}
