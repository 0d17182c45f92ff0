package clip

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"onair/internal/testutil/fftest"
)

// makeArchive writes an archive as onair's pipeline does: ffmpeg's hls muxer,
// event playlist, 2 s segments of 160x90@15 with a keyframe each second. More
// args are added before the output, such as a restart's hls_flags.
func makeArchive(t *testing.T, dir string, seconds int, more ...string) {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=160x90:rate=15", "-f", "lavfi", "-i", "sine",
		"-t", fmt.Sprint(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-c:a", "aac",
		"-f", "hls", "-hls_time", "2", "-hls_list_size", "0", "-hls_playlist_type", "event",
		"-hls_segment_filename", filepath.Join(dir, "seg_%06d.ts")}
	args = append(append(args, more...), filepath.Join(dir, "index.m3u8"))
	if out, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
		t.Fatalf("generating the archive: %v: %s", err, out)
	}
}

func readArchive(t *testing.T, dir string) ([]Segment, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	segs, ended, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return segs, ended
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// playlistURIs returns the segment URIs a clip playlist on disk lists.
func playlistURIs(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	segs, ended, err := Parse(b)
	if err != nil || !ended {
		t.Fatalf("%s: %v, ended %v", filepath.Base(file), err, ended)
	}
	var uris []string
	for _, s := range segs {
		uris = append(uris, s.URI)
	}
	return uris
}

func segNames(from, to int) []string {
	var names []string
	for i := from; i <= to; i++ {
		names = append(names, fmt.Sprintf("seg_%06d.ts", i))
	}
	return names
}

// decodes fails the test unless ffmpeg decodes file to the end without an error.
func decodes(t *testing.T, file string) {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	out, err := exec.Command(ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-i", file, "-f", "null", "-").CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("decoding %s: %v: %s", filepath.Base(file), err, out)
	}
}

// streams returns the codec types of a media file's streams, as ffprobe sees them.
func streams(t *testing.T, file string) string {
	t.Helper()
	_, ffprobe := fftest.Tools(t)
	out, err := exec.Command(ffprobe, "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", file, err)
	}
	return strings.Join(strings.Fields(string(out)), ",")
}

// frames returns the MD5 of each decoded video frame of a media file.
func frames(t *testing.T, file string) []string {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	out, err := exec.Command(ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-i", file, "-map", "0:v", "-f", "framemd5", "-").Output()
	if err != nil {
		t.Fatalf("framemd5 %s: %v", filepath.Base(file), err)
	}
	var sums []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ","); len(f) == 6 && !strings.HasPrefix(line, "#") {
			sums = append(sums, strings.TrimSpace(f[5]))
		}
	}
	return sums
}

func TestSplitWithFFmpeg(t *testing.T) {
	dir := t.TempDir()
	makeArchive(t, dir, 30)
	segs, ended := readArchive(t, dir)
	if !ended || len(segs) != 15 || math.Abs(Total(segs)-30) > 0.1 {
		t.Fatalf("archive: %d segments, %.3f s, ended %v; want 15, 30 s, ended", len(segs), Total(segs), ended)
	}
	before := listDir(t, dir)

	// Refused requests write nothing, even when some of their sections are good.
	for _, bad := range [][]Section{{{40, 50}}, {{15, 5}}, {{5, 15}, {20, 20}}, {{5, 15}, {28, 40}}} {
		if clips, err := Plan(segs, bad, ""); err == nil {
			t.Fatalf("Plan(%v) accepted: %+v", bad, clips)
		}
	}
	if _, err := Plan(segs, []Section{{5, 15}}, "../x"); err == nil {
		t.Fatal("Plan accepted a modifier with a slash")
	}
	if after := listDir(t, dir); !slices.Equal(after, before) {
		t.Fatalf("refused requests wrote files: %v", after)
	}

	clips, err := Plan(segs, []Section{{5, 15}, {20, 26}, {7.4, 9.4}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePlaylists(dir, clips); err != nil {
		t.Fatal(err)
	}
	wantURIs := [][]string{segNames(2, 7), segNames(10, 12), segNames(3, 4)}
	for i, c := range clips {
		if got := playlistURIs(t, filepath.Join(dir, c.Playlist)); !slices.Equal(got, wantURIs[i]) {
			t.Errorf("%s lists %v, want %v", c.Playlist, got, wantURIs[i])
		}
		decodes(t, filepath.Join(dir, c.Playlist))
	}

	archive := frames(t, filepath.Join(dir, "index.m3u8"))
	for i, want := range []float64{10, 6, 2} {
		c := clips[i]
		mp4 := cut(t, dir, c, archive, want, 2)
		if s := streams(t, mp4); s != "video,audio" {
			t.Errorf("%s has streams %s, want video,audio", c.MP4, s)
		}
		decodes(t, mp4)
	}
	want := slices.Clone(before)
	for _, c := range clips {
		want = append(want, c.Playlist, c.MP4)
	}
	slices.Sort(want)
	if after := listDir(t, dir); !slices.Equal(after, want) {
		t.Fatalf("dir holds %v, want %v (no temporary files)", after, want)
	}
}

// TestSplitDuringSession clips an archive that ffmpeg is still writing (no
// ENDLIST yet) after a restart left a discontinuity in it, with a section that
// ends past what is recorded so far.
func TestSplitDuringSession(t *testing.T) {
	ffmpeg, _ := fftest.Tools(t)
	dir := t.TempDir()
	makeArchive(t, dir, 10)
	makeArchive(t, dir, 10, "-hls_flags", "append_list+discont_start")
	file := filepath.Join(dir, "index.m3u8")
	b, _ := os.ReadFile(file)
	if err := os.WriteFile(file, []byte(strings.Replace(string(b), "#EXT-X-ENDLIST\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	segs, ended := readArchive(t, dir)
	if ended || len(segs) != 10 || !segs[5].Discontinuity {
		t.Fatalf("archive: %d segments, ended %v, %+v; want 10 with a discontinuity at the 6th, not ended", len(segs), ended, segs)
	}

	clips, err := Plan(segs, []Section{{6, 16}, {11, 15}, {15, 21}}, "live")
	if err != nil {
		t.Fatal(err)
	}
	if clips[2].Section.End != Total(segs) {
		t.Fatalf("section past the end cut as %v, want it to end at %g", clips[2].Section, Total(segs))
	}
	if err := WritePlaylists(dir, clips); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, clips[0].Playlist)); strings.Count(string(b), "#EXT-X-DISCONTINUITY") != 1 {
		t.Fatalf("%s lost the discontinuity:\n%s", clips[0].Playlist, b)
	}
	for i, want := range []float64{10, 4, 5} {
		c := clips[i]
		if err := MakeMP4(context.Background(), ffmpeg, dir, c.Playlist, c.MP4, c.Offset, c.Length()); err != nil {
			t.Fatal(err)
		}
		d := fftest.Duration(t, filepath.Join(dir, c.MP4))
		t.Logf("%s: [%g, %g] lasts %.3f s", c.MP4, c.Section.Start, c.Section.End, d)
		if math.Abs(d-want) > 2 {
			t.Errorf("%s lasts %.3f s, want %g s within one segment (2 s)", c.MP4, d, want)
		}
	}
}

func TestMakeMP4Failures(t *testing.T) {
	ffmpeg, _ := fftest.Tools(t)
	dir := t.TempDir()
	err := MakeMP4(context.Background(), ffmpeg, dir, "missing.m3u8", "missing.mp4", 0, 5)
	if err == nil || !strings.Contains(err.Error(), "missing.m3u8") {
		t.Fatalf("err = %v, want ffmpeg's word on the missing playlist", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := MakeMP4(ctx, ffmpeg, dir, "missing.m3u8", "x.mp4", 0, 5); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("cancelled: err = %v", err)
	}
	for _, bad := range [][2]float64{{-1, 5}, {0, 0}, {math.NaN(), 5}} {
		if err := MakeMP4(context.Background(), ffmpeg, dir, "a.m3u8", "a.mp4", bad[0], bad[1]); err == nil {
			t.Errorf("offset %g length %g accepted", bad[0], bad[1])
		}
	}
	if err := MakeMP4(context.Background(), ffmpeg, dir, "../a.m3u8", "a.mp4", 0, 5); err == nil {
		t.Error("a playlist outside dir accepted")
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Fatalf("failures left files: %v", names)
	}
}

// TestSplitInsideLongSegments: with the Streams API's default 300 s archive
// segments, a section inside one segment still gives an MP4 of the section's
// length that starts on its first frame; the clip playlist, made of whole
// segments, lists the segments that hold it.
func TestSplitInsideLongSegments(t *testing.T) {
	dir := t.TempDir()
	makeArchive(t, dir, 310, "-hls_time", "300")
	segs, _ := readArchive(t, dir)
	if len(segs) != 2 || math.Abs(segs[0].Duration-300) > 0.1 {
		t.Fatalf("archive: %+v; want a 300 s segment and a 10 s one", segs)
	}
	clips, err := Plan(segs, []Section{{100, 110}, {7.4, 9.4}, {295, 305}}, "long")
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePlaylists(dir, clips); err != nil {
		t.Fatal(err)
	}
	archive := frames(t, filepath.Join(dir, "index.m3u8"))
	wantURIs := [][]string{segNames(0, 0), segNames(0, 0), segNames(0, 1)}
	for i, want := range []float64{10, 2, 10} {
		c := clips[i]
		if got := playlistURIs(t, filepath.Join(dir, c.Playlist)); !slices.Equal(got, wantURIs[i]) {
			t.Errorf("%s lists %v, want %v", c.Playlist, got, wantURIs[i])
		}
		// Within one keyframe interval (1 s here), not one segment.
		cut(t, dir, c, archive, want, 1)
	}
}

// cut makes a clip's MP4 and checks it against the archive's frames (makeArchive's,
// 15 fps): it lasts want seconds within tolerance, and it starts on the frame
// at the section's start. It returns the MP4's path.
func cut(t *testing.T, dir string, c Clip, archive []string, want, tolerance float64) string {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	if err := MakeMP4(context.Background(), ffmpeg, dir, c.Playlist, c.MP4, c.Offset, c.Length()); err != nil {
		t.Fatal(err)
	}
	mp4 := filepath.Join(dir, c.MP4)
	d := fftest.Duration(t, mp4)
	t.Logf("%s: [%g, %g] lasts %.3f s", c.MP4, c.Section.Start, c.Section.End, d)
	if math.Abs(d-want) > tolerance {
		t.Errorf("%s lasts %.3f s, want %g s within %g s", c.MP4, d, want, tolerance)
	}
	// testsrc draws every frame differently. The MP4 shows the very frame at
	// the section's start, also between keyframes (at 7.4 s, a second holding
	// one): ffmpeg copies from the keyframe before and writes an edit list
	// that starts the presentation at the offset.
	if got, first := frames(t, mp4), int(math.Round(c.Section.Start*15)); len(got) == 0 || got[0] != archive[first] {
		t.Errorf("%s does not start with frame %d of the archive", c.MP4, first)
	}
	return mp4
}
