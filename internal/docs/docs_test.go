package docs

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

const specURL = "/openapi.json"

// serve mounts h as the API package does and makes one request.
func serve(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(Prefix, h)
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assetsOf returns the src and href of the page's scripts and stylesheet.
func assetsOf(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "data:") {
			out = append(out, m[1])
		}
	}
	return out
}

// fakeDist stands for the files scripts/docs-assets.sh copies.
var fakeDist = fstest.MapFS{
	"swagger-ui-bundle.js": {Data: []byte("window.SwaggerUIBundle = function () {};\n")},
	"swagger-ui.css":       {Data: []byte("body { margin: 0 }\n")},
	"NOTICE":               {Data: []byte("swagger-ui\n")},
	"README.md":            {Data: []byte("not served\n")},
}

func TestPage(t *testing.T) {
	h := newHandler(fakeDist, specURL)
	resp := serve(t, h, "GET", "/docs/")
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs/: %s", resp.Status)
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
	if !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "'unsafe-") {
		t.Errorf("Content-Security-Policy = %q, want scripts and styles from the same origin only", csp)
	}
	if !strings.Contains(page, `data-spec-url="/openapi.json"`) {
		t.Errorf("page does not point Swagger UI at the spec:\n%s", page)
	}
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]`).MatchString(page) {
		t.Errorf("page has an inline script, which the CSP forbids:\n%s", page)
	}

	assets := assetsOf(page)
	want := []string{"swagger-ui.css?v=", "swagger-ui-bundle.js?v=", "init.js?v="}
	if len(assets) != len(want) {
		t.Fatalf("page loads %v, want %v", assets, want)
	}
	types := []string{"text/css; charset=utf-8", "text/javascript; charset=utf-8", "text/javascript; charset=utf-8"}
	for i, a := range assets {
		if !strings.HasPrefix(a, want[i]) {
			t.Errorf("asset %d is %q, want %s…", i, a, want[i])
		}
		// Relative to /docs/, so the page also works behind a path prefix.
		resp := serve(t, h, "GET", Prefix+a)
		got := body(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != types[i] {
			t.Errorf("GET %s: %s, %s", a, resp.Status, resp.Header.Get("Content-Type"))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != immutable {
			t.Errorf("GET %s: Cache-Control %q, want %q for a versioned URL", a, cc, immutable)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || got == "" {
			t.Errorf("GET %s: no nosniff or empty body", a)
		}
	}

	init := body(t, serve(t, h, "GET", "/docs/init.js"))
	for _, want := range []string{"SwaggerUIBundle(", "root.dataset.specUrl", "persistAuthorization: true", "tryItOutEnabled: true", "validatorUrl: null"} {
		if !strings.Contains(init, want) {
			t.Errorf("init.js lacks %q", want)
		}
	}
}

func TestCaching(t *testing.T) {
	h := newHandler(fakeDist, specURL)
	resp := serve(t, h, "GET", "/docs/swagger-ui-bundle.js")
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned URL: Cache-Control %q, want no-cache", cc)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	resp = serve(t, h, "GET", "/docs/swagger-ui-bundle.js", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %s, want 304", resp.Status)
	}
	resp = serve(t, h, "HEAD", "/docs/")
	if resp.StatusCode != http.StatusOK || body(t, resp) != "" {
		t.Errorf("HEAD /docs/: %s", resp.Status)
	}
	resp = serve(t, h, "POST", "/docs/")
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /docs/: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
}

func TestNotFound(t *testing.T) {
	h := newHandler(fakeDist, specURL)
	for _, p := range []string{
		"/docs/nope.js",
		"/docs/README.md",
		"/docs/dist/swagger-ui.css",
		"/docs/swagger-ui-bundle.js.map",
		"/docs/swagger-ui-standalone-preset.js",
		"/docs/index.html/x",
	} {
		if resp := serve(t, h, "GET", p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", p, resp.Status)
		}
	}
	if resp := serve(t, h, "GET", "/docs/NOTICE"); resp.StatusCode != http.StatusOK ||
		resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("GET /docs/NOTICE: %s %s, want the licence notice", resp.Status, resp.Header.Get("Content-Type"))
	}
}

// TestFallback is a binary built without scripts/docs-assets.sh.
func TestFallback(t *testing.T) {
	for name, fsys := range map[string]fs.FS{
		"no files":     fstest.MapFS{"README.md": {Data: []byte("x")}},
		"css only":     fstest.MapFS{"swagger-ui.css": {Data: []byte("x")}},
		"empty bundle": fstest.MapFS{"swagger-ui.css": {Data: []byte("x")}, "swagger-ui-bundle.js": {}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHandler(fsys, "/api/openapi.json?x=1&y=2")
			resp := serve(t, h, "GET", "/docs/")
			page := body(t, resp)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("GET /docs/: %s %s", resp.Status, resp.Header.Get("Content-Type"))
			}
			for _, want := range []string{"not built", "make build", `<a href="/api/openapi.json?x=1&amp;y=2">`} {
				if !strings.Contains(page, want) {
					t.Errorf("fallback page lacks %q:\n%s", want, page)
				}
			}
			if strings.Contains(page, "<script") {
				t.Errorf("fallback page loads a script:\n%s", page)
			}
			if resp := serve(t, h, "GET", "/docs/swagger-ui-bundle.js"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET bundle without assets: %s, want 404", resp.Status)
			}
		})
	}
}

func TestSpecURLIsEscaped(t *testing.T) {
	page := body(t, serve(t, newHandler(fakeDist, `/x"><script>alert(1)</script>`), "GET", "/docs/"))
	if strings.Contains(page, "<script>alert") {
		t.Errorf("spec URL is not escaped:\n%s", page)
	}
}

func TestCSPAllowsAnotherSpecOrigin(t *testing.T) {
	resp := serve(t, newHandler(fakeDist, "https://api.example.test/openapi.json"), "GET", "/docs/")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://api.example.test;") {
		t.Errorf("Content-Security-Policy = %q, want the spec's origin in connect-src", csp)
	}
}

// TestEmbedsPlaceholders guards the files that make //go:embed all:dist
// compile on a fresh clone, before scripts/docs-assets.sh has run.
func TestEmbedsPlaceholders(t *testing.T) {
	for _, name := range []string{"dist/README.md", "dist/.gitignore"} {
		if _, err := fs.Stat(dist, name); err != nil {
			t.Errorf("%s is not embedded: %v", name, err)
		}
	}
}

// TestEmbeddedAssets checks the real Swagger UI embedded in the binary, once
// scripts/docs-assets.sh has copied it.
func TestEmbeddedAssets(t *testing.T) {
	if _, err := fs.Stat(dist, "dist/"+bundleJS); err != nil {
		t.Skip("run scripts/docs-assets.sh")
	}
	h := Handler(specURL)
	page := body(t, serve(t, h, "GET", "/docs/"))
	if !strings.Contains(page, `src="swagger-ui-bundle.js?v=`) || !strings.Contains(page, `src="init.js?v=`) {
		t.Fatalf("page does not load the bundle and init.js:\n%s", page)
	}
	for _, a := range assetsOf(page) {
		resp := serve(t, h, "GET", Prefix+a)
		b := body(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", a, resp.Status)
		}
		if strings.HasPrefix(a, bundleJS) {
			if ct := resp.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
				t.Errorf("bundle Content-Type = %q", ct)
			}
			if !strings.Contains(b, "SwaggerUIBundle") || len(b) < 100_000 {
				t.Errorf("bundle is not Swagger UI (%d bytes)", len(b))
			}
		}
	}
	for _, name := range licenses {
		if resp := serve(t, h, "GET", Prefix+name); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s; the licence must ship with the bundle", name, resp.Status)
		}
	}
}
