package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"onair/internal/api"
	"onair/internal/store"
	"onair/internal/testutil/e2e"
)

// startAPI serves the real API over a real SQLite store in a temp dir. wrap, when
// not nil, wraps the API's handler, to look at or replace what the client sees.
func startAPI(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e2e.SeedAdmin(t, st)
	a := api.New(api.Options{Store: st, Region: "local", PublicURL: "http://127.0.0.1:1", IngestHost: "127.0.0.1:1935"})
	mux := http.NewServeMux()
	a.Register(mux)
	var h http.Handler = mux
	if wrap != nil {
		h = wrap(mux)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// result is what a user sees of one command.
type result struct {
	code        int
	stdout, err string
}

// run runs the onair command line with env as its whole environment.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	if env == nil {
		// The commands act as the test server's admin unless a test says otherwise.
		env = map[string]string{"ONAIR_API_KEY": e2e.AdminKey}
	}
	code := Main(args, &out, &errOut, func(k string) string { return env[k] })
	return result{code: code, stdout: out.String(), err: errOut.String()}
}

// mustRun runs a command that must succeed and returns its output.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("onair %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.err)
	}
	return r.stdout
}

func TestAPIKeyHeader(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
	)
	url := startAPI(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Header.Get("x-api-key"))
			mu.Unlock()
			// What is sent is the test's subject; the API itself is served as admin.
			r.Header.Set("x-api-key", e2e.AdminKey)
			next.ServeHTTP(w, r)
		})
	})
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"none", map[string]string{}, nil, ""},
		{"flag", nil, []string{"--api-key", "s3cret"}, "s3cret"},
		{"env", map[string]string{"ONAIR_API_KEY": "from-env"}, nil, "from-env"},
		{"flag over env", map[string]string{"ONAIR_API_KEY": "from-env"}, []string{"--api-key=flag"}, "flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			args := append([]string{"blueprints", "list", "--server", url}, c.args...)
			if r := run(t, c.env, args...); r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 1 || seen[0] != c.want {
				t.Errorf("x-api-key headers = %q, want [%q]", seen, c.want)
			}
		})
	}
}

func TestServerFromEnvAndFlagPlacement(t *testing.T) {
	url := startAPI(t, nil)
	cases := [][]string{
		{"blueprints", "--server", url, "list"},
		{"blueprints", "list", "--server", url},
		{"blueprints", "--server=" + url, "-o", "table", "list"},
	}
	for _, args := range cases {
		if out := mustRun(t, args...); !strings.Contains(out, "rtmp-abr-720") {
			t.Errorf("onair %s printed %q", strings.Join(args, " "), out)
		}
	}
	r := run(t, map[string]string{"ONAIR_SERVER": url, "ONAIR_API_KEY": e2e.AdminKey}, "blueprints", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "rtmp-abr-720") {
		t.Errorf("with ONAIR_SERVER: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.err)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	r := run(t, map[string]string{"ONAIR_SERVER": "http://" + addr}, "workflows", "list")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, want := range []string{"cannot reach the onair server at http://" + addr, "refused", "onair serve", "--server"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
}

func TestErrorAnswerThatIsNotJSON(t *testing.T) {
	url := startAPI(t, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html><body>bad gateway</body></html>"))
		})
	})
	r := run(t, nil, "workflows", "list", "--server", url)
	if r.code != 1 || !strings.HasPrefix(r.err, "onair: 502 Bad Gateway: ") {
		t.Errorf("exit %d, stderr %q; want 1 and onair: 502 Bad Gateway: ...", r.code, r.err)
	}
}

func TestUsage(t *testing.T) {
	// None of these reach a server: a request would fail with exit 1, not 2.
	unreachable := map[string]string{"ONAIR_SERVER": "http://127.0.0.1:1"}
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"streams"}, `unknown command "streams"`},
		{[]string{"workflows"}, "which verb?"},
		{[]string{"workflows", "launch"}, `unknown verb "launch"`},
		{[]string{"workflows", "list", "--colour"}, "flag provided but not defined: -colour"},
		{[]string{"workflows", "list", "-o", "yaml"}, `-o must be table or json, got "yaml"`},
		{[]string{"workflows", "get"}, "missing <id>"},
		{[]string{"workflows", "get", "a", "b"}, `unexpected argument "b"`},
		{[]string{"workflows", "create", "--name", "x"}, "missing --blueprint"},
		{[]string{"workflows", "create", "--blueprint", "rtmp-abr-720"}, "missing --name"},
		{[]string{"workflows", "create", "--blueprint", "b", "-f", "x.json"}, "not both"},
		{[]string{"workflows", "list", "--limit", "many"}, "invalid value"},
		{[]string{"channels", "start"}, "missing <workflowId>"},
		{[]string{"blueprints", "list", "--server", "ftp://x"}, "--server must be an http:// or https:// URL"},
	}
	for _, c := range bad {
		r := run(t, unreachable, c.args...)
		if r.code != 2 {
			t.Errorf("onair %s: exit %d, want 2 (stderr %q)", strings.Join(c.args, " "), r.code, r.err)
		}
		if !strings.Contains(r.err, c.want) || !strings.Contains(r.err, "usage: onair") && !strings.Contains(r.err, `Run "onair`) {
			t.Errorf("onair %s: stderr lacks %q and the usage:\n%s", strings.Join(c.args, " "), c.want, r.err)
		}
		if r.stdout != "" {
			t.Errorf("onair %s: stdout %q, want nothing", strings.Join(c.args, " "), r.stdout)
		}
	}

	help := []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "onair workflows"},
		{[]string{"workflows", "-h"}, "duplicate"},
		{[]string{"channels", "--server", "http://x", "--help"}, "start"},
		{[]string{"workflows", "create", "-h"}, "-no-archives"},
		{[]string{"channels", "list", "--help"}, "-workflow"},
	}
	for _, c := range help {
		r := run(t, unreachable, c.args...)
		if r.code != 0 || !strings.Contains(r.stdout, c.want) || r.err != "" {
			t.Errorf("onair %s: exit %d, stdout lacks %q or stderr not empty:\n%s%s", strings.Join(c.args, " "), r.code, c.want, r.stdout, r.err)
		}
	}
}
