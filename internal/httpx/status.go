// Package httpx holds the small HTTP pieces that more than one of onair's
// HTTP layers needs.
package httpx

import "net/http"

// StatusWriter remembers the status code a handler wrote (200 when it wrote
// none), for the layers that count what was answered: the API's metrics,
// the origin's audience.
type StatusWriter struct {
	http.ResponseWriter
	Status      int
	wroteHeader bool
}

// NewStatusWriter wraps w.
func NewStatusWriter(w http.ResponseWriter) *StatusWriter {
	return &StatusWriter{ResponseWriter: w, Status: http.StatusOK}
}

// WriteHeader records the first status written.
func (w *StatusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.Status = code
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flushes, deadlines).
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
