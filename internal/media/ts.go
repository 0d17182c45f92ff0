package media

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
)

// TSTime is an MPEG-TS timestamp (90 kHz) on the timeline. Timestamps are
// taken as they are, so that an encoder that keeps its input's timestamps
// (ffmpeg -copyts) writes the timeline it was fed; they wrap after 26.5 h.
func TSTime(ticks int64) time.Duration {
	return time.Duration(ticks) * time.Second / 90000
}

// TSTicks is a time on the timeline as an MPEG-TS timestamp: 90 kHz, 33 bits.
func TSTicks(d time.Duration) int64 {
	return (int64(d) * 90000 / int64(time.Second)) & (1<<33 - 1)
}

// ReadTS writes an MPEG-TS stream into a hub as one source: its first H.264
// or H.265 video track and its first AAC track (others are left out), Begin
// once the video's parameter sets have come in band (with its first
// keyframe), then its units, and End when the stream ends, however it ends
// (a killed encoder included). It returns nil then, and an error when the
// stream cannot be read from the start.
func ReadTS(r io.Reader, h *Hub) error {
	rd := &mpegts.Reader{R: r}
	if err := rd.Initialize(); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil // the stream ended before it began
		}
		return fmt.Errorf("reading MPEG-TS: %w", err)
	}
	s := &tsSource{hub: h, video: -1, audio: -1}
	for _, t := range rd.Tracks() {
		switch c := t.Codec.(type) {
		case *tscodecs.H264:
			if s.video < 0 {
				s.video, s.h265 = len(s.tracks), false
				s.tracks = append(s.tracks, &Track{Codec: &H264{}})
				rd.OnDataH264(t, func(pts, dts int64, au [][]byte) error {
					s.videoUnit(pts, dts, au, h264.IsRandomAccess(au))
					return nil
				})
			}
		case *tscodecs.H265:
			if s.video < 0 {
				s.video, s.h265 = len(s.tracks), true
				s.tracks = append(s.tracks, &Track{Codec: &H265{}})
				rd.OnDataH265(t, func(pts, dts int64, au [][]byte) error {
					s.videoUnit(pts, dts, au, h265.IsRandomAccess(au))
					return nil
				})
			}
		case *tscodecs.MPEG4Audio:
			if s.audio < 0 {
				s.audio = len(s.tracks)
				s.tracks = append(s.tracks, &Track{Codec: &AAC{Config: c.Config}})
				rd.OnDataMPEG4Audio(t, func(pts int64, aus [][]byte) error {
					s.audioUnits(pts, aus, c.SampleRate)
					return nil
				})
			}
		}
	}
	if s.video < 0 && s.audio < 0 {
		return errors.New("reading MPEG-TS: neither H.264, H.265 nor AAC in the stream")
	}
	if s.video < 0 {
		s.begin() // audio alone: nothing to wait for
	}
	rd.OnDecodeError(func(error) {})
	defer s.end()
	// To its end, or to where it was cut short: what came before is written.
	for rd.Read() == nil {
	}
	return nil
}

// tsSource is one MPEG-TS stream being read into a hub.
type tsSource struct {
	hub          *Hub
	tracks       Tracks
	video, audio int
	h265         bool
	begun        bool
	pending      []*Unit // audio before the video's parameter sets
}

func (s *tsSource) begin() {
	s.begun = true
	s.hub.Begin(s.tracks)
	for _, u := range s.pending {
		s.hub.Write(u)
	}
	s.pending = nil
}

func (s *tsSource) end() {
	if s.begun {
		s.hub.End()
	}
}

func (s *tsSource) videoUnit(pts, dts int64, au [][]byte, random bool) {
	if !s.begun {
		if !random || !s.parameters(au) {
			s.pending = nil // audio from before the first keyframe goes too
			return
		}
		s.begin()
	}
	s.hub.Write(&Unit{Track: s.video, PTS: TSTime(pts), DTS: TSTime(dts), Random: random, AU: au})
}

// audioUnits writes a PES's AAC frames, each its own unit, 1024 samples apart.
func (s *tsSource) audioUnits(pts int64, aus [][]byte, sampleRate int) {
	for i, au := range aus {
		t := TSTime(pts)
		if sampleRate > 0 {
			t += time.Duration(i) * 1024 * time.Second / time.Duration(sampleRate)
		}
		u := &Unit{Track: s.audio, PTS: t, DTS: t, Random: true, AU: [][]byte{au}}
		if s.begun {
			s.hub.Write(u)
		} else {
			s.pending = append(s.pending, u)
		}
	}
}

// parameters takes the video track's parameter sets from a keyframe's NALUs,
// and reports whether they were all there.
func (s *tsSource) parameters(au [][]byte) bool {
	if s.h265 {
		c := &H265{}
		for _, n := range au {
			if len(n) < 2 {
				continue
			}
			switch h265.NALUType((n[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				c.VPS = n
			case h265.NALUType_SPS_NUT:
				c.SPS = n
			case h265.NALUType_PPS_NUT:
				c.PPS = n
			}
		}
		s.tracks[s.video].Codec = c
		return c.VPS != nil && c.SPS != nil && c.PPS != nil
	}
	c := &H264{}
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		switch h264.NALUType(n[0] & 0x1f) {
		case h264.NALUTypeSPS:
			c.SPS = n
		case h264.NALUTypePPS:
			c.PPS = n
		}
	}
	s.tracks[s.video].Codec = c
	return c.SPS != nil && c.PPS != nil
}
