package storetest

import (
	"testing"

	"onair/internal/domain"
	"onair/internal/store"
)

// testEndSessions: moving a user's token generation on is written, and ends
// that user's refresh tokens in the same update, and nobody else's; a
// generation moved back is not written.
// twoUsers stores users u and other of org-a, with a refresh token each, and
// one for a user u of org-b, and returns the three tokens.
func twoUsers(t *testing.T, s store.Store) (mine, theirs, namesake domain.RefreshToken) {
	ctx := t.Context()
	must(t, s.CreateUser(ctx, newUser("org-a", "u", 1)))
	must(t, s.CreateUser(ctx, newUser("org-a", "other", 2)))
	mine = domain.RefreshToken{Hash: "sha256-of-mine", UserID: "u", OrgID: "org-a", Expires: at(60)}
	theirs = domain.RefreshToken{Hash: "sha256-of-theirs", UserID: "other", OrgID: "org-a", Expires: at(60)}
	namesake = domain.RefreshToken{Hash: "sha256-of-namesake", UserID: "u", OrgID: "org-b", Expires: at(60)}
	for _, tok := range []domain.RefreshToken{mine, theirs, namesake} {
		must(t, s.CreateRefreshToken(ctx, tok))
	}
	return mine, theirs, namesake
}

func testEndSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	mine, theirs, namesake := twoUsers(t, s)

	// A role change leaves the sessions as they are.
	got, err := s.UpdateUser(ctx, "org-a", "u", func(v *domain.User) error { v.Role = domain.RoleViewer; return nil })
	must(t, err)
	if got.TokenGeneration != 0 {
		t.Errorf("a role change moved the generation to %d", got.TokenGeneration)
	}

	got, err = s.UpdateUser(ctx, "org-a", "u", func(v *domain.User) error { v.PasswordHash = "new-hash"; v.EndSessions(); return nil })
	must(t, err)
	if got.TokenGeneration != 1 {
		t.Errorf("UpdateUser returned generation %d, want 1", got.TokenGeneration)
	}
	got, err = s.GetUser(ctx, "org-a", "u")
	must(t, err)
	if got.TokenGeneration != 1 || got.PasswordHash != "new-hash" {
		t.Errorf("GetUser after ending sessions: %+v", got)
	}
	_, err = s.TakeRefreshToken(ctx, mine.Hash)
	wantNotFound(t, "the user's refresh token after ending their sessions", err, "refresh token", "(by hash)")
	for _, tok := range []domain.RefreshToken{theirs, namesake} {
		kept, err := s.TakeRefreshToken(ctx, tok.Hash)
		must(t, err)
		equal(t, "another user's refresh token", kept, tok)
	}

	// The generation never goes back.
	_, err = s.UpdateUser(ctx, "org-a", "u", func(v *domain.User) error { v.TokenGeneration = 0; return nil })
	must(t, err)
	got, err = s.GetUser(ctx, "org-a", "u")
	must(t, err)
	if got.TokenGeneration != 1 {
		t.Errorf("generation moved back to %d", got.TokenGeneration)
	}

	// A refresh token keeps the generation it was issued in.
	next := domain.RefreshToken{Hash: "sha256-of-next", UserID: "u", OrgID: "org-a", Expires: at(60), Generation: 1}
	must(t, s.CreateRefreshToken(ctx, next))
	kept, err := s.TakeRefreshToken(ctx, next.Hash)
	must(t, err)
	equal(t, "a refresh token's generation", kept, next)
}

// testDeleteUser: removing a user removes their refresh tokens, and only
// theirs: not another user's, nor those of a user of the same id elsewhere.
func testDeleteUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	mine, theirs, namesake := twoUsers(t, s)

	wantNotFound(t, "DeleteUser from another organization", s.DeleteUser(ctx, "org-b", "u"), "user", "u")
	must(t, s.DeleteUser(ctx, "org-a", "u"))
	_, err := s.GetUser(ctx, "org-a", "u")
	wantNotFound(t, "GetUser after DeleteUser", err, "user", "u")
	_, err = s.TakeRefreshToken(ctx, mine.Hash)
	wantNotFound(t, "the removed user's refresh token", err, "refresh token", "(by hash)")
	for _, tok := range []domain.RefreshToken{theirs, namesake} {
		_, err = s.TakeRefreshToken(ctx, tok.Hash)
		must(t, err)
	}
	wantNotFound(t, "DeleteUser again", s.DeleteUser(ctx, "org-a", "u"), "user", "u")

	// The email is free again.
	must(t, s.CreateUser(ctx, newUser("org-b", "u", 3)))
}
