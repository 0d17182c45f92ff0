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

	"onair/internal/hls"
)

// Roots served, matching the data directory's layout.
var roots = []string{"live", "archive"}

// mediaTypes are the only files the origin serves, with their content types.
var mediaTypes = map[string]string{
	".m3u8": "application/vnd.apple.mpegurl",
	".ts":   "video/mp2t",
	".mp4":  "video/mp4",
	".m4s":  "video/iso.segment",
	".aac":  "audio/aac",
	".vtt":  "text/vtt; charset=utf-8",
	".key":  "application/octet-stream", // a live HLS AES-128 key, only from a keys/ directory (see servable)
}

// Cache lifetimes: playlists change every segment, segments never change, an
// archive's MP4 is final once its run is DONE. A key never changes either, but
// it is what the encryption rests on: a shared cache or CDN that kept it would
// hand it to whoever reaches the cache, the very path the segments travel, and
// a browser's disk cache would keep it past the run. Players hold the keys they
// use in memory, so no-store costs one 16-byte request per key per player.
const (
	playlistCache = "no-cache"
	segmentCache  = "public, max-age=31536000, immutable"
	mp4Cache      = "public, max-age=3600"
	keyCache      = "no-store"
)

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
	ctype := mediaTypes[ext]
	if !ok || ctype == "" || !servable(name) {
		http.NotFound(w, r)
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
	h.Set("Content-Type", ctype)
	h.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range")
	h.Set("X-Content-Type-Options", "nosniff")
	switch ext {
	case ".m3u8":
		h.Set("Cache-Control", playlistCache)
	case ".mp4":
		h.Set("Cache-Control", mp4Cache)
		if strings.HasPrefix(name, "live/") {
			// A live CMAF init section, named by its content: it never changes.
			h.Set("Cache-Control", segmentCache)
		}
	case ".key":
		h.Set("Cache-Control", keyCache)
	default:
		h.Set("Cache-Control", segmentCache)
	}
	http.ServeContent(w, r, "", st.ModTime(), f)
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
