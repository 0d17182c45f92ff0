package rtmp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"onair/internal/flv"
)

// Chunk stream ids we send on.
const (
	csidControl = 2 // protocol control and user control messages
	csidCommand = 3
)

const (
	ourChunkSize  = 4096
	ourWindowSize = 2_500_000 // the Window Ack Size and peer bandwidth we announce
)

// User Control event types.
const (
	eventStreamBegin  = 0
	eventPingRequest  = 6
	eventPingResponse = 7
)

// conn is one client connection. Its goroutine owns every field but cause, which
// Server.Close and the sink watcher set through closeWith.
type conn struct {
	srv    *Server
	nc     net.Conn
	log    *slog.Logger
	ctx    context.Context // passed to the Router; cancelled when the connection ends
	cancel context.CancelFunc

	in *netReader
	bw *bufio.Writer
	cr *chunkReader
	cw *chunkWriter

	mu    sync.Mutex
	cause error // why we closed the connection from outside its goroutine

	peerWindow uint32 // the peer's Window Acknowledgement Size; 0 until it sends one
	acked      uint64 // input bytes when we last acknowledged
	ourWindow  uint32 // the last Window Ack Size we sent

	connected            bool
	app, appQuery, tcURL string

	sink     Sink   // the current publisher's sink, nil when not publishing
	unwatch  func() // stops the goroutine watching sink.Done()
	streamID uint32 // the message stream the publisher publishes on
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	c := &conn{
		srv:    s,
		nc:     nc,
		log:    s.log.With("remote", nc.RemoteAddr().String()),
		ctx:    ctx,
		cancel: cancel,
		in:     &netReader{nc: nc, timeout: s.opts.ReadTimeout},
	}
	c.bw = bufio.NewWriter(&netWriter{nc: nc, timeout: s.opts.ReadTimeout})
	c.cr = newChunkReader(bufio.NewReaderSize(c.in, 16<<10), s.opts.MaxChunkSize, s.opts.MaxMessageSize, s.opts.MaxChunkStreams)
	c.cw = &chunkWriter{w: c.bw, chunkSize: defaultChunkSize}
	return c
}

// run serves the connection, then tears it down, closes the sink once and logs once.
func (c *conn) run() {
	err := c.runInner()
	c.mu.Lock()
	if c.cause != nil {
		err = c.cause // the read error that followed is only a consequence
	}
	c.mu.Unlock()
	if errors.Is(err, ErrSinkDone) {
		c.tellCause()
	}
	c.cancel()
	c.nc.Close()
	c.endPublish(err)
	if err == nil || errors.Is(err, ErrServerClosed) || errors.Is(err, ErrSinkDone) || errors.Is(err, errRefused) {
		c.log.Info("connection closed", "err", err)
	} else {
		c.log.Warn("connection closed", "err", err)
	}
}

func (c *conn) runInner() error {
	c.in.fixed = time.Now().Add(c.srv.opts.HandshakeTimeout)
	if err := serverHandshake(c.cr.r, c.bw); err != nil {
		if err == io.EOF && c.in.n == 0 {
			return nil // a port probe or health check: connected, sent nothing, closed
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("handshake not completed within %s", c.srv.opts.HandshakeTimeout)
		}
		return fmt.Errorf("handshake: %w", err)
	}
	c.in.fixed = time.Time{}
	c.log.Debug("handshake done")
	for {
		m, err := c.cr.readMessage()
		if err != nil {
			switch {
			case err == io.EOF:
				return nil // the peer closed between messages
			case errors.Is(err, os.ErrDeadlineExceeded):
				return fmt.Errorf("nothing received for %s: %w", c.srv.opts.ReadTimeout, os.ErrDeadlineExceeded)
			}
			return err
		}
		if err := c.handle(m); err != nil {
			return err
		}
		if c.peerWindow > 0 && c.in.n-c.acked >= uint64(c.peerWindow) {
			c.acked = c.in.n
			if err := c.sendControl(msgAck, binary.BigEndian.AppendUint32(nil, uint32(c.in.n))); err != nil {
				return err
			}
		}
		if c.bw.Buffered() > 0 {
			if err := c.bw.Flush(); err != nil {
				return err
			}
		}
	}
}

func (c *conn) handle(m message) error {
	switch m.Type {
	case msgSetChunkSize, msgAbort, msgAck:
		// The chunk reader applied the first two; acknowledgements need no answer.
	case msgWindowAckSize:
		if len(m.Data) < 4 {
			return errors.New("short Window Acknowledgement Size message")
		}
		c.peerWindow = binary.BigEndian.Uint32(m.Data)
	case msgSetPeerBandwidth:
		if len(m.Data) < 5 {
			return errors.New("short Set Peer Bandwidth message")
		}
		if size := binary.BigEndian.Uint32(m.Data); size > 0 && size != c.ourWindow {
			return c.sendWindowAckSize(size)
		}
	case msgUserControl:
		if len(m.Data) >= 6 && binary.BigEndian.Uint16(m.Data) == eventPingRequest {
			return c.sendUserControl(eventPingResponse, binary.BigEndian.Uint32(m.Data[2:]))
		}
	case msgCommandAMF3, msgDataAMF3:
		// AMF3 messages that carry AMF0 start with a zero byte: the AMF0 switch.
		if len(m.Data) == 0 || m.Data[0] != 0 {
			c.log.Debug("AMF3 message ignored", "type", m.Type)
			return nil
		}
		m.Data = m.Data[1:]
		if m.Type == msgCommandAMF3 {
			return c.command(m)
		}
		return c.data(m)
	case msgCommandAMF0:
		return c.command(m)
	case msgDataAMF0:
		return c.data(m)
	case msgAudio, msgVideo:
		return c.media(m)
	case msgAggregate:
		return c.aggregate(m)
	default:
		c.log.Debug("message ignored", "type", m.Type)
	}
	return nil
}

func (c *conn) media(m message) error {
	if c.sink == nil || len(m.Data) == 0 {
		return nil
	}
	return c.writeTag(flv.Tag{Type: m.Type, Timestamp: m.Timestamp, Data: m.Data})
}

// data forwards @setDataFrame payloads and bare onMetaData as script tags.
func (c *conn) data(m message) error {
	if c.sink == nil {
		return nil
	}
	d := amfDecoder{b: m.Data}
	v, err := d.value(0)
	if err != nil {
		c.log.Debug("undecodable data message ignored", "err", err)
		return nil
	}
	body := m.Data
	switch v {
	case "@setDataFrame":
		body = d.b
	case "onMetaData":
	default:
		return nil
	}
	if len(body) == 0 {
		return nil
	}
	return c.writeTag(flv.Tag{Type: flv.TagScript, Timestamp: m.Timestamp, Data: body})
}

// aggregate unpacks an aggregate message: FLV tags whose timestamps are relative to
// the first one, which stands for the aggregate message's own timestamp.
func (c *conn) aggregate(m message) error {
	b := m.Data
	var base uint32
	for first := true; len(b) >= 11; first = false {
		size := be24(b[1:])
		if uint64(size)+11 > uint64(len(b)) {
			return errors.New("aggregate message: sub-message runs past its end")
		}
		ts := be24(b[4:]) | uint32(b[7])<<24
		if first {
			base = ts
		}
		sub := message{Type: b[0] & 0x1f, StreamID: m.StreamID, Timestamp: m.Timestamp + ts - base, Data: b[11 : 11+size : 11+size]}
		b = b[min(11+int(size)+4, len(b)):] // the data, then its back pointer
		var err error
		switch sub.Type {
		case msgAudio, msgVideo:
			err = c.media(sub)
		case msgDataAMF0:
			err = c.data(sub)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) writeTag(t flv.Tag) error {
	if err := c.sink.WriteTag(t); err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	return nil
}

// watch ends the connection when the sink's Done channel closes. It only
// interrupts the connection's reads, so that its goroutine wakes up and can
// still tell the encoder why (tellCause) before it closes the connection.
func (c *conn) watch(s Sink) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-s.Done():
			c.mu.Lock()
			if c.cause == nil {
				c.cause = ErrSinkDone
			}
			c.mu.Unlock()
			c.in.interrupt()
		case <-stop:
		}
	}()
	c.unwatch = func() { close(stop); <-done }
}

// tellCause sends the publisher the reason its sink ended it, if the sink
// gave one; it runs on the connection's goroutine, which owns the writer.
func (c *conn) tellCause() {
	cz, ok := c.sink.(Causer)
	if !ok {
		return
	}
	cause := cz.Cause()
	if cause == nil {
		return
	}
	c.log.Info("publisher ended by its channel", "cause", cause)
	if c.onStatus(c.streamID, "error", "NetStream.Failed", cause.Error()) != nil || c.bw.Flush() != nil {
		return
	}
	// Encoders read what the server sent between their writes: keep reading
	// (and dropping) until this one has read the status and hung up, or for
	// a moment, since closing with its media unread would reset the
	// connection before it got to the status.
	c.nc.SetReadDeadline(time.Now().Add(causeLinger))
	io.Copy(io.Discard, c.nc)
}

// causeLinger bounds how long an ended publisher has to read why.
const causeLinger = 2 * time.Second

// endPublish closes the current sink, if any, with err.
func (c *conn) endPublish(err error) {
	if c.sink == nil {
		return
	}
	c.unwatch()
	c.sink.Close(err)
	c.sink, c.unwatch = nil, nil
}

// closeWith closes the connection from outside its goroutine, recording why.
func (c *conn) closeWith(cause error) {
	c.mu.Lock()
	if c.cause == nil {
		c.cause = cause
	}
	c.mu.Unlock()
	c.cancel()
	c.nc.Close()
}

func (c *conn) sendControl(typ uint8, data []byte) error {
	return c.cw.writeMessage(csidControl, message{Type: typ, Data: data})
}

func (c *conn) sendWindowAckSize(size uint32) error {
	c.ourWindow = size
	return c.sendControl(msgWindowAckSize, binary.BigEndian.AppendUint32(nil, size))
}

func (c *conn) sendUserControl(event uint16, v uint32) error {
	return c.sendControl(msgUserControl, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint16(nil, event), v))
}

func (c *conn) sendCommand(streamID uint32, vals ...any) error {
	b, err := amfEncode(nil, vals...)
	if err != nil {
		return err
	}
	return c.cw.writeMessage(csidCommand, message{Type: msgCommandAMF0, StreamID: streamID, Data: b})
}

// netReader sets a read deadline before every read, so that a peer that sends
// nothing for timeout is dropped, and counts the bytes for acknowledgements.
type netReader struct {
	nc          net.Conn
	timeout     time.Duration
	fixed       time.Time // when set, the deadline instead of now+timeout (the handshake's)
	n           uint64
	interrupted atomic.Bool // set by interrupt: every read fails from then on
}

// errInterrupted is what reads return once interrupt was called.
var errInterrupted = errors.New("rtmp: reading interrupted")

func (r *netReader) Read(p []byte) (int, error) {
	if r.interrupted.Load() {
		return 0, errInterrupted
	}
	d := r.fixed
	if d.IsZero() {
		d = time.Now().Add(r.timeout)
	}
	r.nc.SetReadDeadline(d)
	// Checked again after our deadline is set: an interrupt that came before
	// it had its deadline overwritten by ours, and one after it wins.
	if r.interrupted.Load() {
		return 0, errInterrupted
	}
	n, err := r.nc.Read(p)
	r.n += uint64(n)
	return n, err
}

// interrupt makes the read in progress, and every later one, fail at once,
// from any goroutine, while leaving the connection open for writing.
func (r *netReader) interrupt() {
	r.interrupted.Store(true)
	r.nc.SetReadDeadline(time.Now())
}

// netWriter bounds every write, so that a peer that stops reading cannot block us.
type netWriter struct {
	nc      net.Conn
	timeout time.Duration
}

func (w *netWriter) Write(p []byte) (int, error) {
	w.nc.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.nc.Write(p)
}
