package recorder

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"onair/internal/clip"
)

// segmentName is the file name of segment n.
func segmentName(n int) string { return fmt.Sprintf("seg_%06d.ts", n) }

// segmentNumber reads n back from a segment's file name.
func segmentNumber(name string) (int, bool) {
	num, ok := strings.CutPrefix(name, "seg_")
	if num, ok = strings.CutSuffix(num, ".ts"); !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil && n >= 0
}

// writePlaylist writes the playlist of the listed segments, ended when the
// archive is finished, through a temporary file renamed into place so that
// a reader (the origin, a clip) never sees half of it; r.mu is held.
func (r *Recorder) writePlaylist() error {
	target := 1.0
	for _, e := range r.entries {
		target = max(target, math.Ceil(e.duration))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n", int(target))
	for _, e := range r.entries {
		if e.discontinuity {
			b.WriteString("#EXT-X-DISCONTINUITY\n")
		}
		fmt.Fprintf(&b, "#EXTINF:%.6f,\n%s\n", e.duration, e.name)
	}
	if r.finished {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	return clip.WriteFile(r.dir, Playlist, []byte(b.String()))
}

// resume reads what an earlier process left in the directory: the listed
// segments, and those it wrote and did not list, which it lists now.
func (r *Recorder) resume() error {
	b, err := os.ReadFile(filepath.Join(r.dir, Playlist))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	listed := -1
	if err == nil {
		segs, _, err := clip.Parse(b)
		if err != nil {
			return fmt.Errorf("its playlist: %w", err)
		}
		for _, s := range segs {
			r.entries = append(r.entries, entry{name: s.URI, duration: s.Duration, discontinuity: s.Discontinuity})
			if n, ok := segmentNumber(s.URI); ok {
				listed = max(listed, n)
			}
		}
	}
	files, err := os.ReadDir(r.dir)
	if err != nil {
		return err
	}
	r.next = listed + 1
	salvaged := 0
	for _, f := range files { // sorted by name, so by number
		n, ok := segmentNumber(f.Name())
		if !ok {
			continue
		}
		r.next = max(r.next, n+1)
		if n <= listed {
			continue
		}
		file := filepath.Join(r.dir, f.Name())
		start, end, ok := Span(file)
		if !ok || since(start, end) <= 0 {
			os.Remove(file) // cut before its first frame: nothing to keep
			continue
		}
		r.entries = append(r.entries, entry{name: f.Name(), duration: float64(since(start, end)) / clockRate})
		salvaged++
	}
	if len(r.entries) > 0 {
		if _, end, ok := Span(filepath.Join(r.dir, r.entries[len(r.entries)-1].name)); ok {
			r.end, r.hasEnd = end, true
		}
		r.broken = true
	}
	if salvaged > 0 {
		r.log.Info("recorder: listed the segments a process that died had written", "dir", r.dir, "segments", salvaged)
		return r.writePlaylist()
	}
	return nil
}

// Span reads an MPEG-TS file, even one cut short, and returns where its
// frames start and end (to the end of the last one), in 90 kHz time: its
// video frames', or its audio's when it has no video. ok is false when it
// holds no frame that can be read.
func Span(file string) (start, end int64, ok bool) {
	f, err := os.Open(file)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	rd := &mpegts.Reader{R: f}
	if rd.Initialize() != nil {
		return 0, 0, false
	}
	var seg *segment // only its timing
	timed := func(pts int64) {
		if seg == nil {
			seg = &segment{start: pts, last: pts}
		} else if since(pts, seg.start) > 0 {
			seg.start = pts
		}
		seg.timed(pts)
	}
	hasVideo := false
	for _, t := range rd.Tracks() {
		if _, ok := t.Codec.(*tscodecs.H264); ok && !hasVideo {
			hasVideo = true
			rd.OnDataH264(t, func(pts, _ int64, _ [][]byte) error { timed(pts); return nil })
		}
	}
	if !hasVideo {
		for _, t := range rd.Tracks() {
			if _, ok := t.Codec.(*tscodecs.MPEG4Audio); ok {
				rd.OnDataMPEG4Audio(t, func(pts int64, _ [][]byte) error { timed(pts); return nil })
				break
			}
		}
	}
	rd.OnDecodeError(func(error) {})
	// Read to the end, or to where the file was cut short: what came before
	// is what there is.
	for rd.Read() == nil {
	}
	if seg == nil {
		return 0, 0, false
	}
	return seg.start, seg.start + seg.length(), true
}
