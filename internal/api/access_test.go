package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/store"
	"onair/internal/testutil/e2e"
)

// tenants is an API with two organizations: A ("default", its admin key, a
// viewer with an idToken, and one object of each kind) and B (its admin key).
type tenants struct {
	t      *testing.T
	st     store.Store
	srv    *httptest.Server
	ops    []string // METHOD path of every operation
	api    *api.Server
	tokens *auth.Tokens
	keyB   string
	viewer string // idToken of a viewer in A
	ids    map[string]string
}

func newTenants(t *testing.T) *tenants {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e2e.SeedAdmin(t, st)
	key, _ := auth.NewSigningKey()
	tokens, _ := auth.NewTokens(key, "onair", time.Now)
	a := api.New(api.Options{Store: st, Tokens: tokens, Region: "local", PublicURL: "http://onair.test", IngestHost: "onair.test:1935"})
	mux := http.NewServeMux()
	a.Register(mux)
	tn := &tenants{t: t, st: st, srv: httptest.NewServer(mux), api: a, tokens: tokens, ids: map[string]string{}}
	t.Cleanup(tn.srv.Close)

	// Organization B and its admin key.
	st.CreateOrganization(ctx, domain.Organization{ID: "org-b", Name: "B", Created: time.Now()})
	_, tn.keyB = auth.NewAPIKey()
	st.CreateAPIKey(ctx, domain.APIKey{ID: "keyb", OrgID: "org-b", Name: "b", Enabled: true, Hash: auth.HashSecret(tn.keyB), Created: time.Now()})

	// A viewer in A, logged in.
	hash, _ := auth.HashPassword("viewer-password")
	viewer := domain.User{ID: "viewer", OrgID: "default", Email: "viewer@a.test", PasswordHash: hash, Role: domain.RoleViewer, Created: time.Now()}
	if err := st.CreateUser(ctx, viewer); err != nil {
		t.Fatal(err)
	}
	tn.viewer, _, _ = tokens.Issue(viewer)

	// One object of each kind in A, made through the API as A's admin.
	bp := e2e.SmallBlueprint(domain.ClassSinglePipeline)
	tn.ids["workflows"] = tn.create("/api/workflows", map[string]any{"name": "A's show", "blueprint": bp})
	bp.ID = "a-blueprint"
	tn.ids["blueprints"] = tn.create("/api/blueprints", bp)
	tn.ids["managed-inputs"] = tn.create("/api/managed-inputs", map[string]any{"name": "A's input"})
	tn.ids["api-keys"] = tn.create("/api/api-keys", map[string]any{"name": "A's key"})
	tn.ids["users"] = "viewer"
	for _, op := range a.Operations() {
		tn.ops = append(tn.ops, op.Method+" "+op.Path)
	}
	return tn
}

func (tn *tenants) create(path string, body any) string {
	var id struct{ ID string }
	if code := tn.send("POST", path, body, "x-api-key", e2e.AdminKey, &id); code != 201 {
		tn.t.Fatalf("POST %s: %d", path, code)
	}
	return id.ID
}

// send makes one request with one credential header (none when header is "").
func (tn *tenants) send(method, path string, body any, header, value string, out any) int {
	tn.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, tn.srv.URL+path, strings.NewReader(string(raw)))
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set(header, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tn.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		json.Unmarshal(b, out)
	}
	return resp.StatusCode
}

// path fills an operation's path parameters with A's object of that kind.
func (tn *tenants) path(p string) string {
	kind := strings.Split(strings.TrimPrefix(p, "/api/"), "/")[0]
	if kind == "channels" {
		kind = "workflows"
	}
	id := tn.ids[kind]
	if id == "" {
		id = "x"
	}
	return strings.NewReplacer("{id}", id, "{workflowId}", id).Replace(p)
}

func public(op string) bool { return strings.HasPrefix(op, "POST /api/auth/") }

// refused is the status a route answers a refusal of credentials with: the
// Stream Manager's routes answer every failure with 400 or 404, as its
// document says; the others with want (401 or 403).
func refused(path string, want int) int {
	if strings.HasPrefix(path, "/streammanager/") {
		return 400
	}
	return want
}

// TestEveryRouteNeedsCredentials is built from the router itself: a route added
// later that skips authentication fails it.
func TestEveryRouteNeedsCredentials(t *testing.T) {
	tn := newTenants(t)
	for _, op := range tn.ops {
		method, path, _ := strings.Cut(op, " ")
		code := tn.send(method, tn.path(path), map[string]any{}, "", "", nil)
		if public(op) {
			if code == 401 && !strings.HasPrefix(path, "/api/auth/") {
				t.Errorf("%s: public but 401", op)
			}
			continue
		}
		want := refused(path, 401)
		if code != want {
			t.Errorf("%s without credentials: %d, want %d", op, code, want)
		}
		for _, bad := range [][2]string{{"x-api-key", "not-a-key"}, {"Authorization", "Bearer not.a.token"}, {"Authorization", "Basic dXNlcjpwYXNz"}} {
			if code := tn.send(method, tn.path(path), map[string]any{}, bad[0], bad[1], nil); code != want {
				t.Errorf("%s with %s %q: %d, want %d", op, bad[0], bad[1], code, want)
			}
		}
	}
}

// TestViewerCannotWrite: a viewer's idToken reads, and every write is 403.
func TestViewerCannotWrite(t *testing.T) {
	tn := newTenants(t)
	for _, op := range tn.ops {
		method, path, _ := strings.Cut(op, " ")
		if public(op) {
			continue
		}
		code := tn.send(method, tn.path(path), map[string]any{}, "Authorization", "Bearer "+tn.viewer, nil)
		perm, _ := api.Permission(method, operationID(tn.api, op))
		switch {
		case perm == domain.PermRead && code == 403:
			t.Errorf("%s: a viewer may read, got 403", op)
		case perm != domain.PermRead && code != refused(path, 403):
			t.Errorf("%s: a viewer got %d, want %d", op, code, refused(path, 403))
		}
	}
}

// TestTenantsCannotSeeEachOther: every route that names one of A's objects
// answers 404 to B, never 403, and B's lists hold none of A's objects.
func TestTenantsCannotSeeEachOther(t *testing.T) {
	tn := newTenants(t)
	for _, op := range tn.ops {
		method, path, _ := strings.Cut(op, " ")
		if !strings.Contains(path, "{") || strings.HasPrefix(path, "/api/organizations") {
			continue
		}
		code := tn.send(method, tn.path(path), map[string]any{"name": "x", "enabled": false}, "x-api-key", tn.keyB, nil)
		if code != 404 && !(code == 400 && method != "GET" && method != "DELETE") {
			t.Errorf("%s on A's object as B: %d, want 404", op, code)
		}
	}
	var res api.ChannelsResult
	tn.send("POST", "/api/channels", map[string]any{"workflows": []string{tn.ids["workflows"]}}, "x-api-key", tn.keyB, &res)
	if len(res.Items) != 0 || len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Message, "not found") {
		t.Errorf("B started A's channel: %+v", res)
	}
	for _, list := range []string{"/api/workflows", "/api/managed-inputs", "/api/api-keys", "/api/users", "/api/channels"} {
		var body map[string]any
		raw := map[string]any{}
		tn.send("GET", list, nil, "x-api-key", tn.keyB, &body)
		_ = raw
		b, _ := json.Marshal(body)
		for kind, id := range tn.ids {
			if strings.Contains(string(b), id) && id != "" {
				t.Errorf("B's %s lists A's %s %s", list, kind, id)
			}
		}
	}
	var bps api.BlueprintList
	tn.send("GET", "/api/blueprints", nil, "x-api-key", tn.keyB, &bps)
	for _, b := range bps.Items {
		if b.ID == "a-blueprint" {
			t.Error("B lists A's blueprint")
		}
	}
}

// TestWritesDeclareAPermission: every write names its permission, so that
// none falls back to the refuse-all default by omission.
func TestWritesDeclareAPermission(t *testing.T) {
	a := api.New(api.Options{Region: "local"})
	for _, op := range a.Operations() {
		if op.Public || op.Method == "GET" {
			continue
		}
		if _, ok := api.Permission(op.Method, op.OperationID); !ok {
			t.Errorf("%s %s (%s) declares no permission in access.go", op.Method, op.Path, op.OperationID)
		}
	}
}

func TestKeysAndTokens(t *testing.T) {
	tn := newTenants(t)
	// A new key works; disabled or revoked, it fails on the very next request.
	var k api.APIKeyCreated
	if code := tn.send("POST", "/api/api-keys", map[string]any{"name": "ci"}, "x-api-key", e2e.AdminKey, &k); code != 201 || len(k.Value) < 40 || !k.Enabled {
		t.Fatalf("create key: %d %+v", code, k)
	}
	if code := tn.send("GET", "/api/workflows", nil, "x-api-key", k.Value, nil); code != 200 {
		t.Fatalf("new key: %d", code)
	}
	tn.send("PUT", "/api/api-keys/"+k.ID, map[string]any{"enabled": false}, "x-api-key", e2e.AdminKey, nil)
	if code := tn.send("GET", "/api/workflows", nil, "x-api-key", k.Value, nil); code != 401 {
		t.Errorf("disabled key: %d, want 401", code)
	}
	tn.send("PUT", "/api/api-keys/"+k.ID, map[string]any{"enabled": true}, "x-api-key", e2e.AdminKey, nil)
	if code := tn.send("GET", "/api/workflows", nil, "x-api-key", k.Value, nil); code != 200 {
		t.Errorf("re-enabled key: %d", code)
	}
	tn.send("DELETE", "/api/api-keys/"+k.ID, nil, "x-api-key", e2e.AdminKey, nil)
	if code := tn.send("GET", "/api/workflows", nil, "x-api-key", k.Value, nil); code != 401 {
		t.Errorf("revoked key: %d, want 401", code)
	}
	// Neither key values nor hashes come back from any listing.
	var raw json.RawMessage
	tn.send("GET", "/api/api-keys", nil, "x-api-key", e2e.AdminKey, &raw)
	tn.send("GET", "/api/users", nil, "x-api-key", e2e.AdminKey, &raw)
	for _, list := range []string{"/api/api-keys", "/api/users"} {
		var body json.RawMessage
		tn.send("GET", list, nil, "x-api-key", e2e.AdminKey, &body)
		low := strings.ToLower(string(body))
		if strings.Contains(low, "hash") || strings.Contains(low, "password") || strings.Contains(string(body), k.Value) || strings.Contains(string(body), auth.HashSecret(e2e.AdminKey)) {
			t.Errorf("%s leaks a secret: %s", list, body)
		}
	}

	// Log in as the viewer, use the idToken, refresh it once, and not twice.
	var res api.AuthResult
	if code := tn.send("POST", "/api/auth/authorize", map[string]any{"email": "viewer@a.test", "password": "viewer-password"}, "", "", &res); code != 200 || !res.Status || res.Data.ExpiresIn != 3600 || res.Data.TokenType != "Bearer" {
		t.Fatalf("authorize: %d %+v %+v", code, res, res.Data)
	}
	if code := tn.send("GET", "/api/workflows", nil, "Authorization", "Bearer "+res.Data.IdToken, nil); code != 200 {
		t.Fatalf("idToken: %d", code)
	}
	old := res.Data.RefreshToken
	if code := tn.send("POST", "/api/auth/refresh", map[string]any{"refreshToken": old}, "", "", &res); code != 200 || res.Data.RefreshToken == old {
		t.Fatalf("refresh: %d %+v", code, res)
	}
	if code := tn.send("POST", "/api/auth/refresh", map[string]any{"refreshToken": old}, "", "", &res); code != 401 || res.Status {
		t.Errorf("a refresh token worked twice: %d", code)
	}
	// Wrong email and wrong password get the same answer.
	var a, b api.AuthResult
	ca := tn.send("POST", "/api/auth/authorize", map[string]any{"email": "nobody@a.test", "password": "viewer-password"}, "", "", &a)
	cb := tn.send("POST", "/api/auth/authorize", map[string]any{"email": "viewer@a.test", "password": "wrong-password"}, "", "", &b)
	if ca != 401 || cb != 401 || a.Message != b.Message || a.Status || a.Message == "" {
		t.Errorf("wrong email %d %+v, wrong password %d %+v", ca, a, cb, b)
	}
	// Repeated failures are limited, per email.
	limited := false
	for i := 0; i < 8; i++ {
		if tn.send("POST", "/api/auth/authorize", map[string]any{"email": "viewer@a.test", "password": "guess"}, "", "", nil) == 429 {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("repeated failed logins were never limited")
	}
	// A disabled user loses access at once, token or not.
	tn.send("PUT", "/api/users/viewer", map[string]any{"disabled": true}, "x-api-key", e2e.AdminKey, nil)
	if code := tn.send("GET", "/api/workflows", nil, "Authorization", "Bearer "+tn.viewer, nil); code != 401 {
		t.Errorf("disabled user's token: %d, want 401", code)
	}
	// A token signed elsewhere, and an alg:none one, are refused.
	otherKey, _ := auth.NewSigningKey()
	other, _ := auth.NewTokens(otherKey, "onair", time.Now)
	forged, _, _ := other.Issue(domain.User{ID: "viewer", OrgID: "default", Role: domain.RoleAdmin})
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(tn.viewer, ".")[1] + "."
	for name, tok := range map[string]string{"another server's": forged, "alg:none": none} {
		if code := tn.send("GET", "/api/workflows", nil, "Authorization", "Bearer "+tok, nil); code != 401 {
			t.Errorf("%s token: %d, want 401", name, code)
		}
	}
}

func operationID(a *api.Server, op string) string {
	for _, o := range a.Operations() {
		if o.Method+" "+o.Path == op {
			return o.OperationID
		}
	}
	return ""
}

// TestStreamManagerAccessToken: ?accessToken= takes an idToken as well as
// an API key, with the user's role; the headers work too; and a provision
// belongs to the token's organization.
func TestStreamManagerAccessToken(t *testing.T) {
	tn := newTenants(t)
	const base = "/streammanager/api/4.0/admin/event/meta"
	body := map[string]any{"meta": map[string]any{"qos": 3}}
	if code := tn.send("POST", base+"/live/a?accessToken="+e2e.AdminKey, body, "", "", nil); code != 201 {
		t.Fatalf("create with an API key as accessToken: %d", code)
	}
	var list []map[string]any
	if code := tn.send("GET", base+"?accessToken="+tn.viewer, nil, "", "", &list); code != 200 || len(list) != 1 {
		t.Errorf("a viewer's idToken as accessToken lists %d %v, want the one provision", code, list)
	}
	var eb map[string]any
	if code := tn.send("POST", base+"/live/b?accessToken="+tn.viewer, body, "", "", &eb); code != 400 || !strings.Contains(fmt.Sprint(eb["errorMessage"]), "permission") {
		t.Errorf("a viewer's create: %d %v, want 400 naming the permission", code, eb)
	}
	if code := tn.send("GET", base+"/live/a", nil, "Authorization", "Bearer "+tn.viewer, nil); code != 200 {
		t.Errorf("an idToken in the Authorization header: %d", code)
	}
	// Organization B neither sees nor touches A's provision, nor takes its path.
	if code := tn.send("GET", base+"/", nil, "x-api-key", tn.keyB, &list); code != 200 || len(list) != 0 {
		t.Errorf("B lists %d %v, want none", code, list)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if code := tn.send(m, base+"/live/a?accessToken="+tn.keyB, nil, "", "", nil); code != 404 {
			t.Errorf("%s of A's provision by B: %d, want 404", m, code)
		}
	}
	if code := tn.send("POST", base+"/live/a?accessToken="+tn.keyB, body, "", "", &eb); code != 400 {
		t.Errorf("B creating A's path: %d, want 400", code)
	}
}
