package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	sigInt  = syscall.SIGINT
	sigKill = syscall.SIGKILL

	// stderrLines is how many of ffmpeg's last stderr lines an exit keeps.
	stderrLines = 30
	// waitDelay bounds how long an exit waits for ffmpeg's output pipes once it
	// is gone (a child that inherited them would hold them open).
	waitDelay = 2 * time.Second
	// maxLine bounds one line of ffmpeg output kept in memory.
	maxLine = 4096
)

// stage is how far the supervisor went to end an instance; it explains an exit
// that stderr does not.
type stage int

const (
	stageRunning stage = iota
	stageInterrupted
	stageKilled
	stageStalled
	stageAborted
)

// instance is one disposable ffmpeg process.
type instance struct {
	sup     *Supervisor
	n       int
	log     *slog.Logger
	cmd     *exec.Cmd
	pid     int
	stdin   *os.File
	timeout time.Duration
	stdout  *lineWriter
	stderr  *lineWriter
	pending Progress // the -progress block being read

	wmu sync.Mutex // one Write at a time

	mu    sync.Mutex
	tail  []string
	stage stage

	started time.Time
	// Set before exited is closed.
	ended  time.Time
	exit   *ExitError
	exited chan struct{}
	// healthy is closed at the first progress block that shows output.
	healthy     chan struct{}
	healthyOnce sync.Once
	// outputs counts the readers of its output pipes still reading.
	outputs sync.WaitGroup
}

// spawn launches an instance. A failure, recorded as the last exit, is returned
// as *ExitError with nothing left running.
func (s *Supervisor) spawn(restart bool) (*instance, *ExitError) {
	s.mu.Lock()
	s.count++
	n := s.count
	s.mu.Unlock()
	log := s.log.With("instance", n)
	fail := func(x *ExitError) (*instance, *ExitError) {
		s.mu.Lock()
		prev := s.last
		s.last = x
		s.mu.Unlock()
		if prev != nil && prev.Cause == x.Cause {
			log.Debug("ffmpeg did not start", "cause", x.Cause)
		} else {
			log.Warn("ffmpeg did not start", "cause", x.Cause)
		}
		s.emit(Event{Type: EventExited, Instance: n, ExitCode: x.Code, Cause: x.Cause, Message: x.Error()})
		return nil, x
	}

	args, err := s.cfg.Args(restart)
	if err != nil {
		return fail(&ExitError{Code: -1, Cause: "cannot build ffmpeg's command line: " + err.Error()})
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return fail(&ExitError{Code: -1, Cause: "cannot make ffmpeg's input pipe: " + err.Error()})
	}
	cmd := exec.Command(s.cfg.FFmpeg, args...)
	cmd.Dir = s.cfg.Dir
	cmd.Stdin = pr
	// Its own process group, so that signals reach whatever ffmpeg runs too;
	// and it dies with onair (Pdeathsig), so that after a kill -9 of the
	// server no old ffmpeg goes on writing next to the one a restart starts.
	cmd.SysProcAttr = procAttr()
	cmd.WaitDelay = waitDelay
	in := &instance{sup: s, n: n, log: log, cmd: cmd, stdin: pw, timeout: s.cfg.WriteTimeout,
		exited: make(chan struct{}), healthy: make(chan struct{})}
	in.stdout = &lineWriter{fn: in.progressLine}
	in.stderr = &lineWriter{fn: in.stderrLine}
	cmd.Stdout, cmd.Stderr = in.stdout, in.stderr
	// Output i goes to ffmpeg's file descriptor 3+i (pipe:3, ...).
	var outputs []*os.File
	for range s.cfg.Outputs {
		or, ow, err := os.Pipe()
		if err != nil {
			for _, f := range append(outputs, cmd.ExtraFiles...) {
				f.Close()
			}
			pr.Close()
			pw.Close()
			return fail(&ExitError{Code: -1, Cause: "cannot make ffmpeg's output pipe: " + err.Error()})
		}
		outputs = append(outputs, or)
		cmd.ExtraFiles = append(cmd.ExtraFiles, ow)
	}
	err = cmd.Start()
	pr.Close() // ffmpeg has its own copies
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
	if err != nil {
		pw.Close()
		for _, f := range outputs {
			f.Close()
		}
		return fail(startError(s.cfg.FFmpeg, s.cfg.Dir, err))
	}
	for i, f := range outputs {
		in.outputs.Add(1)
		go func() {
			defer in.outputs.Done()
			defer f.Close()
			s.cfg.OnOutput(n, i, f)
		}()
	}
	in.pid = cmd.Process.Pid
	in.started = s.cfg.Now()
	s.mu.Lock()
	s.cur = in
	s.progress = Progress{Instance: n}
	s.mu.Unlock()
	log.Info("ffmpeg started", "pid", in.pid, "restart", restart)
	log.Debug("ffmpeg command line", "path", s.cfg.FFmpeg, "args", redactArgs(args))
	s.emit(Event{Type: EventStarted, Instance: n, Message: fmt.Sprintf("ffmpeg started (pid %d)", in.pid)})
	go in.wait()
	return in, nil
}

// wait reaps the process and records its exit. It ends when the process does;
// the supervisor makes sure it does.
func (in *instance) wait() {
	err := in.cmd.Wait()
	// Anything left in the group (a child holding ffmpeg's pipes) goes too. The
	// group id cannot have been reused while such a member lives.
	_ = syscall.Kill(-in.pid, syscall.SIGKILL)
	in.stdin.Close()
	// Its outputs end with it: what it wrote is read to the end before its
	// exit is told, so that the next instance's outputs come after.
	in.outputs.Wait()
	// Wait has returned, so the copying goroutines are done: the partial last lines are ours.
	in.stdout.flush()
	in.stderr.flush()
	in.exit = in.exitError(err)
	in.ended = in.sup.cfg.Now()
	close(in.exited)
}

func (in *instance) hasExited() bool {
	select {
	case <-in.exited:
		return true
	default:
		return false
	}
}

func (in *instance) exitError(err error) *ExitError {
	in.mu.Lock()
	x := &ExitError{Stderr: append([]string(nil), in.tail...)}
	st := in.stage
	in.mu.Unlock()
	ps := in.cmd.ProcessState
	if ps == nil {
		x.Code, x.Cause = -1, fmt.Sprintf("lost track of ffmpeg: %v", err)
		return x
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		x.Signal = ws.Signal()
		x.Code = 128 + int(x.Signal)
	} else {
		x.Code = ws.ExitStatus()
	}
	cause, known := classify(x.Stderr)
	if known {
		x.Cause = cause
		return x
	}
	grace := in.sup.cfg.Grace
	switch {
	case st == stageAborted:
		x.Cause = "ffmpeg was stopped before it settled: the start was cancelled"
	case st == stageStalled:
		x.Cause = fmt.Sprintf("ffmpeg read nothing of its input for %s and was killed", in.timeout)
	case st == stageInterrupted && x.Code != 0:
		x.Cause = fmt.Sprintf("ffmpeg did not finish its outputs within %s of its input closing, and was interrupted", grace)
	case st == stageKilled:
		x.Cause = fmt.Sprintf("ffmpeg did not stop within %s of its input closing, and was killed", 2*grace)
	case cause != "":
		x.Cause = cause
	case x.Signal != 0:
		x.Cause = "ffmpeg was killed from outside onair"
	case x.Code != 0:
		x.Cause = "ffmpeg failed without a message"
	default:
		x.Cause = "ffmpeg finished"
	}
	return x
}

func (in *instance) setStage(st stage) {
	in.mu.Lock()
	in.stage = st
	in.mu.Unlock()
}

// signal signals the instance's process group, unless it is already reaped.
func (in *instance) signal(sig syscall.Signal) {
	if in.hasExited() {
		return
	}
	in.log.Debug("signalling ffmpeg", "signal", sig.String())
	_ = syscall.Kill(-in.pid, sig)
}

// closeStdin ends ffmpeg's input; a Write blocked on it returns.
func (in *instance) closeStdin() { in.stdin.Close() }

// write writes p to ffmpeg's stdin within the write timeout.
func (in *instance) write(p []byte) (int, error) {
	in.wmu.Lock()
	defer in.wmu.Unlock()
	if err := in.stdin.SetWriteDeadline(time.Now().Add(in.timeout)); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrNotReady, err)
	}
	n, err := in.stdin.Write(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		in.log.Warn("ffmpeg stopped reading its input: killing it", "timeout", in.timeout)
		in.setStage(stageStalled)
		in.signal(sigKill)
	}
	if err != nil {
		// The instance is gone, going, or hung: to the writer it is all the
		// same, these bytes are lost and the next instance starts afresh.
		return n, fmt.Errorf("%w: %w", ErrNotReady, err)
	}
	return n, nil
}

func (in *instance) stderrLine(line string) {
	line = strings.TrimRight(line, " \t")
	if strings.TrimSpace(line) == "" {
		return
	}
	line = redact(line)
	in.log.Debug("ffmpeg", "stderr", line)
	if strings.Contains(line, "Last message repeated") {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if k := len(in.tail); k > 0 && in.tail[k-1] == line {
		return
	}
	if len(in.tail) == stderrLines {
		copy(in.tail, in.tail[1:])
		in.tail = in.tail[:stderrLines-1]
	}
	in.tail = append(in.tail, line)
}

func (in *instance) progressLine(line string) {
	key, value, ok := strings.Cut(strings.TrimSpace(line), "=")
	if !ok {
		return
	}
	if key != "progress" {
		in.pending.set(key, strings.TrimSpace(value))
		return
	}
	p := in.pending
	p.Instance = in.n
	p.End = value == "end"
	p.At = in.sup.cfg.Now()
	in.pending = Progress{}
	in.sup.setProgress(p)
	if p.writesOutput() {
		in.healthyOnce.Do(func() { close(in.healthy) })
	}
}

// Progress is one -progress block of an instance.
type Progress struct {
	Instance   int // the instance that reported it
	Frame      int64
	FPS        float64
	Bitrate    float64 // kbit/s; 0 while ffmpeg reports N/A
	TotalSize  int64   // bytes written
	OutTime    time.Duration
	DupFrames  int64
	DropFrames int64
	Speed      float64   // 1 is real time; 0 while ffmpeg reports N/A
	End        bool      // the instance's last block
	At         time.Time // when the block arrived
}

// set records one key=value line of a block. Values ffmpeg reports as N/A stay 0.
func (p *Progress) set(key, value string) {
	i := func() int64 { n, _ := strconv.ParseInt(value, 10, 64); return n }
	f := func(suffix string) float64 {
		n, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(value, suffix)), 64)
		return n
	}
	switch key {
	case "frame":
		p.Frame = i()
	case "fps":
		p.FPS = f("")
	case "bitrate":
		p.Bitrate = f("kbits/s")
	case "total_size":
		p.TotalSize = i()
	case "out_time_us":
		p.OutTime = time.Duration(max(i(), 0)) * time.Microsecond
	case "dup_frames":
		p.DupFrames = i()
	case "drop_frames":
		p.DropFrames = i()
	case "speed":
		p.Speed = f("x")
	}
}

// lineWriter splits what ffmpeg writes into lines (on \n or \r) for fn. exec
// writes to it from one goroutine; flush is called once that one is done.
type lineWriter struct {
	buf []byte
	fn  func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := maxLine - len(w.buf); room > 0 {
			w.buf = append(w.buf, chunk[:min(len(chunk), room)]...)
		}
		if i < 0 {
			break
		}
		w.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.fn(string(w.buf))
	}
	w.buf = w.buf[:0]
}
