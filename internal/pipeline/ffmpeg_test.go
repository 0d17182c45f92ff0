package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"onair/internal/flv"
	"onair/internal/testutil/fftest"
)

// End-to-end tests with the real ffmpeg and ffprobe.

var sample struct {
	once sync.Once
	tags []flv.Tag
	err  error
}

// sampleTags returns the tags of 3 s of 320x180 H.264 at 15 fps (a keyframe
// each second) with AAC, made by ffmpeg once per test binary.
func sampleTags(t *testing.T, ffmpeg string) []flv.Tag {
	t.Helper()
	sample.once.Do(func() {
		dir, err := os.MkdirTemp("", "onair-pipeline-")
		if err != nil {
			sample.err = err
			return
		}
		defer os.RemoveAll(dir)
		file := filepath.Join(dir, "in.flv")
		out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error",
			"-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine",
			"-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-c:a", "aac", "-f", "flv", file).CombinedOutput()
		if err != nil {
			sample.err = fmt.Errorf("ffmpeg: %v\n%s", err, out)
			return
		}
		f, err := os.Open(file)
		if err != nil {
			sample.err = err
			return
		}
		defer f.Close()
		r := flv.NewReader(f)
		for {
			tag, err := r.ReadTag()
			if err == io.EOF {
				return
			}
			if err != nil {
				sample.err = err
				return
			}
			sample.tags = append(sample.tags, tag)
		}
	})
	if sample.err != nil {
		t.Fatal(sample.err)
	}
	return sample.tags
}

// copyArgs is the argv of a test ffmpeg that copies its input to name(n) for
// instance n.
func copyArgs(name func(n int) string) func(bool) ([]string, error) {
	var mu sync.Mutex
	n := 0
	return func(bool) ([]string, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return []string{"-hide_banner", "-loglevel", "warning", "-nostats", "-progress", "pipe:1", "-stats_period", "0.5",
			"-f", "flv", "-i", "pipe:0", "-c", "copy", "-f", "flv", name(n)}, nil
	}
}

// play writes tags to f at speed times real time, as a publisher would.
func play(t *testing.T, f *Feed, tags []flv.Tag, speed float64) {
	t.Helper()
	start, base := time.Now(), tags[0].Timestamp
	for _, tag := range tags {
		due := start.Add(time.Duration(float64(tag.Timestamp-base) / speed * float64(time.Millisecond)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if err := f.WriteTag(tag); err != nil && !errors.Is(err, ErrNotReady) {
			t.Fatalf("WriteTag @%d: %v", tag.Timestamp, err)
		}
	}
}

func probe(t *testing.T, ffprobe string, args ...string) string {
	t.Helper()
	out, err := exec.Command(ffprobe, append([]string{"-v", "error"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestFFmpegReadsTheFeed: ffmpeg copies what the Feed writes, reports progress,
// and finishes its output when stopped.
func TestFFmpegReadsTheFeed(t *testing.T) {
	t.Parallel()
	ffmpeg, _ := fftest.Tools(t)
	tags := sampleTags(t, ffmpeg)
	dir := t.TempDir()
	s := New(Config{FFmpeg: ffmpeg, Dir: dir, Args: copyArgs(func(int) string { return "out.flv" }), Settle: 200 * time.Millisecond, Grace: 5 * time.Second})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := NewFeed()
	f.Attach(s)
	f.Begin()
	play(t, f, tags, 2)
	f.End()
	// ffmpeg holds the first 40 frames to guess the frame rate (FLV's
	// millisecond timestamps), so a 3 s stream may see a single block before
	// its end: the first one, once the output is open.
	waitFor(t, 3*time.Second, "progress", func() bool { return !s.Progress().At.IsZero() })
	if p := s.Progress(); p.Instance != 1 || p.TotalSize == 0 || p.End {
		t.Errorf("Progress = %+v", p)
	}
	if err := stop(t, s); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if p := s.Progress(); !p.End || p.Frame != 45 || p.OutTime < 2900*time.Millisecond {
		t.Errorf("last Progress = %+v, want the end block with all 45 frames", p)
	}
	if d := fftest.Duration(t, filepath.Join(dir, "out.flv")); d < 2.7 || d > 3.3 {
		t.Errorf("duration = %.2f s, want about 3", d)
	}
}

// TestFFmpegAcrossReconnect: a publisher that reconnects and starts its
// timestamps from 0 again makes one continuous 6 s stream.
func TestFFmpegAcrossReconnect(t *testing.T) {
	t.Parallel()
	ffmpeg, ffprobe := fftest.Tools(t)
	tags := sampleTags(t, ffmpeg)
	dir := t.TempDir()
	s := New(Config{FFmpeg: ffmpeg, Dir: dir, Args: copyArgs(func(int) string { return "out.flv" }), Settle: 200 * time.Millisecond, Grace: 5 * time.Second})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := NewFeed()
	f.Attach(s)
	for range 2 {
		f.Begin()
		play(t, f, tags, 3)
		f.End()
	}
	waitFor(t, 3*time.Second, "progress with frames", func() bool { p := s.Progress(); return p.Frame > 0 && !p.End })
	if err := stop(t, s); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	out := filepath.Join(dir, "out.flv")
	if d := fftest.Duration(t, out); d < 5.7 || d > 6.3 {
		t.Errorf("duration = %.2f s, want about 6", d)
	}
	last := map[string]int64{}
	n := 0
	for _, line := range strings.Split(probe(t, ffprobe, "-show_entries", "packet=stream_index,pts", "-of", "csv=p=0", out), "\n") {
		stream, pts, _ := strings.Cut(line, ",")
		v, err := strconv.ParseInt(pts, 10, 64)
		if err != nil {
			t.Fatalf("packet %q", line)
		}
		if prev, ok := last[stream]; ok && v < prev {
			t.Errorf("stream %s: pts %d after %d", stream, v, prev)
		}
		last[stream] = v
		n++
	}
	if len(last) != 2 || n < 2*len(tags)-10 {
		t.Errorf("%d packets in %d streams", n, len(last))
	}
}

// TestFFmpegRestartGetsACleanStream: an ffmpeg killed mid-stream is restarted,
// and the Feed gives the new one a stream it decodes from the start.
func TestFFmpegRestartGetsACleanStream(t *testing.T) {
	t.Parallel()
	ffmpeg, ffprobe := fftest.Tools(t)
	tags := sampleTags(t, ffmpeg)
	dir := t.TempDir()
	var ev events
	s := New(Config{FFmpeg: ffmpeg, Dir: dir, Args: copyArgs(func(n int) string { return fmt.Sprintf("out-%d.flv", n) }),
		Settle: 200 * time.Millisecond, Grace: 5 * time.Second, OnEvent: ev.add, Backoff: Backoff{Min: 50 * time.Millisecond}})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := NewFeed()
	f.Attach(s)
	f.Begin()
	cut := len(tags) / 3 // about 1 s in
	play(t, f, tags[:cut], 3)
	if err := syscall.Kill(s.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the restart", func() bool { return s.Instance() == 2 })
	if s.Restarts() != 1 {
		t.Errorf("Restarts = %d", s.Restarts())
	}
	if r := ev.of(EventRestarting); len(r) != 1 || r[0].ExitCode != 137 || r[0].Instance != 1 {
		t.Errorf("restarting events = %+v", r)
	}
	play(t, f, tags[cut:], 3)
	if err := stop(t, s); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	out := filepath.Join(dir, "out-2.flv")
	if got := probe(t, ffprobe, "-show_entries", "stream=codec_name", "-of", "csv=p=0", out); got != "h264\naac" && got != "aac\nh264" {
		t.Errorf("streams of the second instance's output: %q", got)
	}
	if d := fftest.Duration(t, out); d < 1 {
		t.Errorf("the second instance got %.2f s", d)
	}
	// Decoding the whole of it finds no error: it started at a keyframe, with its sequence headers.
	if msg, err := exec.Command(ffmpeg, "-v", "error", "-i", out, "-f", "null", "-").CombinedOutput(); err != nil || len(msg) > 0 {
		t.Errorf("decoding %s: %v\n%s", out, err, msg)
	}
}
