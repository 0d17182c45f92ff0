package server

import (
	"context"
	"errors"
	"fmt"

	"onair/internal/auth"
	"onair/internal/domain"
)

// firstOrg is the organization bootstrap credentials belong to. Its id is the one
// the API used before there were organizations, so older data stays visible.
const firstOrg = "default"

// bootstrap prepares identity on start: the idToken signing key (made once and
// kept in the store, so every node signs alike), and the admin credentials that
// the configuration asks for. With none and an empty store it makes an admin API
// key and logs it once, so that a fresh server is never locked.
func (s *Server) bootstrap(ctx context.Context) error {
	key, err := s.store.Secret(ctx, "jwt-signing-key", auth.NewSigningKey)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	if s.tokens, err = auth.NewTokens(key, "onair", s.now); err != nil {
		return err
	}
	orgs, err := s.store.ListOrganizations(ctx)
	if err != nil {
		return err
	}
	if s.cfg.AdminAPIKey == "" && s.cfg.AdminEmail == "" && len(orgs) > 0 {
		return nil
	}
	if err := s.ensureFirstOrg(ctx, orgs); err != nil {
		return err
	}
	if s.cfg.AdminAPIKey != "" {
		if err := s.ensureAdminKey(ctx, s.cfg.AdminAPIKey); err != nil {
			return err
		}
	}
	if s.cfg.AdminEmail != "" {
		if err := s.ensureAdminUser(ctx); err != nil {
			return err
		}
	}
	if s.cfg.AdminAPIKey == "" && s.cfg.AdminEmail == "" {
		_, value := auth.NewAPIKey()
		if err := s.ensureAdminKey(ctx, value); err != nil {
			return err
		}
		s.generatedKey = value
		s.log.Warn("generated an admin API key for this new server; it is shown only now: send it as x-api-key, "+
			"or set ONAIR_ADMIN_API_KEY or ONAIR_ADMIN_EMAIL/ONAIR_ADMIN_PASSWORD before the first start",
			"apiKey", value)
	}
	return nil
}

func (s *Server) ensureFirstOrg(ctx context.Context, orgs []domain.Organization) error {
	for _, o := range orgs {
		if o.ID == firstOrg {
			return nil
		}
	}
	err := s.store.CreateOrganization(ctx, domain.Organization{ID: firstOrg, Name: "Default", Created: s.now().UTC()})
	var ce *domain.ConflictError
	if errors.As(err, &ce) {
		return nil // another node made it meanwhile
	}
	return err
}

func (s *Server) ensureAdminKey(ctx context.Context, value string) error {
	hash := auth.HashSecret(value)
	if _, err := s.store.GetAPIKeyByHash(ctx, hash); err == nil {
		return nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	id, _ := auth.NewAPIKey()
	return s.store.CreateAPIKey(ctx, domain.APIKey{
		ID: id, OrgID: firstOrg, Name: "server admin (bootstrap)", Enabled: true, Hash: hash, ServerAdmin: true, Created: s.now().UTC(),
	})
}

func (s *Server) ensureAdminUser(ctx context.Context) error {
	if _, err := s.store.GetUserByEmail(ctx, s.cfg.AdminEmail); err == nil {
		return nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	hash, err := auth.HashPassword(s.cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("ONAIR_ADMIN_PASSWORD: %w", err)
	}
	id, _ := auth.NewAPIKey()
	return s.store.CreateUser(ctx, domain.User{
		ID: "u" + id, OrgID: firstOrg, Email: s.cfg.AdminEmail, PasswordHash: hash,
		Role: domain.RoleAdmin, ServerAdmin: true, Created: s.now().UTC(),
	})
}

// GeneratedKey is the admin API key this start generated for a new store, or ""
// when none was; the banner shows it, once.
func (s *Server) GeneratedKey() string { return s.generatedKey }
