package cli

import (
	"encoding/json"
	"onair/internal/testutil/testclock"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/auth"
)

// readCreds reads the login file as a later command would.
func readCreds(t *testing.T, path string) credentials {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the login file: %v", err)
	}
	var c credentials
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("the login file is not JSON: %v\n%s", err, raw)
	}
	return c
}

func writeCreds(t *testing.T, path string, c credentials) {
	t.Helper()
	if err := saveCredentials(path, c); err != nil {
		t.Fatal(err)
	}
}

func TestLogin(t *testing.T) {
	srv := startIdentityAPI(t, identityOptions{})
	xdg := filepath.Join(t.TempDir(), "xdg")
	env := map[string]string{"XDG_CONFIG_HOME": xdg, "ONAIR_SERVER": srv.url}
	file := filepath.Join(xdg, "onair", "credentials.json")

	// Not logged in: the refusal says how to log in.
	r := run(t, env, "workflows", "list")
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 401 Unauthorized: ") ||
		!strings.Contains(r.err, `onair login`) || !strings.Contains(r.err, "--api-key") {
		t.Errorf("without credentials: exit %d, stderr %q", r.code, r.err)
	}

	r = run(t, env, "login", "--email", srv.email, "--password", "wrong password")
	if r.code != 1 || r.err != "onair login: wrong email or password\n" || r.stdout != "" {
		t.Errorf("wrong password: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.err)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("a failed login left a file: %v", err)
	}

	r = run(t, env, "login", "--email", srv.email, "--password", srv.password)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "logged in as "+srv.email) {
		t.Fatalf("login: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.err)
	}
	for path, want := range map[string]os.FileMode{file: 0o600, filepath.Dir(file): 0o700 | os.ModeDir} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v, mode %v, want %v", path, err, fi.Mode(), want)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".credentials-*")); len(leftovers) > 0 {
		t.Errorf("temp files left: %q", leftovers)
	}
	c := readCreds(t, file)
	if c.Server != srv.url || c.IDToken == "" || c.RefreshToken == "" || time.Until(c.Expires) < 50*time.Minute {
		t.Errorf("the login file: %+v", c)
	}

	// Later commands send the idToken, and no API key.
	srv.requests()
	id := newIDEnv(t, env, "workflows", "create", "--blueprint", "rtmp-abr-720", "--name", "Live01")
	if out := mustRunEnv(t, env, "workflows", "list"); !strings.Contains(out, id) {
		t.Errorf("workflows list after login lacks %s:\n%s", id, out)
	}
	for _, req := range srv.requests() {
		if req.authorization != "Bearer "+c.IDToken || req.apiKey != "" {
			t.Errorf("%s sent Authorization %q, x-api-key %q", req.path, req.authorization, req.apiKey)
		}
	}

	// --api-key wins over the login.
	mustRunEnv(t, env, "workflows", "list", "--api-key", srv.apiKey)
	if reqs := srv.requests(); len(reqs) != 1 || reqs[0].apiKey != srv.apiKey || reqs[0].authorization != "" {
		t.Errorf("with --api-key: %+v", reqs)
	}

	// The login is for one server: another one is told so.
	other := startIdentityAPI(t, identityOptions{})
	r = run(t, env, "workflows", "list", "--server", other.url)
	if r.code != 1 || !strings.Contains(r.err, "logged in to "+srv.url) {
		t.Errorf("another server: exit %d, stderr %q", r.code, r.err)
	}
	if reqs := other.requests(); len(reqs) != 1 || reqs[0].authorization != "" {
		t.Errorf("the login was sent to another server: %+v", reqs)
	}

	if out := mustRunEnv(t, env, "logout"); out != "logged out\n" {
		t.Errorf("logout printed %q", out)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the login file after logout: %v", err)
	}
	if out := mustRunEnv(t, env, "logout"); out != "not logged in\n" {
		t.Errorf("logout twice printed %q", out)
	}
	if r := run(t, env, "workflows", "list"); r.code != 1 || !strings.Contains(r.err, "onair login") {
		t.Errorf("after logout: exit %d, stderr %q", r.code, r.err)
	}
}

func TestLoginPasswordSources(t *testing.T) {
	srv := startIdentityAPI(t, identityOptions{})
	file := filepath.Join(t.TempDir(), "creds.json")
	env := map[string]string{"ONAIR_CREDENTIALS": file, "ONAIR_SERVER": srv.url}

	envWithPassword := map[string]string{"ONAIR_CREDENTIALS": file, "ONAIR_SERVER": srv.url, "ONAIR_PASSWORD": srv.password}
	if out := mustRunEnv(t, envWithPassword, "login", "--email", srv.email); !strings.Contains(out, "logged in as") {
		t.Errorf("ONAIR_PASSWORD: %q", out)
	}
	os.Remove(file)

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pw.WriteString(srv.password + "\n")
	pw.Close()
	saved := os.Stdin
	os.Stdin = pr
	defer func() { os.Stdin = saved; pr.Close() }()
	if out := mustRunEnv(t, env, "login", "--email", srv.email, "--password-stdin"); !strings.Contains(out, "logged in as") {
		t.Errorf("--password-stdin: %q", out)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode() != 0o600 {
		t.Errorf("ONAIR_CREDENTIALS: %v %v", err, fi.Mode())
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"login", "--password", "x"}, "missing --email"},
		{[]string{"login", "--email", srv.email}, "missing --password, --password-stdin or ONAIR_PASSWORD"},
		{[]string{"login", "--email", srv.email, "--password", "x", "--password-stdin"}, "not both"},
		{[]string{"login", "--email", srv.email, "--api-key", "k"}, "flag provided but not defined: -api-key"},
		{[]string{"logout", "now"}, `unexpected argument "now"`},
	} {
		r := run(t, env, c.args...)
		if r.code != 2 || !strings.Contains(r.err, c.want) || !strings.Contains(r.err, "usage: onair log") {
			t.Errorf("onair %s: exit %d, stderr %q; want 2 and %q", strings.Join(c.args, " "), r.code, r.err, c.want)
		}
	}
	if r := run(t, env, "login", "-h"); r.code != 0 || !strings.Contains(r.stdout, "--password-stdin") {
		t.Errorf("login -h: exit %d\n%s", r.code, r.stdout)
	}
}

func TestLoginRateLimited(t *testing.T) {
	clock := testclock.New(time.Now())
	srv := startIdentityAPI(t, identityOptions{limiter: auth.NewLimiter(1, time.Hour, clock.Now)})
	env := map[string]string{"ONAIR_CREDENTIALS": filepath.Join(t.TempDir(), "creds.json"), "ONAIR_SERVER": srv.url}
	run(t, env, "login", "--email", srv.email, "--password", "wrong password")
	r := run(t, env, "login", "--email", srv.email, "--password", srv.password)
	if r.code != 1 || !strings.HasPrefix(r.err, "onair login: too many failed attempts") {
		t.Errorf("after too many failures: exit %d, stderr %q", r.code, r.err)
	}
}

func TestLoginRefresh(t *testing.T) {
	srv := startIdentityAPI(t, identityOptions{})
	file := filepath.Join(t.TempDir(), "creds.json")
	env := map[string]string{"ONAIR_CREDENTIALS": file, "ONAIR_SERVER": srv.url, "ONAIR_PASSWORD": srv.password}
	mustRunEnv(t, env, "login", "--email", srv.email)
	first := readCreds(t, file)

	// The server's clock moves past the idToken's expiry while ours does not:
	// the server refuses it, and the client refreshes once and tries again.
	srv.clock.Advance(2 * time.Hour)
	srv.requests()
	if out := mustRunEnv(t, env, "workflows", "list"); !strings.Contains(out, "no workflows") {
		t.Errorf("list after the server expired the token:\n%s", out)
	}
	second := readCreds(t, file)
	if second.IDToken == first.IDToken || second.RefreshToken == first.RefreshToken {
		t.Errorf("the login file was not updated: %+v", second)
	}
	if got := paths(srv.requests()); got != "/api/workflows:401 /api/auth/refresh:200 /api/workflows:200" {
		t.Errorf("requests: %s", got)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode() != 0o600 {
		t.Errorf("the refreshed file: %v %v", err, fi.Mode())
	}

	// A login that the file says has expired is refreshed before the request.
	second.Expires = time.Now().Add(-time.Minute)
	writeCreds(t, file, second)
	mustRunEnv(t, env, "workflows", "list")
	if got := paths(srv.requests()); got != "/api/auth/refresh:200 /api/workflows:200" {
		t.Errorf("requests: %s", got)
	}
	third := readCreds(t, file)
	if third.IDToken == second.IDToken || third.RefreshToken == second.RefreshToken || time.Until(third.Expires) < 50*time.Minute {
		t.Errorf("the login file after a refresh: %+v", third)
	}

	// A refresh token works once: the old one gets nowhere, and the user is
	// told to log in again.
	third.Expires, third.RefreshToken = time.Now().Add(-time.Minute), second.RefreshToken
	writeCreds(t, file, third)
	r := run(t, env, "workflows", "list")
	if r.code != 1 || !strings.Contains(r.err, "401 Unauthorized") || !strings.Contains(r.err, "onair login") {
		t.Errorf("a spent refresh token: exit %d, stderr %q", r.code, r.err)
	}
	if got := paths(srv.requests()); got != "/api/auth/refresh:401" {
		t.Errorf("requests: %s", got)
	}

	// A token the server refuses, with a refresh token that is spent, is
	// refreshed once and not again.
	writeCreds(t, file, credentials{Server: srv.url, IDToken: "bogus", RefreshToken: "spent", Expires: time.Now().Add(time.Hour)})
	if r := run(t, env, "workflows", "list"); r.code != 1 || !strings.Contains(r.err, "log in again") {
		t.Errorf("a bogus token: exit %d, stderr %q", r.code, r.err)
	}
	if got := paths(srv.requests()); got != "/api/workflows:401 /api/auth/refresh:401" {
		t.Errorf("requests: %s", got)
	}
}

func TestLoginFileDamaged(t *testing.T) {
	file := filepath.Join(t.TempDir(), "creds.json")
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ONAIR_CREDENTIALS": file, "ONAIR_SERVER": "http://127.0.0.1:1"}
	r := run(t, env, "workflows", "list")
	if r.code != 1 || !strings.Contains(r.err, "damaged") || !strings.Contains(r.err, "onair logout") {
		t.Errorf("a damaged login file: exit %d, stderr %q", r.code, r.err)
	}
	// An API key needs no login, damaged or not.
	r = run(t, env, "workflows", "list", "--api-key", "k")
	if r.code != 1 || !strings.Contains(r.err, "cannot reach") {
		t.Errorf("with --api-key: exit %d, stderr %q", r.code, r.err)
	}
	// Logging in again replaces it, and logging out removes it.
	srv := startIdentityAPI(t, identityOptions{})
	env = map[string]string{"ONAIR_CREDENTIALS": file, "ONAIR_SERVER": srv.url, "ONAIR_PASSWORD": srv.password}
	mustRunEnv(t, env, "login", "--email", srv.email)
	mustRunEnv(t, env, "workflows", "list")
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := mustRunEnv(t, env, "logout"); out != "logged out\n" {
		t.Errorf("logout of a damaged login printed %q", out)
	}
}

// paths sums up requests as "path:status ...".
func paths(reqs []seen) string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.path+":"+strconv.Itoa(r.status))
	}
	return strings.Join(out, " ")
}

// mustRunEnv runs a command with env that must succeed and returns its output.
func mustRunEnv(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	r := run(t, env, args...)
	if r.code != 0 {
		t.Fatalf("onair %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.err)
	}
	return r.stdout
}

// newIDEnv runs a command with env that prints a new object's id.
func newIDEnv(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	id := strings.TrimSpace(mustRunEnv(t, env, args...))
	if id == "" || strings.ContainsAny(id, " \n") {
		t.Fatalf("onair %s printed %q, want one id", strings.Join(args, " "), id)
	}
	return id
}
