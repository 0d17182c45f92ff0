package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/abema/go-mp4"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"onair/internal/media"
)

// supported is what a publisher told it sent something else reads.
const supported = "onair ingests H.264 or H.265 video and AAC audio"

// demuxer turns one publisher's RTMP media messages, legacy or Enhanced
// RTMP, into the Sink's tracks and units. It announces the tracks lazily, at
// the first unit after a configuration (a sequence header) that changed
// them: encoders send every sequence header before their first frame, so the
// first Begin has all the tracks without waiting to see which ones come, and
// a sequence header repeated unchanged (some encoders send one per keyframe)
// announces nothing.
type demuxer struct {
	sink Sink
	log  *slog.Logger

	video, audio media.Codec  // the latest configuration of each, nil before its sequence header
	tracks       media.Tracks // as last announced with Begin; nil before
	changed      bool         // video or audio differ from tracks
	videoIdx     int          // indexes of video and audio in tracks, -1 for none
	audioIdx     int
	unconfigured bool // a unit came before its track's configuration (logged once)
}

func (d *demuxer) init(s Sink, log *slog.Logger) {
	*d = demuxer{sink: s, log: log, videoIdx: -1, audioIdx: -1}
}

// handle takes one audio or video message.
func (d *demuxer) handle(msg message.Message) error {
	switch m := msg.(type) {
	case *message.Video:
		switch m.Type {
		case message.VideoTypeConfig:
			if m.Codec == message.CodecH264 {
				return d.configAVC(m.AVCConfig)
			}
			return d.configHEVC(m.HEVCConfig)
		case message.VideoTypeAU:
			return d.videoAVCC(m.Codec == message.CodecH265, m.DTS, m.DTS+m.PTSDelta, m.AU)
		}
	case *message.VideoExSequenceStart:
		switch m.FourCC {
		case message.FourCCAVC:
			return d.configAVC(m.AVCConfig)
		case message.FourCCHEVC:
			return d.configHEVC(m.HEVCConfig)
		}
		return unsupported("video", m.FourCC)
	case *message.VideoExCodedFrames:
		if m.FourCC != message.FourCCAVC && m.FourCC != message.FourCCHEVC {
			return unsupported("video", m.FourCC)
		}
		return d.videoAVCC(m.FourCC == message.FourCCHEVC, m.DTS, m.DTS+m.PTSDelta, m.Payload)
	case *message.VideoExFramesX:
		if m.FourCC != message.FourCCAVC && m.FourCC != message.FourCCHEVC {
			return unsupported("video", m.FourCC)
		}
		return d.videoAVCC(m.FourCC == message.FourCCHEVC, m.DTS, m.DTS, m.Payload)
	case *message.VideoExMultitrack:
		// OBS's multitrack video carries renditions of one picture: the
		// first is the one a single-track publisher would send.
		if m.TrackID == 0 {
			return d.handle(m.Wrapped)
		}
	case *message.Audio:
		if m.Codec != message.CodecMPEG4Audio {
			return &publisherError{fmt.Errorf("unsupported audio codec (FLV sound format %d): %s", m.Codec, supported)}
		}
		if m.AACType == message.AudioAACTypeConfig {
			if m.AACConfig == nil {
				return nil
			}
			return d.config(&d.audio, &media.AAC{Config: *m.AACConfig})
		}
		return d.audioFrame(m.DTS, m.AU)
	case *message.AudioExSequenceStart:
		if m.FourCC != message.FourCCMP4A {
			return unsupported("audio", m.FourCC)
		}
		return d.config(&d.audio, &media.AAC{Config: *m.AACConfig})
	case *message.AudioExCodedFrames:
		if m.FourCC != message.FourCCMP4A {
			return unsupported("audio", m.FourCC)
		}
		return d.audioFrame(m.DTS, m.Payload)
	case *message.AudioExMultitrack:
		if m.TrackID == 0 {
			return d.handle(m.Wrapped)
		}
	}
	return nil
}

func unsupported(kind string, fourCC message.FourCC) error {
	name := string([]byte{byte(fourCC >> 24), byte(fourCC >> 16), byte(fourCC >> 8), byte(fourCC)})
	return &publisherError{fmt.Errorf("unsupported %s codec %q: %s", kind, name, supported)}
}

func (d *demuxer) configAVC(c *mp4.AVCDecoderConfiguration) error {
	if len(c.SequenceParameterSets) == 0 || len(c.PictureParameterSets) == 0 {
		return &publisherError{errors.New("H.264 sequence header without SPS or PPS")}
	}
	return d.config(&d.video, &media.H264{
		SPS: c.SequenceParameterSets[0].NALUnit, PPS: c.PictureParameterSets[0].NALUnit})
}

func (d *demuxer) configHEVC(c *mp4.HvcC) error {
	vps, sps, pps := hevcNALU(c, h265.NALUType_VPS_NUT), hevcNALU(c, h265.NALUType_SPS_NUT), hevcNALU(c, h265.NALUType_PPS_NUT)
	if vps == nil || sps == nil || pps == nil {
		return &publisherError{errors.New("H.265 sequence header without VPS, SPS or PPS")}
	}
	return d.config(&d.video, &media.H265{VPS: vps, SPS: sps, PPS: pps})
}

// hevcNALU is the first parameter set of a type in an HEVC configuration record.
func hevcNALU(c *mp4.HvcC, typ h265.NALUType) []byte {
	for _, a := range c.NaluArrays {
		if h265.NALUType(a.NaluType) == typ && len(a.Nalus) > 0 && len(a.Nalus[0].NALUnit) > 0 {
			return a.Nalus[0].NALUnit
		}
	}
	return nil
}

// config records a track's configuration; a change is announced before the next unit.
func (d *demuxer) config(slot *media.Codec, c media.Codec) error {
	if !sameCodec(*slot, c) {
		*slot = c
		d.changed = true
	}
	return nil
}

func sameCodec(a, b media.Codec) bool {
	switch a := a.(type) {
	case *media.H264:
		b, ok := b.(*media.H264)
		return ok && bytes.Equal(a.SPS, b.SPS) && bytes.Equal(a.PPS, b.PPS)
	case *media.H265:
		b, ok := b.(*media.H265)
		return ok && bytes.Equal(a.VPS, b.VPS) && bytes.Equal(a.SPS, b.SPS) && bytes.Equal(a.PPS, b.PPS)
	case *media.AAC:
		b, ok := b.(*media.AAC)
		return ok && a.Config == b.Config
	}
	return false
}

// videoAVCC writes one video frame given as length-prefixed NALUs.
func (d *demuxer) videoAVCC(hevc bool, dts, pts time.Duration, avcc []byte) error {
	var au h264.AVCC
	if err := au.Unmarshal(avcc); err != nil {
		if errors.Is(err, h264.ErrAVCCNoNALUs) {
			return nil // an empty frame: some encoders send them as keep-alives
		}
		return fmt.Errorf("video frame: %w", err)
	}
	if d.video == nil {
		return d.noConfig("video")
	}
	if _, isHEVC := d.video.(*media.H265); isHEVC != hevc {
		return &publisherError{errors.New("video frames of another codec than the sequence header's")}
	}
	random := h264.IsRandomAccess(au)
	if hevc {
		random = h265.IsRandomAccess(au)
	}
	return d.write(&d.videoIdx, &media.Unit{PTS: pts, DTS: dts, Random: random, AU: au})
}

func (d *demuxer) audioFrame(dts time.Duration, frame []byte) error {
	if len(frame) == 0 {
		return nil
	}
	if d.audio == nil {
		return d.noConfig("audio")
	}
	return d.write(&d.audioIdx, &media.Unit{PTS: dts, DTS: dts, Random: true, AU: [][]byte{frame}})
}

// noConfig drops a unit that came before its sequence header: nothing could decode it.
func (d *demuxer) noConfig(kind string) error {
	if !d.unconfigured {
		d.unconfigured = true
		d.log.Warn(kind + " frames before their sequence header: dropped")
	}
	return nil
}

// write announces the tracks if they changed, then writes u on the track *idx names.
func (d *demuxer) write(idx *int, u *media.Unit) error {
	if d.changed {
		d.changed = false
		d.tracks, d.videoIdx, d.audioIdx = nil, -1, -1
		if d.video != nil {
			d.videoIdx, d.tracks = len(d.tracks), append(d.tracks, &media.Track{Codec: d.video})
		}
		if d.audio != nil {
			d.audioIdx, d.tracks = len(d.tracks), append(d.tracks, &media.Track{Codec: d.audio})
		}
		if err := d.sink.Begin(d.tracks); err != nil {
			return fmt.Errorf("sink: %w", err)
		}
	}
	u.Track = *idx
	if err := d.sink.Write(u); err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	return nil
}
