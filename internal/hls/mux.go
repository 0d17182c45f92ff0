package hls

import (
	"fmt"
	"io"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"

	"onair/internal/media"
)

// muxer turns one source's units into segment bytes, which it writes to
// the segment's writer as it lays them out. The variant decides where
// segments and parts start; the muxer only lays the units out.
type muxer interface {
	// begin starts a segment that goes to w.
	begin(w io.Writer) error
	// write adds a unit to the segment; a unit it cannot place (its time
	// goes back) is left out, with false.
	write(u *media.Unit) (bool, error)
	// fragment closes what was written since the last fragment as one
	// fragment ending at next (the time the next lead unit starts), writes
	// it to the segment and returns it: an LL-HLS part (CMAF only).
	fragment(next time.Duration) ([]byte, error)
	// end closes the segment at next: what is left goes to its writer.
	end(next time.Duration) error
}

// redirect is a writer whose destination changes: the muxer of a source
// writes each segment to its own file.
type redirect struct{ w io.Writer }

func (r *redirect) Write(p []byte) (int, error) { return r.w.Write(p) }

const tsRate = 90000

// tsMuxer writes MPEG-TS segments through one mpegts.Writer per source, so
// that continuity counters run on across segments; each segment starts
// with the PAT and PMT, then its keyframe.
type tsMuxer struct {
	out    redirect
	w      *mpegts.Writer
	tracks []*mpegts.Track // by media track index; nil for a track not carried
	codecs media.Tracks
}

func newTSMuxer(ts media.Tracks) (*tsMuxer, error) {
	m := &tsMuxer{tracks: make([]*mpegts.Track, len(ts)), codecs: ts}
	var list []*mpegts.Track
	for i, t := range ts {
		c := media.TSCodec(t.Codec)
		if c == nil {
			continue
		}
		m.tracks[i] = &mpegts.Track{Codec: c}
		list = append(list, m.tracks[i])
	}
	m.w = &mpegts.Writer{W: &m.out, Tracks: list}
	if err := m.w.Initialize(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *tsMuxer) begin(w io.Writer) error {
	m.out.w = w
	_, err := m.w.WriteTables()
	return err
}

func (m *tsMuxer) write(u *media.Unit) (bool, error) {
	t := m.tracks[u.Track]
	if t == nil {
		return false, nil
	}
	pts, dts := ticks(u.PTS, tsRate), ticks(u.DTS, tsRate)
	var err error
	switch c := m.codecs[u.Track].Codec.(type) {
	case *media.H264:
		err = m.w.WriteH264(t, pts, dts, u.WithParams(c))
	case *media.H265:
		err = m.w.WriteH265(t, pts, dts, u.WithParams(c))
	case *media.AAC:
		err = m.w.WriteMPEG4Audio(t, pts, u.AU)
	}
	return err == nil, err
}

func (m *tsMuxer) fragment(time.Duration) ([]byte, error) { return nil, nil }

func (m *tsMuxer) end(time.Duration) error { return nil }

// cmafMuxer writes fMP4 fragments (moof+mdat) of one source; a segment is
// the fragments written since begin.
type cmafMuxer struct {
	tracks []*cmafTrack // by media track index; nil for a track not carried
	seq    uint32       // of the next fragment
	seg    io.Writer
	buf    seekablebuffer.Buffer
}

// cmafTrack holds a track's samples until their fragment closes. A sample's
// duration is known when the next one comes, so the latest waits.
type cmafTrack struct {
	id      int
	rate    int64
	video   bool
	h265    bool
	frame   int64 // an AAC frame's duration; 0 for video
	samples []*fmp4.Sample
	base    int64 // decode time of samples[0]
	pending *fmp4.Sample
	at      int64 // decode time of pending, or where the last sample ends
	started bool
	lastDur uint32
}

// newCMAFMuxer returns the muxer of a source and its init section.
func newCMAFMuxer(ts media.Tracks, seq uint32) (*cmafMuxer, []byte, error) {
	m := &cmafMuxer{tracks: make([]*cmafTrack, len(ts)), seq: seq}
	var init fmp4.Init
	for i, t := range ts {
		ct := &cmafTrack{id: len(init.Tracks) + 1, rate: tsRate, video: true}
		c := media.MP4Codec(t.Codec)
		if c == nil {
			continue
		}
		switch tc := t.Codec.(type) {
		case *media.H265:
			ct.h265 = true
		case *media.AAC:
			ct.rate, ct.video, ct.frame = int64(tc.Config.SampleRate), false, 1024
			if tc.Config.FrameLengthFlag {
				ct.frame = 960
			}
			if ct.rate <= 0 {
				return nil, nil, fmt.Errorf("an AAC track with a sample rate of %d", ct.rate)
			}
		}
		m.tracks[i] = ct
		init.Tracks = append(init.Tracks, &fmp4.InitTrack{ID: ct.id, TimeScale: uint32(ct.rate), Codec: c})
	}
	var b seekablebuffer.Buffer
	if err := init.Marshal(&b); err != nil {
		return nil, nil, err
	}
	return m, b.Bytes(), nil
}

func (m *cmafMuxer) begin(w io.Writer) error {
	m.seg = w
	return nil
}

func (m *cmafMuxer) write(u *media.Unit) (bool, error) {
	t := m.tracks[u.Track]
	if t == nil {
		return false, nil
	}
	at := ticks(u.DTS, t.rate)
	s := &fmp4.Sample{IsNonSyncSample: !u.Random}
	if t.video {
		au := withoutParams(u.AU, t.h265)
		if len(au) == 0 {
			return false, nil
		}
		avcc, err := h264.AVCC(au).Marshal()
		if err != nil {
			return false, err
		}
		s.Payload = avcc
		s.PTSOffset = int32(ticks(u.PTS, t.rate) - at)
	} else {
		s.Payload = u.AU[0]
		// AAC frames last a fixed number of samples: a timestamp within
		// half a frame of where the previous frame ends is jitter (RTMP's
		// milliseconds), not a gap.
		exp := t.at
		if t.pending != nil {
			exp += t.frame
		}
		if t.started && at > exp-t.frame/2 && at < exp+t.frame/2 {
			at = exp
		}
	}
	switch {
	case t.pending != nil && at <= t.at, t.pending == nil && t.started && at < t.at:
		return false, nil // a timestamp that goes back: mp4 cannot hold it
	case t.pending != nil:
		t.lastDur = uint32(at - t.at)
		t.add(t.pending, t.lastDur)
	}
	t.pending, t.at, t.started = s, at, true
	return true, nil
}

func (t *cmafTrack) add(s *fmp4.Sample, dur uint32) {
	if len(t.samples) == 0 {
		t.base = t.at
	}
	s.Duration = dur
	t.samples = append(t.samples, s)
}

// withoutParams leaves out of a frame the parameter sets and delimiters
// that an MPEG-TS source carries in band: in CMAF they are in the init
// section (avc1, hvc1), and hvc1 wants them nowhere else.
func withoutParams(au [][]byte, h265 bool) [][]byte {
	keep := au[:0:0]
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		var param bool
		if h265 {
			param = n[0]>>1&0x3f >= 32 && n[0]>>1&0x3f <= 35 // VPS, SPS, PPS, AUD
		} else {
			param = n[0]&0x1f >= 7 && n[0]&0x1f <= 9 // SPS, PPS, AUD
		}
		if !param {
			keep = append(keep, n)
		}
	}
	return keep
}

func (m *cmafMuxer) fragment(next time.Duration) ([]byte, error) {
	p := fmp4.Part{SequenceNumber: m.seq}
	for _, t := range m.tracks {
		if t == nil {
			continue
		}
		if t.pending != nil {
			dur := t.frame
			if t.video {
				if dur = ticks(next, t.rate) - t.at; dur <= 0 {
					dur = int64(max(t.lastDur, 1))
				}
			}
			t.add(t.pending, uint32(dur))
			t.at += dur
			t.pending = nil
		}
		if len(t.samples) == 0 {
			continue
		}
		p.Tracks = append(p.Tracks, &fmp4.PartTrack{ID: t.id, BaseTime: uint64(t.base), Samples: t.samples})
		t.samples = nil
	}
	if len(p.Tracks) == 0 {
		return nil, nil
	}
	m.buf.Reset()
	if err := p.Marshal(&m.buf); err != nil {
		return nil, err
	}
	m.seq++
	b := m.buf.Bytes()
	if _, err := m.seg.Write(b); err != nil {
		return nil, err
	}
	return b, nil
}

func (m *cmafMuxer) end(next time.Duration) error {
	_, err := m.fragment(next)
	return err
}
