package hls

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Reading what the packager wrote, for those that serve it in another shape
// (the playout profiles' manifests).

// MediaPlaylist is a media playlist as the packager wrote it.
type MediaPlaylist struct {
	Target   int // EXT-X-TARGETDURATION, seconds
	Sequence int // the media sequence number of Segments[0]
	// DiscontinuitySequence is EXT-X-DISCONTINUITY-SEQUENCE.
	DiscontinuitySequence int
	Segments              []Segment
	Ended                 bool // EXT-X-ENDLIST
}

// Segment is one listed segment.
type Segment struct {
	URI             string
	Duration        time.Duration
	Discontinuity   bool      // an EXT-X-DISCONTINUITY comes before it
	ProgramDateTime time.Time // zero for none
	Init            string    // its EXT-X-MAP URI (CMAF)
	KeyURI          string    // its AES-128 key's URI; "" in the clear
	IV              [16]byte
}

// ReadMediaPlaylist reads a media playlist that a Variant wrote.
func ReadMediaPlaylist(b []byte) (*MediaPlaylist, error) {
	p, err := parsePlaylist(b)
	if err != nil {
		return nil, err
	}
	m := &MediaPlaylist{Target: p.target, Sequence: p.seq, DiscontinuitySequence: p.discSeq, Ended: p.ended,
		Segments: make([]Segment, len(p.segs))}
	for i, s := range p.segs {
		m.Segments[i] = Segment{URI: s.uri, Duration: s.dur, Discontinuity: s.disc, ProgramDateTime: s.pdt, Init: s.init}
		if s.key != nil {
			m.Segments[i].KeyURI, m.Segments[i].IV = s.key.uri, s.key.iv
		}
	}
	return m, nil
}

// ReadMaster reads a multivariant playlist that WriteMaster wrote.
func ReadMaster(b []byte) ([]MasterEntry, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	var out []MasterEntry
	var cur *VariantInfo
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case n == 1 && l != "#EXTM3U":
			return nil, fmt.Errorf("line 1: %q is not #EXTM3U", l)
		case strings.HasPrefix(l, "#EXT-X-STREAM-INF:"):
			in, err := streamInf(l)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			cur = &in
		case l == "" || strings.HasPrefix(l, "#"):
		case cur != nil:
			out = append(out, MasterEntry{URI: l, Info: *cur})
			cur = nil
		}
	}
	return out, sc.Err()
}

// streamInf reads an EXT-X-STREAM-INF tag as WriteMaster writes it: CODECS
// is the one quoted value, and it may hold commas.
func streamInf(l string) (VariantInfo, error) {
	var in VariantInfo
	rest := l[len("#EXT-X-STREAM-INF:"):]
	for rest != "" {
		k, v, _ := strings.Cut(rest, "=")
		if strings.HasPrefix(v, `"`) {
			end := strings.Index(v[1:], `"`)
			if end < 0 {
				return in, fmt.Errorf("an unterminated quoted %s", k)
			}
			v, rest = v[1:end+1], strings.TrimPrefix(v[end+2:], ",")
		} else {
			v, rest, _ = strings.Cut(v, ",")
		}
		var err error
		switch k {
		case "BANDWIDTH":
			in.Bandwidth, err = strconv.Atoi(v)
		case "AVERAGE-BANDWIDTH":
			in.AverageBandwidth, err = strconv.Atoi(v)
		case "CODECS":
			in.Codecs = v
		case "RESOLUTION":
			w, h, _ := strings.Cut(v, "x")
			if in.Width, err = strconv.Atoi(w); err == nil {
				in.Height, err = strconv.Atoi(h)
			}
		case "FRAME-RATE":
			in.FrameRate, err = strconv.ParseFloat(v, 64)
		}
		if err != nil {
			return in, fmt.Errorf("%s=%s: %w", k, v, err)
		}
	}
	return in, nil
}
