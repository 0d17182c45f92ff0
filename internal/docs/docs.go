// Package docs serves the interactive API documentation, Swagger UI, from
// files embedded in the binary, so that /docs/ works offline and loads
// nothing from a CDN.
//
// The Swagger UI files are not in the repository: scripts/docs-assets.sh
// copies them from the npm package swagger-ui-dist into dist/ before go
// build. A binary built without them still serves /docs/, with a page that
// says how to build them and links to the OpenAPI document.
package docs

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Prefix is the path Handler serves. Mount the handler there as it is, without
// http.StripPrefix: mux.Handle("GET "+docs.Prefix, docs.Handler("/openapi.json")).
const Prefix = "/docs/"

//go:embed all:dist
var dist embed.FS

//go:embed index.html fallback.html init.js
var pages embed.FS

// The Swagger UI files the page loads; without them /docs/ shows the fallback page.
const (
	bundleJS = "swagger-ui-bundle.js"
	css      = "swagger-ui.css"
)

// Licence texts shipped with Swagger UI, served as plain text so that the
// notice travels with the binary that embeds it.
var licenses = []string{"LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt"}

const (
	noCache   = "no-cache"
	immutable = "public, max-age=31536000, immutable"
	htmlType  = "text/html; charset=utf-8"
	jsType    = "text/javascript; charset=utf-8"
	textType  = "text/plain; charset=utf-8"
)

// Handler serves Swagger UI under Prefix, showing the OpenAPI document found
// at specURL, which is usually a path on the same server such as
// "/openapi.json".
func Handler(specURL string) http.Handler {
	fsys, err := fs.Sub(dist, "dist")
	if err != nil { // "dist" is a valid path: fs.Sub cannot fail on it
		fsys = dist
	}
	// Built at the first request: Swagger UI's bundle is megabytes that a
	// server nobody reads the docs of would otherwise hold from its start.
	return &lazy{build: func() http.Handler { return newHandler(fsys, specURL) }}
}

// lazy is a handler made by its first request.
type lazy struct {
	build func() http.Handler
	once  sync.Once
	h     http.Handler
}

func (l *lazy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.once.Do(func() { l.h = l.build() })
	l.h.ServeHTTP(w, r)
}

// handler answers from files held in memory, built once.
type handler struct {
	files map[string]file // by path below Prefix; "" is the page
	csp   string          // Content-Security-Policy of the page
}

type file struct {
	body        []byte
	contentType string
	version     string // a hash of body: the ?v= that may be cached for good, and the ETag
	page        bool   // an HTML page: gets the Content-Security-Policy
}

// newHandler serves the Swagger UI files found at the root of fsys; tests give
// it a file system without them.
func newHandler(fsys fs.FS, specURL string) *handler {
	h := &handler{files: map[string]file{}, csp: pagePolicy(specURL)}
	add := func(name string, body []byte, contentType string) file {
		sum := sha256.Sum256(body)
		f := file{body: body, contentType: contentType, version: hex.EncodeToString(sum[:8])}
		h.files[name] = f
		return f
	}

	bundle, errJS := fs.ReadFile(fsys, bundleJS)
	style, errCSS := fs.ReadFile(fsys, css)
	built := errJS == nil && errCSS == nil && len(bundle) > 0 && len(style) > 0

	initJS, _ := pages.ReadFile("init.js") // embedded next to this file: always there
	data := map[string]string{"SpecURL": specURL}
	tmpl := "fallback.html"
	if built {
		tmpl = "index.html"
		data["Bundle"] = bundleJS + "?v=" + add(bundleJS, bundle, jsType).version
		data["CSS"] = css + "?v=" + add(css, style, "text/css; charset=utf-8").version
		data["Init"] = "init.js?v=" + add("init.js", initJS, jsType).version
		for _, name := range licenses {
			if b, err := fs.ReadFile(fsys, name); err == nil {
				add(name, b, textType)
			}
		}
	}
	page, err := render(tmpl, data)
	if err != nil { // only if the embedded templates are broken, which the tests rule out
		add("", []byte("API documentation unavailable. OpenAPI document: "+specURL+"\n"), textType)
		return h
	}
	f := add("", page, htmlType)
	f.page = true
	h.files[""] = f
	h.files["index.html"] = f
	return h
}

func render(name string, data any) ([]byte, error) {
	t, err := template.ParseFS(pages, name)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// pagePolicy is the Content-Security-Policy of the page: its own scripts and
// styles only, no inline code, and requests to its own origin (the spec and
// "Try it out" calls) or to the spec's, when specURL names another. Swagger UI
// 5 was checked to render under it, Authorize dialog included, with no
// violation; data: images are its icons.
func pagePolicy(specURL string) string {
	connect := "'self'"
	if u, err := url.Parse(specURL); err == nil && u.Scheme != "" && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src " + connect + "; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	f, found := h.files[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("ETag", `"`+f.version+`"`)
	// Files are cached for good only under the URL that names their version,
	// so that a new build's page never runs with an old bundle.
	if !f.page && r.URL.Query().Get("v") == f.version {
		hdr.Set("Cache-Control", immutable)
	} else {
		hdr.Set("Cache-Control", noCache)
	}
	if f.page {
		hdr.Set("Content-Security-Policy", h.csp)
		hdr.Set("Referrer-Policy", "same-origin")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
