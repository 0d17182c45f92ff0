package hls_test

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"

	"onair/internal/hls"
	"onair/internal/media"
)

// TestAudioOnly: a source with no video is cut into segments of audio
// frames, in both formats, and ffprobe reads them.
func TestAudioOnly(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	audio := media.Tracks{tracks[1]}
	var aus []*media.Unit
	for _, u := range units {
		if u.Track == 1 {
			c := *u
			c.Track = 0
			aus = append(aus, &c)
		}
	}
	for _, tc := range liveFormats(60 * time.Second) {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Dir = filepath.Join(t.TempDir(), "a")
			f := newFeeder(t, tc.cfg)
			f.play(audio, aus, 0)
			m := f.finish()
			if len(m.Segments) != 4 {
				t.Fatalf("%d segments of 8 s of audio", len(m.Segments))
			}
			for _, s := range m.Segments[:3] {
				if s.Duration < 1.99 || s.Duration > 2.03 {
					t.Errorf("%s: %.3f s", s.URI, s.Duration)
				}
				file := filepath.Join(tc.cfg.Dir, s.URI)
				if s.Map != "" {
					file = concat(t, tc.cfg.Dir, s.Map, s.URI)
				}
				if got := ffprobe(t, file); !strings.HasPrefix(got, "aac") {
					t.Errorf("ffprobe %s: %q", s.URI, got)
				}
			}
			if in := f.v.Info(); in.Codecs != "mp4a.40.2" || in.Width != 0 || in.FrameRate != 0 {
				t.Errorf("info %+v", in)
			}
		})
	}
}

// TestReaderLoss: a reader that lost units resumes at a keyframe; the
// segment before the hole ends where its media does, and the one after it
// starts after a discontinuity.
func TestReaderLoss(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	var kept []*media.Unit
	for _, u := range units {
		if d := u.DTS - units[0].DTS; d < 3*time.Second || d >= 5*time.Second {
			kept = append(kept, u)
		}
	}
	dir := filepath.Join(t.TempDir(), "v")
	f := newFeeder(t, hls.VariantConfig{Dir: dir, Format: hls.TS, Segment: 2 * time.Second, Window: 60 * time.Second})
	f.play(tracks, kept, 0)
	m := f.finish()
	var discs []int
	for i, s := range m.Segments {
		if s.Discontinuity {
			discs = append(discs, i)
		}
	}
	if len(m.Segments) != 4 || len(discs) != 1 || discs[0] != 2 || m.Segments[1].Duration > 1.1 {
		t.Fatalf("segments %+v, discontinuities at %v", m.Segments, discs)
	}
}

// failingKeys has no key for the second segment.
type failingKeys struct{ calls int }

func (k *failingKeys) Current() (hls.Key, error) {
	if k.calls++; k.calls == 2 {
		return hls.Key{}, errors.New("no key yet")
	}
	return hls.Key{URI: "/live/wf/keys/1.key"}, nil
}

// TestNoKey: a segment that cannot be encrypted is never listed, nor
// written in the clear; the next one is, after a discontinuity.
func TestNoKey(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	dir := filepath.Join(t.TempDir(), "v")
	f := newFeeder(t, hls.VariantConfig{Dir: dir, Format: hls.TS, Segment: 2 * time.Second, Window: 60 * time.Second, Keys: &failingKeys{}})
	f.play(tracks, units, 0)
	m := f.finish()
	if len(m.Segments) != 3 || m.Segments[1].URI != "seg_000001.ts" || m.Segments[0].Discontinuity || !m.Segments[1].Discontinuity || m.Segments[1].Key.Method != "AES-128" {
		t.Fatalf("segments %+v", m.Segments)
	}
}

// TestInBandParams feeds frames that carry their parameter sets in band, as
// ffmpeg's MPEG-TS does: CMAF samples leave them out (they are in the init
// section), and both outputs play in ffmpeg.
func TestInBandParams(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	c := tracks[0].Codec.(*media.H264)
	var inband []*media.Unit
	for _, u := range units {
		if u.Track == 0 && u.Random {
			w := *u
			w.AU = append([][]byte{{9, 0xf0}, c.SPS, c.PPS}, u.AU...)
			u = &w
		}
		inband = append(inband, u)
	}
	for _, tc := range liveFormats(60 * time.Second) {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Dir = filepath.Join(t.TempDir(), "v")
			f := newFeeder(t, tc.cfg)
			f.play(tracks, inband, 0)
			m := f.finish()
			if n := decode(t, filepath.Join(tc.cfg.Dir, hls.Playlist)); n < 15*7 {
				t.Errorf("ffmpeg decoded %d frames", n)
			}
			if tc.cfg.Format != hls.CMAF {
				return
			}
			b, err := os.ReadFile(filepath.Join(tc.cfg.Dir, m.Segments[0].Parts[0].URI))
			if err != nil {
				t.Fatal(err)
			}
			var ps fmp4.Parts
			if err := ps.Unmarshal(b); err != nil {
				t.Fatal(err)
			}
			payload := ps[0].Tracks[0].Samples[0].Payload
			for len(payload) > 4 {
				n := int(binary.BigEndian.Uint32(payload))
				if typ := payload[4] & 0x1f; typ == 7 || typ == 8 || typ == 9 {
					t.Fatalf("a CMAF sample carries a NAL unit of type %d", typ)
				}
				payload = payload[4+n:]
			}
		})
	}
}

// TestMillisecondTimestamps retimes the media to 30 fps on RTMP's
// millisecond clock (frames 33 or 34 ms apart, a keyframe every 0.5 s):
// LL-HLS parts stay within PART-TARGET and above 85% of it in every
// version of the playlist, and ffmpeg plays it.
func TestMillisecondTimestamps(t *testing.T) {
	tracks, units := source(t, "libx264", 15)
	var video []*media.Unit
	for _, u := range units {
		if u.Track == 0 {
			c := *u
			c.PTS = (u.PTS / 2).Round(time.Millisecond)
			c.DTS = (u.DTS / 2).Round(time.Millisecond)
			video = append(video, &c)
		}
	}
	dir := filepath.Join(t.TempDir(), "v")
	f := newFeeder(t, hls.VariantConfig{Dir: dir, Format: hls.CMAF, Segment: time.Second, Window: 60 * time.Second, Part: 500 * time.Millisecond})
	f.play(media.Tracks{tracks[0]}, video, 2)
	m := f.finish()
	parts := 0
	for _, s := range m.Segments {
		parts += len(s.Parts)
	}
	if len(m.Segments) != 4 || parts < 2*len(m.Segments) {
		t.Fatalf("%d segments, %d parts: %+v", len(m.Segments), parts, m.Segments)
	}
	if n := decode(t, filepath.Join(dir, hls.Playlist)); n < 30*3 {
		t.Errorf("ffmpeg decoded %d frames", n)
	}
}
