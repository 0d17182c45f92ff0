package rtmp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Message type ids.
const (
	msgSetChunkSize     = 1
	msgAbort            = 2
	msgAck              = 3
	msgUserControl      = 4
	msgWindowAckSize    = 5
	msgSetPeerBandwidth = 6
	msgAudio            = 8
	msgVideo            = 9
	msgDataAMF3         = 15
	msgCommandAMF3      = 17
	msgDataAMF0         = 18
	msgCommandAMF0      = 20
	msgAggregate        = 22
)

const (
	defaultChunkSize = 128      // until a Set Chunk Size says otherwise
	extendedTS       = 0xffffff // a timestamp field with this value is followed by 4 bytes
)

// message is one reassembled RTMP message.
type message struct {
	Type      uint8
	StreamID  uint32
	Timestamp uint32 // absolute, in ms
	Data      []byte
}

// chunkStream is the header state the chunk format compresses against.
type chunkStream struct {
	timestamp uint32 // of the message being (or last) received
	delta     uint32 // what a type 3 chunk that starts a new message adds to timestamp
	length    uint32
	typ       uint8
	streamID  uint32
	extended  bool   // the last type 0-2 header used an extended timestamp...
	extValue  uint32 // ...with this value
	reading   bool   // a message is partly received; buf holds its payload so far
	buf       []byte
}

// chunkReader reassembles messages from the interleaved chunk streams of one connection.
type chunkReader struct {
	r              *bufio.Reader
	chunkSize      uint32
	maxChunkSize   uint32
	maxMessageSize uint32
	maxStreams     int
	streams        map[uint32]*chunkStream
	pending        int // payload bytes held in partly received messages
	hdr            [11]byte
}

func newChunkReader(r *bufio.Reader, maxChunkSize, maxMessageSize uint32, maxStreams int) *chunkReader {
	return &chunkReader{
		r:              r,
		chunkSize:      defaultChunkSize,
		maxChunkSize:   maxChunkSize,
		maxMessageSize: maxMessageSize,
		maxStreams:     maxStreams,
		streams:        make(map[uint32]*chunkStream),
	}
}

// readMessage reads chunks until one message is complete. Set Chunk Size and Abort
// are applied here, and returned too. It returns io.EOF only when the peer closed
// the connection between messages.
func (cr *chunkReader) readMessage() (message, error) {
	for {
		m, done, err := cr.readChunk()
		if err != nil {
			return message{}, err
		}
		if !done {
			continue
		}
		switch m.Type {
		case msgSetChunkSize:
			if len(m.Data) < 4 {
				return message{}, errors.New("short Set Chunk Size message")
			}
			size := binary.BigEndian.Uint32(m.Data)
			if size == 0 || size&0x80000000 != 0 {
				return message{}, fmt.Errorf("invalid chunk size %d", size)
			}
			if size > cr.maxChunkSize {
				return message{}, fmt.Errorf("chunk size %d exceeds the limit of %d", size, cr.maxChunkSize)
			}
			cr.chunkSize = size
		case msgAbort:
			if len(m.Data) < 4 {
				return message{}, errors.New("short Abort message")
			}
			if cs := cr.streams[binary.BigEndian.Uint32(m.Data)]; cs != nil && cs.reading {
				cr.pending -= len(cs.buf)
				cs.reading, cs.buf = false, nil
			}
		}
		return m, nil
	}
}

// readChunk reads one chunk and reports whether it completed a message.
func (cr *chunkReader) readChunk() (message, bool, error) {
	b0, err := cr.r.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) && cr.pending > 0 {
			err = io.ErrUnexpectedEOF
		}
		return message{}, false, err
	}
	format, csid := b0>>6, uint32(b0&0x3f)
	switch csid {
	case 0:
		b, err := cr.read(1)
		if err != nil {
			return message{}, false, err
		}
		csid = 64 + uint32(b[0])
	case 1:
		b, err := cr.read(2)
		if err != nil {
			return message{}, false, err
		}
		csid = 64 + uint32(b[0]) + uint32(b[1])<<8
	}
	cs := cr.streams[csid]
	if cs == nil {
		if format != 0 {
			return message{}, false, fmt.Errorf("chunk stream %d starts with a type %d chunk", csid, format)
		}
		if len(cr.streams) >= cr.maxStreams {
			return message{}, false, fmt.Errorf("more than %d chunk streams", cr.maxStreams)
		}
		cs = &chunkStream{}
		cr.streams[csid] = cs
	}
	if format != 3 && cs.reading {
		return message{}, false, fmt.Errorf("chunk stream %d: type %d chunk in the middle of a message", csid, format)
	}

	var field uint32 // the 24-bit timestamp or delta
	switch format {
	case 0:
		h, err := cr.read(11)
		if err != nil {
			return message{}, false, err
		}
		field, cs.length, cs.typ = be24(h), be24(h[3:]), h[6]
		cs.streamID = binary.LittleEndian.Uint32(h[7:]) // the one little-endian field of RTMP
	case 1:
		h, err := cr.read(7)
		if err != nil {
			return message{}, false, err
		}
		field, cs.length, cs.typ = be24(h), be24(h[3:]), h[6]
	case 2:
		h, err := cr.read(3)
		if err != nil {
			return message{}, false, err
		}
		field = be24(h)
	}
	if format != 3 {
		cs.extended = field == extendedTS
		if cs.extended {
			h, err := cr.read(4)
			if err != nil {
				return message{}, false, err
			}
			cs.extValue = binary.BigEndian.Uint32(h)
		}
	}
	if cs.extended {
		field = cs.extValue
		if format == 3 {
			// A type 3 chunk repeats the extended timestamp of its stream's last header
			// (the spec, ffmpeg, librtmp/OBS); a few senders leave it out. Take the 4
			// bytes only if they are that value, so that both kinds work.
			if b, err := cr.r.Peek(4); err == nil && binary.BigEndian.Uint32(b) == cs.extValue {
				cr.r.Discard(4)
			}
		}
	}
	if cs.length > cr.maxMessageSize {
		return message{}, false, fmt.Errorf("message of %d bytes exceeds the limit of %d", cs.length, cr.maxMessageSize)
	}
	switch format {
	case 0:
		// A type 3 chunk that follows a type 0 uses the type 0 timestamp as its delta.
		cs.timestamp, cs.delta = field, field
	case 1, 2:
		cs.delta = field
		cs.timestamp += field
	case 3:
		if !cs.reading {
			cs.timestamp += cs.delta
		}
	}
	cs.reading = true

	n := int(min(cs.length-uint32(len(cs.buf)), cr.chunkSize))
	if n > 0 {
		// Interleaving lets a peer hold many messages open at once: bound their sum too.
		if uint64(cr.pending)+uint64(n) > 2*uint64(cr.maxMessageSize) {
			return message{}, false, fmt.Errorf("more than %d bytes held in partly received messages", 2*uint64(cr.maxMessageSize))
		}
		cs.buf = grow(cs.buf, n, int(cs.length))
		start := len(cs.buf)
		cs.buf = cs.buf[:start+n]
		if _, err := io.ReadFull(cr.r, cs.buf[start:]); err != nil {
			return message{}, false, unexpected(err)
		}
		cr.pending += n
	}
	if uint32(len(cs.buf)) < cs.length {
		return message{}, false, nil
	}
	m := message{Type: cs.typ, StreamID: cs.streamID, Timestamp: cs.timestamp, Data: cs.buf}
	if m.Data == nil {
		m.Data = []byte{}
	}
	cr.pending -= len(cs.buf)
	cs.reading, cs.buf = false, nil
	return m, true, nil
}

// read returns the next n bytes (n <= len(hdr)), valid until the next call.
func (cr *chunkReader) read(n int) ([]byte, error) {
	b := cr.hdr[:n]
	if _, err := io.ReadFull(cr.r, b); err != nil {
		return nil, unexpected(err)
	}
	return b, nil
}

// grow makes room for n more bytes without ever reserving more than limit in total:
// a message buffer grows with the bytes that actually arrived, never from its
// announced length alone.
func grow(b []byte, n, limit int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	c := min(max(2*cap(b), len(b)+n), limit)
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func be24(b []byte) uint32 { return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]) }

func put24(b []byte, v uint32) { b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v) }

// chunkWriter splits outgoing messages into chunks. Every message starts with a
// type 0 header; the few messages a server sends are not worth compressing.
type chunkWriter struct {
	w         *bufio.Writer
	chunkSize uint32
}

func (cw *chunkWriter) writeMessage(csid uint32, m message) error {
	if csid < 2 || csid > 65599 {
		return fmt.Errorf("invalid chunk stream id %d", csid)
	}
	if len(m.Data) > 0xffffff {
		return fmt.Errorf("message of %d bytes is too long", len(m.Data))
	}
	ext := m.Timestamp >= extendedTS
	var h [18]byte
	hdr := appendBasicHeader(h[:0], 0, csid)
	var mh [11]byte
	put24(mh[:], min(m.Timestamp, extendedTS))
	put24(mh[3:], uint32(len(m.Data)))
	mh[6] = m.Type
	binary.LittleEndian.PutUint32(mh[7:], m.StreamID)
	hdr = append(hdr, mh[:]...)
	if ext {
		hdr = binary.BigEndian.AppendUint32(hdr, m.Timestamp)
	}
	data := m.Data
	for first := true; first || len(data) > 0; first = false {
		if !first {
			hdr = appendBasicHeader(h[:0], 3, csid)
			if ext {
				hdr = binary.BigEndian.AppendUint32(hdr, m.Timestamp)
			}
		}
		n := min(len(data), int(cw.chunkSize))
		if _, err := cw.w.Write(hdr); err != nil {
			return err
		}
		if _, err := cw.w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func appendBasicHeader(b []byte, format byte, csid uint32) []byte {
	switch {
	case csid < 64:
		return append(b, format<<6|byte(csid))
	case csid < 320:
		return append(b, format<<6, byte(csid-64))
	default:
		return append(b, format<<6|1, byte(csid-64), byte((csid-64)>>8))
	}
}
