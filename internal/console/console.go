// Package console serves onair's web console: a page of our own HTML, CSS and
// JavaScript modules, embedded in the binary, that drives the workflow API from
// the browser. It loads nothing from elsewhere and runs under a strict
// Content-Security-Policy.
//
// Paths, all GET or HEAD:
//
//	/                    the console page (static/index.html), with its CSP
//	/console/<file>      the other files of static/: console.css, icon.svg and
//	                     the modules app.js (the entry), api.js, dom.js,
//	                     notices.js, workflows.js, channel.js, health.js, create.js,
//	                     actions.js
//
// Every other path answers 404, never the page. Under /api/ the 404 has a JSON
// body in the API's error shape, so that a missing API route reads as one.
// Methods other than GET and HEAD answer 405.
//
// Mount the handler as the mux's fallback, without http.StripPrefix and without
// a method ("GET /" would conflict with "/api/"), so that the more specific
// patterns win:
//
//	mux.Handle("/", console.Handler())
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Prefix is where the page's static files are served.
const Prefix = "/console/"

// policy is the page's Content-Security-Policy: everything from this origin only,
// but for images also data: URLs (the health graphs arrive as such), no inline
// script or style, and Trusted Types with no policy, so that the browser itself
// refuses any string-to-HTML sink such as innerHTML.
const policy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// contentTypes are the types of the files the console ships; a file of another
// kind is not served (a test checks that static/ holds none).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

type file struct {
	body        []byte
	contentType string
	etag        string
}

// handler answers from the embedded files, read once.
type handler struct {
	files map[string]file // by URL path
}

// Handler returns the console's HTTP handler, to be mounted at "/" as the
// package documentation says.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil { // "static" is a valid path: fs.Sub cannot fail on it
		sub = static
	}
	return newHandler(sub)
}

func newHandler(fsys fs.FS) *handler {
	h := &handler{files: map[string]file{}}
	// WalkDir over an embed.FS only fails on a broken embed, which the tests rule out.
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		f := file{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		if name == "index.html" {
			h.files["/"] = f
			return nil
		}
		h.files[Prefix+name] = f
		return nil
	})
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		hdr.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"no such API route; see /docs"}` + "\n"))
		return
	}
	f, ok := h.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hdr.Set("Content-Type", f.contentType)
	// no-cache with an ETag: the browser revalidates each file, so a new binary's
	// page never runs with an old module, and an unchanged file costs a 304.
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", f.etag)
	if r.URL.Path == "/" {
		hdr.Set("Content-Security-Policy", policy)
		hdr.Set("Referrer-Policy", "same-origin")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
