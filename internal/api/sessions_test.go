package api_test

import (
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/testutil/e2e"
)

// login logs a user in and returns the idToken and the refresh token.
func (tn *tenants) login(email, password string) (idToken, refresh string) {
	tn.t.Helper()
	var res api.AuthResult
	if code := tn.send("POST", "/api/auth/authorize", map[string]any{"email": email, "password": password}, "", "", &res); code != 200 || res.Data == nil {
		tn.t.Fatalf("log in as %s: %d %+v", email, code, res)
	}
	return res.Data.IdToken, res.Data.RefreshToken
}

// bearer is the status of GET /api/workflows with an idToken, and its message.
func (tn *tenants) bearer(token string) (int, string) {
	var body struct{ Message string }
	code := tn.send("GET", "/api/workflows", nil, "Authorization", "Bearer "+token, &body)
	return code, body.Message
}

// refreshes is the status of POST /api/auth/refresh with a refresh token.
func (tn *tenants) refreshes(token string) int {
	return tn.send("POST", "/api/auth/refresh", map[string]any{"refreshToken": token}, "", "", nil)
}

func (tn *tenants) asAdmin(method, path string, body any) int {
	return tn.send(method, path, body, "x-api-key", e2e.AdminKey, nil)
}

// createUser makes an editor in A and returns their id.
func (tn *tenants) createUser(email, password string) string {
	tn.t.Helper()
	var u struct{ ID string }
	if code := tn.send("POST", "/api/users", map[string]any{"email": email, "password": password, "role": "editor"}, "x-api-key", e2e.AdminKey, &u); code != 201 || u.ID == "" {
		tn.t.Fatalf("create user %s: %d", email, code)
	}
	return u.ID
}

// TestPasswordChangeEndsSessions: a new password ends the user's idTokens and
// refresh tokens at once, and no other user's; a role change ends nothing.
func TestPasswordChangeEndsSessions(t *testing.T) {
	tn := newTenants(t)
	ed := tn.createUser("ed@a.test", "old-password")
	token, refresh := tn.login("ed@a.test", "old-password")
	spare, _ := tn.login("ed@a.test", "old-password") // a second session of ed's
	viewerToken, viewerRefresh := tn.login("viewer@a.test", "viewer-password")

	if code := tn.asAdmin("PUT", "/api/users/"+ed, map[string]any{"role": "admin"}); code != 200 {
		t.Fatalf("role change: %d", code)
	}
	if code, msg := tn.bearer(token); code != 200 {
		t.Fatalf("after a role change, ed's token: %d %s", code, msg)
	}

	if code := tn.asAdmin("PUT", "/api/users/"+ed, map[string]any{"password": "new-password"}); code != 200 {
		t.Fatalf("password change: %d", code)
	}
	for name, tok := range map[string]string{"idToken": token, "second idToken": spare} {
		if code, msg := tn.bearer(tok); code != 401 || !strings.Contains(msg, "password changed") {
			t.Errorf("ed's %s after the password change: %d %q, want 401 saying why", name, code, msg)
		}
	}
	if code := tn.refreshes(refresh); code != 401 {
		t.Errorf("ed's refresh token after the password change: %d, want 401", code)
	}
	if code, msg := tn.bearer(viewerToken); code != 200 {
		t.Errorf("another user's idToken: %d %s", code, msg)
	}
	if code := tn.refreshes(viewerRefresh); code != 200 {
		t.Errorf("another user's refresh token: %d", code)
	}
	if code := tn.send("POST", "/api/auth/authorize", map[string]any{"email": "ed@a.test", "password": "old-password"}, "", "", nil); code != 401 {
		t.Errorf("the old password: %d", code)
	}
	token, refresh = tn.login("ed@a.test", "new-password")
	if code, msg := tn.bearer(token); code != 200 {
		t.Errorf("after logging in again: %d %s", code, msg)
	}

	// Disabling ends the sessions too: enabled again, the user logs in afresh.
	tn.asAdmin("PUT", "/api/users/"+ed, map[string]any{"disabled": true})
	tn.asAdmin("PUT", "/api/users/"+ed, map[string]any{"disabled": false})
	if code, _ := tn.bearer(token); code != 401 {
		t.Errorf("an idToken from before the user was disabled, once enabled again: %d, want 401", code)
	}
	if code := tn.refreshes(refresh); code != 401 {
		t.Errorf("a refresh token from before the user was disabled: %d, want 401", code)
	}
	if code, msg := tn.bearer(viewerToken); code != 200 {
		t.Errorf("another user's idToken: %d %s", code, msg)
	}
}

// TestDeleteUser: removing a user ends their tokens at once; only an admin of
// their organization may do it.
func TestDeleteUser(t *testing.T) {
	tn := newTenants(t)
	ed := tn.createUser("ed@a.test", "ed-password")
	token, refresh := tn.login("ed@a.test", "ed-password")
	viewerToken, _ := tn.login("viewer@a.test", "viewer-password")

	if code := tn.send("DELETE", "/api/users/"+ed, nil, "Authorization", "Bearer "+viewerToken, nil); code != 403 {
		t.Errorf("a viewer removes a user: %d, want 403", code)
	}
	if code := tn.send("DELETE", "/api/users/"+ed, nil, "x-api-key", tn.keyB, nil); code != 404 {
		t.Errorf("another organization's admin removes a user: %d, want 404", code)
	}
	if code, msg := tn.bearer(token); code != 200 {
		t.Fatalf("ed's token before the removal: %d %s", code, msg)
	}

	if code := tn.asAdmin("DELETE", "/api/users/"+ed, nil); code != 204 {
		t.Fatalf("remove ed: %d", code)
	}
	if code, _ := tn.bearer(token); code != 401 {
		t.Errorf("a removed user's idToken: %d, want 401", code)
	}
	if code := tn.refreshes(refresh); code != 401 {
		t.Errorf("a removed user's refresh token: %d, want 401", code)
	}
	if code := tn.send("POST", "/api/auth/authorize", map[string]any{"email": "ed@a.test", "password": "ed-password"}, "", "", nil); code != 401 {
		t.Errorf("a removed user logs in: %d", code)
	}
	if code := tn.asAdmin("GET", "/api/users/"+ed, nil); code != 404 {
		t.Errorf("GET a removed user: %d", code)
	}
	if code := tn.asAdmin("DELETE", "/api/users/"+ed, nil); code != 404 {
		t.Errorf("remove a removed user: %d", code)
	}
	if code, msg := tn.bearer(viewerToken); code != 200 {
		t.Errorf("another user's idToken: %d %s", code, msg)
	}
}
