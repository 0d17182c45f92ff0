// Package destination pushes a run's stream to where its blueprint sends it:
// one worker per destination and pipeline, reading a rendition's hub through
// its own queue, so that a destination that is slow or down never holds up
// the run nor another destination, and reconnecting on its own with a capped
// backoff. RTMP and RTMPS push is on gortmplib's client.
package destination

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"

	"onair/internal/media"
)

// State is where a destination worker is.
type State string

// The states.
const (
	Connecting State = "CONNECTING"
	Active     State = "ACTIVE"
	Retrying   State = "RETRYING"
)

// Backoff bounds the wait between two connection attempts.
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
	// queue bounds the units the worker's reader queues: a few seconds.
	queue = 1024
	// writeTimeout drops a destination that takes no data for this long.
	writeTimeout = 10 * time.Second
)

// Status is what a worker reports of itself.
type Status struct {
	State      State
	Since      time.Time
	LastError  string
	BytesSent  uint64
	Reconnects int
}

// Worker pushes one hub's stream to one RTMP(S) URL until its context ends
// or its hub closes.
type Worker struct {
	url *url.URL
	hub *media.Hub
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	status Status
	sent   atomic.Uint64
}

// New returns a worker pushing hub to rawURL (rtmp:// or rtmps://, the
// stream key as the path's last segment).
func New(rawURL string, hub *media.Hub, log *slog.Logger, now func() time.Time) (*Worker, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("destination URL: %w", err)
	}
	if u.Scheme != "rtmp" && u.Scheme != "rtmps" {
		return nil, fmt.Errorf("destination URL: %s:// is not RTMP", u.Scheme)
	}
	if now == nil {
		now = time.Now
	}
	w := &Worker{url: u, hub: hub, log: log, now: now}
	w.status = Status{State: Connecting, Since: now()}
	return w, nil
}

// Status is the worker's state now.
func (w *Worker) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.status
	s.BytesSent = w.sent.Load()
	return s
}

func (w *Worker) set(state State, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status.State != state {
		w.status.State, w.status.Since = state, w.now()
	}
	if err != nil {
		w.status.LastError = Scrub(w.url, err.Error())
	}
	if state == Retrying {
		w.status.Reconnects++
	}
}

// errHubClosed ends a worker whose run's media ended.
var errHubClosed = errors.New("destination: the run's stream ended")

// Run pushes until ctx ends or the hub closes, connecting again after each
// failure.
func (w *Worker) Run(ctx context.Context) {
	delay := time.Duration(0)
	for ctx.Err() == nil {
		w.set(Connecting, nil)
		started := w.now()
		err := w.push(ctx)
		if errors.Is(err, errHubClosed) || ctx.Err() != nil {
			return
		}
		if w.now().Sub(started) > maxBackoff {
			delay = 0 // it worked for a while: a fresh failure
		}
		delay = min(max(2*delay, minBackoff), maxBackoff)
		w.set(Retrying, err)
		w.log.Warn("destination failed; retrying", "url", Redacted(w.url), "err", Scrub(w.url, err.Error()), "in", delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// push connects once and streams until something fails.
func (w *Worker) push(ctx context.Context) error {
	r := w.hub.Subscribe("destination "+Redacted(w.url), queue)
	defer r.Close()
	// The stream's tracks first: nothing can be pushed before them.
	var tracks media.Tracks
	for tracks == nil {
		it, err := r.Next(ctx)
		if err != nil {
			return errHubClosed
		}
		tracks = it.Tracks
	}
	c := &gortmplib.Client{URL: w.url, Publish: true}
	if w.url.Scheme == "rtmps" {
		c.TLSConfig = &tls.Config{ServerName: w.url.Hostname()}
	}
	dctx, cancel := context.WithTimeout(ctx, writeTimeout)
	err := c.Initialize(dctx)
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	out := &stream{client: c}
	if err := out.begin(tracks); err != nil {
		return err
	}
	w.set(Active, nil)
	for {
		it, err := r.Next(ctx)
		if err != nil {
			return errHubClosed
		}
		switch {
		case it.Tracks != nil:
			if !media.SameCodecs(tracks, it.Tracks) {
				return errors.New("the stream's configuration changed: reconnecting to send it")
			}
		case it.Unit != nil:
			c.NetConn().SetWriteDeadline(time.Now().Add(writeTimeout))
			n, err := out.write(it.Unit)
			if err != nil {
				return err
			}
			w.sent.Add(uint64(n))
		}
	}
}

// stream is one connection's gortmplib writer and its tracks.
type stream struct {
	client *gortmplib.Client
	w      *gortmplib.Writer
	tracks []*gortmplib.Track // by the media tracks' index; nil for one not carried
}

func (s *stream) begin(tracks media.Tracks) error {
	s.tracks = make([]*gortmplib.Track, len(tracks))
	var all []*gortmplib.Track
	for i, t := range tracks {
		var c codecs.Codec
		switch x := t.Codec.(type) {
		case *media.H264:
			c = &codecs.H264{SPS: x.SPS, PPS: x.PPS}
		case *media.H265:
			c = &codecs.H265{VPS: x.VPS, SPS: x.SPS, PPS: x.PPS}
		case *media.AAC:
			cfg := x.Config
			c = &codecs.MPEG4Audio{Config: &cfg}
		default:
			continue
		}
		s.tracks[i] = &gortmplib.Track{Codec: c}
		all = append(all, s.tracks[i])
	}
	s.w = &gortmplib.Writer{Conn: s.client, Tracks: all}
	return s.w.Initialize()
}

// write sends one unit and reports its size.
func (s *stream) write(u *media.Unit) (int, error) {
	if u.Track < 0 || u.Track >= len(s.tracks) || s.tracks[u.Track] == nil {
		return 0, nil
	}
	t := s.tracks[u.Track]
	var err error
	switch t.Codec.(type) {
	case *codecs.H264:
		err = s.w.WriteH264(t, u.PTS, u.DTS, u.AU)
	case *codecs.H265:
		err = s.w.WriteH265(t, u.PTS, u.DTS, u.AU)
	case *codecs.MPEG4Audio:
		err = s.w.WriteMPEG4Audio(t, u.PTS, u.AU[0])
	}
	return u.Size(), err
}

// Redacted is a destination URL for logs: its host and path without the
// stream key, credentials or query.
func Redacted(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	c.Path = "/…"
	return c.String()
}

// Scrub hides from text (an error of the push) what u holds beyond its host:
// its password and user, its path below the application (the stream key),
// its query and each of its values.
func Scrub(u *url.URL, text string) string {
	var secrets []string
	if u.User != nil {
		p, _ := u.User.Password()
		secrets = append(secrets, p, u.User.Username())
	}
	path := strings.Trim(u.Path, "/")
	if _, key, ok := strings.Cut(path, "/"); ok {
		secrets = append(secrets, path, key)
		secrets = append(secrets, strings.Split(key, "/")...)
	}
	secrets = append(secrets, u.RawQuery)
	for _, vs := range u.Query() {
		secrets = append(secrets, vs...)
	}
	// Longest first, so that a secret holding another goes whole.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		if len(s) >= 3 { // shorter ones would blank ordinary words
			text = strings.ReplaceAll(text, s, "***")
		}
	}
	return text
}
