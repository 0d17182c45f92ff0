// Package flv reads and writes FLV streams: the container that RTMP media travels in
// and that onair hands to ffmpeg on stdin.
package flv

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Tag types.
const (
	TagAudio  = 8
	TagVideo  = 9
	TagScript = 18
)

// MaxDataSize is the largest tag body FLV can describe (a 24-bit length).
const MaxDataSize = 1<<24 - 1

const (
	headerSize    = 9
	tagHeaderSize = 11
)

// Tag is one FLV tag: audio (8), video (9) or script data (18), timestamp in ms.
type Tag struct {
	Type      uint8
	Timestamp uint32
	Data      []byte
}

// Writer writes an FLV stream: the header (with audio/video flags) then tags with
// their PreviousTagSize fields.
type Writer struct {
	w        io.Writer
	flags    byte
	wroteHdr bool
	hdr      [tagHeaderSize]byte
}

// NewWriter returns a Writer whose header announces the given tracks.
func NewWriter(w io.Writer, hasAudio, hasVideo bool) *Writer {
	var flags byte
	if hasAudio {
		flags |= 0x04
	}
	if hasVideo {
		flags |= 0x01
	}
	return &Writer{w: w, flags: flags}
}

// WriteTag writes t and its PreviousTagSize, preceded by the file header on the first call.
func (w *Writer) WriteTag(t Tag) error {
	if len(t.Data) > MaxDataSize {
		return fmt.Errorf("flv: tag of %d bytes exceeds the 24-bit size field", len(t.Data))
	}
	if t.Type&^0x1f != 0 {
		return fmt.Errorf("flv: invalid tag type %d", t.Type)
	}
	if !w.wroteHdr {
		// Signature, version 1, flags, header size, then PreviousTagSize0 = 0.
		h := []byte{'F', 'L', 'V', 1, w.flags, 0, 0, 0, headerSize, 0, 0, 0, 0}
		if _, err := w.w.Write(h); err != nil {
			return err
		}
		w.wroteHdr = true
	}
	h := w.hdr[:]
	h[0] = t.Type
	put24(h[1:], uint32(len(t.Data)))
	put24(h[4:], t.Timestamp)
	h[7] = byte(t.Timestamp >> 24) // the extended timestamp byte holds bits 24-31
	put24(h[8:], 0)                // stream id, always 0
	if _, err := w.w.Write(h); err != nil {
		return err
	}
	if _, err := w.w.Write(t.Data); err != nil {
		return err
	}
	var prev [4]byte
	binary.BigEndian.PutUint32(prev[:], uint32(tagHeaderSize+len(t.Data)))
	_, err := w.w.Write(prev[:])
	return err
}

// Reader reads an FLV stream written by any muxer.
type Reader struct {
	r       *bufio.Reader
	readHdr bool
	// HasAudio and HasVideo are the header's flags, valid after the first ReadTag.
	HasAudio, HasVideo bool
}

// NewReader returns a Reader of the FLV stream r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReader(r)}
}

// ErrNotFLV is returned when the stream does not start with an FLV header.
var ErrNotFLV = errors.New("flv: not an FLV stream")

// ReadTag returns the next tag. It returns io.EOF at the end of the stream and
// io.ErrUnexpectedEOF for a stream cut inside a tag.
func (r *Reader) ReadTag() (Tag, error) {
	if !r.readHdr {
		if err := r.readHeader(); err != nil {
			return Tag{}, err
		}
	}
	var h [tagHeaderSize]byte
	if _, err := io.ReadFull(r.r, h[:]); err != nil {
		return Tag{}, err // io.EOF exactly at a tag boundary is the clean end
	}
	size := get24(h[1:])
	t := Tag{
		Type:      h[0] & 0x1f, // the top bits are reserved and the filter (encryption) flag
		Timestamp: get24(h[4:]) | uint32(h[7])<<24,
	}
	data, err := readN(r.r, size)
	if err != nil {
		return Tag{}, unexpected(err)
	}
	t.Data = data
	// PreviousTagSize is redundant; muxers disagree on it often enough to ignore its value.
	if _, err := r.r.Discard(4); err != nil {
		return Tag{}, unexpected(err)
	}
	return t, nil
}

func (r *Reader) readHeader() error {
	var h [headerSize]byte
	if _, err := io.ReadFull(r.r, h[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return ErrNotFLV
		}
		return err
	}
	if h[0] != 'F' || h[1] != 'L' || h[2] != 'V' {
		return ErrNotFLV
	}
	off := binary.BigEndian.Uint32(h[5:])
	if off < headerSize || off > 1<<16 {
		return fmt.Errorf("flv: invalid header size %d", off)
	}
	r.HasAudio, r.HasVideo = h[4]&0x04 != 0, h[4]&0x01 != 0
	// Skip any header extension and PreviousTagSize0.
	if _, err := r.r.Discard(int(off) - headerSize + 4); err != nil {
		return unexpected(err)
	}
	r.readHdr = true
	return nil
}

// readN reads exactly n bytes, growing the buffer as they arrive so that a
// corrupt length cannot make it allocate more than the stream holds (plus one step).
func readN(r io.Reader, n uint32) ([]byte, error) {
	const step = 64 << 10
	var buf []byte
	for len(buf) < int(n) {
		k := min(int(n)-len(buf), step)
		buf = slices.Grow(buf, k)
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+k])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func get24(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

func put24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v) }

// IsKeyframe reports whether t is a video tag carrying a key frame (frame type 1),
// including the Enhanced RTMP form whose frame type sits in the same bits.
func IsKeyframe(t Tag) bool {
	return t.Type == TagVideo && len(t.Data) > 0 && (t.Data[0]>>4)&0x07 == 1
}

// IsSequenceHeader reports whether t carries decoder configuration rather than
// media: an AVC (codec 7) or AAC (sound format 10) packet of type 0, or an Enhanced
// RTMP SequenceStart packet (HEVC, AV1, VP9, Opus...).
func IsSequenceHeader(t Tag) bool {
	if len(t.Data) == 0 {
		return false
	}
	b := t.Data[0]
	switch t.Type {
	case TagVideo:
		if b&0x80 != 0 { // Enhanced RTMP: IsExHeader, packet type in the low nibble
			return b&0x0f == 0
		}
		return b&0x0f == 7 && len(t.Data) > 1 && t.Data[1] == 0
	case TagAudio:
		switch b >> 4 {
		case 10:
			return len(t.Data) > 1 && t.Data[1] == 0
		case 9: // Enhanced RTMP audio: AudioPacketType in the low nibble
			return b&0x0f == 0
		}
	}
	return false
}
