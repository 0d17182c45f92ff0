package playout

import (
	"net/http"

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
		if _, id, _, ok := pipeline.WorkflowOfPath(r.URL.Path); ok {
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
