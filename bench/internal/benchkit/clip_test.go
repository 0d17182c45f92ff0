package benchkit

import (
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestClipEncode: a clip lasts what it says, at 1280x720, and a concat list
// of it plays twice as long.
func TestClipEncode(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("this test needs ffmpeg and ffprobe: apt-get install ffmpeg (make test does)")
	}
	dir := t.TempDir()
	c := TestClip{Seconds: 2, FPS: 30, GOP: 1, Video: "1000k", Audio: "64k", Bufsize: "2000k", Noise: true}
	if name := c.Name("x"); name != "x-720p30-1000k-64k-gop1-2s.mp4" {
		t.Errorf("name %q", name)
	}
	clip := filepath.Join(dir, c.Name("x"))
	if err := c.Encode("ffmpeg", clip); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "list.txt")
	if err := ConcatList(list, clip, 2); err != nil {
		t.Fatal(err)
	}
	long := filepath.Join(dir, "long.flv")
	if err := FFmpegTo("ffmpeg", long, "-f", "concat", "-safe", "0", "-i", list, "-c", "copy", "-f", "flv"); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]float64{clip: 2, long: 4} {
		out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "stream=width,height:format=duration", "-of", "csv=p=0", file).Output()
		if err != nil {
			t.Fatalf("ffprobe %s: %v", file, err)
		}
		lines := strings.Fields(string(out))
		if len(lines) != 2 || lines[0] != "1280,720" {
			t.Errorf("%s: %q, want 1280,720", file, out)
			continue
		}
		if d, _ := strconv.ParseFloat(lines[1], 64); math.Abs(d-want) > 0.2 {
			t.Errorf("%s lasts %g s, want %g", file, d, want)
		}
	}
}
