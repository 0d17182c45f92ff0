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

// The source every benchmark publishes: 720p30 H.264 at about 3.9 Mbit/s with
// a keyframe every 2 s, and AAC at 128 kbit/s, 4 Mbit/s in all. Noise over
// the test pattern keeps x264 at its bitrate, as a camera would.
const (
	sourceSeconds = 120
	sourceVideo   = "3900k"
	sourceAudio   = "128k"
	sourceFPS     = 30
	sourceGOP     = 2 // seconds
)

var sourceClip = benchkit.TestClip{Seconds: sourceSeconds, FPS: sourceFPS, GOP: sourceGOP, Video: sourceVideo, Audio: sourceAudio, Bufsize: "7800k", Noise: true}

// source is the file made once and kept in the cache directory.
type source struct {
	ffmpeg  string
	file    string
	seconds int
	bitrate int // bits per second, as ffprobe reads the file
}

func (s source) describe() string {
	return fmt.Sprintf("%s, %d s of 1280x720@%d H.264 + AAC, %.2f Mbit/s, a keyframe every %d s",
		s.file, s.seconds, sourceFPS, float64(s.bitrate)/1e6, sourceGOP)
}

// makeSource returns the source file in cache, making it first when it is
// not there. Its name carries its settings, so that a change makes a new one.
func makeSource(ffmpeg, cache string) (source, error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return source{}, err
	}
	s := source{ffmpeg: ffmpeg, file: filepath.Join(cache, sourceClip.Name("src")), seconds: sourceSeconds}
	if br, err := probeBitrate(s.file); err == nil {
		s.bitrate = br
		return s, nil
	}
	fmt.Printf("source: making %s once (about %d s of encoding)\n", s.file, sourceSeconds/3)
	if err := sourceClip.Encode(ffmpeg, s.file); err != nil {
		return source{}, fmt.Errorf("making the source file: %w", err)
	}
	br, err := probeBitrate(s.file)
	s.bitrate = br
	return s, err
}

func probeBitrate(file string) (int, error) {
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=bit_rate", "-of", "csv=p=0", file).Output()
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// publisher sends seconds of the source to url in real time, as an encoder
// would, without re-encoding it.
func (s source) publisher(url string, seconds int) *exec.Cmd {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-re"}
	if seconds > s.seconds {
		args = append(args, "-stream_loop", "-1")
	}
	args = append(args, "-i", s.file, "-t", strconv.Itoa(seconds), "-c", "copy", "-f", "flv", url)
	return exec.Command(s.ffmpeg, args...)
}

// longPublisher sends seconds of the source, the file repeated back to back
// by the concat demuxer, at rate times real time: a long archive's worth of
// media in a fraction of its length.
func (s source) longPublisher(dir, url string, seconds int, rate float64) (*exec.Cmd, error) {
	list := filepath.Join(dir, "concat.txt")
	if err := benchkit.ConcatList(list, s.file, seconds/s.seconds+1); err != nil {
		return nil, err
	}
	return exec.Command(s.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
		"-readrate", strconv.FormatFloat(rate, 'f', -1, 64), "-f", "concat", "-safe", "0", "-i", list,
		"-t", strconv.Itoa(seconds), "-c", "copy", "-f", "flv", url), nil
}

// publishAll starts one publisher per URL, stagger apart so that n ffmpeg
// start-ups do not land on the same instant, and returns when each started
// and a channel that is closed once all of them exited. Any publisher that
// fails is reported on errs.
func (s source) publishAll(urls []string, seconds int, stagger time.Duration) (t0 []time.Time, done chan struct{}, errs chan error) {
	t0 = make([]time.Time, len(urls))
	done = make(chan struct{})
	errs = make(chan error, len(urls))
	exits := make(chan struct{}, len(urls))
	for i, u := range urls {
		if i > 0 {
			time.Sleep(stagger)
		}
		pub := s.publisher(u, seconds)
		var stderr strings.Builder
		pub.Stderr = &stderr
		t0[i] = time.Now()
		if err := pub.Start(); err != nil {
			errs <- err
			exits <- struct{}{}
			continue
		}
		go func() {
			if err := pub.Wait(); err != nil {
				errs <- fmt.Errorf("publisher %d: %v: %s", i, err, strings.TrimSpace(stderr.String()))
			}
			exits <- struct{}{}
		}()
	}
	go func() {
		for range urls {
			<-exits
		}
		close(done)
	}()
	return t0, done, errs
}
