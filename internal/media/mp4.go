package media

import (
	mp4codecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
)

// MP4Codec is a codec as mediacommon's fMP4 writers describe it in an init
// section; nil for one they do not carry.
func MP4Codec(c Codec) mp4codecs.Codec {
	switch c := c.(type) {
	case *H264:
		return &mp4codecs.H264{SPS: c.SPS, PPS: c.PPS}
	case *H265:
		return &mp4codecs.H265{VPS: c.VPS, SPS: c.SPS, PPS: c.PPS}
	case *AAC:
		return &mp4codecs.MPEG4Audio{Config: c.Config}
	}
	return nil
}

// TSCodec is a codec as mediacommon's MPEG-TS writer declares it in a PMT;
// nil for one it does not carry.
func TSCodec(c Codec) tscodecs.Codec {
	switch c := c.(type) {
	case *H264:
		return &tscodecs.H264{}
	case *H265:
		return &tscodecs.H265{}
	case *AAC:
		return &tscodecs.MPEG4Audio{Config: c.Config}
	}
	return nil
}
