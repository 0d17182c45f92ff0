package hls_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/hls"
)

// TestTSLive packages 8 s of 15 fps media with a keyframe a second into 2 s
// TS segments and a 4 s window: every playlist version passes the checks,
// segments are 2 s, the old ones leave the playlist and then the disk, each
// segment reads alone in ffprobe, and ffmpeg plays the playlist.
func TestTSLive(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	dir := filepath.Join(t.TempDir(), "180p")
	f := newFeeder(t, hls.VariantConfig{Dir: dir, Format: hls.TS, Segment: 2 * time.Second, Window: 6 * time.Second})
	f.play(tracks, units, 8)
	m := f.finish()
	if b, _ := os.ReadFile(filepath.Join(dir, hls.Playlist)); testing.Verbose() {
		t.Logf("%s", b)
	}
	if !m.Ended || m.Target != 2 || len(m.Segments) != 3 {
		t.Fatalf("final playlist: ended %t, target %d, %d segments", m.Ended, m.Target, len(m.Segments))
	}
	if m.Seq != 1 {
		t.Errorf("media sequence %d, want 1 (8 s in 2 s segments, a 6 s window)", m.Seq)
	}
	for i, s := range m.Segments {
		if math.Abs(s.Duration-2) > 0.01 && i < len(m.Segments)-1 {
			t.Errorf("segment %s lasts %.3f s", s.URI, s.Duration)
		}
		if s.PDT.IsZero() {
			t.Errorf("segment %s has no program date time", s.URI)
		}
		got := ffprobe(t, filepath.Join(dir, s.URI))
		if !strings.Contains(got, "h264") || !strings.Contains(got, "aac") {
			t.Errorf("ffprobe %s: %q", s.URI, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "seg_000000.ts")); err != nil {
		t.Errorf("the segment that just left the window is gone already: %v", err)
	}
	if n := decode(t, filepath.Join(dir, hls.Playlist)); n < 15*5 {
		t.Errorf("ffmpeg decoded %d frames of the playlist", n)
	}
}
