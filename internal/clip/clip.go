// Package clip cuts sections out of an archive: the HLS event/VOD playlist of
// MPEG-TS segments that ffmpeg's hls muxer writes under the data dir's
// archive/. For each section it renders a VOD playlist of the archive segments
// that overlap it, written next to the archive's index.m3u8 so the segment
// URIs stay valid, and an MP4 of the section made from that playlist by stream
// copy. It serves the split endpoint, during the live session and after it.
//
// The usual order is Parse the archive playlist, Plan the request (it
// validates and writes nothing), WritePlaylists, then MakeMP4 for each clip,
// possibly in the background: an MP4 appears under its name only once whole.
package clip

import "math"

// Section is one requested clip, in seconds from the session start.
type Section struct{ Start, End float64 }

// Segment is one entry of an archive playlist, with its position on the
// session timeline: the sum of the EXTINF durations before it.
type Segment struct {
	URI           string
	Start         float64
	Duration      float64
	Discontinuity bool // an #EXT-X-DISCONTINUITY came before it
}

// End is where the segment ends on the session timeline.
func (s Segment) End() float64 { return s.Start + s.Duration }

// Limits on what Parse, Plan and Names accept.
const (
	MaxSegments        = 1_000_000 // segments in one playlist
	MaxSegmentDuration = 3600.0    // seconds of one EXTINF
	MaxPlaylistBytes   = 256 << 20 // size of one playlist
	MaxURIBytes        = 1024      // length of one segment URI
	MaxSections        = 100       // sections in one split request
)

// eps absorbs the rounding of summed EXTINF durations (ffmpeg writes 6
// decimals), so that a section starting exactly on a segment boundary does not
// also take the segment before it.
const eps = 1e-4

// Total is the length of the recording the segments make up.
func Total(segs []Segment) float64 {
	if len(segs) == 0 {
		return 0
	}
	return segs[len(segs)-1].End()
}

// maxDuration is the longest segment, the playlist's target duration.
func maxDuration(segs []Segment) float64 {
	m := 0.0
	for _, s := range segs {
		m = math.Max(m, s.Duration)
	}
	return m
}

// Clamp ends s no later than the recording: Validate lets a section end up to
// one segment past the end, for the segment being written during a live
// session, and this is the section that is actually cut.
func Clamp(segs []Segment, s Section) Section {
	s.End = math.Min(s.End, Total(segs))
	return s
}

// overlap returns the indexes [i, j) of the segments that overlap s.
func overlap(segs []Segment, s Section) (i, j int) {
	i = len(segs)
	for k, g := range segs {
		if g.End() > s.Start+eps {
			i = k
			break
		}
	}
	// The segment holding the start is taken even when the section is
	// shorter than eps, so that a section Validate accepts is never empty.
	j = min(i+1, len(segs))
	for j < len(segs) && segs[j].Start < s.End-eps {
		j++
	}
	return i, j
}

// Offset is where s starts inside the first segment of its clip playlist: the
// -ss of the MP4 cut.
func Offset(segs []Segment, s Section) float64 {
	i, j := overlap(segs, s)
	if i == j {
		return 0
	}
	return math.Max(0, s.Start-segs[i].Start)
}

// Clip is one section of a split request, ready to be written.
type Clip struct {
	Section  Section // as it is cut: the end clamped to the recording
	Playlist string  // file name of the clip playlist, next to the archive's index.m3u8
	MP4      string  // file name of the MP4, next to the playlist
	Offset   float64 // where the section starts in the clip playlist
	Body     []byte  // the clip playlist
}

// Length is the duration of the MP4 to cut.
func (c Clip) Length() float64 { return c.Section.End - c.Section.Start }

// Plan validates a split request against the archive's segments and names
// its clips; it writes nothing, so a refused request leaves no file behind. Its
// errors are *domain.ValidationError, a 400 for the API.
func Plan(segs []Segment, sections []Section, modifier string) ([]Clip, error) {
	if err := Validate(sections, segs); err != nil {
		return nil, err
	}
	names, err := Names(modifier, len(sections))
	if err != nil {
		return nil, err
	}
	clips := make([]Clip, len(sections))
	for n, s := range sections {
		s = Clamp(segs, s)
		clips[n] = Clip{
			Section:  s,
			Playlist: names[n],
			MP4:      MP4Name(names[n]),
			Offset:   Offset(segs, s),
			Body:     Playlist(segs, s),
		}
	}
	return clips, nil
}

// WritePlaylists writes each clip's playlist into dir, the archive's
// directory, atomically.
func WritePlaylists(dir string, clips []Clip) error {
	for _, c := range clips {
		if err := WriteFile(dir, c.Playlist, c.Body); err != nil {
			return err
		}
	}
	return nil
}
