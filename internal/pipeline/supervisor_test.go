package pipeline

import (
	"context"
	"errors"
	"onair/internal/testutil/testclock"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// script writes a shell script to dir, to stand in for ffmpeg where a test needs
// a failure ffmpeg would not produce on demand.
func script(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "fake-ffmpeg")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func noArgs(bool) ([]string, error) { return nil, nil }

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// events records a supervisor's events.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) of(typ string) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Event
	for _, ev := range e.all {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func stop(t *testing.T, s *Supervisor) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Stop(ctx)
}

func TestStartMissingBinary(t *testing.T) {
	for _, ffmpeg := range []string{filepath.Join(t.TempDir(), "ffmpeg"), "onair-no-such-ffmpeg"} {
		var ev events
		s := New(Config{FFmpeg: ffmpeg, Args: noArgs, OnEvent: ev.add})
		err := s.Start(context.Background())
		var x *ExitError
		if !errors.As(err, &x) {
			t.Fatalf("Start = %v, want an *ExitError", err)
		}
		if want := "ffmpeg not found at " + ffmpeg + ": install ffmpeg or set its path"; x.Cause != want || err.Error() != want {
			t.Errorf("Start = %q, want %q", err, want)
		}
		if s.Running() {
			t.Error("Running after a failed Start")
		}
		select {
		case <-s.Done():
		default:
			t.Error("Done not closed after a failed Start")
		}
		if err := stop(t, s); err != x {
			t.Errorf("Stop after a failed Start = %v, want the start failure", err)
		}
		if got := ev.of(EventExited); len(got) != 1 || got[0].ExitCode != -1 {
			t.Errorf("exited events = %+v", got)
		}
		if _, err := s.Write([]byte("x")); err != ErrNotReady {
			t.Errorf("Write = %v, want ErrNotReady", err)
		}
	}
}

func TestStartMissingDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	s := New(Config{FFmpeg: "/bin/true", Dir: dir, Args: noArgs})
	err := s.Start(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "cannot enter the data directory "+dir) {
		t.Errorf("Start = %v", err)
	}
}

func TestStartExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	ff := script(t, dir, `echo "[libx264 @ 0x55] starting" >&2; echo "Unknown encoder 'libx264'" >&2; exit 1`)
	var ev events
	s := New(Config{FFmpeg: ff, Dir: dir, Args: noArgs, OnEvent: ev.add})
	start := time.Now()
	err := s.Start(context.Background())
	var x *ExitError
	if !errors.As(err, &x) {
		t.Fatalf("Start = %v, want an *ExitError", err)
	}
	if time.Since(start) > 900*time.Millisecond {
		t.Errorf("Start took %s: it should return as soon as ffmpeg exits", time.Since(start))
	}
	if x.Code != 1 || !strings.Contains(x.Cause, "libx264") || !strings.HasSuffix(x.Error(), "(ffmpeg exited 1)") {
		t.Errorf("exit = %+v (%q)", x, x.Error())
	}
	if !slices.Contains(x.Stderr, "Unknown encoder 'libx264'") {
		t.Errorf("stderr kept = %q", x.Stderr)
	}
	if s.Running() || s.Restarts() != 0 {
		t.Errorf("Running %v, Restarts %d after a failed start", s.Running(), s.Restarts())
	}
	if got := ev.of(EventExited); len(got) != 1 || got[0].ExitCode != 1 || got[0].Cause != x.Cause {
		t.Errorf("exited events = %+v", got)
	}
}

// TestStopKillsWhatIgnoresSIGINT: an ffmpeg that ignores both its input closing
// and SIGINT is killed after twice the grace, and is gone.
func TestStopKillsWhatIgnoresSIGINT(t *testing.T) {
	dir := t.TempDir()
	ff := script(t, dir, `trap '' INT; exec sleep 30`)
	grace := 200 * time.Millisecond
	s := New(Config{FFmpeg: ff, Dir: dir, Args: noArgs, Grace: grace, Settle: 50 * time.Millisecond})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	if !s.Running() || pid == 0 {
		t.Fatalf("Running %v, pid %d", s.Running(), pid)
	}
	start := time.Now()
	err := stop(t, s)
	took := time.Since(start)
	if took < 2*grace || took > 2*grace+time.Second {
		t.Errorf("Stop took %s, want about %s", took, 2*grace)
	}
	var x *ExitError
	if !errors.As(err, &x) || x.Signal != syscall.SIGKILL || x.Code != 137 || !strings.Contains(x.Cause, "was killed") {
		t.Fatalf("Stop = %v (%+v)", err, x)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill -0 %d = %v: the process is still there", pid, err)
	}
	if s.Running() {
		t.Error("Running after Stop")
	}
	<-s.Done()
	if err2 := stop(t, s); err2 != err {
		t.Errorf("second Stop = %v, want %v", err2, err)
	}
}

// TestStopContextKillsAtOnce: a Stop whose context ends goes straight to SIGKILL.
func TestStopContextKillsAtOnce(t *testing.T) {
	dir := t.TempDir()
	ff := script(t, dir, `trap '' INT; exec sleep 30`)
	s := New(Config{FFmpeg: ff, Dir: dir, Args: noArgs, Settle: 50 * time.Millisecond}) // Grace 15 s
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Stop(ctx)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Stop took %s despite its context", took)
	}
	var x *ExitError
	if !errors.As(err, &x) || x.Signal != syscall.SIGKILL {
		t.Errorf("Stop = %v", err)
	}
}

// TestRestartBackoff: an ffmpeg that ends, then crashes three times, then runs,
// is restarted after 20, 40, 80, 80 ms (doubling, capped); once an instance has
// run StableAfter (by the injected clock), the delay is back to the minimum.
func TestRestartBackoff(t *testing.T) {
	dir := t.TempDir()
	ff := script(t, dir, `
n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count
case $n in
1) sleep 0.2; echo "first run over" >&2; exit 2;;
2|3|4) echo "crash $n" >&2; exit 3;;
esac
exec sleep 30`)
	var ev events
	clk := testclock.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	var restarts []bool
	var mu sync.Mutex
	args := func(restart bool) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		restarts = append(restarts, restart)
		return nil, nil
	}
	s := New(Config{FFmpeg: ff, Dir: dir, Args: args, OnEvent: ev.add, Now: clk.Now, Settle: 50 * time.Millisecond, Grace: 100 * time.Millisecond,
		Backoff: Backoff{Min: 20 * time.Millisecond, Max: 80 * time.Millisecond, StableAfter: time.Minute}})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the fifth instance", func() bool { return s.Instance() == 5 })
	clk.Advance(time.Hour) // instance 5 has now run for an hour
	if err := syscall.Kill(s.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the sixth instance", func() bool { return s.Instance() == 6 })
	if got := s.Restarts(); got != 5 {
		t.Errorf("Restarts = %d, want 5", got)
	}
	var delays []time.Duration
	var codes []int
	for _, e := range ev.of(EventRestarting) {
		delays = append(delays, e.Delay)
		codes = append(codes, e.ExitCode)
	}
	ms := time.Millisecond
	if want := []time.Duration{20 * ms, 40 * ms, 80 * ms, 80 * ms, 20 * ms}; !slices.Equal(delays, want) {
		t.Errorf("restart delays = %v, want %v", delays, want)
	}
	if want := []int{2, 3, 3, 3, 137}; !slices.Equal(codes, want) {
		t.Errorf("exit codes = %v, want %v", codes, want)
	}
	if x := s.LastExit(); x == nil || x.Code != 137 {
		t.Errorf("LastExit = %v", x)
	}
	err := stop(t, s)
	var x *ExitError
	if !errors.As(err, &x) || x.Signal != syscall.SIGINT || !strings.Contains(x.Cause, "was interrupted") {
		t.Errorf("Stop = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []bool{false, true, true, true, true, true}; !slices.Equal(restarts, want) {
		t.Errorf("Args restart flags = %v, want %v", restarts, want)
	}
	if got := ev.of(EventStopped); len(got) != 1 || got[0].ExitCode != 130 {
		t.Errorf("stopped events = %+v", got)
	}
	if got := ev.of(EventStarted); len(got) != 6 || got[5].Instance != 6 || !got[0].Time.Equal(clk.Now().Add(-time.Hour)) {
		t.Errorf("started events = %+v", got)
	}
}

// TestStopDuringBackoff: Stop while waiting to restart returns at once, with the
// exit that caused the wait.
func TestStopDuringBackoff(t *testing.T) {
	dir := t.TempDir()
	ff := script(t, dir, `sleep 0.2; echo "[hls @ 0x55d32daea1c0] gave up" >&2; exit 1`)
	var ev events
	s := New(Config{FFmpeg: ff, Dir: dir, Args: noArgs, OnEvent: ev.add, Settle: 50 * time.Millisecond,
		Backoff: Backoff{Min: time.Minute}})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the restart wait", func() bool { return len(ev.of(EventRestarting)) == 1 })
	if s.Running() {
		t.Error("Running between instances")
	}
	if _, err := s.Write([]byte("FLV")); err != ErrNotReady {
		t.Errorf("Write between instances = %v, want ErrNotReady", err)
	}
	start := time.Now()
	err := stop(t, s)
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("Stop took %s during a backoff wait", took)
	}
	var x *ExitError
	if !errors.As(err, &x) || x.Code != 1 || x.Error() != "hls: gave up (ffmpeg exited 1)" {
		t.Errorf("Stop = %v", err)
	}
	if s.Restarts() != 0 {
		t.Errorf("Restarts = %d after Stop in the wait", s.Restarts())
	}
}

func TestStopBeforeStart(t *testing.T) {
	s := New(Config{Args: noArgs})
	if err := stop(t, s); err != nil {
		t.Errorf("Stop = %v", err)
	}
	<-s.Done()
	if err := s.Start(context.Background()); err == nil {
		t.Error("Start after Stop succeeded")
	}
}

func TestBackoffNext(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b := Backoff{Min: time.Second, Max: 10 * time.Second, StableAfter: time.Minute}
	cases := []struct {
		name string
		b    Backoff
		prev time.Duration
		ran  time.Duration
		want time.Duration
	}{
		{"first restart", b, 0, time.Second, time.Second},
		{"doubles", b, time.Second, time.Second, 2 * time.Second},
		{"doubles again", b, 4 * time.Second, 59 * time.Second, 8 * time.Second},
		{"capped", b, 8 * time.Second, 0, 10 * time.Second},
		{"stays capped", b, 10 * time.Second, 0, 10 * time.Second},
		{"resets after a stable run", b, 10 * time.Second, time.Minute, time.Second},
		{"defaults", Backoff{}, 0, 0, 500 * time.Millisecond},
		{"default max", Backoff{}, 20 * time.Second, 29 * time.Second, 30 * time.Second},
		{"default stability", Backoff{}, 20 * time.Second, 30 * time.Second, 500 * time.Millisecond},
	}
	for _, tc := range cases {
		if got := tc.b.next(tc.prev, t0, t0.Add(tc.ran)); got != tc.want {
			t.Errorf("%s: next(%s, ran %s) = %s, want %s", tc.name, tc.prev, tc.ran, got, tc.want)
		}
	}
}

// TestProgressLines parses -progress output as ffmpeg writes it, split anywhere.
func TestProgressLines(t *testing.T) {
	clk := testclock.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	s := New(Config{Now: clk.Now})
	s.progress = Progress{Instance: 3}
	in := &instance{sup: s, n: 3, healthy: make(chan struct{})}
	w := &lineWriter{fn: in.progressLine}
	out := "frame=23\nfps=15.21\nstream_0_0_q=-1.0\nbitrate= 253.2kbits/s\ntotal_size=30036\n" +
		"out_time_us=1044000\nout_time_ms=1044000\nout_time=00:00:01.044000\ndup_frames=1\ndrop_frames=2\nspeed=1.04x\nprogress=continue\n" +
		"frame=30\nfps=15.00\nbitrate=N/A\nspeed=N/A\nprogress=end\n"
	for i := 0; i < len(out); i += 7 {
		w.Write([]byte(out[i:min(i+7, len(out))]))
		if i < 200 && s.Progress().Frame == 23 {
			want := Progress{Instance: 3, Frame: 23, FPS: 15.21, Bitrate: 253.2, TotalSize: 30036, OutTime: 1044 * time.Millisecond,
				DupFrames: 1, DropFrames: 2, Speed: 1.04, At: clk.Now()}
			if got := s.Progress(); got != want {
				t.Fatalf("Progress = %+v, want %+v", got, want)
			}
		}
	}
	if got := s.Progress(); got.Frame != 30 || !got.End || got.Bitrate != 0 || got.Speed != 0 {
		t.Errorf("last Progress = %+v", got)
	}
	select {
	case <-in.healthy:
	default:
		t.Error("a block with frames written did not mark the instance healthy")
	}
	// A block from an older instance does not overwrite the current one's.
	old := &instance{sup: s, n: 2, healthy: make(chan struct{})}
	old.progressLine("frame=99")
	old.progressLine("progress=continue")
	if s.Progress().Frame != 30 {
		t.Error("an old instance's progress replaced the current one's")
	}
}

func TestLineWriterBoundsLines(t *testing.T) {
	var lines []string
	w := &lineWriter{fn: func(l string) { lines = append(lines, l) }}
	w.Write([]byte(strings.Repeat("x", 3*maxLine)))
	w.Write([]byte("y\r\nz"))
	w.flush()
	if len(lines) != 2 || len(lines[0]) != maxLine || lines[1] != "z" {
		t.Errorf("lines = %d, first %d bytes, last %q", len(lines), len(lines[0]), lines[len(lines)-1])
	}
}

// TestWaitHealthy: an ffmpeg whose progress shows output is healthy; one that
// keeps exiting once it has run past Settle is given up on at the second
// failure, with its cause, and its restarts count the failures in a row.
func TestWaitHealthy(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		dir := t.TempDir()
		ff := script(t, dir, `printf 'frame=0\nprogress=continue\n'; sleep 0.2; printf 'frame=3\ntotal_size=4096\nprogress=continue\n'; exec sleep 30`)
		var ev events
		s := New(Config{FFmpeg: ff, Dir: dir, Args: noArgs, Settle: 50 * time.Millisecond, Grace: 50 * time.Millisecond, OnEvent: ev.add})
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer stop(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.WaitHealthy(ctx); err != nil || ctx.Err() != nil {
			t.Fatalf("WaitHealthy = %v (ctx %v), want healthy", err, ctx.Err())
		}
		waitFor(t, 2*time.Second, "the healthy event", func() bool { return len(ev.of(EventHealthy)) == 1 })
	})
	t.Run("failing in a loop", func(t *testing.T) {
		dir := t.TempDir()
		ff := script(t, dir, `sleep 0.3; echo "Unknown encoder 'libx264'" >&2; exit 1`)
		var ev events
		s := New(Config{FFmpeg: ff, Dir: dir, Args: noArgs, Settle: 50 * time.Millisecond, OnEvent: ev.add,
			Backoff: Backoff{Min: 20 * time.Millisecond, Max: 40 * time.Millisecond}})
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer stop(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.WaitHealthy(ctx)
		var x *ExitError
		if !errors.As(err, &x) || !strings.Contains(x.Cause, "libx264") {
			t.Fatalf("WaitHealthy = %v, want the exit with its cause", err)
		}
		waitFor(t, 5*time.Second, "a third failure", func() bool { return len(ev.of(EventRestarting)) >= 3 })
		for i, e := range ev.of(EventRestarting)[:3] {
			if e.Failures != i+1 {
				t.Errorf("restart %d says %d failures in a row, want %d", i+1, e.Failures, i+1)
			}
		}
		if n := len(ev.of(EventHealthy)); n != 0 {
			t.Errorf("%d healthy events from an ffmpeg that never wrote", n)
		}
	})
	t.Run("a healthy instance resets the count", func(t *testing.T) {
		dir := t.TempDir()
		// Fails once, then writes: the restart after the healthy one counts 1 again.
		marker := filepath.Join(dir, "ran")
		ff := script(t, dir, `if [ -e `+marker+` ]; then printf 'frame=9\nprogress=continue\n'; sleep 0.3; exit 1; fi; touch `+marker+`; sleep 0.2; exit 1`)
		var ev events
		s := New(Config{FFmpeg: ff, Dir: dir, Args: noArgs, Settle: 50 * time.Millisecond, OnEvent: ev.add,
			Backoff: Backoff{Min: 20 * time.Millisecond, Max: 40 * time.Millisecond}})
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer stop(t, s)
		waitFor(t, 5*time.Second, "three restarts", func() bool { return len(ev.of(EventRestarting)) >= 3 })
		got := []int{}
		for _, e := range ev.of(EventRestarting)[:3] {
			got = append(got, e.Failures)
		}
		if !slices.Equal(got, []int{1, 1, 1}) {
			t.Errorf("failures in a row at each restart = %v, want [1 1 1]: each instance after the first was healthy", got)
		}
	})
}

// TestWriteTimeoutKillsAStalledFFmpeg: an ffmpeg that stops reading its input
// cannot block the ingest: the write fails, and the instance is replaced.
func TestWriteTimeoutKillsAStalledFFmpeg(t *testing.T) {
	dir := t.TempDir()
	ff := script(t, dir, `exec sleep 30`)
	var ev events
	s := New(Config{FFmpeg: ff, Dir: dir, Args: noArgs, Settle: 50 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
		Grace: 50 * time.Millisecond, OnEvent: ev.add, Backoff: Backoff{Min: 10 * time.Millisecond}})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer stop(t, s)
	start := time.Now()
	_, err := s.Write(make([]byte, 1<<20)) // more than a pipe holds
	if !errors.Is(err, ErrNotReady) || time.Since(start) > 2*time.Second {
		t.Fatalf("Write = %v after %s", err, time.Since(start))
	}
	waitFor(t, 5*time.Second, "the restart", func() bool { return s.Instance() == 2 })
	if got := ev.of(EventExited); len(got) != 1 || !strings.Contains(got[0].Cause, "read nothing of its input for 200ms") {
		t.Errorf("exited events = %+v", got)
	}
}
