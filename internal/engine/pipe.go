package engine

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/auth"
	"onair/internal/destination"
	"onair/internal/domain"
	"onair/internal/hls"
	"onair/internal/media"
	"onair/internal/pipeline"
	"onair/internal/recorder"
)

// maxBackoff caps the wait before a running pipeline's ffmpeg is restarted:
// every second of it is media lost.
const maxBackoff = 5 * time.Second

// pipeAlert is whether a pipeline's alert is open. Only its encoder's
// supervision events change it, one at a time; the metrics read it.
type pipeAlert struct{ open atomic.Bool }

// pipe is one pipeline of a run on this node, and its media graph: the
// publisher's stream goes on the pipeline's timeline into the source hub;
// each rendition has a hub (the source's own for a passthrough rendition,
// the encoder's output otherwise); the live HLS of each live rendition and
// each archive read those hubs.
type pipe struct {
	ref      RunRef
	index    int
	key      string
	spec     pipeline.Spec
	plan     pipeline.Plan
	log      *slog.Logger
	timeline *timeline
	source   *media.Hub // holds what the publisher sends until Start
	// recorders write the archives, one per spec.Archives, and live the
	// live HLS outputs, one per spec.Live; opened with the pipe, so that a
	// resumed run's timeline goes on after what they hold.
	recorders []*recorder.Recorder
	// mirrors copy each archive to its bucket as it grows, by
	// spec.Archives; nil for one that stays in the data directory.
	mirrors   []*recorder.Mirror
	mirroring sync.WaitGroup
	live      []*liveOutput

	// Set by startPipe, guarded by Local.mu's happens-before (written before
	// the runtime is marked started).
	hubs    []*media.Hub      // by plan.Renditions
	encoder *pipeline.Encoder // nil: nothing to encode
	stop    context.CancelFunc
	workers sync.WaitGroup // the hub readers' goroutines
	// stopPush stops the destinations, which push each on its own; they
	// stop first at a teardown, since what they have not sent is gone
	// anyway.
	stopPush     context.CancelFunc
	pushers      sync.WaitGroup
	destinations []*destination.Worker
	// The HLS push destinations stop after the live outputs they upload
	// ended, when a run stops (keepUploads, set by Stop), so that their
	// last segment and EXT-X-ENDLIST reach the destination; at once else.
	stopUpload  context.CancelFunc
	uploaders   sync.WaitGroup
	keepUploads bool
	uploadsDone sync.Once

	meters []meteredStream // the source's and each encoded rendition's

	publisher *session // guarded by Local.mu
	// unpublished is since when the pipe has had no publisher: made, or
	// its publisher gone; zero while one publishes. Guarded by Local.mu.
	unpublished time.Time
	alert       pipeAlert
}

// hold returns the run's runtime, making it when the run has none here yet:
// a held pipe per endpoint, with its archives' recorders, whose timeline
// continues what an earlier server wrote for the run (a run resumed after a
// restart).
func (l *Local) hold(ch domain.Channel, ingests []domain.Ingest) (*runtime, error) {
	l.mu.Lock()
	rt := l.runs[ch.Run.ID]
	l.mu.Unlock()
	if rt != nil {
		return rt, nil
	}
	ref := refOf(ch)
	rt = &runtime{ref: ref, stopsUnpublished: ch.Run.Options.UnpublishedStopSeconds > 0}
	for _, in := range ingests {
		spec := pipeline.SpecFor(&ch.Workflow, ch.Run, in.Pipeline)
		p := &pipe{ref: ref, index: in.Pipeline, key: in.StreamKey, spec: spec, plan: pipeline.PlanOf(spec),
			log:      l.log.With("workflow", ref.WorkflowID, "run", ref.RunID, "pipeline", in.Pipeline),
			timeline: newTimeline(), unpublished: l.cfg.Now()}
		p.source = media.NewHub(media.HubOptions{Hold: true, GOP: p.pushes(sourceHub)})
		for _, a := range spec.Archives {
			r, err := recorder.Open(filepath.Join(l.cfg.DataDir, a.Dir), a.Segment, p.log)
			if err != nil {
				return nil, fmt.Errorf("pipeline %d: %w", in.Pipeline, err)
			}
			m, err := l.mirrorOf(ref, in.Pipeline, a, p.log)
			if err != nil {
				return nil, fmt.Errorf("pipeline %d: %w", in.Pipeline, err)
			}
			if m != nil {
				r.OnSegment(m.Notify)
			}
			p.recorders = append(p.recorders, r)
			p.mirrors = append(p.mirrors, m)
		}
		var keys hls.KeySource
		if spec.KeyDir != "" {
			r, err := newKeyRotator(l.cfg.DataDir, spec, l.cfg.Now, p.log)
			if err != nil {
				return nil, fmt.Errorf("pipeline %d: live HLS keys: %w", in.Pipeline, err)
			}
			keys = r
		}
		live, err := l.openLive(spec, liveRenditions(p.plan), keys, p.log)
		if err != nil {
			return nil, fmt.Errorf("pipeline %d: %w", in.Pipeline, err)
		}
		p.live = live
		// After a restart: go on after what the earlier server wrote, so
		// that no timestamp goes back.
		if end, ok := l.timelineEnd(p); ok {
			p.timeline.continueAfter(end)
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
		for _, o := range p.live {
			for i, v := range o.variants {
				l.variants[o.variantDir(i)] = v
			}
		}
	}
	l.runs[ref.RunID] = rt
	rt.hold = time.AfterFunc(l.cfg.HoldTimeout, func() { l.holdExpired(rt) })
	return rt, nil
}

// startPipe builds and starts a pipeline's media graph: the renditions'
// hubs, the encoder when any rendition is encoded, the live HLS of each live
// rendition and the recorders, every reader subscribed before the source's
// hold ends, so that none misses what the publisher sent meanwhile.
func (l *Local) startPipe(ctx context.Context, p *pipe) error {
	if err := l.mkdirs(p.spec); err != nil {
		return err
	}
	var outs []*media.Hub
	p.hubs = make([]*media.Hub, len(p.plan.Renditions))
	for i, r := range p.plan.Renditions {
		if r.Video == nil {
			p.hubs[i] = p.source
			continue
		}
		p.hubs[i] = media.NewHub(media.HubOptions{GOP: p.pushes(i)})
		outs = append(outs, p.hubs[i])
	}
	work, stop := context.WithCancel(context.Background())
	p.stop = stop
	for _, o := range p.live {
		for i, v := range o.variants {
			r := p.hubs[p.liveRendition(i)].Subscribe("hls/"+o.names[i], media.ReaderQueue)
			p.goWork(func() error { return v.Run(work, r) }, "live HLS "+o.variantDir(i))
		}
	}
	p.meters = []meteredStream{{name: "source", hub: p.source}}
	for i, r := range p.plan.Renditions {
		if r.Video != nil {
			p.meters = append(p.meters, meteredStream{name: r.Name, hub: p.hubs[i]})
		}
	}
	for i := range p.meters {
		m := &p.meters[i]
		m.meter = media.NewMeter(l.cfg.Now)
		m.hub.Observe(m.meter.Observe)
	}
	for i, rec := range p.recorders {
		r := p.hubs[p.plan.Archives[i]].Subscribe("archive/"+strconv.Itoa(i), media.ReaderQueue)
		p.goWork(func() error { return rec.Run(work, r) }, "archive "+p.spec.Archives[i].Dir)
		if m := p.mirrors[i]; m != nil {
			// Not a hub reader: it runs until the teardown, after them.
			p.mirroring.Add(1)
			go func() {
				defer p.mirroring.Done()
				m.Run(work)
			}()
		}
	}
	if err := l.startDestinations(p); err != nil {
		p.teardown()
		return err
	}
	if len(outs) > 0 {
		p.encoder = pipeline.NewEncoder(pipeline.Config{
			FFmpeg:  l.cfg.FFmpeg,
			Dir:     l.cfg.DataDir,
			Args:    func(bool) ([]string, error) { return pipeline.Args(p.spec) },
			Log:     p.log,
			Grace:   l.cfg.Grace,
			Backoff: pipeline.Backoff{Max: maxBackoff},
			// What fails on the media shows in WaitHealthy.
			Settle:  l.cfg.Settle,
			Now:     l.cfg.Now,
			OnEvent: func(e pipeline.Event) { l.pipelineEvent(p, e) },
		}, p.source, outs)
		if err := p.encoder.Start(ctx); err != nil {
			p.encoder = nil
			p.teardown()
			return err
		}
	}
	p.source.Release()
	return nil
}

// goWork runs one hub reader of the pipe until it ends.
func (p *pipe) goWork(run func() error, what string) {
	p.workers.Add(1)
	go func() {
		defer p.workers.Done()
		if err := run(); err != nil && err != context.Canceled {
			p.log.Error("writing "+what+" failed", "err", err)
		}
	}()
}

// liveRendition is the rendition of the i-th live variant.
func (p *pipe) liveRendition(i int) int {
	n := 0
	for j, r := range p.plan.Renditions {
		if r.Live {
			if n == i {
				return j
			}
			n++
		}
	}
	return -1
}

// teardown stops a pipe's media graph: the encoder finishes what it has, the
// hubs end, and their readers write what they read before they stop. The
// live HLS and the archives are left as they are, to be finished (Stop) or
// continued (a resume).
func (p *pipe) teardown() {
	if p.stopPush != nil {
		p.stopPush()
		p.pushers.Wait()
	}
	if !p.keepUploads {
		defer p.stopUploads()
	}
	if p.encoder != nil {
		if err := p.encoder.Stop(context.Background()); err != nil && p.everPublished() {
			p.log.Warn("ffmpeg did not finish cleanly", "err", err)
		}
	}
	p.source.Close()
	for _, h := range p.hubs {
		h.Close()
	}
	p.workers.Wait()
	if p.stop != nil {
		p.stop()
	}
	p.mirroring.Wait()
}

// stopUploads stops the HLS push destinations, each once it uploaded what
// its live output has written; more than once is once.
func (p *pipe) stopUploads() {
	p.uploadsDone.Do(func() {
		if p.stopUpload != nil {
			p.stopUpload()
			p.uploaders.Wait()
		}
	})
}

// everPublished reports whether the pipe's source ever had a publisher's media.
func (p *pipe) everPublished() bool {
	p.timeline.mu.Lock()
	defer p.timeline.mu.Unlock()
	return p.timeline.has
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
				p.log.Warn("pipeline keeps failing", "failures", e.Failures, "cause", e.Cause)
			}
			event(domain.EventPipelineFailing, fmt.Sprintf("%s (%d failures in a row; next try in %s)", e.Cause, e.Failures, e.Delay))
		}
	case pipeline.EventHealthy, pipeline.EventStable:
		if p.alert.open.Swap(false) {
			p.log.Info("pipeline recovered")
			event(domain.EventPipelineRecovered, e.Message)
		}
	}
}

// started logs that a pipeline is up: its encoder's ffmpeg, or its packaging alone.
func (l *Local) started(p *pipe) {
	msg := "packaging the source as it arrives"
	if p.encoder != nil {
		msg = "ffmpeg pid " + strconv.Itoa(p.encoder.Supervisor().PID())
	}
	l.cfg.OnEvent(p.ref, domain.RunEvent{Time: l.cfg.Now().UTC(), Type: "pipeline_started", Pipeline: p.index, Message: msg})
}

// timelineEnd is where the media that an earlier server wrote for a pipeline
// ends, on the pipeline's timeline: the end of what its archives recorded,
// and of what its live HLS listed, whichever goes further.
func (l *Local) timelineEnd(p *pipe) (time.Duration, bool) {
	var end time.Duration
	found := false
	for _, r := range p.recorders {
		if e, ok := r.End(); ok {
			end, found = max(end, e), true
		}
	}
	for _, o := range p.live {
		if e, ok := o.end(); ok {
			end, found = max(end, e), true
		}
	}
	return end, found
}

// liveOutputs is the pipe's live HLS outputs; nil for no pipe.
func (p *pipe) liveOutputs() []*liveOutput {
	if p == nil {
		return nil
	}
	return p.live
}

// mirror is the pipe's mirror of archive i; nil for no pipe, or an
// archive that stays in the data directory.
func (p *pipe) mirror(i int) *recorder.Mirror {
	if p == nil || i >= len(p.mirrors) {
		return nil
	}
	return p.mirrors[i]
}

// recorder is the pipe's recorder of archive i; nil for no pipe.
func (p *pipe) recorder(i int) *recorder.Recorder {
	if p == nil || i >= len(p.recorders) {
		return nil
	}
	return p.recorders[i]
}
