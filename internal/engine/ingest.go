package engine

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/ingest"
	"onair/internal/media"
)

// Publish refusals, as the encoder sees them in NetStream.Publish.BadName.
var (
	ErrUnknownKey = errors.New("unknown stream key, or its channel is not running")
	ErrKeyInUse   = errors.New("a publisher is already connected with this stream key")
	ErrTooMany    = errors.New("too many refused publish attempts from this address; wait a minute")
)

// Publish routes an RTMP publisher to its run's pipeline. The stream path
// (app and name joined, however the encoder split its URL) must name the key
// of a run that has endpoints, and only one publisher may use a key at a
// time. A run that is still starting accepts its publisher at once and holds
// its media until the pipeline is up. Keys are looked up by their hash, so the
// lookup takes no longer for a near miss. A right key is always accepted; an
// address that keeps sending wrong ones is told to wait, and every refusal is
// logged.
func (l *Local) Publish(ctx context.Context, req ingest.PublishRequest) (ingest.Sink, error) {
	addr := hostOf(req.Remote)
	log := l.log.With("remote", addr, "path", ingest.PathForLog(req.Path))
	p, err := l.pipeFor(ctx, req.Path)
	if err == nil && p == nil && l.cfg.Provisioned != nil {
		// Credentials are guessable, unlike keys: an address over its limit
		// is refused before they are checked.
		if ok, _ := l.failures.Allow(addr); !ok {
			l.refused.badCredentials.Add(1)
			log.Warn("publish refused: from an address over its limit of refusals")
			return nil, ErrTooMany
		}
		p, err = l.provisioned(ctx, req)
	}
	var refusal *Refusal
	switch {
	case errors.As(err, &refusal):
		if refusal.Guess {
			l.refused.badCredentials.Add(1)
			l.failures.Fail(addr)
		} else {
			l.refused.provision.Add(1)
		}
		log.Warn("publish refused: " + refusal.Error())
		return nil, refusal
	case err != nil:
		l.log.Error("publish refused: looking up the stream failed", "err", err)
		return nil, errors.New("the server could not look up this stream; try again")
	case p == nil:
		l.refused.unknownKey.Add(1)
		if ok, _ := l.failures.Allow(addr); !ok {
			log.Warn("publish refused: unknown stream key, from an address over its limit of refusals")
			return nil, ErrTooMany
		}
		l.failures.Fail(addr)
		log.Warn("publish refused: unknown stream key")
		return nil, ErrUnknownKey
	}
	l.mu.Lock()
	if p.publisher != nil {
		l.mu.Unlock()
		l.refused.keyInUse.Add(1)
		log.Warn("publish refused: key in use", "workflow", p.ref.WorkflowID, "pipeline", p.index)
		return nil, ErrKeyInUse
	}
	s := &session{l: l, p: p, done: make(chan struct{})}
	p.publisher, p.unpublished = s, time.Time{}
	p.timeline.begin()
	l.mu.Unlock()
	l.cfg.OnEvent(p.ref, domain.RunEvent{Time: l.cfg.Now().UTC(), Type: domain.EventPublisherConnected, Pipeline: p.index, Message: req.Remote.String()})
	return s, nil
}

// pipeFor finds the pipeline whose key a stream path names: one of the runs
// here, or an active run in the store that has not got here yet, which is
// then held here until the controller starts it. nil when none.
func (l *Local) pipeFor(ctx context.Context, path string) (*pipe, error) {
	key, ok := domain.StreamKeyOfPath(path)
	if !ok {
		return nil, nil
	}
	hash := auth.HashSecret(key)
	l.mu.Lock()
	p := l.keys[hash]
	l.mu.Unlock()
	if p != nil || l.cfg.Lookup == nil {
		return p, nil
	}
	ch, found, err := l.cfg.Lookup(ctx, key)
	if err != nil || !found {
		return nil, err
	}
	if _, err := l.hold(ch, ch.Run.Inputs); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keys[hash], nil
}

// Refusal is a publisher refused on purpose (wrong credentials, a
// provision that takes no publisher now); its text is what the encoder is
// told.
type Refusal struct {
	Reason string
	// Guess: the publisher may be guessing (wrong credentials), so the
	// refusal counts against its address like an unknown key.
	Guess bool
}

func (r *Refusal) Error() string { return r.Reason }

// provisioned asks Config.Provisioned for the run a provision's publisher
// starts, and holds it here: the pipeline of its endpoint.
func (l *Local) provisioned(ctx context.Context, req ingest.PublishRequest) (*pipe, error) {
	ch, err := l.cfg.Provisioned(ctx, req)
	if err != nil || ch == nil {
		return nil, err
	}
	if ch.Run == nil || len(ch.Run.Inputs) == 0 {
		return nil, errors.New("the provision's run has no endpoint")
	}
	if _, err := l.hold(*ch, ch.Run.Inputs); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keys[auth.HashSecret(ch.Run.Inputs[0].StreamKey)], nil
}

// Unpublished returns, for each run here that stops when unpublished (its
// options' UnpublishedStopSeconds) and that no publisher feeds, since when
// none has: the latest time one of its pipelines was made or lost its
// publisher. A run with a publisher on any pipeline is not in it.
func (l *Local) Unpublished() map[RunRef]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[RunRef]time.Time{}
next:
	for _, rt := range l.runs {
		if !rt.stopsUnpublished {
			continue
		}
		var since time.Time
		for _, p := range rt.pipes {
			if p.publisher != nil {
				continue next
			}
			if p.unpublished.After(since) {
				since = p.unpublished
			}
		}
		out[rt.ref] = since
	}
	return out
}

// session is one publisher's connection to a pipeline.
type session struct {
	l    *Local
	p    *pipe
	done chan struct{}
	once sync.Once
	// cause is why the session was ended, nil for a stop; set before done closes.
	cause error
}

// Begin starts the publisher's stream, or changes its tracks.
func (s *session) Begin(tracks media.Tracks) error {
	s.p.source.Begin(tracks)
	return nil
}

// Write puts a unit of the publisher on the pipeline's timeline, into its
// source hub (held there until the pipeline is up).
func (s *session) Write(u *media.Unit) error {
	s.p.source.Write(s.p.timeline.place(u))
	return nil
}

// Close ends the publisher's session; the run goes on and waits for the next one.
func (s *session) Close(err error) {
	s.l.mu.Lock()
	if s.p.publisher == s {
		s.p.publisher, s.p.unpublished = nil, s.l.cfg.Now()
	}
	s.l.mu.Unlock()
	s.p.source.End()
	msg := "unpublished"
	if err != nil {
		msg = err.Error()
	}
	s.l.cfg.OnEvent(s.p.ref, domain.RunEvent{Time: s.l.cfg.Now().UTC(), Type: domain.EventPublisherDisconnected, Pipeline: s.p.index, Message: msg})
}

// Done is closed when the run stops and the publisher must go.
func (s *session) Done() <-chan struct{} { return s.done }

// Cause is why the publisher had to go: nil when its run stopped, the
// failure when its run could not start (ingest.Causer).
func (s *session) Cause() error { return s.cause }

func (s *session) kick(cause error) {
	s.once.Do(func() {
		s.cause = cause
		close(s.done)
	})
}

// hostOf is the IP of a remote address, the unit that refusals are counted by.
func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
