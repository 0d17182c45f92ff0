package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onair/internal/api"
	"onair/internal/config"
	"onair/internal/domain"
	"onair/internal/testutil/e2e"
)

// TestStartWithBrokenFFmpeg: a start that cannot spawn ffmpeg ends in
// START_FAILED with a cause a person can act on, and leaves nothing behind.
func TestStartWithBrokenFFmpeg(t *testing.T) {
	n := startNode(t, func(c *config.Config) { c.FFmpeg = "/nonexistent/ffmpeg" })
	var id api.IDResponse
	n.Call("POST", "/api/workflows", map[string]any{"name": "Broken", "blueprint": e2e.SmallBlueprint(domain.ClassSinglePipeline)}, &id)
	n.Call("POST", "/api/channels", map[string]any{"workflows": []string{id.ID}}, nil)
	info := n.WaitStatus(id.ID, domain.StatusStartFailed)
	if !strings.Contains(info.Cause, "/nonexistent/ffmpeg") || info.StartRequestedDateTime == nil || info.StoppedDateTime == nil {
		t.Fatalf("channel: %+v", info)
	}
	if len(info.Endpoints.Input) != 0 {
		t.Errorf("a failed channel lists ingest endpoints: %+v", info.Endpoints)
	}
	for _, dir := range []string{"live/" + id.ID, "archive/" + id.ID + "/" + info.RunID} {
		if _, err := os.Stat(filepath.Join(n.data, dir)); !os.IsNotExist(err) {
			t.Errorf("%s left behind after rollback", dir)
		}
	}
	metrics := n.metrics(t)
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
	base := startNode(t, nil).Base
	if code, _, body := e2e.Get(t, base+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthz: %d %s", code, body)
	}
	code, hdr, body := e2e.Get(t, base+"/api/nothing")
	if code != 404 || hdr.Get("Content-Type") != "application/json" || !strings.Contains(body, "message") {
		t.Fatalf("unknown API route: %d %s %s", code, hdr.Get("Content-Type"), body)
	}
	if code, _, body := e2e.Get(t, base+"/docs/"); code != 200 || !strings.Contains(body, "<html") {
		t.Fatalf("docs: %d", code)
	}
	if code, _, _ := e2e.Get(t, base+"/live/nothing/master.m3u8"); code != 404 {
		t.Fatalf("unknown live playlist: %d", code)
	}
}

// TestOpenAPICoversEveryRoute checks the served spec against requests: every
// documented operation answers (not the mux's 404 or 405), and every /api route
// family is documented.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	base := startNode(t, nil).Base
	code, _, body := e2e.Get(t, base+"/openapi.json")
	if code != 200 {
		t.Fatalf("openapi.json: %d", code)
	}
	var spec struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Security   []map[string][]string                 `json:"security"`
		Components struct {
			SecuritySchemes map[string]struct{ Type, Name, In, Scheme string } `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &spec); err != nil {
		t.Fatal(err)
	}
	if spec.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", spec.OpenAPI)
	}
	// Both credentials are documented, so that /docs can authorize with either.
	if k := spec.Components.SecuritySchemes["apiKey"]; k.Type != "apiKey" || k.Name != "x-api-key" || k.In != "header" {
		t.Errorf("apiKey scheme: %+v", k)
	}
	if b := spec.Components.SecuritySchemes["idToken"]; b.Type != "http" || b.Scheme != "bearer" {
		t.Errorf("idToken scheme: %+v", b)
	}
	if len(spec.Security) != 2 {
		t.Errorf("global security: %v", spec.Security)
	}
	for _, p := range []string{"/api/blueprints", "/api/blueprints/{id}", "/api/workflows", "/api/workflows/{id}",
		"/api/workflows/{id}/duplicate", "/api/channels", "/api/channels/{workflowId}", "/api/regions", "/healthz", "/metrics", "/openapi.json",
		"/live/{workflowId}/master.m3u8", "/archive/{file}"} {
		if spec.Paths[p] == nil {
			t.Errorf("spec lacks %s", p)
		}
	}
	for path, methods := range spec.Paths {
		for method := range methods {
			url := base + strings.NewReplacer("{id}", "x", "{workflowId}", "x", "{file}", "x.mp4").Replace(path)
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
