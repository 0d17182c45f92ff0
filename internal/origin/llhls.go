package origin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"onair/internal/hls"
	"onair/internal/storage"
)

// Waiter holds LL-HLS requests until the live media they ask for exists
// (RFC 8216bis 6.2.5.2 and 6.3.3). The engine implements it by routing a
// file of a live directory to the hls.Variant that writes it. Paths are
// relative to the data directory, as live/<wf>/<rendition>/index.m3u8.
type Waiter interface {
	// Wait returns once the playlist file holds media segment msn, or part
	// part of it (-1: the whole segment), or later media; hls.ErrNotLive
	// when no live variant writes it, hls.ErrTooFar and hls.ErrHoldTimeout
	// as hls.Variant.Wait does.
	Wait(ctx context.Context, file string, msn, part int) error
	// WaitFile returns once file exists if a live variant is about to write
	// it (the part its playlist hints at); hls.ErrNotLive otherwise.
	WaitFile(ctx context.Context, file string) error
}

// SetWaiter makes the origin answer blocking playlist reloads and requests
// for hinted parts through w. Call it before serving.
func (o *Origin) SetWaiter(w Waiter) { o.waiter = w }

// errBadQuery is a blocking reload query that RFC 8216bis does not allow.
var errBadQuery = errors.New("origin: bad LL-HLS query")

// maxSequence bounds the numbers a query may carry.
const maxSequence = 1 << 31

// blockingQuery reads a playlist request's blocking reload parameters:
// block is false when it asks for none. _HLS_part without _HLS_msn, a value
// that is not a decimal integer, or one given twice, is an error.
func blockingQuery(rawQuery string) (msn, part int, block bool, err error) {
	if rawQuery == "" {
		return 0, -1, false, nil
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return 0, 0, false, fmt.Errorf("%w: %v", errBadQuery, err)
	}
	num := func(name string) (int, bool, error) {
		vs, ok := q[name]
		if !ok {
			return 0, false, nil
		}
		if len(vs) != 1 {
			return 0, false, fmt.Errorf("%w: %s given %d times", errBadQuery, name, len(vs))
		}
		n, err := strconv.ParseUint(vs[0], 10, 64)
		if err != nil || n >= maxSequence {
			return 0, false, fmt.Errorf("%w: %s=%q is not a sequence number", errBadQuery, name, vs[0])
		}
		return int(n), true, nil
	}
	msn, hasMSN, err := num("_HLS_msn")
	if err != nil {
		return 0, 0, false, err
	}
	part, hasPart, err := num("_HLS_part")
	if err != nil {
		return 0, 0, false, err
	}
	if hasPart && !hasMSN {
		return 0, 0, false, fmt.Errorf("%w: _HLS_part without _HLS_msn", errBadQuery)
	}
	if !hasPart {
		part = -1
	}
	return msn, part, hasMSN, nil
}

// skipQuery reads whether a playlist request asks for a delta update
// (_HLS_skip=YES, or v2, which also skips date ranges, of which onair writes
// none).
func skipQuery(rawQuery string) (bool, error) {
	if rawQuery == "" {
		return false, nil
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return false, fmt.Errorf("%w: %v", errBadQuery, err)
	}
	vs, ok := q["_HLS_skip"]
	switch {
	case !ok:
		return false, nil
	case len(vs) != 1 || vs[0] != "YES" && vs[0] != "v2":
		return false, fmt.Errorf("%w: _HLS_skip=%q", errBadQuery, vs)
	}
	return true, nil
}

func (o *Origin) exists(name string) bool {
	st, err := o.root.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// hold waits, for a live playlist or a hinted part, until what the request
// asks for exists; it reports false when it has answered the request itself.
func (o *Origin) hold(w http.ResponseWriter, r *http.Request, name string, playlist bool) bool {
	if o.waiter == nil {
		return true
	}
	var err error
	if playlist {
		msn, part, block, qerr := blockingQuery(r.URL.RawQuery)
		switch {
		case qerr != nil:
			http.Error(w, qerr.Error(), http.StatusBadRequest)
			return false
		case !block:
			return true
		}
		err = o.waiter.Wait(r.Context(), name, msn, part)
	} else {
		err = o.waiter.WaitFile(r.Context(), name)
	}
	switch {
	case err == nil, errors.Is(err, hls.ErrNotLive):
		return true // serve what is on disk, as for any file
	case errors.Is(err, hls.ErrTooFar):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, hls.ErrHoldTimeout):
		w.Header().Set("Cache-Control", storage.MediaMeta(name).CacheControl)
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	case r.Context().Err() != nil:
		// The player went away: nobody to answer.
	default:
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	}
	return false
}
