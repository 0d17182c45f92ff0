package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/pipeline"
	"onair/internal/recorder"
)

// maxBackoff caps the wait before a running pipeline's ffmpeg is restarted:
// every second of it is media lost.
const maxBackoff = 5 * time.Second

// pipeAlert is whether a pipeline's alert is open. Only its supervisor's
// events change it, one at a time; the metrics read it.
type pipeAlert struct{ open atomic.Bool }

// hold returns the run's runtime, making it when the run has none here yet:
// a held pipe per endpoint, with its archives' recorders, whose feed
// continues the timeline of what an earlier server wrote for the run (a run
// resumed after a restart).
func (l *Local) hold(ch domain.Channel, ingests []domain.Ingest) (*runtime, error) {
	l.mu.Lock()
	rt := l.runs[ch.Run.ID]
	l.mu.Unlock()
	if rt != nil {
		return rt, nil
	}
	ref := refOf(ch)
	rt = &runtime{ref: ref}
	for _, in := range ingests {
		spec := pipeline.SpecFor(&ch.Workflow, ch.Run, in.Pipeline)
		p := &pipe{ref: ref, index: in.Pipeline, key: in.StreamKey, spec: spec, feed: pipeline.NewFeed()}
		log := l.log.With("workflow", ref.WorkflowID, "run", ref.RunID, "pipeline", in.Pipeline)
		for _, a := range spec.Archives {
			r, err := recorder.Open(filepath.Join(l.cfg.DataDir, a.Dir), a.Segment, log)
			if err != nil {
				return nil, fmt.Errorf("pipeline %d: %w", in.Pipeline, err)
			}
			p.recorders = append(p.recorders, r)
		}
		// After a restart: go on after what the earlier server wrote, so
		// that no timestamp goes back.
		if end, ok := l.timelineEnd(p); ok {
			p.feed.Continue(end)
		}
		rt.pipes = append(rt.pipes, p)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if other := l.runs[ref.RunID]; other != nil {
		return other, nil // made meanwhile by another caller
	}
	for _, p := range rt.pipes {
		l.keys[auth.HashSecret(p.key)] = p
	}
	l.runs[ref.RunID] = rt
	rt.hold = time.AfterFunc(l.cfg.HoldTimeout, func() { l.holdExpired(rt) })
	return rt, nil
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
		// Each archive comes back from ffmpeg as MPEG-TS, which its
		// recorder writes; an ended instance is a break in the archive.
		Outputs: len(p.recorders),
		OnOutput: func(n, i int, r io.Reader) {
			if err := p.recorders[i].Feed(r); err != nil {
				log.Error("recording an archive failed", "archive", spec.Archives[i].Dir, "instance", n, "err", err)
			}
		},
		Log:     log,
		Grace:   l.cfg.Grace,
		Backoff: pipeline.Backoff{Max: maxBackoff},
		// What fails on the media shows in WaitHealthy.
		Settle:  l.cfg.Settle,
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
// live playlists, which a new ffmpeg must then continue rather than overwrite.
func (l *Local) playlistsExist(spec pipeline.Spec) bool {
	_, err := os.Stat(filepath.Join(l.cfg.DataDir, spec.LiveDir, pipeline.LivePlaylist))
	return err == nil
}

// timelineEnd is where the media that earlier instances (of this server or
// one before it) wrote for a pipeline ends, on the timeline of the stream
// they were fed: the end of what its archives recorded, or, when it records
// none, of its live playlists' last segments (when they are in the clear).
// ffmpeg's MPEG-TS muxer puts its output a little later than its input, so
// this is a little late, never early.
func (l *Local) timelineEnd(p *pipe) (time.Duration, bool) {
	var end time.Duration
	found := false
	for _, r := range p.recorders {
		if e, ok := r.End(); ok {
			end, found = max(end, e), true
		}
	}
	if len(p.recorders) > 0 {
		return end, found
	}
	playlists, _ := filepath.Glob(filepath.Join(l.cfg.DataDir, p.spec.LiveDir, "*", "index.m3u8"))
	for _, pl := range playlists {
		b, err := os.ReadFile(pl)
		last := lastSegment(b)
		if err != nil || last == "" || filepath.IsAbs(last) || strings.Contains(last, "..") {
			continue
		}
		if _, e, ok := recorder.Span(filepath.Join(filepath.Dir(pl), last)); ok {
			end, found = max(end, recorder.PTSTime(e)), true
		}
	}
	return end, found
}
