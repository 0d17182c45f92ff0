package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/config"
	"onair/internal/server"
)

// start runs a whole server on a free port over SQLite in a temp dir.
func start(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.Data = dir
	cfg.HTTP = "127.0.0.1:0"
	cfg.Database = "sqlite://" + filepath.Join(dir, "onair.db")
	cfg.PublicURL = "http://onair.test"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})
	return "http://" + srv.HTTPAddr()
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func post(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestStartWithoutEngine: with no media engine a start ends in START_FAILED with
// the cause "no media engine", through the real controller loop.
func TestStartWithoutEngine(t *testing.T) {
	base := start(t)
	_, _, bp := get(t, base+"/api/blueprints/rtmp-passthrough")
	code, body := post(t, "POST", base+"/api/workflows", `{"name":"Live01","blueprint":`+bp+`}`)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	var id struct{ ID string }
	json.Unmarshal([]byte(body), &id)
	if code, body := post(t, "POST", base+"/api/channels", `{"workflows":["`+id.ID+`"]}`); code != 200 || !strings.Contains(body, id.ID) {
		t.Fatalf("start: %d %s", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	var ch struct {
		Status, Cause          string
		StartRequestedDateTime *time.Time
		StoppedDateTime        *time.Time
	}
	for time.Now().Before(deadline) {
		_, _, body := get(t, base+"/api/channels/"+id.ID)
		json.Unmarshal([]byte(body), &ch)
		if ch.Status == "START_FAILED" {
			break
		}
		if ch.Status == "RUNNING" {
			t.Fatal("a channel is RUNNING with no media engine")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ch.Status != "START_FAILED" || ch.Cause != "no media engine" || ch.StartRequestedDateTime == nil || ch.StoppedDateTime == nil {
		t.Fatalf("channel: %+v", ch)
	}
	_, _, metrics := get(t, base+"/metrics")
	for _, want := range []string{
		`onair_workflows{status="START_FAILED"} 1`,
		`onair_workflows{status="READY"} 0`,
		`onair_http_requests_total{code="201",method="POST",route="/api/workflows"} 1`,
		`onair_http_request_duration_seconds_count{method="GET",route="/api/channels/{workflowId}"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestOperations(t *testing.T) {
	base := start(t)
	if code, _, body := get(t, base+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz: %d %s", code, body)
	}
	code, hdr, body := get(t, base+"/api/nothing")
	if code != 404 || hdr.Get("Content-Type") != "application/json" || !strings.Contains(body, "message") {
		t.Fatalf("unknown API route: %d %s %s", code, hdr.Get("Content-Type"), body)
	}
	if code, _, body := get(t, base+"/docs/"); code != 200 || !strings.Contains(body, "<html") {
		t.Fatalf("docs: %d", code)
	}
}

// TestOpenAPICoversEveryRoute checks the served spec against requests: every
// documented operation answers (not the mux's 404 or 405), and every /api route
// family is documented.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	base := start(t)
	code, _, body := get(t, base+"/openapi.json")
	if code != 200 {
		t.Fatalf("openapi.json: %d", code)
	}
	var spec struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &spec); err != nil {
		t.Fatal(err)
	}
	if spec.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", spec.OpenAPI)
	}
	for _, p := range []string{"/api/blueprints", "/api/blueprints/{id}", "/api/workflows", "/api/workflows/{id}",
		"/api/workflows/{id}/duplicate", "/api/channels", "/api/channels/{workflowId}", "/api/regions", "/healthz", "/metrics", "/openapi.json"} {
		if spec.Paths[p] == nil {
			t.Errorf("spec lacks %s", p)
		}
	}
	for path, methods := range spec.Paths {
		for method := range methods {
			url := base + strings.NewReplacer("{id}", "x", "{workflowId}", "x").Replace(path)
			req, _ := http.NewRequest(strings.ToUpper(method), url, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 405 || (resp.StatusCode == 404 && !strings.Contains(string(b), "not found")) {
				t.Errorf("%s %s is documented but not served: %d %s", method, path, resp.StatusCode, b)
			}
		}
	}
}
