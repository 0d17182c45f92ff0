// Package rtmp is onair's RTMP ingest server: encoders (OBS, ffmpeg, hardware
// encoders) publish to it, a Router decides where each stream goes, and the
// accepted stream's FLV tags flow to the Router's Sink. It does not play streams.
//
// What a Sink sees is what the encoder sent, in order, on the connection's
// goroutine: typically onMetaData, then the AVC and AAC sequence headers, then
// media. Timestamps are the encoder's own RTMP message timestamps in ms (decode
// time for video), starting wherever the encoder starts them, usually 0. Nothing
// is cached, reordered or rebased: every connection is a new Publish and a new
// Sink, so keeping a run's timeline continuous across reconnects, and deciding
// what a second publisher of a live key gets, are the Router's job. A publisher
// whose network died may only be noticed after ReadTimeout, after its
// replacement has already connected.
package rtmp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"onair/internal/flv"
)

// Router decides what happens to a publish request. It is implemented by the engine.
type Router interface {
	// Publish is called when a client sends publish(streamKey) on app. A nil error
	// accepts the stream: its media goes to the Sink. An error refuses it: the
	// client gets onStatus NetStream.Publish.BadName with the error's text as the
	// description, and the connection is closed.
	Publish(ctx context.Context, req PublishRequest) (Sink, error)
}

// PublishRequest describes a client that wants to publish.
type PublishRequest struct {
	// App and Name are connect's app and publish's stream name as the client
	// split them, without their query strings.
	App, Name string
	// Path is App and Name joined with "/", with empty and "." segments
	// dropped: what routing goes by, since clients split one URL differently.
	// rtmp://host/live/KEY (app "live", name "KEY"), OBS's server
	// rtmp://host/ with stream key live/KEY (app "", name "live/KEY") and
	// rtmp://host/live/ with key KEY all give "live/KEY"; rtmp://host/KEY
	// (app "KEY", no name) gives "KEY".
	Path   string
	Query  string   // anything after '?' in the stream name or app, e.g. tokens ("&"-joined if both have one)
	TCURL  string   // connect's tcUrl, as the client sent it
	Remote net.Addr // the client's address
}

// StreamPath joins an RTMP app and stream name into the path that a stream is
// known by (see PublishRequest.Path).
func StreamPath(app, name string) string {
	var segs []string
	for _, part := range []string{app, name} {
		for _, seg := range strings.Split(part, "/") {
			if seg != "" && seg != "." {
				segs = append(segs, seg)
			}
		}
	}
	return strings.Join(segs, "/")
}

// Sink receives one publisher's media in order.
type Sink interface {
	// WriteTag receives audio, video and @setDataFrame/onMetaData script tags (as
	// FLV script data: the onMetaData AMF0 without the "@setDataFrame" prefix). The
	// sink owns t.Data. An error drops the publisher.
	WriteTag(t flv.Tag) error
	// Close says the publisher is gone: nil after FCUnpublish/deleteStream/clean
	// close (the client closing the connection between messages), the cause
	// otherwise (ErrSinkDone, ErrServerClosed, a timeout, a protocol or sink error).
	// Called exactly once.
	Close(err error)
	// Done is closed when the engine wants the publisher disconnected (run stopped);
	// the server then closes the connection promptly.
	Done() <-chan struct{}
}

// A Sink whose Done closed because something failed (its channel could not
// start, say) can say why by implementing Causer: the server sends the cause to
// the encoder as onStatus NetStream.Failed before it closes the connection, so
// that the encoder's log shows it (ffmpeg prints "Server error: <cause>").
type Causer interface {
	// Cause is why Done closed; nil when it was no failure (the run stopped).
	Cause() error
}

// Options bound what one server and each of its connections may use.
type Options struct {
	Log                           *slog.Logger  // default slog.Default(); connections log through children of it
	HandshakeTimeout, ReadTimeout time.Duration // defaults 10 s and 30 s (a publisher that sends nothing for ReadTimeout is dropped; writes get as long)
	MaxChunkSize                  uint32        // largest Set Chunk Size accepted (default 64 KiB; the protocol allows 2^31-1 but we bound memory)
	MaxMessageSize                uint32        // largest message length (default 8 MiB)
	MaxChunkStreams               int           // distinct chunk stream ids per connection (default 64)
	MaxConns                      int           // concurrent connections (default 1000)
}

// Sentinel causes passed to Sink.Close.
var (
	// ErrServerClosed is the cause when Server.Close ends a publisher.
	ErrServerClosed = errors.New("rtmp: server closed")
	// ErrSinkDone is the cause when the sink's Done channel ended a publisher.
	ErrSinkDone = errors.New("rtmp: publisher disconnected by the sink")
)

// Server accepts RTMP connections on any number of listeners.
type Server struct {
	router Router
	opts   Options
	log    *slog.Logger
	ctx    context.Context // cancelled by Close; every connection's context derives from it
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	wg        sync.WaitGroup // one per connection goroutine
}

// NewServer returns a server that asks r about every publish request.
func NewServer(r Router, o Options) *Server {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 30 * time.Second
	}
	if o.MaxChunkSize == 0 {
		o.MaxChunkSize = 64 << 10
	}
	if o.MaxMessageSize == 0 {
		o.MaxMessageSize = 8 << 20
	}
	if o.MaxChunkStreams <= 0 {
		o.MaxChunkStreams = 64
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 1000
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		router:    r,
		opts:      o,
		log:       o.Log, // the caller names the component
		ctx:       ctx,
		cancel:    cancel,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
	}
}

// Serve accepts connections on ln until Close; it then returns nil. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	s.log.Info("listening", "addr", ln.Addr().String())

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if te, ok := err.(interface{ Temporary() bool }); !ok || !te.Temporary() {
				return err
			}
			// Out of file descriptors and the like: wait a little, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "err", err, "in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return nil
			}
			continue
		}
		backoff = 0
		s.startConn(nc)
	}
}

func (s *Server) startConn(nc net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		nc.Close()
		return
	}
	if len(s.conns) >= s.opts.MaxConns {
		s.log.Warn("connection refused: too many connections", "remote", nc.RemoteAddr().String(), "max", s.opts.MaxConns)
		nc.Close()
		return
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.run()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close stops accepting, closes every connection and waits for their goroutines.
// Publishers still live see Sink.Close(ErrServerClosed).
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.cancel()
		for ln := range s.listeners {
			ln.Close()
		}
		for c := range s.conns {
			c.closeWith(ErrServerClosed)
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}
