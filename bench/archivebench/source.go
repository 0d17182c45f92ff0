package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"onair/bench/internal/benchkit"
)

// The clip the long source repeats: 720p30 H.264 at about 3 Mbit/s with a
// keyframe every 2 s (so that every repeat starts on one), and AAC.
const (
	clipSeconds = 10
	clipVideo   = "3000k"
	clipAudio   = "128k"
	clipFPS     = 30
	clipGOP     = 2 // seconds
)

var sourceClip = benchkit.TestClip{Seconds: clipSeconds, FPS: clipFPS, GOP: clipGOP, Video: clipVideo, Audio: clipAudio, Bufsize: "6000k"}

// source is the long FLV every run publishes, made once and kept in the
// cache directory.
type source struct {
	file    string
	seconds float64 // as ffprobe reads it
	size    int64
}

// makeSource returns the FLV of length d in cache, making it first when it
// is not there: the clip encoded once, then repeated by the concat demuxer
// with a stream copy. Names carry the settings, so that a change makes new
// files. The clip is an MP4, whose edit list makes it last exactly
// clipSeconds; an FLV clip starts its streams late and would leave a gap
// at every join.
func makeSource(ffmpeg, cache string, d time.Duration) (source, error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return source{}, err
	}
	clip := filepath.Join(cache, sourceClip.Name("archivebench"))
	long := strings.TrimSuffix(clip, fmt.Sprintf("-%ds.mp4", clipSeconds)) + fmt.Sprintf("-%ds.flv", int(d.Seconds()))
	if s, err := probe(long); err == nil {
		return s, nil
	}
	if _, err := os.Stat(clip); err != nil {
		fmt.Printf("source: encoding the %d s clip once: %s\n", clipSeconds, clip)
		if err := sourceClip.Encode(ffmpeg, clip); err != nil {
			return source{}, fmt.Errorf("encoding the clip: %w", err)
		}
	}
	repeats := int((d + clipSeconds*time.Second - 1) / (clipSeconds * time.Second))
	fmt.Printf("source: building %s once, the clip %d times with the concat demuxer\n", long, repeats)
	list := long + ".txt"
	if err := benchkit.ConcatList(list, clip, repeats); err != nil {
		return source{}, err
	}
	defer os.Remove(list)
	if err := benchkit.FFmpegTo(ffmpeg, long, "-f", "concat", "-safe", "0", "-i", list,
		"-t", strconv.FormatFloat(d.Seconds(), 'f', -1, 64), "-c", "copy", "-f", "flv"); err != nil {
		return source{}, fmt.Errorf("building the source: %w", err)
	}
	return probe(long)
}

func probe(file string) (source, error) {
	st, err := os.Stat(file)
	if err != nil {
		return source{}, err
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file).Output()
	if err != nil {
		return source{}, fmt.Errorf("probing %s: %w", file, err)
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		return source{}, fmt.Errorf("probing %s: duration %q", file, out)
	}
	return source{file: file, seconds: secs, size: st.Size()}, nil
}

func (s source) describe() string {
	return fmt.Sprintf("%s: %.1f s of 1280x720@%d H.264 + AAC, %.0f MB, %.2f Mbit/s, a keyframe every %d s",
		s.file, s.seconds, clipFPS, float64(s.size)/1e6, float64(s.size)*8/s.seconds/1e6, clipGOP)
}

// publisher sends the whole source to url without encoding it: as fast as
// the server takes it (no -re) when rate is 0, else at rate times real time.
func (s source) publisher(ffmpeg, url string, rate float64) *exec.Cmd {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error"}
	if rate > 0 {
		args = append(args, "-readrate", strconv.FormatFloat(rate, 'f', -1, 64))
	}
	return exec.Command(ffmpeg, append(args, "-i", s.file, "-c", "copy", "-f", "flv", url)...)
}
