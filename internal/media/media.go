// Package media is what flows through onair's media plane: the tracks of a
// stream, with their codecs' configuration, and their access units on one
// timeline. Ingest turns what a publisher sends into them, the encoder turns
// a source into renditions of them, and the packager, the recorder and the
// destinations read them, each from a Hub.
package media

import (
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
)

// Codec is a track's codec with its configuration: one of *H264, *H265, *AAC.
type Codec interface{ isCodec() }

// H264 is H.264 video; SPS and PPS are its parameter sets, NALUs without
// start codes.
type H264 struct{ SPS, PPS []byte }

// H265 is H.265 (HEVC) video with its parameter sets.
type H265 struct{ VPS, SPS, PPS []byte }

// AAC is MPEG-4 audio (AAC-LC and its kin) with its AudioSpecificConfig.
type AAC struct {
	Config mpeg4audio.AudioSpecificConfig
}

func (*H264) isCodec() {}
func (*H265) isCodec() {}
func (*AAC) isCodec()  {}

// IsVideo reports whether a codec is a video one.
func IsVideo(c Codec) bool {
	switch c.(type) {
	case *H264, *H265:
		return true
	}
	return false
}

// Track is one track of a stream.
type Track struct {
	Codec Codec
}

// Tracks are a stream's tracks as a source announced them: the video track
// (if any) first, then the audio track (if any). A Unit names its track by
// its index here.
type Tracks []*Track

// Video is the index of the video track, -1 when there is none.
func (ts Tracks) Video() int {
	for i, t := range ts {
		if IsVideo(t.Codec) {
			return i
		}
	}
	return -1
}

// Audio is the index of the audio track, -1 when there is none.
func (ts Tracks) Audio() int {
	for i, t := range ts {
		if _, ok := t.Codec.(*AAC); ok {
			return i
		}
	}
	return -1
}

// Unit is one access unit of one track, on the stream's timeline: a video
// frame (its NALUs, without start codes or length prefixes), or an AAC frame.
// Units are shared between readers: nobody changes one once written.
type Unit struct {
	Track int           // index into the Tracks it was written under
	PTS   time.Duration // presentation time
	DTS   time.Duration // decode time; PTS for audio
	// Random is true for a unit that decoding can start at: a video IDR (or
	// IRAP) frame, and every audio frame.
	Random bool
	// AU is the unit's data: a video frame's NALUs, or one audio frame.
	AU [][]byte
}

// Key reports whether a GOP starts at the unit, in a stream whose video
// track is video (-1 for none): a video keyframe, or any unit of an
// audio-only stream.
func (u *Unit) Key(video int) bool {
	return u.Random && (u.Track == video || video < 0)
}

// WithParams is a video unit's NALUs with c's parameter sets in front when
// it is a keyframe that lacks them (RTMP carries them apart): an MPEG-TS
// segment must decode on its own. Other units' are as they are.
func (u *Unit) WithParams(c Codec) [][]byte {
	var params [][]byte
	var isSPS func(n []byte) bool
	switch c := c.(type) {
	case *H264:
		params, isSPS = [][]byte{c.SPS, c.PPS}, func(n []byte) bool { return n[0]&0x1f == 7 }
	case *H265:
		params, isSPS = [][]byte{c.VPS, c.SPS, c.PPS}, func(n []byte) bool { return n[0]>>1&0x3f == 33 }
	}
	if !u.Random || isSPS == nil {
		return u.AU
	}
	for _, n := range u.AU {
		if len(n) > 0 && isSPS(n) {
			return u.AU
		}
	}
	return append(append([][]byte{}, params...), u.AU...)
}

// Size is the unit's payload in bytes.
func (u *Unit) Size() int {
	n := 0
	for _, b := range u.AU {
		n += len(b)
	}
	return n
}

// SameCodecs reports whether two sources' tracks are the same codecs with the
// same configuration, so that what writes one can go on with the other.
func SameCodecs(a, b Tracks) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		switch x := a[i].Codec.(type) {
		case *H264:
			y, ok := b[i].Codec.(*H264)
			if !ok || string(x.SPS) != string(y.SPS) || string(x.PPS) != string(y.PPS) {
				return false
			}
		case *H265:
			y, ok := b[i].Codec.(*H265)
			if !ok || string(x.VPS) != string(y.VPS) || string(x.SPS) != string(y.SPS) || string(x.PPS) != string(y.PPS) {
				return false
			}
		case *AAC:
			y, ok := b[i].Codec.(*AAC)
			if !ok || x.Config != y.Config {
				return false
			}
		}
	}
	return true
}
