package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"onair/internal/api"
)

// field returns the value of a "key:  value" line of out.
func field(t *testing.T, out, key string) string {
	t.Helper()
	return strings.TrimSpace(strings.TrimPrefix(line(t, out, key+":"), key+":"))
}

func TestAPIKeys(t *testing.T) {
	srv := startIdentityAPI(t, identityOptions{})
	admin := map[string]string{"ONAIR_SERVER": srv.url, "ONAIR_API_KEY": srv.apiKey}

	out := mustRunEnv(t, admin, "api-keys", "create", "--name", "CI runner")
	id, value := field(t, out, "id"), field(t, out, "value")
	if len(id) != 10 || len(value) != 40 || field(t, out, "name") != "CI runner" {
		t.Errorf("create printed:\n%s", out)
	}
	if !strings.Contains(out, "shown only this once") {
		t.Errorf("create does not say the value is shown once:\n%s", out)
	}

	out = mustRunEnv(t, admin, "api-keys", "create", "--name", "Other", "-o", "json")
	var created api.APIKeyCreated
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Value == "" || !created.Enabled || created.Name != "Other" {
		t.Errorf("create -o json: %v %+v\n%s", err, created, out)
	}

	out = mustRunEnv(t, admin, "api-keys", "list")
	if h := line(t, out, "ID "); !strings.Contains(h, "NAME") || !strings.Contains(h, "ENABLED") || !strings.Contains(h, "CREATED") {
		t.Errorf("list header:\n%s", out)
	}
	if l := line(t, out, id); !strings.Contains(l, "CI runner") || !strings.Contains(l, "yes") {
		t.Errorf("row of %s: %q", id, l)
	}
	if strings.Contains(out, value) || strings.Contains(out, created.Value) {
		t.Errorf("list shows a key's value:\n%s", out)
	}
	line(t, out, created.ID)

	// The new key works on its own.
	withKey := map[string]string{"ONAIR_SERVER": srv.url, "ONAIR_API_KEY": value}
	if out := mustRunEnv(t, withKey, "workflows", "list"); !strings.Contains(out, "no workflows") {
		t.Errorf("list with the new key:\n%s", out)
	}

	if out := mustRunEnv(t, admin, "api-keys", "disable", id); out != "disabled "+id+"\n" {
		t.Errorf("disable printed %q", out)
	}
	if l := line(t, mustRunEnv(t, admin, "api-keys", "list"), id); !strings.Contains(l, " no ") {
		t.Errorf("row of a disabled key: %q", l)
	}
	r := run(t, withKey, "workflows", "list")
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 401 Unauthorized: ") || !strings.Contains(r.err, "disabled") {
		t.Errorf("a disabled key: exit %d, stderr %q", r.code, r.err)
	}
	if strings.Contains(r.err, "onair login") {
		t.Errorf("a refused API key is told to log in: %q", r.err)
	}

	out = mustRunEnv(t, admin, "api-keys", "enable", id, "-o", "json")
	if !strings.Contains(out, `"enabled": true`) {
		t.Errorf("enable -o json:\n%s", out)
	}
	mustRunEnv(t, withKey, "workflows", "list")

	if out := mustRunEnv(t, admin, "api-keys", "delete", id); out != "deleted "+id+"\n" {
		t.Errorf("delete printed %q", out)
	}
	if out := mustRunEnv(t, admin, "api-keys", "list"); strings.Contains(out, id) {
		t.Errorf("a deleted key is listed:\n%s", out)
	}
	if r := run(t, withKey, "workflows", "list"); r.code != 1 || !strings.Contains(r.err, "401 Unauthorized") {
		t.Errorf("a deleted key: exit %d, stderr %q", r.code, r.err)
	}
	r = run(t, admin, "api-keys", "delete", id)
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 404 Not Found: ") {
		t.Errorf("delete twice: exit %d, stderr %q", r.code, r.err)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"api-keys", "create"}, 2, "missing --name"},
		{[]string{"api-keys", "disable"}, 2, "missing <id>"},
		{[]string{"api-keys", "list", "x"}, 2, `unexpected argument "x"`},
		{[]string{"api-keys", "create", "--name", "a<b"}, 1, "name: contains"},
	} {
		r := run(t, admin, c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.want) {
			t.Errorf("onair %s: exit %d, stderr %q; want %d and %q", strings.Join(c.args, " "), r.code, r.err, c.code, c.want)
		}
	}
}

// A user logged in as a viewer may not manage keys, and is told which
// permission is missing.
func TestAPIKeysNeedPermission(t *testing.T) {
	srv := startIdentityAPI(t, identityOptions{})
	file := t.TempDir() + "/creds.json"
	body, _ := json.Marshal(api.NewUser{Email: "vic@example.com", Password: "viewer password", Role: "viewer"})
	if _, err := mustClient(t, srv).send(t.Context(), "POST", "/api/users", body, nil); err != nil {
		t.Fatal(err)
	}
	viewer := map[string]string{"ONAIR_SERVER": srv.url, "ONAIR_CREDENTIALS": file, "ONAIR_PASSWORD": "viewer password"}
	mustRunEnv(t, viewer, "login", "--email", "vic@example.com")
	mustRunEnv(t, viewer, "workflows", "list")
	r := run(t, viewer, "api-keys", "list")
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 403 Forbidden: ") || !strings.Contains(r.err, "apikeys:manage") {
		t.Errorf("a viewer lists keys: exit %d, stderr %q", r.code, r.err)
	}
}

func mustClient(t *testing.T, srv *identityServer) *client {
	t.Helper()
	c, err := newClient(srv.url, srv.apiKey)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
