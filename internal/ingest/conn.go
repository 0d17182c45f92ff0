package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/handshake"
	"github.com/bluenviron/gortmplib/pkg/message"
)

// conn is one client connection. Its goroutine owns every field but cause,
// which Server.Close and the sink watcher set through closeWith and watch.
type conn struct {
	srv    *Server
	nc     net.Conn
	io     *netIO
	log    *slog.Logger
	ctx    context.Context // passed to the Router; cancelled when the connection ends
	cancel context.CancelFunc

	bc  *bytecounter.ReadWriter
	mrw *message.ReadWriter

	mu    sync.Mutex
	cause error // why we closed the connection from outside its goroutine

	connected            bool
	app, appQuery, tcURL string
	connectArgs          []string // connect's string arguments after its command object

	pub *publication // the current publisher, nil when not publishing
}

// publication is one accepted publish on a connection.
type publication struct {
	sink     Sink
	unwatch  func() // stops the goroutine watching sink.Done()
	streamID uint32 // the message stream it publishes on, as gortmplib numbers them
	demux    demuxer
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	c := &conn{
		srv:    s,
		nc:     nc,
		io:     newNetIO(nc, s.opts.ReadTimeout),
		log:    s.log.With("remote", nc.RemoteAddr().String()),
		ctx:    ctx,
		cancel: cancel,
	}
	c.bc = bytecounter.NewReadWriter(c.io)
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
	switch {
	case errors.Is(err, ErrSinkDone):
		if cz, ok := c.pub.sinkOrNil().(Causer); ok && cz.Cause() != nil {
			c.log.Info("publisher ended by its channel", "cause", cz.Cause())
			c.tell(cz.Cause().Error())
		}
	case errors.As(err, new(*publisherError)):
		c.tell(err.Error())
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
	timeout := c.srv.opts.HandshakeTimeout
	c.nc.SetDeadline(time.Now().Add(timeout))
	keyIn, _, err := handshake.DoServer(c.bc, false)
	if err != nil {
		if errors.Is(err, io.EOF) && c.bc.Reader.Count() == 0 {
			return nil // a port probe or health check: connected, sent nothing, closed
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("handshake not completed within %s", timeout)
		}
		return fmt.Errorf("handshake: %w", err)
	}
	if keyIn != nil {
		return errors.New("handshake: encrypted RTMP (RTMPE) is not supported")
	}
	c.nc.SetDeadline(time.Time{})
	c.io.start()
	c.mrw = message.NewReadWriter(c.bc, c.bc, false)
	c.log.Debug("handshake done")
	for {
		msg, err := c.mrw.Read()
		if err != nil {
			return c.readError(err)
		}
		if err := c.handle(msg); err != nil {
			return err
		}
	}
}

// readError explains why reading a message failed.
func (c *conn) readError(err error) error {
	switch netErr := c.io.err; {
	case errors.Is(err, errInterrupted):
		return err
	case netErr == nil:
		// The bytes arrived but gortmplib could not make a message of them:
		// the publisher should hear why (an unsupported codec, most often).
		err = fmt.Errorf("unreadable message: %w", err)
		if c.pub != nil {
			return &publisherError{err}
		}
		return err
	case errors.Is(netErr, io.EOF) && errors.Is(err, io.EOF):
		return nil // the peer closed between messages
	case errors.Is(netErr, os.ErrDeadlineExceeded):
		return fmt.Errorf("nothing received for %s: %w", c.srv.opts.ReadTimeout, os.ErrDeadlineExceeded)
	}
	return err
}

// handle runs one message: the connection's state machine.
func (c *conn) handle(msg message.Message) error {
	switch m := msg.(type) {
	case *message.SetChunkSize:
		// gortmplib has applied it; the next chunk is not read yet.
		if m.Value > c.srv.opts.MaxChunkSize {
			return fmt.Errorf("chunk size %d exceeds the limit of %d", m.Value, c.srv.opts.MaxChunkSize)
		}
	case *message.CommandAMF0:
		return c.command(m)
	case *message.Video, *message.VideoExSequenceStart, *message.VideoExCodedFrames, *message.VideoExFramesX,
		*message.VideoExMultitrack, *message.Audio, *message.AudioExSequenceStart, *message.AudioExCodedFrames,
		*message.AudioExMultitrack:
		if c.pub != nil {
			return c.pub.demux.handle(msg)
		}
	}
	// The rest needs no answer, or gortmplib gave it (pings, acknowledgements).
	return nil
}

// watch ends the connection when the sink's Done channel closes. It only
// interrupts the connection's reads, so that its goroutine wakes up and can
// still tell the encoder why before it closes the connection.
func (c *conn) watch(s Sink) func() {
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
			c.io.interrupt()
		case <-stop:
		}
	}()
	return func() { close(stop); <-done }
}

// tell sends the publisher an error status with why it is being ended; it
// runs on the connection's goroutine, which owns the writer.
func (c *conn) tell(why string) {
	if c.pub == nil {
		return
	}
	if c.onStatus(c.pub.streamID, "error", "NetStream.Failed", why) != nil {
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
	if c.pub == nil {
		return
	}
	c.pub.unwatch()
	c.pub.sink.Close(err)
	c.pub = nil
}

func (p *publication) sinkOrNil() Sink {
	if p == nil {
		return nil
	}
	return p.sink
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

// publisherError is an error the publisher is told of (as onStatus
// NetStream.Failed) before its connection closes: what it sends cannot be
// ingested, and its log should say why.
type publisherError struct{ err error }

func (e *publisherError) Error() string { return e.err.Error() }
func (e *publisherError) Unwrap() error { return e.err }
