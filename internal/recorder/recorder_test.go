package recorder

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onair/internal/clip"
	"onair/internal/hls/hlstest"
	"onair/internal/media"
	"onair/internal/testutil/fftest"
)

// tsSource makes seconds of a 320x180 test pattern at 15 fps with a tone, a
// keyframe each second, as MPEG-TS whose timestamps start at offset seconds
// (as a restarted encoder's continue the run's timeline).
func tsSource(t *testing.T, seconds int, offset float64) []byte {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", fmt.Sprint(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-output_ts_offset", fmt.Sprint(offset), "-f", "mpegts", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	return out
}

// record runs the recorder on a hub that the sources are written into, one
// after the other, as a run's encoder instances write theirs.
func record(t *testing.T, r *Recorder, sources ...[]byte) error {
	t.Helper()
	h := media.NewHub(media.HubOptions{})
	rd := h.Subscribe("recorder", 1<<20)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), rd) }()
	for _, src := range sources {
		if err := media.ReadTS(bytes.NewReader(src), h); err != nil {
			t.Fatal(err)
		}
	}
	h.Close()
	return <-done
}

func playlist(t *testing.T, dir string) (segs []clip.Segment, ended bool, raw string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, Playlist))
	if err != nil {
		t.Fatal(err)
	}
	segs, ended, err = clip.Parse(b)
	if err != nil {
		t.Fatalf("the playlist does not parse: %v\n%s", err, b)
	}
	return segs, ended, string(b)
}

// TestSourcesAndCuts: two sources, the first cut short in the middle of a
// packet (its ffmpeg killed), make one archive that lists every segment
// written, cut at the target length, with a discontinuity where the second
// source starts; the playlist ends once finished, and ffmpeg reads it whole.
func TestSourcesAndCuts(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir, 2*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := tsSource(t, 7, 10)
	cut := first[:len(first)*5/7+100] // about 5 s, not on a packet boundary
	if err := record(t, r, cut); err != nil {
		t.Fatal(err)
	}
	segs, ended, raw := playlist(t, dir)
	if ended || len(segs) != 3 || math.Abs(segs[0].Duration-2) > 0.01 || math.Abs(segs[1].Duration-2) > 0.01 {
		t.Fatalf("after the first source: %d segments, ended %v:\n%s", len(segs), ended, raw)
	}
	if last := segs[2].Duration; last < 0.5 || last > 1.5 {
		t.Errorf("the killed source's last segment lasts %.2f s, want about 1 s:\n%s", last, raw)
	}
	end1, ok := r.End()
	if !ok || math.Abs(end1.Seconds()-(10+1.4+5)) > 0.5 { // ffmpeg's MPEG-TS muxer delays by 1.4 s
		t.Errorf("End after the first source = %s, %v", end1, ok)
	}

	if err := record(t, r, tsSource(t, 3, 20)); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	segs, ended, raw = playlist(t, dir)
	if !ended || len(segs) != 5 || !segs[3].Discontinuity || segs[1].Discontinuity || segs[4].Discontinuity {
		t.Fatalf("after the second source: %d segments, ended %v:\n%s", len(segs), ended, raw)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "seg_*.ts"))
	if len(files) != len(segs) {
		t.Errorf("%d segment files, %d listed", len(files), len(segs))
	}
	if total := clip.Total(segs); math.Abs(total-8) > 0.3 {
		t.Errorf("the archive lists %.2f s, want the 5 s and 3 s recorded", total)
	}
	if err := record(t, r, first); err == nil {
		t.Error("a finished recorder took another source")
	}
	_, ffprobe := fftest.Tools(t)
	out, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", filepath.Join(dir, Playlist)).Output()
	if err != nil {
		t.Fatalf("ffprobe of the playlist: %v", err)
	}
	t.Logf("ffprobe: %s s", strings.TrimSpace(string(out)))
}

// TestResumeListsTheUnfinishedSegment: a process died while writing a
// segment; the next one to open the archive lists it, with its duration,
// numbers the next segment after it, and starts it after a discontinuity.
func TestResumeListsTheUnfinishedSegment(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir, 2*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := tsSource(t, 5, 0)
	if err := record(t, r, src); err != nil {
		t.Fatal(err)
	}
	// What the dead process left: three segments listed, and a fourth it was
	// writing, cut short.
	partial := filepath.Join(dir, "seg_000003.ts")
	if err := os.WriteFile(partial, src[:len(src)*3/5+50], 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "seg_000004.ts"), nil, 0o644) // opened, nothing written

	r, err = Open(dir, 2*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	segs, _, raw := playlist(t, dir)
	if len(segs) != 4 || segs[3].URI != "seg_000003.ts" || segs[3].Duration < 2.5 || segs[3].Duration > 3.5 {
		t.Fatalf("after the resume:\n%s", raw)
	}
	if _, err := os.Stat(filepath.Join(dir, "seg_000004.ts")); !os.IsNotExist(err) {
		t.Error("the empty segment file is still there")
	}
	if end, ok := r.End(); !ok || math.Abs(end.Seconds()-(1.4+3)) > 0.5 {
		t.Errorf("End = %s, %v; want where the unfinished segment ends", end, ok)
	}
	if err := record(t, r, tsSource(t, 2, 10)); err != nil {
		t.Fatal(err)
	}
	segs, _, raw = playlist(t, dir)
	if len(segs) != 5 || segs[4].URI != "seg_000005.ts" || !segs[4].Discontinuity {
		t.Fatalf("the next source's segment:\n%s", raw)
	}
}

// TestSpan reads a segment's timing, and refuses what holds no frame.
func TestSpan(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.ts")
	src := tsSource(t, 3, 5)
	os.WriteFile(file, src, 0o644)
	start, end, ok := Span(file)
	if !ok || math.Abs(float64(start)/clockRate-6.4) > 0.1 || math.Abs(float64(end-start)/clockRate-3) > 0.1 {
		t.Errorf("Span = %d, %d, %v; want 6.4 s to 9.4 s", start, end, ok)
	}
	os.WriteFile(file, src[:100], 0o644)
	if _, _, ok := Span(file); ok {
		t.Error("Span of 100 bytes is ok")
	}
	if _, _, ok := Span(filepath.Join(dir, "none.ts")); ok {
		t.Error("Span of no file is ok")
	}
}

func TestTimestampWrap(t *testing.T) {
	cases := []struct{ a, b, want int64 }{
		{0, 90000, 90000},
		{90000, 0, -90000},
		{tsWrap - 45000, 45000, 90000}, // across the wrap
		{45000, tsWrap - 45000, -90000},
	}
	for _, c := range cases {
		if got := since(c.a, c.b); got != c.want {
			t.Errorf("since(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// FuzzFeed: whatever bytes an encoder sends, reading them into a hub and
// recording them neither panics nor lists a segment that was not written.
func FuzzFeed(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0x47}, 188*3))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		r, err := Open(dir, time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		record(t, r, b)
		r.Finish()
		if raw, err := os.ReadFile(filepath.Join(dir, Playlist)); err == nil {
			segs, _, err := clip.Parse(raw)
			if err != nil {
				t.Fatalf("the playlist does not parse: %v", err)
			}
			for _, s := range segs {
				if _, err := os.Stat(filepath.Join(dir, s.URI)); err != nil {
					t.Fatalf("lists %s, which is not there", s.URI)
				}
			}
		}
	})
}

// TestMP4GrowsWithTheRun: the archive's MP4 is there when the recording
// ends, without a remux: a fragmented MP4 that ffmpeg decodes whole, as long
// as what was recorded (the gap between two sources included); a recorder
// reopened after a crash cuts what was half written and goes on.
func TestMP4GrowsWithTheRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "720p")
	r, err := Open(dir, 2*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := record(t, r, tsSource(t, 4, 10)); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of a fragment: garbage after the last whole one.
	f, _ := os.OpenFile(MP4Of(dir), os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte("\x00\x00\x10\x00moofhalf-written"))
	f.Close()
	if r, err = Open(dir, 2*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	if err := record(t, r, tsSource(t, 3, 20)); err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	d, ok := r.MP4()
	// 4 s from 10 s, then 3 s from 20 s: the MP4 spans 13 s.
	if !ok || d < 12900*time.Millisecond || d > 13200*time.Millisecond {
		t.Fatalf("MP4() = %s, %v; want about 13 s", d, ok)
	}
	ffmpeg, ffprobe := fftest.Tools(t)
	out, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", MP4Of(dir)).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	t.Logf("ffprobe duration: %s", strings.TrimSpace(string(out)))
	if dec, err := exec.Command(ffmpeg, "-v", "error", "-i", MP4Of(dir), "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(dec)) > 0 {
		t.Errorf("ffmpeg does not decode the MP4 cleanly: %v\n%s", err, dec)
	}
	frames, _ := exec.Command(ffprobe, "-v", "error", "-select_streams", "v", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", MP4Of(dir)).Output()
	if n := strings.TrimSpace(string(frames)); n != "105" {
		t.Errorf("the MP4 holds %s video frames, want the 60 + 45 recorded", n)
	}
}

// TestParamsOutOfBand: a source whose keyframes carry no parameter sets
// (RTMP sends them apart, in its codec configuration) still gets archive
// segments that decode on their own.
func TestParamsOutOfBand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "src.ts")
	if err := os.WriteFile(file, tsSource(t, 3, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	tracks, units := hlstest.ReadTS(t, file) // the parameter sets stripped, as ingest hands them
	dir := filepath.Join(t.TempDir(), "source")
	r, err := Open(dir, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := media.NewHub(media.HubOptions{})
	rd := h.Subscribe("recorder", 1<<20)
	done := make(chan error, 1)
	go func() { done <- r.Run(context.Background(), rd) }()
	h.Begin(tracks)
	for _, u := range units {
		h.Write(u)
	}
	h.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
	ffmpeg, _ := fftest.Tools(t)
	if dec, err := exec.Command(ffmpeg, "-v", "error", "-i", filepath.Join(dir, Playlist), "-f", "null", "-").CombinedOutput(); err != nil || len(bytes.TrimSpace(dec)) > 0 {
		t.Errorf("ffmpeg does not decode the archive's segments cleanly: %v\n%.500s", err, dec)
	}
}
