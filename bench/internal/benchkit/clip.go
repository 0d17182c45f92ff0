package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// TestClip is a 1280x720 test pattern with a tone, encoded as a camera's
// encoder would send it: H.264 at a steady bitrate with a keyframe every
// GOP seconds, and AAC.
type TestClip struct {
	Seconds, FPS, GOP int
	Video, Audio      string // bitrates, such as 3900k and 128k
	Bufsize           string
	// Noise over the pattern keeps x264 at its bitrate, as a camera's
	// picture would; without it a still pattern costs far less.
	Noise bool
}

// Name is a file name that carries the clip's settings, so that a change
// of settings makes a new file.
func (c TestClip) Name(prefix string) string {
	return fmt.Sprintf("%s-720p%d-%s-%s-gop%d-%ds.mp4", prefix, c.FPS, c.Video, c.Audio, c.GOP, c.Seconds)
}

// Encode writes the clip to out, an MP4 (whose edit list makes it last
// exactly Seconds), through a temporary file renamed into place, so that
// an interrupted run leaves nothing a later one would take for it.
func (c TestClip) Encode(ffmpeg, out string) error {
	gop := strconv.Itoa(c.FPS * c.GOP)
	args := []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=1280x720:rate=%d", c.FPS),
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", strconv.Itoa(c.Seconds)}
	if c.Noise {
		args = append(args, "-vf", "noise=alls=8:allf=t")
	}
	args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
		"-b:v", c.Video, "-maxrate", c.Video, "-bufsize", c.Bufsize,
		"-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
		"-c:a", "aac", "-b:a", c.Audio, "-ac", "2", "-movflags", "+faststart", "-f", "mp4")
	return FFmpegTo(ffmpeg, out, args...)
}

// FFmpegTo runs ffmpeg with args, writing out through a temporary file
// renamed into place once whole.
func FFmpegTo(ffmpeg, out string, args ...string) error {
	tmp := out + ".tmp"
	args = append(append([]string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y"}, args...), tmp)
	if b, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(b)))
	}
	return os.Rename(tmp, out)
}

// ConcatList writes the concat demuxer's list of file repeated n times:
// a long source made of a short one, back to back, with a stream copy.
func ConcatList(list, file string, n int) error {
	var b strings.Builder
	for range n {
		fmt.Fprintf(&b, "file '%s'\n", file)
	}
	return os.WriteFile(list, []byte(b.String()), 0o644)
}
