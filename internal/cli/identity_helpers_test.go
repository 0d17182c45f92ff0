package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"onair/internal/testutil/testclock"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/api"
	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/store"
)

// seen is one request as the server got it.
type seen struct {
	path, apiKey, authorization string
	status                      int
}

// identityServer is the real API over a real SQLite store, with an
// organization, an admin user and an API key made directly in the store.
type identityServer struct {
	url      string
	st       store.Store
	clock    *testclock.Clock
	org      string
	email    string
	password string
	apiKey   string // the value of an enabled key of org

	mu   sync.Mutex
	reqs []seen
}

// identityOptions change what startIdentityAPI builds.
type identityOptions struct {
	limiter *auth.Limiter // nil: the API's default
	st      store.Store   // nil: a new SQLite store in a temp dir
}

func startIdentityAPI(t *testing.T, o identityOptions) *identityServer {
	t.Helper()
	ctx := context.Background()
	s := &identityServer{
		st: o.st, clock: testclock.New(time.Now().UTC()),
		org: "acme", email: "ann@example.com", password: "correct horse battery",
	}
	if s.st == nil {
		st, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "onair.db"))
		if err != nil {
			t.Fatalf("store.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		s.st = st

		if err := st.CreateOrganization(ctx, domain.Organization{ID: s.org, Name: "Acme", Created: s.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		hash, err := auth.HashPassword(s.password)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateUser(ctx, domain.User{ID: "u-ann", OrgID: s.org, Email: s.email, PasswordHash: hash,
			Role: domain.RoleAdmin, Created: s.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		id, value := auth.NewAPIKey()
		if err := st.CreateAPIKey(ctx, domain.APIKey{ID: id, OrgID: s.org, Name: "test", Enabled: true,
			Hash: auth.HashSecret(value), Created: s.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		s.apiKey = value
	}

	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", 32)), "onair-test", s.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(api.Options{Store: s.st, Region: "local", PublicURL: "http://127.0.0.1:1", IngestHost: "127.0.0.1:1935",
		Now: s.clock.Now, Tokens: tokens, Limiter: o.limiter})
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{path: r.URL.Path, apiKey: r.Header.Get("x-api-key"),
			authorization: r.Header.Get("Authorization"), status: rec.status})
		s.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// requests returns the requests served since the last call.
func (s *identityServer) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.reqs
	s.reqs = nil
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
