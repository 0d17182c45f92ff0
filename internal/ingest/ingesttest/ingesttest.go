// Package ingesttest publishes to an RTMP server the way encoders that
// ffmpeg 5.1 cannot stand in for do: H.265 over Enhanced RTMP, as OBS 30+
// sends it, on gortmplib's client, from an MPEG-TS file that ffmpeg makes.
// Tests of the ingest and end-to-end tests share it.
package ingesttest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	rtmpcodecs "github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"onair/internal/media"
	"onair/internal/testutil/fftest"
)

// MakeTS has ffmpeg encode seconds of a 320x180, 15 fps test pattern with a
// tone into an MPEG-TS file in dir: video with vcodec ("libx265" or
// "libx264", a keyframe every second, B-frames, parameter sets at every
// keyframe), and AAC audio. It returns the file's path.
func MakeTS(t testing.TB, dir, vcodec string, seconds int) string {
	t.Helper()
	ffmpeg, _ := fftest.Tools(t)
	file := filepath.Join(dir, fmt.Sprintf("%s-%ds.ts", vcodec, seconds))
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
		"-t", fmt.Sprint(seconds), "-c:v", vcodec, "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "15"}
	switch vcodec {
	case "libx265":
		args = append(args, "-x265-params", "log-level=error:keyint=15:min-keyint=15:scenecut=0:bframes=2:repeat-headers=1")
	default:
		args = append(args, "-bf", "2")
	}
	args = append(args, "-c:a", "aac", "-f", "mpegts", file)
	if out, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg making %s: %v\n%s", file, err, out)
	}
	return file
}

// Publisher publishes one MPEG-TS file's H.264 or H.265 video and AAC audio
// over RTMP. gortmplib's writer sends H.264 as legacy RTMP and H.265 over
// Enhanced RTMP (a VideoExSequenceStart with the hvcC, then coded frames), as
// OBS 30+ does.
type Publisher struct {
	// URL is where to publish: rtmp://host:port/app/name[?query]. The first
	// path segment is the app, the rest the stream name, as ffmpeg splits it.
	URL string
	// File is an MPEG-TS file, such as MakeTS makes.
	File string
	// Fast sends the file as fast as the server takes it instead of at its pace.
	Fast bool
}

// VideoConfig is the video codec of an MPEG-TS file with the first
// parameter sets it carries, as an ingest of it should announce them:
// *media.H264 or *media.H265.
func VideoConfig(file string) (media.Codec, error) {
	_, video, _, err := readTS(file)
	if err != nil {
		return nil, err
	}
	switch c := video.Codec.(type) {
	case *rtmpcodecs.H265:
		return &media.H265{VPS: c.VPS, SPS: c.SPS, PPS: c.PPS}, nil
	case *rtmpcodecs.H264:
		return &media.H264{SPS: c.SPS, PPS: c.PPS}, nil
	}
	return nil, fmt.Errorf("%s: no H.264 or H.265 video", file)
}

// unit is one access unit of the file, on a timeline starting at 0.
type unit struct {
	video    bool
	pts, dts time.Duration
	au       [][]byte
}

// Run publishes the file, then unpublishes and hangs up. It returns early
// with an error when ctx ends, or the server refuses or ends the stream (the
// error then has what it said, if anything).
func (p *Publisher) Run(ctx context.Context) error {
	units, video, audio, err := readTS(p.File)
	if err != nil {
		return err
	}
	u, err := publishURL(p.URL)
	if err != nil {
		return err
	}
	c := &gortmplib.Client{URL: u, Publish: true}
	if err := c.Initialize(ctx); err != nil {
		return fmt.Errorf("publishing to %s: %w", p.URL, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	status := make(chan error, 1)
	go func() { status <- readStatus(c) }() // ends when c closes

	var tracks []*gortmplib.Track
	if video != nil {
		tracks = append(tracks, video)
	}
	if audio != nil {
		tracks = append(tracks, audio)
	}
	w := &gortmplib.Writer{Conn: c, Tracks: tracks}
	if err := w.Initialize(); err != nil {
		return p.failed(ctx, status, err)
	}
	start := time.Now()
	for _, x := range units {
		if !p.Fast {
			if d := time.Until(start.Add(x.dts)); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return ctx.Err()
				case err := <-status:
					return err
				}
			}
		}
		switch {
		case x.video:
			if _, hevc := video.Codec.(*rtmpcodecs.H265); hevc {
				err = w.WriteH265(video, x.pts, x.dts, x.au)
			} else {
				err = w.WriteH264(video, x.pts, x.dts, x.au)
			}
		default:
			err = w.WriteMPEG4Audio(audio, x.pts, x.au[0])
		}
		if err != nil {
			return p.failed(ctx, status, err)
		}
	}
	for _, name := range []string{"FCUnpublish", "deleteStream"} {
		c.Write(&message.CommandAMF0{ChunkStreamID: 3, Name: name, Arguments: []any{nil, float64(1)}})
	}
	return nil
}

// failed prefers what the server said, if it said something, to the write error it caused.
func (p *Publisher) failed(ctx context.Context, status <-chan error, err error) error {
	select {
	case s := <-status:
		if s != nil {
			return s
		}
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
	return err
}

// readStatus reads what the server sends until it fails: an error status, or
// the connection's end.
func readStatus(c *gortmplib.Client) error {
	for {
		msg, err := c.Read()
		if err != nil {
			return fmt.Errorf("connection: %w", err)
		}
		cmd, ok := msg.(*message.CommandAMF0)
		if !ok || cmd.Name != "onStatus" || len(cmd.Arguments) < 2 {
			continue
		}
		if info, ok := cmd.Arguments[1].(interface {
			GetString(string) (string, bool)
		}); ok {
			if level, _ := info.GetString("level"); level == "error" {
				code, _ := info.GetString("code")
				desc, _ := info.GetString("description")
				return fmt.Errorf("server: %s: %s", code, desc)
			}
		}
	}
}

// publishURL turns rtmp://host/app/name?q into gortmplib's form, which takes
// the stream name from the fragment: rtmp://host/app#name?q.
func publishURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	app, name, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if u.RawQuery != "" {
		name += "?" + u.RawQuery
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/" + app, Fragment: name}, nil
}

// readTS reads a whole MPEG-TS file's video and audio units, in decode order,
// with their timestamps from the first one on, and the tracks to announce.
func readTS(file string) ([]unit, *gortmplib.Track, *gortmplib.Track, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	r := &mpegts.Reader{R: bufio.NewReader(f)}
	if err := r.Initialize(); err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	var units []unit
	var video, audio *gortmplib.Track
	ticks := func(v int64) time.Duration { return time.Duration(v) * time.Second / 90000 }
	// onVideo collects a video track's units, and its parameter sets through keep.
	onVideo := func(keep func(nalu []byte)) func(pts, dts int64, au [][]byte) error {
		return func(pts, dts int64, au [][]byte) error {
			for _, nalu := range au {
				keep(nalu)
			}
			units = append(units, unit{video: true, pts: ticks(pts), dts: ticks(dts), au: au})
			return nil
		}
	}
	for _, tr := range r.Tracks() {
		switch codec := tr.Codec.(type) {
		case *tscodecs.H265:
			h := &rtmpcodecs.H265{}
			video = &gortmplib.Track{Codec: h}
			r.OnDataH265(tr, onVideo(func(nalu []byte) {
				switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
				case h265.NALUType_VPS_NUT:
					h.VPS = firstOf(h.VPS, nalu)
				case h265.NALUType_SPS_NUT:
					h.SPS = firstOf(h.SPS, nalu)
				case h265.NALUType_PPS_NUT:
					h.PPS = firstOf(h.PPS, nalu)
				}
			}))
		case *tscodecs.H264:
			h := &rtmpcodecs.H264{}
			video = &gortmplib.Track{Codec: h}
			r.OnDataH264(tr, onVideo(func(nalu []byte) {
				switch h264.NALUType(nalu[0] & 0x1f) {
				case h264.NALUTypeSPS:
					h.SPS = firstOf(h.SPS, nalu)
				case h264.NALUTypePPS:
					h.PPS = firstOf(h.PPS, nalu)
				}
			}))
		case *tscodecs.MPEG4Audio:
			cfg := codec.Config
			audio = &gortmplib.Track{Codec: &rtmpcodecs.MPEG4Audio{Config: &cfg}}
			frame := time.Duration(mpeg4audio.SamplesPerAccessUnit) * time.Second / time.Duration(cfg.SampleRate)
			r.OnDataMPEG4Audio(tr, func(pts int64, aus [][]byte) error {
				for i, au := range aus {
					t := ticks(pts) + time.Duration(i)*frame
					units = append(units, unit{pts: t, dts: t, au: [][]byte{au}})
				}
				return nil
			})
		}
	}
	for {
		if err := r.Read(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	if len(units) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no H.264, H.265 or AAC units", file)
	}
	slices.SortStableFunc(units, func(a, b unit) int { return int(a.dts - b.dts) })
	base := units[0].dts
	for i := range units {
		units[i].pts -= base
		units[i].dts -= base
	}
	return units, video, audio, nil
}

func firstOf(have, nalu []byte) []byte {
	if have != nil {
		return have
	}
	return nalu
}
