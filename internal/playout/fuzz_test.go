package playout

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzPlayoutRequest: whatever path and token a viewer sends, the origin
// side answers without panicking, never with a 500, and the license
// endpoint gives nothing without a token of its own.
func FuzzPlayoutRequest(f *testing.F) {
	for _, p := range []string{"/playout/pc01/e/cenc.isml/.mpd", "/playout/e/a.isml/clear/video/180p/seg_000001.m4s",
		"/playout/e/a.isml/ts/180p/../../x", "/playout/.isml/", "/playout/a.isml//"} {
		f.Add(p, "e30.x")
	}
	st := openStore(f)
	s := New(Config{Store: st, Secrets: st, DataDir: f.TempDir(), Now: func() time.Time { return time.Unix(1e9, 0) }})
	f.Fuzz(func(t *testing.T, path, token string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u := &url.URL{Path: path, RawQuery: url.Values{"token": {token}}.Encode()}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, &http.Request{Method: http.MethodGet, URL: u, Header: http.Header{}})
		if w.Code == http.StatusInternalServerError {
			t.Errorf("%s: 500 %s", path, w.Body)
		}
		w = httptest.NewRecorder()
		s.ServeLicense(w, httptest.NewRequest(http.MethodPost, "/playout/clearkey?"+u.RawQuery, strings.NewReader(`{"kids":["AAAAAAAAAAAAAAAAAAAAAA"]}`)))
		if w.Code == http.StatusOK {
			t.Errorf("token %q opened the license endpoint", token)
		}
	})
}
