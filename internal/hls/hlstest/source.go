package hlstest

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"onair/internal/media"
)

// Encode makes seconds of a 320x180 test pattern at 15 fps with a 48 kHz
// tone as MPEG-TS in file, with a keyframe every gop frames; vcodec is
// libx264 or libx265. It keeps the encode small: tests share two cores.
func Encode(t testing.TB, ffmpeg, file string, seconds, gop int, vcodec string) {
	t.Helper()
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=320x180:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", fmt.Sprint(seconds), "-c:v", vcodec, "-preset", "ultrafast", "-g", fmt.Sprint(gop), "-keyint_min", fmt.Sprint(gop),
		"-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"}
	if vcodec == "libx265" {
		args = append(args, "-x265-params", "log-level=error:keyint="+fmt.Sprint(gop)+":min-keyint="+fmt.Sprint(gop)+":scenecut=0")
	} else {
		args = append(args, "-sc_threshold", "0", "-bf", "2")
	}
	out, err := exec.Command(ffmpeg, append(args, "-f", "mpegts", file)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
}

// ReadTS reads an MPEG-TS file into the tracks and units a hub carries:
// its first H.264 or H.265 track and its first AAC track, the parameter
// sets taken out of the frames (as RTMP carries them, apart).
func ReadTS(t testing.TB, file string) (media.Tracks, []*media.Unit) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := &mpegts.Reader{R: f}
	if err := r.Initialize(); err != nil {
		t.Fatal(err)
	}
	at := media.TSTime
	var (
		units       []*media.Unit
		video       media.Codec
		audio       *media.AAC
		audioIdx    = 1
		haveV, hasA bool
	)
	for _, tr := range r.Tracks() {
		switch c := tr.Codec.(type) {
		case *tscodecs.H264, *tscodecs.H265:
			if haveV {
				continue
			}
			haveV = true
			var cb func(pts, dts int64, au [][]byte) error
			video, cb = videoReader(c, func(u *media.Unit) { units = append(units, u) }, at)
			if _, ok := c.(*tscodecs.H264); ok {
				r.OnDataH264(tr, cb)
			} else {
				r.OnDataH265(tr, cb)
			}
		case *tscodecs.MPEG4Audio:
			if hasA {
				continue
			}
			hasA = true
			audio = &media.AAC{Config: c.Config}
			rate := int64(c.Config.SampleRate)
			r.OnDataMPEG4Audio(tr, func(pts int64, aus [][]byte) error {
				for i, au := range aus {
					d := at(pts) + time.Duration(int64(i)*1024*int64(time.Second)/rate)
					units = append(units, &media.Unit{Track: audioIdx, PTS: d, DTS: d, Random: true, AU: [][]byte{au}})
				}
				return nil
			})
		}
	}
	for r.Read() == nil {
	}
	var tracks media.Tracks
	if video != nil {
		tracks = append(tracks, &media.Track{Codec: video})
	}
	if audio != nil {
		tracks = append(tracks, &media.Track{Codec: audio})
	}
	if video == nil {
		for _, u := range units {
			u.Track = 0
		}
	}
	if len(units) == 0 {
		t.Fatalf("%s holds no media", file)
	}
	return tracks, units
}

// videoReader returns a video track's codec and the callback that reads its
// frames into units (track 0), taking its parameter sets out into the codec.
func videoReader(c tscodecs.Codec, add func(*media.Unit), at func(int64) time.Duration) (media.Codec, func(pts, dts int64, au [][]byte) error) {
	var codec media.Codec
	var params func(n []byte) bool // takes a parameter set or delimiter, false for the rest
	var random func([][]byte) bool
	if _, ok := c.(*tscodecs.H264); ok {
		v := &media.H264{}
		codec, random = v, h264.IsRandomAccess
		params = func(n []byte) bool {
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				v.SPS = n
			case h264.NALUTypePPS:
				v.PPS = n
			case h264.NALUTypeAccessUnitDelimiter:
			default:
				return false
			}
			return true
		}
	} else {
		v := &media.H265{}
		codec, random = v, h265.IsRandomAccess
		params = func(n []byte) bool {
			switch h265.NALUType(n[0] >> 1 & 0x3f) {
			case h265.NALUType_VPS_NUT:
				v.VPS = n
			case h265.NALUType_SPS_NUT:
				v.SPS = n
			case h265.NALUType_PPS_NUT:
				v.PPS = n
			case h265.NALUType_AUD_NUT:
			default:
				return false
			}
			return true
		}
	}
	return codec, func(pts, dts int64, au [][]byte) error {
		var keep [][]byte
		for _, n := range au {
			if !params(n) {
				keep = append(keep, n)
			}
		}
		add(&media.Unit{Track: 0, PTS: at(pts), DTS: at(dts), Random: random(au), AU: keep})
		return nil
	}
}

// IsTS reports whether b looks like MPEG-TS: whole 188-byte packets, each
// starting with the sync byte.
func IsTS(b []byte) bool {
	if len(b) == 0 || len(b)%188 != 0 {
		return false
	}
	for i := 0; i < len(b); i += 188 {
		if b[i] != 0x47 {
			return false
		}
	}
	return true
}

// Shift returns units with their timestamps moved by d.
func Shift(units []*media.Unit, d time.Duration) []*media.Unit {
	out := make([]*media.Unit, len(units))
	for i, u := range units {
		c := *u
		c.PTS, c.DTS = u.PTS+d, u.DTS+d
		out[i] = &c
	}
	return out
}
