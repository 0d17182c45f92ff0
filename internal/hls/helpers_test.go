package hls_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onair/internal/hls"
	"onair/internal/hls/hlstest"
	"onair/internal/media"
	"onair/internal/testutil/fftest"
)

// sources caches the test encodes: the machine's two cores are shared.
var sources struct {
	sync.Mutex
	dir   string
	files map[string]string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hls-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sources.dir, sources.files = dir, map[string]string{}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// source returns the tracks and units of an encode, made once per run: 8 s
// at 15 fps with a keyframe every gop frames.
func source(t *testing.T, vcodec string, gop int) (media.Tracks, []*media.Unit) {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	sources.Lock()
	defer sources.Unlock()
	key := vcodec + "-" + strings.Repeat("g", gop)
	file, ok := sources.files[key]
	if !ok {
		file = filepath.Join(sources.dir, key+".ts")
		hlstest.Encode(t, ffmpeg, file, 8, gop, vcodec)
		sources.files[key] = file
	}
	return hlstest.ReadTS(t, file)
}

// liveFormats are the outputs tests run alike: TS, and CMAF with LL-HLS.
func liveFormats(window time.Duration) []struct {
	name string
	cfg  hls.VariantConfig
} {
	return []struct {
		name string
		cfg  hls.VariantConfig
	}{
		{"TS", hls.VariantConfig{Format: hls.TS, Segment: 2 * time.Second, Window: window}},
		{"LL-HLS", hls.VariantConfig{Format: hls.CMAF, Segment: 2 * time.Second, Window: window, Part: 500 * time.Millisecond}},
	}
}

// feeder runs a variant on a hub and watches its playlist, checking every
// version it sees with a hlstest.Checker.
type feeder struct {
	t       *testing.T
	v       *hls.Variant
	dir     string
	hub     *media.Hub
	done    chan error
	checker *hlstest.Checker

	mu       sync.Mutex
	versions int
	problem  error
	last     *hlstest.Media
	stop     chan struct{}
	watched  chan struct{}
}

// newFeeder opens a variant and runs it; checker, if not nil, carries the
// checks on from an earlier variant in the same directory.
func newFeeder(t *testing.T, cfg hls.VariantConfig, checker ...*hlstest.Checker) *feeder {
	t.Helper()
	v, err := hls.OpenVariant(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &feeder{t: t, v: v, dir: cfg.Dir, hub: media.NewHub(media.HubOptions{}), done: make(chan error, 1),
		checker: &hlstest.Checker{Exists: hlstest.Dir(cfg.Dir)}, stop: make(chan struct{}), watched: make(chan struct{})}
	r := f.hub.Subscribe("hls", 1<<20)
	if len(checker) > 0 {
		f.checker = checker[0]
	}
	go func() { f.done <- v.Run(context.Background(), r) }()
	go f.watch()
	t.Cleanup(func() { f.close() })
	return f
}

// watch checks each new version of the playlist, as a player polling it would.
func (f *feeder) watch() {
	defer close(f.watched)
	var prev []byte
	file := filepath.Join(f.dir, hls.Playlist)
	for {
		select {
		case <-f.stop:
			return
		case <-time.After(time.Millisecond):
		}
		b, err := os.ReadFile(file)
		if err != nil || bytes.Equal(b, prev) {
			continue
		}
		prev = b
		f.mu.Lock()
		m, err := f.checker.Check(b)
		f.versions++
		if err != nil && f.problem == nil {
			f.problem = err
			f.t.Logf("bad playlist:\n%s", b)
		}
		if m != nil {
			f.last = m
		}
		f.mu.Unlock()
	}
}

// play writes units into the hub at speed times real time (0: at once),
// after beginning a source with tracks unless they are nil.
func (f *feeder) play(tracks media.Tracks, units []*media.Unit, speed float64) {
	if tracks != nil {
		f.hub.Begin(tracks)
	}
	start, base := time.Now(), units[0].DTS
	for _, u := range units {
		if speed > 0 {
			if d := time.Until(start.Add(time.Duration(float64(u.DTS-base) / speed))); d > 0 {
				time.Sleep(d)
			}
		}
		f.hub.Write(u)
	}
}

// settle waits until the variant has packaged all it was written.
func (f *feeder) settle() {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// The reader's queue is private: look at whether the playlist
		// still changes.
		b1, _ := os.ReadFile(filepath.Join(f.dir, hls.Playlist))
		time.Sleep(60 * time.Millisecond)
		b2, _ := os.ReadFile(filepath.Join(f.dir, hls.Playlist))
		if bytes.Equal(b1, b2) {
			return
		}
	}
}

// close ends the hub and Run, and the watcher; it returns Run's error.
func (f *feeder) close() error {
	select {
	case <-f.stop:
		return nil
	default:
	}
	f.hub.Close()
	err := <-f.done
	f.done <- err
	time.Sleep(5 * time.Millisecond)
	close(f.stop)
	<-f.watched
	return err
}

// finish ends the feed and the variant, and checks the final playlist.
func (f *feeder) finish() *hlstest.Media {
	f.t.Helper()
	if err := f.close(); err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	if err := f.v.Finish(); err != nil {
		f.t.Fatal(err)
	}
	return f.check()
}

// check checks the playlist now on disk and what the watcher saw.
func (f *feeder) check() *hlstest.Media {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, hls.Playlist))
	if err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.problem != nil {
		f.t.Fatalf("a playlist version failed the checks: %v", f.problem)
	}
	m, err := f.checker.Check(b)
	if err != nil {
		f.t.Fatalf("%v\n%s", err, b)
	}
	f.t.Logf("%d playlist versions checked", f.versions)
	return m
}

// after returns units shifted to start 33 ms after the latest timestamp of
// prev, as ingest rebases a publisher that reconnects (pipeline.Feed's
// frameGap): less than a frame of this 15 fps media.
func after(prev, units []*media.Unit) []*media.Unit {
	var end time.Duration
	for _, u := range prev {
		end = max(end, u.DTS)
	}
	return hlstest.Shift(units, end+33*time.Millisecond-units[0].DTS)
}

// ffprobe reads a file and returns its streams' codec names and its duration.
func ffprobe(t *testing.T, file string) string {
	t.Helper()
	_, probe := fftest.Tools(t)
	out, err := exec.Command(probe, "-v", "error", "-show_entries", "stream=codec_name:format=duration", "-of", "compact=p=0:nk=1", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", file, err, out)
	}
	return strings.TrimSpace(string(out))
}

// decode has ffmpeg play a playlist and counts the video frames it decodes.
// A live playlist is played as it is now: a copy of it, ended.
func decode(t *testing.T, playlist string, extra ...string) int {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	b, err := os.ReadFile(playlist)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("#EXT-X-ENDLIST")) {
		playlist = filepath.Join(filepath.Dir(playlist), "snapshot.m3u8")
		if err := os.WriteFile(playlist, append(b, "#EXT-X-ENDLIST\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(playlist)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"-hide_banner", "-loglevel", "error"}, extra...)
	args = append(args, "-i", playlist, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "framecrc", "-")
	out, err := exec.CommandContext(ctx, ffmpeg, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg could not play %s: %v\n%s", playlist, err, out)
	}
	frames := 0
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(l, "0,"):
			frames++
		case l != "" && !strings.HasPrefix(l, "#"):
			t.Errorf("ffmpeg: %s", l)
		}
	}
	return frames
}
