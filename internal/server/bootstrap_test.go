package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/config"
	"onair/internal/server"
	"onair/internal/testutil/e2e"
)

// TestBootstrapGeneratesAKey: a new server with no admin credentials logs a
// generated admin key once, and that key works; the next start logs none.
func TestBootstrapGeneratesAKey(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.Data = filepath.Join(dir, "data")
	cfg.HTTP, cfg.RTMP = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Database = "sqlite://" + filepath.Join(dir, "onair.db")
	start := func() (string, string, func()) {
		var logs bytes.Buffer
		srv, err := server.New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- srv.Run(ctx) }()
		return "http://" + srv.HTTPAddr(), logs.String(), func() { cancel(); <-done }
	}
	base, logs, stop := start()
	m := regexp.MustCompile(`apiKey=([A-Za-z0-9]{40})`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no generated key in the log:\n%s", logs)
	}
	c := &e2e.Client{T: t, Base: base, APIKey: m[1]}
	if code := c.Call("GET", "/api/organizations", nil, nil); code != 200 {
		t.Fatalf("the generated key cannot manage organizations: %d", code)
	}
	stop()
	_, logs, stop = start()
	defer stop()
	if strings.Contains(logs, "apiKey=") {
		t.Errorf("a second start generated another key:\n%s", logs)
	}
}

// TestBootstrapAdminUser: ONAIR_ADMIN_EMAIL and ONAIR_ADMIN_PASSWORD make a server
// admin who logs in for an idToken as the IOIO guide shows, and creates an
// organization with a user of its own, who sees nothing of the first one.
func TestBootstrapAdminUser(t *testing.T) {
	n := startNode(t, func(c *config.Config) {
		c.AdminEmail, c.AdminPassword = "root@onair.test", "correct horse battery"
	})
	n.Create(e2e.SmallBlueprint("SINGLE_PIPELINE"))
	var res api.AuthResult
	if code := n.Call("POST", "/api/auth/authorize", map[string]any{"email": "root@onair.test", "password": "correct horse battery"}, &res); code != 200 || res.Data == nil {
		t.Fatalf("authorize: %d %+v", code, res)
	}
	var org struct{ ID string }
	bearer := &e2e.Client{T: t, Base: n.Base}
	call := func(method, path string, body, out any) int {
		return bearer.CallWith(method, path, body, out, "Authorization", "Bearer "+res.Data.IdToken)
	}
	if code := call("POST", "/api/organizations", map[string]any{"name": "Second"}, &org); code != 201 {
		t.Fatalf("create org: %d", code)
	}
	if code := call("POST", "/api/users", map[string]any{"email": "ed@second.test", "password": "second-password", "organizationId": org.ID, "role": "editor"}, nil); code != 201 {
		t.Fatalf("create user: %d", code)
	}
	var ed api.AuthResult
	n.Call("POST", "/api/auth/authorize", map[string]any{"email": "ed@second.test", "password": "second-password"}, &ed)
	var list api.WorkflowList
	if code := bearer.CallWith("GET", "/api/workflows", nil, &list, "Authorization", "Bearer "+ed.Data.IdToken); code != 200 || len(list.Items) != 0 {
		t.Errorf("the second organization sees %d workflows (%d)", len(list.Items), code)
	}
	if code := bearer.CallWith("POST", "/api/organizations", map[string]any{"name": "Third"}, nil, "Authorization", "Bearer "+ed.Data.IdToken); code != 403 {
		t.Errorf("an editor created an organization: %d", code)
	}
}
