package hls

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"onair/internal/media"
)

// codecString is a track's RFC 6381 codec, as CODECS lists it: avc1.PPCCLL
// from the H.264 SPS, hvc1.* from the H.265 SPS (ISO/IEC 14496-15 E.3),
// mp4a.40.<object type> for AAC.
func codecString(c media.Codec) (string, error) {
	switch c := c.(type) {
	case *media.H264:
		if len(c.SPS) < 4 {
			return "", fmt.Errorf("an H.264 SPS of %d bytes", len(c.SPS))
		}
		return fmt.Sprintf("avc1.%02x%02x%02x", c.SPS[1], c.SPS[2], c.SPS[3]), nil
	case *media.H265:
		return hvc1(c.SPS)
	case *media.AAC:
		return "mp4a.40." + strconv.Itoa(int(c.Config.Type)), nil
	}
	return "", fmt.Errorf("codec %T", c)
}

// hvc1 reads profile_tier_level from an H.265 SPS: after the two-byte NAL
// header and a byte of ids, the profile space, tier and profile (1 byte),
// the 32 compatibility flags (4), the 48 constraint bits (6), the level (1).
func hvc1(sps []byte) (string, error) {
	b := h264.EmulationPreventionRemove(sps)
	if len(b) < 15 {
		return "", fmt.Errorf("an H.265 SPS of %d bytes", len(sps))
	}
	ptl := b[3:15]
	var s strings.Builder
	s.WriteString("hvc1.")
	if space := ptl[0] >> 6; space > 0 {
		s.WriteByte("ABC"[space-1])
	}
	s.WriteString(strconv.Itoa(int(ptl[0] & 0x1f)))
	// The compatibility flags, bit-reversed, in hex without leading zeros.
	var compat, rev uint32 = uint32(ptl[1])<<24 | uint32(ptl[2])<<16 | uint32(ptl[3])<<8 | uint32(ptl[4]), 0
	for i := 0; i < 32; i++ {
		rev = rev<<1 | compat>>i&1
	}
	s.WriteString("." + strconv.FormatUint(uint64(rev), 16) + ".")
	if ptl[0]&0x20 != 0 {
		s.WriteByte('H')
	} else {
		s.WriteByte('L')
	}
	s.WriteString(strconv.Itoa(int(ptl[11])))
	// The constraint bytes, trailing zero bytes left out.
	cons := ptl[5:11]
	for len(cons) > 0 && cons[len(cons)-1] == 0 {
		cons = cons[:len(cons)-1]
	}
	for _, c := range cons {
		s.WriteString("." + strings.ToUpper(strconv.FormatUint(uint64(c), 16)))
	}
	return s.String(), nil
}

// resolution is a video track's picture size from its SPS.
func resolution(c media.Codec) (w, h int, err error) {
	switch c := c.(type) {
	case *media.H264:
		var sps h264.SPS
		if err := sps.Unmarshal(c.SPS); err != nil {
			return 0, 0, err
		}
		return sps.Width(), sps.Height(), nil
	case *media.H265:
		var sps h265.SPS
		if err := sps.Unmarshal(c.SPS); err != nil {
			return 0, 0, err
		}
		return sps.Width(), sps.Height(), nil
	}
	return 0, 0, fmt.Errorf("codec %T has no picture", c)
}

// configDigest names the configuration of a set of tracks: two sources with
// the same digest can follow each other without a discontinuity, and CMAF
// init sections are named by it.
func configDigest(ts media.Tracks) string {
	h := sha256.New()
	for _, t := range ts {
		switch c := t.Codec.(type) {
		case *media.H264:
			fmt.Fprintf(h, "h264 %x %x;", c.SPS, c.PPS)
		case *media.H265:
			fmt.Fprintf(h, "h265 %x %x %x;", c.VPS, c.SPS, c.PPS)
		case *media.AAC:
			b, _ := c.Config.Marshal()
			fmt.Fprintf(h, "aac %x;", b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}
