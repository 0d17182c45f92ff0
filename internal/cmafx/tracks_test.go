package cmafx_test

import (
	"errors"
	"strings"
	"testing"

	"onair/internal/cmafx"
)

// TestTracks: the tracks of ffmpeg's and onair's init sections, with the
// codecs strings that each packager's own playlists give (ffmpeg's master
// CODECS, onair's VariantInfo), the picture size, the timescales and the
// audio format the encodes were made with.
func TestTracks(t *testing.T) {
	for _, c := range []struct {
		src            *source
		fourcc, prefix string
		videoScale     uint32
	}{
		{ffmpegSource(t), "avc1", "avc1.64", 0},
		{onairSource(t, "libx264"), "avc1", "avc1.", 90000},
		{onairSource(t, "libx265"), "hvc1", "hvc1.1.", 90000},
	} {
		t.Run(c.src.name, func(t *testing.T) {
			ts, err := cmafx.Tracks(c.src.init)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != 2 {
				t.Fatalf("%d tracks: %+v", len(ts), ts)
			}
			v, a := ts[0], ts[1]
			t.Logf("%+v\n%+v", v, a)
			if v.Kind != "video" || v.ID != 1 || v.FourCC != c.fourcc || v.Width != 320 || v.Height != 180 {
				t.Errorf("video track %+v", v)
			}
			if c.videoScale != 0 && v.Timescale != c.videoScale {
				t.Errorf("video timescale %d, want %d", v.Timescale, c.videoScale)
			}
			if a.Kind != "audio" || a.ID != 2 || a.FourCC != "mp4a" || a.Codec != "mp4a.40.2" || a.SampleRate != 48000 ||
				a.Channels != 1 || a.Timescale != 48000 {
				t.Errorf("audio track %+v", a)
			}
			if !strings.HasPrefix(v.Codec, c.prefix) {
				t.Errorf("video codec %q, want %s…", v.Codec, c.prefix)
			}
			if got := v.Codec + "," + a.Codec; got != c.src.codecs {
				t.Errorf("codecs %q, the packager says %q", got, c.src.codecs)
			}
		})
	}
}

// TestTracksErrors: what is not an init section is ErrMalformed.
func TestTracksErrors(t *testing.T) {
	src := onairSource(t, "libx264")
	for name, b := range map[string][]byte{
		"empty":     nil,
		"a segment": src.segs[0],
		"cut short": src.init[:len(src.init)-10],
	} {
		if _, err := cmafx.Tracks(b); !errors.Is(err, cmafx.ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}
