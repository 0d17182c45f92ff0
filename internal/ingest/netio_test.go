package ingest

import (
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestLowatFor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		elapsed time.Duration
		want    int
	}{
		{"4 Mbit/s over a second", 500_000, time.Second, 7500},
		{"the same over two", 1_000_000, 2 * time.Second, 7500},
		{"an audio-only stream", 16_000, time.Second, 1},
		{"just a kilobyte in gather", 68_267, time.Second, 1024},
		{"50 Mbit/s: bounded", 6_250_000, time.Second, maxLowat},
		{"nothing", 0, time.Second, 1},
	} {
		if got := lowatFor(tc.n, tc.elapsed); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestLowWaterMark: after a second of a steady stream, the connection's
// receive low-water mark is what the stream brings in gather, and a
// publisher that then leaves with fewer bytes than that in flight loses
// none of them: its close wakes the reader.
func TestLowWaterMark(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pub, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := newNetIO(nc, 10*time.Second)
	r.start()

	const rate = 400_000 // bytes a second
	read := make(chan int)
	go func() {
		n, _ := io.Copy(io.Discard, r)
		read <- int(n)
	}()
	chunk := make([]byte, rate/100)
	sent := 0
	for range 120 { // 1.2 s
		pub.Write(chunk)
		sent += len(chunk)
		time.Sleep(10 * time.Millisecond)
	}
	pub.Write(chunk[:100]) // less than the mark
	sent += 100

	want := rate * int(gather/time.Millisecond) / 1000
	raw, _ := nc.(*net.TCPConn).SyscallConn()
	var got int
	raw.Control(func(fd uintptr) { got, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT) })
	if got < want/2 || got > want*2 {
		t.Errorf("SO_RCVLOWAT %d after a second at %d B/s, want about %d", got, rate, want)
	}

	pub.Close()
	select {
	case n := <-read:
		if n != sent {
			t.Errorf("read %d bytes of the %d sent", n, sent)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the publisher's close did not wake the reader")
	}
}
