package rtmp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"onair/internal/flv"
)

func TestConnectAndPublishReplies(t *testing.T) {
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.command(0, "connect", 1, amfObject{{"app", "live?secret=1"}, {"tcUrl", "rtmp://h/live?secret=1"}})
	var got []uint8
	res := c.expect("connect _result", func(m message) bool {
		got = append(got, m.Type)
		switch m.Type {
		case msgWindowAckSize, msgSetPeerBandwidth:
			if binary.BigEndian.Uint32(m.Data) != ourWindowSize {
				t.Errorf("type %d announces %d", m.Type, binary.BigEndian.Uint32(m.Data))
			}
		}
		return m.Type == msgCommandAMF0
	})
	if want := []uint8{msgWindowAckSize, msgSetPeerBandwidth, msgSetChunkSize, msgCommandAMF0}; !bytes.Equal(got, want) {
		t.Errorf("messages after connect = %v, want %v", got, want)
	}
	if c.cr.chunkSize != ourChunkSize {
		t.Errorf("server chunk size = %d, want %d", c.cr.chunkSize, ourChunkSize)
	}
	vals, _ := amfDecodeAll(res.Data)
	if get(vals, 0) != "_result" || get(vals, 1) != 1.0 || statusCode(vals) != "NetConnection.Connect.Success" {
		t.Errorf("connect answered %v", vals)
	}

	c.command(0, "releaseStream", 2, nil, "key")
	if v := c.expectCommand("_result"); get(v, 1) != 2.0 {
		t.Errorf("releaseStream answered %v", v)
	}
	c.command(0, "FCPublish", 3, nil, "key")
	if v := c.expectCommand("_result"); get(v, 1) != 3.0 {
		t.Errorf("FCPublish answered %v", v)
	}
	if v := c.expectCommand("onFCPublish"); statusCode(v) != "NetStream.Publish.Start" {
		t.Errorf("FCPublish answered %v", v)
	}
	c.command(0, "createStream", 4, nil)
	if v := c.expectCommand("_result"); get(v, 1) != 4.0 || get(v, 3) != 1.0 {
		t.Errorf("createStream answered %v", v)
	}
	c.command(1, "publish", 5, nil, "key?sig=2", "live")
	begin := c.expect("StreamBegin", func(m message) bool { return m.Type == msgUserControl })
	if !bytes.Equal(begin.Data, []byte{0, 0, 0, 0, 0, 1}) {
		t.Errorf("StreamBegin = % x", begin.Data)
	}
	m := c.expect("onStatus", func(m message) bool { return m.Type == msgCommandAMF0 })
	vals, _ = amfDecodeAll(m.Data)
	if m.StreamID != 1 || get(vals, 0) != "onStatus" || statusCode(vals) != "NetStream.Publish.Start" {
		t.Errorf("publish answered %v on stream %d", vals, m.StreamID)
	}
	if req := r.reqs[0]; req.App != "live" || req.Name != "key" || req.Path != "live/key" || req.Query != "secret=1&sig=2" {
		t.Errorf("request = %+v", req)
	}
}

func TestRefusedPublishStatus(t *testing.T) {
	r := newRecRouter()
	r.refuse = errors.New("key revoked")
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	if code := c.publish("live", "k"); code != "NetStream.Publish.BadName" {
		t.Errorf("status = %s", code)
	}
	if !c.closedByServer(2 * time.Second) {
		t.Error("connection still open after a refusal")
	}
}

func TestMediaMetadataAndAggregate(t *testing.T) {
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	if code := c.publish("live", "k"); code != "NetStream.Publish.Start" {
		t.Fatalf("status = %s", code)
	}
	meta, _ := amfEncode(nil, "onMetaData", amfECMAArray{{"width", 320.0}})
	withPrefix, _ := amfEncode(nil, "@setDataFrame")
	c.send(4, message{Type: msgDataAMF0, StreamID: 1, Data: append(withPrefix, meta...)})
	c.send(4, message{Type: msgDataAMF0, StreamID: 1, Data: []byte("\x02\x00\x0a|RtmpSampleAccess")}) // not forwarded
	c.video(0, []byte{0x17, 0, 0, 0, 0, 1})
	c.send(5, message{Type: msgAudio, StreamID: 1, Timestamp: 5, Data: []byte{0xaf, 0, 0x12, 0x10}})
	// An aggregate at 1000 holding a video tag at 40 and an audio tag at 60: 1000 and 1020.
	var agg []byte
	for _, sub := range []flv.Tag{{Type: 9, Timestamp: 40, Data: []byte{0x27, 1}}, {Type: 8, Timestamp: 60, Data: []byte{0xaf, 1}}} {
		agg = append(agg, sub.Type, 0, 0, byte(len(sub.Data)), 0, 0, byte(sub.Timestamp), 0, 0, 0, 0)
		agg = append(agg, sub.Data...)
		agg = binary.BigEndian.AppendUint32(agg, uint32(11+len(sub.Data)))
	}
	c.send(7, message{Type: msgAggregate, StreamID: 1, Timestamp: 1000, Data: agg})
	c.command(1, "FCUnpublish", 6, nil, "k")

	s := r.sink(t)
	waitFor(t, 5*time.Second, "Sink.Close", func() bool { return isClosed(s.closed) })
	want := []flv.Tag{
		{Type: flv.TagScript, Data: meta},
		{Type: flv.TagVideo, Data: []byte{0x17, 0, 0, 0, 0, 1}},
		{Type: flv.TagAudio, Timestamp: 5, Data: []byte{0xaf, 0, 0x12, 0x10}},
		{Type: flv.TagVideo, Timestamp: 1000, Data: []byte{0x27, 1}},
		{Type: flv.TagAudio, Timestamp: 1020, Data: []byte{0xaf, 1}},
	}
	got := s.snapshot()
	if len(got) != len(want) {
		t.Fatalf("%d tags, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Type != want[i].Type || got[i].Timestamp != want[i].Timestamp || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("tag %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if s.closeErr != nil {
		t.Errorf("Close(%v) after FCUnpublish, want nil", s.closeErr)
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestRepublishOnOneConnection(t *testing.T) {
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.publish("live", "a")
	c.command(1, "deleteStream", 0, nil, 1)
	c.command(0, "createStream", 7, nil)
	c.expectCommand("_result")
	c.command(1, "publish", 0, nil, "b", "live")
	if code := statusCode(c.expectCommand("onStatus")); code != "NetStream.Publish.Start" {
		t.Fatalf("second publish: %s", code)
	}
	c.video(0, []byte{0x17, 1})
	c.nc.Close()
	waitFor(t, 5*time.Second, "both sinks closed", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.sinks) == 2 && isClosed(r.sinks[0].closed) && isClosed(r.sinks[1].closed)
	})
	if a, b := r.sinks[0], r.sinks[1]; len(a.tags) != 0 || len(b.tags) != 1 || a.closes != 1 || b.closes != 1 || a.closeErr != nil || b.closeErr != nil {
		t.Errorf("first sink: %d tags, %d closes (%v); second: %d tags, %d closes (%v)",
			len(a.tags), a.closes, a.closeErr, len(b.tags), b.closes, b.closeErr)
	}
}

func TestPingAndAcknowledgement(t *testing.T) {
	r := newRecRouter()
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.control(msgWindowAckSize, be32(5000))
	c.publish("live", "k")
	c.control(msgUserControl, []byte{0, eventPingRequest, 0, 0, 0x04, 0xd2})
	pong := c.expect("ping response", func(m message) bool { return m.Type == msgUserControl })
	if !bytes.Equal(pong.Data, []byte{0, eventPingResponse, 0, 0, 0x04, 0xd2}) {
		t.Errorf("ping response = % x", pong.Data)
	}
	for i := range 4 {
		c.video(uint32(i*40), make([]byte, 2000))
	}
	ack := c.expect("acknowledgement", func(m message) bool { return m.Type == msgAck })
	// The handshake alone is 3073 bytes, the session a few hundred more, the video 8000.
	if seq := binary.BigEndian.Uint32(ack.Data); seq < 5000 || seq > 3073+1000+8100 {
		t.Errorf("acknowledged %d bytes", seq)
	}
}

func TestUnknownCommands(t *testing.T) {
	_, addr := startServer(t, newRecRouter(), Options{})
	c := dialClient(t, addr)
	c.connect("live")
	c.command(0, "noSuchThing", 0, nil) // no transaction: no answer
	c.command(0, "_checkbw", 9, nil)
	v := c.expectCommand("_error")
	if get(v, 1) != 9.0 || statusCode(v) != "NetConnection.Call.Failed" {
		t.Errorf("_error = %v", v)
	}
}

func TestProtocolErrorsCloseTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name, log string
		send      func(c *testClient)
	}{
		{"command before connect", "publish\\\" before connect", func(c *testClient) {
			c.command(0, "publish", 0, nil, "k")
		}},
		{"chunk size above the limit", "chunk size 1048576 exceeds the limit of 65536", func(c *testClient) {
			c.control(msgSetChunkSize, be32(1<<20))
		}},
		{"message above the limit", "message of 9000000 bytes exceeds the limit of 8388608", func(c *testClient) {
			c.nc.Write([]byte{0x06, 0, 0, 0, 0x89, 0x54, 0x40, 9, 1, 0, 0, 0})
		}},
		{"too many chunk streams", "more than 64 chunk streams", func(c *testClient) {
			for csid := uint32(3); csid < 3+65; csid++ {
				c.cw.writeMessage(csid, message{Type: msgVideo, Data: []byte{0x17}})
			}
			c.bw.Flush()
		}},
		{"undecodable command", "undecodable command", func(c *testClient) {
			c.send(3, message{Type: msgCommandAMF0, Data: []byte{2, 0, 7, 'c', 'o', 'n', 'n', 'e', 'c', 't', 0x0d}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			_, addr := startServer(t, newRecRouter(), Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
			c := dialClient(t, addr)
			tc.send(c)
			if !c.closedByServer(2 * time.Second) {
				t.Fatal("connection still open")
			}
			waitFor(t, 2*time.Second, "the log line", func() bool { return strings.Contains(logs.String(), tc.log) })
		})
	}
}

func TestSinkErrorDropsThePublisher(t *testing.T) {
	r := newRecRouter()
	r.failAt = 2
	_, addr := startServer(t, r, Options{})
	c := dialClient(t, addr)
	c.publish("live", "k")
	c.video(0, []byte{0x17, 0})
	c.video(40, []byte{0x17, 1})
	if !c.closedByServer(2 * time.Second) {
		t.Fatal("connection still open after the sink failed")
	}
	s := r.sink(t)
	<-s.closed
	if s.closeErr == nil || !strings.Contains(s.closeErr.Error(), "disk full") {
		t.Errorf("Close(%v), want the sink's error", s.closeErr)
	}
}

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
	_, addr := startServer(t, r, Options{ReadTimeout: 300 * time.Millisecond})
	c := dialClient(t, addr)
	c.publish("live", "k")
	start := time.Now()
	if !c.closedByServer(3 * time.Second) {
		t.Fatal("idle publisher not dropped")
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("dropped after %s", d)
	}
	s := r.sink(t)
	<-s.closed
	if s.closeErr == nil || !strings.Contains(s.closeErr.Error(), "nothing received for 300ms") {
		t.Errorf("Close(%v)", s.closeErr)
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
	c.video(0, []byte{0x17, 0})
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
	if sink := r.sink(t); sink.closes != 1 || !errors.Is(sink.closeErr, ErrServerClosed) {
		t.Errorf("Sink.Close called %d times with %v", sink.closes, sink.closeErr)
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
		nc.Write(append([]byte{3}, make([]byte, handshakeSize)...))
		nc.SetReadDeadline(time.Now().Add(time.Second))
		_, err = io.ReadFull(nc, make([]byte, 1))
		return err == nil
	})
}
