package engine

import (
	"context"
	"errors"
	"net"
	"sync"

	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/flv"
	"onair/internal/pipeline"
	"onair/internal/rtmp"
)

// Publish refusals, as the encoder sees them in NetStream.Publish.BadName.
var (
	ErrUnknownKey = errors.New("unknown stream key, or its channel is not running")
	ErrKeyInUse   = errors.New("a publisher is already connected with this stream key")
	ErrTooMany    = errors.New("too many refused publish attempts from this address; wait a minute")
)

// Publish routes an RTMP publisher to its run's pipeline: the key must belong to
// a running run, and only one publisher may use it at a time. Keys are looked up
// by their hash, so the lookup takes no longer for a near miss; an address that
// keeps getting refused is turned away for a while, and every refusal is logged.
func (l *Local) Publish(_ context.Context, req rtmp.PublishRequest) (rtmp.Sink, error) {
	addr := hostOf(req.Remote)
	if ok, _ := l.failures.Allow(addr); !ok {
		l.refused.unknownKey.Add(1)
		return nil, ErrTooMany
	}
	l.mu.Lock()
	p := l.keys[auth.HashSecret(req.StreamKey)]
	if p == nil || req.App != domain.IngestApp {
		l.mu.Unlock()
		l.refused.unknownKey.Add(1)
		l.failures.Fail(addr)
		l.log.Warn("publish refused: unknown stream key", "remote", addr, "app", req.App)
		return nil, ErrUnknownKey
	}
	if p.publisher != nil {
		l.mu.Unlock()
		l.refused.keyInUse.Add(1)
		l.log.Warn("publish refused: key in use", "remote", addr, "pipeline", p.index)
		return nil, ErrKeyInUse
	}
	ref := l.refOfPipe(p)
	s := &session{l: l, p: p, ref: ref, done: make(chan struct{})}
	p.publisher = s
	p.feed.Begin()
	l.mu.Unlock()
	l.cfg.OnEvent(ref, domain.RunEvent{Time: l.cfg.Now().UTC(), Type: "publisher_connected", Pipeline: p.index, Message: req.Remote.String()})
	return s, nil
}

// refOfPipe finds the run a pipeline belongs to; l.mu is held.
func (l *Local) refOfPipe(p *pipe) RunRef {
	for _, rt := range l.runs {
		for _, q := range rt.pipes {
			if q == p {
				return rt.ref
			}
		}
	}
	return RunRef{}
}

// session is one publisher's connection to a pipeline.
type session struct {
	l    *Local
	p    *pipe
	ref  RunRef
	done chan struct{}
	once sync.Once
}

// WriteTag feeds the pipeline. Tags that arrive while ffmpeg restarts are
// dropped: the feed starts the new instance at the next keyframe.
func (s *session) WriteTag(t flv.Tag) error {
	err := s.p.feed.WriteTag(t)
	if errors.Is(err, pipeline.ErrNotReady) {
		return nil
	}
	return err
}

// Close ends the publisher's session; the run goes on and waits for the next one.
func (s *session) Close(err error) {
	s.l.mu.Lock()
	if s.p.publisher == s {
		s.p.publisher = nil
	}
	s.l.mu.Unlock()
	s.p.feed.End()
	msg := "unpublished"
	if err != nil {
		msg = err.Error()
	}
	s.l.cfg.OnEvent(s.ref, domain.RunEvent{Time: s.l.cfg.Now().UTC(), Type: "publisher_disconnected", Pipeline: s.p.index, Message: msg})
}

// Done is closed when the run stops and the publisher must go.
func (s *session) Done() <-chan struct{} { return s.done }

func (s *session) kick() { s.once.Do(func() { close(s.done) }) }

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
