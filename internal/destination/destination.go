// Package destination pushes a run's stream to where its blueprint sends it:
// one worker per destination and pipeline, reading a rendition's hub through
// its own queue, so that a destination that is slow or down never holds up
// the run nor another destination. Each worker has its own state (CONNECTING,
// ACTIVE, RETRYING, FAILED, then STOPPED when the run ends), reconnects on
// its own with a capped exponential backoff, and gives up only on what cannot
// heal by itself. RTMP and RTMPS push is on gortmplib's client.
package destination

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/domain"
	"onair/internal/media"
	"onair/internal/storage"
)

// Backoff bounds the wait between two connection attempts.
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
	// queue bounds the units the worker's reader queues: a few seconds.
	queue = 1024
	// writeTimeout drops a destination that takes no data for this long.
	writeTimeout = 10 * time.Second
	// reportEvery is how often an active worker reports what it sent.
	reportEvery = 5 * time.Second
	// unknownHostFor is how long a host may stay unknown to DNS before the
	// worker gives up: long enough for a record being created to appear.
	unknownHostFor = 5 * time.Minute
)

// Config is one worker's destination and where it reports.
type Config struct {
	ID       string // the blueprint destination's id
	Pipeline int
	URL      string     // rtmp:// or rtmps://, the stream key as the path's last segment; http(s):// with HLS
	Hub      *media.Hub // what an RTMP destination pushes
	HLS      *HLSPush   // what an HLS push destination uploads
	Log      *slog.Logger
	Now      func() time.Time
	// OnChange is told the worker's status when its state changes, every
	// reportEvery while it pushes, and when it stops. It is called from the
	// worker's goroutine and must not block.
	OnChange func(domain.DestinationStatus)
}

// Worker pushes one hub's stream to one destination until its context ends
// or its hub closes.
type Worker struct {
	cfg  Config
	url  *url.URL
	push func(context.Context) error // connects once and pushes until something fails

	report sync.Mutex // serializes OnChange: an HLS push reports from a goroutine per rendition

	mu      sync.Mutex
	status  domain.DestinationStatus
	failing bool // RETRYING since it was last ACTIVE
	sent    atomic.Uint64
	dropped atomic.Uint64 // by the readers of connections that ended
	// errors4xx and errors5xx count an HTTP destination's error answers.
	errors4xx, errors5xx atomic.Uint64
	reader               atomic.Pointer[media.Reader]
}

// New returns a worker for cfg; its URL must be RTMP or RTMPS.
func New(cfg Config) (*Worker, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("destination %s: URL: %w", cfg.ID, err)
	}
	switch {
	case cfg.HLS != nil && cfg.HLS.Bucket != nil:
		// A bucket push: the URL only names it.
	case cfg.HLS != nil && u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("destination %s: %s:// is not HTTP, which HLS push needs", cfg.ID, u.Scheme)
	case cfg.HLS == nil && u.Scheme != "rtmp" && u.Scheme != "rtmps":
		return nil, fmt.Errorf("destination %s: %s:// is not RTMP", cfg.ID, u.Scheme)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OnChange == nil {
		cfg.OnChange = func(domain.DestinationStatus) {}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	w := &Worker{cfg: cfg, url: u}
	w.push = w.pushRTMP
	if cfg.HLS != nil {
		w.push = newHLSPusher(w, *cfg.HLS).push
	}
	w.status = domain.DestinationStatus{ID: cfg.ID, Pipeline: cfg.Pipeline, URL: Redacted(u), State: domain.DestinationConnecting, Since: cfg.Now().UTC()}
	return w, nil
}

// Status is the worker's status now.
func (w *Worker) Status() domain.DestinationStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.snapshot()
}

// snapshot is the status with the counters as they are now; w.mu is held.
func (w *Worker) snapshot() domain.DestinationStatus {
	s := w.status
	s.BytesSent = w.sent.Load()
	s.Dropped = w.dropped.Load()
	s.Output4xxErrors, s.Output5xxErrors = w.errors4xx.Load(), w.errors5xx.Load()
	if r := w.reader.Load(); r != nil {
		s.Dropped += r.Dropped()
	}
	return s
}

// set moves the worker to state, recording err (nil keeps the last one) and
// the next attempt, and reports it.
func (w *Worker) set(state string, err error, next time.Time) {
	w.mu.Lock()
	now := w.cfg.Now().UTC()
	if w.status.State != state {
		w.status.State, w.status.Since = state, now
	}
	if err != nil {
		w.status.LastError = Scrub(w.url, err.Error())
	}
	w.status.NextAttempt = nil
	if !next.IsZero() {
		n := next.UTC()
		w.status.NextAttempt = &n
	}
	switch state {
	case domain.DestinationRetrying:
		if !w.failing {
			w.status.Reconnects++ // once per outage, however many attempts it takes
		}
		w.failing = true
	case domain.DestinationActive:
		w.failing = false
	}
	w.mu.Unlock()
	w.progress()
}

// progress reports the worker's status as it is now: reports are made one
// at a time, each with the latest status, so that none overtakes a newer
// one.
func (w *Worker) progress() {
	w.report.Lock()
	defer w.report.Unlock()
	w.cfg.OnChange(w.Status())
}

// answered counts an HTTP destination's answer: its 4xx and 5xx errors.
func (w *Worker) answered(code int) {
	switch {
	case code >= 500 && code < 600:
		w.errors5xx.Add(1)
	case code >= 400 && code < 500:
		w.errors4xx.Add(1)
	}
}

// errHubClosed ends a worker whose run's media ended.
var errHubClosed = errors.New("destination: the run's stream ended")

// Run pushes until ctx ends or the hub closes, connecting again after each
// failure, and stops trying only when the failure cannot heal (see
// giveUp). Its last report is STOPPED, or FAILED.
func (w *Worker) Run(ctx context.Context) {
	var (
		delay time.Duration
		fails failures
	)
	for {
		started := w.cfg.Now()
		err := w.push(ctx)
		if errors.Is(err, errHubClosed) || ctx.Err() != nil {
			break
		}
		if w.cfg.Now().Sub(started) > maxBackoff {
			delay, fails = 0, failures{} // it worked for a while: a fresh failure
		}
		if why := fails.add(err, w.cfg.Now()); why != "" {
			w.cfg.Log.Warn("destination failed; giving up", "destination", w.cfg.ID, "url", Redacted(w.url), "err", Scrub(w.url, err.Error()), "why", why)
			w.set(domain.DestinationFailed, fmt.Errorf("%w (%s)", err, why), time.Time{})
			return
		}
		delay = min(max(2*delay, minBackoff), maxBackoff)
		w.cfg.Log.Warn("destination failed; retrying", "destination", w.cfg.ID, "url", Redacted(w.url), "err", Scrub(w.url, err.Error()), "in", delay)
		w.set(domain.DestinationRetrying, err, w.cfg.Now().Add(delay))
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		if ctx.Err() != nil {
			break
		}
		w.set(domain.DestinationConnecting, nil, time.Time{})
	}
	w.set(domain.DestinationStopped, nil, time.Time{})
}

// failures is a worker's run of failures since it last pushed for a while,
// and decides when to give up: credentials refused twice in a row (a retry
// did not help), or a host DNS has not known for unknownHostFor.
type failures struct {
	denied      int
	unknownFrom time.Time
}

// add counts err, which happened at now, and says why to give up, or "".
func (f *failures) add(err error, now time.Time) string {
	if denied(err) {
		if f.denied++; f.denied >= 2 {
			return "the destination refused the credentials again"
		}
	} else {
		f.denied = 0
	}
	if unknownHost(err) {
		if f.unknownFrom.IsZero() {
			f.unknownFrom = now
		}
		if now.Sub(f.unknownFrom) >= unknownHostFor {
			return fmt.Sprintf("the host has been unknown for %s", unknownHostFor)
		}
	} else {
		f.unknownFrom = time.Time{}
	}
	return ""
}

// denied tells a refusal of the credentials: gortmplib's own errors for
// RTMP, 401 and 403 for HTTP.
func denied(err error) bool {
	if err == nil {
		return false
	}
	if se := new(StatusError); errors.As(err, &se) {
		return se.Code == 401 || se.Code == 403
	}
	if storage.Denied(err) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "authentication error") || strings.Contains(msg, "credentials are required")
}

// unknownHost tells a DNS answer that the host does not exist.
func unknownHost(err error) bool {
	var d *net.DNSError
	return errors.As(err, &d) && d.IsNotFound
}

// StatusError is an HTTP destination's answer that was not a success.
type StatusError struct {
	Code   int
	Status string // as the server wrote it, "401 Unauthorized"
}

func (e *StatusError) Error() string { return e.Status }

// Redacted is a destination URL for logs and statuses: its scheme, host and
// first path segment (an RTMP application, or an HTTP ingest's first
// directory), without the stream key, credentials, query or the rest of the
// path.
func Redacted(u *url.URL) string {
	app, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	return u.Scheme + "://" + u.Host + "/" + app + "/…"
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
