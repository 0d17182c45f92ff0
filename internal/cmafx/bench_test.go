package cmafx

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// benchSegment is a 2 s 1280x720 H.264 segment at about 3 Mbit/s with its
// init, in ffmpeg's fMP4, as a 720p rung of a ladder would be.
func benchSegment(b *testing.B) (init, seg []byte) {
	b.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		b.Skip("no ffmpeg")
	}
	dir := b.TempDir()
	out, err := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000",
		"-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "3M", "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac",
		"-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
		"-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", filepath.Join(dir, "s%d.m4s"), filepath.Join(dir, "i.m3u8")).CombinedOutput()
	if err != nil {
		b.Fatalf("ffmpeg: %v %s", err, out)
	}
	init, err = os.ReadFile(filepath.Join(dir, "init.mp4"))
	if err == nil {
		seg, err = os.ReadFile(filepath.Join(dir, "s0.m4s"))
	}
	if err != nil || !strings.Contains(string(init), "avc1") {
		b.Fatalf("the fixture: %v", err)
	}
	return init, seg
}

// BenchmarkSplitProtect is what a playout profile costs per segment the
// first time a player asks for it (later requests are served from the
// cache): the video track split out of a muxed 720p segment, then
// encrypted with cenc or cbcs.
func BenchmarkSplitProtect(b *testing.B) {
	init, seg := benchSegment(b)
	vinit, err := SplitInit(init, 1)
	if err != nil {
		b.Fatal(err)
	}
	k := Key{KID: [16]byte{1}, Key: [16]byte{2}, IV: [16]byte{3}}
	b.Run("split", func(b *testing.B) {
		b.SetBytes(int64(len(seg)))
		for b.Loop() {
			if _, err := SplitSegment(seg, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, scheme := range []string{"cenc", "cbcs"} {
		p, _, err := NewProtector(vinit, k, scheme, nil)
		if err != nil {
			b.Fatal(err)
		}
		video, err := SplitSegment(seg, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(scheme, func(b *testing.B) {
			b.SetBytes(int64(len(video)))
			for b.Loop() {
				if _, err := p.Segment(video); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
