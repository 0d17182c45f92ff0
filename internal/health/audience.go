package health

import (
	"hash/maphash"
	"net"
	"net/http"
	"path"
	"sync"
	"time"

	"onair/internal/httpx"
	"onair/internal/pipeline"
)

// viewerWindow is how long a player counts as watching after its last request.
const viewerWindow = 30 * time.Second

// maxViewers bounds the players remembered per channel, so that a flood
// of made-up clients cannot grow the memory: beyond it, new players are
// not counted until old ones age out.
const maxViewers = 200_000

// AudienceMeter counts, per workflow whose run is up here, the distinct
// players that fetched its live HLS in the last 30 s (a player is its
// address and user agent), and the media segments served.
type AudienceMeter struct {
	now  func() time.Time
	seed maphash.Seed

	mu    sync.Mutex
	chans map[string]*audience // by workflow: only those of SetLive
}

type audience struct {
	seen     map[uint64]time.Time
	segments uint64
}

// NewAudienceMeter returns a meter that reads the time from now (time.Now when nil).
func NewAudienceMeter(now func() time.Time) *AudienceMeter {
	if now == nil {
		now = time.Now
	}
	return &AudienceMeter{now: now, seed: maphash.MakeSeed(), chans: map[string]*audience{}}
}

// Wrap counts the live HLS requests that h serves: /live/<workflow>/...
// playlists and segments that it answers with a success.
func (a *AudienceMeter) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wf, segment, ok := livePath(r.URL.Path)
		if !ok || r.Method != http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		sw := httpx.NewStatusWriter(w)
		h.ServeHTTP(sw, r)
		if sw.Status < 300 {
			a.Seen(wf, clientOf(r), segment)
		}
	})
}

// Seen records a request of a workflow's live HLS by a client; segment is
// true for a media segment.
func (a *AudienceMeter) Seen(workflowID, client string, segment bool) {
	id := maphash.String(a.seed, client)
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.chans[workflowID]
	if c == nil {
		return // no run of it is up here: a playlist left behind, or a provision's path
	}
	if _, known := c.seen[id]; known || len(c.seen) < maxViewers {
		c.seen[id] = now
	}
	if segment {
		c.segments++
	}
}

// Of is a workflow's audience now: its players of the last 30 s, and the
// segments served so far.
func (a *AudienceMeter) Of(workflowID string) Audience {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.chans[workflowID]
	if c == nil {
		return Audience{}
	}
	for id, at := range c.seen {
		if now.Sub(at) > viewerWindow {
			delete(c.seen, id)
		}
	}
	return Audience{Viewers: len(c.seen), Segments: c.segments}
}

// SetLive names the workflows whose runs are up here: their audiences are
// counted from now on, and the others' are dropped.
func (a *AudienceMeter) SetLive(workflowIDs map[string]bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for wf := range a.chans {
		if !workflowIDs[wf] {
			delete(a.chans, wf)
		}
	}
	for wf := range workflowIDs {
		if a.chans[wf] == nil {
			a.chans[wf] = &audience{seen: map[uint64]time.Time{}}
		}
	}
}

// livePath reads /live/<workflow>/...: the workflow, and whether the file
// is a media segment (.ts, .m4s, .aac; not a playlist, key or init).
func livePath(p string) (workflowID string, segment, ok bool) {
	root, workflowID, file, ok := pipeline.WorkflowOfPath(p)
	if !ok || root != pipeline.LiveRoot || file == "" {
		return "", false, false
	}
	switch path.Ext(file) {
	case ".ts", ".m4s", ".aac":
		return workflowID, true, true
	}
	return workflowID, false, true
}

// clientOf is who a request comes from: its address and user agent.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return host + "\x00" + r.UserAgent()
}
