package hls_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"

	"onair/internal/hls"
	"onair/internal/hls/hlstest"
)

// concat writes an init section and a segment into one file, as a player
// sees them, for ffprobe.
func concat(t *testing.T, dir, init, seg string) string {
	t.Helper()
	a, err := os.ReadFile(filepath.Join(dir, init))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, seg))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "whole.mp4")
	if err := os.WriteFile(out, append(a, b...), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// startsWithKeyframe reads a part and reports whether its video starts with
// a sync sample.
func startsWithKeyframe(t *testing.T, file string) bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ps fmp4.Parts
	if err := ps.Unmarshal(b); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, tr := range ps[0].Tracks {
		if tr.ID == 1 {
			return !tr.Samples[0].IsNonSyncSample
		}
	}
	t.Fatalf("%s has no video", file)
	return false
}

// TestCMAFLowLatency packages CMAF with 500 ms parts: every version of the
// playlist passes the LL-HLS checks (parts no longer than PART-TARGET, at
// least 85% of it but a segment's last, adding up to their segment), parts
// starting with a keyframe are INDEPENDENT, init+segment and init+part read
// in ffprobe, ffmpeg plays the playlist, and a blocking reload returns when
// the part it asks for is listed.
func TestCMAFLowLatency(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	dir := filepath.Join(t.TempDir(), "ll")
	f := newFeeder(t, hls.VariantConfig{Dir: dir, Format: hls.CMAF, Segment: 2 * time.Second, Window: 20 * time.Second, Part: 500 * time.Millisecond})

	// Blocking reloads, asked before the media comes.
	type answer struct {
		err error
		at  time.Time
	}
	waits := map[[2]int]chan answer{}
	for _, w := range [][2]int{{0, 0}, {0, 2}, {1, -1}, {1, 1}} {
		ch := make(chan answer, 1)
		waits[w] = ch
		go func() {
			err := f.v.Wait(context.Background(), w[0], w[1])
			ch <- answer{err, time.Now()}
		}()
	}
	if err := f.v.Wait(context.Background(), 5, 0); !errors.Is(err, hls.ErrTooFar) {
		t.Errorf("a wait for segment 5 before any: %v, want ErrTooFar", err)
	}
	if err := f.v.Wait(context.Background(), 0, 3); !errors.Is(err, hls.ErrTooFar) {
		t.Errorf("a wait for part 3 before any: %v, want ErrTooFar", err)
	}
	// The first half; then a request for the part the playlist hints at,
	// which comes with the second half.
	half := len(units) / 2
	f.play(tracks, units[:half], 4)
	f.settle()
	hint := f.check().Hint
	if _, err := os.Stat(filepath.Join(dir, hint)); err == nil {
		t.Fatalf("the hinted part %s is there already", hint)
	}
	hinted := make(chan error, 1)
	go func() { hinted <- f.v.WaitFile(context.Background(), hint) }()
	f.hub.Write(units[half])
	f.play(nil, units[half+1:], 4)
	f.settle()
	for w, ch := range waits {
		select {
		case a := <-ch:
			if a.err != nil {
				t.Errorf("Wait%v: %v", w, a.err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Wait%v never returned", w)
		}
	}
	if err := <-hinted; err != nil {
		t.Errorf("WaitFile of a hinted part: %v", err)
	}
	if err := f.v.WaitFile(context.Background(), "part_009999.m4s"); !errors.Is(err, hls.ErrNotLive) {
		t.Errorf("WaitFile of a part far ahead: %v, want ErrNotLive", err)
	}
	live := f.check()
	if b, _ := os.ReadFile(filepath.Join(dir, hls.Playlist)); testing.Verbose() {
		t.Logf("%s", b)
	}
	if live.Ended || live.Hint == "" || len(live.Open) == 0 && len(live.Segments[len(live.Segments)-1].Parts) == 0 {
		t.Fatalf("live playlist: ended %t, hint %q, %d open parts", live.Ended, live.Hint, len(live.Open))
	}
	if live.PartTarget != 0.5 || live.PartHoldBack < 1.5 {
		t.Errorf("PART-TARGET %.3f, PART-HOLD-BACK %.3f", live.PartTarget, live.PartHoldBack)
	}

	m := f.finish()
	if len(m.Segments) != 4 {
		t.Fatalf("%d segments, want 4", len(m.Segments))
	}
	withParts := 0
	for _, s := range m.Segments {
		if s.Map == "" {
			t.Fatalf("segment %s has no EXT-X-MAP", s.URI)
		}
		if len(s.Parts) == 0 {
			continue
		}
		withParts++
		if !s.Parts[0].Independent {
			t.Errorf("segment %s: its first part is not INDEPENDENT", s.URI)
		}
		for _, p := range s.Parts {
			if key := startsWithKeyframe(t, filepath.Join(dir, p.URI)); key != p.Independent {
				t.Errorf("part %s: INDEPENDENT %t, and its first frame is a keyframe: %t", p.URI, p.Independent, key)
			}
		}
		got := ffprobe(t, concat(t, dir, s.Map, s.Parts[1].URI))
		if !strings.Contains(got, "h264") || !strings.Contains(got, "aac") {
			t.Errorf("ffprobe init+%s: %q", s.Parts[1].URI, got)
		}
	}
	if withParts == 0 {
		t.Error("no segment lists its parts")
	}
	for _, s := range m.Segments {
		got := ffprobe(t, concat(t, dir, s.Map, s.URI))
		if !strings.Contains(got, "h264") || !strings.Contains(got, "aac") {
			t.Errorf("ffprobe init+%s: %q", s.URI, got)
		}
	}
	if n := decode(t, filepath.Join(dir, hls.Playlist)); n < 15*7 {
		t.Errorf("ffmpeg decoded %d frames of the CMAF playlist", n)
	}
}

// TestDeltaUpdate: with a window of more than twelve target durations an
// LL-HLS variant offers delta updates (CAN-SKIP-UNTIL, six target
// durations) and writes the delta beside the playlist: the same playlist
// with the segments older than the skip boundary as one EXT-X-SKIP.
func TestDeltaUpdate(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	dir := filepath.Join(t.TempDir(), "ll")
	f := newFeeder(t, hls.VariantConfig{Dir: dir, Format: hls.CMAF, Segment: 2 * time.Second, Window: 30 * time.Second, Part: 500 * time.Millisecond})
	f.play(tracks, units, 0)
	f.hub.End() // a publisher that comes back
	f.play(tracks, after(units, units), 0)
	f.settle()
	full := f.check()
	b, err := os.ReadFile(filepath.Join(dir, hls.DeltaPlaylist(hls.Playlist)))
	if err != nil {
		t.Fatal(err)
	}
	delta, err := hlstest.ParseMedia(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if full.CanSkipUntil != 12 || delta.Version != 9 || delta.Skipped == 0 || delta.Seq != full.Seq ||
		len(delta.Segments) != len(full.Segments)-delta.Skipped || delta.Segments[0].URI != full.Segments[delta.Skipped].URI ||
		delta.Hint != full.Hint || len(delta.Open) != len(full.Open) {
		t.Fatalf("full playlist skips until %.1f s; delta:\n%s", full.CanSkipUntil, b)
	}
	var kept float64
	for _, s := range delta.Segments {
		kept += s.Duration
	}
	if kept < 12 || kept > 14 {
		t.Errorf("the delta keeps %.1f s of segments, want the last 12 s", kept)
	}
}
