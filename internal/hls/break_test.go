package hls_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/hls"
)

// TestBreaks feeds four sources one after another, with a break between
// them, as publishers that reconnect: the second continues the first's
// timeline and gets no discontinuity; the third starts over at the first's
// timestamps, the fourth is H.265: both get one, counted in the discontinuity
// sequence as they leave the window. In CMAF the H.265 source has its own
// init section. ffmpeg plays the H.264 part of each playlist.
func TestBreaks(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	hevc, hunits := source(t, "libx265", 15)
	for _, tc := range liveFormats(14 * time.Second) {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Dir = filepath.Join(t.TempDir(), "v")
			f := newFeeder(t, tc.cfg)
			second := after(units, units)
			f.play(tracks, units, 0)
			f.hub.End()
			f.play(tracks, second, 0)
			f.settle()
			m := f.check()
			for _, s := range m.Segments {
				if s.Discontinuity {
					t.Fatalf("segment %s: a discontinuity where the timeline goes on", s.URI)
				}
			}
			if len(m.Segments) != 7 {
				t.Fatalf("%d segments, want 7 (and the 8th being written)", len(m.Segments))
			}
			if n := decode(t, filepath.Join(tc.cfg.Dir, hls.Playlist)); n < 15*13 {
				t.Errorf("ffmpeg decoded %d frames across a reconnect", n)
			}
			f.hub.End()
			f.play(tracks, units, 0)
			f.hub.End()
			f.play(hevc, after(units, hunits), 0)
			m = f.finish()
			var discs []int
			maps := map[string]bool{}
			for i, s := range m.Segments {
				if s.Discontinuity {
					discs = append(discs, m.Seq+i)
				}
				maps[s.Map] = true
			}
			// 8 s sources in 2 s segments: segments 0-3, 4-7, 8-11, 12-15;
			// the window keeps the last 7.
			if m.Seq != 9 || m.DiscSeq != 1 || len(discs) != 1 || discs[0] != 12 {
				t.Errorf("media sequence %d, discontinuity sequence %d, discontinuities at %v; want 9, 1, [12]", m.Seq, m.DiscSeq, discs)
			}
			if tc.cfg.Format == hls.CMAF && len(maps) != 2 {
				t.Errorf("%d init sections for two configurations", len(maps))
			}
			last := m.Segments[len(m.Segments)-1]
			file := filepath.Join(tc.cfg.Dir, last.URI)
			if last.Map != "" {
				file = concat(t, tc.cfg.Dir, last.Map, last.URI)
			}
			if got := ffprobe(t, file); !strings.HasPrefix(got, "hevc\naac") {
				t.Errorf("ffprobe of an H.265 segment %s: %q", last.URI, got)
			}
		})
	}
}
