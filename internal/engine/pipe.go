package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/pipeline"
)

// maxBackoff caps the wait before a running pipeline's ffmpeg is restarted:
// every second of it is media lost.
const maxBackoff = 5 * time.Second

// pipeAlert is whether a pipeline's alert is open. Only its supervisor's
// events change it, one at a time; the metrics read it.
type pipeAlert struct{ open atomic.Bool }

// hold returns the run's runtime, making it when the run has none here yet:
// a held pipe per endpoint, whose feed continues the timeline of what an
// earlier server wrote for the run (a run resumed after a restart).
func (l *Local) hold(ch domain.Channel, ingests []domain.Ingest) *runtime {
	l.mu.Lock()
	rt := l.runs[ch.Run.ID]
	l.mu.Unlock()
	if rt != nil {
		return rt
	}
	ref := refOf(ch)
	rt = &runtime{ref: ref}
	for _, in := range ingests {
		spec := pipeline.SpecFor(&ch.Workflow, ch.Run, in.Pipeline)
		p := &pipe{ref: ref, index: in.Pipeline, key: in.StreamKey, spec: spec, feed: pipeline.NewFeed()}
		if l.playlistsExist(spec) {
			// The ffmpeg that wrote them died with the server: go on after
			// what it wrote, so that no timestamp goes back.
			if end, ok := l.timelineEnd(spec); ok {
				p.feed.Continue(end)
			}
		}
		rt.pipes = append(rt.pipes, p)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if other := l.runs[ref.RunID]; other != nil {
		return other // made meanwhile by another caller
	}
	for _, p := range rt.pipes {
		l.keys[auth.HashSecret(p.key)] = p
	}
	l.runs[ref.RunID] = rt
	rt.hold = time.AfterFunc(l.cfg.HoldTimeout, func() { l.holdExpired(rt) })
	return rt
}

// startPipe starts a pipeline's ffmpeg (and its key rotation), continuing the
// playlists an earlier instance wrote.
func (l *Local) startPipe(ctx context.Context, p *pipe) error {
	spec := p.spec
	if err := l.mkdirs(spec); err != nil {
		return err
	}
	continuing := l.playlistsExist(spec)
	log := l.log.With("workflow", p.ref.WorkflowID, "run", p.ref.RunID, "pipeline", p.index)
	if spec.KeyInfoFile != "" {
		// ffmpeg reads the key info file as it opens its first segment: the
		// first key must be there before ffmpeg starts.
		r, err := newKeyRotator(l.cfg.DataDir, spec, l.cfg.Now, log)
		if err == nil {
			err = r.Start()
		}
		if err != nil {
			return fmt.Errorf("live HLS keys: %w", err)
		}
		p.keys = r
	}
	p.sup = pipeline.New(pipeline.Config{
		FFmpeg: l.cfg.FFmpeg,
		Dir:    l.cfg.DataDir,
		Args: func(restart bool) ([]string, error) {
			s := spec
			s.Restart = restart || continuing
			return pipeline.Args(s)
		},
		Log:     log,
		Grace:   l.cfg.Grace,
		Backoff: pipeline.Backoff{Max: maxBackoff},
		// ffmpeg blocks on its FLV input before it opens any output, so only an
		// exec failure or a bad argument can end it early; both show within
		// milliseconds. What fails on the media shows in WaitHealthy.
		Settle:  300 * time.Millisecond,
		Now:     l.cfg.Now,
		OnEvent: func(e pipeline.Event) { l.pipelineEvent(p, e) },
	})
	if err := p.sup.Start(ctx); err != nil {
		if p.keys != nil {
			p.keys.Stop()
		}
		return err
	}
	return nil
}

// pipelineEvent turns a pipeline's supervision into the run's events and its
// alert: a restart is an event; a second failure in a row opens the alert,
// with the cause, and a healthy or stable instance closes it.
func (l *Local) pipelineEvent(p *pipe, e pipeline.Event) {
	event := func(typ, msg string) {
		l.cfg.OnEvent(p.ref, domain.RunEvent{Time: e.Time.UTC(), Type: typ, Pipeline: p.index, Message: msg})
	}
	switch e.Type {
	case pipeline.EventStarted:
		// The first instance is announced by Start, once it is up for good.
		if e.Instance > 1 {
			l.started(p)
		}
	case pipeline.EventRestarting:
		event("pipeline_restarted", e.Cause)
		if e.Failures >= 2 {
			if !p.alert.open.Swap(true) {
				l.log.Warn("pipeline keeps failing", "workflow", p.ref.WorkflowID, "pipeline", p.index, "failures", e.Failures, "cause", e.Cause)
			}
			event(domain.EventPipelineFailing, fmt.Sprintf("%s (%d failures in a row; next try in %s)", e.Cause, e.Failures, e.Delay))
		}
	case pipeline.EventHealthy, pipeline.EventStable:
		if p.alert.open.Swap(false) {
			l.log.Info("pipeline recovered", "workflow", p.ref.WorkflowID, "pipeline", p.index)
			event(domain.EventPipelineRecovered, e.Message)
		}
	}
}

// started logs that a pipeline's ffmpeg is up.
func (l *Local) started(p *pipe) {
	l.cfg.OnEvent(p.ref, domain.RunEvent{Time: l.cfg.Now().UTC(), Type: "pipeline_started", Pipeline: p.index,
		Message: "ffmpeg pid " + strconv.Itoa(p.sup.PID())})
}

// playlistsExist reports whether an earlier instance wrote this pipeline's
// playlists, which a new ffmpeg must then continue rather than overwrite.
func (l *Local) playlistsExist(spec pipeline.Spec) bool {
	if _, err := os.Stat(filepath.Join(l.cfg.DataDir, spec.LiveDir, pipeline.LivePlaylist)); err == nil {
		return true
	}
	for _, a := range spec.Archives {
		if _, err := os.Stat(filepath.Join(l.cfg.DataDir, a.Playlist())); err == nil {
			return true
		}
	}
	return false
}
