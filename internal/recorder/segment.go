package recorder

import (
	"bufio"
	"fmt"
	"os"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
)

// clockRate is the MPEG-TS clock: timestamps count 1/90000 s.
const clockRate = 90000

// tsWrap is where MPEG-TS timestamps (33 bits) wrap, about 26.5 hours.
const tsWrap = 1 << 33

// since is how long after a the timestamp b comes, across a wrap; negative
// when b is before a.
func since(a, b int64) int64 {
	d := (b - a) & (tsWrap - 1)
	if d > tsWrap/2 {
		d -= tsWrap
	}
	return d
}

// PTSTime is an MPEG-TS timestamp (90 kHz) as a duration from zero.
func PTSTime(pts int64) time.Duration {
	return time.Duration(pts) * time.Second / clockRate
}

// segment is one segment file being written. Each access unit is written
// through to the file, so that a process that dies leaves it on disk.
type segment struct {
	file  string
	f     *os.File
	bw    *bufio.Writer
	w     *mpegts.Writer
	video *mpegts.Track
	audio *mpegts.Track
	start int64 // presentation time of its first frame
	// The latest presentation time of the frames that set its length (video,
	// or audio when there is none), and how many there were.
	last   int64
	frames int
}

func createSegment(file string, src source, start int64) (*segment, error) {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	s := &segment{file: file, f: f, bw: bufio.NewWriterSize(f, 64<<10), start: start, last: start}
	var tracks []*mpegts.Track
	if src.video != nil {
		s.video = &mpegts.Track{Codec: src.video}
		tracks = append(tracks, s.video)
	}
	if src.audio != nil {
		s.audio = &mpegts.Track{Codec: src.audio}
		tracks = append(tracks, s.audio)
	}
	s.w = &mpegts.Writer{W: s.bw, Tracks: tracks}
	if err := s.w.Initialize(); err != nil {
		f.Close()
		return nil, err
	}
	// The tables first, so that the segment can be read on its own from its
	// first byte.
	if _, err := s.w.WriteTables(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *segment) writeVideo(pts, dts int64, au [][]byte) error {
	write := s.w.WriteH264
	if _, ok := s.video.Codec.(*tscodecs.H265); ok {
		write = s.w.WriteH265
	}
	if err := write(s.video, pts, dts, au); err != nil {
		return fmt.Errorf("writing %s: %w", s.file, err)
	}
	s.timed(pts)
	return s.flush()
}

func (s *segment) writeAudio(pts int64, aus [][]byte) error {
	if err := s.w.WriteMPEG4Audio(s.audio, pts, aus); err != nil {
		return fmt.Errorf("writing %s: %w", s.file, err)
	}
	if s.video == nil {
		s.timed(pts)
	}
	return s.flush()
}

func (s *segment) timed(pts int64) {
	if since(s.last, pts) > 0 {
		s.last = pts
	}
	s.frames++
}

func (s *segment) flush() error {
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", s.file, err)
	}
	return nil
}

// length is how long the segment lasts when nothing follows it: to its last
// frame, plus that frame's own duration (the mean of the others').
func (s *segment) length() int64 {
	span := since(s.start, s.last)
	if s.frames > 1 {
		span += span / int64(s.frames-1)
	}
	return span
}

func (s *segment) close() error {
	err := s.flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
