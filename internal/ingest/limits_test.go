package ingest

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestHandshakeTimeout(t *testing.T) {
	_, addr := startServer(t, newRecRouter(), Options{HandshakeTimeout: 200 * time.Millisecond})
	for _, sent := range [][]byte{nil, append([]byte{3}, make([]byte, 700)...)} {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write(sent)
		start := time.Now()
		nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, err = io.Copy(io.Discard, nc)
		if d := time.Since(start); err != nil || d < 150*time.Millisecond || d > 2*time.Second {
			t.Errorf("after sending %d bytes: closed after %s with %v, want EOF after ~200ms", len(sent), d, err)
		}
	}
}

func TestReadTimeout(t *testing.T) {
	r := newRecRouter()
	_, addr := startServer(t, r, Options{ReadTimeout: 400 * time.Millisecond})
	c := dialClient(t, addr)
	c.publish("live", "k")
	c.videoConfig(testSPS, testPPS)
	// A publisher that keeps sending is kept past the timeout...
	for i := range 8 {
		c.video(i*100, testP)
		time.Sleep(100 * time.Millisecond)
	}
	// ... and one that goes silent is dropped after it (and at most a quarter more).
	start := time.Now()
	if !c.closedByServer(3 * time.Second) {
		t.Fatal("idle publisher not dropped")
	}
	if d := time.Since(start); d < 350*time.Millisecond || d > 700*time.Millisecond {
		t.Errorf("dropped after %s of silence, want 400-500ms", d)
	}
	if _, err := r.sink(t).closeResult(t); err == nil || !strings.Contains(err.Error(), "nothing received for 400ms") || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Close(%v)", err)
	}
}

func TestServerClose(t *testing.T) {
	r := newRecRouter()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(r, Options{Log: slog.New(slog.NewTextHandler(t.Output(), nil))})
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	c := dialClient(t, ln.Addr().String())
	c.publish("live", "k")
	c.videoConfig(testSPS, testPPS)
	c.video(0, testIDR)
	idle := dialClient(t, ln.Addr().String()) // handshake done, nothing else

	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not return")
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve returned %v, want nil", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return after Close")
	}
	if !c.closedByServer(time.Second) || !idle.closedByServer(time.Second) {
		t.Error("connections still open after Close")
	}
	if closes, err := r.sink(t).closeResult(t); closes != 1 || !errors.Is(err, ErrServerClosed) {
		t.Errorf("Sink.Close called %d times with %v", closes, err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("still accepting after Close")
	}
}

func TestMaxConns(t *testing.T) {
	_, addr := startServer(t, newRecRouter(), Options{MaxConns: 1})
	first := dialClient(t, addr)
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := second.Read(make([]byte, 1)); err == nil {
		t.Fatalf("second connection read %d bytes", n)
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("second connection kept open")
	}
	first.nc.Close()
	waitFor(t, 2*time.Second, "a free slot", func() bool {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer nc.Close()
		nc.Write(append([]byte{3}, make([]byte, 1536)...))
		nc.SetReadDeadline(time.Now().Add(time.Second))
		_, err = io.ReadFull(nc, make([]byte, 1))
		return err == nil
	})
}
