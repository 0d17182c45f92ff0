package ingest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
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
