// Package recorder writes a run's archive: an HLS event playlist of MPEG-TS
// segments in one directory, made from the access units of the rendition it
// records, read from its hub: one source after another (each publisher
// session, or each ffmpeg instance of the run's encoder).
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
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"

	"onair/internal/media"
)

// Playlist is the archive's playlist in its directory.
const Playlist = "index.m3u8"

// ErrFinished is what writes to a finished recorder return.
var ErrFinished = errors.New("recorder: the archive is finished")

// Recorder writes one archive. Run reads its hub; Finish ends the archive.
type Recorder struct {
	dir    string
	target int64 // segment length, 90 kHz
	log    *slog.Logger

	mu        sync.Mutex
	entries   []entry  // the listed segments
	next      int      // the number of the next segment file
	seg       *segment // the segment being written; nil between segments
	src       source   // what the current source carries
	broken    bool     // the next segment follows a discontinuity
	end       int64    // the latest presentation time recorded, 90 kHz
	hasEnd    bool
	finished  bool
	mp4       *mp4Writer    // the MP4 built as the run goes
	lastFrame time.Duration // how long the last frame recorded lasts
	onSegment func()        // called when the playlist lists a new segment
}

// entry is one listed segment.
type entry struct {
	name          string
	duration      float64 // seconds
	discontinuity bool
}

// source is what one source carries: the codecs of its video and audio
// tracks (either of them nil), and their indexes in its tracks.
type source struct {
	video, audio           tscodecs.Codec
	videoTrack, audioTrack int
	videoCodec             media.Codec // for the parameter sets a keyframe may lack
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
	var err error
	if r.mp4, err = openMP4(MP4Of(dir), filepath.Join(dir, mp4StateFile)); err != nil {
		return nil, fmt.Errorf("recorder %s: %w", dir, err)
	}
	return r, nil
}

// OnSegment has f called each time the playlist lists a segment that
// closed (a Mirror's Notify). f must not block.
func (r *Recorder) OnSegment(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onSegment = f
}

// MP4Of is the MP4 of the archive in dir: next to it, dir + ".mp4".
func MP4Of(dir string) string { return filepath.Clean(dir) + ".mp4" }

// mp4StateFile is the MP4's sidecar in the archive's directory.
const mp4StateFile = "mp4.json"

// MP4 says how long the archive's MP4 lasts, and whether it holds the whole
// recording (when it does not, because a source changed the codec
// configuration half-way, the caller makes one from the playlist). Call it
// after Finish.
func (r *Recorder) MP4() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.mp4.complete() || !r.hasEnd {
		return 0, false
	}
	return PTSTime(since(r.mp4.state.Origin, r.end)) + r.lastFrame, true
}

// End is the latest presentation time recorded, on the timeline of the
// sources' timestamps, and false when nothing has been.
func (r *Recorder) End() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return PTSTime(r.end), r.hasEnd
}

// Run records what a hub's reader reads until it ends: each Tracks item
// starts a source (its H.264 or H.265 video and AAC audio; other tracks are
// left out), each Break ends one, closing the segment it was writing. It
// returns nil when the reader ends (io.EOF), ctx's error when ctx ends, and
// the error when the archive cannot be written.
func (r *Recorder) Run(ctx context.Context, rd *media.Reader) error {
	defer r.endSource()
	for {
		it, err := rd.Next(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch {
		case it.Tracks != nil:
			r.endSource()
			r.begin(it.Tracks)
		case it.Break:
			r.endSource()
		case it.Unit != nil:
			if err := r.write(it.Unit); err != nil {
				return err
			}
		}
	}
}

// begin starts a source with its tracks.
func (r *Recorder) begin(tracks media.Tracks) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.src = source{videoTrack: -1, audioTrack: -1}
	if err := r.mp4.begin(tracks); err != nil {
		r.log.Warn("recorder: the MP4 cannot grow; it will be made at the end", "dir", r.dir, "err", err)
		r.mp4.broken = true
	}
	if i := tracks.Video(); i >= 0 {
		r.src.video, r.src.videoTrack, r.src.videoCodec = media.TSCodec(tracks[i].Codec), i, tracks[i].Codec
	}
	if i := tracks.Audio(); i >= 0 {
		r.src.audio, r.src.audioTrack = media.TSCodec(tracks[i].Codec), i
	}
}

// write records one unit of the current source.
func (r *Recorder) write(u *media.Unit) error {
	r.mu.Lock()
	src := r.src
	r.mu.Unlock()
	var err error
	switch u.Track {
	case src.videoTrack:
		err = r.writeVideo(media.TSTicks(u.PTS), media.TSTicks(u.DTS), u.WithParams(src.videoCodec), u.Random)
	case src.audioTrack:
		err = r.writeAudio(media.TSTicks(u.PTS), u.AU)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.mp4.add(u); err != nil {
		r.log.Warn("recorder: the MP4 cannot grow; it will be made at the end", "dir", r.dir, "err", err)
		r.mp4.broken = true
	}
	return nil
}

func (r *Recorder) writeVideo(pts, dts int64, au [][]byte, key bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return ErrFinished
	}
	if err := r.cut(pts, key); err != nil {
		return err
	}
	if r.seg == nil {
		return nil // a segment starts at a keyframe
	}
	if err := r.seg.writeVideo(pts, dts, au); err != nil {
		return err
	}
	r.recorded(pts)
	return nil
}

func (r *Recorder) writeAudio(pts int64, aus [][]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return ErrFinished
	}
	if r.src.video == nil {
		// Audio alone: any frame may start a segment.
		if err := r.cut(pts, true); err != nil {
			return err
		}
	}
	if r.seg == nil {
		return nil // before the first keyframe of the source
	}
	if err := r.seg.writeAudio(pts, aus); err != nil {
		return err
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
	r.lastFrame = PTSTime(duration - since(seg.start, seg.last))
	r.broken = false
	if err := r.writePlaylist(); err != nil {
		return err
	}
	if r.onSegment != nil {
		r.onSegment()
	}
	return nil
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
	r.src = source{videoTrack: -1, audioTrack: -1}
	r.mp4.flushPending()
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
