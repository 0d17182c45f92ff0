package console

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

// serve mounts the console as the server does, as the fallback behind a more
// specific API pattern, and makes one request.
func serve(t *testing.T, method, target string, header ...string) (*http.Response, string) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /api/workflows", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"items":[]}`)
	}))
	mux.Handle("/", Handler())
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	resp := rec.Result()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestPage(t *testing.T) {
	resp, page := serve(t, "GET", "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %s", resp.Status)
	}
	for k, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-cache",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'self';") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy = %q, want default-src 'self' and nothing unsafe", csp)
	}
	// Images may also be data: URLs (the health graphs), and nothing else may.
	if !strings.Contains(csp, "; img-src 'self' data:;") || strings.Count(csp, "data:") != 1 {
		t.Errorf("Content-Security-Policy = %q, want img-src 'self' data: and data: nowhere else", csp)
	}
	if !strings.Contains(page, "<title>onair console</title>") {
		t.Errorf("GET / is not the console page:\n%.300s", page)
	}
	// The CSP would block these; catch them here rather than in a browser.
	if m := regexp.MustCompile(`(?i)<script(?:[^>]*)>\s*[^<\s]|\son[a-z]+\s*=|\sstyle\s*=|<style`).FindString(page); m != "" {
		t.Errorf("page has inline script, style or event handler: %q", m)
	}
}

// TestAssets checks that every file the page links to is served with its type,
// and that the modules import only files that exist.
func TestAssets(t *testing.T) {
	_, page := serve(t, "GET", "/")
	var links []string
	for _, m := range regexp.MustCompile(`(?:src|href)="(/console/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		links = append(links, m[1])
	}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := fs.Glob(sub, "*.js")
	for _, name := range js {
		links = append(links, Prefix+name)
		b, _ := fs.ReadFile(sub, name)
		for _, m := range regexp.MustCompile(`(?m)^import .* from '\./([^']+)';$`).FindAllStringSubmatch(string(b), -1) {
			if _, err := fs.Stat(sub, m[1]); err != nil {
				t.Errorf("%s imports %s, which static/ does not hold", name, m[1])
			}
		}
		if regexp.MustCompile(`\.innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(`).Match(b) {
			t.Errorf("%s builds HTML from strings; use el() and textContent", name)
		}
	}
	want := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
		".svg": "image/svg+xml",
	}
	seen := map[string]bool{}
	for _, link := range links {
		resp, body := serve(t, "GET", link)
		if resp.StatusCode != http.StatusOK || body == "" {
			t.Errorf("GET %s: %s, %d bytes", link, resp.Status, len(body))
			continue
		}
		ext := path.Ext(link)
		seen[ext] = true
		if got := resp.Header.Get("Content-Type"); got != want[ext] {
			t.Errorf("GET %s: Content-Type = %q, want %q", link, got, want[ext])
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q", link, got)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control = %q, want no-cache", link, got)
		}
		etag := resp.Header.Get("ETag")
		if again, _ := serve(t, "GET", link, "If-None-Match", etag); etag == "" || again.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with its ETag %q: %d, want 304", link, etag, again.StatusCode)
		}
	}
	for ext := range want {
		if !seen[ext] {
			t.Errorf("no %s file served; the page links to %v", ext, links)
		}
	}
}

// TestEveryFileServed guards against a file in static/ that the handler
// silently skips because it has no content type.
func TestEveryFileServed(t *testing.T) {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(sub)
	n := 0
	fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		if _, ok := contentTypes[path.Ext(name)]; !ok {
			t.Errorf("static/%s has no content type in contentTypes, so it is not served", name)
		}
		return nil
	})
	if len(h.files) != n || n < 5 {
		t.Errorf("serving %d files of %d in static/", len(h.files), n)
	}
}

func TestNotFound(t *testing.T) {
	for _, target := range []string{
		"/nope", "/index.html", "/console/", "/console/nope.js", "/console/../console/app.js",
		"/api/nope", "/api/workflows/x/y", "/api", "/workflows",
	} {
		resp, body := serve(t, "GET", target)
		// The mux itself redirects an unclean path to its clean form.
		redirected := strings.Contains(target, "..") && resp.StatusCode/100 == 3
		if resp.StatusCode != http.StatusNotFound && !redirected {
			t.Errorf("GET %s: %s, want 404", target, resp.Status)
		}
		if strings.Contains(body, "<title>onair console</title>") {
			t.Errorf("GET %s answered with the console page", target)
		}
		if strings.HasPrefix(target, "/api") && resp.StatusCode == http.StatusNotFound {
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" || !strings.Contains(body, `"message"`) {
				t.Errorf("GET %s: %q %q, want the API's JSON error shape", target, ct, body)
			}
		}
	}
	// The API route is more specific than the console's "/" and wins.
	if resp, body := serve(t, "GET", "/api/workflows"); resp.StatusCode != http.StatusOK || body != `{"items":[]}` {
		t.Errorf("GET /api/workflows through the mux: %s %q", resp.Status, body)
	}
}

func TestMethods(t *testing.T) {
	resp, _ := serve(t, "POST", "/")
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %s, Allow %q; want 405 with Allow: GET, HEAD", resp.Status, resp.Header.Get("Allow"))
	}
	resp, body := serve(t, "HEAD", "/console/app.js")
	if resp.StatusCode != http.StatusOK || body != "" || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("HEAD /console/app.js: %s, %d bytes, %q", resp.Status, len(body), resp.Header.Get("Content-Type"))
	}
}
