// Package engine runs the media plane on this machine: it gives each run its
// stream keys, one supervised ffmpeg per pipeline fed by the RTMP ingest, and at
// the end finalized archives. It is the controller's engine and the ingest's router.
//
// A run's life here: Provision (or a publisher whose key the store knows)
// makes its runtime, whose pipelines accept publishers at once and hold what
// they send; Start brings up each pipeline's ffmpeg and hands it what was
// held; Stop, Delete and Rollback take the runtime down again.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"onair/internal/auth"
	"onair/internal/domain"
	"onair/internal/hls"
	"onair/internal/ingest"
	"onair/internal/pipeline"
	"onair/internal/recorder"
	"onair/internal/storage"
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
	// OnDestination records a destination worker's status in its run (the
	// server keeps the latest one per destination and pipeline): at each
	// change of state, every few seconds while it pushes, and once stopped.
	// It must not block for long.
	OnDestination func(ref RunRef, s domain.DestinationStatus)
	// Lookup finds the active run (PROVISIONING, STARTING or RUNNING) one of
	// whose endpoints has this stream key, for a publisher whose key this
	// engine does not hold yet: a start the controller has not got to, or a
	// run to resume after a restart. nil: such publishers are refused.
	Lookup func(ctx context.Context, streamKey string) (domain.Channel, bool, error)
	// Provisioned starts the run a publisher starts by pushing to a
	// provision's path, or finds the one it goes on with, for a publisher
	// whose path names no stream key: the run's channel, nil when the path
	// names no provision. A *Refusal refuses the publisher on purpose.
	// nil: no provisions.
	Provisioned func(ctx context.Context, req ingest.PublishRequest) (*domain.Channel, error)
	// Grace is how long a stopping ffmpeg may take to finish before it is
	// signalled; the supervisor's default when 0.
	Grace time.Duration
	// HoldTimeout is how long a run's publishers are held for a start that
	// does not begin (default 60 s); they are then let go.
	HoldTimeout time.Duration
	// Settle is how long a new ffmpeg must stay up for a start to take it for
	// up (default 300 ms): ffmpeg blocks on its input before it opens any
	// output, so only an exec failure or a bad argument ends it sooner.
	Settle time.Duration
	// Storage is where archives go besides the data directory, and where
	// bucket destinations push; nil: the data directory only.
	Storage *storage.Set
}

// RunRef names a run across organizations.
type RunRef struct {
	OrgID, WorkflowID, RunID string
}

// Local runs the media plane on this machine: it is the controller's engine and
// the RTMP server's router. One ffmpeg runs per pipeline of each started run.
type Local struct {
	cfg Config
	log *slog.Logger

	mu   sync.Mutex
	runs map[string]*runtime // by run id
	keys map[string]*pipe    // by the stream key's hash: every pipeline of every run here
	// variants are the live HLS variants of every run here, by directory
	// relative to the data directory (live/<wf>/<rendition>), for the
	// origin's LL-HLS waits.
	variants map[string]*hls.Variant

	refused refusals
	// failures slows down a client that keeps trying keys.
	failures *auth.Limiter
}

// runtime is one run's media on this node. Its fields but pipes' publishers
// are guarded by Local.mu.
type runtime struct {
	ref   RunRef
	pipes []*pipe
	// starting is set when Start takes the run up; started once it did.
	starting, started bool
	// hold lets the held publishers go if no start begins in time.
	hold *time.Timer
	// stopsUnpublished: the run stops once no publisher feeds it (a
	// provision's), so Unpublished reports it.
	stopsUnpublished bool
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
	if cfg.OnDestination == nil {
		cfg.OnDestination = func(RunRef, domain.DestinationStatus) {}
	}
	if cfg.HoldTimeout <= 0 {
		cfg.HoldTimeout = time.Minute
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 300 * time.Millisecond
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = abs
	l := &Local{cfg: cfg, log: cfg.Log.With("component", "engine"), runs: map[string]*runtime{}, keys: map[string]*pipe{}, variants: map[string]*hls.Variant{},
		failures: auth.NewLimiter(10, time.Minute, cfg.Now)}
	go l.emptyTrash("") // what an earlier server had no time to delete
	return l, nil
}

func refOf(ch domain.Channel) RunRef {
	return RunRef{OrgID: ch.Workflow.OrgID, WorkflowID: ch.Workflow.ID, RunID: ch.Run.ID}
}

// Provision gives the run its endpoints and directories: the ones prepared
// ahead (a managed input's, or an availableImmediately input's) when the run
// has them, fresh stream keys otherwise. From then on its keys accept
// publishers, held until Start.
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
	if err := l.checkStorage(ctx, ch, ingests); err != nil {
		return nil, err
	}
	if _, err := l.hold(ch, ingests); err != nil {
		return nil, err
	}
	return ingests, nil
}

// errHoldExpired is what held publishers are told when no start came.
var errHoldExpired = errors.New("the channel did not start in time; try again")

// holdExpired lets a run's held publishers go when no start began: the run
// was stopped or failed in a way that never reached this engine.
func (l *Local) holdExpired(rt *runtime) {
	l.mu.Lock()
	expired := l.runs[rt.ref.RunID] == rt && !rt.starting
	l.mu.Unlock()
	if expired {
		l.log.Warn("no start came for a run with endpoints; letting its publishers go", "workflow", rt.ref.WorkflowID, "run", rt.ref.RunID)
		l.detach(rt.ref.RunID, errHoldExpired)
	}
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

// startHealthTimeout bounds how long Start waits for a pipeline that has media
// to show that it encodes it; a slower one is taken to be up.
const startHealthTimeout = 15 * time.Second

// Start brings up one ffmpeg per pipeline and hands each what its publisher
// sent meanwhile. When a publisher is already there, Start waits until each
// such pipeline encodes its media, so that an ffmpeg that fails on it fails
// the start, with its cause, rather than loop behind a RUNNING status. It is
// idempotent: a run already up is left alone, and a run whose playlists exist
// (after a server restart) continues them.
func (l *Local) Start(ctx context.Context, ch domain.Channel) error {
	if len(ch.Run.Inputs) == 0 {
		return errors.New("the run has no input endpoints")
	}
	rt, err := l.hold(ch, ch.Run.Inputs)
	if err != nil {
		return err
	}
	l.mu.Lock()
	if rt.started || rt.starting {
		l.mu.Unlock()
		return nil
	}
	rt.starting = true
	rt.hold.Stop()
	l.mu.Unlock()

	err = l.startPipes(ctx, rt)
	l.mu.Lock()
	rt.starting = false
	gone := l.runs[rt.ref.RunID] != rt
	rt.started = err == nil && !gone
	l.mu.Unlock()
	if gone && err == nil {
		// Taken down meanwhile (the controller never does that, but a start
		// must not leave an ffmpeg nobody owns): what started goes again.
		l.stopPipes(rt.pipes)
		return errors.New("the run was taken down while it started")
	}
	return err
}

// startPipes starts every pipeline of a runtime; on failure it stops those it
// started and leaves the runtime as it found it, its publishers held.
func (l *Local) startPipes(ctx context.Context, rt *runtime) error {
	var started []*pipe
	fail := func(p *pipe, err error) error {
		l.stopPipes(started)
		return fmt.Errorf("pipeline %d: %w", p.index, err)
	}
	for _, p := range rt.pipes {
		if err := l.startPipe(ctx, p); err != nil {
			return fail(p, err)
		}
		started = append(started, p)
	}
	for _, p := range rt.pipes {
		l.mu.Lock()
		publishing := p.publisher != nil
		l.mu.Unlock()
		if p.encoder == nil || !publishing && !p.everPublished() {
			continue // nothing that can fail on the media, or nobody publishes yet (a failure then shows as an alert)
		}
		wctx, cancel := context.WithTimeout(ctx, startHealthTimeout)
		err := p.encoder.Supervisor().WaitHealthy(wctx)
		cancel()
		if err != nil {
			return fail(p, fmt.Errorf("ffmpeg keeps failing on the publisher's media: %w", err))
		}
	}
	for _, p := range rt.pipes {
		l.started(p)
	}
	return nil
}

// Running reports whether every pipeline of the run is up on this node.
func (l *Local) Running(ch domain.Channel) bool {
	l.mu.Lock()
	rt := l.runs[ch.Run.ID]
	up := rt != nil && rt.started
	l.mu.Unlock()
	if !up {
		return false
	}
	for _, p := range rt.pipes {
		if p.encoder == nil {
			continue
		}
		select {
		case <-p.encoder.Supervisor().Done():
			return false
		default:
		}
	}
	return true
}

// Stop closes the run's keys, disconnects its publishers, lets each encoder
// finish what it has, ends the live playlists (#EXT-X-ENDLIST), and
// finalizes the archives: the VOD playlist ends, its MP4 is complete, and
// their size and duration are recorded.
func (l *Local) Stop(ctx context.Context, ch domain.Channel) ([]domain.Archive, error) {
	rt := l.detach(ch.Run.ID, nil)
	if rt != nil {
		for _, p := range rt.pipes {
			p.keepUploads = true // until the live outputs ended, below
			defer p.stopUploads()
		}
		l.stopPipes(rt.pipes)
	}
	var archives []domain.Archive
	for p := range ch.Workflow.Blueprint.Settings.Channel.Class.Pipelines() {
		spec := pipeline.SpecFor(&ch.Workflow, ch.Run, p)
		// The pipeline's live outputs end; for a run that did not come up
		// on this server again (stopped right after a restart), those an
		// earlier server left.
		live := runtimePipe(rt, p).liveOutputs()
		if live == nil && l.hasLive(spec) {
			var err error
			if live, err = l.openLive(spec, liveRenditions(pipeline.PlanOf(spec)), nil, l.log); err != nil {
				return nil, err
			}
		}
		for _, o := range live {
			if err := o.stop(true); err != nil {
				return nil, fmt.Errorf("pipeline %d: ending the live HLS: %w", p, err)
			}
		}
		if rp := runtimePipe(rt, p); rp != nil {
			rp.stopUploads() // what they upload has ended: they send the end
		}
		for i, a := range spec.Archives {
			// The pipeline's recorder; or, for a run that did not come up on
			// this server again (stopped right after a restart), one opened
			// on what the earlier server left, which it completes.
			rec, mirror := runtimePipe(rt, p).recorder(i), runtimePipe(rt, p).mirror(i)
			if rec == nil {
				var err error
				if rec, err = recorder.Open(filepath.Join(l.cfg.DataDir, a.Dir), a.Segment, l.log); err != nil {
					return nil, err
				}
				if mirror, err = l.mirrorOf(refOf(ch), p, a, l.log); err != nil {
					return nil, err
				}
			}
			if err := rec.Finish(); err != nil {
				return nil, fmt.Errorf("pipeline %d: finishing an archive: %w", p, err)
			}
			arch, err := l.finalizeArchive(ctx, a, rec, mirror, p, len(archives), ch.Run.ID)
			if err != nil {
				return nil, err
			}
			archives = append(archives, arch)
		}
	}
	return archives, nil
}

// hasLive reports whether a pipeline's live directory has a playlist.
func (l *Local) hasLive(spec pipeline.Spec) bool {
	for _, o := range spec.Live {
		if m, _ := filepath.Glob(filepath.Join(l.cfg.DataDir, filepath.FromSlash(o.Dir), "*", hls.Playlist)); len(m) > 0 {
			return true
		}
	}
	return false
}

// runtimePipe is pipeline p of a runtime; nil for none, or for no runtime.
func runtimePipe(rt *runtime, p int) *pipe {
	if rt == nil {
		return nil
	}
	for _, q := range rt.pipes {
		if q.index == p {
			return q
		}
	}
	return nil
}

// detach removes a run from the engine, closes its keys, and disconnects its
// publishers, telling them cause when it is not nil.
func (l *Local) detach(runID string, cause error) *runtime {
	l.mu.Lock()
	defer l.mu.Unlock()
	rt := l.runs[runID]
	if rt == nil {
		return nil
	}
	delete(l.runs, runID)
	rt.hold.Stop()
	for _, p := range rt.pipes {
		delete(l.keys, auth.HashSecret(p.key))
		for _, o := range p.live {
			for i := range o.variants {
				delete(l.variants, o.variantDir(i))
			}
		}
		if p.publisher != nil {
			p.publisher.kick(cause)
		}
	}
	return rt
}

func (l *Local) stopPipes(pipes []*pipe) {
	var wg sync.WaitGroup
	for _, p := range pipes {
		if p.hubs == nil {
			continue // held, never started
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.teardown()
		}()
	}
	wg.Wait()
}

// Delete removes the run's rolling live files; its archives stay.
func (l *Local) Delete(ctx context.Context, ch domain.Channel) error {
	if rt := l.detach(ch.Run.ID, nil); rt != nil {
		l.stopPipes(rt.pipes)
	}
	return l.removeLive(ch.Workflow.ID)
}

// trashDir is where live directories go to be deleted, out of what the
// origin serves.
const trashDir = ".trash"

// removeLive removes a workflow's live directory at once for players and
// for the run (it moves to the trash), and deletes its files in the
// background: a start-over window of an hour holds gigabytes, whose
// deletion would make a stop's DONE wait as long as the run.
func (l *Local) removeLive(workflowID string) error {
	return l.discard(workflowID, filepath.Join(l.cfg.DataDir, pipeline.LiveRoot, workflowID))
}

// discard takes files and directories out of where they are at once, into
// one directory of the trash named after name, and deletes them in the
// background; what cannot be moved is deleted in place. Missing paths are
// skipped.
func (l *Local) discard(name string, paths ...string) error {
	trash := filepath.Join(l.cfg.DataDir, trashDir)
	gone := filepath.Join(trash, fmt.Sprintf("%s-%d", name, l.cfg.Now().UnixNano()))
	var errs []error
	moved := false
	for _, p := range paths {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if os.MkdirAll(gone, 0o700) != nil || os.Rename(p, filepath.Join(gone, filepath.Base(p))) != nil {
			errs = append(errs, os.RemoveAll(p)) // where renaming fails, deleting in place still works
			continue
		}
		moved = true
	}
	if moved {
		go l.emptyTrash(gone)
	}
	return errors.Join(errs...)
}

// emptyTrash deletes what is in the trash: one directory, or all of it ("").
func (l *Local) emptyTrash(dir string) {
	if dir == "" {
		dir = filepath.Join(l.cfg.DataDir, trashDir)
	}
	if err := os.RemoveAll(dir); err != nil {
		l.log.Warn("deleting discarded files failed", "dir", dir, "err", err)
	}
}

// Rollback undoes a failed start: the processes, the keys (a held publisher
// is told cause), the live directory, and the run's archive directories.
// Only what the run would write goes: an archive base chosen by the user (a
// stream's path) is removed only if empty.
func (l *Local) Rollback(ctx context.Context, ch domain.Channel, cause error) error {
	if rt := l.detach(ch.Run.ID, cause); rt != nil {
		l.stopPipes(rt.pipes)
	}
	errs := []error{l.removeLive(ch.Workflow.ID)}
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

// Shutdown stops every run's media without finalizing anything: the live
// playlists list what was written and stay live, the runs stay RUNNING in
// the store, and the controller resumes them at the next start.
func (l *Local) Shutdown(ctx context.Context) {
	l.mu.Lock()
	var ids []string
	for id := range l.runs {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	var pipes []*pipe
	for _, id := range ids {
		if rt := l.detach(id, nil); rt != nil {
			pipes = append(pipes, rt.pipes...)
		}
	}
	l.stopPipes(pipes)
	for _, p := range pipes {
		for _, o := range p.live {
			if err := o.stop(false); err != nil {
				p.log.Error("leaving the live HLS for the next start failed", "err", err)
			}
		}
	}
}
