package server

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// bodyDeadline gives each request body d to arrive in full, so that clients
// that trickle a byte at a time cannot hold connections open; one that is too
// slow is cut off, and its connection closed.
//
// It is not http.Server.ReadTimeout: that deadline runs on while the answer is
// written, and when it passes, the server's read of the idle connection fails
// and cancels the request's context, which would cut the origin's long
// downloads of archives and anything else that watches the context. This one
// is set once the headers are in, only for a request with a body, and lifted
// as soon as the body has been read to its end.
func bodyDeadline(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		// Without a connection to set it on (a handler driven in a test), there
		// is nothing to protect.
		if err := rc.SetReadDeadline(time.Now().Add(d)); err == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		h.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the read deadline once the body has been read in full.
type deadlineBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	lifted bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.lifted {
		b.lifted = true
		_ = b.rc.SetReadDeadline(time.Time{}) // the connection may be gone already
	}
	return n, err
}
