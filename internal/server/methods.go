package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"onair/internal/api"
)

// The mux's fallbacks, "/api/" (a JSON 404) and "/" (the console), match every
// method, so the mux never answers 405 itself: a known path with a wrong
// method would reach them. notAllowed asks the mux which methods its other
// routes serve at the path, so that the answer follows the routes as they are
// registered (the API's route table, the operations, the origin) with no list
// of its own.

// probeMethods are the methods a path is probed with; a GET route also
// serves HEAD, as the mux does.
var probeMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions,
}

// fallbackPatterns are the patterns that serve no path of their own.
var fallbackPatterns = map[string]bool{"/api/": true, "/": true, "/streammanager/": true}

// notAllowed answers 405, with an Allow header and a JSON {message}, a request
// whose path another route of mux serves with other methods; next answers the
// rest (a 404, or the console's own files).
func notAllowed(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := allowedMethods(mux, r)
		if len(allow) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		list := strings.Join(allow, ", ")
		w.Header().Set("Allow", list)
		writeJSONError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; it answers "+list)
	})
}

// allowedMethods lists the methods that a route of mux other than a fallback
// serves at r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range probeMethods {
		probe := *r
		probe.Method = m
		if _, pattern := mux.Handler(&probe); pattern != "" && !fallbackPatterns[pattern] {
			allow = append(allow, m)
		}
	}
	return allow
}

// streamManagerFallback answers the Stream Manager's paths that no route
// serves in its shape, {errorMessage, timestamp}, with the 400 or 404 its
// document allows: 400 for a known path with a wrong method, 404 otherwise.
func streamManagerFallback(mux *http.ServeMux, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, msg := http.StatusNotFound, "no such Stream Manager route: "+r.URL.Path+"; see /docs"
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			list := strings.Join(allow, ", ")
			w.Header().Set("Allow", list)
			status, msg = http.StatusBadRequest, r.Method+" is not allowed on "+r.URL.Path+"; it answers "+list
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(api.Red5Error{ErrorMessage: msg, Timestamp: now().UnixMilli()})
	})
}
