package origin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func serve(t *testing.T) (string, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	write := func(rel, body string) {
		p := filepath.Join(data, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	write("live/wf/master.m3u8", "#EXTM3U\n")
	write("live/wf/720p/seg_000001.ts", strings.Repeat("x", 1000))
	write("archive/wf/run/a.mp4", "mp4data")
	write("archive/wf/run/notes.txt", "not media")
	write("live/wf/keys/3.key", "0123456789abcdef")
	write("live/wf/0/keys/0.key", "0123456789abcdef")
	write("live/wf/keys/keyinfo", "/live/wf/keys/3.key\n/data/live/wf/keys/3.key\n00\n")
	write("live/wf/720p/3.key", "0123456789abcdef")
	write("live/keys/stray.key", "0123456789abcdef")
	write("archive/wf/keys/1.key", "0123456789abcdef")
	write("live/wf/push/akamai/master.m3u8", "#EXTM3U\n")
	write("live/wf/1/push/akamai/SOURCE/seg_000001.ts", "x")
	os.WriteFile(filepath.Join(dir, "secret.m3u8"), []byte("secret"), 0o644)
	os.Symlink(filepath.Join(dir, "secret.m3u8"), filepath.Join(data, "live", "wf", "escape.m3u8"))
	o, err := New(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	mux := http.NewServeMux()
	o.Register(mux, func(_ string, h http.Handler) http.Handler { return h })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return data, srv
}

func TestServe(t *testing.T) {
	_, srv := serve(t)
	cases := []struct {
		path, ctype, cache string
		code               int
	}{
		{"/live/wf/master.m3u8", "application/vnd.apple.mpegurl", "no-cache", 200},
		{"/live/wf/720p/seg_000001.ts", "video/mp2t", "public, max-age=31536000, immutable", 200},
		{"/archive/wf/run/a.mp4", "video/mp4", "public, max-age=3600", 200},
		{"/archive/wf/run/notes.txt", "", "", 404},
		{"/live/wf/keys/3.key", "application/octet-stream", "no-store", 200},
		{"/live/wf/0/keys/0.key", "application/octet-stream", "no-store", 200},
		{"/live/wf/keys/keyinfo", "", "", 404},
		{"/live/wf/720p/3.key", "", "", 404},
		{"/archive/wf/keys/1.key", "", "", 404},
		{"/live/keys/stray.key", "", "", 404},
		{"/live/wf/push/akamai/master.m3u8", "", "", 404},
		{"/live/wf/1/push/akamai/SOURCE/seg_000001.ts", "", "", 404},
		{"/live/wf/keys/missing.key", "", "", 404},
		{"/live/wf/missing.m3u8", "", "", 404},
		{"/live/wf/", "", "", 404},
		{"/live/", "", "", 404},
		{"/live/wf/escape.m3u8", "", "", 404},
		{"/live/../secret.m3u8", "", "", 404},
		{"/live/wf/..%2f..%2fsecret.m3u8", "", "", 404},
		{"/live/%2e%2e/%2e%2e/secret.m3u8", "", "", 404},
		{"/live/wf\\master.m3u8", "", "", 404},
	}
	for _, tc := range cases {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s: %d, want %d", tc.path, resp.StatusCode, tc.code)
			continue
		}
		if strings.Contains(string(body), "secret") {
			t.Errorf("%s leaked a file outside the data dir", tc.path)
		}
		if tc.code != 200 {
			continue
		}
		if got := resp.Header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: content type %q", tc.path, got)
		}
		if got := resp.Header.Get("Cache-Control"); got != tc.cache {
			t.Errorf("%s: cache %q", tc.path, got)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no CORS", tc.path)
		}
		if strings.HasSuffix(tc.path, ".key") && string(body) != "0123456789abcdef" {
			t.Errorf("%s: key %q", tc.path, body)
		}
	}
}

func TestRangesAndCORS(t *testing.T) {
	_, srv := serve(t)
	req, _ := http.NewRequest("GET", srv.URL+"/live/wf/720p/seg_000001.ts", nil)
	req.Header.Set("Range", "bytes=100-199")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || len(body) != 100 || resp.Header.Get("Content-Range") != "bytes 100-199/1000" {
		t.Fatalf("range: %d %d %q", resp.StatusCode, len(body), resp.Header.Get("Content-Range"))
	}
	req, _ = http.NewRequest("OPTIONS", srv.URL+"/live/wf/master.m3u8", nil)
	req.Header.Set("Origin", "https://player.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Range") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ = http.NewRequest("DELETE", srv.URL+"/live/wf/master.m3u8", nil)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
}

// FuzzClean checks that no request path cleans to something outside live/ or
// archive/, or with a ".." in it.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"/live/wf/master.m3u8", "/live/../x", "/archive//a", "/live/a/../../b", "/live/\x00", "/archive/a/./b.ts"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rel, ok := clean(p)
		if !ok {
			return
		}
		if strings.Contains(rel, "..") && strings.Contains("/"+rel+"/", "/../") || strings.HasPrefix(rel, "/") {
			t.Fatalf("clean(%q) = %q", p, rel)
		}
		if !strings.HasPrefix(rel, "live/") && !strings.HasPrefix(rel, "archive/") {
			t.Fatalf("clean(%q) = %q, outside the roots", p, rel)
		}
	})
}
