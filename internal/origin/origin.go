// Package origin serves HLS playback and recordings from the data directory:
// /live/... (the rolling live playlists and segments) and /archive/... (the
// recordings). Files are opened through an os.Root, so no request path can reach
// outside the data directory, not even through a symlink. With a Waiter it
// answers LL-HLS blocking playlist reloads and requests for hinted parts.
package origin

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"onair/internal/hls"
	"onair/internal/pipeline"
	"onair/internal/storage"
)

// Roots served, matching the data directory's layout.
var roots = []string{"live", "archive"}

// keysDir is the directory name the live HLS keys sit in (live/<wf>[/<p>]/keys/,
// as the pipeline lays them out); a .key file anywhere else is not served.
const keysDir = "keys"

// pushDir is where a live directory holds what is packaged for HLS push
// destinations (pipeline.PushDir).
const pushDir = "push"

// Origin serves the media under a data directory.
type Origin struct {
	root   *os.Root
	waiter Waiter // nil: no LL-HLS blocking
	// archives is where archive/ is read from when it is not the data
	// directory alone (a bucket under it); redirect sends a download to a
	// signed URL of the bucket for ttl instead of reading it through.
	archives storage.Storage
	redirect bool
	ttl      time.Duration
}

// ServeArchives has archive/ read from st: the data directory over a
// bucket. With redirect, segments and MP4s that are not in the data
// directory are answered with a redirect to a signed URL of the bucket,
// valid for ttl; playlists are always read through, so that the segment
// URIs they list resolve here.
func (o *Origin) ServeArchives(st storage.Storage, redirect bool, ttl time.Duration) {
	o.archives, o.redirect, o.ttl = st, redirect, ttl
}

// New opens the data directory. Close releases it.
func New(dataDir string) (*Origin, error) {
	for _, r := range roots {
		if err := os.MkdirAll(path.Join(dataDir, r), 0o755); err != nil {
			return nil, err
		}
	}
	root, err := os.OpenRoot(dataDir)
	if err != nil {
		return nil, err
	}
	return &Origin{root: root}, nil
}

// Close releases the data directory.
func (o *Origin) Close() error { return o.root.Close() }

// Register mounts the origin's routes on mux.
func (o *Origin) Register(mux *http.ServeMux, wrap func(route string, h http.Handler) http.Handler) {
	for _, r := range roots {
		pattern := "/" + r + "/"
		mux.Handle(pattern, wrap(pattern, o))
	}
}

// ServeHTTP serves one media file with its content type, cache policy, CORS and
// byte ranges; anything else is a 404.
func (o *Origin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !Readable(w, r) {
		return
	}
	h := w.Header()
	name, ok := clean(r.URL.Path)
	ext := path.Ext(name)
	meta := storage.MediaMeta(name)
	if !ok || meta.ContentType == "" || !servable(name) {
		http.NotFound(w, r)
		return
	}
	if o.archives != nil && strings.HasPrefix(name, pipeline.ArchiveRoot+"/") {
		o.serveArchive(w, r, name, meta)
		return
	}
	if ext == ".m3u8" {
		if !o.hold(w, r, name, true) {
			return
		}
		skip, err := skipQuery(r.URL.RawQuery)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if delta := hls.DeltaPlaylist(name); skip && o.exists(delta) {
			name = delta
		}
	}
	f, err := o.root.Open(name)
	if err != nil && ext == ".m4s" && IsNotExist(err) {
		// Perhaps the part a live playlist hints at: held until written.
		if !o.hold(w, r, name, false) {
			return
		}
		f, err = o.root.Open(name)
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	mediaHeaders(h, meta)
	http.ServeContent(w, r, "", st.ModTime(), f)
}

func mediaHeaders(h http.Header, meta storage.Meta) {
	h.Set("Content-Type", meta.ContentType)
	h.Set("Cache-Control", meta.CacheControl)
	h.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range")
	h.Set("X-Content-Type-Options", "nosniff")
}

// serveArchive serves an archive file from the archives' storage: read
// through (with byte ranges), or redirected to a signed URL.
func (o *Origin) serveArchive(w http.ResponseWriter, r *http.Request, name string, meta storage.Meta) {
	ctx := r.Context()
	if o.redirect && path.Ext(name) != ".m3u8" {
		if _, err := o.root.Stat(name); IsNotExist(err) {
			u, err := o.archives.SignedURL(ctx, name, o.ttl)
			if err == nil {
				w.Header().Set("Cache-Control", "no-store") // the URL expires
				http.Redirect(w, r, u, http.StatusFound)
				return
			}
			if !errors.Is(err, storage.ErrUnsupported) {
				http.Error(w, "the archive's storage cannot be read now", http.StatusBadGateway)
				return
			}
		}
	}
	f, err := o.archives.Open(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, "the archive's storage cannot be read now", http.StatusBadGateway)
		return
	}
	defer f.Close()
	mediaHeaders(w.Header(), meta)
	http.ServeContent(w, r, "", f.Info().Modified, f)
}

// Readable opens a playback answer to any page (CORS) and reports whether
// the request reads (GET, HEAD); it answers the rest itself: a CORS
// preflight with 204, any other method with 405.
func Readable(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodOptions:
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Range")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
	default:
		h.Set("Allow", "GET, HEAD, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
	return false
}

// servable reports whether a media file may be served from where it is: a key
// only from the keys/ directory of a live directory (live/<wf>/keys/ or
// live/<wf>/<p>/keys/), so that no other file that happens to end in .key is
// handed out as one; and nothing packaged for an HLS push destination
// (live/<wf>[/<p>]/push/), which goes to that destination only: an
// encrypted run's is in the clear.
func servable(name string) bool {
	isKey := path.Ext(name) == ".key"
	if !isKey && !strings.Contains(name, "/"+pushDir+"/") {
		return true // the common case, without splitting the path
	}
	parts := strings.Split(name, "/")
	if parts[0] == "live" && (len(parts) > 2 && parts[2] == pushDir || len(parts) > 3 && parts[3] == pushDir && (parts[2] == "0" || parts[2] == "1")) {
		return false
	}
	return !isKey || len(parts) >= 4 && parts[0] == "live" && parts[len(parts)-2] == keysDir
}

// clean turns a request path into a path relative to the data directory, or
// reports that it names nothing the origin serves.
func clean(p string) (string, bool) {
	if strings.Contains(p, "\\") || strings.Contains(p, "\x00") {
		return "", false
	}
	c := path.Clean("/" + p)
	if c != p && c+"/" != p {
		return "", false // "..", "//" or "." segments: never a URL onair hands out
	}
	rel := strings.TrimPrefix(c, "/")
	for _, r := range roots {
		if strings.HasPrefix(rel, r+"/") && len(rel) > len(r)+1 {
			return rel, true
		}
	}
	return "", false
}

// IsNotExist reports whether err says a file is missing, for callers that stat
// through the origin's root.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
