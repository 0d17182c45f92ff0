package ingest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"

	"onair/internal/media"
	"onair/internal/testutil/fftest"
)

// recSink records what a publisher sent.
type recSink struct {
	mu       sync.Mutex
	begins   []media.Tracks
	units    []*media.Unit
	closes   int
	closeErr error
	done     chan struct{} // Done()
	closed   chan struct{} // closed by Close
	failAt   int           // Write fails at this unit number when > 0
	cause    error         // Cause(), read after done is closed
	discard  bool          // count units without keeping them
	count    int
	bad      string // the first breach of the Sink's contract seen
}

func newRecSink() *recSink {
	return &recSink{done: make(chan struct{}), closed: make(chan struct{})}
}

func (s *recSink) Begin(tracks media.Tracks) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.begins = append(s.begins, tracks)
	return nil
}

func (s *recSink) Write(u *media.Unit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(s.begins) == 0:
		s.bad = "Write before Begin"
	case u.Track < 0 || u.Track >= len(s.begins[len(s.begins)-1]):
		s.bad = "a unit of no track"
	case len(u.AU) == 0:
		s.bad = "a unit without data"
	}
	if s.bad != "" {
		return errors.New(s.bad)
	}
	s.count++
	if !s.discard {
		s.units = append(s.units, u)
	}
	if s.failAt > 0 && s.count >= s.failAt {
		return errors.New("disk full")
	}
	return nil
}

func (s *recSink) Close(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes++
	s.closeErr = err
	if s.closes == 1 {
		close(s.closed)
	}
}

func (s *recSink) Done() <-chan struct{} { return s.done }

func (s *recSink) Cause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cause
}

// snapshot returns the tracks announced and the units received so far.
func (s *recSink) snapshot() ([]media.Tracks, []*media.Unit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]media.Tracks(nil), s.begins...), append([]*media.Unit(nil), s.units...)
}

// closeResult waits for Close and returns how often it was called and with what.
func (s *recSink) closeResult(t *testing.T) (int, error) {
	t.Helper()
	select {
	case <-s.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Sink.Close not called")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closes, s.closeErr
}

// recRouter records publish requests and hands out recSinks, or refuses with refuse.
type recRouter struct {
	mu      sync.Mutex
	reqs    []PublishRequest
	sinks   []*recSink
	refuse  error
	failAt  int
	discard bool
	got     chan struct{} // closed at the first request
}

func newRecRouter() *recRouter { return &recRouter{got: make(chan struct{})} }

func (r *recRouter) Publish(ctx context.Context, req PublishRequest) (Sink, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	if len(r.reqs) == 1 {
		close(r.got)
	}
	if r.refuse != nil {
		return nil, r.refuse
	}
	s := newRecSink()
	s.failAt, s.discard = r.failAt, r.discard
	r.sinks = append(r.sinks, s)
	return s, nil
}

func (r *recRouter) requests() []PublishRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]PublishRequest(nil), r.reqs...)
}

func (r *recRouter) sink(t *testing.T) *recSink {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sinks) != 1 {
		t.Fatalf("%d sinks, want 1", len(r.sinks))
	}
	return r.sinks[0]
}

// startServer serves on 127.0.0.1:0 until the test ends and returns the address.
func startServer(t testing.TB, r Router, o Options) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s := NewServer(r, o)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, ln.Addr().String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tool returns the path of ffmpeg or ffprobe; a machine without them fails.
func tool(t testing.TB, name string) string {
	t.Helper()
	ffmpeg, ffprobe := fftest.Tools(t)
	if name == "ffprobe" {
		return ffprobe
	}
	return ffmpeg
}

// ffmpegPublish starts ffmpeg pushing a tiny test pattern with a tone to url,
// with more options (such as -rtmp_playpath) before the URL.
func ffmpegPublish(t *testing.T, url, seconds string, rtmpOptions ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "info",
		"-re", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine=frequency=440",
		"-t", seconds, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "15", "-c:a", "aac", "-f", "flv"}
	cmd := exec.CommandContext(ctx, tool(t, "ffmpeg"), append(append(args, rtmpOptions...), url)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// syncBuffer collects log output written from the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
