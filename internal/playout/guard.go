package playout

import (
	"net/http"
	"strings"

	"onair/internal/pipeline"
)

// Guard keeps what a DRM profile protects from being played around it:
// the live outputs (live/<workflow>/...) and archives (archive/<workflow>/...)
// of an event that has a DRM profile attached are refused (403), so that
// its renditions reach viewers only encrypted, through the profile's
// manifests. The controller's passes keep the list (within a second of a
// change; at once for a change through the API).
func (s *Service) Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := workflowOf(r.URL.Path); id != "" {
			if _, protected := s.drm.Load(id); protected {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				http.Error(w, "this event has a DRM playout profile: it plays only through the profile's manifests (GET /api/workflows/"+id+" lists them)",
					http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// protect records whether a workflow has a DRM profile attached.
func (s *Service) protect(workflowID string, drm bool) {
	if drm {
		s.drm.Store(workflowID, struct{}{})
	} else {
		s.drm.Delete(workflowID)
	}
}

// workflowOf is the workflow a live or archive path belongs to, by the
// pipeline's layout: its first directory.
func workflowOf(p string) string {
	rest, ok := strings.CutPrefix(p, "/"+pipeline.LiveRoot+"/")
	if !ok {
		if rest, ok = strings.CutPrefix(p, "/"+pipeline.ArchiveRoot+"/"); !ok {
			return ""
		}
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}
