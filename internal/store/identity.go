package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"onair/internal/domain"
)

// Identity: organizations, users, API keys, refresh tokens and the server's
// secrets. Users and keys are read within their organization, except for the
// lookups that authenticate a request (by email, by a key's hash, by a refresh
// token's hash), which cannot know the organization yet. Only hashes are stored.

// byHash names what a lookup by hash did not find, without repeating the hash.
const byHash = "(by hash)"

const (
	organizationColumns = `id, name, created`
	userColumns         = `id, org_id, email, password_hash, role, server_admin, disabled, created, token_generation`
	apiKeyColumns       = `id, org_id, name, enabled, hash, server_admin, created`
	refreshTokenColumns = `hash, user_id, org_id, expires, generation`
)

// foldEmail is an email as it is stored and looked up: in lower case, so that
// one address is one user whatever its case.
func foldEmail(email string) string { return strings.ToLower(email) }

// Organizations.

func scanOrganization(r scanner) (domain.Organization, error) {
	var o domain.Organization
	err := r.Scan(textCol{&o.ID}, textCol{&o.Name}, timeCol{&o.Created})
	return o, err
}

// CreateOrganization stores a new organization; a taken id is a *domain.ConflictError.
func (s *sqlStore) CreateOrganization(ctx context.Context, o domain.Organization) error {
	res, err := s.conn().exec(ctx, `INSERT INTO organizations (`+organizationColumns+`)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		o.ID, o.Name, s.d.time(o.Created))
	return mustAffect(res, err, &domain.ConflictError{Message: fmt.Sprintf("organization %q already exists", o.ID)})
}

func (s *sqlStore) GetOrganization(ctx context.Context, id string) (domain.Organization, error) {
	o, err := scanOrganization(s.conn().queryRow(ctx, `SELECT `+organizationColumns+` FROM organizations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Organization{}, &domain.NotFoundError{Kind: "organization", ID: id}
	}
	return o, err
}

// ListOrganizations returns every organization, oldest first.
func (s *sqlStore) ListOrganizations(ctx context.Context) ([]domain.Organization, error) {
	return queryList(ctx, s.conn(), scanOrganization, `SELECT `+organizationColumns+` FROM organizations ORDER BY created, id`)
}

// Users.

func scanUser(r scanner) (domain.User, error) {
	var u domain.User
	err := r.Scan(textCol{&u.ID}, textCol{&u.OrgID}, textCol{&u.Email}, textCol{&u.PasswordHash},
		textCol{(*string)(&u.Role)}, &u.ServerAdmin, &u.Disabled, timeCol{&u.Created}, &u.TokenGeneration)
	return u, err
}

// CreateUser stores a new user, its email in lower case; a taken email (in any
// case, in any organization) or id is a *domain.ConflictError.
func (s *sqlStore) CreateUser(ctx context.Context, u domain.User) error {
	email := foldEmail(u.Email)
	c := s.conn()
	res, err := c.exec(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.ID, u.OrgID, email, u.PasswordHash, string(u.Role), u.ServerAdmin, u.Disabled, s.d.time(u.Created), u.TokenGeneration)
	if ok, err := inserted(res, err); ok || err != nil {
		return err
	}
	// The id or the email is taken: say which.
	var n int
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE email = ?`, email).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return &domain.ConflictError{Message: fmt.Sprintf("a user with the email %s already exists", email)}
	}
	return &domain.ConflictError{Message: fmt.Sprintf("user %q already exists", u.ID)}
}

// inserted reports whether an INSERT … ON CONFLICT DO NOTHING added its row.
func inserted(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s *sqlStore) GetUser(ctx context.Context, org, id string) (domain.User, error) {
	return getUser(ctx, s.conn(), org, id, false)
}

// getUser reads one of the organization's users, locking its row when lock is
// set (in a transaction).
func getUser(ctx context.Context, c conn, org, id string, lock bool) (domain.User, error) {
	q := `SELECT ` + userColumns + ` FROM users WHERE org_id = ? AND id = ?`
	if lock {
		q += c.d.forUpdate
	}
	u, err := scanUser(c.queryRow(ctx, q, org, id))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.User{}, &domain.NotFoundError{Kind: "user", ID: id}
	}
	return u, err
}

// GetUserByEmail finds a user in any organization, whatever the email's case.
func (s *sqlStore) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	email = foldEmail(email)
	u, err := scanUser(s.conn().queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, email))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.User{}, &domain.NotFoundError{Kind: "user", ID: email}
	}
	return u, err
}

// ListUsers returns the organization's users, oldest first.
func (s *sqlStore) ListUsers(ctx context.Context, org string) ([]domain.User, error) {
	return queryList(ctx, s.conn(), scanUser, `SELECT `+userColumns+` FROM users WHERE org_id = ? ORDER BY created, id`, org)
}

// UpdateUser reads and locks a user, lets fn change it, and writes back its
// role, disabled flag and password hash, and its token generation when fn
// moved it on (User.EndSessions): then the user's refresh tokens are deleted
// in the same transaction. The rest is not fn's to change. fn's error rolls
// back and is returned as is.
func (s *sqlStore) UpdateUser(ctx context.Context, org, id string, fn func(*domain.User) error) (domain.User, error) {
	var written domain.User
	err := s.inTx(ctx, func(c conn) error {
		stored, err := getUser(ctx, c, org, id, true)
		if err != nil {
			return err
		}
		u := stored
		if err := fn(&u); err != nil {
			return err
		}
		ended := u.TokenGeneration > stored.TokenGeneration
		stored.Role, stored.Disabled, stored.PasswordHash = u.Role, u.Disabled, u.PasswordHash
		if ended {
			stored.TokenGeneration = u.TokenGeneration
		}
		res, err := c.exec(ctx, `UPDATE users SET role = ?, disabled = ?, password_hash = ?, token_generation = ?
			WHERE org_id = ? AND id = ?`,
			string(stored.Role), stored.Disabled, stored.PasswordHash, stored.TokenGeneration, org, id)
		if err := mustAffect(res, err, &domain.NotFoundError{Kind: "user", ID: id}); err != nil {
			return err
		}
		if ended {
			if _, err := c.exec(ctx, `DELETE FROM refresh_tokens WHERE org_id = ? AND user_id = ?`, org, id); err != nil {
				return err
			}
		}
		written = stored
		return nil
	})
	if err != nil {
		return domain.User{}, err
	}
	return written, nil
}

// DeleteUser removes one of the organization's users with their refresh
// tokens, in one transaction.
func (s *sqlStore) DeleteUser(ctx context.Context, org, id string) error {
	return s.inTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM users WHERE org_id = ? AND id = ?`, org, id)
		if err := mustAffect(res, err, &domain.NotFoundError{Kind: "user", ID: id}); err != nil {
			return err
		}
		_, err = c.exec(ctx, `DELETE FROM refresh_tokens WHERE org_id = ? AND user_id = ?`, org, id)
		return err
	})
}

// API keys.

func scanAPIKey(r scanner) (domain.APIKey, error) {
	var k domain.APIKey
	err := r.Scan(textCol{&k.ID}, textCol{&k.OrgID}, textCol{&k.Name}, &k.Enabled, textCol{&k.Hash},
		&k.ServerAdmin, timeCol{&k.Created})
	return k, err
}

// CreateAPIKey stores a new key; a taken id or hash is a *domain.ConflictError.
// The message never repeats the hash.
func (s *sqlStore) CreateAPIKey(ctx context.Context, k domain.APIKey) error {
	c := s.conn()
	res, err := c.exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.ID, k.OrgID, k.Name, k.Enabled, k.Hash, k.ServerAdmin, s.d.time(k.Created))
	if ok, err := inserted(res, err); ok || err != nil {
		return err
	}
	var n int
	if err := c.queryRow(ctx, `SELECT COUNT(*) FROM api_keys WHERE id = ?`, k.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return &domain.ConflictError{Message: fmt.Sprintf("API key %q already exists", k.ID)}
	}
	return &domain.ConflictError{Message: "an API key with the same value already exists"}
}

// GetAPIKeyByHash finds a key in any organization by the hash of its value.
func (s *sqlStore) GetAPIKeyByHash(ctx context.Context, hash string) (domain.APIKey, error) {
	k, err := scanAPIKey(s.conn().queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.APIKey{}, &domain.NotFoundError{Kind: "api key", ID: byHash}
	}
	return k, err
}

// ListAPIKeys returns the organization's keys, oldest first.
func (s *sqlStore) ListAPIKeys(ctx context.Context, org string) ([]domain.APIKey, error) {
	return queryList(ctx, s.conn(), scanAPIKey, `SELECT `+apiKeyColumns+` FROM api_keys WHERE org_id = ? ORDER BY created, id`, org)
}

// UpdateAPIKey reads and locks a key, lets fn change it, and writes back its
// name and enabled flag; never its id, organization or hash. fn's error rolls
// back and is returned as is.
func (s *sqlStore) UpdateAPIKey(ctx context.Context, org, id string, fn func(*domain.APIKey) error) (domain.APIKey, error) {
	var written domain.APIKey
	err := s.inTx(ctx, func(c conn) error {
		k, err := scanAPIKey(c.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE org_id = ? AND id = ?`+c.d.forUpdate, org, id))
		if errors.Is(err, sql.ErrNoRows) {
			return &domain.NotFoundError{Kind: "api key", ID: id}
		}
		if err != nil {
			return err
		}
		changed := k
		if err := fn(&changed); err != nil {
			return err
		}
		k.Name, k.Enabled = changed.Name, changed.Enabled
		res, err := c.exec(ctx, `UPDATE api_keys SET name = ?, enabled = ? WHERE org_id = ? AND id = ?`,
			k.Name, k.Enabled, org, id)
		if err := mustAffect(res, err, &domain.NotFoundError{Kind: "api key", ID: id}); err != nil {
			return err
		}
		written = k
		return nil
	})
	if err != nil {
		return domain.APIKey{}, err
	}
	return written, nil
}

// DeleteAPIKey revokes one of the organization's keys.
func (s *sqlStore) DeleteAPIKey(ctx context.Context, org, id string) error {
	res, err := s.conn().exec(ctx, `DELETE FROM api_keys WHERE org_id = ? AND id = ?`, org, id)
	return mustAffect(res, err, &domain.NotFoundError{Kind: "api key", ID: id})
}

// Refresh tokens.

func scanRefreshToken(r scanner) (domain.RefreshToken, error) {
	var t domain.RefreshToken
	err := r.Scan(textCol{&t.Hash}, textCol{&t.UserID}, textCol{&t.OrgID}, timeCol{&t.Expires}, &t.Generation)
	return t, err
}

// CreateRefreshToken stores a token's hash; a taken hash is a *domain.ConflictError.
func (s *sqlStore) CreateRefreshToken(ctx context.Context, t domain.RefreshToken) error {
	res, err := s.conn().exec(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		t.Hash, t.UserID, t.OrgID, s.d.time(t.Expires), t.Generation)
	return mustAffect(res, err, &domain.ConflictError{Message: "the refresh token already exists"})
}

// TakeRefreshToken deletes the token with this hash and returns it, in one
// statement, so that of two requests using one token only one gets it. An
// expired token is returned too: the caller decides.
func (s *sqlStore) TakeRefreshToken(ctx context.Context, hash string) (domain.RefreshToken, error) {
	t, err := scanRefreshToken(s.conn().queryRow(ctx,
		`DELETE FROM refresh_tokens WHERE hash = ? RETURNING `+refreshTokenColumns, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.RefreshToken{}, &domain.NotFoundError{Kind: "refresh token", ID: byHash}
	}
	return t, err
}

// Secrets.

// Secret returns the secret with this name, creating it with create the first
// time. Nodes that race to create it each insert their own value if none is
// there yet and then read back the one that won, so that all get the same.
func (s *sqlStore) Secret(ctx context.Context, name string, create func() ([]byte, error)) ([]byte, error) {
	if v, ok, err := s.readSecret(ctx, name); ok || err != nil {
		return v, err
	}
	created, err := create()
	if err != nil {
		return nil, err
	}
	if len(created) == 0 {
		return nil, fmt.Errorf("secret %q: create returned an empty value", name)
	}
	if _, err := s.conn().exec(ctx, `INSERT INTO secrets (name, value, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		name, created, s.d.time(s.now())); err != nil {
		return nil, fmt.Errorf("secret %q: %w", name, err)
	}
	v, ok, err := s.readSecret(ctx, name)
	if err == nil && !ok {
		err = fmt.Errorf("secret %q: missing after it was stored", name)
	}
	return v, err
}

// readSecret reads a secret's value; ok is false when there is none.
func (s *sqlStore) readSecret(ctx context.Context, name string) (v []byte, ok bool, err error) {
	err = s.conn().queryRow(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("secret %q: %w", name, err)
	}
	return v, true, nil
}

// queryList runs a query and scans every row with scan; no rows is an empty list,
// never nil.
func queryList[T any](ctx context.Context, c conn, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	return out, rows.Err()
}
