// Package engine runs the media plane on this machine: it gives each run its
// stream keys, one supervised ffmpeg per pipeline fed by the RTMP ingest, and at
// the end finalized archives. It is the controller's engine and the ingest's router.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/pipeline"
)

// Config sets up a Local engine.
type Config struct {
	DataDir string // ffmpeg's working directory; live/ and archive/ live under it
	FFmpeg  string // path of ffmpeg; "ffmpeg" when empty
	FFprobe string // path of ffprobe; "ffprobe" when empty
	Log     *slog.Logger
	Now     func() time.Time
	// OnEvent records an event in a run's log (the server appends it to the run
	// in the store). It must not block for long.
	OnEvent func(ref RunRef, e domain.RunEvent)
	// Grace is how long a stopping ffmpeg may take to finish before it is
	// signalled; the supervisor's default when 0.
	Grace time.Duration
}

// RunRef names a run across organizations.
type RunRef struct {
	OrgID, WorkflowID, RunID string
}

// Local runs the media plane on this machine: it is the controller's engine and
// the RTMP server's router. One ffmpeg runs per pipeline of each running run.
type Local struct {
	cfg Config
	log *slog.Logger

	mu   sync.Mutex
	runs map[string]*runtime // by run id
	keys map[string]*pipe    // by the stream key's hash: only pipelines that accept publishers

	refused refusals
	// failures slows down a client that keeps trying keys.
	failures *auth.Limiter
}

// runtime is one run's media on this node.
type runtime struct {
	ref   RunRef
	pipes []*pipe
}

// pipe is one pipeline: its ffmpeg, the feed into it, and its publisher.
type pipe struct {
	index     int
	key       string
	spec      pipeline.Spec
	sup       *pipeline.Supervisor
	feed      *pipeline.Feed
	keys      *keyRotator // nil when the live HLS is clear
	publisher *session    // guarded by Local.mu
}

// NewLocal returns the engine of this node.
func NewLocal(cfg Config) (*Local, error) {
	if cfg.FFmpeg == "" {
		cfg.FFmpeg = "ffmpeg"
	}
	if cfg.FFprobe == "" {
		cfg.FFprobe = "ffprobe"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OnEvent == nil {
		cfg.OnEvent = func(RunRef, domain.RunEvent) {}
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = abs
	return &Local{cfg: cfg, log: cfg.Log.With("component", "engine"), runs: map[string]*runtime{}, keys: map[string]*pipe{},
		failures: auth.NewLimiter(10, time.Minute, cfg.Now)}, nil
}

func refOf(ch domain.Channel) RunRef {
	return RunRef{OrgID: ch.Workflow.OrgID, WorkflowID: ch.Workflow.ID, RunID: ch.Run.ID}
}

// Provision gives the run its endpoints and directories: the ones prepared
// ahead (a managed input's, or an availableImmediately input's) when the run
// has them, fresh stream keys otherwise.
func (l *Local) Provision(ctx context.Context, ch domain.Channel) ([]domain.Ingest, error) {
	ingests := ch.Run.Inputs
	if len(ingests) == 0 {
		ingests = domain.NewIngests(ch.Workflow.Blueprint.Settings.Channel.Class)
	}
	for p := range ingests {
		if err := l.mkdirs(pipeline.SpecFor(&ch.Workflow, ch.Run, p)); err != nil {
			return nil, err
		}
	}
	return ingests, nil
}

func (l *Local) mkdirs(spec pipeline.Spec) error {
	dirs := []string{spec.LiveDir}
	for _, a := range spec.Archives {
		dirs = append(dirs, a.Dir)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(l.cfg.DataDir, d), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return nil
}

// Start brings up one ffmpeg per pipeline and opens the run's stream keys to
// publishers. It is idempotent: a run already up is left alone, and a run whose
// playlists exist (after a server restart) continues them.
func (l *Local) Start(ctx context.Context, ch domain.Channel) error {
	ref := refOf(ch)
	l.mu.Lock()
	_, up := l.runs[ref.RunID]
	l.mu.Unlock()
	if up {
		return nil
	}
	if len(ch.Run.Inputs) == 0 {
		return errors.New("the run has no input endpoints")
	}
	rt := &runtime{ref: ref}
	for _, in := range ch.Run.Inputs {
		p, err := l.startPipe(ctx, ch, in)
		if err != nil {
			l.stopPipes(context.Background(), rt.pipes)
			return fmt.Errorf("pipeline %d: %w", in.Pipeline, err)
		}
		rt.pipes = append(rt.pipes, p)
	}
	l.mu.Lock()
	l.runs[ref.RunID] = rt
	for _, p := range rt.pipes {
		l.keys[auth.HashSecret(p.key)] = p
	}
	l.mu.Unlock()
	for _, p := range rt.pipes {
		l.started(ref, p)
	}
	return nil
}

// started logs that a pipeline's ffmpeg is up and its key accepts publishers.
func (l *Local) started(ref RunRef, p *pipe) {
	l.cfg.OnEvent(ref, domain.RunEvent{Time: l.cfg.Now().UTC(), Type: "pipeline_started", Pipeline: p.index, Message: "ffmpeg pid " + strconv.Itoa(p.sup.PID())})
}

func (l *Local) startPipe(ctx context.Context, ch domain.Channel, in domain.Ingest) (*pipe, error) {
	ref := refOf(ch)
	spec := pipeline.SpecFor(&ch.Workflow, ch.Run, in.Pipeline)
	if err := l.mkdirs(spec); err != nil {
		return nil, err
	}
	continuing := l.playlistsExist(spec)
	p := &pipe{index: in.Pipeline, key: in.StreamKey, spec: spec}
	log := l.log.With("workflow", ref.WorkflowID, "run", ref.RunID, "pipeline", in.Pipeline)
	if spec.KeyInfoFile != "" {
		// ffmpeg reads the key info file as it opens its first segment: the
		// first key must be there before ffmpeg starts.
		r, err := newKeyRotator(l.cfg.DataDir, spec, l.cfg.Now, log)
		if err == nil {
			err = r.Start()
		}
		if err != nil {
			return nil, fmt.Errorf("live HLS keys: %w", err)
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
		Log:   log,
		Grace: l.cfg.Grace,
		// ffmpeg blocks on its FLV input before it opens any output, so only an
		// exec failure or a bad argument can end it early; both show within
		// milliseconds.
		Settle: 300 * time.Millisecond,
		Now:    l.cfg.Now,
		OnEvent: func(e pipeline.Event) {
			switch e.Type {
			case "started":
				// The first instance is announced by Start, once the key accepts publishers.
				if e.Instance > 1 {
					l.started(ref, p)
				}
			case "restarting":
				l.cfg.OnEvent(ref, domain.RunEvent{Time: e.Time, Type: "pipeline_restarted", Pipeline: in.Pipeline, Message: e.Cause})
			}
		},
	})
	if err := p.sup.Start(ctx); err != nil {
		if p.keys != nil {
			p.keys.Stop()
		}
		return nil, err
	}
	p.feed = pipeline.NewFeed(p.sup)
	return p, nil
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

// Running reports whether every pipeline of the run has its ffmpeg on this node.
func (l *Local) Running(ch domain.Channel) bool {
	l.mu.Lock()
	rt := l.runs[ch.Run.ID]
	l.mu.Unlock()
	if rt == nil {
		return false
	}
	for _, p := range rt.pipes {
		select {
		case <-p.sup.Done():
			return false
		default:
		}
	}
	return true
}

// Stop closes the run's keys, disconnects its publishers, lets each ffmpeg
// finish its outputs, and finalizes the archives: the VOD playlist ends with
// #EXT-X-ENDLIST, one MP4 is made from it, and its size and duration recorded.
func (l *Local) Stop(ctx context.Context, ch domain.Channel) ([]domain.Archive, error) {
	rt := l.detach(ch.Run.ID)
	received := map[int]bool{}
	if rt != nil {
		for _, p := range rt.pipes {
			received[p.index] = p.feed.Received()
		}
		l.stopPipes(ctx, rt.pipes)
	}
	var archives []domain.Archive
	for p := range ch.Workflow.Blueprint.Settings.Channel.Class.Pipelines() {
		spec := pipeline.SpecFor(&ch.Workflow, ch.Run, p)
		if err := l.endPlaylists(spec); err != nil {
			return nil, err
		}
		for _, a := range spec.Archives {
			arch, err := l.finalizeArchive(ctx, a, p, len(archives), ch.Run.ID)
			if err != nil {
				return nil, err
			}
			archives = append(archives, arch)
		}
	}
	return archives, nil
}

// detach removes a run from the engine and closes its keys and publishers.
func (l *Local) detach(runID string) *runtime {
	l.mu.Lock()
	defer l.mu.Unlock()
	rt := l.runs[runID]
	if rt == nil {
		return nil
	}
	delete(l.runs, runID)
	for _, p := range rt.pipes {
		delete(l.keys, auth.HashSecret(p.key))
		if p.publisher != nil {
			p.publisher.kick()
		}
	}
	return rt
}

func (l *Local) stopPipes(ctx context.Context, pipes []*pipe) {
	var wg sync.WaitGroup
	for _, p := range pipes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.sup.Stop(ctx); err != nil && p.feed != nil && p.feed.Received() {
				l.log.Warn("ffmpeg did not finish cleanly", "pipeline", p.index, "err", err)
			}
			// After ffmpeg: it keeps re-reading the key info file to its last segment.
			if p.keys != nil {
				p.keys.Stop()
			}
		}()
	}
	wg.Wait()
}

// Delete removes the run's rolling live files; its archives stay.
func (l *Local) Delete(ctx context.Context, ch domain.Channel) error {
	if rt := l.detach(ch.Run.ID); rt != nil {
		l.stopPipes(ctx, rt.pipes)
	}
	return os.RemoveAll(filepath.Join(l.cfg.DataDir, pipeline.LiveRoot, ch.Workflow.ID))
}

// Rollback undoes a failed start: the processes, the keys, the live directory,
// and the run's archive directories. Only what the run would write goes: an
// archive base chosen by the user (a stream's path) is removed only if empty.
func (l *Local) Rollback(ctx context.Context, ch domain.Channel) error {
	if rt := l.detach(ch.Run.ID); rt != nil {
		l.stopPipes(ctx, rt.pipes)
	}
	errs := []error{os.RemoveAll(filepath.Join(l.cfg.DataDir, pipeline.LiveRoot, ch.Workflow.ID))}
	base := filepath.Join(l.cfg.DataDir, pipeline.ArchiveBase(&ch.Workflow, ch.Run))
	for p := range ch.Workflow.Blueprint.Settings.Channel.Class.Pipelines() {
		for _, a := range pipeline.SpecFor(&ch.Workflow, ch.Run, p).Archives {
			dir := filepath.Join(l.cfg.DataDir, a.Dir)
			errs = append(errs, os.RemoveAll(dir))
			// The empty directories between the archive and its base, and the
			// base itself, go too; a directory that holds anything else stays.
			for d := filepath.Dir(dir); strings.HasPrefix(d, base); d = filepath.Dir(d) {
				os.Remove(d)
			}
		}
	}
	return errors.Join(errs...)
}

// Shutdown stops every run's ffmpeg without finalizing anything: the runs stay
// RUNNING in the store, and the controller resumes them at the next start.
func (l *Local) Shutdown(ctx context.Context) {
	l.mu.Lock()
	var pipes []*pipe
	for id, rt := range l.runs {
		pipes = append(pipes, rt.pipes...)
		delete(l.runs, id)
	}
	for k, p := range l.keys {
		if p.publisher != nil {
			p.publisher.kick()
		}
		delete(l.keys, k)
	}
	l.mu.Unlock()
	l.stopPipes(ctx, pipes)
}
