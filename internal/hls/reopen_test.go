package hls_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/hls"
	"onair/internal/hls/hlstest"
)

// TestReopen restarts onair three times in the middle of a run: once with
// the run finished, once with the variant closed (the playlist stays live),
// once as a crash (the segment being written is lost). Each time a new Variant on the same directory continues the
// playlist: the media sequence goes on, one Checker follows every version
// across the restarts, the timeline that goes on gets no discontinuity and
// the one with a hole gets one, and ffmpeg plays the whole playlist.
func TestReopen(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	for _, tc := range liveFormats(60 * time.Second) {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Dir = filepath.Join(t.TempDir(), "v")
			checker := &hlstest.Checker{Exists: hlstest.Dir(tc.cfg.Dir)}

			f := newFeeder(t, tc.cfg, checker)
			f.play(tracks, units, 0)
			first := f.finish() // a graceful stop
			if len(first.Segments) != 4 || !first.Ended {
				t.Fatalf("before the restart: %d segments, ended %t", len(first.Segments), first.Ended)
			}

			second := after(units, units)
			f = newFeeder(t, tc.cfg, checker)
			f.play(tracks, second, 0)
			f.settle()
			if err := f.close(); err != nil { // a crash: no Finish
				t.Fatal(err)
			}
			m := f.check()
			if m.Ended || len(m.Segments) != 7 || m.Seq != 0 {
				t.Fatalf("after the first restart: ended %t, %d segments from %d", m.Ended, len(m.Segments), m.Seq)
			}
			for _, s := range m.Segments {
				if s.Discontinuity {
					t.Errorf("%s: a discontinuity though the timeline went on", s.URI)
				}
			}

			third := after(second, units)
			f = newFeeder(t, tc.cfg, checker)
			f.play(tracks, third, 0)
			f.settle()
			if err := f.close(); err != nil {
				t.Fatal(err)
			}
			if err := f.v.Close(); err != nil { // a graceful restart: the run goes on
				t.Fatal(err)
			}
			if m = f.check(); m.Ended || len(m.Segments) != 11 {
				t.Fatalf("after Close: ended %t, %d segments", m.Ended, len(m.Segments))
			}

			f = newFeeder(t, tc.cfg, checker)
			f.play(tracks, after(third, units), 0)
			m = f.finish()
			if len(m.Segments) != 15 {
				t.Fatalf("after the restarts: %d segments, want 15", len(m.Segments))
			}
			for i, s := range m.Segments {
				// The segment being written at the crash is lost: the
				// next one starts after a hole. Close lost nothing.
				if want := i == 7; s.Discontinuity != want {
					t.Errorf("segment %d (%s): discontinuity %t", i, s.URI, s.Discontinuity)
				}
				if !strings.HasPrefix(s.URI, "seg_00000") && !strings.HasPrefix(s.URI, "seg_00001") {
					t.Errorf("segment %d is %s", i, s.URI)
				}
			}
			// The crash left a segment half written; the restart swept it.
			if left, _ := filepath.Glob(filepath.Join(tc.cfg.Dir, ".*")); len(left) > 0 {
				t.Errorf("files left from a segment cut short: %v", left)
			}
			if n := decode(t, filepath.Join(tc.cfg.Dir, hls.Playlist)); n < 15*28 {
				t.Errorf("ffmpeg decoded %d frames across three restarts", n)
			}
		})
	}
}
