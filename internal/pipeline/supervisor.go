package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Config is what a Supervisor runs and how it restarts it.
type Config struct {
	FFmpeg string // path of the ffmpeg binary; "ffmpeg" (looked up in PATH) when empty
	Dir    string // working directory (the data dir; argv paths are relative to it)
	// Args returns the argv (without the program name) for an instance; restart
	// is true for every instance after the first.
	Args func(restart bool) ([]string, error)
	// Outputs is how many pipes each instance writes to besides its stdout
	// and stderr: output i is its file descriptor 3+i ("pipe:3", ...).
	// OnOutput reads output i of instance n until it ends, on a goroutine of
	// its own; an instance's exit is told once all of them have returned.
	Outputs  int
	OnOutput func(n, i int, r io.Reader)
	Log      *slog.Logger
	Backoff  Backoff // restart delays
	// Grace is how long Stop waits after closing stdin before SIGINT, and again
	// before SIGKILL (default 15 s).
	Grace time.Duration
	// Settle is how long the first instance must run for Start to succeed (default 1 s).
	Settle time.Duration
	// WriteTimeout bounds one Write: an ffmpeg that reads nothing of its input
	// for that long is hung, and is killed and restarted (default 10 s).
	WriteTimeout time.Duration
	// OnEvent, when set, receives instance started / exited / restarting and the
	// final stopped, for the run's event log. It is called from one goroutine at a
	// time, the supervisor's own: it must not block, nor call Stop.
	OnEvent func(Event)
	Now     func() time.Time // injected clock for events and stability timing; time.Now when nil
}

// Event types.
const (
	EventStarted = "started"
	// EventHealthy: the instance showed in its progress that it writes output.
	EventHealthy = "healthy"
	// EventStable: the instance has been up for Backoff.StableAfter.
	EventStable     = "stable"
	EventExited     = "exited"
	EventRestarting = "restarting"
	EventStopped    = "stopped"
)

// Event is one step of the supervision, for the run's event log.
type Event struct {
	Time     time.Time
	Type     string        // EventStarted, EventExited, EventRestarting or EventStopped
	Instance int           // 1 for the first ffmpeg, 2 for the first restart...
	ExitCode int           // exited, restarting, stopped: the exit's code (see ExitError.Code)
	Cause    string        // exited, restarting, stopped: the exit's cause
	Message  string        // a sentence for a person
	Delay    time.Duration // restarting: the wait before the next instance
	// Failures is, for restarting, how many instances in a row have exited
	// without becoming healthy in between, this one included: 1 for a
	// one-off crash, 2 and more for a pipeline that keeps failing.
	Failures int
}

// MaxStartFailures is how many instances in a row may fail before
// WaitHealthy gives up on the pipeline.
const MaxStartFailures = 2

// ErrNotReady is returned (or wrapped) by Write when no ffmpeg took the bytes:
// between restarts, before Start, after Stop, or as an instance dies. The
// bytes are dropped; the next instance gets a fresh stream from the Feed.
var ErrNotReady = errors.New("pipeline: ffmpeg is not running")

type state int

const (
	stateIdle state = iota
	stateStarting
	stateRunning
	stateEnded
)

// Supervisor keeps one ffmpeg running for a pipeline and feeds it FLV on stdin.
// One goroutine, started by Start and ended by Stop, owns the instances' lifecycle.
type Supervisor struct {
	cfg Config
	log *slog.Logger

	stop      chan struct{} // closed by Stop
	hurry     chan struct{} // closed when Stop's context ends: go straight to SIGKILL
	done      chan struct{} // closed when supervision has ended
	stopOnce  sync.Once
	hurryOnce sync.Once

	mu       sync.Mutex
	state    state
	cur      *instance // the instance up, nil between instances
	count    int       // instances launched (or tried)
	restarts int
	progress Progress
	last     *ExitError    // the latest exit
	final    error         // what Stop returns
	healthy  bool          // an instance showed output since the last exit
	failures int           // instances in a row that exited without showing output
	changed  chan struct{} // closed and replaced when healthy, failures or the state change
}

// New returns a Supervisor for cfg, with defaults filled in. Nothing runs until Start.
func New(cfg Config) *Supervisor {
	if cfg.FFmpeg == "" {
		cfg.FFmpeg = "ffmpeg"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Backoff = cfg.Backoff.withDefaults()
	if cfg.Grace <= 0 {
		cfg.Grace = 15 * time.Second
	}
	if cfg.Settle <= 0 {
		cfg.Settle = time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Supervisor{
		cfg:     cfg,
		log:     cfg.Log,
		stop:    make(chan struct{}),
		hurry:   make(chan struct{}),
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
}

// notifyLocked wakes WaitHealthy; s.mu is held.
func (s *Supervisor) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitHealthy waits until the pipeline shows that it works: an instance's
// progress reports output written. It returns nil then, and also when ctx ends
// first (no verdict: the caller goes on). It returns the last exit when
// MaxStartFailures instances in a row exited without getting that far, or
// when supervision ended: a pipeline that keeps failing, which its caller
// should give up on rather than retry for ever.
func (s *Supervisor) WaitHealthy(ctx context.Context) error {
	for {
		s.mu.Lock()
		healthy, failures, ended, last, changed := s.healthy, s.failures, s.state == stateEnded, s.last, s.changed
		s.mu.Unlock()
		switch {
		case healthy:
			return nil
		case failures >= MaxStartFailures || ended && last != nil:
			return last
		case ended:
			return ErrNotReady
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}

// Start launches the first instance and waits until it has run for Settle or
// exited. An exec failure or an exit within Settle is returned as a *ExitError
// (with the classified cause), and nothing is left running; so is a failure of
// Args. ctx bounds only this wait: once Start returns nil, supervision lasts
// until Stop. A Supervisor starts once.
func (s *Supervisor) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.state != stateIdle {
		s.mu.Unlock()
		return errors.New("pipeline: supervisor already started or stopped")
	}
	s.state = stateStarting
	s.mu.Unlock()

	in, xerr := s.spawn(false)
	if xerr != nil {
		s.finish(xerr, false)
		return xerr
	}
	t := time.NewTimer(s.cfg.Settle)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.stop: // run() stops it at once
	case <-in.exited:
		s.reap(in)
		s.finish(in.exit, false)
		return in.exit
	case <-ctx.Done():
		in.setStage(stageAborted)
		in.signal(sigKill)
		<-in.exited
		s.reap(in)
		s.finish(in.exit, false)
		return ctx.Err()
	}
	s.mu.Lock()
	s.state = stateRunning
	s.mu.Unlock()
	go s.run(in)
	return nil
}

// watch waits for an instance to exit, telling on the way when it becomes
// healthy and when it has been up long enough to be stable. It reports false
// when Stop came first; the instance is then still up.
func (s *Supervisor) watch(in *instance) bool {
	stable := time.NewTimer(s.cfg.Backoff.StableAfter - s.cfg.Now().Sub(in.started))
	defer stable.Stop()
	healthy := in.healthy
	for {
		select {
		case <-in.exited:
			return true
		case <-s.stop:
			return false
		case <-healthy:
			healthy = nil
			s.mu.Lock()
			s.healthy, s.failures = true, 0
			s.notifyLocked()
			s.mu.Unlock()
			s.emit(Event{Type: EventHealthy, Instance: in.n, Message: "ffmpeg is writing its outputs"})
		case <-stable.C:
			s.emit(Event{Type: EventStable, Instance: in.n, Message: fmt.Sprintf("ffmpeg has been up for %s", s.cfg.Backoff.StableAfter)})
		}
	}
}

// run owns the instances after Start: it waits for each to exit, restarts it
// after the backoff, and on Stop shuts the current one down.
func (s *Supervisor) run(in *instance) {
	var delay time.Duration
	for {
		var exit *ExitError
		started, ended := s.cfg.Now(), s.cfg.Now()
		if in != nil {
			if !s.watch(in) {
				s.halt(in)
				s.reap(in)
				s.finish(in.exit, true)
				return
			}
			s.reap(in)
			exit, started, ended = in.exit, in.started, in.ended
		} else {
			exit = s.LastExit()
		}
		s.mu.Lock()
		if s.healthy {
			// It worked until it died: a crash, not a pipeline that cannot
			// work, so the next one comes as soon as it may.
			delay = 0
		}
		s.healthy = false
		s.failures++
		failures := s.failures
		s.notifyLocked()
		s.mu.Unlock()
		delay = s.cfg.Backoff.next(delay, started, ended)
		s.emit(Event{Type: EventRestarting, Instance: s.instances(), ExitCode: exit.Code, Cause: exit.Cause, Delay: delay, Failures: failures,
			Message: fmt.Sprintf("restarting ffmpeg in %s after: %s", delay, exit.Error())})
		if !s.sleep(delay) {
			s.finish(exit, true)
			return
		}
		s.mu.Lock()
		s.restarts++
		s.mu.Unlock()
		in, _ = s.spawn(true) // a failure is recorded as the last exit, and retried
	}
}

// sleep waits d, or until Stop; it reports whether d passed.
func (s *Supervisor) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	}
}

// halt shuts an instance down: stdin closed so that ffmpeg finishes its outputs,
// then SIGINT to its group after Grace, then SIGKILL after Grace again.
func (s *Supervisor) halt(in *instance) {
	in.closeStdin()
	if s.waitExit(in) {
		return
	}
	in.setStage(stageInterrupted)
	in.signal(sigInt)
	if s.waitExit(in) {
		return
	}
	in.setStage(stageKilled)
	in.signal(sigKill)
	<-in.exited
}

func (s *Supervisor) waitExit(in *instance) bool {
	t := time.NewTimer(s.cfg.Grace)
	defer t.Stop()
	select {
	case <-in.exited:
		return true
	case <-t.C:
	case <-s.hurry:
	}
	return false
}

// reap records the exit of an instance.
func (s *Supervisor) reap(in *instance) {
	x := in.exit
	s.mu.Lock()
	if s.cur == in {
		s.cur = nil
	}
	prev := s.last
	s.last = x
	s.mu.Unlock()
	log := in.log.With("code", x.Code, "cause", x.Cause)
	stopping := false
	select {
	case <-s.stop:
		stopping = true
	default:
	}
	switch {
	case x.Code == 0:
		log.Info("ffmpeg finished")
	case stopping:
		// Asked to stop: an exit code here (no input ever arrived, say) is the
		// caller's to judge, not a failure to warn about.
		log.Info("ffmpeg exited on stop")
	case prev != nil && prev.Cause == x.Cause:
		// The same failure again: said once already.
		log.Debug("ffmpeg exited", "stderr", x.Stderr)
	default:
		log.Warn("ffmpeg exited", "stderr", x.Stderr)
	}
	s.emit(Event{Type: EventExited, Instance: in.n, ExitCode: x.Code, Cause: x.Cause, Message: x.Error()})
}

// finish ends supervision with the exit that Stop reports.
func (s *Supervisor) finish(x *ExitError, stopped bool) {
	s.mu.Lock()
	s.state = stateEnded
	s.cur = nil
	if x != nil {
		s.last = x
		if x.Code != 0 {
			s.final = x
		}
	}
	n := s.count
	s.notifyLocked()
	s.mu.Unlock()
	if stopped {
		e := Event{Type: EventStopped, Instance: n, Message: "ffmpeg stopped"}
		if x != nil {
			e.ExitCode, e.Cause = x.Code, x.Cause
			if x.Code != 0 {
				e.Message = "ffmpeg stopped: " + x.Error()
			}
		}
		s.emit(e)
	}
	close(s.done)
}

// Stop closes stdin so ffmpeg finishes its outputs (ENDLIST, last segments),
// waits up to Grace, then sends SIGINT to the process group, waits Grace again,
// then SIGKILL; when ctx ends first it goes straight to SIGKILL. It returns the
// last instance's exit as *ExitError, or nil for exit code 0. Stop is
// idempotent; after Stop no restart happens.
func (s *Supervisor) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.state == stateIdle {
		s.state = stateEnded
		close(s.done)
	}
	s.mu.Unlock()
	s.stopOnce.Do(func() { close(s.stop) })
	select {
	case <-s.done:
	case <-ctx.Done():
		s.hurryOnce.Do(func() { close(s.hurry) })
		<-s.done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.final
}

// Done is closed when supervision has ended: after Stop, or a failed Start.
func (s *Supervisor) Done() <-chan struct{} { return s.done }

// Write sends bytes to the current instance's stdin, so a Supervisor is an
// io.Writer. It never blocks forever: with no instance up (between restarts)
// the bytes are dropped and ErrNotReady returned, and an instance that reads
// nothing for WriteTimeout is killed (and restarted). Every error wraps
// ErrNotReady: the bytes did not reach an ffmpeg, and none of it is fatal.
func (s *Supervisor) Write(p []byte) (int, error) {
	in := s.acquire()
	if in == nil {
		return 0, ErrNotReady
	}
	return in.write(p)
}

// acquire returns the instance that writes go to, nil if none is up.
func (s *Supervisor) acquire() *instance {
	select {
	case <-s.stop:
		return nil
	default:
	}
	s.mu.Lock()
	in := s.cur
	s.mu.Unlock()
	if in == nil || in.hasExited() {
		return nil
	}
	return in
}

// Running reports whether an instance is up.
func (s *Supervisor) Running() bool { return s.acquire() != nil }

// Instance returns the number of the instance up (1 for the first), 0 if none.
func (s *Supervisor) Instance() int {
	if in := s.acquire(); in != nil {
		return in.n
	}
	return 0
}

// PID returns the process id of the instance up, 0 if none.
func (s *Supervisor) PID() int {
	if in := s.acquire(); in != nil {
		return in.pid
	}
	return 0
}

// Progress returns the latest -progress block of the current instance; after
// it exited, its last block until the next instance starts.
func (s *Supervisor) Progress() Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.progress
}

// Restarts returns how many instances were launched after the first.
func (s *Supervisor) Restarts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restarts
}

// LastExit returns the latest instance exit (or failure to start one), nil if none yet.
func (s *Supervisor) LastExit() *ExitError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *Supervisor) instances() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

func (s *Supervisor) setProgress(p Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Instance == s.progress.Instance {
		s.progress = p
	}
}

// writesOutput reports whether a progress block shows that ffmpeg got past
// opening its input and outputs and writes media.
func (p Progress) writesOutput() bool {
	return p.Frame > 0 || p.OutTime > 0 || p.TotalSize > 0
}

func (s *Supervisor) emit(e Event) {
	if s.cfg.OnEvent == nil {
		return
	}
	e.Time = s.cfg.Now()
	s.cfg.OnEvent(e)
}
