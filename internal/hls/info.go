package hls

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"onair/internal/clip"
	"onair/internal/media"
)

// VariantInfo is what the multivariant playlist says of a variant, taken
// from its codecs' configuration and measured from its segments.
type VariantInfo struct {
	Codecs           string  // RFC 6381, e.g. "avc1.64000d,mp4a.40.2"
	Width, Height    int     // 0 without video
	FrameRate        float64 // frames per second, measured; 0 without video
	Bandwidth        int     // peak segment bitrate, bit/s; 0 before a segment
	AverageBandwidth int     // bit/s, over the segments since the variant opened
}

// meter measures a variant's segments; the variant's mutex guards it.
type meter struct {
	codecs        string
	width, height int
	bytes         int64
	dur           time.Duration
	peak          int
	frames        int // of the current source
	framesDur     time.Duration
}

// source takes a new source's codecs and starts its frame count.
func (m *meter) source(ts media.Tracks) {
	var list []string
	m.width, m.height = 0, 0
	for _, t := range ts {
		c, err := codecString(t.Codec)
		if err != nil {
			continue
		}
		list = append(list, c)
		if media.IsVideo(t.Codec) && m.width == 0 {
			m.width, m.height, _ = resolution(t.Codec)
		}
	}
	m.codecs = strings.Join(list, ",")
	m.frames, m.framesDur = 0, 0
}

// add counts a listed segment. The peak leaves out segments shorter than
// half the target, cut short by a break, whose rate says little.
func (m *meter) add(s *segment) {
	if s.dur <= 0 {
		return
	}
	m.bytes += s.size
	m.dur += s.dur
	rate := int(float64(s.size*8) / s.dur.Seconds())
	if m.peak == 0 || rate > m.peak && s.dur >= time.Second/2 {
		m.peak = rate
	}
	if s.frames > 0 {
		m.frames += s.frames
		m.framesDur += s.dur
	}
}

func (m *meter) info() VariantInfo {
	in := VariantInfo{Codecs: m.codecs, Width: m.width, Height: m.height, Bandwidth: m.peak}
	if m.dur > 0 {
		in.AverageBandwidth = int(float64(m.bytes*8) / m.dur.Seconds())
	}
	if m.framesDur > 0 {
		in.FrameRate = math.Round(float64(m.frames)/m.framesDur.Seconds()*1000) / 1000
	}
	return in
}

// Info is what the master playlist says of the variant now.
func (v *Variant) Info() VariantInfo {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.meter.info()
}

// pendingInfo is the info to tell OnInfo about, if it changed enough to
// rewrite the master: other codecs or picture, a first or a 10% higher peak,
// another frame rate; v.mu is held.
func (v *Variant) pendingInfo() *VariantInfo {
	if v.cfg.OnInfo == nil {
		return nil
	}
	in, was := v.meter.info(), v.notified
	if in.Bandwidth == 0 || in.Codecs == was.Codecs && in.Width == was.Width && in.Height == was.Height &&
		in.Bandwidth <= was.Bandwidth*11/10 && math.Abs(in.FrameRate-was.FrameRate) < 0.5 {
		return nil
	}
	v.notified = in
	return &in
}

// MasterEntry is one variant of a multivariant playlist.
type MasterEntry struct {
	URI  string // the variant's playlist, relative to the master
	Info VariantInfo
}

// WriteMaster writes the multivariant playlist file (atomically) listing
// entries in their order.
func WriteMaster(file string, entries []MasterEntry) error {
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	if len(entries) == 0 {
		return errors.New("hls: a master playlist needs a variant")
	}
	for i, e := range entries {
		in := e.Info
		if in.Bandwidth <= 0 || e.URI == "" || strings.ContainsAny(e.URI, "\r\n") {
			return fmt.Errorf("hls: master entry %d (%q) has no URI or no measured bandwidth", i, e.URI)
		}
		fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d", in.Bandwidth)
		if in.AverageBandwidth > 0 {
			fmt.Fprintf(&b, ",AVERAGE-BANDWIDTH=%d", in.AverageBandwidth)
		}
		if in.Codecs != "" {
			fmt.Fprintf(&b, ",CODECS=%q", in.Codecs)
		}
		if in.Width > 0 && in.Height > 0 {
			fmt.Fprintf(&b, ",RESOLUTION=%dx%d", in.Width, in.Height)
		}
		if in.FrameRate > 0 {
			fmt.Fprintf(&b, ",FRAME-RATE=%.3f", in.FrameRate)
		}
		fmt.Fprintf(&b, "\n%s\n", e.URI)
	}
	return clip.WriteFile(filepath.Dir(file), filepath.Base(file), []byte(b.String()))
}
