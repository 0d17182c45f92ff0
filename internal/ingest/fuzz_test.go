package ingest

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/bytecounter"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"onair/internal/media"
)

// fuzzMaxChunkSize is small, so that a bound that does not hold shows.
const fuzzMaxChunkSize = 4096

// FuzzConn treats arbitrary bytes as what a client sends after a valid
// handshake: the whole connection (gortmplib's chunk and message readers,
// the command state machine, the demuxer) must end without panicking or
// hanging, and every sink it opened must see Begin before Write, units of
// its tracks only, and exactly one Close.
func FuzzConn(f *testing.F) {
	for _, seed := range sessionSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		runFuzzConn(t, append(clientHandshake(), in...))
	})
}

// FuzzHandshake treats arbitrary bytes as the whole of what a client sends,
// the handshake included.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3})
	f.Add([]byte{6})
	f.Add(clientHandshake())
	f.Add(append([]byte{6}, make([]byte, 2*1536)...)) // an RTMPE handshake with no keys in it
	f.Add(append(clientHandshake(), sessionSeeds()[6]...))
	f.Fuzz(func(t *testing.T, in []byte) {
		runFuzzConn(t, in)
	})
}

func runFuzzConn(t *testing.T, in []byte) {
	r := newRecRouter()
	s := NewServer(r, Options{Log: slog.New(slog.DiscardHandler), MaxChunkSize: fuzzMaxChunkSize})
	newConn(s, &fakeConn{r: bytes.NewReader(in)}).run()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, sink := range r.sinks {
		if sink.closes != 1 {
			t.Fatalf("sink %d closed %d times", i, sink.closes)
		}
		if sink.bad != "" {
			t.Fatalf("sink %d: %s", i, sink.bad)
		}
	}
}

// clientHandshake is a valid C0+C1+C2 (the server checks neither C1 nor C2).
func clientHandshake() []byte {
	return append([]byte{3}, make([]byte, 2*1536)...)
}

// sessionSeeds are every prefix of a publisher's session as gortmplib's
// writer sends it: legacy H.264 and AAC, then H.265 over Enhanced RTMP.
func sessionSeeds() [][]byte {
	var buf bytes.Buffer
	mw := message.NewWriter(&buf, bytecounter.NewWriter(io.Discard), false)
	var seeds [][]byte
	send := func(m message.Message) {
		mw.Write(m)
		seeds = append(seeds, bytes.Clone(buf.Bytes()))
	}
	cmd := func(stream uint32, name string, txn int, args ...any) {
		send(&message.CommandAMF0{ChunkStreamID: 3, MessageStreamID: stream, Name: name, CommandID: txn, Arguments: args})
	}
	send(&message.SetWindowAckSize{Value: 4096})
	cmd(0, "connect", 1, amf0.Object{{Key: "app", Value: "live?t=1"}, {Key: "tcUrl", Value: "rtmp://h/live"}})
	send(&message.SetChunkSize{Value: 300})
	cmd(0, "releaseStream", 2, nil, "key")
	cmd(0, "FCPublish", 3, nil, "key")
	cmd(0, "createStream", 4, nil)
	cmd(wireStream, "publish", 5, nil, "key?x=y", "live")

	conn := &writerConn{mw: mw, sent: func() { seeds = append(seeds, bytes.Clone(buf.Bytes())) }}
	avc := &gortmplib.Track{Codec: &codecs.H264{}} // gortmplib's default parameter sets
	aac := &gortmplib.Track{Codec: &codecs.MPEG4Audio{Config: &mpeg4audio.AudioSpecificConfig{
		Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 44100, ChannelConfig: 2, ChannelCount: 2}}}
	w := &gortmplib.Writer{Conn: conn, Tracks: []*gortmplib.Track{avc, aac}}
	w.Initialize()
	w.WriteH264(avc, 0, 0, [][]byte{testIDR})
	w.WriteMPEG4Audio(aac, 10*time.Millisecond, []byte{0x21, 0x10, 0x04})
	w.WriteH264(avc, 120*time.Millisecond, 40*time.Millisecond, [][]byte{testP, bytes.Repeat([]byte{0x41}, 400)})
	send(&message.UserControlPingRequest{ServerTime: 7})
	cmd(wireStream, "FCUnpublish", 6, nil, "key")
	cmd(wireStream, "deleteStream", 7, nil, 1.0)

	cmd(0, "createStream", 8, nil)
	cmd(wireStream, "publish", 9, nil, "hevc", "live")
	hevc := &gortmplib.Track{Codec: &codecs.H265{}}
	w = &gortmplib.Writer{Conn: conn, Tracks: []*gortmplib.Track{hevc}}
	w.Initialize()
	w.WriteH265(hevc, 0, 0, [][]byte{{0x26, 0x01, 0xaf, 0x00}})
	w.WriteH265(hevc, 80*time.Millisecond, 40*time.Millisecond, [][]byte{{0x02, 0x01, 0xd0, 0x00}})
	cmd(wireStream, "play", 10, nil, "x")
	return seeds
}

// writerConn is a gortmplib.Conn that only writes, into a message writer.
type writerConn struct {
	mw   *message.Writer
	sent func()
}

func (c *writerConn) BytesReceived() uint64          { return 0 }
func (c *writerConn) BytesSent() uint64              { return 0 }
func (c *writerConn) Read() (message.Message, error) { return nil, io.EOF }
func (c *writerConn) Write(m message.Message) error  { err := c.mw.Write(m); c.sent(); return err }

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

// TestFuzzSeedSession: the seeds' whole session publishes what it says, so
// that the fuzzer starts from sessions that reach the demuxer.
func TestFuzzSeedSession(t *testing.T) {
	seeds := sessionSeeds()
	r := newRecRouter()
	s := NewServer(r, Options{Log: slog.New(slog.DiscardHandler)})
	newConn(s, &fakeConn{r: bytes.NewReader(append(clientHandshake(), seeds[len(seeds)-1]...))}).run()
	if len(r.sinks) != 2 {
		t.Fatalf("%d publishes, want 2", len(r.sinks))
	}
	a, b := r.sinks[0], r.sinks[1]
	if len(a.begins) != 1 || len(a.begins[0]) != 2 || len(a.units) != 3 || a.closeErr != nil {
		t.Errorf("legacy publish: tracks %v, %d units, closed with %v", a.begins, len(a.units), a.closeErr)
	}
	if len(b.begins) != 1 || len(b.units) != 2 || b.units[1].PTS-b.units[1].DTS != 40*time.Millisecond {
		t.Errorf("Enhanced RTMP publish: tracks %v, %d units", b.begins, len(b.units))
	}
	if _, ok := b.begins[0][0].Codec.(*media.H265); !ok {
		t.Errorf("Enhanced RTMP track %T", b.begins[0][0].Codec)
	}
	if b.closeErr == nil || !strings.Contains(b.closeErr.Error(), "play") {
		t.Errorf("closed with %v, want the refused play", b.closeErr)
	}
}
