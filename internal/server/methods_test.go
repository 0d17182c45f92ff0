package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"onair/internal/testutil/e2e"
)

// TestWrongMethods walks every documented path with each method it does not
// have: 405, with an Allow header that lists the path's methods (GET brings
// HEAD), and outside the origin a JSON message; the Stream Manager's paths
// answer 400 in its shape, {errorMessage, timestamp}, as its document has
// every failure 400 or 404. Unknown paths stay 404.
func TestWrongMethods(t *testing.T) {
	n := startNode(t, nil)
	code, _, body := e2e.Get(t, n.Base+"/openapi.json")
	if code != 200 {
		t.Fatalf("openapi.json: %d", code)
	}
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &spec); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	checked := 0
	for path, ops := range spec.Paths {
		var want []string
		for m := range ops {
			want = append(want, strings.ToUpper(m))
		}
		if slices.Contains(want, "GET") {
			want = append(want, "HEAD")
		}
		// The origin also answers CORS preflights, and keeps its plain-text errors.
		origin := strings.HasPrefix(path, "/live/") || strings.HasPrefix(path, "/archive/")
		url := n.Base + param.ReplaceAllString(path, "x")
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
			if slices.Contains(want, m) {
				continue
			}
			checked++
			status, allow, msg, ctype := send(t, m, url)
			wantStatus := http.StatusMethodNotAllowed
			if strings.HasPrefix(path, "/streammanager/") {
				wantStatus = http.StatusBadRequest
			}
			if status != wantStatus {
				t.Errorf("%s %s: %d, want %d", m, path, status, wantStatus)
				continue
			}
			extra := slices.DeleteFunc(slices.Clone(allow), func(a string) bool { return slices.Contains(want, a) || (origin && a == "OPTIONS") })
			if missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return slices.Contains(allow, w) }); len(missing) > 0 || len(extra) > 0 {
				t.Errorf("%s %s: Allow %v, want %v", m, path, allow, want)
			}
			if !origin && m != "HEAD" && (ctype != "application/json" || !strings.Contains(msg, m) || !strings.Contains(msg, "not allowed")) {
				t.Errorf("%s %s: %s body %q, want a JSON message naming the method", m, path, ctype, msg)
			}
		}
	}
	if checked < 40 {
		t.Errorf("only %d wrong methods tried; is the spec complete?", checked)
	}
	for _, path := range []string{"/api/nothing", "/api/streams/x/nothing", "/nothing", "/streammanager/api/4.0/admin/event/meta/live"} {
		if status, allow, _, _ := send(t, "POST", n.Base+path); status != 404 || len(allow) != 0 {
			t.Errorf("POST %s: %d, Allow %v; want 404 without Allow", path, status, allow)
		}
	}
}

// send makes one request with the admin key and returns the status, the Allow
// header's methods, the JSON message and the content type.
func send(t *testing.T, method, url string) (status int, allow []string, msg, ctype string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", e2e.AdminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var eb struct{ Message, ErrorMessage string }
	json.Unmarshal(raw, &eb)
	if eb.Message == "" {
		eb.Message = eb.ErrorMessage // the Stream Manager's shape
	}
	for _, a := range strings.Split(resp.Header.Get("Allow"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			allow = append(allow, a)
		}
	}
	return resp.StatusCode, allow, eb.Message, resp.Header.Get("Content-Type")
}
