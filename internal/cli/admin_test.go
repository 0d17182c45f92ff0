package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/store"
)

func TestAdmin(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	noEnv := map[string]string{}

	out := mustRunEnv(t, noEnv, "admin", "create-org", "--name", "Acme Corp", "--id", "acme", "--data", data)
	if field(t, out, "organization") != "acme" || field(t, out, "name") != "Acme Corp" {
		t.Errorf("create-org printed:\n%s", out)
	}
	// Without --id the organization gets a new one.
	out = mustRunEnv(t, noEnv, "admin", "create-org", "--name", "Other", "--data", data)
	otherOrg := field(t, out, "organization")
	if len(otherOrg) < 10 {
		t.Errorf("create-org without --id printed:\n%s", out)
	}
	r := run(t, noEnv, "admin", "create-org", "--name", "Again", "--id", "acme", "--data", data)
	if r.code != 1 || !strings.HasPrefix(r.err, "onair admin create-org: ") {
		t.Errorf("create-org with a taken id: exit %d, stderr %q", r.code, r.err)
	}

	// ONAIR_DATA picks the store as it does for serve.
	env := map[string]string{"ONAIR_DATA": data}
	const password = "a long enough password"
	out = mustRunEnv(t, env, "admin", "create-user", "--org", "acme", "--email", "Ann@Example.com",
		"--password", password, "--role", "editor")
	if field(t, out, "email") != "ann@example.com" || field(t, out, "role") != "editor" ||
		field(t, out, "server admin") != "no" || field(t, out, "organization") != "acme" {
		t.Errorf("create-user printed:\n%s", out)
	}
	if strings.Contains(out, password) {
		t.Errorf("create-user printed the password:\n%s", out)
	}
	r = run(t, env, "admin", "create-user", "--org", "acme", "--email", "ann@example.com", "--password", password, "--role", "viewer")
	if r.code != 1 || !strings.Contains(r.err, "onair admin create-user: ") {
		t.Errorf("a taken email: exit %d, stderr %q", r.code, r.err)
	}

	out = mustRunEnv(t, env, "admin", "create-api-key", "--org", "acme", "--name", "Bootstrap", "--server-admin")
	keyID, value := field(t, out, "id"), field(t, out, "value")
	if len(value) != 40 || field(t, out, "server admin") != "yes" || !strings.Contains(out, "shown only this once") {
		t.Errorf("create-api-key printed:\n%s", out)
	}

	// What the commands wrote, as the server will read it.
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(data, "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if o, err := st.GetOrganization(ctx, "acme"); err != nil || o.Name != "Acme Corp" {
		t.Errorf("organization acme: %+v, %v", o, err)
	}
	if _, err := st.GetOrganization(ctx, otherOrg); err != nil {
		t.Errorf("organization %s: %v", otherOrg, err)
	}
	u, err := st.GetUserByEmail(ctx, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.OrgID != "acme" || u.Role != domain.RoleEditor || u.ServerAdmin || u.Disabled {
		t.Errorf("user: %+v", u)
	}
	if u.PasswordHash == password || strings.Contains(u.PasswordHash, password) || !auth.CheckPassword(u.PasswordHash, password) {
		t.Errorf("the password is not kept as a hash of it: %q", u.PasswordHash)
	}
	k, err := st.GetAPIKeyByHash(ctx, auth.HashSecret(value))
	if err != nil {
		t.Fatalf("the key by the hash of its value: %v", err)
	}
	if k.ID != keyID || k.OrgID != "acme" || !k.Enabled || !k.ServerAdmin || k.Name != "Bootstrap" || k.Hash == value {
		t.Errorf("key: %+v", k)
	}

	// The server takes both: the key works, and the user logs in.
	srv := startIdentityAPI(t, identityOptions{st: st})
	withKey := map[string]string{"ONAIR_SERVER": srv.url, "ONAIR_API_KEY": value}
	if out := mustRunEnv(t, withKey, "api-keys", "list"); !strings.Contains(out, keyID) {
		t.Errorf("api-keys list with the admin key:\n%s", out)
	}
	asAnn := map[string]string{"ONAIR_SERVER": srv.url, "ONAIR_CREDENTIALS": filepath.Join(t.TempDir(), "c.json"), "ONAIR_PASSWORD": password}
	mustRunEnv(t, asAnn, "login", "--email", "ann@example.com")
	mustRunEnv(t, asAnn, "workflows", "list")
}

func TestAdminUsage(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"ONAIR_DATA": data}
	user := func(extra ...string) []string {
		args := map[string]string{"--org": "acme", "--email": "a@b.c", "--password": "long enough pw", "--role": "viewer"}
		for i := 0; i+1 < len(extra); i += 2 {
			args[extra[i]] = extra[i+1]
		}
		out := []string{"admin", "create-user"}
		for k, v := range args {
			if v != "" {
				out = append(out, k, v)
			}
		}
		return out
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"admin"}, 2, "which verb?"},
		{[]string{"admin", "delete-org"}, 2, `unknown verb "delete-org"`},
		{[]string{"admin", "create-org"}, 2, "name: is required"},
		{[]string{"admin", "create-org", "--name", "a<b"}, 2, "name: contains"},
		{[]string{"admin", "create-org", "--name", "x", "--id", "no spaces"}, 2, "--id must be"},
		{[]string{"admin", "create-org", "--name", "x", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"admin", "create-org", "--name", "x", "--http", ":1"}, 2, "flag provided but not defined: -http"},
		{user("--role", "owner"), 2, `--role must be admin, editor or viewer, got "owner"`},
		{user("--role", ""), 2, `--role must be admin, editor or viewer, got ""`},
		{user("--email", "nobody"), 2, `--email must be an email address, got "nobody"`},
		{user("--email", ""), 2, "missing --email"},
		{user("--org", ""), 2, "missing --org"},
		{user("--password", ""), 2, "missing --password or --password-stdin"},
		{user("--password", "short"), 2, "password must be at least 8 characters"},
		{[]string{"admin", "create-api-key", "--org", "acme"}, 2, "name: is required"},
		{[]string{"admin", "create-api-key", "--name", "k"}, 2, "missing --org"},
	}
	for _, c := range cases {
		r := run(t, env, c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.want) || r.stdout != "" {
			t.Errorf("onair %s: exit %d, stdout %q, stderr %q; want exit %d and %q",
				strings.Join(c.args, " "), r.code, r.stdout, r.err, c.code, c.want)
		}
	}
	// None of those opened the store, so none made a database.
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("bad usage created %s: %v", data, err)
	}

	// Flags and names that pass are checked against the store.
	for _, args := range [][]string{user(), {"admin", "create-api-key", "--org", "acme", "--name", "k"}} {
		r := run(t, env, args...)
		if r.code != 1 || !strings.Contains(r.err, `organization "acme" not found`) || !strings.Contains(r.err, "onair admin create-org") {
			t.Errorf("onair %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.err)
		}
	}

	// The configuration is read as serve reads it: a bad one is reported.
	r := run(t, map[string]string{"ONAIR_DATA": data, "ONAIR_LOG_LEVEL": "loud"}, "admin", "create-org", "--name", "x")
	if r.code != 1 || !strings.Contains(r.err, "config: logLevel") {
		t.Errorf("a bad configuration: exit %d, stderr %q", r.code, r.err)
	}
	r = run(t, env, "admin", "create-org", "--name", "x", "--database", "mysql://x")
	if r.code != 1 || !strings.Contains(r.err, "database") {
		t.Errorf("--database mysql: exit %d, stderr %q", r.code, r.err)
	}

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"admin", "-h"}, []string{"create-org", "create-user", "create-api-key", "--data"}},
		{[]string{"admin", "create-user", "--help"}, []string{"--role ROLE", "--server-admin", "Store flags", "--data directory", "ONAIR_DATA"}},
		{[]string{"--help"}, []string{"onair admin", "onair login", "onair api-keys"}},
	} {
		r := run(t, env, c.args...)
		for _, want := range c.want {
			if r.code != 0 || !strings.Contains(r.stdout, want) {
				t.Errorf("onair %s: exit %d, stdout lacks %q:\n%s", strings.Join(c.args, " "), r.code, want, r.stdout)
			}
		}
	}
}
