package ingest

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

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"onair/internal/media"
)

// TestFFmpegPublish publishes three seconds with real ffmpeg and checks what the
// sink received, then that ffmpeg decodes it once written as an MPEG-TS file.
func TestFFmpegPublish(t *testing.T) {
	t.Parallel()
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	cmd, stderr := ffmpegPublish(t, "rtmp://"+addr+"/live/studio-a-7f3c?token=abc", "3")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, stderr)
	}
	s := r.sink(t)
	if closes, err := s.closeResult(t); closes != 1 || err != nil {
		t.Errorf("Sink.Close called %d times, last with %v; want once with nil", closes, err)
	}
	req := r.requests()[0]
	if req.App != "live" || req.Name != "studio-a-7f3c" || req.Path != "live/studio-a-7f3c" || req.Query != "token=abc" ||
		req.TCURL != "rtmp://"+addr+"/live" || req.Remote == nil {
		t.Errorf("request = %+v", req)
	}

	begins, units := s.snapshot()
	if len(begins) != 1 || len(begins[0]) != 2 || begins[0].Video() != 0 || begins[0].Audio() != 1 {
		t.Fatalf("tracks announced: %v", begins)
	}
	avc, ok := begins[0][0].Codec.(*media.H264)
	if !ok {
		t.Fatalf("video track is %T, want H.264", begins[0][0].Codec)
	}
	var sps h264.SPS
	if err := sps.Unmarshal(avc.SPS); err != nil || sps.Width() != 320 || sps.Height() != 180 || len(avc.PPS) == 0 {
		t.Errorf("SPS %dx%d (%v), PPS of %d bytes", sps.Width(), sps.Height(), err, len(avc.PPS))
	}
	if aac := begins[0][1].Codec.(*media.AAC); aac.Config.SampleRate != 44100 {
		t.Errorf("AAC at %d Hz", aac.Config.SampleRate)
	}
	v := stats(units, 0)
	if v.frames < 40 || v.keyframes < 3 || v.span < 2800*time.Millisecond || v.span > 3200*time.Millisecond {
		t.Errorf("video: %+v, want 45 frames over ~3 s, a keyframe a second", v)
	}
	if a := stats(units, 1); a.frames < 100 || a.keyframes != a.frames {
		t.Errorf("audio: %+v, want ~130 frames, all random access", a)
	}

	// What the engine gets must make a valid stream.
	file := writeTS(t, begins[0], units)
	if p := probe(t, file); p.duration < 2.8 || p.duration > 3.3 || p.width != 320 || p.height != 180 || p.video != "h264" || p.audio != "aac" {
		t.Errorf("ffprobe: %+v, want ~3 s of 320x180 H.264 with AAC", p)
	}
	decodes(t, file)
}

// TestFFmpegURLForms: every common split of one ingest URL (those of
// internal/server's TestRTMPURLForms) reaches the Router with the same path
// and the query kept apart; a one-second publish is not lost.
func TestFFmpegURLForms(t *testing.T) {
	t.Parallel()
	const key = "0123456789abcdef"
	for _, f := range []struct {
		name, url    string
		opts         []string
		query, name2 string
	}{
		{"as handed out", "/live/" + key, nil, "", key},
		{"OBS server and live/KEY", "/", []string{"-rtmp_playpath", "live/" + key}, "", "live/" + key},
		{"OBS server rtmp://HOST/live/ and KEY", "/live/", []string{"-rtmp_playpath", key}, "", key},
		{"FrontMaster's rtmp://HOST:PORT/KEY", "/" + key, nil, "", ""},
		{"a query on the name", "/live/" + key + "?username=alice&token=t0k", nil, "username=alice&token=t0k", key},
		{"a query on the app", "/live", []string{"-rtmp_app", "live?username=alice", "-rtmp_playpath", key}, "username=alice", key},
	} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			r := newRecRouter()
			_, addr := startServer(t, r, Options{})
			cmd, stderr := ffmpegPublish(t, "rtmp://"+addr+f.url, "1", f.opts...)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, stderr)
			}
			s := r.sink(t)
			s.closeResult(t)
			want := "live/" + key
			if f.name2 == "" {
				want = key
			}
			if req := r.requests()[0]; req.Path != want || req.Query != f.query || req.Name != f.name2 {
				t.Errorf("request = %+v, want path %q, name %q, query %q", req, want, f.name2, f.query)
			}
			if begins, units := s.snapshot(); len(begins) != 1 || stats(units, 0).frames < 10 {
				t.Errorf("%d Begins, %d video frames: a short publish must reach the sink", len(begins), stats(units, 0).frames)
			}
		})
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
	if err := cmd.Wait(); err == nil {
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
				_, units := s.snapshot()
				return stats(units, 0).keyframes > 0
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
			if closes, err := s.closeResult(t); closes != 1 || !errors.Is(err, ErrSinkDone) {
				t.Errorf("Sink.Close called %d times with %v, want once with ErrSinkDone", closes, err)
			}
			if cause != nil && !strings.Contains(stderr.String(), "Server error: "+cause.Error()) {
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
	if len(r.requests()) != 0 {
		t.Errorf("router asked about a play request")
	}
}

type trackStats struct {
	frames, keyframes int
	span              time.Duration // from the first DTS to the last
}

func stats(units []*media.Unit, track int) trackStats {
	var s trackStats
	var first time.Duration
	for _, u := range units {
		if u.Track != track {
			continue
		}
		if s.frames == 0 {
			first = u.DTS
		}
		s.frames++
		if u.Random {
			s.keyframes++
		}
		s.span = u.DTS - first
	}
	return s
}

// writeTS writes what a sink received as an MPEG-TS file, with mediacommon's
// writer, as the engine's consumers will.
func writeTS(t *testing.T, tracks media.Tracks, units []*media.Unit) string {
	t.Helper()
	var buf bytes.Buffer
	ts := make([]*mpegts.Track, len(tracks))
	for i, tr := range tracks {
		switch c := tr.Codec.(type) {
		case *media.H264:
			ts[i] = &mpegts.Track{Codec: &tscodecs.H264{}}
		case *media.H265:
			ts[i] = &mpegts.Track{Codec: &tscodecs.H265{}}
		case *media.AAC:
			ts[i] = &mpegts.Track{Codec: &tscodecs.MPEG4Audio{Config: c.Config}}
		}
	}
	w := &mpegts.Writer{W: &buf, Tracks: ts}
	if err := w.Initialize(); err != nil {
		t.Fatal(err)
	}
	ticks := func(d time.Duration) int64 { return int64(d * 90000 / time.Second) }
	for _, u := range units {
		// RTMP carries parameter sets in the sequence header; TS in band,
		// before every keyframe, as a packager puts them.
		var err error
		switch c := tracks[u.Track].Codec.(type) {
		case *media.H264:
			au := u.AU
			if u.Random {
				au = append([][]byte{c.SPS, c.PPS}, au...)
			}
			err = w.WriteH264(ts[u.Track], ticks(u.PTS), ticks(u.DTS), au)
		case *media.H265:
			au := u.AU
			if u.Random {
				au = append([][]byte{c.VPS, c.SPS, c.PPS}, au...)
			}
			err = w.WriteH265(ts[u.Track], ticks(u.PTS), ticks(u.DTS), au)
		case *media.AAC:
			err = w.WriteMPEG4Audio(ts[u.Track], ticks(u.PTS), u.AU)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "received.ts")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// decodes checks that ffmpeg decodes a file without a complaint.
func decodes(t *testing.T, file string) {
	t.Helper()
	out, err := exec.Command(tool(t, "ffmpeg"), "-v", "error", "-i", file, "-f", "null", "-").CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("decoding the received stream: %v\n%s", err, out)
	}
}

type probed struct {
	duration      float64
	width, height int
	video, audio  string // codec names
}

func probe(t *testing.T, file string) probed {
	t.Helper()
	out, err := exec.Command(tool(t, "ffprobe"), "-v", "error", "-show_entries",
		"format=duration:stream=codec_type,codec_name,width,height", "-of", "json", file).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var v struct {
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
		Streams []struct {
			CodecType     string `json:"codec_type"`
			CodecName     string `json:"codec_name"`
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
			p.width, p.height, p.video = s.Width, s.Height, s.CodecName
		case "audio":
			p.audio = s.CodecName
		}
	}
	return p
}
