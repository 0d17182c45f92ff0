package ingest

import (
	"bufio"
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// netIO is a connection as gortmplib reads and writes it. It drops a peer
// that sends nothing for timeout without setting a deadline on every read:
// setting one costs a timer update in the runtime, and a publisher's
// connection is read a few hundred times a second. The read deadline is
// pushed forward at most once per slack instead, to timeout+slack from then,
// so a silent peer is dropped between timeout and timeout+slack after its
// last byte. It reads through a buffer larger than gortmplib's own 4 KiB
// one, so that a video frame (tens of KiB at a few Mbps) takes one read
// system call, not one per 4 KiB.
type netIO struct {
	nc      net.Conn
	br      *bufio.Reader
	timeout time.Duration
	slack   time.Duration
	armed   time.Time // when the read deadline was last pushed; zero while the handshake's fixed one holds
	rolling bool      // the handshake is over: the read deadline is ours to push
	// err is the last error the connection itself returned on a read, so
	// that a failed message can be told apart from a failed connection.
	err         error
	interrupted atomic.Bool // set by interrupt: every read fails from then on

	// What came in since counted, for the receive low-water mark.
	counted  time.Time
	received int
	lowat    int // the socket's SO_RCVLOWAT now; 0 before it is first set
}

// gather is how long the kernel lets a publisher's bytes gather before it
// wakes us. An encoder writes a video frame as several chunks, and wakes a
// reader for each; being woken per chunk, then handing each unit to the
// packager's goroutines, cost onair more CPU than the rest of a passthrough
// stream (a scheduler round trip each time). The socket's receive low-water
// mark is set to what the stream brings in this long, from its rate over
// the last second, so that the wait for it is about this long too: the
// latency it adds is about this at most, small beside a frame's 33 ms.
const gather = 15 * time.Millisecond

// maxLowat bounds the low-water mark, far below a socket's receive buffer.
const maxLowat = 32 << 10

// readBuffer is what one read system call may bring in.
const readBuffer = 32 << 10

// errInterrupted is what reads return once interrupt was called.
var errInterrupted = errors.New("ingest: reading interrupted")

func newNetIO(nc net.Conn, timeout time.Duration) *netIO {
	return &netIO{nc: nc, br: bufio.NewReaderSize(nc, readBuffer), timeout: timeout, slack: min(time.Second, timeout/4)}
}

// start ends the handshake's fixed deadline: from now on a read timeout holds.
func (r *netIO) start() { r.rolling = true }

func (r *netIO) Read(p []byte) (int, error) {
	if r.interrupted.Load() {
		return 0, errInterrupted
	}
	if r.rolling {
		if now := time.Now(); now.Sub(r.armed) >= r.slack {
			r.armed = now
			r.nc.SetReadDeadline(now.Add(r.timeout + r.slack))
			// Checked again after our deadline is set: an interrupt that came
			// before it had its deadline overwritten by ours, and one after
			// it wins.
			if r.interrupted.Load() {
				return 0, errInterrupted
			}
		}
	}
	n, err := r.br.Read(p)
	if r.rolling {
		r.pace(n)
	}
	if err != nil {
		if r.interrupted.Load() {
			return n, errInterrupted
		}
		r.err = err
	}
	return n, err
}

// pace counts n bytes read and, once a second, sets the low-water mark
// (see gather) from the rate they came at.
func (r *netIO) pace(n int) {
	r.received += n
	now := time.Now()
	if r.counted.IsZero() {
		r.counted = now
		return
	}
	elapsed := now.Sub(r.counted)
	if elapsed < time.Second {
		return
	}
	want := lowatFor(r.received, elapsed)
	r.counted, r.received = now, 0
	if r.lowat != 0 && want > r.lowat*3/4 && want < r.lowat*5/4 {
		return // near enough: no system call
	}
	if setLowat(r.nc, want) == nil {
		r.lowat = want
	}
}

// lowatFor is the low-water mark for a stream that brought n bytes in
// elapsed: what it brings in gather, at most maxLowat, and 1 (wake for any
// byte) for a stream too slow to gather a kilobyte.
func lowatFor(n int, elapsed time.Duration) int {
	want := min(int(float64(n)*gather.Seconds()/elapsed.Seconds()), maxLowat)
	if want < 1024 {
		return 1
	}
	return want
}

// setLowat sets the receive low-water mark of the TCP connection under nc.
func setLowat(nc net.Conn, n int) error {
	if t, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = t.NetConn() // RTMPS: the TCP connection under TLS
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return errors.ErrUnsupported
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, n)
	}); err != nil {
		return err
	}
	return serr
}

// Write bounds every write, so that a peer that stops reading cannot block
// us. Writes are rare (answers to commands, acknowledgements every window).
func (r *netIO) Write(p []byte) (int, error) {
	r.nc.SetWriteDeadline(time.Now().Add(r.timeout))
	return r.nc.Write(p)
}

// interrupt makes the read in progress, and every later one, fail at once,
// from any goroutine, while leaving the connection open for writing.
func (r *netIO) interrupt() {
	r.interrupted.Store(true)
	r.nc.SetReadDeadline(time.Now())
}
