package rtmp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"onair/internal/flv"
)

// TestFFmpegPublish publishes three seconds with real ffmpeg and checks what the
// sink received, then that ffprobe decodes it once written as an FLV file.
func TestFFmpegPublish(t *testing.T) {
	t.Parallel()
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	cmd, stderr := ffmpegPublish(t, "rtmp://"+addr+"/live/studio-a-7f3c?token=abc", "3")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, stderr)
	}
	s := r.sink(t)
	select {
	case <-s.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Sink.Close not called after ffmpeg exited")
	}

	req := r.reqs[0]
	if req.App != "live" || req.Name != "studio-a-7f3c" || req.Path != "live/studio-a-7f3c" || req.Query != "token=abc" ||
		req.TCURL != "rtmp://"+addr+"/live" || req.Remote == nil {
		t.Errorf("request = %+v", req)
	}

	tags := s.snapshot()
	if len(tags) < 50 {
		t.Fatalf("%d tags", len(tags))
	}
	if tags[0].Type != flv.TagScript || !bytes.HasPrefix(tags[0].Data, []byte("\x02\x00\x0aonMetaData")) {
		t.Errorf("first tag = type %d % x, want onMetaData", tags[0].Type, tags[0].Data[:min(16, len(tags[0].Data))])
	}
	firstOf := map[uint8]flv.Tag{}
	var keyframes int
	var firstVideo, lastVideo uint32
	for _, tag := range tags {
		if _, seen := firstOf[tag.Type]; !seen {
			firstOf[tag.Type] = tag
			if tag.Type == flv.TagVideo {
				firstVideo = tag.Timestamp
			}
		}
		if tag.Type == flv.TagVideo {
			lastVideo = tag.Timestamp
			if flv.IsKeyframe(tag) && !flv.IsSequenceHeader(tag) {
				keyframes++
			}
		}
	}
	if v := firstOf[flv.TagVideo]; !flv.IsSequenceHeader(v) || v.Data[0]&0x0f != 7 {
		t.Errorf("first video tag is not the AVC sequence header: % x", v.Data[:min(8, len(v.Data))])
	}
	if a := firstOf[flv.TagAudio]; !flv.IsSequenceHeader(a) || a.Data[0]>>4 != 10 {
		t.Errorf("first audio tag is not the AAC sequence header: % x", a.Data[:min(8, len(a.Data))])
	}
	if keyframes < 3 {
		t.Errorf("%d keyframes in 3 s at -g 15, 15 fps", keyframes)
	}
	if span := lastVideo - firstVideo; span < 2800 || span > 3200 {
		t.Errorf("video timestamps span %d ms, want about 3000", span)
	}
	s.mu.Lock()
	closes, closeErr := s.closes, s.closeErr
	s.mu.Unlock()
	if closes != 1 || closeErr != nil {
		t.Errorf("Sink.Close called %d times, last with %v; want once with nil", closes, closeErr)
	}

	// What the engine will feed its pipeline must be a valid stream.
	file := filepath.Join(t.TempDir(), "received.flv")
	var buf bytes.Buffer
	w := flv.NewWriter(&buf, true, true)
	for _, tag := range tags {
		if err := w.WriteTag(tag); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p := probe(t, file)
	if p.duration < 2.8 || p.duration > 3.3 || p.width != 320 || p.height != 180 || !p.audio {
		t.Errorf("ffprobe: %+v, want ~3 s of 320x180 with audio", p)
	}
	out, err := exec.Command(tool(t, "ffmpeg"), "-v", "error", "-i", file, "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("decoding the received stream: %v\n%s", err, out)
	}
}

// TestFFmpegRefused checks that ffmpeg gives up at once and shows the Router's reason.
func TestFFmpegRefused(t *testing.T) {
	t.Parallel()
	r := newRecRouter()
	r.refuse = errors.New("unknown stream key")
	_, addr := startServer(t, r, Options{})
	start := time.Now()
	cmd, stderr := ffmpegPublish(t, "rtmp://"+addr+"/live/nope", "10")
	err := cmd.Wait()
	if err == nil {
		t.Fatal("ffmpeg exited 0 after a refusal")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ffmpeg took %s to give up", d)
	}
	if !strings.Contains(stderr.String(), "unknown stream key") {
		t.Errorf("ffmpeg's stderr does not show the reason:\n%s", stderr)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) != 1 || len(r.sinks) != 0 {
		t.Errorf("%d requests, %d sinks", len(r.reqs), len(r.sinks))
	}
}

// TestFFmpegDone checks that closing the sink's Done channel disconnects a live
// publisher, and that the encoder is told the sink's cause when it has one.
func TestFFmpegDone(t *testing.T) {
	t.Parallel()
	for _, cause := range []error{nil, errors.New("the channel could not start: this ffmpeg has no libx264")} {
		t.Run(fmt.Sprint(cause), func(t *testing.T) {
			t.Parallel()
			r := newRecRouter()
			_, addr := startServer(t, r, Options{})
			cmd, stderr := ffmpegPublish(t, "rtmp://"+addr+"/live/k", "30")
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			<-r.got
			s := r.sink(t)
			waitFor(t, 10*time.Second, "a keyframe", func() bool {
				for _, tag := range s.snapshot() {
					if flv.IsKeyframe(tag) && !flv.IsSequenceHeader(tag) {
						return true
					}
				}
				return false
			})
			s.mu.Lock()
			s.cause = cause
			s.mu.Unlock()
			close(s.done)
			select {
			case err := <-exited:
				if err == nil {
					t.Errorf("ffmpeg exited 0 after being disconnected")
				}
			case <-time.After(3 * time.Second):
				t.Fatalf("ffmpeg still running 3 s after Done\n%s", stderr)
			}
			<-s.closed
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closes != 1 || !errors.Is(s.closeErr, ErrSinkDone) {
				t.Errorf("Sink.Close called %d times with %v, want once with ErrSinkDone", s.closes, s.closeErr)
			}
			if cause != nil && !strings.Contains(stderr.String(), cause.Error()) {
				t.Errorf("ffmpeg's stderr does not show the cause %q:\n%s", cause, stderr)
			}
		})
	}
}

// TestFFmpegPlayRefused checks that a player is told this server only ingests.
func TestFFmpegPlayRefused(t *testing.T) {
	t.Parallel()
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	start := time.Now()
	out, err := exec.Command(tool(t, "ffmpeg"), "-hide_banner", "-nostdin", "-rw_timeout", "5000000",
		"-i", "rtmp://"+addr+"/live/k", "-t", "1", "-f", "null", "-").CombinedOutput()
	if err == nil {
		t.Fatalf("ffmpeg played from an ingest server:\n%s", out)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ffmpeg took %s to give up", d)
	}
	if !strings.Contains(string(out), "play is not supported") {
		t.Errorf("ffmpeg's output does not show the reason:\n%s", out)
	}
	if len(r.reqs) != 0 {
		t.Errorf("router asked about a play request")
	}
}

type probed struct {
	duration      float64
	width, height int
	audio         bool
}

func probe(t *testing.T, file string) probed {
	t.Helper()
	out, err := exec.Command(tool(t, "ffprobe"), "-v", "error", "-show_entries",
		"format=duration:stream=codec_type,width,height", "-of", "json", file).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var v struct {
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
		Streams []struct {
			CodecType     string `json:"codec_type"`
			Width, Height int
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("ffprobe output %s: %v", out, err)
	}
	var p probed
	p.duration, _ = strconv.ParseFloat(v.Format.Duration, 64)
	for _, s := range v.Streams {
		switch s.CodecType {
		case "video":
			p.width, p.height = s.Width, s.Height
		case "audio":
			p.audio = true
		}
	}
	return p
}
