package rtmp

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// testClient is a minimal RTMP publisher built from the package's own chunk
// reader and writer, for the protocol corners ffmpeg cannot be made to hit.
type testClient struct {
	t  *testing.T
	nc net.Conn
	bw *bufio.Writer
	cr *chunkReader
	cw *chunkWriter
}

func dialClient(t *testing.T, addr string) *testClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &testClient{t: t, nc: nc, bw: bufio.NewWriter(nc)}
	br := bufio.NewReader(nc)
	c.cr = newChunkReader(br, 1<<20, 16<<20, 64)
	c.cw = &chunkWriter{w: c.bw, chunkSize: defaultChunkSize}

	c1 := bytes.Repeat([]byte{0x5a}, handshakeSize)
	c.bw.WriteByte(rtmpVersion)
	c.bw.Write(c1)
	c.flush()
	s0s1s2 := make([]byte, 1+2*handshakeSize)
	if _, err := io.ReadFull(br, s0s1s2); err != nil {
		t.Fatalf("reading S0S1S2: %v", err)
	}
	if s0s1s2[0] != rtmpVersion || !bytes.Equal(s0s1s2[1+handshakeSize:], c1) {
		t.Fatalf("S0 = %d, S2 echoes C1: %v", s0s1s2[0], bytes.Equal(s0s1s2[1+handshakeSize:], c1))
	}
	c.bw.Write(s0s1s2[1 : 1+handshakeSize]) // C2 echoes S1
	c.flush()
	return c
}

func (c *testClient) flush() {
	c.t.Helper()
	if err := c.bw.Flush(); err != nil {
		c.t.Fatalf("client write: %v", err)
	}
}

func (c *testClient) send(csid uint32, m message) {
	c.t.Helper()
	if err := c.cw.writeMessage(csid, m); err != nil {
		c.t.Fatal(err)
	}
	c.flush()
}

func (c *testClient) command(streamID uint32, vals ...any) {
	c.t.Helper()
	b, err := amfEncode(nil, vals...)
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(3, message{Type: msgCommandAMF0, StreamID: streamID, Data: b})
}

func (c *testClient) control(typ uint8, data []byte) {
	c.t.Helper()
	c.send(2, message{Type: typ, Data: data})
}

// read returns the next message from the server.
func (c *testClient) read() (message, error) {
	return c.cr.readMessage()
}

// expect reads until a message matching want arrives and returns it.
func (c *testClient) expect(what string, want func(message) bool) message {
	c.t.Helper()
	for {
		m, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if want(m) {
			return m
		}
	}
}

// expectCommand reads until the command name arrives and returns its values.
func (c *testClient) expectCommand(name string) []any {
	c.t.Helper()
	var vals []any
	c.expect(name, func(m message) bool {
		if m.Type != msgCommandAMF0 {
			return false
		}
		v, err := amfDecodeAll(m.Data)
		if err != nil {
			c.t.Fatalf("server sent an undecodable command: %v", err)
		}
		vals = v
		return get(v, 0) == name
	})
	return vals
}

// statusCode returns the code of an onStatus command's info object.
func statusCode(vals []any) string {
	o, _ := get(vals, 3).(amfObject)
	return o.str("code")
}

func (c *testClient) connect(app string) {
	c.t.Helper()
	c.command(0, "connect", 1, amfObject{{"app", app}, {"type", "nonprivate"}, {"tcUrl", "rtmp://test/" + app}})
	res := c.expectCommand("_result")
	if info, _ := get(res, 3).(amfObject); info.str("code") != "NetConnection.Connect.Success" {
		c.t.Fatalf("connect answered %v", res)
	}
}

// publish connects, creates a stream and publishes key, returning the onStatus code.
func (c *testClient) publish(app, key string) string {
	c.t.Helper()
	c.connect(app)
	c.command(0, "createStream", 2, nil)
	res := c.expectCommand("_result")
	if id, _ := get(res, 3).(float64); id != publishStreamID {
		c.t.Fatalf("createStream answered %v", res)
	}
	c.command(publishStreamID, "publish", 0, nil, key, "live")
	return statusCode(c.expectCommand("onStatus"))
}

func (c *testClient) video(ts uint32, data []byte) {
	c.t.Helper()
	c.send(6, message{Type: msgVideo, StreamID: publishStreamID, Timestamp: ts, Data: data})
}

// closedByServer reports whether the server closed the connection within d.
func (c *testClient) closedByServer(d time.Duration) bool {
	c.nc.SetReadDeadline(time.Now().Add(d))
	for {
		if _, err := c.read(); err != nil {
			return err == io.EOF || err == io.ErrUnexpectedEOF || isReset(err)
		}
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
