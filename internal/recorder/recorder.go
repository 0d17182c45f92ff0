// Package recorder writes a run's archive: an HLS event playlist of MPEG-TS
// segments in one directory, made from the access units of the rendition it
// records, which arrive as MPEG-TS from one source after another (each
// ffmpeg instance of the run's pipeline).
//
// It is made to lose nothing when something dies. Every access unit reaches
// its segment file as it arrives; a segment is listed in the playlist as soon
// as it closes, and when its source ends, however it ends; a recorder opened
// on an archive that a dead process left lists the segment that process was
// writing and goes on after it. Segments are cut at a video keyframe once
// they reach the target length, so with keyframes on a grid (as onair's
// encoder forces them) they are the target length exactly.
package recorder

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
)

// Playlist is the archive's playlist in its directory.
const Playlist = "index.m3u8"

// ErrFinished is what writes to a finished recorder return.
var ErrFinished = errors.New("recorder: the archive is finished")

// Recorder writes one archive. Feed may be called from any goroutine, one
// source at a time; Finish ends the archive.
type Recorder struct {
	dir    string
	target int64 // segment length, 90 kHz
	log    *slog.Logger

	mu       sync.Mutex
	entries  []entry  // the listed segments
	next     int      // the number of the next segment file
	seg      *segment // the segment being written; nil between segments
	src      source   // what the current source carries
	broken   bool     // the next segment follows a discontinuity
	end      int64    // the latest presentation time recorded, 90 kHz
	hasEnd   bool
	finished bool
}

// entry is one listed segment.
type entry struct {
	name          string
	duration      float64 // seconds
	discontinuity bool
}

// source is what one MPEG-TS input carries: the codecs of its first video and
// audio tracks, either of them nil.
type source struct {
	video, audio tscodecs.Codec
}

// Open returns the recorder of the archive in dir, writing segments of about
// target. An archive that is already there (an earlier process wrote it) is
// continued: its playlist keeps what it lists, the segments it does not list
// (the one that process was writing when it died) are listed after it, and
// the next source starts after a discontinuity.
func Open(dir string, target time.Duration, log *slog.Logger) (*Recorder, error) {
	if target <= 0 {
		return nil, fmt.Errorf("recorder: segment length %s must be positive", target)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := &Recorder{dir: dir, target: int64(target.Seconds() * clockRate), log: log}
	if err := r.resume(); err != nil {
		return nil, fmt.Errorf("recorder %s: %w", dir, err)
	}
	return r, nil
}

// End is the latest presentation time recorded, on the timeline of the
// sources' timestamps, and false when nothing has been.
func (r *Recorder) End() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return PTSTime(r.end), r.hasEnd
}

// Feed records one source, an MPEG-TS stream of H.264 video and AAC audio
// (other tracks are left out), until it ends; the segment it was writing is
// then closed and listed. It returns nil at the end of the stream, however
// it ends (an ffmpeg that was killed included), and an error only when the
// stream cannot be read from the start or the archive cannot be written.
func (r *Recorder) Feed(ts io.Reader) error {
	defer r.endSource()
	rd := &mpegts.Reader{R: ts}
	if err := rd.Initialize(); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil // the source ended before it sent anything
		}
		return fmt.Errorf("recorder: reading the stream: %w", err)
	}
	var src source
	for _, t := range rd.Tracks() {
		switch c := t.Codec.(type) {
		case *tscodecs.H264:
			if src.video == nil {
				src.video = c
				rd.OnDataH264(t, func(pts, dts int64, au [][]byte) error { return r.writeVideo(pts, dts, au) })
			}
		case *tscodecs.MPEG4Audio:
			if src.audio == nil {
				src.audio = c
				rd.OnDataMPEG4Audio(t, func(pts int64, aus [][]byte) error { return r.writeAudio(pts, aus) })
			}
		}
	}
	if src.video == nil && src.audio == nil {
		return errors.New("recorder: the stream has neither H.264 video nor AAC audio")
	}
	r.mu.Lock()
	r.src = src
	r.mu.Unlock()
	rd.OnDecodeError(func(err error) { r.log.Debug("recorder: undecodable data skipped", "err", err) })
	for {
		if err := rd.Read(); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrClosed) {
				return nil
			}
			var werr *writeError
			if errors.As(err, &werr) {
				return werr.err
			}
			// A source cut in the middle of a packet (its process died) ends
			// here too: what came before it is recorded.
			r.log.Debug("recorder: the stream ended in error", "err", err)
			return nil
		}
	}
}

// writeError marks an error of the archive, not of the stream, so that Feed
// can tell the two apart when the reader hands it back.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

func (r *Recorder) writeVideo(pts, dts int64, au [][]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return &writeError{ErrFinished}
	}
	key := h264.IsRandomAccess(au)
	if err := r.cut(pts, key); err != nil {
		return &writeError{err}
	}
	if r.seg == nil {
		return nil // a segment starts at a keyframe
	}
	if err := r.seg.writeVideo(pts, dts, au); err != nil {
		return &writeError{err}
	}
	r.recorded(pts)
	return nil
}

func (r *Recorder) writeAudio(pts int64, aus [][]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return &writeError{ErrFinished}
	}
	if r.src.video == nil {
		// Audio alone: any frame may start a segment.
		if err := r.cut(pts, true); err != nil {
			return &writeError{err}
		}
	}
	if r.seg == nil {
		return nil // before the first keyframe of the source
	}
	if err := r.seg.writeAudio(pts, aus); err != nil {
		return &writeError{err}
	}
	r.recorded(pts)
	return nil
}

// cut starts a segment at a frame that may start one (key), when none is
// open or the open one has reached the target length; r.mu is held.
func (r *Recorder) cut(pts int64, key bool) error {
	if !key {
		return nil
	}
	if r.seg != nil {
		if since(r.seg.start, pts) < r.target {
			return nil
		}
		if err := r.closeSegment(since(r.seg.start, pts)); err != nil {
			return err
		}
	}
	seg, err := createSegment(filepath.Join(r.dir, segmentName(r.next)), r.src, pts)
	if err != nil {
		return err
	}
	r.seg = seg
	r.next++
	return nil
}

// recorded notes a presentation time written; r.mu is held.
func (r *Recorder) recorded(pts int64) {
	if !r.hasEnd || since(r.end, pts) > 0 {
		r.end, r.hasEnd = pts, true
	}
}

// closeSegment closes the open segment, lasting duration (90 kHz), and lists
// it; r.mu is held.
func (r *Recorder) closeSegment(duration int64) error {
	seg := r.seg
	r.seg = nil
	if err := seg.close(); err != nil {
		return err
	}
	r.entries = append(r.entries, entry{name: filepath.Base(seg.file), duration: float64(duration) / clockRate, discontinuity: r.broken})
	r.broken = false
	return r.writePlaylist()
}

// endSource closes the open segment at the end of a source, lasting to its
// last frame; the next source starts after a discontinuity.
func (r *Recorder) endSource() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seg != nil {
		if err := r.closeSegment(r.seg.length()); err != nil {
			r.log.Error("recorder: closing the last segment of a source failed", "dir", r.dir, "err", err)
		}
	}
	r.src = source{}
	if len(r.entries) > 0 {
		r.broken = true
	}
}

// Finish ends the archive: the segment being written is closed and listed,
// and the playlist ends with #EXT-X-ENDLIST. Writes after it fail. A
// recorder that recorded nothing writes no playlist.
func (r *Recorder) Finish() error {
	r.endSource()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return nil
	}
	r.finished = true
	if len(r.entries) == 0 {
		return nil
	}
	return r.writePlaylist()
}
