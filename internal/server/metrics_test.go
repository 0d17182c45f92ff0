package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/config"
	"onair/internal/testutil/e2e"
)

// metrics scrapes the node's /metrics as its server admin.
func (n *node) metrics(t *testing.T) string {
	t.Helper()
	code, body := scrape(t, n.Base, "x-api-key", e2e.AdminKey)
	if code != 200 {
		t.Fatalf("GET /metrics as the server admin: %d %s", code, body)
	}
	return body
}

// scrape is GET /metrics with one credential header (none when header is "").
func scrape(t *testing.T, base, header, value string) (int, string) {
	t.Helper()
	code, _, body := e2e.GetWith(t, base+"/metrics", header, value)
	return code, body
}

// TestMetricsNeedCredentials: /metrics, which names every organization's
// workflows, answers the metrics token (as Prometheus sends it) and server
// admins; 401 without credentials, 403 for anyone else's.
func TestMetricsNeedCredentials(t *testing.T) {
	const token = "prometheus-scrape-token-0123456789"
	n := startNode(t, func(c *config.Config) {
		c.MetricsToken = token
		c.AdminEmail, c.AdminPassword = "root@onair.test", "root-password"
	})
	wf := n.Create(e2e.SmallBlueprint("SINGLE_PIPELINE"))

	login := func(email, password string) string {
		var res api.AuthResult
		if code := n.Call("POST", "/api/auth/authorize", map[string]any{"email": email, "password": password}, &res); code != 200 {
			t.Fatalf("log in as %s: %d", email, code)
		}
		return "Bearer " + res.Data.IdToken
	}
	if code := n.Call("POST", "/api/users", map[string]any{"email": "ed@onair.test", "password": "ed-password", "role": "admin"}, nil); code != 201 {
		t.Fatalf("create an organization admin: %d", code)
	}
	var key api.APIKeyCreated
	if code := n.Call("POST", "/api/api-keys", map[string]any{"name": "org key"}, &key); code != 201 {
		t.Fatalf("create an API key: %d", code)
	}

	cases := []struct {
		name, header, value string
		want                int
	}{
		{"no credentials", "", "", 401},
		{"a wrong token", "Authorization", "Bearer " + token + "x", 401},
		{"the token, not as a bearer", "x-api-key", token, 401},
		{"the metrics token", "Authorization", "Bearer " + token, 200},
		{"the server admin's API key", "x-api-key", e2e.AdminKey, 200},
		{"the server admin's idToken", "Authorization", login("root@onair.test", "root-password"), 200},
		{"an organization admin's idToken", "Authorization", login("ed@onair.test", "ed-password"), 403},
		{"an organization's API key", "x-api-key", key.Value, 403},
	}
	for _, c := range cases {
		code, body := scrape(t, n.Base, c.header, c.value)
		if code != c.want {
			t.Errorf("%s: %d, want %d: %.200s", c.name, code, c.want, body)
			continue
		}
		if code == 200 && !strings.Contains(body, `onair_workflows{status="READY"} 1`) {
			t.Errorf("%s: the metrics lack the workflows:\n%.500s", c.name, body)
		}
		if code != 200 {
			var e api.ErrorBody
			if json.Unmarshal([]byte(body), &e) != nil || e.Message == "" || strings.Contains(body, wf) {
				t.Errorf("%s: %d %s, want a JSON error that names no workflow", c.name, code, body)
			}
		}
	}
}

// TestMetricsWithoutToken: with no metrics token configured, no bearer token
// opens /metrics, and a server admin still may.
func TestMetricsWithoutToken(t *testing.T) {
	n := startNode(t, nil)
	if code, _ := scrape(t, n.Base, "Authorization", "Bearer "); code != 401 {
		t.Errorf("an empty bearer token: %d, want 401", code)
	}
	if code, _ := scrape(t, n.Base, "", ""); code != 401 {
		t.Errorf("no credentials: %d, want 401", code)
	}
	n.metrics(t)
}
