package destination

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"onair/internal/domain"
	"onair/internal/storage"
)

// HLSPush is what an HLS push destination uploads: the live HLS that the
// engine packages for it in Dir (a master playlist, and a media playlist
// with its segments in a directory per rendition), to the destination's
// URL, path for path, the way Akamai's MSL4 ingest takes it.
type HLSPush struct {
	Dir        string   // absolute
	Master     string   // the master playlist's name in Dir
	Renditions []string // the variants' directories under Dir
	Playlist   string   // each variant's media playlist's name
	Segment    time.Duration
	Username   string
	Password   string
	Method     string // PUT (the default) or POST
	// Bucket, when set, is where the files go instead of the URL's host:
	// under Key, each with its content type and cache policy; segments that
	// left the window are deleted.
	Bucket storage.Storage
	Key    string
}

// How the pusher follows the playlists and retries, after Akamai's ingest
// rules: a playlist is retried until it is taken (always its latest
// version), a segment for one segment's length, then dropped and counted;
// a 400 is not retried, nor a 401 or 403 whose answer was refused.
const (
	pollEvery       = 100 * time.Millisecond
	uploadTimeout   = 10 * time.Second
	playlistBackoff = 5 * time.Second // the longest wait between two tries of a playlist
)

// hlsPusher is an HLS push worker's state across its connections: what each
// rendition uploaded, so that a worker that retries goes on from there.
type hlsPusher struct {
	w      *Worker
	cfg    HLSPush
	base   *url.URL
	client *http.Client
	tr     *http.Transport
	auth   *httpAuth

	mu       sync.Mutex
	made     map[string]bool // collections made with MKCOL (WebDAV)
	reported time.Time       // when the worker last reported what it sent
}

func newHLSPusher(w *Worker, cfg HLSPush) *hlsPusher {
	if cfg.Method == "" {
		cfg.Method = http.MethodPut
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = len(cfg.Renditions) + 1
	base := *w.url
	base.User = nil
	return &hlsPusher{w: w, cfg: cfg, base: &base, tr: tr, client: &http.Client{Transport: tr},
		auth: &httpAuth{user: cfg.Username, password: cfg.Password}, made: map[string]bool{}}
}

// push uploads until ctx ends or the destination refuses the credentials:
// the master playlist whenever it changes, and every rendition on its own
// goroutine. Other failures do not end it: it retries them as the rules
// say, RETRYING until an upload goes through again.
func (h *hlsPusher) push(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(h.cfg.Renditions)+1)
	var wg sync.WaitGroup
	follow := func(name string, segments bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- h.follow(ctx, name, segments)
		}()
	}
	follow(h.cfg.Master, false)
	for _, r := range h.cfg.Renditions {
		follow(path.Join(r, h.cfg.Playlist), true)
	}
	err := <-errs
	cancel()
	wg.Wait()
	if ctx.Err() != nil && !denied(err) {
		return errHubClosed
	}
	return err
}

// follow uploads a playlist each time it changes on disk and, for a media
// playlist, the segments it lists first. It returns when ctx ends, after a
// last pass that sends what the output wrote last (its end), or with a
// refusal of the credentials.
func (h *hlsPusher) follow(ctx context.Context, name string, segments bool) error {
	f := &followed{name: name, file: filepath.Join(h.cfg.Dir, filepath.FromSlash(name)), segments: segments,
		seen: map[string]time.Time{}, uploaded: map[string]bool{}, wait: minBackoff}
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.Background(), finalPass)
			defer cancel()
			h.sync(last, f)
			return ctx.Err()
		case <-t.C:
		}
		switch next, err := h.sync(ctx, f); {
		case denied(err):
			return err
		case next > 0:
			t.Reset(next)
		}
	}
}

// finalPass bounds the last upload of a stopped run's playlists.
const finalPass = 5 * time.Second

// followed is one playlist a pusher follows.
type followed struct {
	name, file string
	segments   bool
	sent       []byte               // the playlist version the destination has
	seen       map[string]time.Time // segments listed, since when
	uploaded   map[string]bool      // sent, or given up on
	wait       time.Duration        // before the next try of a playlist that failed
	// behind are the segments that left the playlist, to be deleted from a
	// bucket once players that loaded the playlist before have read them.
	behind []left
}

// left is a segment that left the playlist, and when.
type left struct {
	name string
	at   time.Time
}

// deleteGrace is how long a segment that left a bucket's playlist stays:
// a player that loaded the playlist just before may still ask for it.
func (h *hlsPusher) deleteGrace() time.Duration { return 2 * h.cfg.Segment }

// deleteBehind deletes from a bucket the segments that left its playlist
// more than deleteGrace ago; what it cannot delete it tries again at the
// next change.
func (h *hlsPusher) deleteBehind(ctx context.Context, f *followed, dir string, dropped []string) {
	if h.cfg.Bucket == nil {
		return
	}
	now := h.w.cfg.Now()
	for _, d := range dropped {
		f.behind = append(f.behind, left{name: path.Join(h.cfg.Key, dir, d), at: now})
	}
	n := 0
	for n < len(f.behind) && now.Sub(f.behind[n].at) >= h.deleteGrace() {
		n++
	}
	if n == 0 {
		return
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = f.behind[i].name
	}
	if err := h.cfg.Bucket.Delete(ctx, keys...); err != nil {
		h.w.cfg.Log.Warn("HLS push: deleting segments behind the window failed", "destination", h.w.cfg.ID, "err", err)
		return
	}
	f.behind = f.behind[n:]
}

// sync uploads what changed in a followed playlist, and says when to look
// again (0: at the usual pace).
func (h *hlsPusher) sync(ctx context.Context, f *followed) (time.Duration, error) {
	body, err := os.ReadFile(f.file)
	if err != nil || bytes.Equal(body, f.sent) {
		return 0, nil // not written yet, or unchanged
	}
	if f.segments {
		dir := path.Dir(f.name)
		uris := playlistURIs(body)
		for _, uri := range uris {
			if f.uploaded[uri] {
				continue
			}
			if _, ok := f.seen[uri]; !ok {
				f.seen[uri] = h.w.cfg.Now()
			}
			if err := h.segment(ctx, path.Join(dir, uri), f.seen[uri].Add(h.cfg.Segment)); err != nil {
				if denied(err) {
					return 0, err
				}
				h.w.dropped.Add(1)
				h.w.cfg.Log.Warn("HLS push: segment dropped", "destination", h.w.cfg.ID, "segment", path.Join(dir, uri), "err", Scrub(h.w.url, err.Error()))
			}
			f.uploaded[uri] = true
		}
		dropped := forget(f.uploaded, f.seen, uris)
		h.deleteBehind(ctx, f, dir, dropped)
	}
	if err := h.upload(ctx, f.name, body); err != nil {
		if denied(err) || ctx.Err() != nil {
			return 0, err
		}
		h.failing(err, f.wait)
		next := f.wait
		f.wait = min(2*f.wait, playlistBackoff)
		return next, nil
	}
	f.sent, f.wait = body, minBackoff
	h.w.sent.Add(uint64(len(body)))
	h.active()
	h.mu.Lock()
	due := h.w.cfg.Now().Sub(h.reported) >= reportEvery
	if due {
		h.reported = h.w.cfg.Now()
	}
	h.mu.Unlock()
	if due {
		h.w.progress()
	}
	return pollEvery, nil
}

// segment uploads a segment, trying again until the deadline.
func (h *hlsPusher) segment(ctx context.Context, name string, deadline time.Time) error {
	body, err := os.ReadFile(filepath.Join(h.cfg.Dir, filepath.FromSlash(name)))
	if err != nil {
		return err // gone from the disk already: far behind
	}
	wait := minBackoff / 5
	for {
		err := h.upload(ctx, name, body)
		if err == nil {
			h.w.sent.Add(uint64(len(body)))
			h.active()
			return nil
		}
		var se *StatusError
		if denied(err) || errors.As(err, &se) && se.Code == http.StatusBadRequest || ctx.Err() != nil {
			return err
		}
		h.failing(err, wait)
		if h.w.cfg.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%w; retried for %s", err, h.cfg.Segment)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, h.cfg.Segment/2)
	}
}

// upload sends one file: answering the destination's authentication
// challenge, and making the WebDAV collections a PUT needs on a 409.
func (h *hlsPusher) upload(ctx context.Context, name string, body []byte) error {
	if h.cfg.Bucket != nil {
		key := path.Join(h.cfg.Key, name)
		return h.cfg.Bucket.Put(ctx, key, bytes.NewReader(body), int64(len(body)), storage.MediaMeta(key))
	}
	for try := 0; ; try++ {
		code, err := h.send(ctx, h.cfg.Method, h.path(name), body)
		switch {
		case err != nil:
			h.tr.CloseIdleConnections() // the next dial resolves the host again
			return err
		case code == http.StatusConflict && try == 0:
			if err := h.collections(ctx, path.Dir(h.path(name))); err != nil {
				return err
			}
		case code < 300:
			return nil
		default:
			return &StatusError{Code: code, Status: fmt.Sprintf("%d %s", code, http.StatusText(code))}
		}
	}
}

// path is where a file of the output goes on the destination's host: under
// its URL's path.
func (h *hlsPusher) path(name string) string {
	return strings.TrimRight(h.base.Path, "/") + "/" + name
}

// send makes one request for the path on the destination's host, once
// more if the destination challenges it.
func (h *hlsPusher) send(ctx context.Context, method, p string, body []byte) (int, error) {
	for try := 0; ; try++ {
		u := *h.base
		u.Path, u.RawPath = p, ""
		rctx, cancel := context.WithTimeout(ctx, uploadTimeout)
		req, err := http.NewRequestWithContext(rctx, method, u.String(), bytes.NewReader(body))
		if err != nil {
			cancel()
			return 0, err
		}
		req.ContentLength = int64(len(body))
		if body != nil {
			req.Header.Set("Content-Type", contentType(p))
		}
		used := h.auth.authorize(req)
		resp, err := h.client.Do(req)
		if err != nil {
			cancel()
			return 0, err
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel()
		if resp.Close {
			h.tr.CloseIdleConnections() // Connection: close: resolve the host again
		}
		if resp.StatusCode == http.StatusUnauthorized && try == 0 && h.auth.challenged(resp.Header, used) {
			continue
		}
		h.w.answered(resp.StatusCode)
		return resp.StatusCode, nil
	}
}

// collections makes dir, a path on the destination's host, and its parents
// (MKCOL), for a WebDAV destination that wants them before a PUT.
func (h *hlsPusher) collections(ctx context.Context, dir string) error {
	at := ""
	for _, part := range strings.Split(dir, "/") {
		if part == "" || part == "." {
			continue
		}
		at += "/" + part
		h.mu.Lock()
		made := h.made[at]
		h.mu.Unlock()
		if made {
			continue
		}
		code, err := h.send(ctx, "MKCOL", at+"/", nil)
		if code == http.StatusConflict {
			continue // a parent another upload is making; the PUT's retry tells
		}
		if err != nil {
			return err
		}
		if code >= 300 && code != http.StatusMethodNotAllowed { // 405: it exists
			return &StatusError{Code: code, Status: fmt.Sprintf("MKCOL %d %s", code, http.StatusText(code))}
		}
		h.mu.Lock()
		h.made[at] = true
		h.mu.Unlock()
	}
	return nil
}

// failing shows the worker RETRYING after a failed upload, the next try in
// wait; the first failure after a success counts as a reconnect.
func (h *hlsPusher) failing(err error, wait time.Duration) {
	h.w.cfg.Log.Debug("HLS push: upload failed", "destination", h.w.cfg.ID, "err", Scrub(h.w.url, err.Error()))
	h.w.set(domain.DestinationRetrying, err, h.w.cfg.Now().Add(wait))
}

// active shows the worker ACTIVE after an upload went through.
func (h *hlsPusher) active() {
	if h.w.Status().State != domain.DestinationActive {
		h.w.set(domain.DestinationActive, nil, time.Time{})
	}
}

func contentType(name string) string {
	if t := storage.MediaMeta(name).ContentType; t != "" {
		return t
	}
	return "application/octet-stream"
}

// playlistURIs are the files a media playlist names: its segments, and its
// EXT-X-MAP init sections, in order.
func playlistURIs(body []byte) []string {
	var out []string
	for _, l := range strings.Split(string(body), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasPrefix(l, "#EXT-X-MAP:"):
			if _, rest, ok := strings.Cut(l, `URI="`); ok {
				if uri, _, ok := strings.Cut(rest, `"`); ok {
					out = append(out, uri)
				}
			}
		case !strings.HasPrefix(l, "#"):
			out = append(out, l)
		}
	}
	return out
}

// forget drops what the playlist no longer lists from the maps of segments
// seen and uploaded, so that they stay as long as the window, and returns
// what it dropped.
func forget(uploaded map[string]bool, seen map[string]time.Time, uris []string) []string {
	listed := map[string]bool{}
	for _, uri := range uris {
		listed[uri] = true
	}
	var dropped []string
	for uri := range uploaded {
		if !listed[uri] {
			delete(uploaded, uri)
			delete(seen, uri)
			dropped = append(dropped, uri)
		}
	}
	slices.Sort(dropped)
	return dropped
}
