package rtmp

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// Limits the fuzz targets run under: small, so that a bound that does not hold shows.
const (
	fuzzMaxChunkSize   = 4096
	fuzzMaxMessageSize = 64 << 10
	fuzzMaxStreams     = 8
)

// FuzzChunkReader treats arbitrary bytes as what a client sends after a valid
// handshake. The chunk reader must keep its bounds, and a whole connection fed the
// same bytes must end without panicking or hanging.
func FuzzChunkReader(f *testing.F) {
	for _, seed := range chunkSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		cr := newChunkReader(bufio.NewReader(bytes.NewReader(in)), fuzzMaxChunkSize, fuzzMaxMessageSize, fuzzMaxStreams)
		for {
			m, err := cr.readMessage()
			if err != nil {
				break
			}
			if len(m.Data) > fuzzMaxMessageSize {
				t.Fatalf("message of %d bytes", len(m.Data))
			}
			if cr.pending > 2*fuzzMaxMessageSize || len(cr.streams) > fuzzMaxStreams {
				t.Fatalf("%d bytes pending in %d streams", cr.pending, len(cr.streams))
			}
			if cr.chunkSize == 0 || cr.chunkSize > fuzzMaxChunkSize {
				t.Fatalf("chunk size %d", cr.chunkSize)
			}
		}

		s := NewServer(newRecRouter(), Options{
			Log:          slog.New(slog.DiscardHandler),
			MaxChunkSize: fuzzMaxChunkSize, MaxMessageSize: fuzzMaxMessageSize, MaxChunkStreams: fuzzMaxStreams,
		})
		nc := &fakeConn{r: bytes.NewReader(append(clientHandshake(), in...))}
		newConn(s, nc).run()
	})
}

// FuzzAMF0 decodes arbitrary bytes; whatever decodes must encode and decode back
// to the same values.
func FuzzAMF0(f *testing.F) {
	for _, seed := range amfSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		vals, err := amfDecodeAll(in)
		if err != nil {
			return
		}
		enc, err := amfEncode(nil, vals...)
		if err != nil {
			t.Fatalf("re-encoding %#v: %v", vals, err)
		}
		again, err := amfDecodeAll(enc)
		if err != nil {
			t.Fatalf("decoding the re-encoding: %v", err)
		}
		if len(again) != len(vals) {
			t.Fatalf("%d values became %d", len(vals), len(again))
		}
		for i := range vals {
			if !amfEqual(vals[i], again[i]) {
				t.Fatalf("value %d: %#v became %#v", i, vals[i], again[i])
			}
		}
		if enc2, _ := amfEncode(nil, again...); !bytes.Equal(enc, enc2) {
			t.Fatal("encoding is not stable")
		}
	})
}

// clientHandshake is a valid C0+C1+C2 (the server checks neither C1 nor C2).
func clientHandshake() []byte {
	return append([]byte{rtmpVersion}, make([]byte, 2*handshakeSize)...)
}

// chunkSeeds are sessions as a publisher sends them, built with the chunk writer.
func chunkSeeds() [][]byte {
	cmd := func(vals ...any) []byte { b, _ := amfEncode(nil, vals...); return b }
	var agg []byte
	agg = append(agg, 9, 0, 0, 2, 0, 0, 40, 0, 0, 0, 0, 0x27, 1, 0, 0, 0, 13)
	agg = append(agg, 8, 0, 0, 2, 0, 0, 60, 0, 0, 0, 0, 0xaf, 1, 0, 0, 0, 13)
	session := []struct {
		csid uint32
		m    message
	}{
		{2, message{Type: msgWindowAckSize, Data: be32(4096)}},
		{3, message{Type: msgCommandAMF0, Data: cmd("connect", 1, amfObject{{"app", "live?t=1"}, {"tcUrl", "rtmp://h/live"}})}},
		{2, message{Type: msgSetChunkSize, Data: be32(300)}},
		{3, message{Type: msgCommandAMF0, Data: cmd("releaseStream", 2, nil, "key")}},
		{3, message{Type: msgCommandAMF0, Data: cmd("FCPublish", 3, nil, "key")}},
		{3, message{Type: msgCommandAMF0, Data: cmd("createStream", 4, nil)}},
		{8, message{Type: msgCommandAMF0, StreamID: 1, Data: cmd("publish", 5, nil, "key?x=y", "live")}},
		{4, message{Type: msgDataAMF0, StreamID: 1, Data: cmd("@setDataFrame", "onMetaData", amfECMAArray{{"width", 320.0}, {"height", 180.0}})}},
		{6, message{Type: msgVideo, StreamID: 1, Data: []byte{0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x0c}}},
		{4, message{Type: msgAudio, StreamID: 1, Data: []byte{0xaf, 0, 0x12, 0x10}}},
		{6, message{Type: msgVideo, StreamID: 1, Timestamp: 0x1000000, Data: bytes.Repeat([]byte{0x17, 1}, 80)}},
		{2, message{Type: msgUserControl, Data: []byte{0, 6, 0, 0, 1, 2}}},
		{7, message{Type: msgAggregate, StreamID: 1, Timestamp: 2000, Data: agg}},
		{3, message{Type: msgCommandAMF3, Data: append([]byte{0}, cmd("noSuchThing", 6, nil)...)}},
		{3, message{Type: msgCommandAMF0, StreamID: 1, Data: cmd("FCUnpublish", 7, nil, "key")}},
		{3, message{Type: msgCommandAMF0, StreamID: 1, Data: cmd("deleteStream", 8, nil, 1)}},
	}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	cw := &chunkWriter{w: bw, chunkSize: defaultChunkSize}
	var seeds [][]byte
	for _, x := range session {
		cw.writeMessage(x.csid, x.m)
		if x.m.Type == msgSetChunkSize {
			cw.chunkSize = 300
		}
		bw.Flush()
		seeds = append(seeds, bytes.Clone(buf.Bytes())) // every prefix of the session
	}
	return append(seeds,
		[]byte{0x06, 0xff, 0xff, 0xff, 0, 0, 200, 9, 1, 0, 0, 0, 1, 2, 3, 4}, // extended timestamp, cut
		[]byte{0x02, 0, 0, 0, 0, 0, 4, msgAbort, 0, 0, 0, 0, 0, 0, 0, 6},
		[]byte{0x46, 0, 0, 1, 0, 0, 1, 9, 0xc6, 0x86, 0, 0, 1},
	)
}

func amfSeeds() [][]byte {
	var seeds [][]byte
	for _, v := range []any{
		1.0, true, "s", nil, amfUndefined{}, amfDate{Millis: 1, TZ: 2}, []any{1.0, "x"},
		amfObject{{"app", "live"}, {"o", amfObject{{"n", nil}}}},
		amfECMAArray{{"duration", 0.0}, {"encoder", "Lavf59.27.100"}},
	} {
		b, _ := amfEncode(nil, v)
		seeds = append(seeds, b)
	}
	seeds = append(seeds, []byte{0x0c, 0, 0, 0, 2, 'h', 'i'}) // a long string with a short length
	cmd, _ := amfEncode(nil, "connect", 1, amfObject{{"app", "live"}, {"flashVer", "FMLE/3.0"}}, nil)
	return append(seeds, cmd)
}

// fakeConn is a net.Conn that reads a fixed input and discards what is written.
type fakeConn struct{ r *bytes.Reader }

func (c *fakeConn) Read(p []byte) (int, error) {
	if c.r.Len() == 0 {
		return 0, io.EOF
	}
	return c.r.Read(p)
}
func (c *fakeConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }
